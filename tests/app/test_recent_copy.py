"""The copy of a record a process keeps (``KVStore.recent``): a press on the node that wrote the
record last makes no read; a copy made stale by another node costs one failed compare-and-set
and the change is decided again on what is stored; the copies kept are bounded; the check after
a button's answer clears the change's debt with one compare-and-set and no read."""

from __future__ import annotations

from dataclasses import replace

import pytest

from app.test_service_bites2 import ACTS, IAN, JASON, Rig, _before
from escalations.app.domain import keys
from escalations.app.domain.errors import (
    AlreadyClaimed,
    AlreadyResolved,
    Busy,
    EscalationNotFound,
)
from escalations.app.domain.model import Escalation
from escalations.app.workflow import service
from escalations.app.workflow import store as store_module
from escalations.app.workflow.store import KVStore


@pytest.mark.parametrize("verb", list(ACTS))
def test_a_press_on_the_node_that_wrote_the_record_reads_nothing(verb: str) -> None:
    rig = Rig()
    record = rig.escalate()
    _before(rig, verb, record)
    key = keys.escalation(record.id)
    rig.kv.reads.clear()
    known = rig.workflow.get_for_action(record.id, record.escalation_post_id)
    done, changed = ACTS[verb](rig, record, known=known, answer=True)
    assert changed and rig.stored(record.id) == done
    assert rig.kv.reads[key] == 0


@pytest.mark.parametrize("verb", list(ACTS))
def test_a_press_on_another_node_reads_the_record_once(verb: str) -> None:
    rig = Rig()
    record = rig.escalate()
    _before(rig, verb, record)
    other = rig.other_node()
    key = keys.escalation(record.id)
    rig.kv.reads.clear()
    known = other.get_for_action(record.id, record.escalation_post_id)
    rig.workflow = other  # the press is handled by the other node
    done, changed = ACTS[verb](rig, record, known=known, answer=True)
    assert changed and rig.stored(record.id) == done
    assert rig.kv.reads[key] == 1


def test_a_copy_made_stale_by_another_node_is_decided_again_on_what_is_stored() -> None:
    rig = Rig()
    record = rig.escalate()
    resolved, _ = rig.other_node().resolve(
        rig.uid(JASON), record.id, "responded", "https://forum.example.com/t/1"
    )
    known = rig.workflow.get_for_action(record.id, record.escalation_post_id)
    assert known == record  # this node's copy: still open
    with pytest.raises(AlreadyResolved):
        rig.workflow.claim(rig.uid(IAN), record.id, known=known, answer=True)
    assert rig.stored(record.id) == resolved
    # The stale copy is dropped: the next press reads what is stored.
    assert rig.workflow.get_for_action(record.id, record.escalation_post_id) == resolved


def test_two_nodes_pressing_claim_on_stale_copies_make_one_owner() -> None:
    rig = Rig()
    record = rig.escalate()
    other = rig.other_node()
    here = rig.workflow.get_for_action(record.id, record.escalation_post_id)
    there = other.get_for_action(record.id, record.escalation_post_id)
    first, changed = other.claim(rig.uid(IAN), record.id, known=there, answer=True)
    assert changed and first.owner == IAN
    with pytest.raises(AlreadyClaimed):  # decided on IAN's claim, not on the old copy
        rig.workflow.claim(rig.uid(JASON), record.id, known=here, answer=True)
    assert rig.stored(record.id) == first


def test_a_copy_that_is_not_the_clicked_post_is_checked_on_a_fresh_read() -> None:
    rig = Rig()
    record = rig.escalate()
    with pytest.raises(EscalationNotFound):
        rig.workflow.get_for_action(record.id, "p" * 26)
    key = keys.escalation(record.id)
    rig.kv.reads.clear()
    with pytest.raises(EscalationNotFound):
        rig.workflow.get_for_action(record.id, "p" * 26)
    assert rig.kv.reads[key] == 1


def test_the_copies_kept_are_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(store_module, "RECENT_KEPT", 2)
    rig = Rig()
    made = [rig.escalate() for _ in range(3)]
    assert rig.store.recent(made[0].id) is None
    assert [rig.store.recent(r.id) for r in made[1:]] == made[1:]


def test_a_discarded_record_is_not_kept() -> None:
    rig = Rig()
    record = rig.escalate()
    assert rig.store.recent(record.id) == record
    assert rig.store.discard(record)
    assert rig.store.recent(record.id) is None


def test_an_older_copy_does_not_replace_a_newer_one() -> None:
    rig = Rig()
    record = rig.escalate()
    other = rig.other_node()
    claimed, _ = other.claim(rig.uid(IAN), record.id)
    assert rig.store.get(record.id) == claimed  # a read keeps what it read
    newer: Escalation = claimed
    rig.store.replace(record, record)  # fails: the stored record is the claimed one
    assert rig.store.recent(record.id) is None
    assert rig.store.get(record.id) == newer


