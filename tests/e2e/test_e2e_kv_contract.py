"""The runtime's KV contract suite against the real server's PluginAPI.

``tests/runtime/test_kv_contract.py`` runs against the host emulator and, when
``KV_CONTRACT_TARGET=host:port`` is set, against a real ``PluginAPI``. Here that target is the one
the real server (through the bridge, or natively) gave the running plugin's Python process, so the
contract runs in the plugin's own KV namespace, under a random key prefix that it cleans up.
Every difference from the emulator shows up as a failing ``[remote]`` case.
"""

from __future__ import annotations

import os
import subprocess
import sys
from typing import Any

from e2e.mmapi import REPO, Server, wait_for
from e2e.ops import plugin_api_target


def test_kv_contract_against_the_real_plugin_api(server: Server, plugin: Any) -> None:
    target = wait_for("the plugin's PluginAPI target", lambda: plugin_api_target(server), 30)
    env = dict(os.environ, KV_CONTRACT_TARGET=target)
    env.pop("MM_E2E", None)
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "-k",
            "remote",
            str(REPO / "tests" / "runtime" / "test_kv_contract.py"),
        ],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    summary = proc.stdout[-6000:] + proc.stderr[-2000:]
    assert proc.returncode == 0, summary
    assert " passed" in proc.stdout and " failed" not in proc.stdout, summary
