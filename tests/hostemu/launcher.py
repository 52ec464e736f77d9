"""Start a Python plugin process the way the Mattermost supervisor does (docs/protocol.md §2).

* manifest: ``server.executables["linux-amd64"]`` or ``server.executable``, relative, no ``..``,
  must exist (§2.1);
* interpreter: ``<plugin>/venv/bin/python``, ``venv/bin/python3``, ``.venv/bin/python``,
  ``.venv/bin/python3``, else ``python3`` then ``python`` on the child environment's PATH (§2.2);
* command ``<python> <executable>``, cwd = plugin directory, environment = the given base
  environment (default ``os.environ``) + go-plugin's variables + ``MATTERMOST_PLUGIN_API_TARGET``
  (§2.3); no arguments, no ``PYTHONUNBUFFERED`` — the plugin must flush its handshake itself;
* the first stdout line must be ``1|1|tcp|<host:port>|grpc`` within the start timeout (10 s, §2.4);
  a crash, a timeout or any other first line is a ``PluginActivationError`` with the stderr tail;
* later stdout lines and all stderr lines are captured (the server copies them into its log);
* stop: SIGTERM, then SIGKILL after the 5 s ``WaitDelay`` (§2.8).
"""

from __future__ import annotations

import collections
import json
import os
import queue
import select
import shutil
import signal
import subprocess
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from hostemu.errors import PluginActivationError

HANDSHAKE_TIMEOUT = 10.0
KILL_GRACE = 5.0
GO_PLUGIN_ENV = {
    "MATTERMOST_PLUGIN": "Securely message teams, anywhere.",
    "PLUGIN_PROTOCOL_VERSIONS": "1",
    "PLUGIN_MIN_PORT": "10000",
    "PLUGIN_MAX_PORT": "25000",
}
_VENV_CANDIDATES = ("venv/bin/python", "venv/bin/python3", ".venv/bin/python", ".venv/bin/python3")
_EOF = object()


@dataclass(frozen=True)
class Manifest:
    id: str
    executable: str
    runtime: str
    raw: dict[str, Any]


@dataclass(frozen=True)
class Handshake:
    core_version: int
    app_version: int
    network: str
    address: str
    protocol: str