def test_the_check_after_an_answer_clears_the_debt_without_a_read() -> None:
    rig = Rig()
    record = rig.escalate()
    done, _ = rig.workflow.claim(rig.uid(JASON), record.id, answer=True)
    assert rig.stored(record.id).unannounced == done.version
    key = keys.escalation(record.id)
    rig.kv.reads.clear()
    updates = len(rig.updates)
    rig.later.run_all()
    assert rig.kv.reads[key] == 0
    assert rig.stored(record.id).unannounced == 0
    assert len(rig.updates) == updates  # nothing landed meanwhile: no second edit


def test_the_check_after_an_answer_edits_the_post_again_if_a_change_landed() -> None:
    rig = Rig()
    record = rig.escalate()
    rig.workflow.claim(rig.uid(JASON), record.id, answer=True)
    released, _ = rig.other_node().release(rig.uid(JASON), record.id)
    updates = len(rig.updates)
    rig.later.run_all()
    assert len(rig.updates) > updates
    assert rig.stored(record.id).version == released.version
    assert rig.message(record) == rig.workflow.post_edit(rig.stored(record.id))[0]


def test_a_press_that_never_finds_its_copy_stored_gives_up_busy(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(service, "RETRY_PAUSE_SECONDS", 0.0)
    rig = Rig()
    record = rig.escalate()
    key = keys.escalation(record.id)
    meddler = KVStore(rig.w.kv)
    get = rig.kv.get

    def stale_at_once(k: str) -> bytes | None:
        """Every read of the record is out of date the moment it returns."""
        raw = get(k)
        if k == key:
            meddler.transition(record.id, lambda r: r.with_changes(rig.now))
        return raw

    rig.kv.get = stale_at_once  # type: ignore[method-assign,assignment]
    with pytest.raises(Busy):
        rig.workflow.claim(rig.uid(IAN), record.id)
    stored = rig.stored(record.id)
    assert stored.events == record.events and stored.owner == record.owner
    # A read to start with, per round the read inside the decision, a fresh one between rounds
    # (none after the last: nothing would use it).
    assert stored.version == record.version + 2 * service.STALE_RESTARTS


def test_a_press_whose_copy_went_stale_once_is_decided_on_the_fresh_record() -> None:
    rig = Rig()
    record = rig.escalate()
    touched = KVStore(rig.w.kv).transition(record.id, lambda r: r.with_changes(rig.now))
    done, changed = rig.workflow.claim(rig.uid(IAN), record.id, known=record)
    assert changed and done.owner == IAN
    assert done.version == touched.version + 1 and rig.stored(record.id) == done


def test_a_read_keeps_what_it_read_and_a_missing_record_keeps_nothing() -> None:
    rig = Rig()
    record = rig.escalate()
    fresh = KVStore(rig.kv)  # type: ignore[arg-type]
    assert fresh.recent(record.id) is None
    assert fresh.get(record.id) == record
    assert fresh.recent(record.id) == record
    assert fresh.get("z" * 26) is None and fresh.recent("z" * 26) is None


def test_the_read_inside_a_change_keeps_what_it_read() -> None:
    rig = Rig()
    record = rig.escalate()
    fresh = KVStore(rig.kv)  # type: ignore[arg-type]
    assert fresh.transition(record.id, lambda r: r) == record  # nothing to do: no write
    assert fresh.recent(record.id) == record


def test_a_late_read_of_an_older_version_does_not_replace_the_newer_copy() -> None:
    rig = Rig()
    record = rig.escalate()
    key = keys.escalation(record.id)
    old = rig.w.kv.get(key)
    done, _ = rig.workflow.claim(rig.uid(IAN), record.id)
    assert rig.store.recent(record.id) == done
    real_get = rig.kv.get
    rig.kv.get = lambda k: old if k == key else real_get(k)  # type: ignore[method-assign,assignment]
    assert rig.store.get(record.id) == record  # a read that started before the claim landed
    assert rig.store.recent(record.id) == done


def test_a_change_from_a_known_copy_that_shows_nowhere_writes_only_the_record() -> None:
    rig = Rig()
    record = rig.escalate()
    touched = replace(record, unannounced=record.version)
    assert rig.store.replace(record, touched)
    writes = rig.kv.writes
    cleared = rig.store.transition(record.id, lambda r: replace(r, unannounced=0), known=touched)
    assert cleared.unannounced == 0
    assert rig.kv.writes == writes + 1  # neither the index nor the ledger is written
