"""``jsonmap``: a map rewritten after small changes encodes only the members that changed, and
its bytes are those a plain ``json.dumps`` of the sorted map gives; the ledger and the index
update from what this process last wrote, without reading it again."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from app.test_store_races import record
from escalations.app.domain import keys, transitions
from escalations.app.domain.kv import MemoryKV
from escalations.app.workflow import jsonmap
from escalations.app.workflow.index import shard_of as index_shard
from escalations.app.workflow.ledger import Ledger, month_of, shard_of
from escalations.app.workflow.store import KVStore


class Box:
    def __init__(self, value: Any) -> None:
        self.value = value


KEYS = st.text(min_size=1, max_size=8)
VALUES = st.one_of(st.integers(), st.text(max_size=8), st.lists(st.integers(), max_size=3))


@given(st.dictionaries(KEYS, VALUES, max_size=12))
def test_the_bytes_are_those_of_a_sorted_compact_dump(data: dict[str, Any]) -> None:
    members = {k: Box(v) for k, v in data.items()}
    raw, texts = jsonmap.encode(members, lambda b: b.value)
    if not data:
        assert raw is None and texts == {}
        return
    assert raw == json.dumps(dict(sorted(data.items())), separators=(",", ":")).encode()
    assert json.loads(raw) == data


def test_only_changed_members_are_encoded_again() -> None:
    encoded: list[str] = []

    def to_entry(b: Box) -> Any:
        encoded.append(b.value)
        return [b.value]

    first = {"a": Box("x"), "b": Box("y")}
    raw, texts = jsonmap.encode(first, to_entry)
    assert raw is not None and sorted(encoded) == ["x", "y"]
    before = jsonmap.Encoded(raw, first, texts)
    encoded.clear()
    second = {**first, "b": Box("z"), "c": Box("w")}
    raw2, _ = jsonmap.encode(second, to_entry, before)
    assert sorted(encoded) == ["w", "z"]  # "a" is the same object: its text is kept
    assert raw2 == b'{"a":["x"],"b":["z"],"c":["w"]}'
    # a member equal in value but a different object is encoded again (never trusted blindly)
    encoded.clear()
    jsonmap.encode({"a": Box("x")}, to_entry, before)
    assert encoded == ["x"]


class CountingKV(MemoryKV):
    def __init__(self) -> None:
        super().__init__()
        self.reads = 0

    def get(self, key: str) -> bytes | None:
        self.reads += 1
        return super().get(key)


def test_the_ledger_updates_what_it_wrote_last_without_a_read_and_reads_after_others() -> None:
    kv = CountingKV()
    mine, other = Ledger(kv), Ledger(kv)  # two processes
    when = 1_800_000_000_000
    first = record("e1", created_at=when)
    neighbour = next(f"n{i}" for i in range(100) if shard_of(f"n{i}") == shard_of("e1"))
    mine.record(first)
    kv.reads = 0
    claimed = transitions.claim("bob", when + 5)(first)
    mine.record(claimed)
    assert kv.reads == 0  # written from its own copy of what it wrote
    other.record(record(neighbour, created_at=when))  # another process writes the same value
    kv.reads = 0
    released = transitions.release("bob", when + 9)(claimed)
    mine.record(released)
    assert kv.reads >= 1  # its copy was stale: the compare-and-set failed, it read afresh
    stored = {r.id: r.version for r in Ledger(kv).rows(0, 2**62)}
    assert stored == {"e1": released.version, neighbour: 1}


class WritesKV(MemoryKV):
    """Notes the keys it is asked for, read or written."""

    def __init__(self) -> None:
        super().__init__()
        self.written: list[str] = []

    def get(self, key: str) -> bytes | None:
        self.written.append(key)
        return super().get(key)

    def compare_and_set(
        self, key: str, old: bytes | None, new: bytes | None, ttl_seconds: int = 0
    ) -> bool:
        self.written.append(key)
        return super().compare_and_set(key, old, new, ttl_seconds)


def test_a_change_that_shows_in_neither_the_index_nor_the_ledger_is_not_written_there() -> None:
    kv = WritesKV()
    store = KVStore(kv)
    first = record("e1", created_at=1_800_000_000_000)
    store.create_if_absent(first)
    claimed = store.transition("e1", transitions.claim("bob", first.created_at + 5))
    kv.written.clear()
    store.transition("e1", lambda r: replace(r, unannounced=r.version))  # marked owed
    assert set(kv.written) == {keys.escalation("e1")}  # neither read nor written
    kv.written.clear()
    store.transition("e1", transitions.release("bob", first.created_at + 9))
    derived = {k for k in kv.written if k != keys.escalation("e1")}
    assert derived == {
        keys.open_index(index_shard("e1")),
        keys.ledger(month_of(first.created_at), shard_of("e1")),
    }
    assert {s.id: s.owner for s in store.list_open()} == {"e1": claimed.default_owner or None}
