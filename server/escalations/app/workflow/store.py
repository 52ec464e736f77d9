"""Escalation storage in domain words, over the ``KV`` port.

Concurrency contract (several plugin nodes, many threads each):

* ``create_if_absent`` is an insert-if-absent on the record key, whose id is derived from the
  (post, topic) pair: of any number of concurrent creators exactly one gets ``created=True``.
* ``transition`` is read -> compute -> compare-and-set against the exact bytes read, retried up to
  ``TRANSITION_RETRIES`` times when another writer got in between. The ``change`` function sees the
  fresh record on every attempt, so a rule like "only an open escalation can be claimed" is checked
  against what is really stored; it raises a ``WorkflowError`` to refuse. A claim can never be won
  twice: the second claimer's compare-and-set fails, it re-reads, and its ``change`` sees the owner.
* Every record write that lands is followed by an update of the open-escalations index
  (``index.OpenIndex``); ``list_open`` reads only the index. Index updates are best effort: the
  record is the truth and ``repair_index`` rebuilds the index from a scan. With ``afterwards``
  the update runs just after the write, off the request path (``afterwards.Afterwards``); a list
  in the same process first waits for the updates still owed.
* The ledger (``ledger.Ledger``, one short row per escalation for the statistics and the export)
  is updated the same way, after the index, and repaired by the same scan.
* ``recent`` gives the copy of a record this process last read or wrote, without a read. It may
  be stale (another node, or another thread, wrote since), so it is only ever used as a first
  guess for ``transition``'s ``known``: the compare-and-set against its exact bytes fails if it
  is stale, and the change is then decided on a fresh read.
"""

from __future__ import annotations

import collections
import json
import logging
import random
import threading
import time
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Protocol

from escalations.app.domain import keys
from escalations.app.domain.errors import Busy, EscalationNotFound, WorkflowError
from escalations.app.domain.kv import KV
from escalations.app.domain.model import Escalation
from escalations.app.workflow.afterwards import Afterwards
from escalations.app.workflow.fanout import Fanout
from escalations.app.workflow.index import OpenIndex, Summary
from escalations.app.workflow.ledger import Ledger, Row

log = logging.getLogger(__name__)

# Compare-and-set attempts per transition before giving up with ``Busy``. Twenty simultaneous
# clicks need at most one retry each for a claim (the losers see the owner on their re-read); the
# budget covers bursts of interleaved *successful* changes (assign/release ping-pong).
TRANSITION_RETRIES = 8
# Pause between attempts: a few ms with jitter so retries of simultaneous writers spread out.
RETRY_PAUSE_SECONDS = 0.005
LIST_PAGE_SIZE = 200
# Upper bound on keys scanned by ``find_ids`` (``/escalation show <ref>``, a request path).
LIST_MAX_KEYS = 20_000
# How long a read of the index or of ``escalated_by`` waits for this process's owed updates.
SETTLE_WAIT_SECONDS = 2.0
# How many escalation ids per person ``escalated_by`` keeps (the newest).
ESCALATED_BY_KEPT = 100
# How many records ``recent`` keeps (the ones used last; a few MB at most).
RECENT_KEPT = 2_000
# The ``afterwards`` key of the index and ledger updates: this process makes them in order.
REINDEX_KEY = "index+ledger"

Change = Callable[[Escalation], Escalation]


