"""The runtime under the host emulator: the fixture plugin started exactly as Mattermost starts
it (``hostemu.Host``), exercising each hook, each API family, and the failure paths (crash and
junk before the handshake, hook timeout, API errors of each convention, oversized body,
SIGTERM)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from runtime_support import FIXTURE_DIR

from hostemu import Channel, Host, PluginActivationError, Team, User
from hostemu.testing import venv_env


def host(**env: str) -> Host:
    return Host(FIXTURE_DIR, env=venv_env(**env), hook_timeout=2.0)


Running = tuple[Host, Team, Channel, User]


@pytest.fixture()
def running() -> Iterator[Running]:
    h = host()
    h.start()
    team = h.add_team("core")
    channel = h.add_channel(team.id, "town-square")
    alice = h.add_user("alice")
    h.add_team_member(team.id, alice.id)
    h.add_channel_member(channel.id, alice.id)
    yield h, team, channel, alice
    h.stop()


def test_activation_loads_config_and_registers_command(running: Running) -> None:
    h, _, _, _ = running
    assert h.implemented == {
        "OnActivate",
        "OnConfigurationChange",
        "ExecuteCommand",
        "MessageHasBeenPosted",
        "ServeHTTP",
    }
    # OnActivate loaded the configuration itself (the server does not call
    # OnConfigurationChange first).
    assert h.http("GET", "/config").json() == h.plugin_config()
    assert [c.trigger for c in h.commands()] == ["fixture"]
    h.set_plugin_config({"Greeting": "changed", "Limit": 7}, as_console=False)
    config = h.http("GET", "/config").json()
    assert config["Greeting"] == "changed"
    assert config["Limit"] == 7.0  # Struct numbers come back as floats


def test_identity_only_from_server_header(running: Running) -> None:
    h, _, _, alice = running
    assert h.http("POST", "/echo", body={"x": 1}).status == 401
    forged = h.http("POST", "/echo", body={}, headers={"Mattermost-User-Id": alice.id})
    assert forged.status == 401
    resp = h.http("POST", "/echo", alice.id, body={"user_id": "someone-else"})
    assert resp.status == 200
    assert resp.json()["user_id"] == alice.id
    assert len(resp.chunks) == 1


def test_every_api_family(running: Running) -> None:
    h, team, channel, alice = running
    resp = h.http(
        "POST",
        "/tour",
        alice.id,
        body={"team": team.name, "channel": channel.name, "username": "alice"},
    )
    assert resp.status == 200, resp.text
    out = resp.json()
    assert out["bot_id"] == h.bots()[0].user_id
    assert (out["team"], out["channel_type"], out["private_type"]) == ("core", "O", "P")
    assert out["member"] == alice.id
    assert out["root_props"]["n"] == 1.0
    assert out["updated"] == "root edited"
    assert sorted(out["thread"]) == ["reply", "root edited"]
    assert out["ephemeral"] == "only you"
    assert out["kv"][:3] == [True, False, True]
    assert {"claim:x", "lock:x"} <= set(out["kv"][3])
    assert out["users"] == ["alice"] and out["me"] == "alice"
    assert out["admin"] is False and out["read"] is True
    assert out["version"] == "10.5.0"
    assert out["site_url"]
    assert [e.event for e in h.ws_events()][-1].endswith("tour")
    assert any(e.message == "tour done" for e in h.logs())
    assert [p.message for p in h.ephemerals(alice.id)] == ["only you"]


def test_commands_and_dialog(running: Running) -> None:
    h, _, channel, alice = running
    result = h.command(alice.id, channel.id, "/fixture hello")
    assert result.error is None
    assert result.text == f"fixture ran '/fixture hello' for {alice.id}"
    assert h.command(alice.id, channel.id, "/fixture dialog").error is None
    (opened,) = h.dialogs(alice.id)
    assert opened.url == "/plugins/runtime-fixture/dialog"
    assert opened.dialog["title"] == "Fixture dialog"
    assert opened.dialog["elements"][0]["name"] == "note"


def test_api_errors_of_each_convention(running: Running) -> None:
    h, _, _, _ = running
    h.inject_error("KVGet", "app.plugin_store.get.app_error", "db down", 500)
    embedded = h.http("GET", "/kv/anything").json()
    assert embedded["class"] == "InternalError"
    assert embedded["error_id"] == "app.plugin_store.get.app_error"
    assert embedded["grpc_code"] is None  # arrived in the response's error field
    h.inject_error("GetUserByUsername", "app.user.get_by_username.app_error", "nope", 403)
    status = h.http("GET", "/users/alice").json()
    assert status["class"] == "PermissionDeniedError"
    assert (status["error_id"], status["message"]) == ("app.user.get_by_username.app_error", "nope")
    assert status["grpc_code"] == "PERMISSION_DENIED"  # arrived as a gRPC status
    missing = h.http("GET", "/users/nobody").json()
    assert missing["class"] == "NotFoundError"
    assert h.http("GET", "/users/alice").json()["username"] == "alice"


def test_oversized_body_is_413(running: Running) -> None:
    h, _, _, alice = running
    resp = h.http("POST", "/echo", alice.id, body=b"x" * (64 * 1024 + 1))
    assert resp.status == 413
    assert "error" in resp.json()
    assert h.http("POST", "/echo", alice.id, body=b"x" * (64 * 1024)).status == 200


def test_stdout_stays_clean_and_sigterm_exits_cleanly() -> None:
    h = host()
    h.start()
    assert h.http("GET", "/noise").status == 418
    assert h.plugin_stdout() == []
    stderr = h.plugin_stderr()
    assert "stray print from plugin code" in stderr and "raw write to fd 1" in stderr
    result = h.stop()
    assert (result.exit_code, result.killed) == (0, False)


def test_crash_before_handshake() -> None:
    with pytest.raises(PluginActivationError) as info:
        host(FIXTURE_MODE="crash").start()
    assert "crash" in str(info.value)
    assert "crashing before the handshake" in info.value.stderr_tail


def test_junk_before_handshake() -> None:
    with pytest.raises(PluginActivationError) as info:
        host(FIXTURE_MODE="junk").start()
    assert "junk" in str(info.value)


def test_activation_refused() -> None:
    with pytest.raises(PluginActivationError) as info:
        host(FIXTURE_MODE="fail_activate").start()
    assert "fixture.activate" in str(info.value)


def test_hook_timeout_on_activate() -> None:
    with pytest.raises(PluginActivationError) as info:
        host(FIXTURE_ACTIVATE_SLEEP="30").start()
    assert "DEADLINE_EXCEEDED" in str(info.value)
