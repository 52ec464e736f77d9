"""Use cases only the emulator suites reached (mutation testing cannot trace those): the response
dialog, look-up by reference, who sees setup problems, the join hook, ``mine``; in-process."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import pytest

from app.test_service import World
from escalations.app.domain.errors import (
    AlreadyResolved,
    EscalationNotFound,
    InvalidRequest,
    NotAResponder,
)
from escalations.app.domain.model import REF_CHARS, Escalation, escalation_id
from escalations.app.workflow import service
from escalations.app.workflow.service import LIST_MINE, Workflow
from escalations.app.workflow.store import KVStore
from escalations.runtime.errors import PluginAPIError


@pytest.fixture
def w() -> World:
    return World()


def _escalate(w: World, by: str = "") -> Escalation:
    record, created = w.workflow.escalate(by or w.alice.id, w.post(), "licensing")
    assert created
    return record


# --- the "Resolve: responded" dialog -------------------------------------------------------------


def test_a_responder_gets_the_response_dialog_for_that_escalation(w: World) -> None:
    record = _escalate(w)
    w.workflow.ask_for_response(w.uid("jason.blais"), record.id, "trigger-1")
    (dialog,) = w.host.dialogs
    assert (dialog.trigger_id, dialog.state, dialog.title) == (
        "trigger-1",
        record.id,
        "Resolve: responded",
    )
    assert dialog.elements[0].name == "response" and dialog.elements[0].max_length == 3000


def test_the_response_dialog_is_refused_as_resolve_would_be(w: World) -> None:
    record = _escalate(w)
    with pytest.raises(NotAResponder) as outsider:
        w.workflow.ask_for_response(w.mallory.id, record.id, "t")
    assert outsider.value.public == (
        "Only the approved responders of Licensing can resolve this escalation."
    )
    with pytest.raises(NotAResponder):  # a responder of another topic
        w.workflow.ask_for_response(w.uid("chen-i.lim"), record.id, "t")
    with pytest.raises(NotAResponder):  # an id no account has
        w.workflow.ask_for_response("z" * 26, record.id, "t")
    with pytest.raises(EscalationNotFound) as unknown:
        w.workflow.ask_for_response(w.uid("jason.blais"), "nothing", "t")
    assert unknown.value.public == "Unknown escalation."
    pending = replace(record, id="p" * 26, escalation_post_id="")
    KVStore(w.kv).create_if_absent(pending)
    with pytest.raises(EscalationNotFound):
        w.workflow.ask_for_response(w.uid("jason.blais"), pending.id, "t")
    w.workflow.resolve(w.uid("jason.blais"), record.id, "no_response_needed")
    with pytest.raises(AlreadyResolved):
        w.workflow.ask_for_response(w.uid("jason.blais"), record.id, "t")
    assert w.host.dialogs == []


# --- look-up by reference ------------------------------------------------------------------------


def test_a_reference_finds_its_escalation_however_it_is_typed(w: World) -> None:
    record = _escalate(w)
    for typed in (record.ref, f"`{record.ref}`", f"  {record.ref.upper()} ", record.id):
        assert w.workflow.get_by_ref(w.uid("jason.blais"), typed) == record
    assert w.workflow.get_by_ref(w.alice.id, record.ref) == record  # its creator


def test_a_reference_is_refused_in_words(w: World) -> None:
    record = _escalate(w)
    with pytest.raises(InvalidRequest) as bad:
        w.workflow.get_by_ref(w.alice.id, "no!")
    assert bad.value.public == (
        f"Give the escalation's reference ({REF_CHARS} or more letters and digits, as "
        "`/escalation list` shows it)."
    )
    with pytest.raises(EscalationNotFound) as hidden:  # not theirs, not the policy's people
        w.workflow.get_by_ref(w.mallory.id, record.ref)
    assert hidden.value.public == f"No escalation `{record.ref}`."


def test_a_pending_escalation_has_no_reference(w: World) -> None:
    record = _escalate(w)
    pending = replace(record, id=record.id[:-1] + "2", escalation_post_id="")
    KVStore(w.kv).create_if_absent(pending)
    prefix = record.id[:-1]
    assert w.workflow.get_by_ref(w.uid("jason.blais"), prefix) == record


def test_an_ambiguous_reference_lists_longer_ones(w: World) -> None:
    record = _escalate(w)
    twin = replace(record, id=record.ref + "x" * (26 - len(record.ref)))
    KVStore(w.kv).create_if_absent(twin)
    with pytest.raises(InvalidRequest) as caught:
        w.workflow.get_by_ref(w.uid("jason.blais"), record.ref)
    n = len(record.ref) + 4
    first, second = sorted((record.id, twin.id))
    assert caught.value.public == (
        f"Several escalations start with `{record.ref}`: `{first[:n]}`, `{second[:n]}`."
    )


# --- who sees setup problems, the join hook, mine -------------------------------------------------


def test_insiders_are_trusted_members_of_the_escalations_channel(w: World) -> None:
    assert w.activated is not None
    environment = w.activated.environment
    assert environment is not None
    channel = environment.channel.id
    jason = w.uid("jason.blais")
    w.host.members.add((channel, jason))
    w.host.members.add((channel, w.mallory.id))
    assert w.workflow.is_insider(jason) is True
    assert w.workflow.is_insider(w.mallory.id) is False  # a member, not trusted
    w.host.members.discard((channel, jason))
    assert w.workflow.is_insider(jason) is False  # trusted, not a member
    w.activated = None
    assert w.workflow.is_insider(jason) is False


def test_only_a_join_of_the_escalations_channel_is_guarded(w: World) -> None:
    assert w.activated is not None
    environment = w.activated.environment
    assert environment is not None
    channel = environment.channel.id
    w.host.members.add((channel, w.mallory.id))
    w.host.members.add((w.town.id, w.mallory.id))
    w.workflow.member_joined(w.town.id, w.mallory.id, w.alice.id)
    assert (w.town.id, w.mallory.id) in w.host.members and w.host.ephemerals == []
    w.workflow.member_joined(channel, w.mallory.id, w.alice.id)
    assert (channel, w.mallory.id) not in w.host.members
    assert [(u, c) for u, c, _ in w.host.ephemerals] == [(w.alice.id, channel)]
    assert w.host.ephemerals[0][2].startswith("@mallory was removed")
    jason = w.uid("jason.blais")
    w.host.members.add((channel, jason))
    w.workflow.member_joined(channel, jason, w.alice.id)
    assert (channel, jason) in w.host.members
    w.activated = None
    w.host.members.add((channel, w.mallory.id))
    w.workflow.member_joined(channel, w.mallory.id, w.alice.id)
    assert (channel, w.mallory.id) in w.host.members


def test_mine_shows_only_what_the_actor_raised_and_is_posted(w: World) -> None:
    mine = _escalate(w)
    store = KVStore(w.kv)
    theirs = replace(mine, id="t" * 26, created_by_id=w.mallory.id)
    pending = replace(mine, id="q" * 26, escalation_post_id="")
    store.create_if_absent(theirs)
    store.create_if_absent(pending)
    store.note_escalated(w.alice.id, theirs.id)  # a list that names someone else's escalation
    store.note_escalated(w.alice.id, pending.id)
    assert w.workflow.mine(w.alice.id) == [mine]


def test_the_records_of_a_page_leave_out_what_changed_since(w: World) -> None:
    kept, resolved, pended, gone = (_escalate(w) for _ in range(4))
    jason = w.uid("jason.blais")
    page = w.workflow.list_open(jason)
    assert {s.id for s in page} >= {kept.id, resolved.id, pended.id, gone.id}
    store = KVStore(w.kv)
    w.workflow.resolve(jason, resolved.id, "no_response_needed")
    assert store.replace(pended, replace(pended, escalation_post_id=""))
    assert store.discard(gone)
    assert [r.id for r in w.workflow.open_records(page)] == [kept.id]


# --- recording the post fails ---------------------------------------------------------------------


class _Failing(KVStore):
    """``replace`` (recording the bot post) fails after ``before`` has run; ``land`` says whether
    our write landed before the failure."""

    def __init__(self, w: World, land: bool, before: Callable[[Escalation], None]) -> None:
        super().__init__(w.kv)
        self._land, self._before = land, before

    def replace(self, expected: Escalation, new: Escalation) -> bool:
        if self._land:
            super().replace(expected, new)
        self._before(new)
        raise PluginAPIError("KVCompareAndSet", "connection reset", status_code=500)


def _workflow(w: World, store: KVStore) -> Workflow:
    return Workflow(
        store,
        w.host,
        lambda: w.activated.environment if w.activated else None,
        lambda: w.activated.policy if w.activated else None,
    )


def test_a_post_whose_record_landed_after_all_is_kept(w: World) -> None:
    post_id = w.post()
    workflow = _workflow(w, _Failing(w, land=True, before=lambda new: None))
    with pytest.raises(PluginAPIError):
        workflow.escalate(w.alice.id, post_id, "licensing")
    stored = KVStore(w.kv).get(escalation_id(post_id, "licensing"))
    assert stored is not None and not stored.pending
    assert w.host.posts[stored.escalation_post_id].delete_at == 0


def test_a_post_is_abandoned_but_a_record_another_request_posted_is_kept(w: World) -> None:
    post_id = w.post()
    theirs: list[Escalation] = []

    def another_request_posts(new: Escalation) -> None:
        reserved = KVStore(w.kv).get(new.id)
        assert reserved is not None
        done = replace(reserved, version=reserved.version + 1, escalation_post_id="x" * 26)
        assert KVStore(w.kv).replace(reserved, done)
        theirs.append(done)

    workflow = _workflow(w, _Failing(w, land=False, before=another_request_posts))
    before = set(w.host.posts)
    with pytest.raises(PluginAPIError):
        workflow.escalate(w.alice.id, post_id, "licensing")
    (ours,) = set(w.host.posts) - before
    assert w.host.posts[ours].delete_at  # our post is deleted ...
    assert KVStore(w.kv).get(theirs[0].id) == theirs[0]  # ... their record stays


# --- admins and accounts that are gone ------------------------------------------------------------


def test_a_system_admin_outside_the_policy_reads_and_lists(w: World) -> None:
    record = _escalate(w)
    admin = w.host.add_user("root")
    with pytest.raises(EscalationNotFound):
        w.workflow.get(admin.id, record.id)
    w.host.admins.add(admin.id)
    assert w.workflow.get(admin.id, record.id) == record
    assert [s.id for s in w.workflow.list_open(admin.id)] == [record.id]


def test_mine_of_a_trusted_id_without_an_account_is_empty(w: World) -> None:
    _escalate(w)
    ghost = "g" * 26
    w.host.admins.add(ghost)
    assert w.workflow.list_open(ghost, view=LIST_MINE) == []
    assert len(w.workflow.list_open(ghost)) == 1


# --- resolve's response, refusals in words -------------------------------------------------------


def test_a_response_may_be_exactly_as_long_as_allowed(w: World) -> None:
    jason = w.uid("jason.blais")
    limit = service.RESPONSE_MAX_CHARS
    record = _escalate(w)
    with pytest.raises(InvalidRequest) as caught:
        w.workflow.resolve(jason, record.id, "responded", "r" * (limit + 1))
    assert caught.value.public == f"The response is longer than {limit} characters."
    done, _ = w.workflow.resolve(jason, record.id, "responded", "r" * limit)
    assert done.response == "r" * limit
    other = _escalate(w)
    done, _ = w.workflow.resolve(jason, other.id, "responded")
    assert done.response == ""


def test_acting_on_an_unknown_escalation_or_assigning_an_outsider_says_so(w: World) -> None:
    jason = w.uid("jason.blais")
    with pytest.raises(EscalationNotFound) as unknown:
        w.workflow.claim(jason, "nothing")
    assert unknown.value.public == "Unknown escalation."
    record = _escalate(w)
    with pytest.raises(InvalidRequest) as outsider:
        w.workflow.assign(jason, record.id, "@Mallory")
    assert outsider.value.public == "@mallory is not an approved responder of Licensing."


def test_a_record_without_ids_whose_topic_is_gone_is_authorised_through_the_pins(w: World) -> None:
    """Written before records kept ids: its responders' names count through the policy's pins,
    and a name the policy no longer pins counts for nobody."""
    from app.test_workflow_rules import _policy

    record = _escalate(w)
    legacy = replace(record, responder_ids=(), responders=("jason.blais", "not.pinned"))
    assert KVStore(w.kv).replace(record, legacy)
    w.activate(_policy(lambda topics: [t for t in topics if t["key"] != "licensing"]))
    with pytest.raises(NotAResponder):
        w.workflow.claim(w.uid("ian.tien"), record.id)
    claimed, changed = w.workflow.claim(w.uid("jason.blais"), record.id)
    assert changed and claimed.owner == "jason.blais"
