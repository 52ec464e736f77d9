"""Benchmark of the escalation workflow, end to end through the host emulator.

Runs the real plugin process (repo root as the plugin directory) under ``hostemu`` and prints:

* escalate end to end: ``POST /api/v1/escalations`` in -> bot post created (the call returns
  after the post exists), p50/p99 over sequential escalations of distinct posts;
* PluginAPI calls per escalation (counted by the emulator's API server), with the breakdown;
* claim with 20 concurrent clickers: per-click latency p50/p99, and rounds with exactly one owner.

Run alone: ``.venv/bin/python tests/bench/bench_workflow.py [--escalations N] [--rounds R]``.
Figures depend on the machine (the emulator and the plugin share it); compare runs, not absolutes.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import threading
import time
from collections import Counter
from pathlib import Path

_ROOT = Path(__file__).resolve().parents[2]
for _p in (_ROOT / "server", _ROOT / "tests"):
    if str(_p) not in sys.path:
        sys.path.insert(0, str(_p))

from app.emu import World, policy_with_extra_members, start_world  # noqa: E402

CLICKERS = 20


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(pct / 100 * len(ordered) + 0.5) - 1))
    return ordered[index]


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


def bench_escalate(w: World, count: int) -> None:
    posts = [
        w.post(f"question {i} from 10.0.0.{i % 250} mail u{i}@example.com") for i in range(count)
    ]
    topics = [
        t["key"] for t in w.host.http("GET", "/api/v1/topics", user_id=w.alice.id).json()["topics"]
    ]
    w.escalate(w.post().id, "licensing")  # warm-up
    api = w.host._api  # noqa: SLF001 - the emulator's per-RPC counters
    before = Counter(api.calls) if api else Counter()
    latencies = []
    for i, post in enumerate(posts):
        start = time.perf_counter()
        resp = w.escalate(post.id, topics[i % len(topics)])
        latencies.append(time.perf_counter() - start)
        assert resp.status == 201, resp.text
    after = Counter(api.calls) if api else Counter()
    delta = after - before
    total = sum(delta.values())
    p50, p99 = ms(percentile(latencies, 50)), ms(percentile(latencies, 99))
    mean = ms(statistics.mean(latencies))
    print(f"escalate end to end ({count} sequential): p50 {p50}, p99 {p99}, mean {mean}")
    print(f"PluginAPI calls per escalation: {total / count:.2f}")
    for rpc, n in sorted(delta.items(), key=lambda kv: -kv[1]):
        print(f"    {rpc:<26} {n / count:.2f}")


def claim_round(w: World, clickers: list[str], latencies: list[float]) -> int:
    """One new escalation, ``clickers`` pressing Claim at the same moment; the number of winners."""
    esc = w.escalate(w.post().id, "licensing").json()
    barrier = threading.Barrier(len(clickers))
    won: list[str] = []
    lock = threading.Lock()

    def press(user_id: str) -> None:
        barrier.wait()
        start = time.perf_counter()
        result = w.click(esc, "claim", user_id)
        elapsed = time.perf_counter() - start
        with lock:
            latencies.append(elapsed)
            if result.ok and not (result.response or {}).get("ephemeral_text"):
                won.append(user_id)

    threads = [threading.Thread(target=press, args=(u,)) for u in clickers]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return len(won)


def bench_single_claim(w: World, count: int, user_id: str) -> None:
    """For reference: one clicker, no contention."""
    latencies = []
    for _ in range(count):
        esc = w.escalate(w.post().id, "licensing").json()
        start = time.perf_counter()
        w.click(esc, "claim", user_id)
        latencies.append(time.perf_counter() - start)
    p50, p99 = ms(percentile(latencies, 50)), ms(percentile(latencies, 99))
    print(f"claim, one clicker ({count} sequential): p50 {p50}, p99 {p99}")


def bench_claims(w: World, rounds: int, clickers: list[str]) -> None:
    latencies: list[float] = []
    exact = sum(claim_round(w, clickers, latencies) == 1 for _ in range(rounds))
    p50, p99 = ms(percentile(latencies, 50)), ms(percentile(latencies, 99))
    print(
        f"claim with {len(clickers)} concurrent clickers ({rounds} rounds, {len(latencies)} "
        f"clicks): p50 {p50}, p99 {p99}; rounds with exactly one owner: {exact}/{rounds}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--escalations", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args([] if argv is None else argv)
    extra = [f"responder{i:02d}" for i in range(CLICKERS - 1)]
    w = start_world(override=policy_with_extra_members("CEO", extra), extra_users=extra)
    try:
        print("workflow through the host emulator (real plugin process, real gRPC)")
        bench_escalate(w, args.escalations)
        bench_single_claim(w, 50, w.uid("ian.tien"))
        bench_claims(w, args.rounds, [w.uid(u) for u in ["ian.tien", *extra]])
    finally:
        w.host.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
