"""The ``KV`` contract on ``host.ClientKV``: the runtime's PluginAPIClient over real gRPC against
the host emulator's PluginAPI server (the same checks the in-memory fake passes)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from app.kv_contract import CHECKS
from escalations.app.adapters.host import ClientKV
from escalations.app.domain import keys
from escalations.app.domain.kv import KV
from escalations.app.workflow.lock import KVLock
from escalations.runtime.api import PluginAPIClient
from hostemu.api_server import PluginAPIServer
from hostemu.state import ServerState


@pytest.fixture
def served() -> Iterator[tuple[ServerState, ClientKV]]:
    state = ServerState("community-escalations")
    server = PluginAPIServer(state, ".", "10.5.0")
    server.start()
    client = PluginAPIClient.connect(server.target)
    try:
        yield state, ClientKV(client)
    finally:
        client.close()
        server.stop()


@pytest.mark.parametrize("check", CHECKS, ids=lambda c: c.__name__)
def test_client_kv_contract(
    served: tuple[ServerState, ClientKV], check: Callable[[KV], None]
) -> None:
    check(served[1])


def test_client_kv_ttl_and_lock(served: tuple[ServerState, ClientKV]) -> None:
    state, kv = served
    lock = KVLock(kv, "activate", ttl_seconds=15, wait_seconds=0)
    assert lock.try_acquire()
    other = KVLock(kv, "activate", ttl_seconds=15, wait_seconds=0)
    assert not other.try_acquire()
    lock._stop.set()  # simulate the holder dying: no more refreshes  # noqa: SLF001
    state.clock.advance(16)
    assert kv.get(keys.lock("activate")) is None
    assert other.try_acquire()
    other.release()
    assert kv.get(keys.lock("activate")) is None
