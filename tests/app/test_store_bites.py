"""The store's edges that the race and contract suites leave open: the reads it saves, the bounds
of its scans, corrupt values, and the exact answers it gives when it cannot decide.

Each test pins one behaviour whose absence would not show elsewhere: a second insert attempt where
the record is plainly there, a scan that stops a page early or never stops, a compaction count
that starts at one."""

from __future__ import annotations

import json
import logging

import pytest

from app.test_store_races import record
from escalations.app.domain import keys, transitions
from escalations.app.domain.errors import AlreadyClaimed, Busy, EscalationNotFound
from escalations.app.domain.kv import MemoryKV
from escalations.app.domain.model import Action, Escalation, Event, State
from escalations.app.workflow import store
from escalations.app.workflow.store import LIST_PAGE_SIZE, KVStore


class CountingKV(MemoryKV):
    """Counts the reads of escalation records and every compare-and-set."""

    def __init__(self) -> None:
        super().__init__()
        self.record_reads = 0
        self.writes = 0

    def get(self, key: str) -> bytes | None:
        if key.startswith(keys.escalation_prefix()):
            self.record_reads += 1
        return super().get(key)

    def compare_and_set(
        self, key: str, old: bytes | None, new: bytes | None, ttl_seconds: int = 0
    ) -> bool:
        self.writes += 1
        return super().compare_and_set(key, old, new, ttl_seconds)


def resolved(eid: str, at: int) -> Escalation:
    return record(eid, created_at=at).with_event(
        Event(Action.RESOLVED, "bob", at), state=State.RESOLVED
    )


# --- create_if_absent ----------------------------------------------------------------------------


def test_a_duplicate_create_reads_the_holder_once_and_writes_nothing() -> None:
    kv = CountingKV()
    first, _ = KVStore(kv).create_if_absent(record())
    reads, writes = kv.record_reads, kv.writes
    again, created = KVStore(kv).create_if_absent(record(created_at=50))
    assert (again, created) == (first, False)
    assert kv.writes - writes == 1  # the one insert attempt, no second try
    assert kv.record_reads - reads == 1


def test_a_creator_losing_twice_gets_the_winners_record_not_busy() -> None:
    """The first holder vanished between our failed insert and our read; a third creator wins the
    key before our second insert: we answer with its record."""
    key = keys.escalation("e1")
    third = record(created_at=99)

    class Contended(MemoryKV):
        def __init__(self) -> None:
            super().__init__()
            self.inserts = 0

        def compare_and_set(
            self, k: str, old: bytes | None, new: bytes | None, ttl_seconds: int = 0
        ) -> bool:
            if k == key and old is None:
                self.inserts += 1
                if self.inserts == 1:  # the first holder, gone by our read
                    super().compare_and_set(k, None, record(created_at=1).to_json())
                    ok = super().compare_and_set(k, old, new, ttl_seconds)
                    self.delete(k)
                    return ok
                if self.inserts == 2:  # a third creator got in first
                    super().compare_and_set(k, None, third.to_json())
            return super().compare_and_set(k, old, new, ttl_seconds)

    kv = Contended()
    stored, created = KVStore(kv).create_if_absent(record(created_at=7))
    assert (stored, created) == (third, False)
    assert kv.inserts == 2


def test_create_busy_says_so() -> None:
    key = keys.escalation("e1")

    class Flapping(MemoryKV):
        def compare_and_set(
            self, k: str, old: bytes | None, new: bytes | None, ttl_seconds: int = 0
        ) -> bool:
            return False if k == key and old is None else super().compare_and_set(k, old, new)

        def get(self, k: str) -> bytes | None:
            return None if k == key else super().get(k)

    with pytest.raises(Busy) as caught:
        KVStore(Flapping()).create_if_absent(record())
    assert caught.value.public == "The escalation is being changed; try again."


# --- get, transition, replace ---------------------------------------------------------------------


def test_a_missing_record_is_not_reported_as_unreadable(caplog: pytest.LogCaptureFixture) -> None:
    kv = MemoryKV()
    s = KVStore(kv)
    with caplog.at_level(logging.WARNING, logger="escalations.app.workflow.store"):
        assert s.get("nothing") is None
        assert list(s.scan()) == []
    assert caplog.records == []
    kv.compare_and_set(keys.escalation("bad"), None, b"{not json")
    with caplog.at_level(logging.WARNING, logger="escalations.app.workflow.store"):
        assert s.get("bad") is None
    assert [r.getMessage() for r in caplog.records] == ["ignoring an unreadable escalation record"]


def test_transition_of_a_missing_or_unreadable_record_says_unknown() -> None:
    kv = MemoryKV()
    s = KVStore(kv)
    with pytest.raises(EscalationNotFound) as missing:
        s.transition("e1", transitions.claim("bob", 2))
    assert missing.value.public == "Unknown escalation."
    kv.compare_and_set(keys.escalation("e1"), None, b'{"schema": 99}')
    with pytest.raises(EscalationNotFound) as unreadable:
        s.transition("e1", transitions.claim("bob", 2))
    assert unreadable.value.public == "Unknown escalation."


def test_a_current_known_copy_saves_the_read() -> None:
    kv = CountingKV()
    s = KVStore(kv)
    created, _ = s.create_if_absent(record())
    reads = kv.record_reads
    claimed = s.transition("e1", transitions.claim("bob", 2), known=created)
    assert claimed.owner == "bob" and s.get("e1") == claimed
    assert kv.record_reads - reads == 1  # only the ``get`` above: the transition read nothing


