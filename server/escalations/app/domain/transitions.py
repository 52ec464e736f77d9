"""The state transitions of an escalation, as pure functions for ``Store.transition``.

Each ``<verb>(who, ..., now)`` returns a change function: given the *currently stored* record it
returns the next version (one event appended), returns the record itself when there is nothing to
do (claiming what you already own), or raises the ``Conflict`` that explains the refusal. The store
calls it again on every compare-and-set retry, so the rule is always checked against fresh data.

``open`` means the owner has not acknowledged yet, ``claimed`` that they have::

    (escalated) --> open(default owner)
    open(owner) --claim by the owner--> claimed(owner)                  acknowledges
    open(owner) --claim by another--> claimed(claimer)                  takes it over
    open | claimed --assign to oneself--> claimed(oneself)
    open | claimed --assign to another--> open(assignee)                until they acknowledge
    open | claimed --release--> open(default owner)
    open | claimed --resolve--> resolved(outcome)                       (terminal)

Claiming what someone else has already acknowledged is refused (a claim is never won twice);
handing over an acknowledged escalation is what Assign is for.
"""

from __future__ import annotations

from collections.abc import Callable

from escalations.app.domain.errors import AlreadyClaimed, AlreadyResolved, NotClaimed
from escalations.app.domain.model import Action, Escalation, Event, Outcome, State

Change = Callable[[Escalation], Escalation]


def claim(who: str, now: int) -> Change:
    def change(r: Escalation) -> Escalation:
        not_resolved(r)
        if r.acknowledged:
            if r.owner == who:
                return r
            raise AlreadyClaimed(r.owner or "?")
        if r.owner == who:
            return r.with_event(Event(Action.CLAIMED, who, now), state=State.CLAIMED)
        if r.owner is None:
            event = Event(Action.CLAIMED, who, now)
            return r.with_event(event, state=State.CLAIMED, owner=who, owner_since=now)
        event = Event(Action.TOOK_OVER, who, now, r.owner or "")
        return r.with_event(event, state=State.CLAIMED, owner=who, owner_since=now)

    return change


def assign(who: str, target: str, now: int) -> Change:
    def change(r: Escalation) -> Escalation:
        not_resolved(r)
        state = State.CLAIMED if target == who else State.OPEN
        if r.owner == target and (r.acknowledged or state is State.OPEN):
            return r
        event = Event(Action.ASSIGNED, who, now, target)
        return r.with_event(event, state=state, owner=target, owner_since=now)

    return change


def release(who: str, now: int) -> Change:
    def change(r: Escalation) -> Escalation:
        not_resolved(r)
        if not r.acknowledged and r.owner == r.default_owner:
            raise NotClaimed("This escalation is already with its default owner.")
        event = Event(Action.RELEASED, who, now, r.owner or "")
        return r.with_event(event, state=State.OPEN, owner=r.default_owner, owner_since=now)

    return change


def resolve(who: str, outcome: Outcome, now: int, response: str = "") -> Change:
    def change(r: Escalation) -> Escalation:
        not_resolved(r)
        event = Event(Action.RESOLVED, who, now, outcome.value)
        return r.with_event(event, state=State.RESOLVED, outcome=outcome, response=response)

    return change


def remind(marker: str, now: int) -> Change:
    """Record that the reminder ``marker`` is being sent (no event: reminders are not changes of
    ownership). Raises ``AlreadyResolved`` on a resolved record; a marker already recorded
    returns the record unchanged, which tells the caller someone else sent it."""

    def change(r: Escalation) -> Escalation:
        not_resolved(r)
        if marker in r.reminders:
            return r
        return r.with_changes(now, reminders=(*r.reminders, marker))

    return change


def not_resolved(r: Escalation) -> None:
    if r.state is State.RESOLVED:
        raise AlreadyResolved("This escalation is already resolved.")
