"""Run the independent server calls of one request at the same time.

A change's side effects (the post edit, the thread reply, the direct messages, the WebSocket
events) and the reads behind one page of a list are independent calls that mostly wait for the
server. One after another, their waits add up; ``Fanout.run`` runs them together and returns when
all are done, after the longest call instead of the sum (whether that is before a request
answers or after, ``afterwards`` decides).

The pool is small and shared by every request of the process. A call that finds no idle worker
runs in the caller's own thread instead of queueing, so a burst of requests never waits for the
pool: it only loses the overlap. Calls must not use the fan-out themselves (none waits for another).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TypeVar

T = TypeVar("T")

# Workers shared by all requests of the process: a few requests' side effects at once.
WORKERS = 8


class Fanout:
    def __init__(self, workers: int = WORKERS) -> None:
        self._pool = ThreadPoolExecutor(workers, thread_name_prefix="fanout")
        self._idle = threading.BoundedSemaphore(workers)

    def run(self, calls: Sequence[Callable[[], T]]) -> list[T]:
        """The calls' results in order, once every call is done. If calls raised, the first of
        them (in the order of ``calls``) is raised again, after the others finished."""
        if not calls:
            return []
        # The first call always runs here: the caller's thread works too.
        futures = [None, *(self._start(call) for call in calls[1:])]
        outcomes: list[tuple[T | None, BaseException | None] | None] = [
            attempt(c) if f is None else None for c, f in zip(calls, futures, strict=True)
        ]
        results: list[T] = []
        for i, future in enumerate(futures):
            if future is not None:
                error = future.exception()
                outcomes[i] = (None, error) if error else (future.result(), None)
        for outcome in outcomes:
            assert outcome is not None
            result, error = outcome
            if error is not None:
                raise error
            results.append(result)  # type: ignore[arg-type]
        return results

    def _start(self, call: Callable[[], T]) -> Future[T] | None:
        if not self._idle.acquire(blocking=False):
            return None  # run in the caller's thread, in order
        future = self._pool.submit(call)
        future.add_done_callback(lambda _: self._idle.release())
        return future

    def close(self) -> None:
        self._pool.shutdown(wait=False)


def attempt(call: Callable[[], T]) -> tuple[T | None, Exception | None]:
    """``call()`` and no error, or no result and the error it raised."""
    try:
        return call(), None
    except Exception as exc:
        return None, exc
