"""State rules the table tests leave open: what a release records when nobody owned the
escalation."""

from __future__ import annotations

from dataclasses import replace

from app.test_transitions import open_record
from escalations.app.domain import transitions
from escalations.app.domain.model import Action, Event, State


def test_releasing_an_unowned_escalation_records_no_previous_owner() -> None:
    unowned = replace(open_record(), owner=None, default_owner="jason")
    released = transitions.release("ian", 7)(unowned)
    assert released.last_event == Event(Action.RELEASED, "ian", 7, "")
    assert (released.state, released.owner, released.owner_since) == (State.OPEN, "jason", 7)
