"""Work a request owes once it has answered: run on a few background threads.

A Claim press is answered as soon as its compare-and-set landed; the thread reply, the direct
messages, the WebSocket events and the update of the open index and the ledger follow right
after, off the request path. The person who pressed does not wait for them, and a burst of
presses does not queue behind each other's side effects.

Nothing here is the truth: the KV record is written before anything is submitted, and every
piece of owed work can be made again from it (the record's ``unannounced`` marker for the posts
and messages of a change, ``KVStore.repair_index`` for the index and the ledger). A process that
dies with work waiting leaves exactly what a crash right after the write leaves.

Bounded: at most ``max_pending`` calls wait; when that many wait already, ``submit`` runs the
call in the caller's thread (back-pressure, never a silent drop). ``settled`` lets a read of
derived data in this process (the list, ``mine``) first wait for the work that is still owed, so
someone who presses Claim and then lists sees their claim. ``workers=0`` runs every call at once
in the caller's thread (the unit tests' choice, where effects are asserted right after a call).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

log = logging.getLogger(__name__)

# Two: enough to keep up with bursts of presses (each change is a handful of calls), few enough
# that the work after answers does not crowd out the answers themselves.
WORKERS = 2
MAX_PENDING = 500


class Afterwards:
    def __init__(self, workers: int = WORKERS, max_pending: int = MAX_PENDING) -> None:
        self._pool = (
            ThreadPoolExecutor(workers, thread_name_prefix="afterwards") if workers else None
        )
        self._max = max_pending
        self._pending = 0
        self._cond = threading.Condition()

    def submit(self, call: Callable[[], object]) -> None:
        """Run ``call`` soon, after the caller returns (errors are logged)."""
        with self._cond:
            queued = self._pool is not None and self._pending < self._max
            if queued:
                self._pending += 1
        if not queued or self._pool is None:
            _logged(call)
            return
        try:
            self._pool.submit(self._run, call)
        except RuntimeError:  # shut down: the caller's thread does it
            self._done()
            _logged(call)

    def settled(self, timeout: float) -> bool:
        """Wait until no submitted call is waiting or running (at most ``timeout`` seconds);
        whether that happened."""
        with self._cond:
            return self._cond.wait_for(lambda: self._pending == 0, timeout)

    def close(self, timeout: float) -> None:
        """Let what is owed finish (at most ``timeout`` seconds), then stop taking work."""
        self.settled(timeout)
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=False)

    def _run(self, call: Callable[[], object]) -> None:
        try:
            _logged(call)
        finally:
            self._done()

    def _done(self) -> None:
        with self._cond:
            self._pending -= 1
            if self._pending == 0:
                self._cond.notify_all()


def _logged(call: Callable[[], object]) -> None:
    try:
        call()
    except Exception:
        log.exception("work after an answer failed: %s", getattr(call, "__qualname__", call))
