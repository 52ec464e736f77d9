"""Reminders: nothing falls through.

Four reminders, each sent at most once per escalation (per owner, for the first two):

1. ``ack``: the owner has not acknowledged it ``ack_minutes`` after getting it -> a direct message
   to the owner.
2. ``next``: still not acknowledged ``next_minutes`` later -> the next approved responder (after
   the owner, in the policy's order) is mentioned in the escalation's thread.
3. ``stale-owner``: still open ``stale_days`` after it was escalated -> a direct message to the
   owner.
4. ``stale-all``: still open another ``stale_days`` later -> all approved responders are mentioned
   in the thread.

``due`` decides from an index summary (pure). ``Reminders.send_due`` writes the reminder's marker
into the record with compare-and-set *before* sending, deciding again on the fresh record; only the
writer whose compare-and-set lands sends. So two nodes sweeping at once still send each reminder
once, and a node that dies after recording and before sending loses that one reminder rather than
sending it twice.
"""

from __future__ import annotations

import enum
import logging
from collections.abc import Callable
from dataclasses import dataclass

from escalations.app.domain import transitions
from escalations.app.domain.errors import WorkflowError
from escalations.app.domain.model import Escalation
from escalations.app.domain.ports import Host
from escalations.app.workflow import outreach
from escalations.app.workflow.index import Summary
from escalations.app.workflow.service import Environment
from escalations.app.workflow.store import Store

log = logging.getLogger(__name__)

MINUTE_MS = 60_000
DAY_MS = 24 * 60 * MINUTE_MS


@dataclass(frozen=True)
class ScheduleSettings:
    """The scheduled jobs' intervals (reminders, retention); 0 turns that job off."""

    ack_minutes: float = 60.0
    next_minutes: float = 120.0
    stale_days: float = 3.0
    # Resolved escalations older than this are compacted (``Escalation.compact``).
    retention_days: float = 365.0

    def shortest_seconds(self) -> float:
        """The shortest interval switched on (the scheduler checks several times within it)."""
        spans = [self.ack_minutes * 60, self.next_minutes * 60, self.stale_days * 86_400]
        on = [s for s in spans if s > 0]
        return min(on) if on else 0.0


class Kind(str, enum.Enum):
    ACK = "ack"
    NEXT = "next"
    STALE_OWNER = "stale-owner"
    STALE_ALL = "stale-all"


@dataclass(frozen=True)
class Reminder:
    kind: Kind
    marker: str  # what the record keeps; includes owner_since for per-owner reminders


def due(s: Summary, settings: ScheduleSettings, now: int) -> list[Reminder]:
    """The reminders ``s`` should have had by ``now`` and has not (pure)."""
    found: list[Reminder] = []
    ack_at = s.owner_since + int(settings.ack_minutes * MINUTE_MS)
    if s.owner and not s.acknowledged and settings.ack_minutes > 0:
        if now >= ack_at:
            found.append(Reminder(Kind.ACK, f"{Kind.ACK.value}:{s.owner_since}"))
        next_at = ack_at + int(settings.next_minutes * MINUTE_MS)
        if settings.next_minutes > 0 and now >= next_at and _next_responder(s):
            found.append(Reminder(Kind.NEXT, f"{Kind.NEXT.value}:{s.owner_since}"))
    if settings.stale_days > 0:
        stale_at = s.created_at + int(settings.stale_days * DAY_MS)
        if now >= stale_at and s.owner:
            found.append(Reminder(Kind.STALE_OWNER, Kind.STALE_OWNER.value))
        if now >= stale_at + int(settings.stale_days * DAY_MS):
            found.append(Reminder(Kind.STALE_ALL, Kind.STALE_ALL.value))
    return [r for r in found if r.marker not in s.reminders]


def _next_responder(s: Summary) -> str | None:
    """The approved responder after the owner, in the policy's order (wrapping round)."""
    others = list(s.responders)
    if s.owner in others:
        at = others.index(s.owner)
        others = others[at + 1 :] + others[:at]
    return others[0] if others else None


