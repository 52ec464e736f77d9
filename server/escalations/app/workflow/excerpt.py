"""The excerpt of the original post: which part of it is redacted, and where the redaction runs.

Two bounds keep one crafted message from stalling the plugin for everyone:

* ``window``: only the part that can be shown (``max_chars`` plus ``WINDOW_MARGIN``, so that an
  address or token crossing the excerpt's end is still seen whole) is ever redacted, never the
  whole post (up to 16 383 characters). The window ends at a space where it can, so nothing is cut
  in half (half an e-mail address would escape redaction).
* ``IsolatedRedactor``: the regular expressions run in worker processes with a deadline. Python's
  ``re`` holds the interpreter lock while it matches, so in-process a slow match would stop every
  other thread (other users' requests, health checks); in a worker it stops only itself, and past
  ``REDACT_TIMEOUT_SECONDS`` the worker is killed and the excerpt withheld (``WITHHELD``): the
  post then shows no excerpt rather than an unredacted one. A request waits at most that long for
  a free worker too, and a new worker at most ``START_TIMEOUT_SECONDS`` to start. The redaction
  itself runs in linear time (``redact``); the workers are a second line of defence, should a
  detector ever regress.

A worker is ``python -I -c <boot>`` with the parent's import path, speaking one JSON line per
request on stdin/stdout (``serve``). Workers start on first use and are reused; one that times
out, fails or dies is replaced.
"""

from __future__ import annotations

import importlib
import json
import logging
import os
import queue
import select
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from typing import IO

from escalations.app.domain import redact

log = logging.getLogger(__name__)

# Characters redacted beyond the excerpt length, so that what crosses the cut is seen whole.
WINDOW_MARGIN = 256
# Longest excerpt setting honoured (the bot post holds at most 16 383 characters in all).
MAX_EXCERPT_CHARS = 4000
# Deadline of one redaction, and of the wait for a free worker.
REDACT_TIMEOUT_SECONDS = 2.0
# Deadline of a new worker's start (an interpreter start is slow on a loaded server).
START_TIMEOUT_SECONDS = 10.0
# Worker processes at most (more concurrent redactions wait for one, within the deadline).
MAX_WORKERS = 2
WITHHELD = "[excerpt withheld: it could not be redacted in time; see the original post]"
ELLIPSIS = "…"

# (original text, excerpt length, public domains) -> the redacted excerpt and its item count.
Redactor = Callable[[str, int, frozenset[str]], redact.Redaction]

REDACT_FUNCTION = "escalations.app.domain.redact:redact_counted"
_READY = b"ready"
_BOOT = (
    "import json, sys; sys.path[:0] = json.loads(sys.argv[1]); "
    "from escalations.app.workflow.excerpt import serve; serve(sys.argv[2])"
)


def window(text: str, max_chars: int) -> str:
    """The part of ``text`` that the excerpt can show, plus a margin; ``""`` for none."""
    if max_chars <= 0:
        return ""
    limit = min(max_chars, MAX_EXCERPT_CHARS) + WINDOW_MARGIN
    if len(text) <= limit:
        return text
    cut = text[:limit]
    # Back to the last space that does not separate digit groups (a phone number), bounded by
    # the margin; without one the excerpt's own cut is close enough.
    for i in range(limit - 1, limit - WINDOW_MARGIN, -1):
        if cut[i].isspace() and not cut[i - 1].isdigit():
            return cut[:i] + " " + ELLIPSIS
    return cut + ELLIPSIS


def in_process(
    text: str, max_chars: int, public_domains: frozenset[str] = redact.DEFAULT_PUBLIC_DOMAINS
) -> redact.Redaction:
    """Redaction in the calling thread (tests and tools; the plugin uses ``IsolatedRedactor``)."""
    return redact.redact_counted(
        window(text, max_chars), min(max_chars, MAX_EXCERPT_CHARS), public_domains
    )