class Store(Protocol):
    def create_if_absent(self, record: Escalation) -> tuple[Escalation, bool]:
        """Store ``record`` unless its id exists; return (stored record, created)."""
        ...

    def get(self, escalation_id: str) -> Escalation | None:
        """The record, or ``None``."""
        ...

    def recent(self, escalation_id: str) -> Escalation | None:
        """The copy of the record this process last read or wrote, without a read, or
        ``None``; possibly stale, so only good as ``transition``'s ``known``."""
        ...

    def transition(
        self, escalation_id: str, change: Change, known: Escalation | None = None
    ) -> Escalation:
        """Apply ``change`` with compare-and-set and retries; return the stored result.
        ``change`` returning its argument unchanged writes nothing. ``known``: a copy the caller
        just read, tried first (saves a read when nobody else wrote); refusals and no-ops are
        always decided on a fresh read.
        Raises ``EscalationNotFound``, ``Busy`` or whatever ``change`` raises."""
        ...

    def replace(self, expected: Escalation, new: Escalation) -> bool:
        """One compare-and-set from ``expected`` (as this store serialised it) to ``new``;
        False if the stored record is anything else. Saves the read of ``transition`` when the
        caller holds the current version."""
        ...

    def discard(self, expected: Escalation) -> bool:
        """Delete the record if it is still exactly ``expected`` (compare-and-delete); False if
        anyone changed it meanwhile."""
        ...

    def list_open(self) -> list[Summary]:
        """Escalations not yet resolved (pending ones excluded), oldest first, from the index."""
        ...

    def scan(self) -> Iterator[Escalation]:
        """Every stored record, resolved and pending ones included (slow: for repairs)."""
        ...

    def repair_index(self) -> int:
        """Merge a full scan into the open-escalations index and the ledger; the number of index
        entries fixed."""
        ...

    def ledger_rows(self, start_ms: int, end_ms: int) -> Iterator[Row]:
        """The ledger rows of the escalations created from ``start_ms`` to ``end_ms``."""
        ...

    def compact_resolved(self, resolved_before: int, now: int) -> int:
        """Compact (``Escalation.compact``) every record resolved before ``resolved_before``
        (ms) and not compacted yet; the number compacted. A scan: for the scheduler."""
        ...

    def note_escalated(self, user_id: str, escalation_id: str) -> None:
        """Remember that ``user_id`` raised ``escalation_id`` (for ``escalated_by``)."""
        ...

    def escalated_by(self, user_id: str) -> list[str]:
        """Ids of the escalations ``user_id`` raised, newest first."""
        ...

    def find_ids(self, prefix: str) -> list[str]:
        """Ids of the stored escalations that start with ``prefix`` (pending ones included)."""
        ...


