"""Helpers for tests that run the emulator's fixture plugins.

The fixture plugin directories have no ``venv/``, so the supervisor's interpreter discovery falls
back to ``python3`` on PATH (docs/protocol.md §2.2); ``venv_env`` puts the running interpreter's
``bin/`` first on PATH — option (a) of §2.2, the same thing a real test server needs.
"""

from __future__ import annotations

import os
import sys
from typing import Any

from hostemu.fixtures import ECHO_PLUGIN
from hostemu.host import Host


def venv_env(**extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env["PATH"] = os.path.dirname(sys.executable) + os.pathsep + env.get("PATH", "")
    env.update(extra)
    return env


def echo_host(mode: str = "ok", **kwargs: Any) -> Host:
    """A (not yet started) ``Host`` for the echo fixture plugin in ``mode``."""
    return Host(ECHO_PLUGIN, env=venv_env(HOSTEMU_FIXTURE_MODE=mode), **kwargs)
