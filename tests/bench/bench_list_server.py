"""Benchmark of ``/escalation list`` on the real server with 10,000 stored escalations.

Needs the real-server setup of the end-to-end suite (``scripts/mattermost-server start``, the
bundle installed and running, e.g. after ``make e2e``); without it this prints why nothing was
measured. It stores 10,000 escalation records in the running plugin's KV store through the
PluginAPI the server gave the plugin (as the plugin stores them: records plus the open index), then
times ``POST /api/v4/commands/execute`` with ``/escalation list`` as a responder: the whole path,
server -> bridge -> Python backend -> KV -> answer. Two shapes:

* 10,000 stored, 1,000 of them open (the rest resolved);
* 10,000 stored, all open.

The records are acknowledged and fresh, so no reminder is due while they exist; they are removed
afterwards (records deleted, their index entries dropped).

Run alone: ``.venv/bin/python tests/bench/bench_list_server.py [--stored N] [--runs R]``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

_ROOT = Path(__file__).resolve().parents[2]
for _p in (_ROOT / "server", _ROOT / "tests"):
    if str(_p) not in sys.path:
        sys.path.insert(0, str(_p))

from e2e.mmapi import E2EError, Server  # noqa: E402
from e2e.ops import CHANNEL_NAME, plugin_api_target  # noqa: E402
from escalations.app import keys  # noqa: E402
from escalations.app.host import ClientKV  # noqa: E402
from escalations.app.index import SHARDS, OpenIndex  # noqa: E402
from escalations.app.model import Action, Escalation, Event, Outcome, State  # noqa: E402
from escalations.runtime.api import PluginAPIClient  # noqa: E402

PREFIX = "benchlist"


def record(n: int, now: int, open_: bool) -> Escalation:
    esc_id = f"{PREFIX}{n:017d}"
    events = (Event(Action.ESCALATED, "someone", now), Event(Action.CLAIMED, "jason.blais", now))
    r = Escalation(
        id=esc_id, version=3, topic="licensing", topic_title="Licensing", post_id="p" * 26,
        channel_id="c" * 26, created_by="someone", created_by_id="u" * 26, created_at=now - n,
        updated_at=now, state=State.CLAIMED, owner="jason.blais", default_owner="jason.blais",
        escalation_post_id="e" * 26, escalation_channel_id="c" * 26,
        permalink=f"http://localhost/private-core/pl/{'e' * 26}", source_channel="~town-square",
        excerpt="a question about the license " * 4, responders=("jason.blais", "ian.tien"),
        events=events, owner_since=now,
    )  # fmt: skip
    if open_:
        return r
    done = Event(Action.RESOLVED, "jason.blais", now, Outcome.NO_RESPONSE_NEEDED.value)
    return r.with_event(done, state=State.RESOLVED, outcome=Outcome.NO_RESPONSE_NEEDED)


def seed(kv: ClientKV, records: list[Escalation]) -> None:
    def put(r: Escalation) -> None:
        key = keys.escalation(r.id)
        kv.compare_and_set(key, kv.get(key), r.to_json())

    with ThreadPoolExecutor(4) as pool:
        list(pool.map(put, records))
    OpenIndex(kv).repair(records)


def unseed(kv: ClientKV, records: list[Escalation]) -> None:
    with ThreadPoolExecutor(4) as pool:
        list(pool.map(lambda r: kv.delete(keys.escalation(r.id)), records))
    for shard in range(SHARDS):
        key = keys.open_index(shard)
        for _ in range(20):
            raw = kv.get(key)
            if not raw:
                break
            kept = {k: v for k, v in json.loads(raw).items() if not k.startswith(PREFIX)}
            new = json.dumps(kept, separators=(",", ":")).encode() if kept else None
            if kv.compare_and_set(key, raw, new):
                break


def time_list(server: Server, runs: int) -> list[float]:
    who = "jason.blais"
    client = server.client(who)
    channel = client.get(f"/api/v4/teams/{server.team_id}/channels/name/{CHANNEL_NAME}").ok(200)
    timings: list[float] = []
    for i in range(runs + 3):
        started = time.perf_counter()
        reply = client.command(channel["id"], "/escalation list")
        elapsed = time.perf_counter() - started
        text = str(reply.ok(200).get("text") or "")
        if "Open escalations" not in text:
            raise E2EError(f"unexpected answer: {text[:200]}")
        if i >= 3:  # warm-up excluded
            timings.append(elapsed)
    return timings


def report(label: str, timings: list[float]) -> None:
    ordered = sorted(timings)
    p90 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.9))]
    print(
        f"   /escalation list, {label}: p50 {statistics.median(timings) * 1000:.1f} ms, "
        f"p90 {p90 * 1000:.1f} ms ({len(timings)} runs)",
        flush=True,
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--stored", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=30)
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
    open_count = args.stored // 10
    records = [record(n, now, n < open_count) for n in range(args.stored)]
    try:
        started = time.perf_counter()
        seed(kv, records)
        print(f"   seeded {args.stored} records in {time.perf_counter() - started:.1f} s")
        report(f"{args.stored} stored, {open_count} open", time_list(server, args.runs))
        # every record open again (a newer version of each, records and index alike)
        records = [
            record(n, now, True).with_changes(now).with_changes(now) for n in range(args.stored)
        ]
        seed(kv, records)
        entries = len(OpenIndex(kv).entries())
        report(f"{args.stored} stored, all open ({entries} listed)", time_list(server, args.runs))
    finally:
        unseed(kv, records)
        api.close()


if __name__ == "__main__":
    main(sys.argv[1:])
