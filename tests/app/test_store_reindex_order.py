"""The index and ledger updates a process owes run one after another (one ``afterwards`` key):
run together, updates of the same shard or month only make each other's compare-and-set fail."""

from __future__ import annotations

from collections.abc import Callable

from app.test_service import World
from escalations.app.workflow.afterwards import Afterwards
from escalations.app.workflow.store import REINDEX_KEY, KVStore


class Recording(Afterwards):
    """Runs each call at once and records the key it was submitted under."""

    def __init__(self) -> None:
        super().__init__(workers=0)
        self.keys: list[str] = []

    def submit(self, call: Callable[[], object], key: str = "") -> None:
        self.keys.append(key)
        super().submit(call, key)


def test_every_index_and_ledger_update_is_submitted_under_one_key() -> None:
    w = World()
    after = Recording()
    store = KVStore(w.kv, afterwards=after)
    record, _ = w.workflow.escalate(w.alice.id, w.post(), "licensing")
    other, _ = w.workflow.escalate(w.alice.id, w.post(), "packaging")
    assert store.replace(record, record.with_changes(record.updated_at + 1))
    assert store.replace(other, other.with_changes(other.updated_at + 1))
    assert after.keys == [REINDEX_KEY, REINDEX_KEY]
    assert {s.id for s in store.list_open()} >= {record.id, other.id}