class Reminders:
    def __init__(
        self,
        store: Store,
        host: Host,
        clock_ms: Callable[[], int],
    ) -> None:
        self._store = store
        self._host = host
        self._now = clock_ms

    def send_due(
        self, env: Environment, settings: ScheduleSettings, keep_going: Callable[[], bool]
    ) -> int:
        """Send every due reminder; returns how many this call sent. ``keep_going`` is asked
        before each one (the scheduler stops when it has lost its lease)."""
        sent = 0
        now = self._now()
        for summary in self._store.list_open():
            for reminder in due(summary, settings, now):
                if not keep_going():
                    return sent
                sent += self._send_one(env, settings, summary.id, reminder)
        return sent

    def _send_one(
        self, env: Environment, settings: ScheduleSettings, esc_id: str, reminder: Reminder
    ) -> int:
        record = self._record(esc_id, settings, reminder)
        if record is None:
            return 0
        try:
            self._deliver(env, settings, record, reminder)
        except Exception:  # recorded, so not retried: one lost reminder, never a double
            log.exception("reminder %s of %s could not be sent", reminder.marker, esc_id)
        return 1

    def _record(
        self, esc_id: str, settings: ScheduleSettings, reminder: Reminder
    ) -> Escalation | None:
        """Write the marker if the reminder is still due on the stored record; the record if
        this call wrote it, else ``None``."""
        now = self._now()
        mark = transitions.remind(reminder.marker, now)
        wrote: list[bool] = []

        def change(r: Escalation) -> Escalation:
            still_due = reminder in due(Summary.of(r), settings, now)
            result = mark(r) if still_due and not r.resolved and not r.pending else r
            wrote[:] = [result is not r]
            return result

        try:
            updated = self._store.transition(esc_id, change)
        except WorkflowError:
            return None  # gone, resolved or busy: nothing to remind of now
        return updated if wrote == [True] else None

    def _deliver(
        self, env: Environment, settings: ScheduleSettings, r: Escalation, reminder: Reminder
    ) -> None:
        if reminder.kind in (Kind.ACK, Kind.STALE_OWNER):
            owner = self._host.get_users_by_usernames([r.owner or ""])
            if owner:
                text = _owner_text(r, reminder.kind, settings)
                outreach.direct_message(self._host, env.bot_user_id, owner[0].id, text)
            return
        if reminder.kind is Kind.NEXT:
            target = _next_responder(Summary.of(r))
            text = (
                f"@{target}: the owner `@{r.owner}` has not acknowledged this escalation for "
                f"{_span_minutes(settings.ack_minutes + settings.next_minutes)}. Please Claim it "
                "(you become its owner) or Assign it."
            )
        else:
            everyone = " ".join(f"@{u}" for u in r.responders)
            text = (
                f"{everyone}: this escalation has been open for "
                f"{_span_days(2 * settings.stale_days)}. Please resolve it, or Assign it to "
                "someone who will."
            )
        self._host.create_post(
            r.escalation_channel_id, env.bot_user_id, text, {}, r.escalation_post_id
        )


def _owner_text(r: Escalation, kind: Kind, settings: ScheduleSettings) -> str:
    if kind is Kind.ACK:
        return (
            f"Reminder: the **{r.topic_title}** escalation is yours and waits for you to "
            f"acknowledge it ({_span_minutes(settings.ack_minutes)} so far): {r.permalink}\n"
            "Claim it to acknowledge, or Assign it to another approved responder."
        )
    return (
        f"Reminder: the **{r.topic_title}** escalation you own has been open for "
        f"{_span_days(settings.stale_days)}: {r.permalink}"
    )


def _span_minutes(minutes: float) -> str:
    if minutes >= 120:
        return f"{minutes / 60:g} hours"
    return f"{minutes:g} minutes"


def _span_days(days: float) -> str:
    return f"{days:g} days"
