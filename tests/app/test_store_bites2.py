"""The store's ledger seams and its scan: ``ledger_rows`` passes its range on, ``repair_index``
puts the ledger right from the records, not only the index, and a scan tells a record deleted
under it from an unreadable one (in-process, over the in-memory KV)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import TypeVar

import pytest

from app.test_store_races import record
from escalations.app.domain import keys
from escalations.app.domain.kv import MemoryKV
from escalations.app.workflow import index
from escalations.app.workflow.fanout import Fanout
from escalations.app.workflow.store import KVStore

T = TypeVar("T")

JAN = 1_767_225_600_000  # 2026-01-01T00:00:00Z
DAY = 24 * 3600 * 1000


def test_ledger_rows_are_those_created_in_the_range() -> None:
    store = KVStore(MemoryKV())
    for n in range(5):
        store.create_if_absent(record(f"e{n}", created_at=JAN + n * DAY))
    rows = store.ledger_rows(JAN + DAY, JAN + 3 * DAY - 1)
    assert sorted(r.id for r in rows) == ["e1", "e2"]
    every = store.ledger_rows(JAN, JAN + 10 * DAY)
    assert sorted(r.id for r in every) == [f"e{n}" for n in range(5)]


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


def test_a_record_deleted_during_a_scan_is_skipped_without_a_warning(
    caplog: pytest.LogCaptureFixture,
) -> None:
    gone = keys.escalation("gone")

    class Vanishing(MemoryKV):
        """``gone`` is still listed, but deleted by the time it is read."""

        def get(self, key: str) -> bytes | None:
            return None if key == gone else super().get(key)

    kv = Vanishing()
    store = KVStore(kv)
    store.create_if_absent(record("kept"))
    assert kv.compare_and_set(gone, None, record("gone").to_json())
    with caplog.at_level(logging.WARNING):
        assert [r.id for r in store.scan()] == ["kept"]
    assert caplog.records == []
    kv.compare_and_set(keys.escalation("bad"), None, b"{not json")
    with caplog.at_level(logging.WARNING):
        assert [r.id for r in store.scan()] == ["kept"]
    assert [r.getMessage() for r in caplog.records] == ["ignoring an unreadable escalation record"]


class RecordingFanout(Fanout):
    """A ``Fanout`` that counts the calls it was given to run together."""

    def __init__(self) -> None:
        super().__init__(workers=2)
        self.batches: list[int] = []

    def run(self, calls: Sequence[Callable[[], T]]) -> list[T]:
        self.batches.append(len(calls))
        return super().run(calls)


def test_a_store_with_a_fanout_updates_and_lists_through_it() -> None:
    """The index and the ledger update of a write run together, and so do the reads of the
    index's shards; both land as without the fan-out."""
    fanout = RecordingFanout()
    try:
        store = KVStore(MemoryKV(), fanout=fanout)
        store.create_if_absent(record("e1", created_at=JAN))
        assert fanout.batches == [2]  # the index and the ledger, one batch
        assert [r.id for r in store.ledger_rows(JAN, JAN + DAY)] == ["e1"]
        fanout.batches.clear()
        assert [s.id for s in store.list_open()] == ["e1"]
        assert fanout.batches == [index.SHARDS]  # every shard of the index, read together
    finally:
        fanout.close()
