"""SIGKILL of the plugin's Python process (the bridge's child) during a burst of escalations.

Runs late (file name), before the lifecycle tests, because it kills the backend. Every escalation
request is retried until it is answered (the reservation a killed request left is taken over
after ``PENDING_STALE_MS``); then each escalation has exactly one live bot post, the one its
record names.
"""

from __future__ import annotations

import os
import signal
import threading
import time
import uuid
from concurrent import futures
from typing import Any

import pytest

from e2e.flows import TOPIC, escalator
from e2e.mmapi import Server, wait_for
from e2e.ops import CHANNEL_NAME, community_post, plugin_python_pid
from escalations.app.views.render import ESCALATION_PROP
from escalations.app.workflow.service import PENDING_STALE_MS

BURST = 40
KILLS = 3
WORKERS = 6
# Every request answered within this, kills and one take-over of a stale reservation included.
DEADLINE_S = 3 * PENDING_STALE_MS / 1000 + 60


def _escalate_until_answered(server: Server, who: str, source_id: str) -> dict[str, Any]:
    client = server.client(who)
    deadline = time.monotonic() + DEADLINE_S
    last: Any = None
    while time.monotonic() < deadline:
        try:
            last = client.escalate(source_id, TOPIC)
        except OSError as err:  # the server cut the plugin's request
            last = err
        else:
            if last.status in (200, 201):
                return dict(last.body)
        time.sleep(0.3)
    raise AssertionError(f"escalating {source_id} was never answered: {last}")


def _kill_backend(server: Server) -> Any:
    pid = wait_for("the plugin's Python process", lambda: plugin_python_pid(server), 90)
    os.kill(pid, signal.SIGKILL)  # a child of this suite's own server (through the bridge)

    def back() -> bool:  # a new process, serving requests again (not only started)
        new = plugin_python_pid(server)
        if new is None or new == pid:
            return False
        return server.client(server.env["community"][0]).topics().status == 200

    wait_for("the Python backend to come back", back, 90)
    return pid


@pytest.mark.timeout(DEADLINE_S + 300)  # three restarts and a take-over after 30 s, under load
def test_kills_during_a_burst_leave_one_live_post_per_escalation(
    server: Server, plugin: Any, policy: Any
) -> None:
    tag = uuid.uuid4().hex[:8]
    sources = [community_post(server, f"burst {tag} question {i}") for i in range(BURST)]
    who = escalator(server, policy)
    started = int(time.time() * 1000)
    in_flight = [0]
    lock = threading.Lock()

    def one(source: dict[str, Any]) -> dict[str, Any]:
        with lock:
            in_flight[0] += 1
        try:
            return _escalate_until_answered(server, who, source["id"])
        finally:
            with lock:
                in_flight[0] -= 1

    busy_at_kill: list[int] = []
    t0 = time.monotonic()
    with futures.ThreadPoolExecutor(WORKERS) as pool:
        running = [pool.submit(one, s) for s in sources]
        for _ in range(KILLS):
            time.sleep(0.2)
            with lock:
                busy_at_kill.append(in_flight[0])
            _kill_backend(server)
        answered = [f.result() for f in running]
    print(f"in flight at each kill: {busy_at_kill}; burst done in {time.monotonic() - t0:.1f} s")
    assert any(busy_at_kill), f"no kill hit a request in flight: {busy_at_kill}"

    channel = server.admin.get(f"/api/v4/teams/{server.team_id}/channels/name/{CHANNEL_NAME}").ok(
        200
    )
    body = server.admin.get(f"/api/v4/channels/{channel['id']}/posts?since={started}").ok(200)
    roots: dict[str, list[dict[str, Any]]] = {}
    for post in body["posts"].values():
        esc_id = (post.get("props") or {}).get(ESCALATION_PROP)
        if esc_id and not post.get("root_id") and not post.get("delete_at"):
            roots.setdefault(esc_id, []).append(post)
    assert len({e["id"] for e in answered}) == BURST
    for esc in answered:
        live = roots.get(esc["id"], [])
        assert [p["id"] for p in live] == [esc["escalation_post_id"]], (esc["id"], live)