def read_manifest(plugin_dir: Path) -> Manifest:
    try:
        raw = json.loads((plugin_dir / "plugin.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise PluginActivationError(f"cannot read plugin.json in {plugin_dir}: {exc}") from exc
    server = raw.get("server") or {}
    executable = (server.get("executables") or {}).get("linux-amd64") or server.get("executable")
    if not executable:
        raise PluginActivationError("Python plugin executable not specified in manifest")
    if Path(executable).is_absolute() or ".." in Path(executable).parts:
        raise PluginActivationError(f"invalid executable path in manifest: {executable}")
    if not (plugin_dir / executable).is_file():
        raise PluginActivationError(f"Python plugin script not found: {executable}")
    return Manifest(str(raw.get("id", "")), executable, str(server.get("runtime", "")), raw)


def find_interpreter(plugin_dir: Path, env: Mapping[str, str]) -> str:
    for candidate in _VENV_CANDIDATES:
        path = plugin_dir / candidate
        if path.exists():
            return str(path.absolute())
    for name in ("python3", "python"):
        found = shutil.which(name, path=env.get("PATH", os.defpath))
        if found:
            return found
    raise PluginActivationError("no Python interpreter found (venv/, .venv/ or PATH)")


def parse_handshake(line: str) -> Handshake:
    parts = line.strip().split("|")
    if len(parts) < 5 or parts[0] != "1" or parts[1] != "1" or parts[4] != "grpc":
        raise ValueError(f"not a go-plugin handshake line: {line.strip()[:200]!r}")
    if parts[2] not in ("tcp", "unix") or not parts[3]:
        raise ValueError(f"bad network/address in handshake: {line.strip()[:200]!r}")
    return Handshake(int(parts[0]), int(parts[1]), parts[2], parts[3], parts[4])


class PluginProcess:
    """A running plugin process with its stdout/stderr drained into memory."""

    def __init__(self, popen: subprocess.Popen[bytes]) -> None:
        self.popen = popen
        self.stderr_lines: collections.deque[str] = collections.deque(maxlen=5000)
        self.stdout_lines: list[str] = []
        self._first_line: queue.Queue[object] = queue.Queue()
        self._readers = [
            threading.Thread(target=self._drain_stdout, daemon=True, name="hostemu-stdout"),
            threading.Thread(target=self._drain_stderr, daemon=True, name="hostemu-stderr"),
        ]
        for reader in self._readers:
            reader.start()

    @property
    def pid(self) -> int:
        return self.popen.pid

    def _lines(self, stream: IO[bytes] | None) -> Any:
        assert stream is not None
        for raw in iter(stream.readline, b""):
            yield raw.decode("utf-8", "replace").rstrip("\n")

    def _drain_stdout(self) -> None:
        first = True
        for line in self._lines(self.popen.stdout):
            if first:
                self._first_line.put(line)
                first = False
            else:
                self.stdout_lines.append(line)
        if first:
            self._first_line.put(_EOF)

    def _drain_stderr(self) -> None:
        for line in self._lines(self.popen.stderr):
            self.stderr_lines.append(line)

    def stderr_tail(self, lines: int = 40) -> str:
        # Give the reader a moment to collect what a just-exited process wrote.
        self._readers[1].join(timeout=0.5 if self.popen.poll() is not None else 0)
        self._settle(self.popen.stderr, self._readers[1])
        return "\n".join(list(self.stderr_lines)[-lines:])

    @staticmethod
    def _settle(stream: IO[bytes] | None, reader: threading.Thread, limit: float = 1.0) -> None:
        """Wait (up to ``limit`` s) until the pipe has nothing unread, then a moment for the reader
        thread to append what it just took: what the plugin wrote before answering a call is
        then visible (on a loaded machine the reader can lag behind the call's answer)."""
        if stream is None or stream.closed:
            return
        deadline = time.monotonic() + limit
        try:
            # A finished reader has read everything (an EOF pipe stays "readable").
            while (
                reader.is_alive()
                and time.monotonic() < deadline
                and select.select([stream], [], [], 0)[0]
            ):
                time.sleep(0.01)
        except (OSError, ValueError):
            return
        if reader.is_alive():
            time.sleep(0.02)

    def wait_handshake(self, timeout: float) -> Handshake:
        try:
            first = self._first_line.get(timeout=timeout)
        except queue.Empty:
            self.kill()
            raise PluginActivationError(
                f"plugin did not print the handshake line within {timeout:g} s (timeout)",
                self.stderr_tail(),
            ) from None
        if first is _EOF:
            code = wait_for_exit(self, KILL_GRACE)
            if code is None:
                self.kill()
            raise PluginActivationError(
                f"plugin exited with code {code} before the handshake (crash)", self.stderr_tail()
            )
        try:
            return parse_handshake(str(first))
        except ValueError as exc:
            self.kill()
            raise PluginActivationError(
                f"junk before the handshake: {exc}", self.stderr_tail()
            ) from exc

    def alive(self) -> bool:
        return self.popen.poll() is None

    def terminate(self, grace: float = KILL_GRACE) -> tuple[int, bool]:
        """SIGTERM, then SIGKILL after ``grace``; returns (exit code, whether it was killed)."""
        killed = False
        if self.popen.poll() is None:
            self.popen.send_signal(signal.SIGTERM)
            try:
                self.popen.wait(timeout=grace)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait()
                killed = True
        self._close()
        return self.popen.returncode, killed

    def kill(self) -> None:
        if self.popen.poll() is None:
            self.popen.kill()
        self.popen.wait()
        self._close()

    def _close(self) -> None:
        for reader in self._readers:
            reader.join(timeout=1.0)
        for stream in (self.popen.stdout, self.popen.stderr):
            if stream is not None:
                stream.close()


def launch(
    plugin_dir: Path,
    manifest: Manifest,
    api_target: str,
    base_env: Mapping[str, str] | None = None,
    interpreter: str | None = None,
) -> PluginProcess:
    env = dict(os.environ if base_env is None else base_env)
    env.update(GO_PLUGIN_ENV)
    env["MATTERMOST_PLUGIN_API_TARGET"] = api_target
    python = interpreter or find_interpreter(plugin_dir, env)
    popen = subprocess.Popen(  # noqa: S603 - the command is the manifest's script, as upstream
        [python, manifest.executable],
        cwd=plugin_dir,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    return PluginProcess(popen)


def wait_for_exit(process: PluginProcess, timeout: float) -> int | None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        code = process.popen.poll()
        if code is not None:
            return code
        time.sleep(0.02)
    return None
