"""The state rules as pure functions: the next record, the event it logs, and the refusal (with
the words the user reads) for every state."""

from __future__ import annotations

import pytest

from escalations.app.domain import transitions
from escalations.app.domain.errors import AlreadyClaimed, AlreadyResolved, NotClaimed
from escalations.app.domain.model import Action, Escalation, Event, Outcome, State
from escalations.runtime.http import HTTPError

RESOLVED = "This escalation is already resolved."


def open_record() -> Escalation:
    return Escalation(
        id="e1",
        version=1,
        topic="licensing",
        topic_title="Licensing",
        post_id="p",
        channel_id="c",
        created_by="alice",
        created_by_id="a",
        created_at=1,
        updated_at=1,
        escalation_post_id="bot-post",
        events=(Event(Action.ESCALATED, "alice", 1),),
    )


def claimed_by(who: str) -> Escalation:
    return transitions.claim(who, 2)(open_record())


def resolved() -> Escalation:
    return transitions.resolve("bob", Outcome.RESPONDED, 3)(claimed_by("bob"))


def test_claim_of_an_open_escalation() -> None:
    r = claimed_by("bob")
    assert (r.state, r.owner, r.version, r.updated_at) == (State.CLAIMED, "bob", 2, 2)
    assert r.last_event == Event(Action.CLAIMED, "bob", 2)


def test_claim_of_ones_own_is_a_noop_and_of_anothers_is_refused() -> None:
    mine = claimed_by("bob")
    assert transitions.claim("bob", 5)(mine) is mine
    with pytest.raises(AlreadyClaimed) as caught:
        transitions.claim("carol", 5)(mine)
    assert caught.value.owner == "bob"
    assert "@bob" in caught.value.public


def test_assign_from_open_hands_it_to_the_target_who_has_to_acknowledge() -> None:
    r = transitions.assign("carol", "dave", 4)(open_record())
    assert (r.state, r.owner, r.version) == (State.OPEN, "dave", 2)
    assert r.last_event == Event(Action.ASSIGNED, "carol", 4, "dave")


def test_assign_to_oneself_acknowledges() -> None:
    r = transitions.assign("dave", "dave", 4)(open_record())
    assert (r.state, r.owner) == (State.CLAIMED, "dave")


def test_assign_to_the_owner_is_a_noop_and_to_another_moves_it() -> None:
    mine = claimed_by("bob")
    assert transitions.assign("carol", "bob", 4)(mine) is mine
    moved = transitions.assign("carol", "dave", 4)(mine)
    assert (moved.state, moved.owner) == (State.OPEN, "dave")  # dave has to acknowledge
    assert moved.last_event == Event(Action.ASSIGNED, "carol", 4, "dave")


def test_release_logs_who_released_whom() -> None:
    r = transitions.release("carol", 6)(claimed_by("bob"))
    assert (r.state, r.owner, r.version) == (State.OPEN, None, 3)
    assert r.last_event == Event(Action.RELEASED, "carol", 6, "bob")


def test_release_of_an_escalation_with_its_default_owner_is_refused() -> None:
    with pytest.raises(NotClaimed, match="^This escalation is already with its default owner.$"):
        transitions.release("carol", 6)(open_record())


@pytest.mark.parametrize("outcome", list(Outcome))
def test_resolve_from_open_or_claimed(outcome: Outcome) -> None:
    for start in (open_record(), claimed_by("bob")):
        r = transitions.resolve("carol", outcome, 7)(start)
        assert (r.state, r.outcome, r.version) == (State.RESOLVED, outcome, start.version + 1)
        assert r.last_event == Event(Action.RESOLVED, "carol", 7, outcome.value)


@pytest.mark.parametrize(
    "change",
    [
        transitions.claim("carol", 9),
        transitions.claim("bob", 9),
        transitions.assign("carol", "dave", 9),
        transitions.assign("carol", "bob", 9),
        transitions.release("bob", 9),
        transitions.resolve("carol", Outcome.NO_RESPONSE_NEEDED, 9),
    ],
    ids=["claim", "claim-own", "assign", "assign-owner", "release", "resolve"],
)
def test_a_resolved_escalation_refuses_every_change(change: transitions.Change) -> None:
    with pytest.raises(AlreadyResolved, match=f"^{RESOLVED}$"):
        change(resolved())


def test_http_error_carries_its_message_and_headers() -> None:
    err = HTTPError(405, "method not allowed", [("Allow", "GET")])
    assert str(err) == "method not allowed"
    response = err.to_response()
    assert response.status == 405
    assert response.json() == {"error": "method not allowed"}
    assert response.header("Allow") == "GET"
