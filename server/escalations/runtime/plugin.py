"""The ``Plugin`` base class and ``run()``, the whole plugin-process contract.

Usage (the product's entry point)::

    class EscalationsPlugin(Plugin):
        def on_activate(self) -> None:
            self.config = self.api.get_plugin_config()   # the server does not call
                                                         # OnConfigurationChange first
        def serve_http(self, request: Request) -> Response:
            return self.router.dispatch(request)

    run(EscalationsPlugin)            # factory(api, manifest) -> Plugin

Process contract (docs/protocol.md §2), all done by :func:`run`:

1. stdout is the handshake channel. Before anything else, fd 1 is saved and then pointed at
   stderr, so stray prints (ours, plugin code, C extensions) cannot corrupt it. The one line
   ``1|1|tcp|127.0.0.1:<port>|grpc`` is written there once the hooks server listens.
2. The plugin id comes from ``plugin.json`` in the working directory (the server sets no id
   variable); the API target from ``MATTERMOST_PLUGIN_API_TARGET``.
3. ``grpc.health.v1.Health`` answers SERVING for ``"plugin"`` and ``""``.
4. Logs go to stderr with go-plugin level prefixes (``[INFO] ...``) until the API is connected;
   from then on records from INFO up go to the server's log API through a background queue (a
   slow server never blocks a hook) and stderr keeps the rest. The server copies stderr into
   its log too, so each record goes one way only; one the API could not take falls back to
   stderr.
5. SIGTERM/SIGINT: stop serving (1 s grace for running hooks), flush logs, exit 0 -- inside
   the server's 5 s grace even if plugin code is stuck in a hook (a watchdog forces the exit
   at 3.5 s).
   ``OnDeactivate`` is the server's job (it calls the hook before the signal).

Startup failures (no plugin.json, no target, factory raising) are logged to stderr and exit 1
before any handshake, which the server reports as an activation failure.
"""

from __future__ import annotations

import json
import logging
import os
import queue
import signal
import sys
import threading
from collections.abc import Callable, Mapping
from concurrent import futures
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import IO, Any, NoReturn, Protocol

import grpc

from escalations.runtime.api import PluginAPIClient
from escalations.runtime.errors import ManifestError
from escalations.runtime.health import NOT_SERVING, SERVING, HealthServicer
from escalations.runtime.hooks import HooksServicer
from escalations.runtime.http import Request, Response, error_response
from escalations.runtime.models import ChannelMember, CommandArgs, CommandResponse, Post
from escalations.runtime.pb import health_pb2_grpc, hooks_pb2_grpc

API_TARGET_ENV = "MATTERMOST_PLUGIN_API_TARGET"
HANDSHAKE_FORMAT = "1|1|tcp|{address}|grpc"
# ~32 concurrent ServeHTTP streams each hold a worker for their whole life, plus unary hooks
# and health checks.
MAX_WORKERS = 48
# Matches the upstream SDK's hooks server; request bodies are capped far lower (max_request_body).
MAX_MESSAGE_BYTES = 64 * 1024 * 1024
STOP_GRACE_SECONDS = 1.0
# After SIGTERM the process exits by this many seconds at the latest, whatever still runs
# (the server kills it at 5 s).
SHUTDOWN_DEADLINE_SECONDS = 3.5

# Python method name -> exact Go hook name reported by Implemented.
HOOK_NAMES: Mapping[str, str] = {
    "on_activate": "OnActivate",
    "on_deactivate": "OnDeactivate",
    "on_configuration_change": "OnConfigurationChange",
    "execute_command": "ExecuteCommand",
    "message_has_been_posted": "MessageHasBeenPosted",
    "user_has_joined_channel": "UserHasJoinedChannel",
    "serve_http": "ServeHTTP",
}

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Manifest:
    """The parts of ``plugin.json`` the runtime needs; ``raw`` keeps the whole document."""

    id: str
    version: str = ""
    raw: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def load(cls, path: Path) -> Manifest:
        """Read ``plugin.json``. Raises :class:`ManifestError` when unusable."""
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise ManifestError(f"cannot read {path}: {exc}") from exc
        plugin_id = data.get("id") if isinstance(data, dict) else None
        if not isinstance(plugin_id, str) or not plugin_id:
            raise ManifestError(f"{path} has no plugin id")
        # The server lower-cases ids when it reads the manifest.
        return cls(id=plugin_id.lower(), version=str(data.get("version", "")), raw=data)


