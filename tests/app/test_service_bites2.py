"""The workflow's duties around a change, in-process with a clock the test moves: a change cut
before it was shown is repaired once it is stale (and only once), a button's answer is marked
shown only after the check that follows it, a press reads the record once, what a repeated or
taken-over escalation answers, the events' payload and the escalator's confirmation, word for
word. (The emulator suites reach most of this through a plugin process, which mutation testing
cannot trace.)"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import Any

import pytest

from app.test_button_answer import ManualLater
from app.test_service import World
from app.test_workflow_rules import _policy, reserve_pending
from escalations.app.domain import keys, redact, transitions
from escalations.app.domain.errors import (
    AlreadyEscalated,
    AlreadyResolved,
    Busy,
    CannotReadPost,
    NotEscalatable,
)
from escalations.app.domain.kv import MemoryKV
from escalations.app.domain.links import CheckedLink, LinkRequest
from escalations.app.domain.model import Escalation
from escalations.app.domain.ports import PostRef
from escalations.app.views import render, sentences
from escalations.app.workflow import service
from escalations.app.workflow.activation import Activator, Settings
from escalations.app.workflow.once import CHANGE_PROP
from escalations.app.workflow.responses import ResponseEntry, ResponseLog
from escalations.app.workflow.service import PENDING_STALE_MS, Workflow
from escalations.app.workflow.store import KVStore

JASON, IAN = "jason.blais", "ian.tien"


class CountingKV:
    """The in-memory KV, counting the reads per key and the writes."""

    def __init__(self, kv: MemoryKV) -> None:
        self._kv = kv
        self.reads: Counter[str] = Counter()
        self.writes = 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self._kv, name)

    def get(self, key: str) -> bytes | None:
        self.reads[key] += 1
        return self._kv.get(key)

    def compare_and_set(self, key: str, old: bytes | None, new: bytes | None) -> bool:
        self.writes += 1
        return self._kv.compare_and_set(key, old, new)


class Rig:
    """A configured world whose workflow runs on a clock the test moves, keeps the check after a
    button's answer until the test runs it, and a host that remembers when each post was made
    (``posts_since`` honours its bound) and who sent what."""

    def __init__(self) -> None:
        self.w = World()
        self.now = int(time.time() * 1000)
        self.later = ManualLater()
        self.kv = CountingKV(self.w.kv)
        self.store = KVStore(self.kv)  # type: ignore[arg-type]
        self.made: dict[str, int] = {}
        self.updates: list[tuple[str, str, str]] = []
        self.senders: list[str] = []
        self._wrap_host()
        self.workflow = Workflow(
            self.store,
            self.w.host,
            lambda: self.w.activated.environment,
            lambda: self.w.activated.policy,
            clock_ms=lambda: self.now,
            later=self.later,
            responses=ResponseLog(self.w.kv),
        )

    def _wrap_host(self) -> None:
        host = self.w.host
        create, update, ephemeral = host.create_post, host.update_post, host.send_ephemeral

        def create_post(
            channel_id: str, user_id: str, message: str, props: Mapping[str, Any], root_id: str
        ) -> str:
            post_id = create(channel_id, user_id, message, props, root_id)
            self.made[post_id] = self.now
            return post_id

        def posts_since(channel_id: str, since_ms: int) -> list[PostRef]:
            return [
                p
                for p in host.posts.values()
                if p.channel_id == channel_id and self.made.get(p.id, 0) >= since_ms
            ]

        def update_post(
            post_id: str, channel_id: str, user_id: str, message: str, props: Mapping[str, Any]
        ) -> None:
            self.updates.append((post_id, channel_id, user_id))
            update(post_id, channel_id, user_id, message, props)

        def send_ephemeral(user_id: str, channel_id: str, message: str, sender_id: str) -> None:
            self.senders.append(sender_id)
            ephemeral(user_id, channel_id, message, sender_id)

        host.create_post = create_post  # type: ignore[method-assign]
        host.posts_since = posts_since  # type: ignore[method-assign]
        host.update_post = update_post  # type: ignore[method-assign]
        host.send_ephemeral = send_ephemeral  # type: ignore[method-assign]

    @property
    def bot(self) -> str:
        return self.w.env.bot_user_id

    def uid(self, name: str) -> str:
        return self.w.uid(name)

    def escalate(self, message: str = "hello", by: str = "") -> Escalation:
        record, created = self.workflow.escalate(
            by or self.w.alice.id, self.w.post(message), "licensing"
        )
        assert created
        return record

    def other_node(self) -> Workflow:
        """The workflow of a second plugin process: the same KV, server and clock, a store of
        its own (no copy of any record yet)."""
        return Workflow(
            KVStore(self.kv),  # type: ignore[arg-type]
            self.w.host,
            lambda: self.w.activated.environment,
            lambda: self.w.activated.policy,
            clock_ms=lambda: self.now,
            later=self.later,
        )

    def stored(self, esc_id: str) -> Escalation:
        record = KVStore(self.w.kv).get(esc_id)
        assert record is not None
        return record

    def replies(self, record: Escalation) -> list[PostRef]:
        return [p for p in self.w.host.posts.values() if p.root_id == record.escalation_post_id]

    def message(self, record: Escalation) -> str:
        return self.w.host.posts[record.escalation_post_id].message

    def shown(self, record: Escalation) -> str:
        """The escalation post's message for ``record``."""
        return render.escalation_post(record, record.responders)[0]


