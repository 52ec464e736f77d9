"""Helpers of the real-server benchmark (``bench_real_server.py``): a keep-alive REST client per
user, percentiles, the plugin's processes and their memory, and the stored records of the list
figure.

Not a benchmark itself (``run.py`` only runs ``bench_*.py``).
"""

from __future__ import annotations

import http.client
import json
import os
import time
import urllib.parse
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from e2e.mmapi import E2EError, Server
from e2e.ops import _plugin_processes
from escalations.app.adapters.host import ClientKV
from escalations.app.domain import keys
from escalations.app.domain.model import Action, Escalation, Event, Outcome, State
from escalations.app.workflow.index import SHARDS, OpenIndex
from escalations.app.workflow.ledger import SHARDS as LEDGER_SHARDS
from escalations.runtime.api import PluginAPIClient

# Ids of the records the list figure stores: removed afterwards by this prefix.
SEED_PREFIX = "benchlist"


class Session:
    """One user's keep-alive connection to the server (as a browser keeps one), not thread-safe:
    one per thread."""

    def __init__(self, server: Server, username: str) -> None:
        url = urllib.parse.urlsplit(server.url)
        self._host, self._port = url.hostname or "127.0.0.1", url.port or 80
        self._token = server.env["users"][username]["token"]
        self.username = username
        self._conn = http.client.HTTPConnection(self._host, self._port, timeout=60)

    def call(self, method: str, path: str, body: Any = None) -> tuple[int, Any, float]:
        """(status, parsed body, seconds from sending to the last byte of the answer)."""
        data = json.dumps(body).encode() if body is not None else None
        headers = {"Authorization": f"Bearer {self._token}", "X-Requested-With": "XMLHttpRequest"}
        if data is not None:
            headers["Content-Type"] = "application/json"
        for attempt in (1, 2):  # a keep-alive connection the server closed: reconnect once
            try:
                started = time.perf_counter()
                self._conn.request(method, path, body=data, headers=headers)
                resp = self._conn.getresponse()
                payload = resp.read()
                elapsed = time.perf_counter() - started
                break
            except (http.client.HTTPException, ConnectionError):
                self._conn.close()
                self._conn = http.client.HTTPConnection(self._host, self._port, timeout=60)
                if attempt == 2:
                    raise
        parsed = json.loads(payload) if payload[:1] in (b"{", b"[") else payload
        return resp.status, parsed, elapsed

    def ok(self, method: str, path: str, body: Any = None, expect: int = 200) -> tuple[Any, float]:
        status, parsed, elapsed = self.call(method, path, body)
        if status != expect:
            raise E2EError(f"{method} {path} as {self.username}: {status} {parsed!r:.300}")
        return parsed, elapsed

    def close(self) -> None:
        self._conn.close()


def pct(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def spread(samples: list[float]) -> str:
    """``p50 / p90 / p99`` in milliseconds."""
    if not samples:
        return "-"
    return " / ".join(f"{pct(samples, q) * 1000:.1f}" for q in (0.5, 0.9, 0.99))


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def cpu_seconds(pid: int) -> float:
    """Processor time (user + system) the process used so far."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    fields = stat[stat.rindex(")") + 2 :].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def plugin_pids(server: Server) -> dict[str, int]:
    """Pids of the running plugin: ``python`` (the backend, given a PluginAPI target by the
    bridge), ``bridge`` (its parent) and ``redactor`` (the backend's isolated redaction process,
    which inherits the target)."""
    with_target = {
        pid
        for pid, environ in _plugin_processes(server)
        if any(e.startswith(b"MATTERMOST_PLUGIN_API_TARGET=") for e in environ)
    }
    found: dict[str, int] = {}
    for pid in with_target:
        parent = _parent(pid)
        if parent in with_target:
            found["redactor"] = pid
        else:
            found["python"], found["bridge"] = pid, parent
    return found


def _parent(pid: int) -> int:
    stat = Path(f"/proc/{pid}/stat").read_text()
    return int(stat[stat.rindex(")") + 2 :].split()[1])


def seed_record(n: int, now: int, open_: bool) -> Escalation:
    """A stored escalation as the plugin writes one: acknowledged and fresh (no reminder is due
    while it exists), open or resolved."""
    esc_id = f"{SEED_PREFIX}{n:017d}"
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


def seed(api: PluginAPIClient, records: Iterable[Escalation]) -> None:
    """Write the records straight into the plugin's KV store (no post, no event), then bring the
    open index up to date with them, as the plugin's own index repair does."""
    batch = list(records)

    def put(r: Escalation) -> None:
        api.kv_set(keys.escalation(r.id), r.to_json())

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(put, batch))
    OpenIndex(ClientKV(api)).repair(batch)


def unseed(kv: ClientKV, records: Iterable[Escalation]) -> None:
    """Delete the seeded records and drop their index entries."""
    forget(kv, [r.id for r in records])


def forget(kv: ClientKV, ids: Iterable[str]) -> None:
    """Delete the records of ``ids`` and their entries in the open index and the ledger (the
    bench's own escalations and seeded records), so that repeated runs do not pile up in the KV
    store."""
    gone = set(ids)
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda i: kv.delete(keys.escalation(i)), gone))
    months = json.loads(kv.get(keys.ledger_months()) or b"[]")
    values = [keys.open_index(shard) for shard in range(SHARDS)] + [
        keys.ledger(month, shard) for month in months for shard in range(LEDGER_SHARDS)
    ]
    for key in values:
        _drop(kv, key, gone)


def _drop(kv: ClientKV, key: str, gone: set[str]) -> None:
    """Remove the members ``gone`` from the JSON map at ``key`` (compare-and-set, retried)."""
    for _ in range(20):
        raw = kv.get(key)
        if not raw:
            return
        kept = {k: v for k, v in json.loads(raw).items() if k not in gone}
        new = json.dumps(kept, separators=(",", ":")).encode() if kept else None
        if kv.compare_and_set(key, raw, new):
            return
