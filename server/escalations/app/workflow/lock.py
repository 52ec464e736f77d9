"""A KV lock with a TTL and a background refresh, for one-off steps that every node runs.

``OnActivate`` runs on every node of a cluster at about the same time; steps such as creating the
escalations channel are idempotent but racy (two nodes both see "missing" and both create). Holding
``KVLock("activate")`` around them serialises the nodes. The lock value is a random token with a
TTL, so a node that dies while holding it blocks the others for at most ``ttl`` seconds; while held,
a daemon thread extends the TTL every ``ttl / 2`` seconds. Release deletes the key only if it still
holds our token (compare-and-delete), so an expired-and-retaken lock is never released by mistake.
"""

from __future__ import annotations

import secrets
import threading
import time
from types import TracebackType

from escalations.app.domain import keys
from escalations.app.domain.kv import KV

DEFAULT_TTL_SECONDS = 15
DEFAULT_WAIT_SECONDS = 20.0
_POLL_SECONDS = 0.05


class LockTimeout(Exception):
    """The lock stayed taken for the whole wait."""


class KVLock:
    def __init__(
        self,
        kv: KV,
        name: str,
        *,
        ttl_seconds: int = DEFAULT_TTL_SECONDS,
        wait_seconds: float = DEFAULT_WAIT_SECONDS,
    ) -> None:
        self._kv = kv
        self._key = keys.lock(name)
        self._ttl = ttl_seconds
        self._wait = wait_seconds
        self._token = b""
        self._stop = threading.Event()
        self._refresher: threading.Thread | None = None

    @property
    def held(self) -> bool:
        return bool(self._token)

    def try_acquire(self) -> bool:
        token = secrets.token_hex(16).encode()
        if not self._kv.compare_and_set(self._key, None, token, self._ttl):
            return False
        self._token = token
        self._stop.clear()
        self._refresher = threading.Thread(
            target=self._refresh_loop, name=f"kvlock-{self._key}", daemon=True
        )
        self._refresher.start()
        return True

    def acquire(self) -> None:
        """Wait up to ``wait_seconds`` for the lock; raise ``LockTimeout`` otherwise."""
        deadline = time.monotonic() + self._wait
        while not self.try_acquire():
            if time.monotonic() >= deadline:
                raise LockTimeout(self._key)
            time.sleep(_POLL_SECONDS)

    def release(self) -> None:
        if not self._token:
            return
        self._stop.set()
        if self._refresher is not None:
            self._refresher.join(timeout=2)
        # Only our own token is deleted; if it expired and another node holds it, this is a no-op.
        self._kv.compare_and_set(self._key, self._token, None)
        self._token = b""

    def __enter__(self) -> KVLock:
        self.acquire()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.release()

    def _refresh_loop(self) -> None:
        while not self._stop.wait(self._ttl / 2):
            if not self._kv.compare_and_set(self._key, self._token, self._token, self._ttl):
                return  # lost it (expired and retaken): nothing more to refresh
