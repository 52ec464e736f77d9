"""Test support for the runtime suites: a scripted fake ``PluginAPI`` server on loopback and a
minimal launcher that starts a plugin process the way Mattermost does (``python <executable>``
in the plugin directory, ``MATTERMOST_PLUGIN_API_TARGET`` in the environment, handshake on the
first stdout line).

The host emulator (``hostemu``) is the full-featured version of both; these stay small so the
runtime's own contract can be tested independently of it.
"""

from __future__ import annotations

import os
import queue
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from concurrent import futures
from pathlib import Path
from typing import TypeVar

import grpc

from escalations.runtime.pb import api_pb2, api_pb2_grpc, common_pb2, models_pb2

_Resp = TypeVar("_Resp")

FIXTURE_DIR = Path(__file__).parent / "fixtures" / "sample_plugin"


class FakeAPI(api_pb2_grpc.PluginAPIServicer):
    """Scripted PluginAPI: ``embedded`` / ``status`` make the next calls fail in that style."""

    def __init__(self) -> None:
        self.embedded: common_pb2.AppError | None = None
        self.status: tuple[grpc.StatusCode, str] | None = None
        self.release = threading.Event()
        self.kv: dict[str, bytes] = {}
        self.logs: list[tuple[str, str]] = []
        self.users = {"alice": models_pb2.User(id="u-alice", username="alice")}
        self.config: dict[str, str | int] = {"Greeting": "hi", "Limit": 5}
        self.commands: list[str] = []

    def _fail(
        self, context: grpc.ServicerContext, response_cls: Callable[..., _Resp]
    ) -> _Resp | None:
        if self.status is not None:
            context.abort(*self.status)
        if self.embedded is not None:
            return response_cls(error=self.embedded)
        return None

    def KVGet(
        self, request: api_pb2.KVGetRequest, context: grpc.ServicerContext
    ) -> api_pb2.KVGetResponse:
        return self._fail(context, api_pb2.KVGetResponse) or api_pb2.KVGetResponse(
            value=self.kv.get(request.key, b"")
        )

    def KVSet(
        self, request: api_pb2.KVSetRequest, context: grpc.ServicerContext
    ) -> api_pb2.KVSetResponse:
        failed = self._fail(context, api_pb2.KVSetResponse)
        if failed:
            return failed
        if request.value:
            self.kv[request.key] = request.value
        else:
            self.kv.pop(request.key, None)
        return api_pb2.KVSetResponse()

    def GetUser(
        self, request: api_pb2.GetUserRequest, context: grpc.ServicerContext
    ) -> api_pb2.GetUserResponse:
        return self._fail(context, api_pb2.GetUserResponse) or api_pb2.GetUserResponse()

    def GetUserByUsername(
        self, request: api_pb2.GetUserByUsernameRequest, context: grpc.ServicerContext
    ) -> api_pb2.GetUserByUsernameResponse:
        failed = self._fail(context, api_pb2.GetUserByUsernameResponse)
        if failed:
            return failed
        user = self.users.get(request.name)
        if user is None:
            context.abort(
                grpc.StatusCode.NOT_FOUND,
                "app.user.missing_account.const: Unable to find the user.",
            )
        return api_pb2.GetUserByUsernameResponse(user=user)

    def GetPluginConfig(
        self, request: api_pb2.GetPluginConfigRequest, context: grpc.ServicerContext
    ) -> api_pb2.GetPluginConfigResponse:
        response = api_pb2.GetPluginConfigResponse()
        response.config.update(self.config)
        return response

    def RegisterCommand(
        self, request: api_pb2.RegisterCommandRequest, context: grpc.ServicerContext
    ) -> api_pb2.RegisterCommandResponse:
        self.commands.append(request.command.trigger)
        return api_pb2.RegisterCommandResponse()

    def GetServerVersion(
        self, request: api_pb2.GetServerVersionRequest, context: grpc.ServicerContext
    ) -> api_pb2.GetServerVersionResponse:
        self.release.wait(5)
        return api_pb2.GetServerVersionResponse(version="10.5.0")

    def _log(self, level: str, msg: str) -> None:
        self.logs.append((level, msg))

    def LogDebug(
        self, request: api_pb2.LogDebugRequest, context: grpc.ServicerContext
    ) -> api_pb2.LogDebugResponse:
        self._log("Debug", request.msg)
        return api_pb2.LogDebugResponse()

    def LogInfo(
        self, request: api_pb2.LogInfoRequest, context: grpc.ServicerContext
    ) -> api_pb2.LogInfoResponse:
        self._log("Info", request.msg)
        return api_pb2.LogInfoResponse()

    def LogWarn(
        self, request: api_pb2.LogWarnRequest, context: grpc.ServicerContext
    ) -> api_pb2.LogWarnResponse:
        self._log("Warn", request.msg)
        return api_pb2.LogWarnResponse()

    def LogError(
        self, request: api_pb2.LogErrorRequest, context: grpc.ServicerContext
    ) -> api_pb2.LogErrorResponse:
        self._log("Error", request.msg)
        return api_pb2.LogErrorResponse()