class KVStore:
    """``Store`` over a ``KV``."""

    def __init__(
        self,
        kv: KV,
        *,
        retries: int = TRANSITION_RETRIES,
        fanout: Fanout | None = None,
        afterwards: Afterwards | None = None,
    ) -> None:
        """``fanout``: runs independent reads together (the index's shards; the index and the
        ledger updates after a write); ``afterwards``: where the index and ledger updates run
        (``None``: in the writer's thread, before the write returns)."""
        self._kv = kv
        self._afterwards = afterwards
        self._retries = retries
        self._fanout = fanout
        self._index = OpenIndex(kv, fanout)
        self._ledger = Ledger(kv)
        self._recent: collections.OrderedDict[str, Escalation] = collections.OrderedDict()
        self._recent_lock = threading.Lock()

    def create_if_absent(self, record: Escalation) -> tuple[Escalation, bool]:
        key = keys.escalation(record.id)
        if self._kv.compare_and_set(key, None, record.to_json()):
            self._landed(record)
            return record, True
        existing = self.get(record.id)
        if existing is None:  # deleted between our attempt and the read: try once more
            if self._kv.compare_and_set(key, None, record.to_json()):
                self._landed(record)
                return record, True
            existing = self.get(record.id)
            if existing is None:
                raise Busy("The escalation is being changed; try again.")
        return existing, False

    def get(self, escalation_id: str) -> Escalation | None:
        raw = self._kv.get(keys.escalation(escalation_id))
        record = self._parse(raw) if raw else None
        self._remember(escalation_id, record)
        return record

    def recent(self, escalation_id: str) -> Escalation | None:
        with self._recent_lock:
            record = self._recent.get(escalation_id)
            if record is not None:
                self._recent.move_to_end(escalation_id)
            return record

    def _remember(self, escalation_id: str, record: Escalation | None) -> None:
        """Keep ``record`` as the latest copy this process saw (``None``: keep none). An older
        version than the one kept is ignored (two threads may finish in either order)."""
        with self._recent_lock:
            kept = self._recent.get(escalation_id)
            if record is None:
                self._recent.pop(escalation_id, None)
            elif kept is None or record.version >= kept.version:
                self._recent[escalation_id] = record
                self._recent.move_to_end(escalation_id)
                while len(self._recent) > RECENT_KEPT:
                    self._recent.popitem(last=False)

    def _landed(self, record: Escalation, before: Escalation | None = None) -> None:
        """A write of ``record`` landed: remember it, and update the index and the ledger."""
        self._remember(record.id, record)
        self._reindex(record, before)

    def transition(
        self, escalation_id: str, change: Change, known: Escalation | None = None
    ) -> Escalation:
        key = keys.escalation(escalation_id)
        if known is not None:
            fast = self._try_known(key, change, known)
            if fast is not None:
                return fast
        for attempt in range(self._retries):
            raw = self._kv.get(key)
            if not raw:
                raise EscalationNotFound("Unknown escalation.")
            current = self._parse(raw)
            if current is None:
                raise EscalationNotFound("Unknown escalation.")
            self._remember(escalation_id, current)
            updated = change(current)
            if updated is current:
                return current
            if self._kv.compare_and_set(key, raw, updated.to_json()):
                self._landed(updated, current)
                return updated
            # Someone else wrote between our read and our write: re-read and re-decide.
            time.sleep(RETRY_PAUSE_SECONDS * (1 + attempt) * random.random())
        raise Busy("The escalation is being changed by others right now; try again.")

    def _try_known(self, key: str, change: Change, known: Escalation) -> Escalation | None:
        """One compare-and-set from the caller's copy; ``None`` means "decide on a fresh read"
        (the copy was stale, or ``change`` refused or had nothing to do on it)."""
        try:
            updated = change(known)
        except WorkflowError:
            return None
        if updated is known:
            return None
        if self._kv.compare_and_set(key, known.to_json(), updated.to_json()):
            self._landed(updated, known)
            return updated
        self._remember(known.id, None)  # stale: not a guess worth trying again
        return None

    def replace(self, expected: Escalation, new: Escalation) -> bool:
        key = keys.escalation(expected.id)
        if not self._kv.compare_and_set(key, expected.to_json(), new.to_json()):
            self._remember(expected.id, None)
            return False
        self._landed(new)
        return True

    def discard(self, expected: Escalation) -> bool:
        key = keys.escalation(expected.id)
        self._remember(expected.id, None)
        return self._kv.compare_and_set(key, expected.to_json(), None)

    def list_open(self) -> list[Summary]:
        self.settled()
        return self._index.entries()

    def settled(self) -> None:
        """Wait (a little) for this process's index and ledger updates still owed."""
        if self._afterwards is not None:
            self._afterwards.settled(SETTLE_WAIT_SECONDS)

    def find_ids(self, prefix: str) -> list[str]:
        # Matched on the key names alone: no record is read; a request path, so the scan is
        # bounded (``LIST_MAX_KEYS``).
        start = keys.escalation_prefix()
        return [k[len(start) :] for k in self._escalation_keys(start + prefix, LIST_MAX_KEYS)]

    def scan(self) -> Iterator[Escalation]:
        for key in self._escalation_keys(keys.escalation_prefix()):
            raw = self._kv.get(key)
            record = self._parse(raw) if raw else None
            if record is not None:
                yield record

    def _escalation_keys(self, prefix: str, max_keys: int | None = None) -> Iterator[str]:
        """The keys starting with ``prefix``, scanning at most ``max_keys`` keys (all if
        ``None``)."""
        page = 0
        while max_keys is None or page * LIST_PAGE_SIZE < max_keys:
            batch = self._kv.list_keys(page, LIST_PAGE_SIZE)
            yield from (key for key in batch if key.startswith(prefix))
            if len(batch) < LIST_PAGE_SIZE:
                return
            page += 1

    def repair_index(self) -> int:
        records = list(self.scan())
        fixed = self._index.repair(records)
        rows = self._ledger.repair(records)  # the same scan puts the ledger right too
        if rows:
            log.info("ledger: %d rows written from the records", rows)
        return fixed

    def ledger_rows(self, start_ms: int, end_ms: int) -> Iterator[Row]:
        self.settled()
        return self._ledger.rows(start_ms, end_ms)

    def compact_resolved(self, resolved_before: int, now: int) -> int:
        def compact(current: Escalation) -> Escalation:
            if not _compactable(current, resolved_before):
                return current
            return current.compact(now)

        done = 0
        for r in list(self.scan()):
            if _compactable(r, resolved_before):
                try:
                    done += self.transition(r.id, compact, known=r).compacted
                except WorkflowError:  # changed or removed meanwhile: the next round decides
                    continue
        return done

    def note_escalated(self, user_id: str, escalation_id: str) -> None:
        key = keys.escalated_by(user_id)
        for _ in range(self._retries):
            raw = self._kv.get(key)
            ids = _id_list(raw)
            if escalation_id in ids:
                return
            kept = [*ids, escalation_id][-ESCALATED_BY_KEPT:]
            if self._kv.compare_and_set(key, raw, json.dumps(kept).encode()):
                return
        raise Busy("Too many escalations at once; try again.")

    def escalated_by(self, user_id: str) -> list[str]:
        self.settled()
        return list(reversed(_id_list(self._kv.get(keys.escalated_by(user_id)))))

    def _reindex(self, record: Escalation, before: Escalation | None = None) -> None:
        """Bring the open index and the ledger up to date with a record that landed; the two
        are independent and written together. A failure is logged: the record is the truth and
        the next repair puts them right. ``before``: the record this write replaced; a change
        that neither shows in the index nor in the ledger (e.g. marking a change as shown) is
        not written to them."""
        if before is not None and _same_derived(before, record):
            return
        if self._afterwards is not None:
            # One after another: updates of the same index shard or ledger month that ran
            # together would only make each other's compare-and-set fail and read again.
            self._afterwards.submit(lambda: self._reindex_now(record), key=REINDEX_KEY)
        else:
            self._reindex_now(record)

    def _reindex_now(self, record: Escalation) -> None:
        updates: list[Callable[[], None]] = [
            lambda: _logged(self._index.record, record),
            lambda: _logged(self._ledger.record, record),
        ]
        if self._fanout is None:
            for update in updates:
                update()
        else:
            self._fanout.run(updates)

    @staticmethod
    def _parse(raw: bytes) -> Escalation | None:
        try:
            return Escalation.from_json(raw)
        except (ValueError, KeyError, TypeError):
            log.warning("ignoring an unreadable escalation record")
            return None


def _logged(update: Callable[[Escalation], None], record: Escalation) -> None:
    try:
        update(record)
    except Exception:  # the record landed; the next repair puts the derived data right
        log.exception("%s failed for %s", getattr(update, "__qualname__", "update"), record.id)


def _same_derived(a: Escalation, b: Escalation) -> bool:
    """Whether ``a`` and ``b`` have the same open-index entry and ledger row, versions aside."""
    if a.pending != b.pending or a.resolved != b.resolved:
        return False
    same_entry = Summary.of(a)._replace(version=0) == Summary.of(b)._replace(version=0)
    return same_entry and Row.of(a)._replace(version=0) == Row.of(b)._replace(version=0)


def _compactable(r: Escalation, resolved_before: int) -> bool:
    return r.resolved and not r.compacted and r.updated_at < resolved_before


def _id_list(raw: bytes | None) -> list[str]:
    try:
        data = json.loads(raw) if raw else []
    except ValueError:
        return []
    return [str(x) for x in data] if isinstance(data, list) else []


if TYPE_CHECKING:  # static conformance
    from escalations.app.domain.kv import MemoryKV

    _conforms: Store = KVStore(MemoryKV())
