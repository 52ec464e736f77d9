"""The ledger: one short row per escalation, what ``/escalation stats`` and the export read, so
neither has to read every record the plugin ever wrote.

Layout: rows are grouped by the month the escalation was created in (UTC), and each month is
``SHARDS`` KV values (``keys.ledger``), each a JSON map from escalation id to a ``Row``. A
reader of the last N days reads only the months that overlap them; ``keys.ledger_months`` lists
the months that have rows, so empty months cost nothing. An escalation's month never changes
(its creation time does not), so its row always lives in the same value.

Writes: every record write that lands is followed by ``Ledger.record`` (compare-and-set on one
shard, retried), like the open index. A row carries its record's version and an update never
replaces a newer version with an older one, so retries, duplicates and updates from two nodes in
any order converge on the newest record: writing a row is idempotent. The record stays the truth:
``Ledger.repair`` merges a scan of the records back in with the same rule (the scheduler runs it
with the open index's repair, which also fills the ledger for records older than it).

Retention compacts resolved records (the middle of their log goes): the row computed from a
compacted record keeps the acknowledgement time of the row it replaces.
"""

from __future__ import annotations

import hashlib
import json
import logging
import random
import time
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime, timezone
from typing import Any, NamedTuple

from escalations.app.domain import keys
from escalations.app.domain.errors import Busy
from escalations.app.domain.kv import KV
from escalations.app.domain.model import Action, Escalation, Outcome
from escalations.app.workflow import jsonmap
from escalations.app.workflow.jsonmap import Encoded

log = logging.getLogger(__name__)

# Values per month: writes to different shards never contend; a month is read in SHARDS reads.
SHARDS = 4
LEDGER_RETRIES = 16
_RETRY_PAUSE_SECONDS = 0.003
_LAST_MS = 253_402_300_799_999  # 9999-12-31T23:59:59.999Z
_OUTCOME_CODES = {Outcome.RESPONDED: "r", Outcome.NO_RESPONSE_NEEDED: "n"}
_OUTCOMES = {code: outcome for outcome, code in _OUTCOME_CODES.items()}

Rows = dict[str, "Row"]


class Row(NamedTuple):
    """What the statistics need of one escalation; times in ms, 0 = not (yet)."""

    id: str
    version: int
    topic: str
    created_at: int
    acknowledged_at: int
    resolved_at: int
    outcome: Outcome | None

    @classmethod
    def of(cls, r: Escalation) -> Row:
        resolved = next((e.when for e in r.events if e.what is Action.RESOLVED), 0)
        return cls(r.id, r.version, r.topic, r.created_at, acknowledged_at(r), resolved, r.outcome)

    @property
    def resolved(self) -> bool:
        return self.resolved_at > 0

    def to_entry(self) -> list[Any]:
        code = _OUTCOME_CODES[self.outcome] if self.outcome else ""
        return [self.version, self.topic, self.created_at, self.acknowledged_at,
                self.resolved_at, code]  # fmt: skip

    @classmethod
    def from_entry(cls, esc_id: str, e: Any) -> Row:
        """Parse a stored entry; ``ValueError`` if it has the wrong shape."""
        if not isinstance(e, list) or len(e) != 6:
            raise ValueError("not a ledger entry")
        version, topic, created, acked, resolved, code = e
        # ``type(...) is``: the cheapest check, and it refuses ``True`` for a number too.
        if not (
            type(version) is int
            and type(topic) is str
            and type(created) is int
            and type(acked) is int
            and type(resolved) is int
        ):
            raise ValueError("not a ledger entry")
        return cls(esc_id, version, topic, created, acked, resolved, _OUTCOMES.get(code))


def acknowledged_at(r: Escalation) -> int:
    """When the escalation was first acknowledged: its first claim or take-over, an assignment
    to oneself, or, for one resolved without that, its resolution; 0 if none yet."""
    for e in r.events:
        if e.what in (Action.CLAIMED, Action.TOOK_OVER, Action.RESOLVED):
            return e.when
        if e.what is Action.ASSIGNED and e.detail == e.who:
            return e.when
    return 0


def month_of(ms: int) -> str:
    """``YYYYMM`` of a time in ms (UTC), for times from 1970 to the end of 9999."""
    ms = min(max(0, ms), _LAST_MS)
    return datetime.fromtimestamp(ms / 1000, tz=timezone.utc).strftime("%Y%m")


def shard_of(escalation_id: str) -> int:
    return hashlib.sha256(escalation_id.encode()).digest()[1] % SHARDS


