"""State rules the table tests leave open: what a claim, a release and a resolve record on the
unusual records (no owner, an empty owner name, no response)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from app.test_transitions import open_record
from escalations.app.domain import transitions
from escalations.app.domain.errors import AlreadyClaimed
from escalations.app.domain.model import Action, Event, Outcome, State


def test_releasing_an_unowned_escalation_records_no_previous_owner() -> None:
    unowned = replace(open_record(), owner=None, default_owner="jason")
    released = transitions.release("ian", 7)(unowned)
    assert released.last_event == Event(Action.RELEASED, "ian", 7, "")
    assert (released.state, released.owner, released.owner_since) == (State.OPEN, "jason", 7)


def test_claiming_an_unowned_escalation_starts_the_claimers_ownership() -> None:
    unowned = replace(open_record(), owner=None, owner_since=0)
    claimed = transitions.claim("bob", 9)(unowned)
    assert claimed.last_event == Event(Action.CLAIMED, "bob", 9)
    assert (claimed.state, claimed.owner, claimed.owner_since) == (State.CLAIMED, "bob", 9)


def test_a_claim_refused_on_an_acknowledged_escalation_without_owner_names_nobody() -> None:
    odd = replace(open_record(), state=State.CLAIMED, owner=None)
    with pytest.raises(AlreadyClaimed) as caught:
        transitions.claim("bob", 9)(odd)
    assert caught.value.owner == "?"
    assert caught.value.public == "This escalation is already claimed by @?."


def test_taking_over_from_an_empty_owner_name_records_it_as_it_is() -> None:
    blank = replace(open_record(), owner="")
    taken = transitions.claim("bob", 9)(blank)
    assert taken.last_event == Event(Action.TOOK_OVER, "bob", 9, "")


def test_a_resolve_without_a_response_stores_none() -> None:
    resolved = transitions.resolve("bob", Outcome.NO_RESPONSE_NEEDED, 4)(open_record())
    assert resolved.response == ""
    assert resolved.last_event == Event(Action.RESOLVED, "bob", 4, "no_response_needed")
