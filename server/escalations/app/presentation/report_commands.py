"""``/escalation stats [days]`` and ``/escalation export [days]``: the text of their answers.

``export`` answers with links to the export (CSV and JSON) rather than a file in the channel: a
file would stay in the conversation for everyone who can read it, a copy frozen at that moment;
the link is opened in the browser with the admin's own session, and the export it serves is
refused to anyone but a system admin.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from escalations.app.domain.errors import AdminsOnly, InvalidRequest
from escalations.app.domain.ports import Host
from escalations.app.views.render import PLUGIN_ID
from escalations.app.workflow import export, stats
from escalations.app.workflow.reports import Reports, export_link, parse_days

STATS_USAGE = (
    f"Usage: `/escalation stats [days]` (1 to {stats.MAX_DAYS}, default {stats.DEFAULT_DAYS})"
)
EXPORT_USAGE = (
    f"Usage: `/escalation export [days]` (1 to {stats.MAX_DAYS}, default {stats.DEFAULT_DAYS})"
)


def stats_text(reports: Reports, user_id: str, words: list[str]) -> str:
    days = _days(words, STATS_USAGE)
    return stats.describe(reports.stats(user_id, days))


def export_text(host: Host, user_id: str, words: list[str], now_ms: int) -> str:
    days = _days(words, EXPORT_USAGE)
    if not host.is_system_admin(user_id):
        raise AdminsOnly("Only system admins can export escalations.")
    last = datetime.fromtimestamp(now_ms / 1000, tz=timezone.utc).date()
    first = last - timedelta(days=days - 1)
    site = host.site_url().rstrip("/")
    csv_link = export_link(site, PLUGIN_ID, "csv", first, last)
    json_link = export_link(site, PLUGIN_ID, "json", first, last)
    return (
        f"**Export of the escalations created from {first} to {last}** (UTC), with their event "
        f"logs, redacted content only:\n- [CSV]({csv_link})\n- [JSON]({json_link})\n"
        "The links work for system admins only; one answer holds at most "
        f"{export.MAX_RECORDS:,} escalations (the JSON names the `next_cursor` to continue with)."
    )


def _days(words: list[str], usage: str) -> int:
    if not words:
        return stats.DEFAULT_DAYS
    if len(words) != 1:
        raise InvalidRequest(usage)
    try:
        return parse_days(words[0])
    except InvalidRequest:
        raise InvalidRequest(usage) from None
