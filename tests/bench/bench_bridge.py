"""Benchmark of the Go bridge (server/bridge): what hosting the Python backend in a Go plugin costs.

Run alone: ``.venv/bin/python tests/bench/bench_bridge.py`` (or ``main()`` from a runner). Needs Go
(``GOTOOLCHAIN=local``) and the venv; builds ``server/bridge/build/bridgebench`` first. Prints
figures; asserts nothing about them (timings depend on the machine).

Measured through the bridge, each next to the same measurement on the native path (the host
emulator drives the plugin process directly, as a server with Python support would):

* cold start: ``OnActivate`` of the runtime's fixture plugin -- spawn, handshake, health check,
  ``Implemented``, ``OnActivate`` (``GetPluginConfig`` + ``RegisterCommand`` over the API) done.
* ServeHTTP round trip: an authenticated small JSON ``POST /echo``; bridge: Go ``ServeHTTP`` ->
  gRPC stream -> Python -> back.
* API call: ``PluginAPIClient.kv_get`` (the plugin's own client) against the bridge's PluginAPI
  server, which calls an in-memory ``plugin.API``.

Then the same three through the server's own plugin host (``plugin.Environment`` from
``server/public``: supervisor, go-plugin, net/rpc), which runs the bridge executable the way a stock
server does -- so these include the net/rpc hop the bridge adds between server and Python on every
hook and API call (the API implementation behind it is in memory). If the e2e server
(``scripts/mattermost-server``) runs with the bridge bundle installed, one more line times an
authenticated ``GET /plugins/<id>/api/v1/topics`` through the whole stack next to a core REST call
(``GET /api/v4/users/me``) on the same server.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

_ROOT = Path(__file__).resolve().parents[2]
for _path in (_ROOT / "server", _ROOT / "tests"):
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))

from escalations.runtime.api import PluginAPIClient  # noqa: E402

BRIDGE = _ROOT / "server" / "bridge"
BENCH_BIN = BRIDGE / "build" / "bridgebench"
FIXTURE = _ROOT / "tests" / "runtime" / "fixtures" / "sample_plugin"
PYTHON = _ROOT / ".venv" / "bin" / "python"
COLD_STARTS = 5
HTTP_WARMUP, HTTP_REQUESTS = 50, 1000
KV_WARMUP, KV_GETS = 100, 3000
SERVER_WARMUP, SERVER_REQUESTS = 30, 300
ENV_JSON = _ROOT / ".cache" / "mattermost" / "env.json"


def _pct(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.3f} ms"


def build() -> None:
    """Generate the Go stubs and build the bench driver (cached by make / go)."""
    env = {**os.environ, "GOTOOLCHAIN": "local"}
    subprocess.run(["make", "-s", "-C", str(BRIDGE), "gen"], check=True, env=env)
    subprocess.run(
        ["nice", "-n", "10", "go", "build", "-o", str(BENCH_BIN), "./cmd/bridgebench"],
        cwd=BRIDGE,
        check=True,
        env=env,
    )


def bench_bridge_http() -> dict[str, dict[str, float]]:
    """Cold starts and ServeHTTP round trips through the bridge (figures in microseconds)."""
    out = subprocess.run(
        [
            str(BENCH_BIN),
            "http",
            "-python",
            str(PYTHON),
            "-plugin-dir",
            str(FIXTURE),
            "-cold",
            str(COLD_STARTS),
            "-n",
            str(HTTP_REQUESTS),
            "-warmup",
            str(HTTP_WARMUP),
        ],
        check=True,
        capture_output=True,
        text=True,
    )
    result: dict[str, dict[str, float]] = json.loads(out.stdout)
    return result


def bench_bridge_kv_get() -> list[float]:
    """Seconds per ``kv_get`` of a small value through the bridge's PluginAPI server."""
    proc = subprocess.Popen(
        [str(BENCH_BIN), "serve-api"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline().strip()
        if not line.startswith("API_TARGET="):
            raise RuntimeError(f"bridgebench serve-api said {line!r}")
        target = line.split("=", 1)[1]
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
    finally:
        if proc.stdin is not None:
            proc.stdin.close()
        proc.wait(timeout=10)


def bench_bridge_host() -> tuple[dict[str, dict[str, float]], list[float]]:
    """Cold starts and ServeHTTP through plugin.Environment, then kv_get through net/rpc."""
    proc = subprocess.Popen(
        [
            str(BENCH_BIN),
            "host",
            "-python",
            str(PYTHON),
            "-plugin-dir",
            str(FIXTURE),
            "-cold",
            str(COLD_STARTS),
            "-n",
            str(HTTP_REQUESTS),
            "-warmup",
            str(HTTP_WARMUP),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert proc.stdout is not None
        result: dict[str, Any] = {}
        for line in proc.stdout:  # the server-side logger also writes here; find our line
            if line.startswith('{"api_target"'):
                result = json.loads(line)
                break
        if not result:
            raise RuntimeError("bridgebench host printed no result")
        times = []
        with PluginAPIClient.connect(result["api_target"]) as api:
            api.kv_set("bench:key", b'{"state":"open"}')
            for _ in range(KV_WARMUP):
                api.kv_get("bench:key")
            for _ in range(KV_GETS):
                start = time.perf_counter()
                api.kv_get("bench:key")
                times.append(time.perf_counter() - start)
        return result, times
    finally:
        if proc.stdin is not None:
            proc.stdin.close()
        proc.wait(timeout=30)


def bench_native() -> tuple[list[float], list[float], list[float]]:
    """The same three measurements on the native path (host emulator), for comparison."""
    from hostemu import Host
    from hostemu.testing import venv_env

    cold = []
    for _ in range(COLD_STARTS):
        host = Host(FIXTURE, env=venv_env())
        start = time.perf_counter()
        host.start()
        cold.append(time.perf_counter() - start)
        host.stop()
    body = {"topic": "licensing", "note": "x" * 40}
    with Host(FIXTURE, env=venv_env()) as host:
        user = host.add_user("bench")
        for _ in range(HTTP_WARMUP):
            host.http("POST", "/echo", user.id, body=body)
        http = []
        for _ in range(HTTP_REQUESTS):
            start = time.perf_counter()
            host.http("POST", "/echo", user.id, body=body)
            http.append(time.perf_counter() - start)
        kv = []
        with PluginAPIClient.connect(host.api_target) as api:
            api.kv_set("bench:key", b'{"state":"open"}')
            for _ in range(KV_WARMUP):
                api.kv_get("bench:key")
            for _ in range(KV_GETS):
                start = time.perf_counter()
                api.kv_get("bench:key")
                kv.append(time.perf_counter() - start)
    return cold, http, kv


def bench_real_server() -> tuple[list[float], list[float]] | None:
    """Seconds per core REST call and per plugin route on the e2e server, or None without one."""
    if not ENV_JSON.exists():
        return None
    env = json.loads(ENV_JSON.read_text())
    site, token = env["site_url"], env["admin"]["token"]

    def timed(path: str) -> list[float]:
        times = []
        for i in range(SERVER_WARMUP + SERVER_REQUESTS):
            request = urllib.request.Request(
                site + path, headers={"Authorization": f"Bearer {token}"}
            )
            start = time.perf_counter()
            with urllib.request.urlopen(request, timeout=10) as response:
                response.read()
            if i >= SERVER_WARMUP:
                times.append(time.perf_counter() - start)
        return times

    plugin_id = json.loads((_ROOT / "plugin.json").read_text())["id"]
    try:
        return timed("/api/v4/users/me"), timed(f"/plugins/{plugin_id}/api/v1/topics")
    except (OSError, urllib.error.URLError):
        return None


def main() -> None:
    build()
    bridged = bench_bridge_http()
    kv = bench_bridge_kv_get()
    cold_n, http_n, kv_n = bench_native()
    cold, http = bridged["cold_start"], bridged["serve_http"]
    us = 1e-6
    print(
        f"bridge cold start (OnActivate: spawn -> OnActivate done), {cold['n']:.0f} runs: "
        f"median {_ms(cold['p50_us'] * us)}, min {_ms(cold['min_us'] * us)}, "
        f"max {_ms(cold['max_us'] * us)} | native (emulator): median "
        f"{_ms(_pct(cold_n, 0.5))}"
    )
    print(
        f"bridge ServeHTTP round trip (small JSON POST, Go ServeHTTP -> Python -> back), "
        f"{http['n']:.0f} requests: p50 {_ms(http['p50_us'] * us)}, p99 {_ms(http['p99_us'] * us)}"
        f" | native (emulator): p50 {_ms(_pct(http_n, 0.5))}, p99 {_ms(_pct(http_n, 0.99))}"
    )
    print(
        f"bridge API call (Python kv_get -> bridge PluginAPI -> plugin.API), {len(kv)} gets: "
        f"p50 {_ms(_pct(kv, 0.5))}, p99 {_ms(_pct(kv, 0.99))}"
        f" | native (emulator): p50 {_ms(_pct(kv_n, 0.5))}, p99 {_ms(_pct(kv_n, 0.99))}"
    )
    hosted, kv_h = bench_bridge_host()
    cold_h, http_h = hosted["cold_start"], hosted["serve_http"]
    print(
        f"bridge under the server's plugin host (go-plugin + net/rpc): cold start median "
        f"{_ms(cold_h['p50_us'] * us)}; ServeHTTP p50 {_ms(http_h['p50_us'] * us)}, p99 "
        f"{_ms(http_h['p99_us'] * us)}; API kv_get (-> net/rpc) p50 {_ms(_pct(kv_h, 0.5))}, "
        f"p99 {_ms(_pct(kv_h, 0.99))}"
    )
    real = bench_real_server()
    if real is None:
        print("bridge on the stock e2e server: not measured (no server with the plugin running)")
    else:
        core, topics = real
        print(
            f"bridge on the stock e2e server, {len(topics)} requests each: plugin GET "
            f"/api/v1/topics p50 {_ms(_pct(topics, 0.5))}, p99 {_ms(_pct(topics, 0.99))} "
            f"| core GET /api/v4/users/me p50 {_ms(_pct(core, 0.5))}, p99 {_ms(_pct(core, 0.99))}"
        )


if __name__ == "__main__":
    main()
