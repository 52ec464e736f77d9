"""``Host``: one emulated Mattermost server running one plugin directory.

Usage::

    with Host(plugin_dir) as host:          # starts: API server, process, handshake, activation
        alice = host.add_user("alice")
        team = host.add_team("core", members=[alice.id])
        town = host.add_channel(team.id, "town-square", members=[alice.id])
        resp = host.http("GET", "/api/v1/topics", user_id=alice.id)

Start sequence (docs/protocol.md §2.7): PluginAPI server on a free loopback port → process with
``MATTERMOST_PLUGIN_API_TARGET`` → handshake line (10 s) → dial → health ``plugin`` SERVING →
``Implemented`` → ``OnActivate`` only if listed (``OnConfigurationChange`` is *not* called first).
Stop (§2.8): ``OnDeactivate`` if listed → SIGTERM → SIGKILL after 5 s → API server stopped.
Server state (users, posts, KV, config, ...) survives ``restart_plugin``; each process gets its own
API server, as upstream.

All drive helpers are thread-safe and may be called from many threads at once.
"""

from __future__ import annotations

import copy
import json
import os
import threading
from collections.abc import Mapping
from concurrent import futures
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

import grpc

from hostemu import convert as cv
from hostemu import interactions as ix
from hostemu.api_server import PluginAPIServer
from hostemu.errors import (
    AppError,
    PluginActivationError,
    PluginNotRunningError,
    ScenarioError,
)
from hostemu.hooks import HOOK_TIMEOUT, HooksClient
from hostemu.launcher import HANDSHAKE_TIMEOUT, KILL_GRACE, PluginProcess, launch, read_manifest
from hostemu.model import (
    ChannelMember,
    OpenedDialog,
    Post,
    new_id,
)
from hostemu.state import DEFAULT_SITE_URL, ServerState
from hostemu.world import WorldHelpers

DEFAULT_SERVER_VERSION = "10.5.0"


@dataclass(frozen=True)
class StopResult:
    exit_code: int | None
    killed: bool
    deactivate_error: str = ""


