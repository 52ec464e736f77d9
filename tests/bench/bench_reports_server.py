"""Benchmark of the statistics and the export on the real server with 10,000 escalations.

Needs the real-server setup of the end-to-end suite (``scripts/mattermost-server start``, the
bundle installed and running, e.g. after ``make e2e``); without it this prints why nothing was
measured. It stores 10,000 escalation records spread over the last 365 days (90 % resolved) in
the running plugin's KV store through the PluginAPI the server gave the plugin, with their open
index entries and ledger rows as the plugin writes them, then times the whole path (server ->
bridge -> Python backend -> KV -> answer):

* ``/escalation stats 365`` (``POST /api/v4/commands/execute``) as a responder, and
  ``GET /api/v1/stats?days=365``;
* the export of all 10,000 as CSV and as JSON (``GET /api/v1/export``, as many answers as its
  cursor needs) as the system admin.

The open ones are acknowledged and their open-too-long reminders marked as sent, so the plugin
sends none while they exist. The records are removed afterwards (records deleted, their index
entries and ledger rows dropped).

Run alone: ``.venv/bin/python tests/bench/bench_reports_server.py [--stored N] [--runs R]``.
"""

from __future__ import annotations

import argparse
import functools
import json
import statistics
import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path

_ROOT = Path(__file__).resolve().parents[2]
for _p in (_ROOT / "server", _ROOT / "tests"):
    if str(_p) not in sys.path:
        sys.path.insert(0, str(_p))

from e2e.mmapi import PLUGIN_ROUTE, E2EError, Server  # noqa: E402
from e2e.ops import CHANNEL_NAME, plugin_api_target  # noqa: E402
from escalations.app.adapters.host import ClientKV  # noqa: E402
from escalations.app.domain import keys  # noqa: E402
from escalations.app.domain.model import Action, Escalation, Event, Outcome, State  # noqa: E402
from escalations.app.workflow.index import SHARDS, OpenIndex  # noqa: E402
from escalations.app.workflow.ledger import SHARDS as LEDGER_SHARDS  # noqa: E402
from escalations.app.workflow.ledger import Ledger, month_of  # noqa: E402
from escalations.runtime.api import PluginAPIClient  # noqa: E402

PREFIX = "benchstats"
DAY = 24 * 3600 * 1000
TOPICS = ("licensing", "product-gdpr", "privacy-telemetry", "security-vulnerabilities")


def record(n: int, now: int, stored: int) -> Escalation:
    created = now - (n * 365 * DAY) // stored - 1
    took_over = Event(Action.TOOK_OVER, "ian.tien", created + 600_000 + n, "jason.blais")
    r = Escalation(
        id=f"{PREFIX}{n:016d}", version=2, topic=TOPICS[n % 4], topic_title="Topic",
        post_id="p" * 26, channel_id="c" * 26, created_by="someone", created_by_id="u" * 26,
        created_at=created, updated_at=created, state=State.CLAIMED, owner="ian.tien",
        default_owner="jason.blais", escalation_post_id="e" * 26, escalation_channel_id="c" * 26,
        permalink="http://localhost/private-core/pl/" + "e" * 26, source_channel="~town-square",
        excerpt="a question about the license of [url], asked by [email] " * 3,
        note="=see the forum", responders=("jason.blais", "ian.tien"),
        events=(Event(Action.ESCALATED, "someone", created), took_over), owner_since=created,
    )  # fmt: skip
    if n % 10 == 0:  # open: acknowledged, and its open-too-long reminders counted as sent
        return replace(r, reminders=("stale-owner", "stale-all"))
    done = Event(Action.RESOLVED, "ian.tien", created + 3_600_000 + n, Outcome.RESPONDED.value)
    return r.with_event(done, state=State.RESOLVED, outcome=Outcome.RESPONDED)