def test_a_stale_known_copy_is_decided_on_a_fresh_read() -> None:
    kv = CountingKV()
    s = KVStore(kv)
    created, _ = s.create_if_absent(record())
    s.transition("e1", transitions.claim("bob", 2))
    reads = kv.record_reads
    with pytest.raises(AlreadyClaimed) as caught:
        s.transition("e1", transitions.claim("carol", 3), known=created)
    assert caught.value.owner == "bob"
    assert kv.record_reads - reads >= 1


def test_transition_busy_says_so() -> None:
    class Losing(MemoryKV):
        def compare_and_set(
            self, k: str, old: bytes | None, new: bytes | None, ttl_seconds: int = 0
        ) -> bool:
            if k == keys.escalation("e1") and old is not None:
                return False
            return super().compare_and_set(k, old, new, ttl_seconds)

    s = KVStore(Losing(), retries=2)
    s.create_if_absent(record())
    with pytest.raises(Busy) as caught:
        s.transition("e1", transitions.claim("bob", 2))
    assert caught.value.public == "The escalation is being changed by others right now; try again."


def test_replace_lands_from_the_current_version_only() -> None:
    s = KVStore(MemoryKV())
    created, _ = s.create_if_absent(record())
    claimed = transitions.claim("bob", 2)(created)
    assert s.replace(created, claimed) is True
    assert s.get("e1") == claimed
    assert [x.id for x in s.list_open()] == ["e1"]
    assert s.list_open()[0].owner == "bob"  # the index followed the write
    carol = transitions.assign("carol", "carol", 3)(created)
    assert s.replace(created, carol) is False
    assert s.get("e1") == claimed


# --- scans ---------------------------------------------------------------------------------------


def test_scan_reads_every_page() -> None:
    kv = MemoryKV()
    s = KVStore(kv)
    total = 2 * LIST_PAGE_SIZE + 37
    for i in range(total):
        s.create_if_absent(record(eid=f"e{i:04d}", created_at=i + 1))
    assert sorted(r.id for r in s.scan()) == [f"e{i:04d}" for i in range(total)]


def test_find_ids_pages_and_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    """``find_ids`` is on a request path: it scans at most ``LIST_MAX_KEYS`` keys."""
    monkeypatch.setattr(store, "LIST_MAX_KEYS", 2 * LIST_PAGE_SIZE)
    kv = MemoryKV()
    s = KVStore(kv)
    # foreign keys that sort before ours push the record to the last page scanned ...
    for i in range(2 * LIST_PAGE_SIZE - 1):
        kv.compare_and_set(f"aa-{i:04d}", None, b"x")
    s.create_if_absent(record(eid="zfound"))
    assert s.find_ids("zf") == ["zfound"]
    # ... and one more key pushes it past the bound
    kv.compare_and_set("aa-9999", None, b"x")
    assert s.find_ids("zf") == []


# --- compaction ----------------------------------------------------------------------------------


def test_compaction_counts_each_record_and_keeps_the_boundary() -> None:
    kv = CountingKV()
    s = KVStore(kv)
    for eid, at in (("e1", 10), ("e2", 20), ("e3", 30)):
        s.create_if_absent(resolved(eid, at))
    s.create_if_absent(record("e4", created_at=5))  # open: never compacted
    reads = kv.record_reads
    assert s.compact_resolved(resolved_before=30, now=100) == 2
    # one read per record (the scan); each compaction starts from the copy it read
    assert kv.record_reads - reads == 4
    assert [r.compacted for r in sorted(s.scan(), key=lambda r: r.id)] == [
        True,
        True,
        False,  # resolved exactly at the boundary: not before it
        False,
    ]
    assert s.compact_resolved(resolved_before=31, now=101) == 1


def test_compaction_goes_on_past_a_record_removed_meanwhile() -> None:
    gone = keys.escalation("e1")

    class Removing(MemoryKV):
        def compare_and_set(
            self, k: str, old: bytes | None, new: bytes | None, ttl_seconds: int = 0
        ) -> bool:
            if k == gone and old is not None and new is not None:
                self.delete(k)  # removed between the scan and its compaction
            return super().compare_and_set(k, old, new, ttl_seconds)

    kv = Removing()
    s = KVStore(kv)
    s.create_if_absent(resolved("e1", 10))
    s.create_if_absent(resolved("e2", 10))
    assert s.compact_resolved(resolved_before=50, now=100) == 1
    e2 = s.get("e2")
    assert e2 is not None and e2.compacted and s.get("e1") is None


# --- escalated_by --------------------------------------------------------------------------------


@pytest.mark.parametrize("stored", [b"7", b'{"a": 1}', b'"text"', b"not json"])
def test_a_corrupt_escalated_by_list_reads_as_empty(stored: bytes) -> None:
    kv = MemoryKV()
    kv.compare_and_set(keys.escalated_by("u"), None, stored)
    s = KVStore(kv)
    assert s.escalated_by("u") == []
    s.note_escalated("u", "e1")
    assert s.escalated_by("u") == ["e1"]
    assert json.loads(kv.get(keys.escalated_by("u")) or b"") == ["e1"]


def test_note_escalated_busy_says_so() -> None:
    class Losing(MemoryKV):
        def compare_and_set(
            self, k: str, old: bytes | None, new: bytes | None, ttl_seconds: int = 0
        ) -> bool:
            return False

    with pytest.raises(Busy) as caught:
        KVStore(Losing()).note_escalated("u", "e1")
    assert caught.value.public == "Too many escalations at once; try again."
