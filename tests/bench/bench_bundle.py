"""Benchmark of the installed bundle's start: what an admin's server sees after an upload.

Run alone: ``.venv/bin/python tests/bench/bench_bundle.py`` (after ``make dist-native``).
Prints figures; asserts nothing about them (timings depend on the machine).

* first start: a freshly extracted native bundle started with a bare CPython (none of the project's
  dependencies installed) under the host emulator, spawn to ``OnActivate`` done. This start also
  unpacks grpcio's compiled module for the interpreter from the bundle's solid xz archive. The
  server gives a Python plugin 10 s for its handshake; this figure shows the margin.
* next start: the same directory started again (the module is already unpacked).
"""

from __future__ import annotations

import shutil
import statistics
import sys
import tarfile
import tempfile
import time
from pathlib import Path

_ROOT = Path(__file__).resolve().parents[2]
for _path in (_ROOT / "server", _ROOT / "tests"):
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))

from hostemu import Host  # noqa: E402

REPEATS = 3
PYENV_VERSIONS = Path.home() / ".pyenv" / "versions"


def _python(version: str) -> str | None:
    found = sorted(PYENV_VERSIONS.glob(f"{version}.*/bin/python3"))
    if found:
        return str(found[-1])
    return shutil.which(f"python{version}")


def _bundle() -> Path:
    found = sorted((_ROOT / "dist").glob("*-native.tar.gz"))
    if not found:
        raise RuntimeError("no native bundle in dist/: run `make dist-native` first")
    return found[-1]


def _start_seconds(plugin_dir: Path, python: str) -> float:
    env = {"PATH": "/usr/bin:/bin", "HOME": str(plugin_dir.parent), "LANG": "C.UTF-8"}
    host = Host(plugin_dir, env=env, interpreter=python, handshake_timeout=120.0)
    host.set_plugin_config({"TeamName": "private-core", "ChannelName": "community-escalations"})
    started = time.perf_counter()
    host.start()
    elapsed = time.perf_counter() - started
    host.stop()
    return elapsed


def main() -> None:
    bundle = _bundle()
    python = _python("3.12") or _python("3.11")
    if python is None:
        raise RuntimeError("no CPython 3.11 or 3.12 to start the bundle with")
    first, again = [], []
    for _ in range(REPEATS):
        with tempfile.TemporaryDirectory(prefix="bench-bundle-") as tmp:
            with tarfile.open(bundle) as tar:
                tar.extractall(tmp, filter="data")
            plugin_dir = Path(tmp) / "community-escalations"
            first.append(_start_seconds(plugin_dir, python))
            again.append(_start_seconds(plugin_dir, python))
    print(f"   bundle {bundle.name} ({bundle.stat().st_size / 1024 / 1024:.1f} MiB), {python}")
    print(
        f"   first start (unpacks grpcio's module) median {statistics.median(first) * 1000:.0f} ms,"
        f" next start median {statistics.median(again) * 1000:.0f} ms ({REPEATS} runs each;"
        " the server allows 10 s for the handshake)"
    )


if __name__ == "__main__":
    main()
