"""Calls run a little later, off the request path, on one background thread.

For checks that must wait until the server has done what a request answered (e.g. applied the
post edit a button's answer carries). Best effort: a call that fails is logged; when
``MAX_PENDING`` calls wait already, a new one is dropped (and logged) rather than queued without
bound. Nothing here may be needed for correctness of stored state: the KV record stays the truth.
"""

from __future__ import annotations

import heapq
import itertools
import logging
import threading
import time
from collections.abc import Callable

log = logging.getLogger(__name__)

MAX_PENDING = 1000


class Later:
    def __init__(self, delay_seconds: float, max_pending: int = MAX_PENDING) -> None:
        self._delay = delay_seconds
        self._max = max_pending
        self._due: list[tuple[float, int, Callable[[], object]]] = []
        self._seq = itertools.count()
        self._cond = threading.Condition()
        self._thread: threading.Thread | None = None

    def submit(self, call: Callable[[], object]) -> None:
        """Run ``call`` once ``delay_seconds`` have passed."""
        with self._cond:
            if len(self._due) >= self._max:
                log.warning("too many delayed calls waiting; %s dropped", call)
                return
            due = time.monotonic() + self._delay
            heapq.heappush(self._due, (due, next(self._seq), call))
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="later", daemon=True)
                self._thread.start()
            self._cond.notify()

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._due or self._due[0][0] > time.monotonic():
                    wait = self._due[0][0] - time.monotonic() if self._due else None
                    self._cond.wait(wait)
                _, _, call = heapq.heappop(self._due)
            try:
                call()
            except Exception:
                log.exception("delayed call %s failed", call)
