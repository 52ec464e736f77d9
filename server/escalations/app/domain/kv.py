"""The KV port the workflow needs, and an in-memory implementation of it.

``KV`` is four operations in Mattermost's own semantics (docs/protocol.md §8): ``get`` (``None`` =
missing), ``compare_and_set`` (``old=None`` = insert only if absent, ``new=None`` = delete, optional
TTL), ``delete`` and paged ``list_keys``. ``plugin.ClientKV`` adapts the runtime's
``PluginAPIClient`` to it; ``MemoryKV`` is the fake used by unit tests and benchmarks. Both are held
to the same contract by ``tests/app/test_kv_store.py``.

Values are never empty: Mattermost treats an empty value as "delete" (docs/protocol.md §8.2).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Protocol


class KV(Protocol):
    def get(self, key: str) -> bytes | None:
        """The value of ``key``, or ``None`` if missing (or expired)."""
        ...

    def compare_and_set(
        self, key: str, old: bytes | None, new: bytes | None, ttl_seconds: int = 0
    ) -> bool:
        """Atomically replace ``old`` by ``new``. ``old=None``: only if the key is absent;
        ``new=None``: delete. ``ttl_seconds > 0`` makes the new value expire. False on mismatch."""
        ...

    def delete(self, key: str) -> None:
        """Remove ``key``; a missing key is not an error."""
        ...

    def list_keys(self, page: int, per_page: int) -> Sequence[str]:
        """One page of this plugin's keys, in a stable order."""
        ...


class MemoryKV:
    """A thread-safe in-memory ``KV`` with Mattermost's semantics, including expiry."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._data: dict[str, tuple[bytes, float | None]] = {}

    def get(self, key: str) -> bytes | None:
        with self._lock:
            return self._live(key)

    def compare_and_set(
        self, key: str, old: bytes | None, new: bytes | None, ttl_seconds: int = 0
    ) -> bool:
        if new is not None and not new:
            raise ValueError("empty values are not storable (they mean delete)")
        with self._lock:
            if self._live(key) != old:
                return False
            if new is None:
                self._data.pop(key, None)
            else:
                expiry = self._clock() + ttl_seconds if ttl_seconds > 0 else None
                self._data[key] = (new, expiry)
            return True

    def delete(self, key: str) -> None:
        with self._lock:
            self._data.pop(key, None)

    def list_keys(self, page: int, per_page: int) -> Sequence[str]:
        with self._lock:
            live = sorted(k for k in list(self._data) if self._live(k) is not None)
        return live[page * per_page : (page + 1) * per_page]

    def _live(self, key: str) -> bytes | None:
        entry = self._data.get(key)
        if entry is None:
            return None
        value, expiry = entry
        if expiry is not None and expiry <= self._clock():
            del self._data[key]
            return None
        return value


if TYPE_CHECKING:  # static conformance: the fake implements the port
    _conforms: KV = MemoryKV()