def _cut_claim(rig: Rig, record: Escalation, by: str = JASON) -> Escalation:
    """A claim that landed while the request that made it died before showing it."""

    def change(r: Escalation) -> Escalation:
        claimed = transitions.claim(by, rig.now)(r)
        return replace(claimed, unannounced=claimed.version)

    return KVStore(rig.w.kv).transition(record.id, change)


# --- a change cut before it was shown -----------------------------------------------------------


READERS: dict[str, Callable[[Rig, Escalation], object]] = {
    "get": lambda rig, r: rig.workflow.get(rig.uid(JASON), r.id),
    "get_by_ref": lambda rig, r: rig.workflow.get_by_ref(rig.uid(JASON), r.ref),
    "get_for_action": lambda rig, r: rig.other_node().get_for_action(r.id, r.escalation_post_id),
    "a press": lambda rig, r: rig.workflow.claim(rig.uid(JASON), r.id),
    # A button: the press decides on this node's copy of the record, older than the cut change.
    "a button": lambda rig, r: rig.workflow.claim(
        rig.uid(JASON),
        r.id,
        known=rig.workflow.get_for_action(r.id, r.escalation_post_id),
        answer=True,
    ),
}


@pytest.mark.parametrize("reader", list(READERS))
def test_a_cut_change_is_shown_once_by_the_first_read_after_it_went_stale(reader: str) -> None:
    rig = Rig()
    record = rig.escalate()
    cut = _cut_claim(rig, record)
    posted = rig.message(record)
    read = READERS[reader]
    rig.now += PENDING_STALE_MS  # not stale yet: its request may still be at work
    read(rig, record)
    assert rig.replies(record) == [] and rig.message(record) == posted
    assert rig.stored(record.id) == cut
    rig.now += 1
    events = len(rig.w.host.events)
    read(rig, record)
    stored = rig.stored(record.id)
    assert stored.unannounced == 0 and stored.updated_at == rig.now
    assert stored.version == cut.version + 1 and stored.events == cut.events
    (reply,) = rig.replies(record)
    assert reply.message == sentences.thread_reply(cut) and reply.user_id == rig.bot
    assert reply.props[CHANGE_PROP] == f"{record.id}:{cut.version}"
    assert reply.props[render.ESCALATION_PROP] == record.id
    assert rig.message(record) == rig.shown(stored)
    assert [e[1]["state"] for e in rig.w.host.events[events:]] == ["claimed", "claimed"]
    read(rig, record)
    rig.now += 10 * PENDING_STALE_MS
    read(rig, record)  # shown: nothing is owed any more
    assert len(rig.replies(record)) == 1 and rig.stored(record.id) == stored


def test_a_repair_lease_taken_exactly_the_limit_ago_is_still_held() -> None:
    rig = Rig()
    record = rig.escalate()
    cut = _cut_claim(rig, record)
    rig.now += PENDING_STALE_MS + 1
    # Another request took the duty over (refreshed the record) and is at work.
    leased = KVStore(rig.w.kv).transition(record.id, lambda r: r.with_changes(rig.now))
    rig.now += PENDING_STALE_MS
    # A press that read the record before the lease was taken.
    again, changed = rig.workflow.claim(rig.uid(JASON), record.id, known=cut)
    assert not changed and again == leased
    assert rig.replies(record) == [] and rig.stored(record.id) == leased


