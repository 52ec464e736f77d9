"""The index of open escalations: what ``/escalation list`` and the reminders read, so neither
has to scan every record the plugin ever wrote.

The index is ``SHARDS`` KV values (``keys.open_index``), each a JSON map from escalation id to a
``Summary`` of its record. Every record change is followed by an index update (compare-and-set on
one shard, retried): an open record is put, a resolved one removed. Each summary carries its
record's version, and an update never replaces a newer version with an older one, so updates that
arrive out of order (two nodes, a retry) converge on the newest record.

The record stays the truth. A node that dies between writing a record and updating the index
leaves the index behind; ``OpenIndex.repair`` merges a full scan of the records back in with the
same newest-version rule (the reminder scheduler runs it when it takes over and then periodically).
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import random
import time
from collections.abc import Callable, Iterable
from typing import Any, NamedTuple

from escalations.app.domain import keys
from escalations.app.domain.errors import Busy
from escalations.app.domain.kv import KV
from escalations.app.domain.model import Escalation
from escalations.app.workflow import jsonmap
from escalations.app.workflow.fanout import Fanout
from escalations.app.workflow.jsonmap import Encoded

log = logging.getLogger(__name__)

# Shards: updates to different shards never contend, and a list reads SHARDS values.
SHARDS = 8
# Compare-and-set attempts per shard update; index updates are small and quick.
INDEX_RETRIES = 16
_RETRY_PAUSE_SECONDS = 0.003

Entries = dict[str, "Summary"]


class Summary(NamedTuple):
    """What the list and the reminders need of one open escalation.

    A named tuple rather than a frozen dataclass, and stored as a JSON array rather than an
    object: ``/escalation list`` reads every entry of the index, and both choices make reading
    10,000 entries several times faster (``make bench``)."""

    id: str
    version: int
    topic: str
    topic_title: str
    permalink: str
    owner: str | None
    acknowledged: bool
    owner_since: int
    created_at: int
    created_by_id: str
    responders: tuple[str, ...]
    reminders: tuple[str, ...]

    @classmethod
    def of(cls, r: Escalation) -> Summary:
        return cls(
            r.id,
            r.version,
            r.topic,
            r.topic_title,
            r.permalink,
            r.owner,
            r.acknowledged,
            r.owner_since or r.created_at,
            r.created_at,
            r.created_by_id,
            r.responders,
            r.reminders,
        )

    def to_entry(self) -> list[Any]:
        """The stored form: every field but the id (the map's key), in order."""
        return [*self[1:10], list(self.responders), list(self.reminders)]

    @classmethod
    def from_entry(cls, esc_id: str, e: list[Any]) -> Summary:
        """Parse a stored entry; ``ValueError`` if it has the wrong shape."""
        if not isinstance(e, list) or len(e) != 11:
            raise ValueError("not an index entry")
        v, t, tt, link, owner, ack, since, created, by, rs, rm = e
        return cls(esc_id, v, t, tt, link, owner, ack, since, created, by, tuple(rs), tuple(rm))


def shard_of(escalation_id: str) -> int:
    return hashlib.sha256(escalation_id.encode()).digest()[0] % SHARDS


class OpenIndex:
    def __init__(self, kv: KV, fanout: Fanout | None = None) -> None:
        """``fanout``: reads the shards of a list together (one after another without)."""
        self._kv = kv
        self._fanout = fanout
        # The last parse of each shard, by its exact bytes: a shard that did not change since is
        # not parsed again (parsing is most of a list's cost), and an update encodes only the
        # entries it changed (``jsonmap``). Never mutated once stored.
        self._parsed: dict[int, Encoded[Summary]] = {}

    def record(self, r: Escalation) -> None:
        """Bring the index up to date with ``r`` (a pending record is not listed yet)."""
        if r.pending:
            return
        self._update(shard_of(r.id), lambda entries: _merge(entries, [r]))

    def entries(self) -> list[Summary]:
        """Every open escalation, oldest first."""
        reads = [functools.partial(self._read, shard) for shard in range(SHARDS)]
        shards = self._fanout.run(reads) if self._fanout else [read() for read in reads]
        found: list[Summary] = []
        for _, entries in shards:
            found.extend(entries.values())
        found.sort(key=_age_order)
        return found

    def repair(self, records: Iterable[Escalation]) -> int:
        """Merge ``records`` (a scan of the store) into the index; returns the entries changed."""
        by_shard: dict[int, list[Escalation]] = {}
        for r in records:
            if not r.pending:
                by_shard.setdefault(shard_of(r.id), []).append(r)
        counted = [0] * SHARDS
        for shard, batch in by_shard.items():
            self._update(shard, _counting_merge(batch, counted, shard))
        return sum(counted)

    def _read(self, shard: int) -> tuple[bytes | None, Entries]:
        raw = self._kv.get(keys.open_index(shard))
        if not raw:
            return None, {}
        cached = self._parsed.get(shard)
        if cached is not None and cached.raw == raw:
            return raw, dict(cached.members)
        try:
            data = json.loads(raw)
            entries = {k: Summary.from_entry(k, v) for k, v in data.items()}
            self._parsed[shard] = Encoded(raw, entries, {})
            return raw, entries
        except (ValueError, KeyError, TypeError, AttributeError):
            log.warning("open index shard %d unreadable; it is rebuilt from the records", shard)
            return raw, {}

    def _update(self, shard: int, change: Callable[[Entries], Entries | None]) -> None:
        """Compare-and-set ``change`` into the shard. The first attempt starts from the shard as
        this process last read or wrote it, without reading it again: when no other process
        wrote since (the usual case) that saves a read; otherwise the compare-and-set fails and
        the next attempts read it afresh."""
        key = keys.open_index(shard)
        for attempt in range(INDEX_RETRIES):
            cached = self._parsed.get(shard) if attempt == 0 else None
            raw: bytes | None
            if cached is not None:
                raw, entries = cached.raw, dict(cached.members)
            else:
                raw, entries = self._read(shard)
            updated = change(entries)
            if updated is None:
                if cached is None:
                    return
                continue  # nothing to do on a copy that may be stale: decide on a fresh read
            before = self._parsed.get(shard)
            new, texts = jsonmap.encode(updated, Summary.to_entry, before)
            if raw is None and new is None:
                return
            if self._kv.compare_and_set(key, raw, new):
                self._remember(shard, new, updated, texts)
                return
            if cached is None:
                time.sleep(_RETRY_PAUSE_SECONDS * (1 + attempt) * random.random())
        raise Busy("The list of open escalations is busy; try again.")

    def _remember(
        self, shard: int, raw: bytes | None, entries: Entries, texts: dict[str, str]
    ) -> None:
        """What this process just wrote to the shard, as if it had read it."""
        if raw is None:
            self._parsed.pop(shard, None)
        else:
            self._parsed[shard] = Encoded(raw, entries, texts)


def _age_order(s: Summary) -> tuple[int, str]:
    return s.created_at, s.id


def _merge(entries: Entries, records: Iterable[Escalation]) -> Entries | None:
    """``entries`` with ``records`` applied, newest version winning; ``None`` if unchanged."""
    result = dict(entries)
    for r in records:
        known = result.get(r.id)
        if known is not None and known.version >= r.version:
            continue
        if r.resolved:
            if known is not None:
                del result[r.id]
            continue
        result[r.id] = Summary.of(r)
    return None if result == entries else result


def _counting_merge(
    batch: list[Escalation], counted: list[int], shard: int
) -> Callable[[Entries], Entries | None]:
    """``_merge`` of ``batch`` that notes in ``counted[shard]`` how many entries it changed
    (of the attempt that landed: every retry overwrites it)."""

    def merge(entries: Entries) -> Entries | None:
        result = _merge(entries, batch)
        counted[shard] = _differences(entries, result) if result is not None else 0
        return result

    return merge


def _differences(before: Entries, after: Entries) -> int:
    ids = before.keys() | after.keys()
    return sum(1 for i in ids if before.get(i) != after.get(i))
