"""Process-level tests of ``run()``: the fixture plugin started as a real process, like the
Mattermost supervisor starts it, against a small fake PluginAPI (``runtime_support``).

Covers: handshake as the only stdout output, health, Implemented/OnActivate over the handshake
address, config loaded in OnActivate, API errors of both conventions surfacing in plugin code,
oversized bodies, stray prints going to stderr, server log forwarding, startup failures (crash,
junk, missing target, missing plugin.json) and SIGTERM. The same scenarios through the host
emulator live in ``test_runtime_hostemu.py``.
"""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import grpc
import pytest
from runtime_support import FIXTURE_DIR, FakeAPIServer, PluginProc

from escalations.runtime.hooks import CHUNK_SIZE
from escalations.runtime.pb import (
    common_pb2,
    health_pb2,
    health_pb2_grpc,
    hooks_pb2,
    hooks_pb2_grpc,
)

Plugin = tuple[PluginProc, hooks_pb2_grpc.PluginHooksStub, grpc.Channel]


@pytest.fixture()
def api() -> Iterator[FakeAPIServer]:
    server = FakeAPIServer()
    yield server
    server.stop()


@pytest.fixture()
def plugin(api: FakeAPIServer) -> Iterator[Plugin]:
    proc = PluginProc(api.target)
    line = proc.first_line()
    assert line is not None, proc.stderr_text()
    parts = line.split("|")
    assert parts[:3] == ["1", "1", "tcp"] and parts[4] == "grpc"
    assert parts[3].startswith("127.0.0.1:")
    channel = grpc.insecure_channel(parts[3])
    yield proc, hooks_pb2_grpc.PluginHooksStub(channel), channel
    channel.close()
    proc.kill()


def _handshake_address(proc: PluginProc) -> str:
    line = proc.first_line()
    assert line is not None, proc.stderr_text()
    return line.split("|")[3]


def http(
    stub: hooks_pb2_grpc.PluginHooksStub,
    method: str,
    url: str,
    body: bytes = b"",
    headers: Sequence[tuple[str, str]] = (),
) -> tuple[int, Any, int]:
    init = hooks_pb2.ServeHTTPRequestInit(
        method=method,
        url=url,
        headers=[hooks_pb2.HTTPHeader(key=k, values=[v]) for k, v in headers],
    )
    chunks = [body[i : i + CHUNK_SIZE] for i in range(0, len(body), CHUNK_SIZE)] or [b""]
    messages = [
        hooks_pb2.ServeHTTPRequest(
            init=init if i == 0 else None, body_chunk=c, body_complete=i == len(chunks) - 1
        )
        for i, c in enumerate(chunks)
    ]
    out = list(stub.ServeHTTP(iter(messages), timeout=10))
    body_out = b"".join(m.body_chunk for m in out)
    return out[0].init.status_code, json.loads(body_out), len(out)


def test_handshake_health_implemented_activate(plugin: Plugin, api: FakeAPIServer) -> None:
    proc, stub, channel = plugin
    health = health_pb2_grpc.HealthStub(channel)
    assert health.Check(health_pb2.HealthCheckRequest(service="plugin"), timeout=5).status == 1
    hooks = set(stub.Implemented(hooks_pb2.ImplementedRequest(), timeout=5).hooks)
    assert hooks == {
        "OnActivate",
        "OnConfigurationChange",
        "ExecuteCommand",
        "MessageHasBeenPosted",
        "ServeHTTP",
    }
    assert not stub.OnActivate(hooks_pb2.OnActivateRequest(), timeout=5).HasField("error")
    # OnActivate loaded the configuration itself; Struct numbers arrive as floats.
    assert http(stub, "GET", "/config")[1] == {"Greeting": "hi", "Limit": 5.0}
    api.servicer.config = {"Greeting": "changed"}
    stub.OnConfigurationChange(hooks_pb2.OnConfigurationChangeRequest(), timeout=5)
    assert http(stub, "GET", "/config")[1] == {"Greeting": "changed"}
    assert proc.later_stdout() == []


def test_execute_command_and_message_posted(plugin: Plugin) -> None:
    _, stub, _ = plugin
    from escalations.runtime.pb import models_pb2

    args = models_pb2.CommandArgs(user_id="u1", command="/fixture go")
    resp = stub.ExecuteCommand(hooks_pb2.ExecuteCommandRequest(args=args), timeout=5)
    assert resp.response.text == "fixture ran '/fixture go' for u1"
    stub.MessageHasBeenPosted(
        hooks_pb2.MessageHasBeenPostedRequest(post=models_pb2.Post(id="p", message="hello")),
        timeout=5,
    )
    assert http(stub, "GET", "/posted")[1] == ["hello"]


def test_api_errors_of_both_conventions_reach_plugin_code(
    plugin: Plugin, api: FakeAPIServer
) -> None:
    _, stub, _ = plugin
    api.servicer.kv["k"] = b"v"
    assert http(stub, "GET", "/kv/k")[1] == {"value": "v"}
    assert http(stub, "GET", "/kv/none")[1] == {"value": None}
    # Embedded AppError (KV style).
    api.servicer.embedded = common_pb2.AppError(
        id="app.plugin_store.get.app_error", message="db down", status_code=500
    )
    status, body, _ = http(stub, "GET", "/kv/k")
    assert (status, body["class"], body["error_id"], body["grpc_code"]) == (
        502,
        "InternalError",
        "app.plugin_store.get.app_error",
        None,
    )
    api.servicer.embedded = None
    # gRPC status (user style).
    status, body, _ = http(stub, "GET", "/users/bob")
    assert body["class"] == "NotFoundError"
    assert (body["error_id"], body["message"], body["grpc_code"]) == (
        "app.user.missing_account.const",
        "Unable to find the user.",
        "NOT_FOUND",
    )
    assert http(stub, "GET", "/users/alice")[1] == {"id": "u-alice", "username": "alice"}
    # An RPC the server does not implement.
    assert http(stub, "GET", "/channels/c1")[1]["class"] == "UnimplementedError"