def test_a_read_of_a_record_that_owes_nothing_changes_nothing() -> None:
    rig = Rig()
    record = rig.escalate()
    rig.now += 100 * PENDING_STALE_MS
    for reader in ("get", "get_by_ref", "get_for_action"):
        READERS[reader](rig, record)
    assert rig.stored(record.id) == record and rig.replies(record) == []


def test_a_repair_does_not_repeat_what_the_cut_request_had_posted() -> None:
    rig = Rig()
    record = rig.escalate()
    alice = rig.w.alice.id
    claimed, changed = rig.workflow.claim(rig.uid(JASON), record.id, answer=True)
    assert changed and claimed.unannounced == claimed.version
    # The reply and the direct message were made; the answer (the post's new look) never went
    # out, and the check after it never ran.
    assert len(rig.replies(record)) == 1
    dms = list(rig.w.host.direct_posts(alice))
    assert len(dms) == 1
    rig.now += 10 * 60_000  # long after: more than the clock skew allowed for
    rig.workflow.get(rig.uid(JASON), record.id)
    assert len(rig.replies(record)) == 1 and rig.w.host.direct_posts(alice) == dms
    stored = rig.stored(record.id)
    assert stored.unannounced == 0 and rig.message(record) == rig.shown(stored)


def test_a_copy_still_owed_of_a_change_since_shown_is_not_repaired_again() -> None:
    rig = Rig()
    record = rig.escalate()
    claimed, _ = rig.workflow.claim(rig.uid(JASON), record.id, answer=True)
    rig.workflow.post_edit(claimed)
    rig.later.run_all()
    shown = rig.stored(record.id)
    assert shown.unannounced == 0
    rig.now += 10 * 60_000
    # A press that read the record before the check cleared it, long ago.
    again, changed = rig.workflow.claim(rig.uid(JASON), record.id, known=claimed)
    assert not changed and again == shown
    assert len(rig.replies(record)) == 1 and rig.stored(record.id) == shown


def test_without_configuration_a_press_reads_the_record_without_repairing_it() -> None:
    rig = Rig()
    record = rig.escalate()
    cut = _cut_claim(rig, record)
    rig.now += 2 * PENDING_STALE_MS
    workflow = Workflow(
        KVStore(rig.kv),  # type: ignore[arg-type]
        rig.w.host,
        lambda: None,
        lambda: rig.w.activated.policy,
        clock_ms=lambda: rig.now,
        later=rig.later,
    )
    assert workflow.get_for_action(record.id, record.escalation_post_id) == cut
    assert rig.stored(record.id) == cut and rig.replies(record) == []


# --- a button's answer and the check after it -----------------------------------------------------


def test_an_answered_change_is_owed_until_the_check_after_the_answer() -> None:
    rig = Rig()
    record = rig.escalate()
    posted = rig.message(record)
    claimed, changed = rig.workflow.claim(rig.uid(JASON), record.id, answer=True)
    assert changed and claimed.unannounced == claimed.version
    assert rig.workflow.post_edit(claimed) == render.escalation_post(claimed, claimed.responders)
    assert rig.message(record) == posted and rig.updates == []  # the answer carries the edit
    assert rig.stored(record.id).unannounced == claimed.version
    rig.later.run_all()
    assert rig.stored(record.id) == replace(claimed, unannounced=0)
    assert rig.updates == []  # nothing newer: the answer's look stays


def test_the_check_after_an_answer_with_nothing_owed_writes_nothing() -> None:
    rig = Rig()
    record = rig.escalate()
    rig.workflow.post_edit(record)
    writes = rig.kv.writes
    rig.later.run_all()
    assert rig.kv.writes == writes and rig.stored(record.id) == record


def test_the_check_after_an_answer_of_a_record_since_gone_does_nothing() -> None:
    rig = Rig()
    record = rig.escalate()
    claimed, _ = rig.workflow.claim(rig.uid(JASON), record.id, answer=True)
    rig.workflow.post_edit(claimed)
    assert KVStore(rig.w.kv).discard(claimed)
    rig.later.run_all()
    assert KVStore(rig.w.kv).get(record.id) is None and rig.updates == []


def _before(rig: Rig, verb: str, record: Escalation) -> None:
    """What must have happened for ``verb`` to change something."""
    if verb == "release":
        rig.workflow.claim(rig.uid(IAN), record.id)