class IsolatedRedactor:
    """``Redactor`` running ``redact.redact`` in worker processes with a hard deadline."""

    def __init__(
        self,
        timeout: float = REDACT_TIMEOUT_SECONDS,
        max_workers: int = MAX_WORKERS,
        function: str = REDACT_FUNCTION,
    ) -> None:
        """``function``: ``module:name`` of the redaction the workers run, ``(text, max_chars,
        public_domains) -> redact.Redaction`` (tests substitute their own)."""
        self._timeout = timeout
        self._function = function
        self._idle: queue.Queue[_Worker] = queue.Queue()
        self._slots = threading.BoundedSemaphore(max_workers)

    def __call__(
        self,
        text: str,
        max_chars: int,
        public_domains: frozenset[str] = redact.DEFAULT_PUBLIC_DOMAINS,
    ) -> redact.Redaction:
        shown = window(text, max_chars)
        if not shown:
            return redact.Redaction("", 0)
        if not self._slots.acquire(timeout=self._timeout):
            log.warning("no redaction worker free within %.1f s; excerpt withheld", self._timeout)
            return redact.Redaction(WITHHELD, 0)
        try:
            return self._run(shown, min(max_chars, MAX_EXCERPT_CHARS), public_domains)
        finally:
            self._slots.release()

    def close(self) -> None:
        """Stop the idle workers (busy ones stop when their request ends)."""
        while True:
            try:
                self._idle.get_nowait().kill()
            except queue.Empty:
                return

    def _run(self, text: str, max_chars: int, public_domains: frozenset[str]) -> redact.Redaction:
        try:
            worker = self._idle.get_nowait()
        except queue.Empty:
            worker = None
        try:
            worker = worker or _Worker.start(self._function)
            result = worker.redact(
                text, max_chars, public_domains, time.monotonic() + self._timeout
            )
        except (OSError, ValueError, TimeoutError) as exc:
            log.warning("redaction worker failed (%s); excerpt withheld", exc)
            if worker is not None:
                worker.kill()
            return redact.Redaction(WITHHELD, 0)
        self._idle.put(worker)
        return result


class _Worker:
    """One worker process and its pipes."""

    def __init__(self, process: subprocess.Popen[bytes]) -> None:
        self._process = process
        self._buffer = b""

    @classmethod
    def start(cls, function: str) -> _Worker:
        """A new worker, once it said it is ready (``START_TIMEOUT_SECONDS`` at most)."""
        paths = [p for p in sys.path if p]
        process = subprocess.Popen(
            [sys.executable, "-I", "-c", _BOOT, json.dumps(paths), function],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            close_fds=True,
        )
        worker = cls(process)
        try:
            if (
                process.stdout is None
                or worker._read_line(process.stdout, time.monotonic() + START_TIMEOUT_SECONDS)
                != _READY
            ):
                raise OSError("worker did not start")
        except (OSError, TimeoutError):
            worker.kill()
            raise
        return worker

    def redact(
        self, text: str, max_chars: int, public_domains: frozenset[str], deadline: float
    ) -> redact.Redaction:
        stdin, stdout = self._process.stdin, self._process.stdout
        if stdin is None or stdout is None:
            raise OSError("worker pipes missing")
        request = {"text": text, "max_chars": max_chars, "public_domains": sorted(public_domains)}
        stdin.write(json.dumps(request).encode() + b"\n")
        stdin.flush()
        reply = json.loads(self._read_line(stdout, deadline))
        if (
            not isinstance(reply, dict)
            or not isinstance(reply.get("excerpt"), str)
            or not isinstance(reply.get("removed"), int)
        ):
            raise ValueError("malformed worker reply")
        return redact.Redaction(str(reply["excerpt"]), int(reply["removed"]))

    def _read_line(self, stdout: IO[bytes], deadline: float) -> bytes:
        fd = stdout.fileno()
        while b"\n" not in self._buffer:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"no answer within the deadline (pid {self._process.pid})")
            ready, _, _ = select.select([fd], [], [], remaining)
            if ready:
                chunk = os.read(fd, 65536)
                if not chunk:
                    raise OSError("worker exited")
                self._buffer += chunk
        line, _, self._buffer = self._buffer.partition(b"\n")
        return line

    @property
    def pid(self) -> int:
        return self._process.pid

    def kill(self) -> None:
        self._process.kill()
        self._process.wait()
        for pipe in (self._process.stdin, self._process.stdout):
            if pipe is not None:
                pipe.close()


def serve(function: str = REDACT_FUNCTION) -> None:
    """The worker's loop: one JSON request per stdin line, one JSON answer per stdout line;
    ends when stdin closes (the plugin exited)."""
    module, _, name = function.partition(":")
    run = getattr(importlib.import_module(module), name)
    sys.stdout.write(_READY.decode() + "\n")
    sys.stdout.flush()
    for line in sys.stdin.buffer:
        request = json.loads(line)
        domains = frozenset(str(d) for d in request["public_domains"])
        result = run(str(request["text"]), int(request["max_chars"]), domains)
        sys.stdout.write(json.dumps({"excerpt": result.text, "removed": result.removed}) + "\n")
        sys.stdout.flush()