class Plugin:
    """Base class of a plugin: override the hooks you implement.

    Only overridden hooks are reported by ``Implemented`` (with their Go names), so the server
    never calls the others. Hooks run concurrently on worker threads. Raise
    :class:`escalations.runtime.errors.HookError` to fail a hook with a chosen message (e.g. to
    refuse activation); any other exception fails it with a logged 500.

    Attributes:
        api: the shared, thread-safe PluginAPI client.
        manifest: this plugin's manifest (``manifest.id`` is the plugin id).
        max_request_body: ServeHTTP body cap in bytes; larger requests get a JSON 413.
    """

    max_request_body: int = 64 * 1024

    def __init__(self, api: PluginAPIClient, manifest: Manifest) -> None:
        self.api = api
        self.manifest = manifest

    @property
    def plugin_id(self) -> str:
        return self.manifest.id

    @classmethod
    def implemented_hooks(cls) -> tuple[str, ...]:
        """Go names of the hooks this class overrides."""
        return tuple(
            go_name
            for name, go_name in HOOK_NAMES.items()
            if getattr(cls, name) is not getattr(Plugin, name)
        )

    def on_activate(self) -> None:
        """Load configuration and register commands here; raise to refuse activation."""

    def on_deactivate(self) -> None:
        """Called by the server before it stops the process."""

    def on_configuration_change(self) -> None:
        """The plugin's settings changed (not called before ``on_activate``)."""

    def execute_command(self, args: CommandArgs) -> CommandResponse:
        """A registered slash command was run."""
        return CommandResponse.ephemeral(f"unknown command: {args.command}")

    def message_has_been_posted(self, post: Post) -> None:
        """A post was created (hook-side posts carry no props)."""

    def user_has_joined_channel(self, member: ChannelMember, actor_id: str) -> None:
        """``member.user_id`` joined ``member.channel_id`` (any channel); ``actor_id`` added them,
        empty when they joined by themselves."""

    def serve_http(self, request: Request) -> Response:
        """A request to ``/plugins/<id>/...``; ``request.path`` excludes that prefix."""
        return error_response(404, "not found")


@dataclass
class RunningPlugin:
    """A started hooks server (see :func:`serve`)."""

    server: grpc.Server
    port: int
    health: HealthServicer

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def stop(self, grace: float = STOP_GRACE_SECONDS) -> None:
        self.health.shutdown()
        self.server.stop(grace).wait(grace + 1.0)


def serve(plugin: Plugin, host: str = "127.0.0.1", port: int = 0) -> RunningPlugin:
    """Start the hooks + health gRPC server for ``plugin`` on ``host:port`` (0 = any free)."""
    server = grpc.server(
        futures.ThreadPoolExecutor(max_workers=MAX_WORKERS, thread_name_prefix="hook"),
        options=[
            ("grpc.max_send_message_length", MAX_MESSAGE_BYTES),
            ("grpc.max_receive_message_length", MAX_MESSAGE_BYTES),
            ("grpc.so_reuseport", 0),
        ],
    )
    hooks_pb2_grpc.add_PluginHooksServicer_to_server(HooksServicer(plugin), server)
    health = HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(health, server)
    bound = server.add_insecure_port(f"{host}:{port}")
    if bound == 0:
        raise OSError(f"cannot listen on {host}:{port}")
    server.start()
    health.set_all(SERVING)
    return RunningPlugin(server, bound, health)


# ---- logging -------------------------------------------------------------------------------

_GO_LEVELS = {"WARNING": "WARN", "CRITICAL": "ERROR"}


class _StderrFormatter(logging.Formatter):
    """``[LEVEL] logger: message`` -- go-plugin recognises the bracketed level prefix."""

    def format(self, record: logging.LogRecord) -> str:
        level = _GO_LEVELS.get(record.levelname, record.levelname)
        text = f"[{level}] {record.name}: {record.getMessage()}"
        if record.exc_info:
            text += "\n" + self.formatException(record.exc_info)
        return text


class ServerLog(Protocol):
    """The server's log, as :class:`ServerLogHandler` writes to it (``PluginAPIClient`` is one)."""

    def log_debug(self, msg: str, **fields: Any) -> None: ...
    def log_info(self, msg: str, **fields: Any) -> None: ...
    def log_warn(self, msg: str, **fields: Any) -> None: ...
    def log_error(self, msg: str, **fields: Any) -> None: ...