ACTS: dict[str, Callable[..., tuple[Escalation, bool]]] = {
    "claim": lambda rig, r, **kw: rig.workflow.claim(rig.uid(JASON), r.id, **kw),
    "assign": lambda rig, r, **kw: rig.workflow.assign(rig.uid(JASON), r.id, IAN, **kw),
    "release": lambda rig, r, **kw: rig.workflow.release(rig.uid(IAN), r.id, **kw),
    "resolve": lambda rig, r, **kw: rig.workflow.resolve(
        rig.uid(JASON), r.id, "responded", "https://forum.example.com/t/1", **kw
    ),
}


@pytest.mark.parametrize("verb", list(ACTS))
def test_without_an_answer_the_change_is_shown_at_once(verb: str) -> None:
    rig = Rig()
    record = rig.escalate()
    _before(rig, verb, record)
    done, changed = ACTS[verb](rig, record)
    assert changed and done.unannounced == 0 and rig.stored(record.id) == done
    assert rig.message(record) == rig.shown(done)
    assert rig.updates[-1] == (record.escalation_post_id, record.escalation_channel_id, rig.bot)


@pytest.mark.parametrize("verb", list(ACTS))
def test_with_an_answer_the_post_is_left_to_it(verb: str) -> None:
    rig = Rig()
    record = rig.escalate()
    _before(rig, verb, record)
    before, updates = rig.message(record), len(rig.updates)
    done, changed = ACTS[verb](rig, record, answer=True)
    assert changed and done.unannounced == done.version and rig.stored(record.id) == done
    assert rig.message(record) == before and len(rig.updates) == updates


def test_a_known_copy_of_another_escalation_is_not_acted_on() -> None:
    rig = Rig()
    record, other = rig.escalate(), rig.escalate()
    done, changed = rig.workflow.claim(rig.uid(JASON), record.id, known=other)
    assert changed and done.id == record.id and rig.stored(other.id) == other


# --- the post edit when another change lands meanwhile ----------------------------------------


def _lands_while_edited(
    rig: Rig, record: Escalation, change: Callable[[Escalation], Escalation]
) -> list[Escalation]:
    """Make another request's ``change`` land while the first post edit of ``record`` is
    made; the list gets what it stored."""
    host_update = rig.w.host.update_post
    landed: list[Escalation] = []

    def update_post(
        post_id: str, channel_id: str, user_id: str, message: str, props: Mapping[str, Any]
    ) -> None:
        host_update(post_id, channel_id, user_id, message, props)
        if not landed:
            landed.append(KVStore(rig.w.kv).transition(record.id, change))

    rig.w.host.update_post = update_post  # type: ignore[method-assign]
    return landed


def test_the_post_shows_a_change_that_landed_while_it_was_edited() -> None:
    rig = Rig()
    record = rig.escalate()
    # another request assigns it while this one edits the post
    landed = _lands_while_edited(rig, record, transitions.assign(IAN, JASON, rig.now))
    _, changed = rig.workflow.claim(rig.uid(IAN), record.id)
    newer = rig.stored(record.id)
    assert changed and landed[0].owner == JASON and newer.version == landed[0].version
    assert rig.message(record) == rig.shown(newer)
    assert len(rig.updates) == 2


def test_a_change_that_landed_meanwhile_stays_owed_until_it_is_shown() -> None:
    rig = Rig()
    record = rig.escalate()

    def cut(r: Escalation) -> Escalation:  # a change whose request dies before showing it
        assigned = transitions.assign(IAN, JASON, rig.now)(r)
        return replace(assigned, unannounced=assigned.version)

    landed = _lands_while_edited(rig, record, cut)
    _, changed = rig.workflow.claim(rig.uid(IAN), record.id)
    assert changed and rig.stored(record.id).unannounced == landed[0].version
    rig.now += PENDING_STALE_MS + 1
    rig.workflow.get(rig.uid(JASON), record.id)
    assert rig.stored(record.id).unannounced == 0
    assert [r.message for r in rig.replies(record)][-1] == sentences.thread_reply(landed[0])


def test_an_edit_with_nothing_newer_is_made_once() -> None:
    rig = Rig()
    record = rig.escalate()
    rig.workflow.claim(rig.uid(JASON), record.id)
    assert rig.updates == [(record.escalation_post_id, record.escalation_channel_id, rig.bot)]


# --- what clients hear --------------------------------------------------------------------------


