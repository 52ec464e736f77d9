"""Workflow rules the other suites left untested: authorization after a policy change, changes
after resolve, pending reservations, unknown outcomes, and which posts cannot be escalated."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import pytest
import yaml

from app.test_service import ROOT, World
from escalations.app.domain import keys
from escalations.app.domain.errors import (
    AlreadyResolved,
    Busy,
    EscalationNotFound,
    InvalidAssignee,
    InvalidRequest,
    NotAResponder,
    NotEscalatable,
)
from escalations.app.domain.kv import KV
from escalations.app.domain.model import Escalation, State, escalation_id
from escalations.app.views import render
from escalations.app.workflow import service
from escalations.app.workflow.store import KVStore

NEWER = (ROOT / "policy" / "community-response.yaml").read_text()


def _policy(change_topics: Callable[[list[dict[str, Any]]], list[dict[str, Any]]]) -> str:
    data = yaml.safe_load(NEWER)
    data["topics"] = change_topics(data["topics"])
    data["version"] = "test-changed"
    return yaml.safe_dump(data, sort_keys=False)


def _licensing_answered_by(role: str) -> str:
    def change(topics: list[dict[str, object]]) -> list[dict[str, object]]:
        for topic in topics:
            if topic["key"] == "licensing":
                topic["approved_responders"] = [role]
        return topics

    return _policy(change)


@pytest.fixture
def w() -> World:
    return World()


def _escalate(w: World) -> Escalation:
    record, created = w.workflow.escalate(w.alice.id, w.post(), "licensing")
    assert created and record.responders == ("jason.blais", "ian.tien")
    return record


def _stored(w: World, esc_id: str) -> Escalation:
    stored = KVStore(w.kv).get(esc_id)
    assert stored is not None
    return stored


# --- authorization follows the active policy --------------------------------------------------


def test_a_responder_removed_from_the_policy_can_no_longer_act(w: World) -> None:
    record = _escalate(w)
    w.activate(_licensing_answered_by("VP Legal"))
    assert w.activated is not None and w.activated.policy.origin == "override"
    acts: tuple[Callable[[], object], ...] = (
        lambda: w.workflow.claim(w.uid("jason.blais"), record.id),
        lambda: w.workflow.resolve(w.uid("ian.tien"), record.id, "responded"),
    )
    for act in acts:
        with pytest.raises(NotAResponder):
            act()
    assert _stored(w, record.id).version == record.version
    with pytest.raises(InvalidAssignee):  # nor be chosen as the owner
        w.workflow.assign(w.uid("nirosha.ruwan"), record.id, "jason.blais")


def test_a_responder_added_to_the_policy_can_act(w: World) -> None:
    record = _escalate(w)
    with pytest.raises(NotAResponder):
        w.workflow.claim(w.uid("nirosha.ruwan"), record.id)
    w.activate(_licensing_answered_by("VP Legal"))
    claimed, changed = w.workflow.claim(w.uid("nirosha.ruwan"), record.id)
    assert changed and claimed.owner == "nirosha.ruwan"
    # the post now offers the new responders as owners
    post = w.host.posts[record.escalation_post_id]
    assert "nirosha.ruwan" in str(post.props["attachments"])


def test_a_topic_removed_from_the_policy_keeps_its_stored_responders(w: World) -> None:
    record = _escalate(w)
    w.activate(_policy(lambda topics: [t for t in topics if t["key"] != "licensing"]))
    assert w.activated is not None and w.activated.policy.topic("licensing") is None
    with pytest.raises(NotAResponder):
        w.workflow.claim(w.uid("nirosha.ruwan"), record.id)
    claimed, changed = w.workflow.claim(w.uid("jason.blais"), record.id)
    assert changed and claimed.owner == "jason.blais"


# --- nothing changes a resolved escalation ----------------------------------------------------


@pytest.mark.parametrize("verb", ["claim", "assign", "release", "resolve"])
def test_nothing_changes_after_resolve(w: World, verb: str) -> None:
    record = _escalate(w)
    jason, ian = w.uid("jason.blais"), w.uid("ian.tien")
    w.workflow.claim(jason, record.id)
    resolved, _ = w.workflow.resolve(jason, record.id, "responded")
    posts = dict(w.host.posts)
    acts = {
        "claim": lambda: w.workflow.claim(ian, record.id),
        "assign": lambda: w.workflow.assign(ian, record.id, "ian.tien"),
        "release": lambda: w.workflow.release(jason, record.id),
        "resolve": lambda: w.workflow.resolve(ian, record.id, "no_response_needed"),
    }
    with pytest.raises(AlreadyResolved):
        acts[verb]()
    assert _stored(w, record.id) == resolved
    assert w.host.posts == posts


def test_assign_of_the_current_owner_changes_nothing(w: World) -> None:
    record = _escalate(w)
    claimed, _ = w.workflow.claim(w.uid("jason.blais"), record.id)
    same, changed = w.workflow.assign(w.uid("ian.tien"), record.id, "@Jason.Blais ")
    assert not changed and same == claimed


def test_an_unknown_outcome_is_refused(w: World) -> None:
    record = _escalate(w)
    with pytest.raises(InvalidRequest, match="Unknown outcome"):
        w.workflow.resolve(w.uid("jason.blais"), record.id, "ignored")
    assert _stored(w, record.id) == record


# --- pending reservations -----------------------------------------------------------------------


def reserve_pending(
    kv: KV, template: Escalation, post_id: str, now: int, **changes: Any
) -> Escalation:
    """Store what a concurrent creator stores before its post exists (a pending record): a
    copy of ``template`` for ``post_id`` under licensing, made at ``now``, without its post."""
    pending = replace(
        template,
        id=escalation_id(post_id, "licensing"),
        post_id=post_id,
        escalation_post_id="",
        permalink="",
        created_at=now,
        updated_at=now,
        **changes,
    )
    stored, created = KVStore(kv).create_if_absent(pending)
    assert created
    return stored


def _reserve(w: World, post_id: str, age_ms: int = 0) -> Escalation:
    return reserve_pending(w.kv, _escalate(w), post_id, int(time.time() * 1000) - age_ms)


@pytest.mark.parametrize("verb", ["claim", "release", "resolve"])
def test_a_pending_escalation_cannot_be_acted_on(w: World, verb: str) -> None:
    pending = _reserve(w, w.post())
    jason = w.uid("jason.blais")
    acts = {
        "claim": lambda: w.workflow.claim(jason, pending.id),
        "release": lambda: w.workflow.release(jason, pending.id),
        "resolve": lambda: w.workflow.resolve(jason, pending.id, "responded"),
    }
    with pytest.raises(EscalationNotFound):
        acts[verb]()
    with pytest.raises(EscalationNotFound):
        w.workflow.claim(jason, "x" * 26)
    assert _stored(w, pending.id) == pending


def test_a_duplicate_waits_for_the_creator_to_finish(w: World) -> None:
    post_id = w.post()
    pending = _reserve(w, post_id)
    store = KVStore(w.kv)
    before = len(w.host.posts)

    def creator_finishes() -> None:
        time.sleep(0.3)
        store.transition(
            pending.id, lambda r: r.with_changes(r.updated_at, escalation_post_id="theirs")
        )

    finisher = threading.Thread(target=creator_finishes)
    finisher.start()
    started = time.monotonic()
    try:
        record, created = w.workflow.escalate(w.alice.id, post_id, "licensing")
    finally:
        finisher.join()
    assert not created and record.escalation_post_id == "theirs"
    assert time.monotonic() - started >= 0.25
    assert len(w.host.posts) == before  # nothing posted twice


def test_a_duplicate_gives_up_while_the_creator_is_still_busy(
    w: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(service, "PENDING_WAIT_SECONDS", 0.3)
    post_id = w.post()
    pending = _reserve(w, post_id)
    before = len(w.host.posts)
    started = time.monotonic()
    with pytest.raises(Busy):
        w.workflow.escalate(w.alice.id, post_id, "licensing")
    assert 0.25 <= time.monotonic() - started < 3
    assert _stored(w, pending.id) == pending and len(w.host.posts) == before


def test_a_reservation_discarded_while_waiting_is_busy(w: World) -> None:
    post_id = w.post()
    pending = _reserve(w, post_id)

    def creator_gives_up() -> None:
        time.sleep(0.2)
        assert KVStore(w.kv).discard(pending)

    quitter = threading.Thread(target=creator_gives_up)
    quitter.start()
    try:
        with pytest.raises(Busy):
            w.workflow.escalate(w.alice.id, post_id, "licensing")
    finally:
        quitter.join()


def test_a_fresh_reservation_is_not_taken_over(w: World, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(service, "PENDING_WAIT_SECONDS", 0.2)
    post_id = w.post()
    _reserve(w, post_id, age_ms=service.PENDING_STALE_MS // 2)
    with pytest.raises(Busy):
        w.workflow.escalate(w.alice.id, post_id, "licensing")


# --- which posts are escalations themselves ----------------------------------------------------


def test_the_bot_post_in_the_escalations_channel_is_refused(w: World) -> None:
    record = _escalate(w)
    with pytest.raises(NotEscalatable):
        w.workflow.escalate(w.uid("ian.tien"), record.escalation_post_id, "packaging")


def test_the_escalation_post_and_its_thread_are_refused(w: World) -> None:
    """What makes a post ours is its author (the bot) and a record pointing to it (as the post
    or the root of the thread), not the marker prop alone."""
    record, _ = w.workflow.escalate(w.alice.id, w.post(), "licensing")
    w.host.members.add((record.escalation_channel_id, w.alice.id))
    replies = [p for p in w.host.posts.values() if p.root_id == record.escalation_post_id]
    for post_id in (record.escalation_post_id, *(p.id for p in replies)):
        with pytest.raises(NotEscalatable):
            w.workflow.escalate(w.alice.id, post_id, "licensing")
        with pytest.raises(NotEscalatable):
            w.workflow.check_escalatable(w.alice.id, post_id)


def test_a_users_post_with_our_marker_may_be_escalated(w: World) -> None:
    post = w.host.add_post(w.town, w.alice, "copied")
    w.host.posts[post.id] = replace(post, props={render.ESCALATION_PROP: "e"})
    w.workflow.check_escalatable(w.alice.id, post.id)
    record, created = w.workflow.escalate(w.alice.id, post.id, "licensing")
    assert created and record.post_id == post.id


def test_other_posts_of_the_bot_or_the_channel_may_be_escalated(w: World) -> None:
    assert w.activated is not None and w.activated.environment is not None
    env = w.activated.environment
    bot = w.host.users[env.bot_user_id]
    elsewhere = w.host.add_post(w.town, bot, "a bot post outside the escalations channel")
    record, created = w.workflow.escalate(w.alice.id, elsewhere.id, "licensing")
    assert created and record.state is State.OPEN
    w.host.members.add((env.channel.id, w.alice.id))
    human = w.host.add_post(env.channel, w.alice, "a person writing in the escalations channel")
    w.workflow.check_escalatable(w.alice.id, human.id)
    record, created = w.workflow.escalate(w.alice.id, human.id, "licensing")
    assert created and record.post_id == human.id


def test_a_pending_escalation_is_hidden_even_from_its_creator(w: World) -> None:
    pending = _reserve(w, w.post())
    assert pending.created_by_id == w.alice.id
    with pytest.raises(EscalationNotFound, match="^Unknown escalation.$"):
        w.workflow.get(w.alice.id, pending.id)
    with pytest.raises(EscalationNotFound, match="^Unknown escalation.$"):
        w.workflow.get(w.alice.id, "x" * 26)


def test_only_the_policys_people_list() -> None:
    w = World()
    message = "^Only the people of the escalation policy can list escalations.$"
    with pytest.raises(NotAResponder, match=message):
        w.workflow.list_open(w.mallory.id)


def test_a_stale_reservation_taken_over_by_another_node_meanwhile_is_busy(w: World) -> None:
    """Two requests find the same stale reservation; the other one refreshes it first. Ours must
    not take it over a second time (that would post twice)."""
    post_id = w.post()
    stale = _reserve(w, post_id, age_ms=2 * service.PENDING_STALE_MS)
    key = keys.escalation(stale.id)
    reads_after_insert: list[int] = []  # reads of the record since our insert attempt failed
    original_get, original_cas = w.kv.get, w.kv.compare_and_set

    def compare_and_set(k: str, old: bytes | None, new: bytes | None, ttl: int = 0) -> bool:
        ok = original_cas(k, old, new, ttl)
        if k == key and old is None and not ok:
            reads_after_insert.append(0)
        return ok

    def get(k: str) -> bytes | None:
        if k == key and reads_after_insert:
            reads_after_insert.append(0)
            # The first read finds the stale holder; the next is our take-over's own read:
            # the other request lands right before it.
            if len(reads_after_insert) == 3:
                other = stale.with_changes(int(time.time() * 1000))
                assert w.kv.compare_and_set(key, stale.to_json(), other.to_json())
        return original_get(k)

    # a KV that another node writes to meanwhile
    w.kv.get = get  # type: ignore[method-assign,assignment]
    w.kv.compare_and_set = compare_and_set  # type: ignore[method-assign,assignment]
    roots = len([p for p in w.host.posts.values() if not p.root_id])
    started = time.monotonic()
    with pytest.raises(Busy, match="^The escalation is being created; try again.$"):
        w.workflow.escalate(w.alice.id, post_id, "licensing")
    # refused by the take-over itself, not after waiting for the other request to post
    assert time.monotonic() - started < service.PENDING_WAIT_SECONDS
    assert len(reads_after_insert) >= 3
    assert len([p for p in w.host.posts.values() if not p.root_id]) == roots
    current = KVStore(w.kv).get(stale.id)
    assert current is not None and current.pending and current.version == stale.version + 1


# --- the words each refusal uses, and who each event names ---------------------------------------


@pytest.mark.parametrize("verb", ["claim", "assign", "release", "resolve"])
def test_a_non_responder_is_told_which_action_was_refused(w: World, verb: str) -> None:
    record = _escalate(w)
    acts = {
        "claim": lambda: w.workflow.claim(w.mallory.id, record.id),
        "assign": lambda: w.workflow.assign(w.mallory.id, record.id, "jason.blais"),
        "release": lambda: w.workflow.release(w.mallory.id, record.id),
        "resolve": lambda: w.workflow.resolve(w.mallory.id, record.id, "responded"),
    }
    with pytest.raises(NotAResponder) as caught:
        acts[verb]()
    assert caught.value.public == (
        f"Only the approved responders of Licensing can {verb} this escalation."
    )


def test_an_empty_assignee_is_refused_with_a_request_to_choose(w: World) -> None:
    record = _escalate(w)
    with pytest.raises(InvalidAssignee, match="^Choose an owner.$"):
        w.workflow.assign(w.uid("ian.tien"), record.id, " @ ")
    assert _stored(w, record.id) == record


def test_a_button_of_another_post_is_refused_in_words(w: World) -> None:
    record = _escalate(w)
    message = "^This is not an escalation post of Community Escalations.$"
    with pytest.raises(EscalationNotFound, match=message):
        w.workflow.get_for_action(record.id, "x" * 26)
    with pytest.raises(EscalationNotFound, match=message):
        w.workflow.get_for_action("", record.escalation_post_id)


def test_each_event_names_the_responder_who_acted(w: World) -> None:
    record = _escalate(w)
    jason, ian = w.uid("jason.blais"), w.uid("ian.tien")
    w.workflow.claim(jason, record.id)
    released, _ = w.workflow.release(ian, record.id)
    event = released.last_event
    assert event is not None and (event.who, event.detail) == ("ian.tien", "jason.blais")
    resolved, _ = w.workflow.resolve(jason, record.id, "responded")
    event = resolved.last_event
    assert event is not None and (event.who, event.detail) == ("jason.blais", "responded")


def test_busy_duplicates_are_told_to_try_again(w: World, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(service, "PENDING_WAIT_SECONDS", 0.1)
    post_id = w.post()
    _reserve(w, post_id)
    with pytest.raises(Busy, match="^The escalation is being created; try again.$"):
        w.workflow.escalate(w.alice.id, post_id, "licensing")


def _sample_json() -> bytes:
    w = World()
    return _escalate(w).to_json()
