"""Benchmark of the runtime: cold start, ServeHTTP round trip, KV get -- through the host emulator.

Run alone: ``.venv/bin/python tests/bench/bench_runtime.py`` (or ``main()`` from a runner).
Prints figures; asserts nothing about them (timings depend on the machine).

* cold start: ``Host.start()`` of the runtime's fixture plugin -- spawn of ``python plugin.py``,
  handshake, health check, ``Implemented``, ``OnActivate`` (which calls ``GetPluginConfig`` and
  ``RegisterCommand``) done. Target < 1.0 s.
* ServeHTTP round trip: an authenticated ``POST /echo`` with a small JSON body, host -> plugin
  process -> host, one answer message. Target p50 < 2 ms.
* KV get: ``PluginAPIClient.kv_get`` against the emulator's PluginAPI server over loopback gRPC
  (the same client and path the plugin process uses). Target p50 < 0.5 ms.
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

_ROOT = Path(__file__).resolve().parents[2]
for _path in (_ROOT / "server", _ROOT / "tests"):
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))

from escalations.runtime.api import PluginAPIClient  # noqa: E402
from hostemu import Host  # noqa: E402
from hostemu.testing import venv_env  # noqa: E402

FIXTURE = _ROOT / "tests" / "runtime" / "fixtures" / "sample_plugin"
COLD_STARTS = 5
HTTP_WARMUP, HTTP_REQUESTS = 50, 1000
KV_WARMUP, KV_GETS = 100, 3000


def _pct(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def bench_cold_start(repeats: int = COLD_STARTS) -> list[float]:
    """Seconds from spawn to OnActivate done, one per fresh plugin process."""
    times = []
    for _ in range(repeats):
        host = Host(FIXTURE, env=venv_env())
        start = time.perf_counter()
        host.start()
        times.append(time.perf_counter() - start)
        host.stop()
    return times


def bench_http(host: Host, user_id: str) -> list[float]:
    """Seconds per small authenticated JSON ServeHTTP round trip."""
    body = {"topic": "licensing", "note": "x" * 40}
    for _ in range(HTTP_WARMUP):
        host.http("POST", "/echo", user_id, body=body)
    times = []
    for _ in range(HTTP_REQUESTS):
        start = time.perf_counter()
        response = host.http("POST", "/echo", user_id, body=body)
        times.append(time.perf_counter() - start)
        if response.status != 200:
            raise RuntimeError(f"unexpected answer {response.status}: {response.text}")
    return times


def bench_kv_get(target: str) -> list[float]:
    """Seconds per ``kv_get`` of a small existing value."""
    with PluginAPIClient.connect(target) as api:
        api.kv_set("bench:key", b'{"state":"open"}')
        for _ in range(KV_WARMUP):
            api.kv_get("bench:key")
        times = []
        for _ in range(KV_GETS):
            start = time.perf_counter()
            api.kv_get("bench:key")
            times.append(time.perf_counter() - start)
    return times


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.3f} ms"


def main() -> None:
    cold = bench_cold_start()
    print(
        f"runtime cold start (spawn -> OnActivate done), {len(cold)} runs: "
        f"median {_ms(statistics.median(cold))}, min {_ms(min(cold))}, max {_ms(max(cold))} "
        "(target < 1000 ms)"
    )
    with Host(FIXTURE, env=venv_env()) as host:
        user = host.add_user("bench")
        http = bench_http(host, user.id)
        print(
            f"runtime ServeHTTP round trip (small JSON POST), {len(http)} requests: "
            f"p50 {_ms(_pct(http, 0.5))}, p99 {_ms(_pct(http, 0.99))} (target p50 < 2 ms)"
        )
        kv = bench_kv_get(host.api_target)
        print(
            f"runtime KV get (client -> emulator PluginAPI), {len(kv)} gets: "
            f"p50 {_ms(_pct(kv, 0.5))}, p99 {_ms(_pct(kv, 0.99))} (target p50 < 0.5 ms)"
        )


if __name__ == "__main__":
    main()