def test_each_change_is_sent_to_the_channel_and_to_whoever_escalated() -> None:
    rig = Rig()
    record = rig.escalate()
    channel, alice = record.escalation_channel_id, rig.w.alice.id

    def payload(r: Escalation, state: str, acknowledged: str) -> dict[str, str]:
        return {
            "escalation_id": r.id,
            "state": state,
            "owner": JASON,
            "acknowledged": acknowledged,
            "topic": "licensing",
            "escalation_post_id": r.escalation_post_id,
        }

    opened = payload(record, "open", "false")
    assert rig.w.host.events == [
        ("escalation_updated", opened, channel),
        ("escalation_updated", opened, f"user:{alice}"),
    ]
    rig.w.host.events.clear()
    claimed, _ = rig.workflow.claim(rig.uid(JASON), record.id)
    acked = payload(claimed, "claimed", "true")
    assert rig.w.host.events == [
        ("escalation_updated", acked, channel),
        ("escalation_updated", acked, f"user:{alice}"),
    ]


def test_an_escalation_without_an_owner_is_sent_with_an_empty_owner() -> None:
    rig = Rig()
    record = rig.escalate()
    ownerless = replace(record, owner=None, default_owner=None)
    assert KVStore(rig.w.kv).replace(record, ownerless)
    rig.w.host.events.clear()
    rig.workflow.resolve(rig.uid(JASON), record.id, "no_response_needed")
    assert [e[1]["owner"] for e in rig.w.host.events] == ["", ""]


# --- the escalator's confirmation ----------------------------------------------------------------


def _confirmation(rig: Rig, record: Escalation, *, with_link: bool, removed: int) -> str:
    return (
        render.escalator_confirmation(record, with_link=with_link)
        + "\n"
        + redact.removal_summary(removed, 0, source="excerpt")
    )


def test_the_escalator_outside_the_channel_is_confirmed_without_the_link() -> None:
    rig = Rig()
    record = rig.escalate("write to jane@example.org about it")
    assert rig.w.host.ephemerals == [
        (rig.w.alice.id, rig.w.town.id, _confirmation(rig, record, with_link=False, removed=1))
    ]
    assert rig.senders == [rig.bot]


def test_a_member_of_the_escalations_channel_is_confirmed_with_the_link() -> None:
    rig = Rig()
    record = rig.escalate(by=rig.uid(JASON))
    (ephemeral,) = rig.w.host.ephemerals
    assert ephemeral == (
        rig.uid(JASON),
        rig.w.town.id,
        _confirmation(rig, record, with_link=True, removed=0),
    )


def test_when_membership_cannot_be_told_the_confirmation_has_no_link() -> None:
    rig = Rig()

    def unknown(channel_id: str, user_id: str) -> bool:
        raise OSError("connection reset")

    rig.w.host.is_channel_member = unknown  # type: ignore[method-assign]
    record = rig.escalate(by=rig.uid(JASON))
    (ephemeral,) = rig.w.host.ephemerals
    assert ephemeral[2] == _confirmation(rig, record, with_link=False, removed=0)


# --- a repeated escalation -----------------------------------------------------------------------


def test_a_repeat_by_someone_who_may_not_see_it_is_refused_in_words() -> None:
    rig = Rig()
    record = rig.escalate()
    with pytest.raises(AlreadyEscalated) as refused:
        rig.workflow.escalate(rig.w.mallory.id, record.post_id, "licensing")
    assert refused.value.public == (
        "This post is already escalated under Licensing; its approved responders have it."
    )


def test_a_repeat_by_a_responder_shows_it_without_making_it_theirs() -> None:
    rig = Rig()
    record = rig.escalate()
    again, created = rig.workflow.escalate(rig.uid(JASON), record.post_id, "licensing")
    assert not created and again == record
    assert rig.store.escalated_by(rig.uid(JASON)) == []
    assert rig.workflow.mine(rig.w.alice.id) == [record]


