"""The open index when several processes (nodes) write it: each starts an update from the shard as
it last saw it, so its copy is stale whenever another node wrote since; no entry may be lost and no
resolved escalation may stay listed."""

from __future__ import annotations

from app.test_store_races import record
from escalations.app.domain.kv import MemoryKV
from escalations.app.domain.model import Action, Event, Outcome, State
from escalations.app.workflow.index import OpenIndex, shard_of


def same_shard_ids(count: int) -> list[str]:
    """``count`` escalation ids that fall into one shard (so the nodes write the same value)."""
    found: list[str] = []
    n = 0
    while len(found) < count:
        eid = f"e{n}"
        if shard_of(eid) == shard_of("e0"):
            found.append(eid)
        n += 1
    return found


def test_nodes_writing_one_shard_in_turn_lose_nothing() -> None:
    kv = MemoryKV()
    a, b = OpenIndex(kv), OpenIndex(kv)
    ids = same_shard_ids(6)
    for n, eid in enumerate(ids):  # a, b, a, b, ...: each node's copy is stale every time
        (a if n % 2 == 0 else b).record(record(eid, created_at=n))
    assert [s.id for s in OpenIndex(kv).entries()] == ids
    assert [s.id for s in a.entries()] == ids


def test_a_resolution_another_node_listed_is_removed_from_a_stale_copy() -> None:
    kv = MemoryKV()
    a, b = OpenIndex(kv), OpenIndex(kv)
    first, second = same_shard_ids(2)
    a.record(record(first))
    b.record(record(second))  # a's copy no longer knows ``second``
    done = Event(Action.RESOLVED, "bob", 5, Outcome.NO_RESPONSE_NEEDED.value)
    resolved = record(second).with_event(
        done, state=State.RESOLVED, outcome=Outcome.NO_RESPONSE_NEEDED
    )
    a.record(resolved)
    assert [s.id for s in OpenIndex(kv).entries()] == [first]


def test_an_update_after_another_node_emptied_the_shard() -> None:
    kv = MemoryKV()
    a, b = OpenIndex(kv), OpenIndex(kv)
    first, second = same_shard_ids(2)
    a.record(record(first))
    done = Event(Action.RESOLVED, "bob", 5, Outcome.NO_RESPONSE_NEEDED.value)
    b.record(
        record(first).with_event(done, state=State.RESOLVED, outcome=Outcome.NO_RESPONSE_NEEDED)
    )  # the shard is deleted; a still holds its old bytes
    a.record(record(second))
    assert [s.id for s in OpenIndex(kv).entries()] == [second]
