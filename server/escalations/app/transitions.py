"""The state transitions of an escalation, as pure functions for ``Store.transition``.

Each ``<verb>(who, ..., now)`` returns a change function: given the *currently stored* record it
returns the next version (one event appended), returns the record itself when there is nothing to
do (claiming what you already own), or raises the ``Conflict`` that explains the refusal. The store
calls it again on every compare-and-set retry, so the rule is always checked against fresh data.

    open --claim/assign--> claimed(owner) --release--> open
    open | claimed --resolve--> resolved(outcome)          (terminal)
    claimed --assign--> claimed(new owner)
"""

from __future__ import annotations

from collections.abc import Callable

from .errors import AlreadyClaimed, AlreadyResolved, NotClaimed
from .model import Action, Escalation, Event, Outcome, State

Change = Callable[[Escalation], Escalation]


def claim(who: str, now: int) -> Change:
    def change(r: Escalation) -> Escalation:
        not_resolved(r)
        if r.state is State.CLAIMED:
            if r.owner == who:
                return r
            raise AlreadyClaimed(r.owner or "?")
        return r.with_event(Event(Action.CLAIMED, who, now), state=State.CLAIMED, owner=who)

    return change


def assign(who: str, target: str, now: int) -> Change:
    def change(r: Escalation) -> Escalation:
        not_resolved(r)
        if r.state is State.CLAIMED and r.owner == target:
            return r
        event = Event(Action.ASSIGNED, who, now, target)
        return r.with_event(event, state=State.CLAIMED, owner=target)

    return change


def release(who: str, now: int) -> Change:
    def change(r: Escalation) -> Escalation:
        not_resolved(r)
        if r.state is not State.CLAIMED:
            raise NotClaimed("This escalation has no owner to release.")
        event = Event(Action.RELEASED, who, now, r.owner or "")
        return r.with_event(event, state=State.OPEN, owner=None)

    return change


def resolve(who: str, outcome: Outcome, now: int) -> Change:
    def change(r: Escalation) -> Escalation:
        not_resolved(r)
        event = Event(Action.RESOLVED, who, now, outcome.value)
        return r.with_event(event, state=State.RESOLVED, outcome=outcome)

    return change


def not_resolved(r: Escalation) -> None:
    if r.state is State.RESOLVED:
        raise AlreadyResolved("This escalation is already resolved.")