def test_a_repeat_by_its_creator_lists_it_as_theirs_when_the_first_try_did_not(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    rig = Rig()
    failing = [True]
    note = rig.store.note_escalated

    def note_escalated(user_id: str, esc_id: str) -> None:
        if failing:
            raise OSError("connection reset")
        note(user_id, esc_id)

    monkeypatch.setattr(rig.store, "note_escalated", note_escalated)
    record = rig.escalate()
    assert rig.workflow.mine(rig.w.alice.id) == []
    failing.clear()
    again, created = rig.workflow.escalate(rig.w.alice.id, record.post_id, "licensing")
    assert not created and rig.workflow.mine(rig.w.alice.id) == [again]


# --- a reservation whose creator died or is still at work -------------------------------------


def _reservation(rig: Rig, post_id: str, token: str = "tok") -> Escalation:
    return reserve_pending(rig.w.kv, rig.escalate(), post_id, rig.now, reservation=token)


def _bot_post(rig: Rig, props: Mapping[str, object], root: str = "", user: str = "") -> str:
    channel = rig.w.env.channel.id
    return rig.w.host.create_post(channel, user or rig.bot, "an escalation", props, root)


def test_a_stale_reservation_adopts_the_post_its_dead_creator_made() -> None:
    rig = Rig()
    post_id = rig.w.post()
    pending = _reservation(rig, post_id)
    mine = {render.ESCALATION_PROP: pending.id, render.RESERVATION_PROP: "tok"}
    orphan, second = _bot_post(rig, mine), _bot_post(rig, mine)
    decoys = [
        _bot_post(rig, {**mine, render.RESERVATION_PROP: "another"}),
        _bot_post(rig, {**mine, render.ESCALATION_PROP: "x" * 26}),
        _bot_post(rig, mine, root=orphan),
        _bot_post(rig, mine, user=rig.w.alice.id),
    ]
    gone = _bot_post(rig, mine)
    rig.w.host.delete_post(gone)
    posts = set(rig.w.host.posts)
    rig.now += PENDING_STALE_MS + 1
    record, created = rig.workflow.escalate(rig.w.alice.id, post_id, "licensing")
    assert created and record.escalation_post_id == orphan and not record.pending
    assert set(rig.w.host.posts) == posts  # nothing posted
    assert rig.w.host.posts[second].delete_at  # the later one made under it is removed
    assert not any(rig.w.host.posts[p].delete_at for p in [orphan, *decoys])


def test_a_stale_reservation_without_a_post_is_posted_by_whoever_takes_it_over() -> None:
    rig = Rig()
    post_id = rig.w.post()
    pending = _reservation(rig, post_id)
    rig.now += PENDING_STALE_MS + 1
    record, created = rig.workflow.escalate(rig.w.alice.id, post_id, "licensing")
    assert created and not record.pending and record.reservation == pending.reservation
    post = rig.w.host.posts[record.escalation_post_id]
    assert post.props[render.RESERVATION_PROP] == "tok"


def test_a_reservation_exactly_as_old_as_the_limit_is_waited_for(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(service, "PENDING_WAIT_SECONDS", 0.2)
    rig = Rig()
    post_id = rig.w.post()
    pending = _reservation(rig, post_id)
    rig.now += PENDING_STALE_MS
    with pytest.raises(Busy) as busy:
        rig.workflow.escalate(rig.w.alice.id, post_id, "licensing")
    assert busy.value.public == "The escalation is being created; try again."
    assert rig.stored(pending.id) == pending


def test_a_reservation_given_back_while_waiting_is_busy_in_words(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    rig = Rig()
    post_id = rig.w.post()
    pending = _reservation(rig, post_id)
    naps: list[float] = []

    def nap(seconds: float) -> None:
        naps.append(seconds)
        KVStore(rig.w.kv).discard(pending)  # the creator gives the pair back meanwhile

    monkeypatch.setattr(time, "sleep", nap)  # the wait between looks
    with pytest.raises(Busy) as busy:
        rig.workflow.escalate(rig.w.alice.id, post_id, "licensing")
    assert busy.value.public == "The escalation is being created; try again."
    assert len(naps) == 1


def test_a_repeat_of_a_finished_escalation_answers_without_waiting(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    rig = Rig()
    record = rig.escalate()
    naps: list[float] = []
    monkeypatch.setattr(time, "sleep", naps.append)
    again, created = rig.workflow.escalate(rig.w.alice.id, record.post_id, "licensing")
    assert not created and again == record and naps == []


# --- the response history ------------------------------------------------------------------------


def test_a_resolve_responded_adds_the_answer_to_its_topics_history() -> None:
    rig = Rig()
    record = rig.escalate()
    done, _ = rig.workflow.resolve(rig.uid(JASON), record.id, "responded", " the answer ")
    assert ResponseLog(rig.w.kv).newest_first("licensing") == [
        ResponseEntry(record.id, rig.uid(JASON), rig.now, "the answer", record.permalink)
    ]
    assert done.response == "the answer"
    other = rig.escalate()
    rig.workflow.resolve(rig.uid(JASON), other.id, "no_response_needed")
    assert len(ResponseLog(rig.w.kv).newest_first("licensing")) == 1


def test_a_retried_resolve_makes_up_the_entry_of_whoever_resolved_it() -> None:
    rig = Rig()
    record = rig.escalate()
    resolved_at = rig.now
    rig.workflow.resolve(rig.uid(JASON), record.id, "responded", "the answer")
    history = ResponseLog(rig.w.kv)
    entry = ResponseEntry(record.id, rig.uid(JASON), resolved_at, "the answer", record.permalink)
    for resolver_id in (rig.uid(JASON), ""):  # the resolver's account, then none
        rig.w.kv.delete(keys.responses("licensing"))  # the append after the resolve was lost
        rig.now += 1000
        with pytest.raises(AlreadyResolved):  # a retry, by another responder
            rig.workflow.resolve(rig.uid(IAN), record.id, "responded", "another answer")
        assert history.newest_first("licensing") == [replace(entry, user_id=resolver_id)]
        rig.w.host.users.pop(rig.uid(JASON), None)


# --- a link raised outside Mattermost ------------------------------------------------------------

ISSUE = "https://github.com/mattermost/mattermost/issues/123"
PRIVATE = "https://private.example.net/t/1"


def _allow(rig: Rig, *domains: str) -> None:
    """Configure the public allow-list."""
    settings = Settings(team_name="private-core", public_domains=frozenset(domains))
    rig.w.activated = Activator(rig.w.host, rig.w.kv).activate(settings, rig.w.activated.policy)


def _link(url: str = ISSUE, **more: str) -> LinkRequest:
    return LinkRequest(
        url=url, topic="licensing", summary=more.pop("summary", "a question"), **more
    )


def test_a_link_is_checked_and_shown_as_its_post_would_show_it() -> None:
    rig = Rig()
    alice = rig.w.alice.id
    typed = " <HTTPS://GitHub.com/mattermost/mattermost/issues/123/?utm_source=x> "
    assert rig.workflow.check_link_escalatable(alice, typed) == CheckedLink(ISSUE, ISSUE)
    assert rig.workflow.check_link_escalatable(alice, PRIVATE) == CheckedLink(PRIVATE, "[url]")
    _allow(rig, "private.example.net")
    assert rig.workflow.check_link_escalatable(alice, PRIVATE) == CheckedLink(PRIVATE, PRIVATE)


def test_a_links_summary_keeps_the_links_of_the_configured_allow_list() -> None:
    rig = Rig()
    _allow(rig, "private.example.net")
    summary = f"asked at {PRIVATE} and https://elsewhere.example.org/x"
    record, _ = rig.workflow.escalate_link(rig.w.alice.id, _link(summary=summary))
    assert record.excerpt == f"asked at {PRIVATE} and [url]"


def test_a_links_template_names_the_link_as_its_post_shows_it() -> None:
    rig = Rig()

    def with_template(topics: list[dict[str, Any]]) -> list[dict[str, Any]]:
        for topic in topics:
            if topic["key"] == "licensing":
                topic["template_response"] = "Hi {name}, about {link}: see the licence FAQ."
        return topics

    rig.w.activate(_policy(with_template))
    record, _ = rig.workflow.escalate_link(rig.w.alice.id, _link(PRIVATE))
    assert record.template_response == "Hi {name}, about [url]: see the licence FAQ."


def test_a_link_is_confirmed_only_in_a_channel_the_escalator_is_in() -> None:
    rig = Rig()
    alice = rig.w.alice.id
    asked: list[tuple[str, str]] = []
    member = rig.w.host.is_channel_member

    def is_channel_member(channel_id: str, user_id: str) -> bool:
        asked.append((channel_id, user_id))
        return member(channel_id, user_id)

    rig.w.host.is_channel_member = is_channel_member  # type: ignore[method-assign]
    town = rig.w.town.id
    malformed, _ = rig.workflow.escalate_link(alice, _link(ISSUE + "1", channel_id="town-square"))
    assert malformed.channel_id == "" and ("town-square", alice) not in asked
    outside, _ = rig.workflow.escalate_link(alice, _link(ISSUE + "2", channel_id=town))
    assert outside.channel_id == "" and (town, alice) in asked
    assert rig.w.host.ephemerals == []
    rig.w.host.members.add((town, alice))
    note = "she wrote from jane@example.org"
    inside, _ = rig.workflow.escalate_link(alice, _link(ISSUE + "3", channel_id=town, note=note))
    assert inside.channel_id == town and inside.note == "she wrote from [email]"
    text = (
        render.escalator_confirmation(inside, with_link=False)
        + "\n"
        + redact.removal_summary(0, 1, source="summary")
    )
    assert rig.w.host.ephemerals == [(alice, town, text)]


# --- where an escalated post came from ------------------------------------------------------------


def test_a_posts_escalation_records_where_it_came_from_and_fills_its_template() -> None:
    rig = Rig()

    def with_template(topics: list[dict[str, Any]]) -> list[dict[str, Any]]:
        for topic in topics:
            if topic["key"] == "licensing":
                topic["template_response"] = "Hi {name}, about {link}: see the licence FAQ."
        return topics

    rig.w.activate(_policy(with_template))
    record = rig.escalate()
    link = f"http://mm.example.com/private-core/pl/{record.post_id}"
    assert (record.source_link, record.source_channel) == (link, "~town-square")
    assert record.template_response == f"Hi @alice, about {link}: see the licence FAQ."
    ghost = rig.w.host.add_user("ghost")
    post = rig.w.host.add_post(rig.w.town, ghost, "a question").id
    rig.w.host.users.pop(ghost.id)  # the author's account is gone
    gone, _ = rig.workflow.escalate(rig.w.alice.id, post, "licensing")
    assert gone.template_response == (
        f"Hi {{name}}, about http://mm.example.com/private-core/pl/{post}: see the licence FAQ."
    )


@pytest.mark.parametrize(
    ("kind", "display", "shown"),
    [
        ("D", "", "a direct message"),
        ("G", "", "a group message"),
        ("P", "Core\nteam", "**Core team** (private channel)"),
        ("P", "", "**core-team** (private channel)"),
    ],
)
def test_where_a_post_was_escalated_from_is_described_by_the_channels_kind(
    kind: str, display: str, shown: str
) -> None:
    rig = Rig()
    channel = replace(rig.w.host.add_channel(rig.w.team, "core-team", kind), display_name=display)
    rig.w.host.channels[channel.id] = channel
    rig.w.host.members.add((channel.id, rig.w.alice.id))
    post = rig.w.host.add_post(channel, rig.w.alice, "a question").id
    record, _ = rig.workflow.escalate(rig.w.alice.id, post, "licensing")
    assert record.source_channel == shown


def test_a_post_of_another_team_is_linked_under_that_team() -> None:
    rig = Rig()
    other = rig.w.host.add_team("community")
    channel = rig.w.host.add_channel(other, "general")
    post = rig.w.host.add_post(channel, rig.w.alice, "a question").id
    record, _ = rig.workflow.escalate(rig.w.alice.id, post, "licensing")
    assert record.source_link == f"http://mm.example.com/community/pl/{post}"


def test_an_escalation_post_is_refused_in_words_and_an_odd_marker_is_not_one() -> None:
    rig = Rig()
    record = rig.escalate()
    with pytest.raises(NotEscalatable) as refused:
        rig.workflow.escalate(rig.uid(JASON), record.escalation_post_id, "packaging")
    assert refused.value.public == "This post is an escalation itself."
    odd = _bot_post(rig, {render.ESCALATION_PROP: 12345})
    _, created = rig.workflow.escalate(rig.uid(JASON), odd, "packaging")
    assert created


def test_no_note_is_kept_as_none_and_an_unreadable_post_is_refused_in_words() -> None:
    rig = Rig()
    record, created = rig.workflow.escalate(rig.w.alice.id, rig.w.post(), "licensing")
    assert created and record.note == ""
    secret = rig.w.post(channel=rig.w.secret)
    with pytest.raises(CannotReadPost) as refused:
        rig.workflow.escalate(rig.w.mallory.id, secret, "licensing")
    assert refused.value.public == "You cannot read the channel of this post."


def test_a_posts_excerpt_keeps_the_links_of_the_configured_allow_list() -> None:
    rig = Rig()
    _allow(rig, "private.example.net")
    record = rig.escalate(f"asked at {PRIVATE} and https://elsewhere.example.org/x")
    assert record.excerpt == f"asked at {PRIVATE} and [url]"
