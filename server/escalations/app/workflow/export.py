"""The export: escalation records and their event logs as CSV or JSON (``docs/http-api.md``).

Content is what is stored, redacted at escalation time (the excerpt and the note as stored).
Everything is untrusted text: in CSV every cell that a spreadsheet could read as a formula (it
starts, after any spaces, with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return) gets a
leading ``'``.

Records are read oldest first (creation time, then id), a few at a time, and written into the
answer until it holds ``MAX_RECORDS`` records or ``MAX_BYTES`` bytes; an answer that stopped
early names the ``cursor`` that continues after its last record, so memory stays bounded
whatever the range holds.
"""

from __future__ import annotations

import csv
import io
import json
import re
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from escalations.app.domain.errors import InvalidRequest
from escalations.app.domain.model import Action, Escalation, Event
from escalations.app.workflow.ledger import Row, acknowledged_at

FORMATS = ("csv", "json")
MAX_RECORDS = 5_000
MAX_BYTES = 8 * 1024 * 1024
# Records read at once (round trips to the server in flight), and read ahead of the writing.
READERS = 4
READ_AHEAD = 64
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_CURSOR_RE = re.compile(r"^(\d{1,15})\.([a-z0-9]{1,64})$")

COLUMNS = (
    "id", "ref", "topic", "topic_title", "state", "outcome", "owner", "default_owner",
    "created_by", "created_at", "acknowledged_at", "resolved_at", "updated_at", "permalink",
    "source_link", "responders", "loop_in", "excerpt", "note", "response", "compacted", "events",
)  # fmt: skip


@dataclass(frozen=True)
class Cursor:
    """Where an export continues: after the record created at ``created_at`` with ``id``."""

    created_at: int
    id: str

    @classmethod
    def parse(cls, text: str) -> Cursor:
        match = _CURSOR_RE.match(text)
        if match is None:
            raise InvalidRequest("cursor must be the next_cursor of an earlier export.")
        return cls(int(match.group(1)), match.group(2))

    def __str__(self) -> str:
        return f"{self.created_at}.{self.id}"


@dataclass(frozen=True)
class Page:
    """One answer of the export."""

    content_type: str
    body: bytes
    count: int
    next_cursor: Cursor | None


def ordered(rows: Iterable[Row], after: Cursor | None) -> list[tuple[int, str]]:
    """(created_at, id) of ``rows`` oldest first, only those after ``after``."""
    keys = sorted((r.created_at, r.id) for r in rows)
    if after is None:
        return keys
    return [k for k in keys if k > (after.created_at, after.id)]


def page(
    fmt: str,
    order: list[tuple[int, str]],
    read: Callable[[str], Escalation | None],
    head: dict[str, Any],
) -> Page:
    """Read the records of ``order`` into one answer in ``fmt``; ``head``: the JSON answer's
    fields besides the records. Reads run ``READERS`` at a time (each is a round trip to the
    server), at most ``READ_AHEAD`` records ahead of the writing."""
    writer = _CsvWriter() if fmt == "csv" else _JsonWriter()
    count, last, cursor = 0, None, None
    with ThreadPoolExecutor(READERS, thread_name_prefix="export") as pool:
        for at in range(0, len(order), READ_AHEAD):
            batch = order[at : at + READ_AHEAD]
            if count >= MAX_RECORDS or writer.size >= MAX_BYTES:
                cursor = last  # stopped early: the next answer continues after this one's last
                break
            for (created_at, esc_id), record in zip(
                batch, pool.map(read, [i for _, i in batch]), strict=True
            ):
                if count >= MAX_RECORDS or writer.size >= MAX_BYTES:
                    cursor = last
                    break
                if record is None or record.pending:
                    continue
                writer.add(record)
                count, last = count + 1, Cursor(created_at, esc_id)
            if cursor is not None:
                break
    if fmt == "csv":
        return Page("text/csv; charset=utf-8", writer.finish({}), count, cursor)
    body = writer.finish({**head, "count": count, "next_cursor": str(cursor) if cursor else None})
    return Page("application/json", body, count, cursor)


def guard_cell(text: str) -> str:
    """``text`` as a spreadsheet shows it as text, never as a formula."""
    return "'" + text if text.lstrip(" ").startswith(_FORMULA_START) else text


def iso(ms: int) -> str:
    """A time in ms as ISO 8601 UTC, or ``""`` for 0 (not yet)."""
    if not ms:
        return ""
    seconds, millis = divmod(ms, 1000)
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds)) + f".{millis:03d}Z"


def resolved_at(r: Escalation) -> int:
    return next((e.when for e in r.events if e.what is Action.RESOLVED), 0)


def csv_cells(r: Escalation) -> list[str]:
    """The CSV row of ``r`` in ``COLUMNS`` order, every cell guarded."""
    cells = [
        r.id, r.ref, r.topic, r.topic_title, r.state.value, r.outcome.value if r.outcome else "",
        r.owner or "", r.default_owner or "", r.created_by, iso(r.created_at),
        iso(acknowledged_at(r)), iso(resolved_at(r)), iso(r.updated_at), r.permalink,
        r.source_link, " ".join(r.responders), " ".join(r.loop_in), r.excerpt, r.note,
        r.response, "true" if r.compacted else "false", "\n".join(map(_event_line, r.events)),
    ]  # fmt: skip
    return [guard_cell(c) for c in cells]


def json_object(r: Escalation) -> dict[str, Any]:
    """The JSON export object of ``r``: the API's escalation object plus the stored content and
    the event log."""
    data = r.to_api()
    data.update(
        ref=r.ref,
        acknowledged_at=acknowledged_at(r) or None,
        resolved_at=resolved_at(r) or None,
        source_link=r.source_link,
        responders=list(r.responders),
        loop_in=list(r.loop_in),
        excerpt=r.excerpt,
        note=r.note,
        compacted=r.compacted,
        events=[e.to_dict() for e in r.events],
    )
    return data


def _event_line(e: Event) -> str:
    detail = f" ({e.detail})" if e.detail else ""
    return f"{iso(e.when)} {e.what.value} by {e.who}{detail}"


class _CsvWriter:
    def __init__(self) -> None:
        self._buffer = io.StringIO()
        self._csv = csv.writer(self._buffer, lineterminator="\r\n")
        self._csv.writerow(COLUMNS)
        self._parts: list[bytes] = []
        self.size = 0
        self._flush()

    def add(self, r: Escalation) -> None:
        self._csv.writerow(csv_cells(r))
        self._flush()

    def finish(self, head: dict[str, Any]) -> bytes:
        return b"".join(self._parts)

    def _flush(self) -> None:
        chunk = self._buffer.getvalue().encode("utf-8")
        self._buffer.seek(0)
        self._buffer.truncate()
        self._parts.append(chunk)
        self.size += len(chunk)


class _JsonWriter:
    def __init__(self) -> None:
        self._parts: list[bytes] = []
        self.size = 0

    def add(self, r: Escalation) -> None:
        chunk = json.dumps(json_object(r), separators=(",", ":"), ensure_ascii=False).encode()
        self._parts.append(chunk)
        self.size += len(chunk) + 1

    def finish(self, head: dict[str, Any]) -> bytes:
        opening = json.dumps(head, separators=(",", ":"), ensure_ascii=False)[:-1]
        opening += ',"escalations":[' if head else '"escalations":['
        return b"".join([opening.encode(), b",".join(self._parts), b"]}"])