class ServerLogHandler(logging.Handler):
    """Forwards records to the server's log API from one background thread.

    The server also copies the plugin's stderr into its log, so a record goes to one of the two,
    never both: ``forwards(record)`` says which, and the stderr handler filters on it. A record
    the API cannot take (queue full, call failed) falls back to ``fallback`` (stderr). Records
    about the forwarding itself are never forwarded, so a failing API cannot cause a loop or
    block hooks.
    """

    def __init__(
        self,
        api: ServerLog,
        level: int = logging.INFO,
        capacity: int = 1000,
        fallback: logging.Handler | None = None,
    ):
        super().__init__(level)
        self._api = api
        self._fallback = fallback
        self._queue: queue.Queue[logging.LogRecord | None] = queue.Queue(capacity)
        self._closing = threading.Event()
        self._thread = threading.Thread(target=self._pump, name="server-log", daemon=True)
        self._thread.start()

    def forwards(self, record: logging.LogRecord) -> bool:
        return (
            not self._closing.is_set()
            and record.levelno >= self.level
            and threading.current_thread() is not self._thread
            and not record.name.startswith("grpc")
        )

    def emit(self, record: logging.LogRecord) -> None:
        if not self.forwards(record):
            return
        try:
            self._queue.put_nowait(record)
        except queue.Full:
            self._fall_back(record)

    def _fall_back(self, record: logging.LogRecord) -> None:
        # emit(), not handle(): the fallback's filter would refuse a record we forward.
        if self._fallback is not None:
            self._fallback.acquire()
            try:
                self._fallback.emit(record)
            finally:
                self._fallback.release()

    def _pump(self) -> None:
        while (record := self._queue.get()) is not None:
            fields: dict[str, Any] = {"logger": record.name}
            if record.exc_info:
                fields["error"] = logging.Formatter().formatException(record.exc_info)
            message = record.getMessage()
            try:
                if record.levelno >= logging.ERROR:
                    self._api.log_error(message, **fields)
                elif record.levelno >= logging.WARNING:
                    self._api.log_warn(message, **fields)
                elif record.levelno >= logging.INFO:
                    self._api.log_info(message, **fields)
                else:
                    self._api.log_debug(message, **fields)
            except Exception:  # the server log is best effort; stderr takes the record instead
                self._fall_back(record)

    def close(self, timeout: float = 1.0) -> None:
        """Flush what is queued (up to ``timeout``) and stop the thread; later records go to
        stderr again."""
        self._closing.set()
        try:
            self._queue.put(None, timeout=timeout)
        except queue.Full:
            pass
        self._thread.join(timeout)
        super().close()


def configure_stderr_logging(level: int = logging.INFO) -> logging.Handler:
    """Root logging to stderr with go-plugin level prefixes; returns the stderr handler."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_StderrFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    return handler


def forward_logs_to_server(api: PluginAPIClient, stderr: logging.Handler) -> ServerLogHandler:
    """From now on, records go to the server's log API, and stderr keeps only the rest."""
    server_log = ServerLogHandler(api, fallback=stderr)
    stderr.addFilter(lambda record: not server_log.forwards(record))
    logging.getLogger().addHandler(server_log)
    return server_log


# ---- process contract ------------------------------------------------------------------------


def claim_stdout() -> IO[str]:
    """Keep the real stdout for the handshake only; everything else written to fd 1 or
    ``sys.stdout`` goes to stderr from now on."""
    sys.stdout.flush()
    handshake_fd = os.dup(1)
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    return os.fdopen(handshake_fd, "w", encoding="ascii")


def _fail(message: str) -> NoReturn:
    log.error("%s", message)
    logging.shutdown()
    raise SystemExit(1)


def install_stop_signals() -> threading.Event:
    """An event set by SIGTERM/SIGINT. Installed before the handshake so no signal is lost."""
    stop = threading.Event()

    def handle(signum: int, frame: FrameType | None) -> None:
        log.info("received signal %d; stopping", signum)
        stop.set()

    signal.signal(signal.SIGTERM, handle)
    signal.signal(signal.SIGINT, handle)
    return stop


def run(factory: Callable[[PluginAPIClient, Manifest], Plugin]) -> NoReturn:
    """Run the plugin process until SIGTERM/SIGINT. Call from the main thread of the entry script.

    Args:
        factory: builds the plugin, e.g. the ``Plugin`` subclass itself.
    """
    handshake = claim_stdout()
    stderr_log = configure_stderr_logging()
    stop = install_stop_signals()
    try:
        manifest = Manifest.load(Path.cwd() / "plugin.json")
        target = os.environ.get(API_TARGET_ENV, "").strip()
        if not target:
            raise ManifestError(f"{API_TARGET_ENV} is not set; start the plugin from Mattermost")
        api = PluginAPIClient.connect(target)
        plugin = factory(api, manifest)
        running = serve(plugin)
    except Exception as exc:
        log.exception("plugin failed to start")
        _fail(f"plugin failed to start: {exc}")
    server_log = forward_logs_to_server(api, stderr_log)
    handshake.write(HANDSHAKE_FORMAT.format(address=running.address) + "\n")
    handshake.flush()
    log.info("plugin %s serving hooks on %s", manifest.id, running.address)
    # Waiting in short slices keeps the main thread responsive to signals.
    while not stop.wait(0.5):
        pass
    watchdog = threading.Timer(SHUTDOWN_DEADLINE_SECONDS, _exit_now, args=("shutdown overran",))
    watchdog.daemon = True
    watchdog.start()
    running.health.set_all(NOT_SERVING)
    running.stop()
    logging.getLogger().removeHandler(server_log)
    server_log.close(timeout=0.5)
    api.close()
    logging.shutdown()
    # Hard exit: a hook still running on a worker thread (wedged plugin code) must not keep
    # the process alive past the server's 5 s grace; everything worth keeping is flushed.
    _exit_now("")


def _exit_now(reason: str) -> NoReturn:
    """Flush stderr and leave at once with status 0 (the stop itself was orderly)."""
    if reason:
        sys.stderr.write(f"[WARN] escalations.runtime.plugin: {reason}; exiting now\n")
    sys.stderr.flush()
    os._exit(0)