class Host(WorldHelpers):
    """An emulated Mattermost server for the plugin in ``plugin_dir``."""

    def __init__(
        self,
        plugin_dir: str | os.PathLike[str],
        *,
        env: Mapping[str, str] | None = None,
        extra_env: Mapping[str, str] | None = None,
        interpreter: str | None = None,
        site_url: str = DEFAULT_SITE_URL,
        server_version: str = DEFAULT_SERVER_VERSION,
        handshake_timeout: float = HANDSHAKE_TIMEOUT,
        hook_timeout: float = HOOK_TIMEOUT,
        kill_grace: float = KILL_GRACE,
    ) -> None:
        self.plugin_dir = Path(plugin_dir).resolve()
        self.manifest = read_manifest(self.plugin_dir)
        self.state = ServerState(self.manifest.id, site_url)
        base = dict(os.environ if env is None else env)
        # A Mattermost server does not run with PYTHONUNBUFFERED; a plugin that forgets to flush
        # its handshake must fail here too. Pass it in ``extra_env`` to opt back in.
        base.pop("PYTHONUNBUFFERED", None)
        base.update(extra_env or {})
        self._env, self._interpreter = base, interpreter
        self._server_version = server_version
        self._handshake_timeout, self._hook_timeout = handshake_timeout, hook_timeout
        self._kill_grace = kill_grace
        self._sessions: dict[str, str] = {}
        self._process: PluginProcess | None = None
        self._api: PluginAPIServer | None = None
        self._hooks: HooksClient | None = None
        self.implemented: frozenset[str] = frozenset()
        self.last_stop: StopResult | None = None
        self._lifecycle = threading.Lock()
        self._post_hooks: futures.ThreadPoolExecutor | None = None
        # kill_at_call: [calls left, RPC counted or ""]; killed_at: the call that was cut.
        self._crash: list[Any] | None = None
        self._crash_lock = threading.Lock()
        self._killed = False  # the current process was killed by kill_at_call
        self.killed_at = ""

    # -- lifecycle ----------------------------------------------------------------------------
    @property
    def plugin_id(self) -> str:
        return self.manifest.id

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.alive()

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process else None

    @property
    def api_target(self) -> str:
        return self._api.target if self._api else ""

    def __enter__(self) -> Host:
        if self._process is None:
            self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def start(self) -> Host:
        """Start and activate the plugin; raises ``PluginActivationError`` on any failure."""
        with self._lifecycle:
            if self._process is not None:
                raise ScenarioError("plugin already started")
            api = PluginAPIServer(self.state, str(self.plugin_dir), self._server_version)
            api.on_config_saved = self._notify_config_change
            api.on_post_created = self._post_created_async
            api.on_member_joined = self._member_joined_async
            api.on_call = self._crash_now
            self._killed = False
            self._post_hooks = futures.ThreadPoolExecutor(1, thread_name_prefix="hostemu-posted")
            api.start()
            self._api = api
            try:
                self._process = launch(
                    self.plugin_dir, self.manifest, api.target, self._env, self._interpreter
                )
                self._activate(self._process)
            except BaseException:
                self._teardown(call_deactivate=False)
                raise
            return self

    def _activate(self, process: PluginProcess) -> None:
        handshake = process.wait_handshake(self._handshake_timeout)
        target = handshake.address if handshake.network == "tcp" else f"unix:{handshake.address}"
        self._hooks = HooksClient(target, self._hook_timeout)
        step = "dial"
        try:
            self._hooks.wait_ready(timeout=5.0)
            step = "health check"
            if not self._hooks.ping():
                raise PluginActivationError(
                    "health service 'plugin' is not SERVING", process.stderr_tail()
                )
            step = "Implemented"
            self.implemented = frozenset(self._hooks.implemented())
            step = "OnActivate"
            if "OnActivate" in self.implemented:
                error = self._hooks.lifecycle("OnActivate")
                if error is not None:
                    raise PluginActivationError(
                        f"OnActivate failed: {error.id}: {error.message}", process.stderr_tail()
                    )
        except (grpc.RpcError, grpc.FutureTimeoutError) as err:
            detail = (
                f"{err.code().name}: {err.details()}"
                if isinstance(err, grpc.RpcError)
                else "timeout"
            )
            raise PluginActivationError(f"{step} failed ({detail})", process.stderr_tail()) from err

    def stop(self) -> StopResult:
        """OnDeactivate (if implemented), SIGTERM, SIGKILL after the grace; keeps server state."""
        with self._lifecycle:
            return self._teardown(call_deactivate=True)

    def _teardown(self, call_deactivate: bool) -> StopResult:
        if self._post_hooks is not None:
            self._post_hooks.shutdown(wait=True, cancel_futures=not call_deactivate)
            self._post_hooks = None
        deactivate_error = ""
        if call_deactivate and self._hooks and self.running and "OnDeactivate" in self.implemented:
            try:
                error = self._hooks.lifecycle("OnDeactivate")
                deactivate_error = f"{error.id}: {error.message}" if error is not None else ""
            except grpc.RpcError as err:
                deactivate_error = f"{err.code().name}: {err.details()}"
        result = StopResult(None, False, deactivate_error)
        if self._process is not None:
            code, killed = self._process.terminate(self._kill_grace)
            result = StopResult(code, killed, deactivate_error)
        if self._hooks is not None:
            self._hooks.close()
        if self._api is not None:
            self._api.stop()
        self._process, self._hooks, self._api = None, None, None
        self.implemented = frozenset()
        self.last_stop = result
        return result

    def restart_plugin(self) -> None:
        """Stop and start the plugin process again; server state is kept."""
        self.stop()
        self.start()

    def plugin_stderr(self, lines: int = 200) -> str:
        return self._process.stderr_tail(lines) if self._process else ""

    def plugin_stdout(self) -> list[str]:
        """stdout lines after the handshake (there should be none)."""
        return list(self._process.stdout_lines) if self._process else []

    def _require_hooks(self) -> HooksClient:
        if self._hooks is None or not self.running:
            tail = self.plugin_stderr(40)
            raise PluginNotRunningError("plugin is not running" + (f"\n{tail}" if tail else ""))
        return self._hooks

    def _session(self, user_id: str) -> str:
        with self.state.lock:
            self.state.directory.user(user_id)
            return self._sessions.setdefault(user_id, new_id())

    def _session_map(self, user_id: str | None) -> dict[str, str]:
        if user_id is None:
            return {}
        try:
            return {user_id: self._session(user_id)}
        except AppError as err:
            raise ScenarioError(f"unknown user {user_id!r}") from err

    # -- driving the plugin -------------------------------------------------------------------
    def http(
        self,
        method: str,
        path: str,
        user_id: str | None = None,
        body: bytes | str | dict[str, Any] | list[Any] | None = None,
        headers: Mapping[str, str | list[str]] | None = None,
        *,
        timeout: float = 30.0,
    ) -> ix.HttpResponse:
        """A request to ``/plugins/{id}{path}`` through ServeHTTP. ``path`` may include the
        ``/plugins/{id}`` prefix and a query. A dict/list body is sent as JSON (with a
        ``Content-Type: application/json`` header unless one is given). ``user_id`` makes the
        request authenticated (a deactivated user's session is gone: sent unauthenticated)."""
        raw, headers = _encode_body(body, headers)
        hooks = self._require_hooks()
        if "ServeHTTP" not in self.implemented:
            return ix.HttpResponse(404, {}, b"404 page not found\n")
        exchange = ix.plugin_request(
            self.state,
            hooks,
            self._session_map(user_id),
            method,
            path,
            user_id,
            raw,
            headers,
            timeout,
        )
        return ix.HttpResponse(
            exchange.status, exchange.headers, exchange.body, exchange.chunks, exchange.grpc_error
        )

    def click(
        self,
        post_id: str,
        action_id: str,
        user_id: str,
        selected_option: str | None = None,
        *,
        timeout: float = 30.0,
    ) -> ix.ClickResult:
        """Press a button (or choose ``selected_option`` in a menu) on a stored post."""
        hooks = self._require_hooks()
        return ix.click(
            self.state,
            hooks,
            self._session_map(user_id),
            post_id,
            action_id,
            user_id,
            selected_option,
            timeout,
        )

    def command(
        self,
        user_id: str,
        channel_id: str,
        text: str,
        *,
        root_id: str = "",
        team_id: str | None = None,
    ) -> ix.CommandResult:
        """Run a slash command (``text`` with the leading ``/``) registered by the plugin."""
        hooks = self._require_hooks()
        return ix.command(
            self.state,
            hooks,
            self._session_map(user_id),
            self.implemented,
            user_id,
            channel_id,
            text,
            root_id,
            team_id,
        )

    def submit_dialog(
        self,
        user_id: str,
        submission: dict[str, Any],
        *,
        dialog: OpenedDialog | None = None,
        channel_id: str = "",
        team_id: str = "",
        cancelled: bool = False,
        timeout: float = 30.0,
    ) -> ix.DialogResult:
        """Submit (or cancel) a dialog the plugin opened; default: the user's latest dialog."""
        hooks = self._require_hooks()
        if dialog is None:
            opened = self.dialogs(user_id)
            if not opened:
                raise ScenarioError(f"no dialog was opened for user {user_id}")
            dialog = opened[-1]
        return ix.submit_dialog(
            self.state,
            hooks,
            self._session_map(user_id),
            dialog,
            user_id,
            submission,
            channel_id,
            team_id,
            cancelled,
            timeout,
        )

    def set_plugin_config(self, settings: Mapping[str, Any], *, as_console: bool = True) -> str:
        """Save plugin settings (keys lower-cased like the System Console unless
        ``as_console=False``), then run ``OnConfigurationChange`` if implemented. Returns the
        hook's error as ``"<id>: <message>"`` or ``""`` (upstream only logs it)."""
        self.state.set_plugin_config(dict(settings), as_console)
        return self._notify_config_change()

    def _post_created_async(self, post: Post) -> None:
        """Upstream runs MessageHasBeenPosted in a goroutine after any post is saved, including
        the plugin's own ``CreatePost`` calls (a plugin must ignore its bot's posts)."""
        pool = self._post_hooks
        if pool is not None and "MessageHasBeenPosted" in self.implemented:
            pool.submit(self._deliver_posted, post)

    def _seeded_post(self, post: Post) -> None:
        # A user's post: deliver MessageHasBeenPosted before add_post returns (deterministic).
        if self._hooks is not None and self.running and "MessageHasBeenPosted" in self.implemented:
            self._hooks.message_has_been_posted(cv.hook_post(post))

    def _deliver_posted(self, post: Post) -> None:
        hooks = self._hooks
        if hooks is not None and self.running:
            try:
                hooks.message_has_been_posted(cv.hook_post(post))
            except grpc.RpcError:
                pass  # upstream logs hook failures and moves on (§3.4)

    def _member_joined_async(self, member: ChannelMember, actor_id: str) -> None:
        """Upstream runs UserHasJoinedChannel in a goroutine after any join, including the
        plugin's own ``AddChannelMember`` calls."""
        pool = self._post_hooks
        if pool is not None and "UserHasJoinedChannel" in self.implemented:
            pool.submit(self._deliver_joined, member, actor_id)

    def _joined_channel(self, member: ChannelMember, actor_id: str) -> None:
        # A seeded join: deliver UserHasJoinedChannel before add_channel_member returns.
        if self._hooks is not None and self.running and "UserHasJoinedChannel" in self.implemented:
            self._deliver_joined(member, actor_id)

    def _deliver_joined(self, member: ChannelMember, actor_id: str) -> None:
        hooks = self._hooks
        if hooks is None or not self.running:
            return
        actor = None
        if actor_id:
            actor = cv.user_to_proto(self.state.directory.user(actor_id))
        try:
            hooks.user_has_joined_channel(cv.member_to_proto(member), actor)
        except grpc.RpcError:
            pass  # upstream logs hook failures and moves on (§3.4)

    def wait_quiet(self, quiet: float = 0.2, timeout: float = 10.0) -> None:
        """Wait until the plugin made no PluginAPI call for ``quiet`` seconds, and none is in
        progress: the work a plugin does after answering a request (its messages, events and
        derived KV values) is done. ``AssertionError`` if it is still busy after ``timeout``."""
        if self._api is not None and not self._api.quiet(quiet, timeout):
            raise AssertionError(f"the plugin was still calling the server after {timeout} s")
        self.wait_idle(timeout)

    def wait_idle(self, timeout: float = 10.0) -> None:
        """Wait until hook calls queued by the plugin's own posts and joins are done."""
        pool = self._post_hooks
        if pool is not None:
            pool.submit(lambda: None).result(timeout=timeout)

    def _notify_config_change(self) -> str:
        hooks = self._hooks
        if hooks is None or "OnConfigurationChange" not in self.implemented:
            return ""
        error = hooks.lifecycle("OnConfigurationChange")
        return f"{error.id}: {error.message}" if error is not None else ""

    def update_server_config(self, patch: Mapping[str, Any]) -> None:
        """Deep-merge ``patch`` into the server config (e.g. ``{"ServiceSettings": {...}}``)."""
        with self.state.lock:
            _deep_merge(self.state.server_config, copy.deepcopy(dict(patch)))

    def advance_time(self, seconds: float) -> None:
        """Move the server clock forward (KV expiry, trigger-id age) without sleeping."""
        self.state.clock.advance(seconds)

    def inject_error(
        self,
        rpc: str,
        error_id: str,
        message: str = "injected",
        status_code: int = 500,
        *,
        times: int = 1,
    ) -> None:
        """Make the next ``times`` calls of PluginAPI ``rpc`` fail in that RPC's convention."""
        if self._api is None:
            raise PluginNotRunningError("no API server (plugin not started)")
        self._api.inject_error(rpc, AppError(error_id, message, status_code), times)

    def kill_at_call(self, n: int, rpc: str = "") -> None:
        """SIGKILL the plugin process at its ``n``-th PluginAPI call from now (counting only
        ``rpc``'s calls, if given), before that call has any effect: the crash of a plugin
        between two calls. The cut call's name is then in ``killed_at``; start it again with
        ``restart_plugin``."""
        if n < 1:
            raise ValueError("n counts from 1")
        with self._crash_lock:
            self._crash, self.killed_at = [n, rpc], ""

    def cancel_kill(self) -> None:
        """Forget a ``kill_at_call`` that has not fired (the plugin made fewer calls)."""
        with self._crash_lock:
            self._crash = None

    def _crash_now(self, rpc: str) -> bool:
        with self._crash_lock:
            crash = self._crash
            if crash is None or (crash[1] and crash[1] != rpc):
                return self._killed  # after the kill, nothing more goes through
            crash[0] -= 1
            if crash[0] > 0:
                return False
            self._crash, self.killed_at, self._killed = None, rpc, True
        process = self._process
        if process is not None:
            process.kill()
        return True

    def api_call_log(self) -> list[str]:
        """The PluginAPI calls of the current process, in order."""
        return list(self._api.call_log) if self._api else []

    def api_calls(self, rpc: str | None = None) -> int:
        """Calls of one PluginAPI RPC (or of all) made to the current process's API server."""
        if self._api is None:
            return 0
        return self._api.calls[rpc] if rpc else sum(self._api.calls.values())


def _encode_body(
    body: bytes | str | dict[str, Any] | list[Any] | None,
    headers: Mapping[str, str | list[str]] | None,
) -> tuple[bytes, dict[str, str | list[str]]]:
    out = dict(headers or {})
    if body is None:
        return b"", out
    if isinstance(body, bytes):
        return body, out
    if isinstance(body, str):
        return body.encode("utf-8"), out
    if not any(k.lower() == "content-type" for k in out):
        out["Content-Type"] = "application/json"
    return json.dumps(body).encode("utf-8"), out


def _deep_merge(target: dict[str, Any], patch: dict[str, Any]) -> None:
    for key, value in patch.items():
        if isinstance(value, dict) and isinstance(target.get(key), dict):
            _deep_merge(target[key], value)
        else:
            target[key] = value
