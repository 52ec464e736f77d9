"""The runtime's PluginAPI contract suite (posts, users, channels, teams, config, bots, errors)
against the real server.

``tests/runtime/test_api_contract.py`` runs against the host emulator and, when
``API_CONTRACT_TARGET=host:port`` is set, against a real ``PluginAPI``. Here that target is the one
the real server (through the bridge) gave the running plugin's Python process; the provisioned
team and three staff members are the contract's world (``API_CONTRACT_WORLD``). Channels the run
creates carry a random name prefix (``API_CONTRACT_PREFIX``) and are archived afterwards through
the REST API. Every difference from the emulator shows up as a failing ``[remote]`` case.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from typing import Any

from e2e.mmapi import REPO, Server, wait_for
from e2e.ops import plugin_api_target


def _archive_channels(server: Server, prefix: str) -> None:
    admin = server.admin
    for private in (False, True):
        path = (
            f"/api/v4/teams/{server.team_id}/channels/private"
            if private
            else f"/api/v4/teams/{server.team_id}/channels"
        )
        for page in range(50):
            batch = admin.get(f"{path}?page={page}&per_page=200").ok(200) or []
            for channel in batch:
                if channel["name"].startswith(prefix) and not channel.get("delete_at"):
                    admin.request("DELETE", f"/api/v4/channels/{channel['id']}").ok(200)
            if len(batch) < 200:
                break


def test_api_contract_against_the_real_plugin_api(server: Server, plugin: Any) -> None:
    target = wait_for("the plugin's PluginAPI target", lambda: plugin_api_target(server), 30)
    staff = server.env["staff"][:3]
    world = {
        "team_id": server.team_id,
        "team_name": server.env["team"]["name"],
        "users": [server.user_id(name) for name in staff],
    }
    prefix = f"apic-{uuid.uuid4().hex[:6]}-"
    env = dict(
        os.environ,
        API_CONTRACT_TARGET=target,
        API_CONTRACT_WORLD=json.dumps(world),
        API_CONTRACT_PREFIX=prefix,
    )
    env.pop("MM_E2E", None)
    try:
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
                str(REPO / "tests" / "runtime" / "test_api_contract.py"),
            ],
            cwd=REPO,
            env=env,
            capture_output=True,
            text=True,
            timeout=900,
        )
    finally:
        _archive_channels(server, prefix)
    summary = proc.stdout[-8000:] + proc.stderr[-2000:]
    assert proc.returncode == 0, summary
    assert " passed" in proc.stdout and " failed" not in proc.stdout, summary