class FakeAPIServer:
    def __init__(self) -> None:
        self.servicer = FakeAPI()
        self.server = grpc.server(futures.ThreadPoolExecutor(max_workers=8))
        api_pb2_grpc.add_PluginAPIServicer_to_server(self.servicer, self.server)
        self.port = self.server.add_insecure_port("127.0.0.1:0")
        self.server.start()

    @property
    def target(self) -> str:
        return f"127.0.0.1:{self.port}"

    def stop(self) -> None:
        self.servicer.release.set()
        self.server.stop(0).wait()


class PluginProc:
    """A plugin process started like the Mattermost supervisor starts it."""

    def __init__(self, api_target: str, plugin_dir: Path = FIXTURE_DIR, **env: str) -> None:
        child_env = dict(os.environ)
        child_env["MATTERMOST_PLUGIN_API_TARGET"] = api_target
        child_env.update(env)
        self.started = time.perf_counter()
        self.popen = subprocess.Popen(
            [sys.executable, "plugin.py"],
            cwd=plugin_dir,
            env=child_env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        self.stdout_lines: queue.Queue[str | None] = queue.Queue()
        self.stderr: list[str] = []
        self._stdout_reader = threading.Thread(target=self._drain_stdout, daemon=True)
        self._stderr_reader = threading.Thread(target=self._drain_stderr, daemon=True)
        self._stdout_reader.start()
        self._stderr_reader.start()

    def _drain_stdout(self) -> None:
        assert self.popen.stdout is not None
        for raw in iter(self.popen.stdout.readline, b""):
            self.stdout_lines.put(raw.decode("utf-8", "replace").rstrip("\n"))
        self.stdout_lines.put(None)

    def _drain_stderr(self) -> None:
        assert self.popen.stderr is not None
        for raw in iter(self.popen.stderr.readline, b""):
            self.stderr.append(raw.decode("utf-8", "replace").rstrip("\n"))

    def first_line(self, timeout: float = 10.0) -> str | None:
        """The first stdout line, or ``None`` if stdout closed first."""
        return self.stdout_lines.get(timeout=timeout)

    def later_stdout(self) -> list[str]:
        lines: list[str] = []
        while True:
            try:
                line = self.stdout_lines.get_nowait()
            except queue.Empty:
                return lines
            if line is not None:
                lines.append(line)

    def stderr_text(self) -> str:
        self._stderr_reader.join(timeout=0.5 if self.popen.poll() is not None else 0)
        return "\n".join(self.stderr)

    def wait(self, timeout: float = 5.0) -> int:
        """Wait for exit (``subprocess.TimeoutExpired`` if it does not), then close the pipes."""
        code = self.popen.wait(timeout=timeout)
        self._close()
        return code

    def terminate(self, timeout: float = 5.0) -> int:
        """SIGTERM and wait; raises ``subprocess.TimeoutExpired`` if it does not exit in time."""
        self.popen.terminate()
        return self.wait(timeout)

    def kill(self) -> None:
        if self.popen.poll() is None:
            self.popen.kill()
        self.wait()

    def _close(self) -> None:
        self._stdout_reader.join(timeout=1.0)
        self._stderr_reader.join(timeout=1.0)
        for stream in (self.popen.stdout, self.popen.stderr):
            if stream is not None and not stream.closed:
                stream.close()
