"""Escalate's reservation and rate count, made at the same time, and the channel a client names
beside the post: what stays counted, what is given back, and what the hint may never decide."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any, TypeVar

import pytest

from app.fakes import FakeHost
from app.test_escalate_reads import Counted
from app.test_service import World
from escalations.app.domain import keys
from escalations.app.domain.errors import Busy, CannotReadPost, HostError, TooManyEscalations
from escalations.app.domain.kv import MemoryKV
from escalations.app.domain.model import escalation_id
from escalations.app.workflow.fanout import Fanout
from escalations.app.workflow.gate import WINDOW_MS, Gate, Rules
from escalations.app.workflow.service import Workflow
from escalations.app.workflow.store import KVStore

T = TypeVar("T")
RULES = Rules(team_id="t" * 26, team_name="private-core", per_hour=3)
NOW = 1_800_000_000_000


class Rounds(Fanout):
    """A fan-out that records how many calls each round made together."""

    def __init__(self) -> None:
        super().__init__()
        self.sizes: list[int] = []

    def run(self, calls: Sequence[Callable[[], T]]) -> list[T]:
        if calls:
            self.sizes.append(len(calls))
        return super().run(calls)


class FailingKV(MemoryKV):
    """Fails every compare-and-set under ``key`` (the server is down for that write)."""

    def __init__(self, key: str) -> None:
        super().__init__()
        self.failing = key

    def compare_and_set(
        self, key: str, old: bytes | None, new: bytes | None, ttl_seconds: int = 0
    ) -> bool:
        if key == self.failing:
            raise HostError("KVSetWithOptions: the database is gone")
        return super().compare_and_set(key, old, new, ttl_seconds)


def _workflow(world: World, kv: MemoryKV | None = None, host: Any = None) -> Workflow:
    kv = kv or world.kv
    host = host or world.host
    return Workflow(
        KVStore(kv),
        host,
        lambda: world.activated.environment,
        lambda: world.activated.policy,
        gate=Gate(host, kv),
        fanout=Rounds(),
    )


def _count(kv: MemoryKV, user_id: str) -> list[int]:
    raw = kv.get(keys.rate(user_id))
    return json.loads(raw) if raw else []


def _escalation_keys(kv: MemoryKV) -> list[str]:
    return [k for k in kv.list_keys(0, 10_000) if k.startswith(keys.escalation(""))]


def _fill(kv: MemoryKV, user_id: str, n: int) -> None:
    """``user_id`` has escalated ``n`` times in the last seconds (nothing counted before)."""
    now = int(time.time() * 1000)
    kv.compare_and_set(
        keys.rate(user_id), None, json.dumps([now - 1000 * i for i in range(n)]).encode()
    )


# --- the gate's stamp and its give-back --------------------------------------------------------


def test_take_returns_the_stamp_it_stored_and_give_back_removes_that_one() -> None:
    kv, clock = MemoryKV(), [NOW]
    gate = Gate(FakeHost(), kv, lambda: clock[0])
    first = gate.take(RULES, "u" * 26)
    clock[0] += 1
    second = gate.take(RULES, "u" * 26)
    assert (first, second) == (NOW, NOW + 1)
    assert _count(kv, "u" * 26) == [NOW, NOW + 1]
    gate.give_back("u" * 26, NOW)
    assert _count(kv, "u" * 26) == [NOW + 1]


def test_take_without_a_limit_stores_and_returns_nothing() -> None:
    kv = MemoryKV()
    gate = Gate(FakeHost(), kv, lambda: NOW)
    assert gate.take(replace(RULES, per_hour=0), "u" * 26) is None
    assert kv.get(keys.rate("u" * 26)) is None


def test_give_back_of_a_stamp_no_longer_there_writes_nothing() -> None:
    kv, clock = MemoryKV(), [NOW]
    gate = Gate(FakeHost(), kv, lambda: clock[0])
    stamp = gate.take(RULES, "u" * 26)
    assert stamp is not None
    clock[0] += 1
    gate.take(RULES, "u" * 26)
    clock[0] += WINDOW_MS  # the first one has left the window: nothing of it to give back
    before = kv.get(keys.rate("u" * 26))
    gate.give_back("u" * 26, stamp - 5)
    gate.give_back("u" * 26, stamp)
    assert kv.get(keys.rate("u" * 26)) == before


def test_give_back_tries_again_when_the_count_changed_meanwhile() -> None:
    class Racing(MemoryKV):
        """Another escalation of the same user lands just before the first compare-and-set."""

        raced = False

        def compare_and_set(
            self, key: str, old: bytes | None, new: bytes | None, ttl_seconds: int = 0
        ) -> bool:
            if not self.raced and old is not None:
                self.raced = True
                super().compare_and_set(key, old, json.dumps([*json.loads(old), NOW + 7]).encode())
            return super().compare_and_set(key, old, new, ttl_seconds)

    kv = Racing()
    gate = Gate(FakeHost(), kv, lambda: NOW)
    kv.compare_and_set(keys.rate("u" * 26), None, json.dumps([NOW - 5, NOW]).encode())
    kv.raced = False
    gate.give_back("u" * 26, NOW)
    assert kv.raced
    assert _count(kv, "u" * 26) == [NOW - 5, NOW + 7]


# --- escalate: what stays counted ----------------------------------------------------------------


def test_a_new_escalation_is_reserved_and_counted_in_one_round() -> None:
    world = World()
    workflow = _workflow(world)
    record, created = workflow.escalate(world.alice.id, world.post(), "licensing")
    assert created and not record.pending
    assert len(_count(world.kv, world.alice.id)) == 1
    rounds = workflow._fanout
    assert isinstance(rounds, Rounds)
    assert 2 in rounds.sizes[1:3]  # the reservation and the count, together


def test_a_repeat_gives_its_count_back() -> None:
    world = World()
    post = world.post()
    world.workflow.escalate(world.alice.id, post, "licensing")
    before = _count(world.kv, world.alice.id)
    _, created = world.workflow.escalate(world.alice.id, post, "licensing")
    assert not created
    assert _count(world.kv, world.alice.id) == before


def test_a_repeat_at_the_limit_is_answered_with_the_escalation() -> None:
    world = World()
    post = world.post()
    first, _ = world.workflow.escalate(world.alice.id, post, "licensing")
    limit = world.env.rules.per_hour
    world.kv.delete(keys.rate(world.alice.id))
    _fill(world.kv, world.alice.id, limit)
    before = world.kv.get(keys.rate(world.alice.id))
    again, created = world.workflow.escalate(world.alice.id, post, "licensing")
    assert not created and again.id == first.id
    assert world.kv.get(keys.rate(world.alice.id)) == before
    with pytest.raises(TooManyEscalations):  # a new one is still refused
        world.workflow.escalate(world.alice.id, world.post(), "licensing")


def test_a_refused_count_leaves_no_reservation() -> None:
    world = World()
    _fill(world.kv, world.alice.id, world.env.rules.per_hour)
    before = world.kv.get(keys.rate(world.alice.id))
    post = world.post()
    with pytest.raises(TooManyEscalations):
        world.workflow.escalate(world.alice.id, post, "licensing")
    assert _escalation_keys(world.kv) == []
    assert world.kv.get(keys.rate(world.alice.id)) == before


def test_a_reservation_that_fails_gives_the_count_back() -> None:
    world = World()
    post = world.post()
    kv = FailingKV(keys.escalation(escalation_id(post, "licensing")))
    with pytest.raises(HostError):
        _workflow(world, kv).escalate(world.alice.id, post, "licensing")
    assert _count(kv, world.alice.id) == []
    assert kv.get(kv.failing) is None


def test_a_count_that_fails_gives_the_reservation_back() -> None:
    world = World()
    post = world.post()
    kv = FailingKV(keys.rate(world.alice.id))
    with pytest.raises(HostError):
        _workflow(world, kv).escalate(world.alice.id, post, "licensing")
    assert _escalation_keys(kv) == []
    assert world.host.posts_since(world.env.channel.id, 0) == []


# --- the channel the client names ----------------------------------------------------------------


def _rounds(hint: bool) -> list[int]:
    """The sizes of the rounds of calls one escalation of a town-square post made together."""
    world = World()
    workflow = _workflow(world)
    hinted = world.town.id if hint else ""
    _, created = workflow.escalate(world.alice.id, world.post(), "licensing", channel_hint=hinted)
    assert created
    rounds = workflow._fanout
    assert isinstance(rounds, Rounds)
    return rounds.sizes


def test_the_posts_channel_named_by_the_client_saves_a_round() -> None:
    with_hint, without = _rounds(True), _rounds(False)
    assert len(with_hint) == len(without) - 1  # the channel and the membership: in round 1


def test_a_hint_is_read_only_once_and_the_channel_not_again() -> None:
    world = World()
    host = Counted(world.host)
    workflow = _workflow(world, host=host)
    world.host.members.add((world.town.id, world.alice.id))
    post = world.post()
    host.calls.clear()
    workflow.escalate(world.alice.id, post, "licensing", channel_hint=world.town.id)
    assert host.calls["get_channel"] == 1
    assert host.calls["can_read_channel"] == 0  # alice is a member: the shortcut held


def test_a_hint_naming_another_channel_decides_nothing() -> None:
    world = World()
    hidden = world.host.add_post(world.secret, world.alice, "in the private channel").id
    # mallory can read town-square (where she is hinting) but not the post's private channel
    with pytest.raises(CannotReadPost):
        world.workflow.escalate(world.mallory.id, hidden, "licensing", channel_hint=world.town.id)
    assert _escalation_keys(world.kv) == []


def test_a_wrong_hint_costs_a_round_and_the_posts_own_channel_is_read() -> None:
    world = World()
    workflow = _workflow(world)
    post = world.post(channel=world.secret)
    record, created = workflow.escalate(
        world.alice.id, post, "licensing", channel_hint=world.town.id
    )
    assert created and record.channel_id == world.secret.id
    assert record.source_channel == world.workflow._describe_channel(world.secret)


class FailsOnce:
    """A host whose first ``get_channel`` and first ``is_channel_member`` fail."""

    def __init__(self, target: Any) -> None:
        self._target = target
        self.failed: set[str] = set()

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._target, name)
        if name not in {"get_channel", "is_channel_member"}:
            return attr

        def once(*args: Any) -> Any:
            if name not in self.failed:
                self.failed.add(name)
                raise HostError(f"{name}: a moment")
            return attr(*args)

        return once


def test_a_hinted_channel_that_cannot_be_read_falls_back() -> None:
    world = World()
    host = FailsOnce(world.host)
    workflow = _workflow(world, host=host)
    record, created = workflow.escalate(
        world.alice.id, world.post(), "licensing", channel_hint=world.town.id
    )
    assert created and record.channel_id == world.town.id
    assert host.failed == {"get_channel", "is_channel_member"}


# --- what the mutation run found untested --------------------------------------------------------


def test_a_hint_that_is_no_id_and_no_hint_at_all_read_nothing_more() -> None:
    for hint in ("", "x" * 5):
        world = World()
        host = Counted(world.host)
        post = world.post()
        _workflow(world, host=host).escalate(world.alice.id, post, "licensing", channel_hint=hint)
        asked = {args[0] for args in host.args_of("get_channel")}
        asked |= {args[0] for args in host.args_of("is_channel_member")}
        assert asked <= {world.town.id, world.env.channel.id}, hint


def test_the_membership_shortcut_holds_without_a_hint_and_asks_about_the_actor() -> None:
    world = World()
    world.host.members.add((world.town.id, world.alice.id))
    host = Counted(world.host)
    _workflow(world, host=host).escalate(world.alice.id, world.post(), "licensing")
    assert (world.town.id, world.alice.id) in host.args_of("is_channel_member")
    assert host.args_of("can_read_channel") == []  # a member: the shortcut held


def test_a_non_member_is_checked_in_full_as_themselves() -> None:
    world = World()
    host = Counted(world.host)
    _workflow(world, host=host).escalate(world.mallory.id, world.post(), "licensing")
    assert [args[0] for args in host.args_of("can_read_channel")] == [world.mallory.id]


def test_a_hinted_membership_that_cannot_be_read_keeps_the_hinted_channel() -> None:
    world = World()

    class MembershipFailsOnce(FailsOnce):
        def __getattr__(self, name: str) -> Any:
            if name == "get_channel":
                self.failed.add(name)  # never fails
            return super().__getattr__(name)

    host = Counted(MembershipFailsOnce(world.host))
    record, created = _workflow(world, host=host).escalate(
        world.alice.id, world.post(), "licensing", channel_hint=world.town.id
    )
    assert created and record.channel_id == world.town.id
    assert host.args_of("get_channel").count((world.town.id,)) == 1  # not read a second time


def test_give_back_keeps_the_window_as_the_counts_lifetime() -> None:
    ttls: list[int] = []

    class Recording(MemoryKV):
        def compare_and_set(
            self, key: str, old: bytes | None, new: bytes | None, ttl_seconds: int = 0
        ) -> bool:
            ttls.append(ttl_seconds)
            return super().compare_and_set(key, old, new, ttl_seconds)

    kv = Recording()
    gate = Gate(FakeHost(), kv, lambda: NOW)
    stamp = gate.take(RULES, "u" * 26)
    gate.take(RULES, "u" * 26)
    assert stamp is not None
    ttls.clear()
    gate.give_back("u" * 26, stamp)
    assert ttls == [WINDOW_MS // 1000]
    assert all(isinstance(t, int) for t in ttls)


def test_give_back_that_never_lands_says_so() -> None:
    class Contended(MemoryKV):
        """Every compare-and-set loses to another writer."""

        def compare_and_set(
            self, key: str, old: bytes | None, new: bytes | None, ttl_seconds: int = 0
        ) -> bool:
            return False

    kv = Contended()
    MemoryKV.compare_and_set(kv, keys.rate("u" * 26), None, json.dumps([NOW]).encode())
    with pytest.raises(
        Busy, match=r"^The rate count kept changing; one escalation stays counted\.$"
    ):
        Gate(FakeHost(), kv, lambda: NOW).give_back("u" * 26, NOW)
