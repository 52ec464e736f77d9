"""Host emulator: starting, activating, stopping and restarting a plugin process like the server,
and the activation failure modes (crash, timeout, junk, OnActivate error, hook timeout)."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Mapping
from pathlib import Path

import pytest

from hostemu import Host, PluginActivationError, PluginNotRunningError
from hostemu.launcher import find_interpreter, parse_handshake, read_manifest
from hostemu.testing import echo_host, venv_env

ECHO_HOOKS = {
    "OnActivate",
    "OnDeactivate",
    "OnConfigurationChange",
    "ExecuteCommand",
    "ServeHTTP",
    "MessageHasBeenPosted",
}


def test_minimal_plugin_activates_and_stops_cleanly() -> None:
    host = echo_host().start()
    try:
        assert host.running and host.implemented == ECHO_HOOKS
        [bot] = host.bots()
        assert host.user(bot.user_id).is_bot and bot.owner_id == "com.example.echo"
        assert host.kv_dump() == {"mmi_botid": bot.user_id.encode()}  # app.EnsureBot's record
        assert [c.trigger for c in host.commands()] == ["echo"]
        assert [e.message for e in host.logs("info")] == ["activated"]
    finally:
        result = host.stop()
    assert result.exit_code == 0 and not result.killed and result.deactivate_error == ""
    assert host.logs("info")[-1].message == "deactivated"  # API server still up during OnDeactivate
    assert not host.running


def test_process_contract_environment_cwd_and_stdout() -> None:
    with echo_host(extra_env={"HOSTEMU_MARK": "inherited"}) as host:
        info = host.http("GET", "/env").json()
        assert info["cwd"] == str(host.plugin_dir)
        assert info["argv"] == ["plugin.py"]
        assert info["env"]["MATTERMOST_PLUGIN_API_TARGET"] == host.api_target
        assert host.api_target.startswith("127.0.0.1:")
        assert info["env"]["HOSTEMU_MARK"] == "inherited"
        assert info["env"]["MATTERMOST_PLUGIN"] == "Securely message teams, anywhere."
        assert info["env"]["PYTHONUNBUFFERED"] is None  # dropped: the handshake must be flushed
        assert host.plugin_stdout() == []
        assert "serving on" in host.plugin_stderr()


def test_crash_before_handshake_is_an_activation_error_with_stderr() -> None:
    with pytest.raises(PluginActivationError) as info:
        echo_host("crash").start()
    assert "exited with code 3 before the handshake" in str(info.value)
    assert "crashing on purpose" in info.value.stderr_tail


def test_junk_before_handshake_is_rejected() -> None:
    host = echo_host("junk")
    with pytest.raises(PluginActivationError) as info:
        host.start()
    assert "junk before the handshake" in str(info.value)
    assert "forgot the protocol" in str(info.value)
    assert not host.running


def test_missing_handshake_times_out() -> None:
    # The server's own allowance: the fixture imports grpc before it writes to stderr, which takes
    # seconds on a loaded machine; with a shorter limit the stderr tail could still be empty.
    with pytest.raises(PluginActivationError) as info:
        echo_host("silent", handshake_timeout=10.0).start()
    assert "timeout" in str(info.value) and "never handshaking" in info.value.stderr_tail


def test_on_activate_error_fails_activation_and_ends_the_process() -> None:
    host = echo_host("activate_error")
    with pytest.raises(PluginActivationError, match="OnActivate failed: fixture.activate: refus"):
        host.start()
    assert not host.running and host.last_stop is not None


def test_hook_timeout_fails_activation() -> None:
    with pytest.raises(PluginActivationError, match="OnActivate failed \\(DEADLINE_EXCEEDED"):
        echo_host("slow_activate", hook_timeout=1.0).start()


def test_sigterm_ignored_means_kill_after_grace() -> None:
    host = echo_host("ignore_sigterm", kill_grace=0.5).start()
    result = host.stop()
    assert result.killed and result.exit_code == -9


def test_restart_keeps_server_state_and_reuses_the_bot() -> None:
    with echo_host() as host:
        alice = host.add_user("alice")
        host.kv_set("k", b"v")
        first_pid, [bot] = host.pid, host.bots()
        host.restart_plugin()
        assert host.pid != first_pid and host.running
        assert host.user(alice.id) == alice and host.kv_get("k") == b"v"
        assert [b.user_id for b in host.bots()] == [bot.user_id]


def test_crash_while_running_answers_500_then_not_running() -> None:
    with echo_host() as host:
        resp = host.http("GET", "/exit")
        assert resp.status == 500 and resp.grpc_error.startswith("UNAVAILABLE")
        process = host._process
        assert process is not None
        process.popen.wait(timeout=5)
        with pytest.raises(PluginNotRunningError):
            host.http("GET", "/echo")


def _plugin_dir(tmp_path: Path, server: Mapping[str, object], script: str | None) -> Path:
    (tmp_path / "plugin.json").write_text(json.dumps({"id": "t", "server": server}))
    if script:
        (tmp_path / script).write_text("")
    return tmp_path


@pytest.mark.parametrize(
    ("server", "script", "message"),
    [
        ({"runtime": "python"}, None, "executable not specified"),
        ({"executable": "main.py"}, None, "script not found"),
        ({"executable": "../main.py"}, None, "invalid executable path"),
    ],
)
def test_manifest_errors(
    tmp_path: Path, server: dict[str, object], script: str | None, message: str
) -> None:
    with pytest.raises(PluginActivationError, match=message):
        read_manifest(_plugin_dir(tmp_path, server, script))


def test_manifest_prefers_linux_amd64_executable(tmp_path: Path) -> None:
    server = {"executable": "a.py", "executables": {"linux-amd64": "b.py"}}
    (tmp_path / "a.py").write_text("")
    manifest = read_manifest(_plugin_dir(tmp_path, server, "b.py"))
    assert manifest.executable == "b.py"


def test_interpreter_discovery_prefers_plugin_venv(tmp_path: Path) -> None:
    env = venv_env()
    on_path = os.path.join(os.path.dirname(sys.executable), "python3")
    assert find_interpreter(tmp_path, env) == on_path
    (tmp_path / ".venv" / "bin").mkdir(parents=True)
    (tmp_path / ".venv" / "bin" / "python3").symlink_to(sys.executable)
    assert find_interpreter(tmp_path, env) == str(tmp_path / ".venv" / "bin" / "python3")
    (tmp_path / "venv" / "bin").mkdir(parents=True)
    (tmp_path / "venv" / "bin" / "python").symlink_to(sys.executable)
    assert find_interpreter(tmp_path, env) == str(tmp_path / "venv" / "bin" / "python")


@pytest.mark.parametrize(
    "line", ["1|1|tcp|127.0.0.1:5000|netrpc", "2|1|tcp|127.0.0.1:1|grpc", "hello", "1|1|tcp||grpc"]
)
def test_handshake_parser_rejects_non_grpc_lines(line: str) -> None:
    with pytest.raises(ValueError):
        parse_handshake(line)


def test_handshake_parser_accepts_the_go_plugin_line() -> None:
    shake = parse_handshake("1|1|tcp|127.0.0.1:4321|grpc\n")
    assert (shake.network, shake.address, shake.protocol) == ("tcp", "127.0.0.1:4321", "grpc")


def test_context_manager_starts_and_stops() -> None:
    host = echo_host()
    with host as running:
        assert running is host and host.running
    assert not host.running
    assert isinstance(host, Host)
