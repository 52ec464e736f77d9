"""The store's compare-and-set under writers that really interleave.

``MemoryKV`` is fast enough that threads started at a barrier usually run one after the other, so a
store that compared against a fresh re-read (instead of the bytes it decided on) would still pass
the plain concurrency tests. Here the KV itself forces the interleaving: ``PausingKV`` holds every
writer between its deciding read and its compare-and-set until all of them have read, and
``InterferingKV`` lets another writer land right after a read, deterministically.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest

from escalations.app.domain import keys, transitions
from escalations.app.domain.errors import AlreadyClaimed, Busy, EscalationNotFound
from escalations.app.domain.kv import MemoryKV
from escalations.app.domain.model import Action, Escalation, Event, State
from escalations.app.workflow.store import LIST_PAGE_SIZE, KVStore

WRITERS = 12


def record(eid: str = "e1", created_at: int = 1, post: str = "bot-post") -> Escalation:
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
        escalation_post_id=post,
        events=(Event(Action.ESCALATED, "alice", created_at),),
    )


class PausingKV(MemoryKV):
    """The first read of ``key`` by each of the first ``parties`` threads waits until all of them
    have read it; later reads (retries, other threads) pass straight through."""

    def __init__(self, key: str, parties: int) -> None:
        super().__init__()
        self._key = key
        self._parties = parties
        self._barrier = threading.Barrier(parties, timeout=10)
        self._seen: set[int] = set()
        self._guard = threading.Lock()

    def get(self, key: str) -> bytes | None:
        value = super().get(key)
        if key == self._key:
            me = threading.get_ident()
            with self._guard:
                first = me not in self._seen and len(self._seen) < self._parties
                self._seen.add(me)
            if first:
                self._barrier.wait()
        return value


class InterferingKV(MemoryKV):
    """After the first read of ``key``, ``interloper`` writes it (another node got in between)."""

    def __init__(self, key: str, interloper: Callable[[MemoryKV], None]) -> None:
        super().__init__()
        self._key = key
        self._interloper: Callable[[MemoryKV], None] | None = interloper
        self.writes = 0

    def get(self, key: str) -> bytes | None:
        value = super().get(key)
        if key == self._key and self._interloper is not None:
            interloper, self._interloper = self._interloper, None
            interloper(self)
        return value

    def compare_and_set(
        self, key: str, old: bytes | None, new: bytes | None, ttl_seconds: int = 0
    ) -> bool:
        self.writes += 1
        return super().compare_and_set(key, old, new, ttl_seconds)


def _run(workers: list[Callable[[], None]]) -> None:
    threads = [threading.Thread(target=w) for w in workers]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert not any(t.is_alive() for t in threads)


def test_claims_that_all_read_open_have_exactly_one_winner() -> None:
    kv = PausingKV(keys.escalation("e1"), WRITERS)
    store = KVStore(kv, retries=WRITERS + 2)
    store.create_if_absent(record())
    winners: list[str] = []
    refused: list[str] = []

    def click(who: str) -> Callable[[], None]:
        def run() -> None:
            try:
                store.transition("e1", transitions.claim(who, 2))
                winners.append(who)
            except AlreadyClaimed as exc:
                refused.append(exc.owner)

        return run

    _run([click(f"user{i}") for i in range(WRITERS)])
    assert len(winners) == 1, winners
    assert refused == [winners[0]] * (WRITERS - 1)
    final = store.get("e1")
    assert final is not None and final.owner == winners[0] and final.version == 2
    assert [e.what for e in final.events] == [Action.ESCALATED, Action.CLAIMED]


def test_interleaved_changes_are_none_lost() -> None:
    """Every writer appends an event after reading the same version: all events must land."""
    kv = PausingKV(keys.escalation("e1"), WRITERS)
    store = KVStore(kv, retries=4 * WRITERS)
    store.create_if_absent(record())

    def note(i: int) -> Callable[[], None]:
        def run() -> None:
            store.transition("e1", lambda r: r.with_event(Event(Action.ASSIGNED, f"u{i}", 2)))

        return run

    _run([note(i) for i in range(WRITERS)])
    final = store.get("e1")
    assert final is not None
    assert final.version == 1 + WRITERS
    assert sorted(e.who for e in final.events[1:]) == sorted(f"u{i}" for i in range(WRITERS))


def test_a_write_between_read_and_compare_and_set_is_not_overwritten() -> None:
    bob = transitions.claim("bob", 2)

    def bob_claims(kv: MemoryKV) -> None:
        raw = kv.get(keys.escalation("e1"))
        assert raw is not None
        assert kv.compare_and_set(
            keys.escalation("e1"), raw, bob(Escalation.from_json(raw)).to_json()
        )

    kv = InterferingKV(keys.escalation("e1"), bob_claims)
    store = KVStore(kv)
    MemoryKV.compare_and_set(kv, keys.escalation("e1"), None, record().to_json())
    with pytest.raises(AlreadyClaimed) as caught:
        store.transition("e1", transitions.claim("carol", 3))
    assert caught.value.owner == "bob"
    final = store.get("e1")
    assert final is not None and final.owner == "bob"
    assert [e.who for e in final.events] == ["alice", "bob"]


def test_a_noop_change_writes_nothing() -> None:
    kv = InterferingKV("unused", lambda kv: None)
    store = KVStore(kv)
    store.create_if_absent(record())
    claimed = store.transition("e1", transitions.claim("bob", 2))
    writes = kv.writes
    again = store.transition("e1", transitions.claim("bob", 3))
    assert again == claimed
    assert kv.writes == writes
    again = store.transition("e1", transitions.claim("bob", 3), known=claimed)
    assert again == claimed and kv.writes == writes


def test_an_unreadable_record_is_not_found_and_left_alone() -> None:
    kv = MemoryKV()
    kv.compare_and_set(keys.escalation("e1"), None, b'{"schema": 99}')
    store = KVStore(kv)
    with pytest.raises(EscalationNotFound):
        store.transition("e1", transitions.claim("bob", 2))
    assert store.get("e1") is None
    assert kv.get(keys.escalation("e1")) == b'{"schema": 99}'


def test_create_never_overwrites_an_existing_record() -> None:
    kv = MemoryKV()
    store = KVStore(kv)
    first, created = store.create_if_absent(record())
    claimed = store.transition("e1", transitions.claim("bob", 2))
    again, created_again = store.create_if_absent(record(created_at=50))
    assert created and not created_again
    assert again == claimed != first
    assert store.get("e1") == claimed


def test_create_retries_when_the_holder_vanishes_between_attempt_and_read() -> None:
    """The first insert fails (someone held the key), the holder's record is gone by the read:
    the creator tries again and wins, rather than answering with nothing."""
    key = keys.escalation("e1")

    class VanishingKV(MemoryKV):
        def __init__(self) -> None:
            super().__init__()
            self.inserts = 0

        def compare_and_set(
            self, k: str, old: bytes | None, new: bytes | None, ttl_seconds: int = 0
        ) -> bool:
            ok = super().compare_and_set(k, old, new, ttl_seconds)
            if k == key and old is None and not ok:
                self.inserts += 1
                self.delete(k)  # the holder discarded its reservation meanwhile
            return ok

    kv = VanishingKV()
    kv.compare_and_set(key, None, record(post="").to_json())
    stored, created = KVStore(kv).create_if_absent(record(created_at=7))
    assert created and stored.created_at == 7
    assert KVStore(kv).get("e1") == stored
    assert kv.inserts == 1


def test_create_is_busy_when_the_key_keeps_vanishing() -> None:
    key = keys.escalation("e1")

    class Flapping(MemoryKV):
        def compare_and_set(
            self, k: str, old: bytes | None, new: bytes | None, ttl_seconds: int = 0
        ) -> bool:
            return False if k == key and old is None else super().compare_and_set(k, old, new)

        def get(self, k: str) -> bytes | None:
            return None if k == key else super().get(k)

    with pytest.raises(Busy):
        KVStore(Flapping()).create_if_absent(record())


def test_list_open_pages_through_every_key() -> None:
    kv = MemoryKV()
    store = KVStore(kv)
    total = 2 * LIST_PAGE_SIZE + 37
    for i in range(total):
        r = record(eid=f"e{i:04d}", created_at=total - i)
        if i % 5 == 0:
            r = r.with_event(Event(Action.RESOLVED, "bob", 9), state=State.RESOLVED)
        store.create_if_absent(r)
    for i in range(LIST_PAGE_SIZE):  # foreign keys in between do not stop the scan
        kv.compare_and_set(f"zz-other-{i:04d}", None, b"x")
    found = store.list_open()
    expected = [f"e{i:04d}" for i in range(total) if i % 5]
    assert sorted(r.id for r in found) == expected
    assert [r.created_at for r in found] == sorted(r.created_at for r in found)
    assert found[0].id == expected[-1]  # the oldest first


def test_list_open_of_exactly_one_full_page() -> None:
    store = KVStore(MemoryKV())
    for i in range(LIST_PAGE_SIZE):
        store.create_if_absent(record(eid=f"e{i:04d}", created_at=i))
    assert len(store.list_open()) == LIST_PAGE_SIZE
