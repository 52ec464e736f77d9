"""The plugin KV store with Mattermost's semantics (docs/protocol.md §8).

Rules carried over (each from §8.1/§8.2 unless noted):

* empty value == missing == delete: ``set`` with ``b""`` deletes; ``get`` of a missing key is
  ``None``;
* keys are 1-150 runes on every write (``PluginKeyValue.IsValid``); reads of an over-long key just
  find nothing (the SQL lookup cannot match) rather than failing;
* ``compare_and_set`` with an empty ``old`` inserts only if absent, first removing an expired row
  so an expired lock can be retaken; a mismatch or existing key is ``False``, never an error;
* ``compare_and_set`` with an empty ``new`` is a compare-and-delete; compare-and-delete with an
  empty ``old`` does nothing and returns ``False`` ("nil can't be stored");
* ``set_with_options``: ``old_value`` without ``atomic`` is invalid (400);
* expiry in whole seconds; ``expire_in_seconds <= 0`` means no expiry.

Where the doc is silent we treat an expired row as absent everywhere (get, list, CAS compare)
because the server's cleanup job deletes them eventually and reads filter on ``ExpireAt``.
``list`` orders keys ascending (``ORDER BY PKey``); ``per_page <= 0`` uses a default page size of
10 — both verified on Mattermost 11.4.0 (``tests/runtime/test_api_contract.py``).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass

from hostemu.errors import AppError, bad_request

KEY_MAX_RUNES = 150
DEFAULT_LIST_PAGE = 10


@dataclass(frozen=True)
class KVEntry:
    value: bytes
    expire_at: int = 0  # ms since epoch; 0 = never


def _check_key(key: str) -> None:
    if not key or len(key) > KEY_MAX_RUNES:
        raise bad_request(
            "model.plugin_key_value.is_valid.key.app_error",
            f"Invalid key, must be more than 0 and no more than {KEY_MAX_RUNES} characters.",
            "PluginKeyValue.IsValid",
        )


class KVStore:
    """One plugin's KV namespace; every method is atomic under one lock."""

    def __init__(self, now_ms: Callable[[], int]) -> None:
        self._now_ms = now_ms
        self._rows: dict[str, KVEntry] = {}
        self._lock = threading.Lock()

    # -- helpers (call with the lock held) --------------------------------------------------
    def _live(self, key: str) -> KVEntry | None:
        entry = self._rows.get(key)
        if entry is not None and entry.expire_at and entry.expire_at <= self._now_ms():
            return None
        return entry

    def _expire_at(self, expire_in_seconds: int) -> int:
        return self._now_ms() + expire_in_seconds * 1000 if expire_in_seconds > 0 else 0

    def _put(self, key: str, value: bytes, expire_in_seconds: int) -> None:
        if value:
            self._rows[key] = KVEntry(bytes(value), self._expire_at(expire_in_seconds))
        else:
            self._rows.pop(key, None)

    # -- operations -------------------------------------------------------------------------
    def get(self, key: str) -> bytes | None:
        with self._lock:
            entry = self._live(key)
            return entry.value if entry else None

    def set(self, key: str, value: bytes, expire_in_seconds: int = 0) -> None:
        _check_key(key)
        with self._lock:
            self._put(key, value, expire_in_seconds)

    def delete(self, key: str) -> None:
        with self._lock:
            self._rows.pop(key, None)

    def delete_all(self) -> None:
        with self._lock:
            self._rows.clear()

    def compare_and_set(self, key: str, old: bytes, new: bytes, expire_in_seconds: int = 0) -> bool:
        _check_key(key)
        if not new:
            return self.compare_and_delete(key, old)
        with self._lock:
            current = self._live(key)
            if not old:
                if current is not None:
                    return False
            elif current is None or current.value != old:
                return False
            self._put(key, new, expire_in_seconds)
            return True

    def compare_and_delete(self, key: str, old: bytes) -> bool:
        _check_key(key)
        if not old:
            return False
        with self._lock:
            current = self._live(key)
            if current is None or current.value != old:
                return False
            del self._rows[key]
            return True

    def set_with_options(
        self, key: str, value: bytes, *, atomic: bool, old_value: bytes, expire_in_seconds: int
    ) -> bool:
        if old_value and not atomic:
            raise AppError(
                "model.plugin_kvset_options.is_valid.old_value.app_error",
                "OldValue should only be set when Atomic is true.",
                400,
                "PluginKVSetOptions.IsValid",
            )
        if atomic:
            return self.compare_and_set(key, old_value, value, expire_in_seconds)
        self.set(key, value, expire_in_seconds)
        return True

    def list_keys(self, page: int, per_page: int) -> list[str]:
        limit = per_page if per_page > 0 else DEFAULT_LIST_PAGE
        offset = max(page, 0) * limit
        with self._lock:
            keys = sorted(k for k in self._rows if self._live(k) is not None)
        return keys[offset : offset + limit]

    def dump(self, include_expired: bool = False) -> dict[str, bytes]:
        """Every key and value (inspection helper; not a server operation)."""
        with self._lock:
            keys = [k for k in self._rows if include_expired or self._live(k) is not None]
            return {k: self._rows[k].value for k in sorted(keys)}

    def expiry_of(self, key: str) -> int:
        """The row's ``expire_at`` in ms (0 = none, -1 = no row); inspection helper."""
        with self._lock:
            entry = self._rows.get(key)
            return entry.expire_at if entry else -1
