"""The ledger of the statistics and the export: rows follow the records' newest version, under
retries, out-of-order updates, compaction and writers that really interleave (two plugin
processes are two ``KVStore`` instances over one KV)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import replace

from app.test_store_races import InterferingKV, PausingKV, record
from escalations.app.domain import keys, transitions
from escalations.app.domain.kv import MemoryKV
from escalations.app.domain.model import Action, Event, Outcome
from escalations.app.workflow.ledger import SHARDS, Ledger, Row, month_of, shard_of
from escalations.app.workflow.store import KVStore

DAY = 24 * 3600 * 1000
JAN = 1_767_225_600_000  # 2026-01-01T00:00:00Z


def rows(store: KVStore, start: int = 0, end: int = 2**62) -> dict[str, Row]:
    return {r.id: r for r in store.ledger_rows(start, end)}


def test_a_row_follows_the_record_through_its_changes() -> None:
    store = KVStore(MemoryKV())
    store.create_if_absent(record("e1", created_at=JAN))
    assert rows(store)["e1"] == Row("e1", 1, "licensing", JAN, 0, 0, None)
    store.transition("e1", transitions.claim("bob", JAN + 5_000))
    store.transition("e1", transitions.release("bob", JAN + 6_000))
    store.transition("e1", transitions.resolve("bob", Outcome.RESPONDED, JAN + 9_000, "x"))
    assert rows(store)["e1"] == Row("e1", 4, "licensing", JAN, JAN + 5_000, JAN + 9_000,
                                    Outcome.RESPONDED)  # fmt: skip


def test_acknowledgement_is_the_first_claim_self_assignment_or_resolve() -> None:
    base = record("e1", created_at=JAN)
    assign_other = base.with_event(Event(Action.ASSIGNED, "bob", JAN + 1, "carol"))
    assert Row.of(assign_other).acknowledged_at == 0
    assign_self = assign_other.with_event(Event(Action.ASSIGNED, "carol", JAN + 2, "carol"))
    assert Row.of(assign_self).acknowledged_at == JAN + 2
    resolved = base.with_event(Event(Action.RESOLVED, "bob", JAN + 3, "no_response_needed"),
                               outcome=Outcome.NO_RESPONSE_NEEDED)  # fmt: skip
    assert Row.of(resolved).acknowledged_at == JAN + 3


def test_an_older_version_never_replaces_a_newer_row() -> None:
    kv = MemoryKV()
    ledger = Ledger(kv)
    first = record("e1", created_at=JAN)
    claimed = transitions.claim("bob", JAN + 10)(first)
    ledger.record(claimed)
    ledger.record(first)  # a late retry of the first write
    ledger.record(claimed)  # and a duplicate
    assert [r.version for r in ledger.rows(0, 2**62)] == [2]


def test_pending_records_have_no_row() -> None:
    ledger = Ledger(MemoryKV())
    ledger.record(record("e1", created_at=JAN, post=""))
    assert list(ledger.rows(0, 2**62)) == []


def test_compaction_keeps_the_acknowledgement_time() -> None:
    store = KVStore(MemoryKV())
    store.create_if_absent(record("e1", created_at=JAN))
    store.transition("e1", transitions.claim("bob", JAN + 5_000))
    store.transition("e1", transitions.assign("bob", "carol", JAN + 6_000))
    store.transition("e1", transitions.resolve("carol", Outcome.RESPONDED, JAN + 9_000))
    assert store.compact_resolved(JAN + 100_000, JAN + 100_000) == 1
    assert rows(store)["e1"].acknowledged_at == JAN + 5_000


def test_rows_are_read_from_the_months_of_the_range_only() -> None:
    kv = MemoryKV()
    store = KVStore(kv)
    for n, day in enumerate((0, 40, 80)):
        store.create_if_absent(record(f"e{n}", created_at=JAN + day * DAY))
    assert set(rows(store, JAN + 30 * DAY, JAN + 60 * DAY)) == {"e1"}
    assert month_of(JAN - 1) == "202512"
    reads: list[str] = []
    counting = _CountingKV(kv, reads)
    list(Ledger(counting).rows(JAN - 400 * DAY, JAN + 10 * DAY))
    # The list of months, then one month's shards: no read for the empty months.
    assert reads == [keys.ledger_months()] + [keys.ledger("202601", s) for s in range(SHARDS)]


def test_repair_fills_the_ledger_from_the_records() -> None:
    kv = MemoryKV()
    store = KVStore(kv)
    for n in range(20):
        store.create_if_absent(record(f"e{n}", created_at=JAN + n * DAY))
    store.transition("e3", transitions.claim("bob", JAN + 4 * DAY))
    for month in ("202601", "202602"):
        for shard in range(SHARDS):
            kv.delete(keys.ledger(month, shard))
    kv.delete(keys.ledger_months())
    fresh = KVStore(kv)  # another node: nothing cached
    assert rows(fresh) == {}
    fresh.repair_index()
    assert len(rows(fresh)) == 20 and rows(fresh)["e3"].acknowledged_at == JAN + 4 * DAY
    before = {k: kv.get(k) for k in (keys.ledger("202601", s) for s in range(SHARDS))}
    fresh.repair_index()  # idempotent: nothing is rewritten
    assert before == {k: kv.get(k) for k in before}


def test_an_unreadable_value_is_rebuilt_by_the_repair() -> None:
    kv = MemoryKV()
    store = KVStore(kv)
    store.create_if_absent(record("e1", created_at=JAN))
    key = keys.ledger("202601", shard_of("e1"))
    kv.delete(key)
    kv.compare_and_set(key, None, b"{not json")
    assert rows(KVStore(kv)) == {}
    KVStore(kv).repair_index()
    assert set(rows(KVStore(kv))) == {"e1"}


def test_writers_that_read_the_same_shard_lose_no_row() -> None:
    """Twelve escalations of one shard created at once by twelve "processes" (stores), every
    writer holding the same stale shard until all have read it."""
    ids = _same_shard_ids(12)
    kv = PausingKV(keys.ledger("202601", shard_of(ids[0])), len(ids))
    stores = [KVStore(kv) for _ in ids]
    pairs = zip(stores, ids, strict=True)
    _run([_creating(s, i) for s, i in pairs])
    assert set(rows(KVStore(kv))) == set(ids)


def test_a_newer_row_written_between_read_and_write_is_kept() -> None:
    """Another node lands version 2 right after our read of version 1's shard: our stale
    version-1 update retries, sees the newer row and writes nothing over it."""
    first = record("e1", created_at=JAN)
    claimed = transitions.claim("bob", JAN + 10)(first)
    key = keys.ledger("202601", shard_of("e1"))
    kv = InterferingKV(key, lambda kv: Ledger(kv).record(claimed))
    Ledger(kv).record(first)
    assert [r.version for r in Ledger(kv).rows(0, 2**62)] == [2]


def test_months_listed_by_two_nodes_at_once_are_both_kept() -> None:
    kv = PausingKV(keys.ledger_months(), 2)
    a, b = Ledger(kv), Ledger(kv)
    march = replace(record("m", created_at=JAN + 70 * DAY))
    _run([lambda: a.record(record("j", created_at=JAN)), lambda: b.record(march)])
    assert {r.id for r in Ledger(kv).rows(0, 2**62)} == {"j", "m"}


class _CountingKV(MemoryKV):
    def __init__(self, inner: MemoryKV, reads: list[str]) -> None:
        super().__init__()
        self._inner = inner
        self._reads = reads

    def get(self, key: str) -> bytes | None:
        self._reads.append(key)
        return self._inner.get(key)


def _same_shard_ids(n: int) -> list[str]:
    found: list[str] = []
    i = 0
    while len(found) < n:
        if shard_of(f"x{i}") == 0:
            found.append(f"x{i}")
        i += 1
    return found


def _creating(store: KVStore, esc_id: str) -> Callable[[], object]:
    return lambda: store.create_if_absent(record(esc_id, created_at=JAN))


def _run(workers: list[Callable[[], object]]) -> None:
    threads = [threading.Thread(target=w) for w in workers]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert not any(t.is_alive() for t in threads)
