"""The store's ledger seams: ``ledger_rows`` passes its range on, and ``repair_index`` puts the
ledger right from the records, not only the index (in-process, over the in-memory KV)."""

from __future__ import annotations

from app.test_store_races import record
from escalations.app.domain import keys
from escalations.app.domain.kv import MemoryKV
from escalations.app.workflow.store import KVStore

JAN = 1_767_225_600_000  # 2026-01-01T00:00:00Z
DAY = 24 * 3600 * 1000


def test_ledger_rows_are_those_created_in_the_range() -> None:
    store = KVStore(MemoryKV())
    for n in range(5):
        store.create_if_absent(record(f"e{n}", created_at=JAN + n * DAY))
    rows = store.ledger_rows(JAN + DAY, JAN + 3 * DAY - 1)
    assert sorted(r.id for r in rows) == ["e1", "e2"]
    assert sorted(r.id for r in store.ledger_rows(JAN, JAN + 10 * DAY)) == [f"e{n}" for n in range(5)]


def test_repair_writes_the_ledger_rows_of_records_it_lacks() -> None:
    kv = MemoryKV()
    for n in range(3):  # records written without their ledger rows (a node died after the write)
        r = record(f"e{n}", created_at=JAN + n * DAY)
        assert kv.compare_and_set(keys.escalation(r.id), None, r.to_json())
    store = KVStore(kv)
    assert list(store.ledger_rows(JAN, JAN + 10 * DAY)) == []
    assert store.repair_index() == 3
    rows = sorted(store.ledger_rows(JAN, JAN + 10 * DAY), key=lambda r: r.id)
    assert [(r.id, r.created_at) for r in rows] == [(f"e{n}", JAN + n * DAY) for n in range(3)]
    assert [s.id for s in store.list_open()] == ["e0", "e1", "e2"]
