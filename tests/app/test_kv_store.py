"""KV contract on the in-memory fake; the store and the lock on top of it."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import pytest

from app.kv_contract import CHECKS
from escalations.app.domain import keys
from escalations.app.domain.errors import AlreadyClaimed, Busy, EscalationNotFound
from escalations.app.domain.kv import KV, MemoryKV
from escalations.app.domain.model import Action, Escalation, Event, State
from escalations.app.workflow.lock import KVLock, LockTimeout
from escalations.app.workflow.store import KVStore


@pytest.mark.parametrize("check", CHECKS, ids=lambda c: c.__name__)
def test_memory_kv_contract(check: Callable[[KV], None]) -> None:
    check(MemoryKV())


def test_memory_kv_expiry() -> None:
    now = [0.0]
    kv = MemoryKV(clock=lambda: now[0])
    assert kv.compare_and_set("k", None, b"1", ttl_seconds=5)
    now[0] = 4.9
    assert kv.get("k") == b"1"
    now[0] = 5.0
    assert kv.get("k") is None
    assert kv.compare_and_set("k", None, b"2")  # an expired key can be inserted again


def test_memory_kv_refuses_empty_values() -> None:
    with pytest.raises(ValueError):
        MemoryKV().compare_and_set("k", None, b"")


def record(eid: str = "e1", created_at: int = 1) -> Escalation:
    return Escalation(
        id=eid,
        version=1,
        topic="licensing",
        topic_title="Licensing",
        post_id="p",
        channel_id="c",
        created_by="alice",
        created_by_id="a",
        created_at=created_at,
        updated_at=created_at,
        escalation_post_id="bot-post",
        events=(Event(Action.ESCALATED, "alice", created_at),),
    )


def claim_by(who: str) -> Callable[[Escalation], Escalation]:
    def change(r: Escalation) -> Escalation:
        if r.state is State.CLAIMED:
            if r.owner == who:
                return r
            raise AlreadyClaimed(r.owner or "")
        return r.with_event(Event(Action.CLAIMED, who, 2), state=State.CLAIMED, owner=who)

    return change


def test_create_if_absent_returns_existing() -> None:
    store = KVStore(MemoryKV())
    first, created = store.create_if_absent(record())
    assert created
    again, created2 = store.create_if_absent(record(created_at=99))
    assert not created2 and again == first


def test_transition_and_noop() -> None:
    store = KVStore(MemoryKV())
    store.create_if_absent(record())
    claimed = store.transition("e1", claim_by("bob"))
    assert claimed.owner == "bob" and claimed.version == 2
    same = store.transition("e1", claim_by("bob"))
    assert same.version == 2
    with pytest.raises(AlreadyClaimed):
        store.transition("e1", claim_by("carol"))
    with pytest.raises(EscalationNotFound):
        store.transition("nope", claim_by("bob"))


def test_concurrent_claims_have_one_winner() -> None:
    store = KVStore(MemoryKV())
    store.create_if_absent(record())
    barrier = threading.Barrier(20)
    winners: list[str] = []
    losers: list[str] = []

    def click(i: int) -> None:
        barrier.wait()
        try:
            store.transition("e1", claim_by(f"user{i}"))
            winners.append(f"user{i}")
        except AlreadyClaimed as exc:
            losers.append(exc.owner)

    threads = [threading.Thread(target=click, args=(i,)) for i in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(winners) == 1
    assert losers == [winners[0]] * 19
    final = store.get("e1")
    assert final is not None and final.owner == winners[0]
    assert [e.what for e in final.events] == [Action.ESCALATED, Action.CLAIMED]


def test_retry_budget_exhausted_is_busy() -> None:
    class AlwaysRacing(MemoryKV):
        def compare_and_set(
            self, key: str, old: bytes | None, new: bytes | None, ttl_seconds: int = 0
        ) -> bool:
            if old is not None:
                return False
            return super().compare_and_set(key, old, new, ttl_seconds)

    store = KVStore(AlwaysRacing(), retries=3)
    store.create_if_absent(record())
    with pytest.raises(Busy):
        store.transition("e1", claim_by("bob"))


def test_list_open_skips_resolved_pending_and_foreign_keys() -> None:
    kv = MemoryKV()
    store = KVStore(kv)
    store.create_if_absent(record("b", created_at=2))
    store.create_if_absent(record("a", created_at=1))
    done = record("c").with_event(Event(Action.RESOLVED, "x", 3, "responded"), state=State.RESOLVED)
    store.create_if_absent(done)
    pending = Escalation(
        id="d",
        version=1,
        topic="t",
        topic_title="T",
        post_id="p",
        channel_id="c",
        created_by="a",
        created_by_id="a",
        created_at=1,
        updated_at=1,
    )
    store.create_if_absent(pending)
    kv.compare_and_set("other", None, b"x")
    kv.compare_and_set(keys.escalation("junk"), None, b"not json")
    assert [r.id for r in store.list_open()] == ["a", "b"]


def test_lock_excludes_and_releases() -> None:
    kv = MemoryKV()
    first = KVLock(kv, "activate", ttl_seconds=5, wait_seconds=0.2)
    second = KVLock(kv, "activate", ttl_seconds=5, wait_seconds=0.2)
    with first:
        assert first.held
        with pytest.raises(LockTimeout):
            second.acquire()
    assert not first.held
    with second:
        assert second.held


def test_lock_expires_when_holder_dies() -> None:
    now = [0.0]
    kv = MemoryKV(clock=lambda: now[0])
    assert kv.compare_and_set(keys.lock("activate"), None, b"dead-node", ttl_seconds=15)
    lock = KVLock(kv, "activate", ttl_seconds=15, wait_seconds=0)
    assert not lock.try_acquire()
    now[0] = 16
    assert lock.try_acquire()
    lock.release()


def test_lock_release_does_not_remove_a_foreign_holder() -> None:
    kv = MemoryKV()
    lock = KVLock(kv, "x", ttl_seconds=5)
    lock.acquire()
    kv.delete(keys.lock("x"))  # expired, then taken by another node:
    kv.compare_and_set(keys.lock("x"), None, b"other")
    lock.release()
    assert kv.get(keys.lock("x")) == b"other"


def test_lock_refresh_extends_the_ttl() -> None:
    now = [0.0]
    kv = MemoryKV(clock=lambda: now[0])
    lock = KVLock(kv, "r", ttl_seconds=1)  # the refresher wakes every 0.5 s of real time
    lock.acquire()
    now[0] = 0.9  # just before expiry on the server clock; a refresh moves it to 1.9
    deadline = time.monotonic() + 10

    def expiry() -> float:
        expires = kv._data[keys.lock("r")][1]  # noqa: SLF001
        assert expires is not None
        return expires

    while expiry() <= 1.0 and time.monotonic() < deadline:
        time.sleep(0.05)
    now[0] = 1.5
    assert kv.get(keys.lock("r")) is not None
    lock.release()
    assert kv.get(keys.lock("r")) is None


def test_transition_from_a_known_copy() -> None:
    store = KVStore(MemoryKV())
    original, _ = store.create_if_absent(record())
    fresh = store.transition("e1", claim_by("bob"), known=original)
    assert fresh.owner == "bob" and fresh.version == 2
    # the caller's copy is stale now: the refusal is decided on the stored record
    with pytest.raises(AlreadyClaimed) as caught:
        store.transition("e1", claim_by("carol"), known=original)
    assert caught.value.owner == "bob"
    # a stale copy on which the change looks like a no-op is re-checked too
    released = store.transition(
        "e1",
        lambda r: r.with_event(Event(Action.RELEASED, "bob", 3), state=State.OPEN, owner=None),
    )
    again = store.transition("e1", claim_by("bob"), known=fresh)
    assert again.owner == "bob" and again.version == released.version + 1
