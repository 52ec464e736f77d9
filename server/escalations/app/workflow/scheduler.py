"""The reminder scheduler: a background thread on every node, of which one works at a time.

Every node runs ``Scheduler``; each tick it tries to hold the KV lease ``reminders`` (a token with a
TTL of a few ticks, renewed every tick by its holder). Only the holder works: when it takes the
lease and then every ``REPAIR_EVERY_SECONDS`` it repairs the open index and compacts resolved
escalations past retention; every tick it sends the due reminders.
A holder that dies stops renewing; its lease lapses and another node's next tick takes it over.
Exactly-once does not rest on the lease alone: each reminder is recorded in its escalation with
compare-and-set before it is sent (``reminders.Reminders``), so even two sweeps at once cannot send
one twice.
"""

from __future__ import annotations

import logging
import math
import os
import secrets
import threading
import time
from collections.abc import Callable

from escalations.app.domain import keys
from escalations.app.domain.kv import KV
from escalations.app.workflow.reminders import DAY_MS, Reminders, ScheduleSettings
from escalations.app.workflow.service import Environment
from escalations.app.workflow.store import Store

log = logging.getLogger(__name__)

LEASE_NAME = "reminders"
# Tick bounds: at least this often (so a lapsed lease is taken over soon), at most this often.
MAX_TICK_SECONDS = 30.0
MIN_TICK_SECONDS = 1.0
# A lease outlives this many missed ticks of its holder.
LEASE_TICKS = 3
REPAIR_EVERY_SECONDS = 3600.0


def tick_seconds(settings: ScheduleSettings) -> float:
    """Four checks within the shortest reminder interval, within the bounds."""
    shortest = settings.shortest_seconds()
    if shortest <= 0:
        return MAX_TICK_SECONDS
    return min(MAX_TICK_SECONDS, max(MIN_TICK_SECONDS, shortest / 4))


class Lease:
    """A KV lease: one holder at a time, lapsing ``ttl_seconds`` after its last renewal."""

    def __init__(self, kv: KV, name: str) -> None:
        self._kv = kv
        self._key = keys.lease(name)
        self._token = secrets.token_hex(16).encode()
        self.held = False

    def hold(self, ttl_seconds: int) -> bool:
        """Renew the lease if held, else (or if it lapsed meanwhile) try to take it; True while
        this node holds it."""
        renewed = self.held and self._kv.compare_and_set(
            self._key, self._token, self._token, ttl_seconds
        )
        self.held = renewed or self._kv.compare_and_set(self._key, None, self._token, ttl_seconds)
        return self.held

    def give_up(self) -> None:
        if self.held:
            self._kv.compare_and_set(self._key, self._token, None)
            self.held = False


class Scheduler:
    def __init__(
        self,
        kv: KV,
        store: Store,
        reminders: Reminders,
        environment: Callable[[], Environment | None],
        settings: Callable[[], ScheduleSettings],
        clock_ms: Callable[[], int],
    ) -> None:
        self._clock_ms = clock_ms
        self._store = store
        self._reminders = reminders
        self._environment = environment
        self._settings = settings
        self._lease = Lease(kv, LEASE_NAME)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._repaired_at: float | None = None
        self._lease_ends = 0.0

    def start(self) -> None:
        if self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="reminders", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=3)  # within the server's OnDeactivate deadline
            self._thread = None
        try:
            self._lease.give_up()
        except Exception:  # shutting down: the lease lapses by itself
            log.warning("could not give up the reminders lease")

    def _run(self) -> None:
        while not self._stop.wait(tick_seconds(self._settings())):
            try:
                self.tick()
            except Exception:  # one failed tick (server busy) must not end the loop
                log.exception("reminder tick failed")

    def tick(self) -> int:
        """One round: hold the lease, repair when due, send due reminders. Returns reminders
        sent (0 when another node holds the lease or the plugin is not configured)."""
        env = self._environment()
        if env is None:
            return 0
        settings = self._settings()
        ttl = max(2, math.ceil(tick_seconds(settings) * LEASE_TICKS))
        had = self._lease.held
        if not self._lease.hold(ttl):
            self._repaired_at = None
            return 0
        self._lease_ends = time.monotonic() + ttl - 1
        if not had:
            log.info("this node (pid %d) now sends the reminders", os.getpid())
        now = time.monotonic()
        if self._repaired_at is None or now - self._repaired_at >= REPAIR_EVERY_SECONDS:
            self._housekeeping(settings)
            self._repaired_at = now
        return self._reminders.send_due(env, settings, self._still_holding)

    def _housekeeping(self, settings: ScheduleSettings) -> None:
        """Repair the open index from the records; compact resolved records past retention."""
        fixed = self._store.repair_index()
        if fixed:
            log.warning("open index: %d entries repaired from the records", fixed)
        if settings.retention_days > 0:
            now = self._clock_ms()
            before = now - int(settings.retention_days * DAY_MS)
            compacted = self._store.compact_resolved(before, now)
            if compacted:
                log.info("compacted %d resolved escalations past retention", compacted)

    def _still_holding(self) -> bool:
        """Stop mid-sweep once the lease may have lapsed (another node may have it now)."""
        return not self._stop.is_set() and time.monotonic() < self._lease_ends
