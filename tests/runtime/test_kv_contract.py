"""KV store contract, written against ``escalations.runtime.api.PluginAPIClient``.

The same tests run against every target in ``TARGETS``: always the host emulator's in-memory
PluginAPI; additionally a real Mattermost ``PluginAPI`` when ``KV_CONTRACT_TARGET=host:port`` is
set (the ``MATTERMOST_PLUGIN_API_TARGET`` a real server gave a plugin process). A target is a
client plus a way to let time pass (the emulator moves its clock; a real server needs sleeping).

Real-server safety: every key is under a per-run random prefix, listing only looks at that
prefix, ``KVDeleteAll`` is never called, and the prefix's keys are deleted afterwards.

What is pinned here is docs/protocol.md §8: empty == missing == delete; insert-if-absent with an
empty old value; CAS mismatch is ``False`` (not an error); compare-and-delete; expiry; 1-150
runes per key; ``old_value`` without ``atomic`` invalid; ``KVList`` paging.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import grpc
import pytest

from escalations.runtime import errors
from escalations.runtime.api import PluginAPIClient
from escalations.runtime.pb import api_pb2, api_pb2_grpc, models_pb2
from hostemu import ServerState, new_id
from hostemu.api_server import PluginAPIServer

REMOTE_ENV = "KV_CONTRACT_TARGET"


@dataclass
class KVTarget:
    name: str
    client: PluginAPIClient
    raw: Any  # PluginAPIStub on the same target, for wire-level checks
    advance: Callable[[float], None]
    prefix: str

    def key(self, name: str) -> str:
        return self.prefix + name


@dataclass
class _Opened:
    target: KVTarget
    close: Callable[[], None]


def _open(
    name: str, target: str, advance: Callable[[float], None], stop: Callable[[], None]
) -> _Opened:
    client = PluginAPIClient.connect(target)
    channel = grpc.insecure_channel(target)
    kv = KVTarget(
        name, client, api_pb2_grpc.PluginAPIStub(channel), advance, f"kvc-{new_id()[:8]}-"
    )

    def close() -> None:
        _delete_prefix(kv)
        client.close()
        channel.close()
        stop()

    return _Opened(kv, close)


def _emulator() -> _Opened:
    state = ServerState("com.example.kvcontract")
    server = PluginAPIServer(state, "/tmp", "emulated")
    return _open("emulator", server.start(), state.clock.advance, server.stop)


def _remote() -> _Opened:
    return _open("remote", os.environ[REMOTE_ENV], time.sleep, lambda: None)


TARGETS: dict[str, Callable[[], _Opened]] = {"emulator": _emulator}
if os.environ.get(REMOTE_ENV):
    TARGETS["remote"] = _remote


def _all_keys(kv: KVTarget, per_page: int = 50) -> list[str]:
    keys: list[str] = []
    for page in range(10_000):
        batch = kv.client.kv_list(page=page, per_page=per_page)
        keys.extend(batch)
        if len(batch) < per_page:
            return keys
    raise AssertionError("KVList never ended")


def _delete_prefix(kv: KVTarget) -> None:
    for key in _all_keys(kv):
        if key.startswith(kv.prefix):
            kv.client.kv_delete(key)


@pytest.fixture(params=sorted(TARGETS))
def kv(request: pytest.FixtureRequest) -> Iterator[KVTarget]:
    opened = TARGETS[request.param]()
    try:
        yield opened.target
    finally:
        opened.close()


# -- empty == missing == delete -------------------------------------------------------------------
def test_missing_key_reads_as_none(kv: KVTarget) -> None:
    assert kv.client.kv_get(kv.key("nothing")) is None


def test_set_get_and_empty_value_deletes(kv: KVTarget) -> None:
    key = kv.key("a")
    kv.client.kv_set(key, b"\x00value")
    assert kv.client.kv_get(key) == b"\x00value"
    kv.client.kv_set(key, b"")
    assert kv.client.kv_get(key) is None
    kv.client.kv_set(key, b"again")
    kv.client.kv_set(key, None)
    assert kv.client.kv_get(key) is None


def test_delete_of_a_missing_key_is_not_an_error(kv: KVTarget) -> None:
    neighbour = kv.key("never-there-neighbour")
    kv.client.kv_set(neighbour, b"stays")
    kv.client.kv_delete(kv.key("never-there"))  # no error raised
    assert kv.client.kv_get(kv.key("never-there")) is None
    assert kv.client.kv_get(neighbour) == b"stays"
    kv.client.kv_delete(neighbour)
    kv.client.kv_delete(neighbour)  # twice: the second is a missing key again
    assert kv.client.kv_get(neighbour) is None
    assert kv.client.kv_compare_and_set(kv.key("never-there"), None, b"new")  # still absent


def test_raw_empty_value_on_the_wire_deletes(kv: KVTarget) -> None:
    key = kv.key("wire")
    kv.client.kv_set(key, b"x")
    answer = kv.raw.KVSet(api_pb2.KVSetRequest(key=key, value=b""))
    assert not answer.error.id
    assert kv.raw.KVGet(api_pb2.KVGetRequest(key=key)).value == b""


# -- insert-if-absent, CAS, compare-and-delete ----------------------------------------------------
def test_insert_if_absent_with_compare_and_set(kv: KVTarget) -> None:
    key = kv.key("claim")
    assert kv.client.kv_compare_and_set(key, None, b"first") is True
    assert kv.client.kv_compare_and_set(key, None, b"second") is False  # exists: False, no error
    assert kv.client.kv_get(key) == b"first"


def test_insert_if_absent_with_set_with_options(kv: KVTarget) -> None:
    key = kv.key("claim-opts")
    assert kv.client.kv_set_with_options(key, b"owner-1", atomic=True, old_value=None)
    assert not kv.client.kv_set_with_options(key, b"owner-2", atomic=True, old_value=None)
    assert kv.client.kv_get(key) == b"owner-1"


def test_compare_and_set_mismatch_is_false_and_match_writes(kv: KVTarget) -> None:
    key = kv.key("cas")
    kv.client.kv_set(key, b"v1")
    assert kv.client.kv_compare_and_set(key, b"other", b"v2") is False
    assert kv.client.kv_get(key) == b"v1"
    assert kv.client.kv_compare_and_set(key, b"v1", b"v2") is True
    assert kv.client.kv_get(key) == b"v2"
    assert kv.client.kv_compare_and_set(kv.key("absent"), b"v1", b"v2") is False


def test_atomic_set_with_options_compares_old_value(kv: KVTarget) -> None:
    key = kv.key("cas-opts")
    kv.client.kv_set(key, b"v1")
    assert not kv.client.kv_set_with_options(key, b"v2", atomic=True, old_value=b"nope")
    assert kv.client.kv_set_with_options(key, b"v2", atomic=True, old_value=b"v1")
    assert kv.client.kv_get(key) == b"v2"


def test_compare_and_set_to_empty_is_compare_and_delete(kv: KVTarget) -> None:
    key = kv.key("cas-delete")
    kv.client.kv_set(key, b"v1")
    assert kv.client.kv_compare_and_set(key, b"wrong", None) is False
    assert kv.client.kv_get(key) == b"v1"
    assert kv.client.kv_compare_and_set(key, b"v1", None) is True
    assert kv.client.kv_get(key) is None


def test_compare_and_delete(kv: KVTarget) -> None:
    key = kv.key("cad")
    kv.client.kv_set(key, b"v1")
    assert kv.client.kv_compare_and_delete(key, b"v2") is False
    assert kv.client.kv_get(key) == b"v1"
    assert kv.client.kv_compare_and_delete(key, b"v1") is True
    assert kv.client.kv_get(key) is None
    assert kv.client.kv_compare_and_delete(key, b"v1") is False


def test_compare_and_delete_with_empty_old_value_does_nothing(kv: KVTarget) -> None:
    key = kv.key("cad-empty")
    kv.client.kv_set(key, b"v1")
    assert kv.client.kv_compare_and_delete(key, b"") is False
    assert kv.client.kv_get(key) == b"v1"


def test_concurrent_insert_if_absent_has_one_winner(kv: KVTarget) -> None:
    key = kv.key("race")
    barrier = threading.Barrier(20)
    wins: list[bool] = []

    def claim(i: int) -> None:
        barrier.wait()
        wins.append(kv.client.kv_set_with_options(key, b"%d" % i, atomic=True, old_value=None))

    threads = [threading.Thread(target=claim, args=(i,)) for i in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert sorted(wins) == [False] * 19 + [True]


# -- expiry ---------------------------------------------------------------------------------------
def test_set_with_expiry_expires(kv: KVTarget) -> None:
    key = kv.key("ttl")
    kv.client.kv_set_with_expiry(key, b"short", 1)
    assert kv.client.kv_get(key) == b"short"
    kv.advance(2.1)
    assert kv.client.kv_get(key) is None


def test_expired_lock_can_be_taken_again(kv: KVTarget) -> None:
    key = kv.key("lock")
    assert kv.client.kv_set_with_options(
        key, b"\x01", atomic=True, old_value=None, expire_in_seconds=1
    )
    assert not kv.client.kv_set_with_options(key, b"\x01", atomic=True, old_value=None)
    kv.advance(2.1)
    assert kv.client.kv_set_with_options(key, b"\x02", atomic=True, old_value=None)
    assert kv.client.kv_get(key) == b"\x02"


def test_no_expiry_means_forever(kv: KVTarget) -> None:
    key = kv.key("forever")
    kv.client.kv_set_with_expiry(key, b"v", 0)
    kv.advance(2.1)
    assert kv.client.kv_get(key) == b"v"


# -- key and option validation --------------------------------------------------------------------
def test_keys_up_to_150_runes_are_accepted(kv: KVTarget) -> None:
    key = kv.prefix + "é" * (150 - len(kv.prefix))  # 150 runes, more than 150 bytes
    kv.client.kv_set(key, b"v")
    assert kv.client.kv_get(key) == b"v"
    assert kv.client.kv_compare_and_delete(key, b"v")


@pytest.mark.parametrize(
    "write",
    [
        lambda c, k: c.kv_set(k, b"v"),
        lambda c, k: c.kv_set_with_expiry(k, b"v", 5),
        lambda c, k: c.kv_compare_and_set(k, None, b"v"),
        lambda c, k: c.kv_set_with_options(k, b"v", atomic=True, old_value=None),
        lambda c, k: c.kv_compare_and_delete(k, b"v"),
    ],
    ids=["set", "set_with_expiry", "compare_and_set", "set_with_options", "compare_and_delete"],
)
def test_keys_over_150_runes_are_rejected(
    kv: KVTarget, write: Callable[[PluginAPIClient, str], object]
) -> None:
    key = kv.prefix + "k" * (151 - len(kv.prefix))
    with pytest.raises(errors.InvalidArgumentError) as info:
        write(kv.client, key)
    assert info.value.status_code == 400


def test_old_value_without_atomic_is_invalid(kv: KVTarget) -> None:
    key = kv.key("opts")
    with pytest.raises(errors.InvalidArgumentError):
        kv.client.kv_set_with_options(key, b"v", atomic=False, old_value=b"x")
    options = models_pb2.PluginKVSetOptions(atomic=False, old_value=b"x")
    answer = kv.raw.KVSetWithOptions(
        api_pb2.KVSetWithOptionsRequest(key=key, value=b"v", options=options)
    )
    assert answer.error.id and answer.error.status_code == 400 and not answer.success
    assert kv.client.kv_get(key) is None


# -- listing --------------------------------------------------------------------------------------
def test_list_pages_cover_every_key_once(kv: KVTarget) -> None:
    wanted = {kv.key(f"list-{i:02d}") for i in range(25)}
    for key in wanted:
        kv.client.kv_set(key, b"1")
    pages = []
    for page in range(100):
        batch = kv.client.kv_list(page=page, per_page=10)
        assert len(batch) <= 10
        pages.append(batch)
        if len(batch) < 10:
            break
    seen = [k for batch in pages for k in batch]
    assert len(seen) == len(set(seen))
    assert {k for k in seen if k.startswith(kv.prefix)} == wanted


def test_list_returns_keys_not_values_and_skips_deleted(kv: KVTarget) -> None:
    kept, dropped = kv.key("kept"), kv.key("dropped")
    kv.client.kv_set(kept, b"v")
    kv.client.kv_set(dropped, b"v")
    kv.client.kv_delete(dropped)
    mine = [k for k in _all_keys(kv) if k.startswith(kv.prefix)]
    assert mine == [kept]
