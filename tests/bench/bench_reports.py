"""Benchmark of the statistics and the export at 10,000 escalations, in process (the workflow over
the in-memory KV; the real server's figures are ``bench_reports_server.py``'s).

10,000 escalations spread over the last 365 days, 90 % resolved, seeded through the store's
repair (records, open index and ledger as the plugin writes them). Timed: ``/escalation stats``
for 30 and 365 days (the ledger's months are read and parsed afresh each run, as on another
node, and again with the parse cache warm), the export of all 10,000 in CSV and JSON (its pages
of at most 5,000), and one transition with its index and ledger updates."""

from __future__ import annotations

import statistics
import sys
import time
from dataclasses import replace
from pathlib import Path

_ROOT = Path(__file__).resolve().parents[2]
for _p in (_ROOT / "server", _ROOT / "tests"):
    if str(_p) not in sys.path:
        sys.path.insert(0, str(_p))

from app.test_service import World  # noqa: E402
from escalations.app.domain import keys, transitions  # noqa: E402
from escalations.app.domain.model import Action, Escalation, Event, Outcome, State  # noqa: E402
from escalations.app.workflow.reports import Reports  # noqa: E402
from escalations.app.workflow.store import KVStore  # noqa: E402

STORED = 10_000
DAY = 24 * 3600 * 1000
TOPICS = ("licensing", "product-gdpr", "privacy-telemetry", "security-vulnerabilities")


def record(n: int, now: int) -> Escalation:
    created = now - (n * 365 * DAY) // STORED - 1
    took_over = Event(Action.TOOK_OVER, "ian.tien", created + 600_000 + n, "jason.blais")
    events = (Event(Action.ESCALATED, "someone", created), took_over)
    r = Escalation(
        id=f"bench{n:021d}", version=2, topic=TOPICS[n % 4], topic_title="Topic",
        post_id="p" * 26, channel_id="c" * 26, created_by="someone", created_by_id="u" * 26,
        created_at=created, updated_at=created, state=State.CLAIMED, owner="ian.tien",
        default_owner="jason.blais", escalation_post_id="e" * 26, escalation_channel_id="c" * 26,
        permalink="http://localhost/private-core/pl/" + "e" * 26, source_channel="~town-square",
        excerpt="a question about the license of [url], asked by [email] " * 3,
        note="=see the forum", responders=("jason.blais", "ian.tien"), events=events,
        owner_since=created,
    )  # fmt: skip
    if n % 10 == 0:  # open: acknowledged, and its open-too-long reminders counted as sent
        return replace(r, reminders=("stale-owner", "stale-all"))
    done = Event(Action.RESOLVED, "ian.tien", created + 3_600_000 + n, Outcome.RESPONDED.value)
    return r.with_event(done, state=State.RESOLVED, outcome=Outcome.RESPONDED,
                        response="https://forum.example.org/t/1")  # fmt: skip


def timed(label: str, runs: int, call: object) -> None:
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        call()  # type: ignore[operator]
        timings.append(time.perf_counter() - started)
    print(f"   {label}: median {statistics.median(timings) * 1000:.1f} ms, "
          f"max {max(timings) * 1000:.1f} ms ({runs} runs)", flush=True)  # fmt: skip


def main() -> None:
    world = World()
    now = int(time.time() * 1000)
    kv = world.kv
    records = [record(n, now) for n in range(STORED)]
    for r in records:
        kv.compare_and_set(keys.escalation(r.id), None, r.to_json())
    started = time.perf_counter()
    KVStore(kv).repair_index()
    print(f"   ledger built from {STORED} records in {time.perf_counter() - started:.1f} s")
    admin = world.host.add_user("root")
    world.host.admins.add(admin.id)

    def reports() -> Reports:  # a fresh store: nothing parsed yet, as on another node
        return Reports(KVStore(kv), world.host, world.workflow, lambda: now)

    total = sum(t.escalations for t in reports().stats(admin.id, 365).topics)
    print(f"   {total} escalations in the last 365 days")
    timed("stats, 30 days, cold", 20, lambda: reports().stats(admin.id, 30))
    timed("stats, 365 days, cold", 20, lambda: reports().stats(admin.id, 365))
    warm = reports()
    timed("stats, 365 days, warm", 20, lambda: warm.stats(admin.id, 365))
    for fmt in ("csv", "json"):
        timed(f"export of {STORED}, {fmt}", 3, lambda fmt=fmt: export_all(warm, admin.id, fmt))
    store = KVStore(kv)
    open_ids = [r.id for r in records if r.state is not State.RESOLVED][:20]
    pending = iter(open_ids)
    timed("one release (record, open index, ledger)", 20,
          lambda: store.transition(next(pending), transitions.release("x", now)))  # fmt: skip


def export_all(reports: Reports, admin_id: str, fmt: str) -> None:
    cursor, count, size = "", 0, 0
    while True:
        page = reports.export(admin_id, fmt, "2020-01-01", "2029-12-31", cursor)
        count, size = count + page.count, size + len(page.body)
        if page.next_cursor is None:
            break
        cursor = str(page.next_cursor)
    assert count == STORED, count


if __name__ == "__main__":
    main()