def test_auth_header_and_oversized_body(plugin: Plugin) -> None:
    _, stub, _ = plugin
    assert http(stub, "POST", "/echo", b"{}")[:2] == (401, {"error": "not logged in"})
    status, body, count = http(stub, "POST", "/echo", b"{}", [("Mattermost-User-Id", "u1")])
    assert (status, body, count) == (200, {"user_id": "u1", "len": 2}, 1)
    status, body, _ = http(
        stub, "POST", "/echo", b"x" * (64 * 1024 + 1), [("Mattermost-User-Id", "u1")]
    )
    assert status == 413 and "error" in body


def test_stray_output_never_reaches_stdout_and_logs_reach_server(
    plugin: Plugin, api: FakeAPIServer
) -> None:
    proc, stub, _ = plugin
    assert http(stub, "GET", "/noise")[0] == 418
    stub.OnActivate(hooks_pb2.OnActivateRequest(), timeout=5)
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and not any(
        "serving hooks" in m for _, m in api.servicer.logs
    ):
        time.sleep(0.05)
    assert proc.terminate(15) == 0
    assert proc.later_stdout() == []
    err = proc.stderr_text()
    assert "stray print from plugin code" in err and "raw write to fd 1" in err
    assert any(level == "Info" and "serving hooks" in msg for level, msg in api.servicer.logs)
    # once: the server copies stderr into its log too, so a forwarded record stays off stderr
    assert "serving hooks" not in err


def test_sigterm_exits_cleanly_and_quickly(plugin: Plugin, api: FakeAPIServer) -> None:
    proc, stub, _ = plugin
    assert proc.terminate(timeout=15) == 0
    assert any("received signal 15" in msg for _, msg in api.servicer.logs)


def test_sigint_exits_cleanly(plugin: Plugin) -> None:
    import signal

    proc, _, _ = plugin
    proc.popen.send_signal(signal.SIGINT)
    assert proc.wait(15) == 0


def test_failed_activation_is_reported_in_error_field(api: FakeAPIServer) -> None:
    proc = PluginProc(api.target, FIXTURE_MODE="fail_activate")
    try:
        address = _handshake_address(proc)
        with grpc.insecure_channel(address) as channel:
            resp = hooks_pb2_grpc.PluginHooksStub(channel).OnActivate(
                hooks_pb2.OnActivateRequest(), timeout=5
            )
        assert (resp.error.id, resp.error.message) == (
            "fixture.activate",
            "fixture refuses to activate",
        )
    finally:
        proc.kill()


def test_slow_activate_hits_the_callers_deadline(api: FakeAPIServer) -> None:
    proc = PluginProc(api.target, FIXTURE_ACTIVATE_SLEEP="60")
    try:
        address = _handshake_address(proc)
        with grpc.insecure_channel(address) as channel:
            with pytest.raises(grpc.RpcError) as info:
                hooks_pb2_grpc.PluginHooksStub(channel).OnActivate(
                    hooks_pb2.OnActivateRequest(), timeout=0.5
                )
        assert info.value.code() == grpc.StatusCode.DEADLINE_EXCEEDED
        # The process still stops on SIGTERM while the hook is stuck (it would otherwise live
        # on for a minute).
        assert proc.terminate(15) == 0
    finally:
        proc.kill()


def test_crash_before_handshake(api: FakeAPIServer) -> None:
    proc = PluginProc(api.target, FIXTURE_MODE="crash")
    assert proc.first_line() is None
    assert proc.wait() == 3
    assert "crashing before the handshake" in proc.stderr_text()


def test_junk_before_handshake_is_visible_to_the_host(api: FakeAPIServer) -> None:
    # The runtime cannot undo output written before run(); the host must reject it.
    proc = PluginProc(api.target, FIXTURE_MODE="junk")
    try:
        assert proc.first_line() == "Hello from a careless plugin"
        handshake = proc.first_line()
        assert handshake is not None and handshake.startswith("1|1|tcp|127.0.0.1:")
    finally:
        proc.kill()


def test_missing_api_target_fails_before_handshake(api: FakeAPIServer) -> None:
    proc = PluginProc("")
    assert proc.first_line() is None
    assert proc.wait() == 1
    assert "MATTERMOST_PLUGIN_API_TARGET is not set" in proc.stderr_text()


def test_missing_manifest_fails_before_handshake(api: FakeAPIServer, tmp_path: Path) -> None:
    shutil.copy(FIXTURE_DIR / "plugin.py", tmp_path / "plugin.py")
    proc = PluginProc(
        api.target, plugin_dir=tmp_path, PYTHONPATH=str(FIXTURE_DIR.parents[3] / "server")
    )
    assert proc.first_line() is None
    assert proc.wait() == 1
    assert "plugin.json" in proc.stderr_text()
