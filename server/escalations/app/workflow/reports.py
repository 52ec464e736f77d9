"""Use cases of the reports: the statistics (``stats``) and the export (``export``).

Who may: the statistics, system admins and the escalations channel's trusted members
(``Workflow.is_insider``); the export, system admins only. Both decide by the acting user's id
(the server-set header, the command's user) and read only the ledger (``ledger.Ledger``) and,
for the export, the records it names, so their cost follows the escalations of the range, not
everything ever stored.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable
from datetime import date, datetime, timedelta, timezone

from escalations.app.domain.errors import AdminsOnly, Busy, InsidersOnly, InvalidRequest
from escalations.app.domain.ports import Host
from escalations.app.workflow import export as exports
from escalations.app.workflow import stats
from escalations.app.workflow.service import Workflow
from escalations.app.workflow.store import Store

# The widest date range one export may name (each answer is bounded anyway).
EXPORT_MAX_DAYS = stats.MAX_DAYS
_DAY_RE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
_DAYS_RE = re.compile(r"^[0-9]{1,5}$")
# Exports one process serves at once: each reads up to ``export.MAX_RECORDS`` records, so a burst
# of them must not take every worker thread from the other requests.
EXPORTS_AT_ONCE = 2


class Reports:
    def __init__(
        self,
        store: Store,
        host: Host,
        workflow: Workflow,
        clock_ms: Callable[[], int] = lambda: int(time.time() * 1000),
    ) -> None:
        self._store = store
        self._host = host
        self._workflow = workflow
        self._now = clock_ms
        self._running_exports = threading.BoundedSemaphore(EXPORTS_AT_ONCE)

    def stats(self, actor_id: str, days: int = stats.DEFAULT_DAYS) -> stats.Stats:
        """Per-topic statistics of the escalations created in the last ``days`` days.

        Raises:
            InvalidRequest: ``days`` out of 1..``stats.MAX_DAYS``.
            InsidersOnly: neither a system admin nor a trusted member of the escalations channel.
        """
        if not 0 < days <= stats.MAX_DAYS:
            raise InvalidRequest(f"days must be a whole number from 1 to {stats.MAX_DAYS}.")
        if not (self._host.is_system_admin(actor_id) or self._workflow.is_insider(actor_id)):
            raise InsidersOnly(
                "Only system admins and the escalations channel's members can see the statistics."
            )
        policy = self._workflow.active_policy()
        topics = [stats.TopicInfo(t.key, t.title, t.template_response) for t in policy.topics]
        now = self._now()
        rows = self._store.ledger_rows(now - days * stats.DAY_MS, now)
        return stats.compute(rows, topics, days, now)

    def export(
        self, actor_id: str, fmt: str = "csv", first: str = "", last: str = "", cursor: str = ""
    ) -> exports.Page:
        """The escalations created from the day ``first`` to the day ``last`` (``YYYY-MM-DD``,
        UTC, both included; default: the last ``stats.DEFAULT_DAYS`` days up to today) in
        ``fmt``, oldest first, from ``cursor`` on (one bounded answer; see ``export``).

        Raises:
            AdminsOnly: not a system admin (checked before anything else).
            InvalidRequest: unknown format, a malformed, reversed or too wide range, a malformed
                cursor.
            Busy: ``EXPORTS_AT_ONCE`` exports are running in this process already.
        """
        if not self._host.is_system_admin(actor_id):
            raise AdminsOnly("Only system admins can export escalations.")
        if not self._running_exports.acquire(blocking=False):
            raise Busy("Other exports are running; try again in a moment.")
        try:
            return self._export(fmt, first, last, cursor)
        finally:
            self._running_exports.release()

    def _export(self, fmt: str, first: str, last: str, cursor: str) -> exports.Page:
        if fmt not in exports.FORMATS:
            raise InvalidRequest("format must be csv or json.")
        today = datetime.fromtimestamp(self._now() / 1000, tz=timezone.utc).date()
        end = parse_day(last, "to") if last else today
        start = parse_day(first, "from") if first else end - timedelta(days=stats.DEFAULT_DAYS - 1)
        if end < start:
            raise InvalidRequest("to must not be before from.")
        if (end - start).days + 1 > EXPORT_MAX_DAYS:
            raise InvalidRequest(f"The range may span at most {EXPORT_MAX_DAYS} days.")
        after = exports.Cursor.parse(cursor) if cursor else None
        start_ms, end_ms = day_start_ms(start), day_start_ms(end + timedelta(days=1)) - 1
        order = exports.ordered(self._store.ledger_rows(start_ms, end_ms), after)
        head = {"from": start.isoformat(), "to": end.isoformat()}
        return exports.page(fmt, order, self._store.get, head)


def export_link(site_url: str, plugin_id: str, fmt: str, first: date, last: date) -> str:
    """The address of one export (``/escalation export`` answers with it)."""
    query = f"format={fmt}&from={first.isoformat()}&to={last.isoformat()}"
    return f"{site_url}/plugins/{plugin_id}/api/v1/export?{query}"


def day_start_ms(day: date) -> int:
    """Midnight UTC of ``day`` in ms."""
    moment = datetime(day.year, day.month, day.day, tzinfo=timezone.utc)
    return int(moment.timestamp() * 1000)


def parse_day(text: str, name: str) -> date:
    """A ``YYYY-MM-DD`` query value; ``InvalidRequest`` naming ``name`` otherwise."""
    try:
        if not _DAY_RE.match(text):
            raise ValueError(text)
        return date.fromisoformat(text)
    except ValueError:
        raise InvalidRequest(f"{name} must be a date as YYYY-MM-DD.") from None


def parse_days(text: str) -> int:
    """A number of days (``stats.MAX_DAYS`` at most); ``InvalidRequest`` otherwise."""
    if not _DAYS_RE.match(text) or not 0 < int(text) <= stats.MAX_DAYS:
        raise InvalidRequest(f"days must be a whole number from 1 to {stats.MAX_DAYS}.")
    return int(text)