class Ledger:
    def __init__(self, kv: KV) -> None:
        self._kv = kv
        # Months known to be listed in ``keys.ledger_months`` (it only grows).
        self._listed: set[str] = set()
        # The last parse of each value, by its exact bytes (parsing is most of a read's cost),
        # also what this process last wrote there: an update encodes only the rows it changed
        # (``jsonmap``), and starts from it without a read. Never mutated once stored.
        self._parsed: dict[str, Encoded[Row]] = {}

    def record(self, r: Escalation) -> None:
        """Bring the ledger up to date with ``r`` (a pending record has no row yet)."""
        if r.pending:
            return
        month = month_of(r.created_at)
        self._list_month(month)
        self._update(keys.ledger(month, shard_of(r.id)), lambda rows: _merge(rows, [r]))

    def rows(self, start_ms: int, end_ms: int) -> Iterator[Row]:
        """Rows of the escalations created from ``start_ms`` to ``end_ms`` (both included), in
        no particular order."""
        first, last = month_of(start_ms), month_of(end_ms)
        for month in sorted(self._months()):
            if not first <= month <= last:
                continue
            for shard in range(SHARDS):
                for row in self._read(keys.ledger(month, shard))[1].values():
                    if start_ms <= row.created_at <= end_ms:
                        yield row

    def repair(self, records: Iterable[Escalation]) -> int:
        """Merge ``records`` (a scan of the store) into the ledger; returns the rows changed."""
        by_key: dict[tuple[str, int], list[Escalation]] = {}
        for r in records:
            if not r.pending:
                by_key.setdefault((month_of(r.created_at), shard_of(r.id)), []).append(r)
        self._listed.clear()  # re-check the list of months too
        changed = 0
        for (month, shard), batch in sorted(by_key.items()):
            self._list_month(month)
            counted = [0]
            self._update(keys.ledger(month, shard), _counting_merge(batch, counted))
            changed += counted[0]
        return changed

    def _months(self) -> list[str]:
        raw = self._kv.get(keys.ledger_months())
        return _month_list(raw)

    def _list_month(self, month: str) -> None:
        if month in self._listed:
            return
        key = keys.ledger_months()
        for attempt in range(LEDGER_RETRIES):
            raw = self._kv.get(key)
            months = _month_list(raw)
            if month in months:
                break
            new = json.dumps(sorted({*months, month})).encode()
            if self._kv.compare_and_set(key, raw, new):
                break
            _pause(attempt)
        else:
            raise Busy("The statistics are busy; try again.")
        self._listed.add(month)

    def _read(self, key: str) -> tuple[bytes | None, Rows]:
        raw = self._kv.get(key)
        if not raw:
            return None, {}
        cached = self._parsed.get(key)
        if cached is not None and cached.raw == raw:
            return raw, dict(cached.members)
        try:
            data = json.loads(raw)
            rows = {k: Row.from_entry(k, v) for k, v in data.items()}
        except (ValueError, TypeError, AttributeError):
            log.warning("ledger value %s unreadable; it is rebuilt from the records", key)
            return raw, {}
        self._parsed[key] = Encoded(raw, rows, {})
        return raw, rows

    def _update(self, key: str, change: Callable[[Rows], Rows | None]) -> None:
        """Compare-and-set ``change`` into the value. The first attempt starts from the value
        as this process last read or wrote it, without reading it again; if another process
        wrote since, that compare-and-set fails and the next attempts read it afresh."""
        for attempt in range(LEDGER_RETRIES):
            cached = self._parsed.get(key) if attempt == 0 else None
            raw: bytes | None
            if cached is not None:
                raw, rows = cached.raw, dict(cached.members)
            else:
                raw, rows = self._read(key)
            updated = change(rows)
            if updated is None:
                if cached is None:
                    return
                continue  # nothing to do on a copy that may be stale: decide on a fresh read
            new, texts = jsonmap.encode(updated, Row.to_entry, self._parsed.get(key))
            if self._kv.compare_and_set(key, raw, new or b"{}"):
                self._parsed[key] = Encoded(new or b"{}", updated, texts)
                return
            if cached is None:
                _pause(attempt)
        raise Busy("The statistics are busy; try again.")


def _merge(rows: Rows, records: Iterable[Escalation]) -> Rows | None:
    """``rows`` with ``records`` applied, newest version winning; ``None`` if unchanged."""
    result = dict(rows)
    for r in records:
        known = result.get(r.id)
        if known is not None and known.version >= r.version:
            continue
        row = Row.of(r)
        if r.compacted and known is not None and known.acknowledged_at:
            row = row._replace(acknowledged_at=known.acknowledged_at)
        result[r.id] = row
    return None if result == rows else result


def _counting_merge(batch: list[Escalation], counted: list[int]) -> Callable[[Rows], Rows | None]:
    """``_merge`` of ``batch`` that notes in ``counted[0]`` how many rows it changed (of the
    attempt that landed: every retry overwrites it)."""

    def merge(rows: Rows) -> Rows | None:
        result = _merge(rows, batch)
        ids = rows.keys() | (result or {}).keys()
        counted[0] = 0 if result is None else sum(rows.get(i) != result.get(i) for i in ids)
        return result

    return merge


def _month_list(raw: bytes | None) -> list[str]:
    try:
        data = json.loads(raw) if raw else []
    except ValueError:
        return []
    if not isinstance(data, list):
        return []
    return [m for m in data if isinstance(m, str) and len(m) == 6 and m.isdigit()]


def _pause(attempt: int) -> None:
    time.sleep(_RETRY_PAUSE_SECONDS * (1 + attempt) * random.random())
