"""Who may escalate, and how often: checked before anything is posted.

``WhoMayEscalate`` (a setting): ``team`` (default), members of the escalations team (the staff team
of the older policy document); ``everyone``, every user of the server. System admins always may;
guests never. The same rules hold for the HTTP API, the ``/escalation new`` dialog and its command.

The rate limit is per user and shared by every node: a sliding window of the user's escalation
times in one KV value (at most ``limit`` entries, expiring with the window), changed only by
compare-and-set. A limit of 0 turns it off.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass

from escalations.app.domain import keys
from escalations.app.domain.errors import Busy, NotAllowedToEscalate, TooManyEscalations
from escalations.app.domain.kv import KV
from escalations.app.domain.ports import Host, UserRef

WHO_TEAM = "team"
WHO_EVERYONE = "everyone"
WHO_CHOICES = (WHO_TEAM, WHO_EVERYONE)
DEFAULT_PER_HOUR = 10
# Largest limit honoured (bounds the stored list).
MAX_PER_HOUR = 100
WINDOW_MS = 3_600_000
# Compare-and-set attempts of one rate-limit take before answering "busy".
RATE_RETRIES = 5


# A user's escalation times inside the window, and the raw value they came from.
Count = tuple[list[int], bytes | None]


@dataclass(frozen=True)
class Rules:
    """The settings the gate applies (from activation)."""

    who: str = WHO_TEAM
    per_hour: int = DEFAULT_PER_HOUR
    team_id: str = ""
    team_name: str = ""


class Gate:
    def __init__(
        self,
        host: Host,
        kv: KV,
        clock_ms: Callable[[], int] = lambda: int(time.time() * 1000),
    ) -> None:
        self._host = host
        self._kv = kv
        self._now = clock_ms

    def check_allowed(
        self, rules: Rules, user_id: str, read: tuple[UserRef | None, bool | None] | None = None
    ) -> UserRef:
        """Raise ``NotAllowedToEscalate`` unless ``user_id`` may escalate at all; the user.
        ``read``: the user and ``team_member`` as the caller read them already (beside its
        other reads); a membership not read is looked up if the rules need it."""
        user, member = read if read is not None else (self._host.get_user(user_id), None)
        if user is None or not user.active or user.is_bot:
            raise NotAllowedToEscalate("Your account cannot escalate posts.")
        if user.is_guest:
            raise NotAllowedToEscalate("Guest accounts cannot escalate posts.")
        if rules.who == WHO_EVERYONE or user.is_system_admin:
            return user
        if member is None:
            member = self._host.is_team_member(rules.team_id, user_id)
        if not member:
            raise NotAllowedToEscalate(
                f"Only members of the {rules.team_name} team can escalate posts; ask one of "
                "them or a moderator."
            )
        return user

    def team_member(self, rules: Rules, user_id: str) -> bool | None:
        """Whether ``user_id`` is a member of the escalations team, if the rules ask who is
        (``None`` if they do not): read together with the user for ``check_allowed``."""
        if rules.who == WHO_EVERYONE:
            return None
        return self._host.is_team_member(rules.team_id, user_id)

    def check_rate(self, rules: Rules, user_id: str) -> None:
        """Raise ``TooManyEscalations`` if ``user_id`` has no escalation left now (takes none)."""
        if rules.per_hour > 0:
            times, _ = self._read(user_id)
            self._refuse_if_full(rules, times)

    def read_count(self, rules: Rules, user_id: str) -> Count | None:
        """The user's count as stored now, for a ``take`` a moment later (``None`` without a
        limit): read beside the request's other reads, it saves ``take`` a read of its own."""
        return self._read(user_id) if rules.per_hour > 0 else None

    def take(self, rules: Rules, user_id: str, known: Count | None = None) -> int | None:
        """Count one escalation for ``user_id``, or raise ``TooManyEscalations``; the time it
        was counted at, for ``give_back`` (``None`` without a limit). ``known``: the count as
        ``read_count`` read it; the first compare-and-set is against it, and a count changed
        meanwhile is read again."""
        if rules.per_hour <= 0:
            return None
        key = keys.rate(user_id)
        for _ in range(RATE_RETRIES):
            times, raw = known if known is not None else self._read(user_id)
            known = None
            self._refuse_if_full(rules, times)
            stamp = self._now()
            new = json.dumps([*times, stamp]).encode()
            if self._kv.compare_and_set(key, raw, new, ttl_seconds=WINDOW_MS // 1000):
                return stamp
        raise Busy("Too many escalations at once; try again.")

    def give_back(self, user_id: str, stamp: int) -> None:
        """Take back the escalation ``take`` counted at ``stamp`` (one entry; none if it expired
        meanwhile): it was counted beside a reservation that found the escalation existing."""
        key = keys.rate(user_id)
        for _ in range(RATE_RETRIES):
            times, raw = self._read(user_id)
            if stamp not in times:
                return
            times.remove(stamp)
            new = json.dumps(times).encode()
            if self._kv.compare_and_set(key, raw, new, ttl_seconds=WINDOW_MS // 1000):
                return
        raise Busy("The rate count kept changing; one escalation stays counted.")

    def _read(self, user_id: str) -> Count:
        """The user's escalation times inside the window, and the raw value they came from."""
        raw = self._kv.get(keys.rate(user_id))
        try:
            stored = json.loads(raw) if raw else []
        except ValueError:
            stored = []
        if not isinstance(stored, list):
            stored = []
        since = self._now() - WINDOW_MS
        times = [t for t in stored if isinstance(t, int) and t > since]
        return times[-MAX_PER_HOUR:], raw

    def _refuse_if_full(self, rules: Rules, times: list[int]) -> None:
        limit = min(rules.per_hour, MAX_PER_HOUR)
        if len(times) < limit:
            return
        wait_ms = times[-limit] + WINDOW_MS - self._now()
        minutes = max(1, -(-wait_ms // 60_000))
        raise TooManyEscalations(
            f"You have escalated {limit} posts in the last hour, the most allowed; you can "
            f"escalate again in {minutes} minute{'s' if minutes != 1 else ''}. If this is urgent, "
            "contact an approved responder directly."
        )
