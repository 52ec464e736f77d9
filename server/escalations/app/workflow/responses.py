"""Each topic's response history: the answers recorded at "Resolve: responded".

One KV value per topic (``keys.responses``), a JSON list of ``ResponseEntry``, newest last, at most
``RESPONSES_KEPT`` (the oldest drop out; the records themselves keep their response). Listing a
topic's history reads that one value: no scan of the records.

``ResponseLog.add`` is a compare-and-set append, idempotent per escalation: a retried resolve, or
two nodes recording the same resolve, leave one entry. The workflow calls it right after the
resolve lands, and again whenever a resolve is refused as "already resolved" (so an append that
failed after the record was written is made up by the retry).
"""

from __future__ import annotations

import json
import logging
import random
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from escalations.app.domain import keys
from escalations.app.domain.errors import Busy
from escalations.app.domain.kv import KV
from escalations.app.domain.model import Escalation, Outcome, State

log = logging.getLogger(__name__)

# Entries kept per topic (the newest).
RESPONSES_KEPT = 100
# Compare-and-set attempts per append.
APPEND_RETRIES = 8
_RETRY_PAUSE_SECONDS = 0.005


@dataclass(frozen=True)
class ResponseEntry:
    """One answer: which escalation, who resolved it (user id: the name is looked up when
    shown), when (ms), the response as recorded, and the escalation post's link."""

    escalation_id: str
    user_id: str
    when: int
    response: str
    permalink: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "escalation_id": self.escalation_id,
            "user_id": self.user_id,
            "when": self.when,
            "response": self.response,
            "permalink": self.permalink,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ResponseEntry:
        when = data.get("when")
        fields = [data.get(k) for k in ("escalation_id", "user_id", "response", "permalink")]
        if not all(isinstance(f, str) for f in fields) or not isinstance(when, int):
            raise ValueError("not a response entry")
        esc_id, user_id, response, permalink = (str(f) for f in fields)
        return cls(esc_id, user_id, when, response, permalink)

    @classmethod
    def of(cls, record: Escalation, user_id: str) -> ResponseEntry | None:
        """The entry of a record resolved as responded (``None`` for any other record)."""
        if record.state is not State.RESOLVED or record.outcome is not Outcome.RESPONDED:
            return None
        if not record.response or record.last_event is None:
            return None
        return cls(record.id, user_id, record.last_event.when, record.response, record.permalink)


class ResponseLog:
    """The per-topic response histories over a ``KV``."""

    def __init__(self, kv: KV) -> None:
        self._kv = kv

    def add(self, topic: str, entry: ResponseEntry) -> None:
        """Append ``entry`` unless the topic's history has its escalation already."""
        key = keys.responses(topic)
        for attempt in range(APPEND_RETRIES):
            raw = self._kv.get(key)
            entries = _parse(raw)
            if any(e.escalation_id == entry.escalation_id for e in entries):
                return
            kept = [*entries, entry][-RESPONSES_KEPT:]
            body = json.dumps([e.to_dict() for e in kept], separators=(",", ":")).encode()
            if self._kv.compare_and_set(key, raw, body):
                return
            time.sleep(_RETRY_PAUSE_SECONDS * (1 + attempt) * random.random())
        raise Busy("Too many responses are being recorded at once; try again.")

    def newest_first(self, topic: str) -> list[ResponseEntry]:
        """The topic's history, newest first."""
        return list(reversed(_parse(self._kv.get(keys.responses(topic)))))


def _parse(raw: bytes | None) -> list[ResponseEntry]:
    if not raw:
        return []
    try:
        data = json.loads(raw)
        return [ResponseEntry.from_dict(d) for d in data]
    except (ValueError, TypeError, AttributeError):
        log.warning("a response history is unreadable; it starts again")
        return []
