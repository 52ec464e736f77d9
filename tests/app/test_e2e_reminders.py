"""Reminders through the real process boundary: two plugin processes ("nodes") on one emulated
server, short intervals, real time. One node is killed (SIGKILL, no goodbye) while it holds the
scheduler's lease; the other takes over, and every reminder is still sent exactly once."""

from __future__ import annotations

import os
import re
import signal
import time

from app.emu import ROOT, World, start_world
from hostemu.host import Host

# 3 s to the owner's reminder, 3 s more to the next responder's mention; stale reminders off.
SHORT = {"ReminderMinutes": 0.05, "NextResponderMinutes": 0.05, "StaleDays": 0}
ACK_TEXT = "waits for you to acknowledge it"
NEXT_TEXT = "has not acknowledged this escalation"


def _reminders(world: World, permalink: str, root_id: str) -> tuple[int, int]:
    """(owner's direct reminders naming this escalation, next-responder mentions in its thread)."""
    posts = world.host.posts()
    direct = sum(1 for p in posts if ACK_TEXT in p.message and permalink in p.message)
    thread = sum(1 for p in posts if p.root_id == root_id and NEXT_TEXT in p.message)
    return direct, thread


def _senders(world: World) -> list[int | None]:
    """The pids of the nodes that took the scheduler's lease, in order (from the server log)."""
    found = [
        re.search(r"pid (\d+)\) now sends the reminders", e.message) for e in world.host.logs()
    ]
    return [int(m.group(1)) for m in found if m]


def _wait_for(world: World, escalations: list[dict[str, str]], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        counts = [_reminders(world, e["permalink"], e["escalation_post_id"]) for e in escalations]
        if all(c == (1, 1) for c in counts):
            return
        time.sleep(0.25)


def test_each_reminder_is_sent_once_while_the_lease_holder_is_killed() -> None:
    world = start_world(settings=SHORT)
    second = Host(ROOT)
    second.state = world.host.state  # same database and KV store, its own process
    try:
        time.sleep(1.5)  # the first node's scheduler takes the lease on its first tick
        second.start()
        early = [world.escalate(world.post().id, "licensing").json() for _ in range(2)]
        _wait_for(world, early, timeout=20)
        late = world.escalate(world.post().id, "licensing").json()
        assert _senders(world) == [world.host.pid]
        first_pid = world.host.pid
        assert first_pid is not None
        os.kill(first_pid, signal.SIGKILL)  # before `late` is due: only `second` can send it
        everyone = [*early, late]
        _wait_for(world, everyone, timeout=30)
        for esc in everyone:
            assert _reminders(world, esc["permalink"], esc["escalation_post_id"]) == (1, 1)
        assert _senders(world) == [first_pid, second.pid]
        # the mention went to the next approved responder after the default owner
        thread = world.host.thread(late["escalation_post_id"])
        assert any(p.message.startswith("@ian.tien: the owner `@jason.blais`") for p in thread)
        # and nothing more arrives later
        time.sleep(3)
        for esc in everyone:
            assert _reminders(world, esc["permalink"], esc["escalation_post_id"]) == (1, 1)
    finally:
        second.stop()
        world.host.stop()
