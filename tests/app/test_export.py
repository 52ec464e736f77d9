"""The export: formula-safe CSV, the JSON shape, bounded answers continued by a cursor, and who
may export (in-process, over the in-memory KV)."""

from __future__ import annotations

import csv
import io
import json
import threading
from collections.abc import Iterator
from dataclasses import replace

import pytest

from app.test_service import World
from app.test_store_races import record
from escalations.app.domain.errors import AdminsOnly, Busy, InvalidRequest
from escalations.app.domain.model import Action, Event
from escalations.app.workflow import export
from escalations.app.workflow.ledger import Row
from escalations.app.workflow.reports import EXPORTS_AT_ONCE, Reports
from escalations.app.workflow.store import KVStore

JAN = 1_767_225_600_000  # 2026-01-01T00:00:00Z
DAY = 24 * 3600 * 1000


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("=1+1", "'=1+1"), ("+49 151", "'+49 151"), ("-2", "'-2"), ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=x", "'\t=x"), ("\r=x", "'\r=x"), ("  =x", "'  =x"), ("a=b", "a=b"), ("", ""),
        ("'quoted", "'quoted"), ("2026-01-01T00:00:00.000Z", "2026-01-01T00:00:00.000Z"),
    ],
)  # fmt: skip
def test_guard_cell(text: str, shown: str) -> None:
    assert export.guard_cell(text) == shown


def test_csv_cells_are_guarded_and_round_trip() -> None:
    hostile = record("e1", created_at=JAN)
    hostile = replace(
        hostile,
        excerpt='=HYPERLINK("http://x","y")\n+1, "quoted"',
        note="-@everyone",
        events=(*hostile.events, Event(Action.ASSIGNED, "=cmd", JAN + 1, "@x")),
    )
    order = [(JAN, "e1")]
    page = export.page("csv", order, lambda _: hostile, {})
    [row] = list(csv.DictReader(io.StringIO(page.body.decode())))
    assert list(row) == list(export.COLUMNS)
    assert row["excerpt"] == '\'=HYPERLINK("http://x","y")\n+1, "quoted"'
    assert row["note"] == "'-@everyone"
    assert row["events"].splitlines() == [
        "2026-01-01T00:00:00.000Z escalated by alice",
        "2026-01-01T00:00:00.001Z assigned by =cmd (@x)",
    ]
    assert row["created_at"] == "2026-01-01T00:00:00.000Z" and row["resolved_at"] == ""
    assert page.next_cursor is None and page.count == 1


def test_json_keeps_the_text_and_the_log() -> None:
    r = record("e1", created_at=JAN)
    page = export.page("json", [(JAN, "e1")], lambda _: r, {"from": "a", "to": "b"})
    data = json.loads(page.body)
    assert data["from"] == "a" and data["count"] == 1 and data["next_cursor"] is None
    [item] = data["escalations"]
    assert item["events"] == [{"what": "escalated", "who": "alice", "when": JAN, "detail": ""}]
    assert item["acknowledged_at"] is None and item["created_at"] == JAN


def test_a_full_answer_names_the_cursor_that_continues_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    world = World()
    store = KVStore(world.kv)
    for n in range(7):
        store.create_if_absent(record(f"e{n}", created_at=JAN + n * 1000))
    store.create_if_absent(record("late", created_at=JAN + 40 * DAY))
    reports = Reports(store, world.host, world.workflow, lambda: JAN + 50 * DAY)
    admin = world.host.add_user("root")
    world.host.admins.add(admin.id)
    monkeypatch.setattr(export, "MAX_RECORDS", 3)
    seen: list[str] = []
    cursor = ""
    for _ in range(5):
        page = reports.export(admin.id, "json", "2026-01-01", "2026-01-31", cursor)
        seen += [e["id"] for e in json.loads(page.body)["escalations"]]
        if page.next_cursor is None:
            break
        cursor = str(page.next_cursor)
    assert seen == [f"e{n}" for n in range(7)]  # oldest first, each once, "late" out of range


def test_only_system_admins_export_and_bad_queries_are_refused() -> None:
    world = World()
    reports = Reports(KVStore(world.kv), world.host, world.workflow, lambda: JAN)
    with pytest.raises(AdminsOnly):
        reports.export(world.uid("ian.tien"), "csv")
    with pytest.raises(AdminsOnly):  # refused before the query is even looked at
        reports.export(world.alice.id, "xml", "junk")
    admin = world.host.add_user("root")
    world.host.admins.add(admin.id)
    for fmt, first, last, cursor in [
        ("xml", "", "", ""), ("csv", "2026-02-30", "", ""), ("csv", "2026-W01-1", "", ""),
        ("csv", "2026-02-01", "2026-01-01", ""), ("csv", "1990-01-01", "2026-01-01", ""),
        ("csv", "", "", "1.UPPER"), ("csv", "", "", "x"),
    ]:  # fmt: skip
        with pytest.raises(InvalidRequest):
            reports.export(admin.id, fmt, first, last, cursor)
    default = reports.export(admin.id, "json")
    assert json.loads(default.body)["from"] == "2025-12-03"  # 30 days up to today


def test_exports_beyond_the_ones_running_are_refused_at_once() -> None:
    world = World()
    reports = Reports(KVStore(world.kv), world.host, world.workflow, lambda: JAN)
    admin = world.host.add_user("root")
    world.host.admins.add(admin.id)
    release = threading.Event()
    started = threading.Barrier(EXPORTS_AT_ONCE + 1, timeout=10)

    def slow_rows(start: int, end: int) -> Iterator[Row]:
        if not release.is_set():  # the first exports hold their slot until released
            started.wait()
            release.wait(10)
        return iter(())

    reports._store.ledger_rows = slow_rows  # type: ignore[method-assign,assignment]  # a slow store
    threads = [threading.Thread(target=reports.export, args=(admin.id, "csv"))
               for _ in range(EXPORTS_AT_ONCE)]  # fmt: skip
    for t in threads:
        t.start()
    started.wait()
    with pytest.raises(Busy):
        reports.export(admin.id, "csv")
    release.set()
    for t in threads:
        t.join(10)
    assert reports.export(admin.id, "json").count == 0  # free again