def seed(kv: ClientKV, records: list[Escalation]) -> None:
    def put(r: Escalation) -> None:
        key = keys.escalation(r.id)
        kv.compare_and_set(key, kv.get(key), r.to_json())

    with ThreadPoolExecutor(4) as pool:
        list(pool.map(put, records))
    OpenIndex(kv).repair(records)
    Ledger(kv).repair(records)


def unseed(kv: ClientKV, records: list[Escalation]) -> None:
    with ThreadPoolExecutor(4) as pool:
        list(pool.map(lambda r: kv.delete(keys.escalation(r.id)), records))
    months = sorted({month_of(r.created_at) for r in records})
    shard_keys = [keys.open_index(s) for s in range(SHARDS)]
    shard_keys += [keys.ledger(m, s) for m in months for s in range(LEDGER_SHARDS)]
    for key in shard_keys:
        for _ in range(20):
            raw = kv.get(key)
            if not raw:
                break
            kept = {k: v for k, v in json.loads(raw).items() if not k.startswith(PREFIX)}
            new = json.dumps(kept, separators=(",", ":")).encode() if kept else None
            if kv.compare_and_set(key, raw, new):
                break


def timed(label: str, runs: int, call: Callable[[], None]) -> None:
    call()  # warm-up
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        call()
        timings.append(time.perf_counter() - started)
    ordered = sorted(timings)
    p90 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.9))]
    print(f"   {label}: p50 {statistics.median(timings) * 1000:.0f} ms, "
          f"p90 {p90 * 1000:.0f} ms ({runs} runs)", flush=True)  # fmt: skip


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--stored", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args(argv or [])
    try:
        server = Server.load()
    except E2EError as exc:
        print(f"   not measured: {exc}")
        return
    target = plugin_api_target(server) if server.healthy() else None
    if target is None:
        print("   not measured: no running plugin on a real server (run `make e2e` first)")
        return
    api = PluginAPIClient.connect(target)
    kv = ClientKV(api)
    now = int(time.time() * 1000)
    records = [record(n, now, args.stored) for n in range(args.stored)]
    responder = server.client("jason.blais")
    channel = responder.get(f"/api/v4/teams/{server.team_id}/channels/name/{CHANNEL_NAME}")
    channel_id = channel.ok(200)["id"]
    try:
        started = time.perf_counter()
        seed(kv, records)
        print(f"   seeded {args.stored} records in {time.perf_counter() - started:.1f} s")

        def command() -> None:
            text = str(responder.command(channel_id, "/escalation stats 365").ok(200)["text"])
            if "Escalations of the last 365 days" not in text:
                raise E2EError(f"unexpected answer: {text[:200]}")

        def api_stats() -> None:
            found = responder.get(f"{PLUGIN_ROUTE}/stats?days=365").ok(200)
            if found["escalations"] < args.stored:
                raise E2EError(f"only {found['escalations']} escalations counted")

        timed(f"/escalation stats 365, {args.stored} stored", args.runs, command)
        timed(f"GET /api/v1/stats?days=365, {args.stored} stored", args.runs, api_stats)
        for fmt in ("csv", "json"):
            timed(f"export of {args.stored}, {fmt}", 2, functools.partial(export_all, server, fmt))
    finally:
        unseed(kv, records)
        api.close()


def export_all(server: Server, fmt: str) -> None:
    first = time.strftime("%Y-%m-%d", time.gmtime(time.time() - 366 * 86400))
    last = time.strftime("%Y-%m-%d", time.gmtime())
    query = f"format={fmt}&from={first}&to={last}"
    cursor, pages = "", 0
    while True:
        reply = server.admin.get(f"{PLUGIN_ROUTE}/export?{query}{cursor}", timeout=300)
        reply.ok(200)
        pages += 1
        nxt = reply.headers.get("X-Next-Cursor")
        if not nxt:
            return
        cursor = f"&cursor={nxt}"


if __name__ == "__main__":
    main(sys.argv[1:])
