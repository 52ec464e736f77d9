"""Work a request owes once it has answered: run on a few background threads.

A Claim press is answered as soon as its compare-and-set landed; the thread reply, the direct
messages, the WebSocket events and the update of the open index and the ledger follow right
after, off the request path. The person who pressed does not wait for them, and a burst of
presses does not queue behind each other's side effects.

Nothing here is the truth: the KV record is written before anything is submitted, and every
piece of owed work can be made again from it (the record's ``unannounced`` marker for the posts
and messages of a change, ``KVStore.repair_index`` for the index and the ledger). A process that
dies with work waiting leaves exactly what a crash right after the write leaves.

The work starts ``grace`` seconds after it was submitted (``GRACE_SECONDS``): the answer to a
button press carries the post's new look, which the server saves after the plugin has answered
and before the person who pressed sees the answer; the thread reply, the direct message and the
events are posts and messages the server writes too, and started at once they compete with that
save for the same processors and database. A call that waited longer than that in the queue
starts at once.

Bounded: at most ``max_pending`` calls wait; when that many wait already, ``submit`` runs the
call in the caller's thread (back-pressure, never a silent drop). ``settled`` lets a read of
derived data in this process (the list, ``mine``) first wait for the work owed when it started
(never for work submitted meanwhile, so a steady stream of presses cannot hold a list up), so
someone who presses Claim and then lists sees their claim. ``workers=0`` runs every call at once
in the caller's thread (the unit tests' choice, where effects are asserted right after a call).
"""

from __future__ import annotations

import collections
import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

log = logging.getLogger(__name__)

# Two: enough to keep up with bursts of presses (each change is a handful of calls), few enough
# that the work after answers does not crowd out the answers themselves.
WORKERS = 2
MAX_PENDING = 500
# How long after it was submitted a call starts at the earliest (see above).
GRACE_SECONDS = 0.06

# A call waiting for its turn: (sequence number, the call, when it may start).
_Waiting = tuple[int, Callable[[], object], float]


class Afterwards:
    def __init__(
        self,
        workers: int = WORKERS,
        max_pending: int = MAX_PENDING,
        grace: float = GRACE_SECONDS,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._pool = (
            ThreadPoolExecutor(workers, thread_name_prefix="afterwards") if workers else None
        )
        self._max = max_pending
        self._grace = grace
        self._clock = clock
        self._sleep = sleep
        # Sequence numbers of the calls submitted and not finished yet.
        self._outstanding: set[int] = set()
        self._next = 0
        # Per key, the calls waiting for the one of that key that runs now.
        self._chains: dict[str, collections.deque[_Waiting]] = {}
        self._cond = threading.Condition()

    def submit(self, call: Callable[[], object], key: str = "") -> None:
        """Run ``call`` soon, after the caller returns (errors are logged). Calls with the same
        ``key`` (an escalation's id) run one after another in the order they were submitted,
        so the thread replies of two quick changes keep their order."""
        start = self._clock() + self._grace
        with self._cond:
            queued = self._pool is not None and len(self._outstanding) < self._max
            seq = self._next
            if queued:
                self._next += 1
                self._outstanding.add(seq)
                if key in self._chains:  # one of this key runs: this one follows it
                    self._chains[key].append((seq, call, start))
                    return
                if key:
                    self._chains[key] = collections.deque()
        if not queued or self._pool is None:
            _logged(call)
            return
        try:
            self._pool.submit(self._run, (seq, call, start), key)
        except RuntimeError:  # shut down: the caller's thread does it
            self._run((seq, call, 0.0), key)

    def settled(self, timeout: float) -> bool:
        """Wait until every call submitted before this one is done (at most ``timeout``
        seconds; calls submitted meanwhile are not waited for); whether that happened."""
        with self._cond:
            upto = self._next
            return self._cond.wait_for(
                lambda: not self._outstanding or min(self._outstanding) >= upto, timeout
            )

    def close(self, timeout: float) -> None:
        """Let what is owed finish (at most ``timeout`` seconds), then stop taking work."""
        self.settled(timeout)
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=False)

    def _run(self, first: _Waiting, key: str) -> None:
        """``first``, then the calls of ``key`` that queued behind it, in order, each once its
        start time came."""
        next_call: _Waiting | None = first
        while next_call is not None:
            seq, call, start = next_call
            try:
                wait = start - self._clock()
                if wait > 0:
                    self._sleep(wait)
                _logged(call)
            finally:
                with self._cond:
                    self._outstanding.discard(seq)
                    chain = self._chains.get(key) if key else None
                    next_call = chain.popleft() if chain else None
                    if key and next_call is None:
                        self._chains.pop(key, None)
                    self._cond.notify_all()


def _logged(call: Callable[[], object]) -> None:
    try:
        call()
    except Exception:
        log.exception("work after an answer failed: %s", getattr(call, "__qualname__", call))
