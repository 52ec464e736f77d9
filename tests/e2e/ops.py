"""Plugin and fixture operations of the real-server suite, shared by conftest and tests.

Install (upload with ``force=true``), configure (``PUT /api/v4/config/patch``), enable/disable and
wait until the plugin runs, all through the REST API as an admin would.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from e2e.mmapi import (
    PLUGIN_ID,
    PLUGIN_MANIFEST,
    REPO,
    Client,
    E2EError,
    Server,
    multipart,
    wait_for,
)

PLUGIN_STATE_RUNNING = 2
PLUGIN_STATE_NAMES = {
    0: "not running",
    1: "starting",
    2: "running",
    3: "failed to start",
    4: "failed to stay running",
    5: "stopping",
}
TEAM_NAME = "private-core"
CHANNEL_NAME = "community-escalations"


def bundle_path() -> Path:
    explicit = os.environ.get("MM_E2E_BUNDLE")
    if explicit:
        return Path(explicit)
    return REPO / "dist" / f"{PLUGIN_ID}-{PLUGIN_MANIFEST['version']}.tar.gz"


def upload_bundle(admin: Client, path: Path) -> Any:
    body, ctype = multipart({"force": "true"}, {"plugin": (path.name, path.read_bytes())})
    return admin.post("/api/v4/plugins", raw=body, content_type=ctype, timeout=300).ok(201)


def plugin_status(admin: Client) -> dict[str, Any] | None:
    for st in admin.get("/api/v4/plugins/statuses").ok(200) or []:
        if st.get("plugin_id") == PLUGIN_ID:
            return dict(st)
    return None


def configure_plugin(admin: Client, settings: dict[str, Any]) -> None:
    """Change some of the plugin's settings (keys as in plugin.json), keeping the others.

    Keys are sent lower-cased as the System Console sends them (the server itself stores keys as
    sent: ``test_e2e_api_contract.py``), and ``PUT /api/v4/config/patch`` replaces a
    plugin's whole settings map (it does not merge inside it), so this reads the current map,
    updates it and patches the whole map back.
    """
    config = admin.get("/api/v4/config").ok(200)
    values = dict((config["PluginSettings"].get("Plugins") or {}).get(PLUGIN_ID) or {})
    values.update({k.lower(): v for k, v in settings.items()})
    patch = {"PluginSettings": {"Plugins": {PLUGIN_ID: values}}}
    admin.put("/api/v4/config/patch", patch).ok(200)


def wait_running(server: Server, timeout: float = 90.0) -> None:
    admin = server.admin

    def probe() -> bool:
        st = plugin_status(admin)
        state = st.get("state") if st else None
        if state in (3, 4):
            raise E2EError(
                f"plugin {PLUGIN_STATE_NAMES[state]}: {st}\n--- server log ---\n"
                + server.manage("logs", "60")
            )
        return state == PLUGIN_STATE_RUNNING

    wait_for("the plugin to run", probe, timeout)
    wait_for(
        "the plugin's HTTP API",
        lambda: server.client(server.env["community"][0]).topics().status == 200,
        timeout,
    )


def enable_plugin(server: Server) -> None:
    server.admin.post(f"/api/v4/plugins/{PLUGIN_ID}/enable").ok(200)
    wait_running(server)


def disable_plugin(server: Server) -> None:
    server.admin.post(f"/api/v4/plugins/{PLUGIN_ID}/disable").ok(200)
    wait_for(
        "the plugin to stop",
        lambda: (plugin_status(server.admin) or {}).get("state") == 0,
        60,
    )


def community_post(server: Server, text: str, author: str | None = None) -> dict[str, Any]:
    """A fresh message by a community user in the public channel (something to escalate)."""
    who = author or server.env["community"][0]
    return server.client(who).create_post(server.channel_id("public"), text)


def _plugin_processes(server: Server) -> list[tuple[int, list[bytes]]]:
    """(pid, environment) of the processes running in the installed plugin's directory."""
    plugin_dir = (Path(server.env["paths"]["plugins"]) / PLUGIN_ID).resolve()
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            if Path(os.readlink(proc / "cwd")).resolve() != plugin_dir:
                continue
            found.append((int(proc.name), (proc / "environ").read_bytes().split(b"\0")))
        except OSError:
            continue
    return found


def plugin_api_target(server: Server) -> str | None:
    """The ``MATTERMOST_PLUGIN_API_TARGET`` the running plugin's Python process was given.

    Found through /proc: the process whose working directory is the installed plugin's directory
    and whose environment carries the variable (the bridge sets it for its Python child only).
    """
    for _, environ in _plugin_processes(server):
        for entry in environ:
            if entry.startswith(b"MATTERMOST_PLUGIN_API_TARGET="):
                return entry.split(b"=", 1)[1].decode()
    return None


def plugin_python_pid(server: Server) -> int | None:
    """Pid of the plugin's Python process (the one given a PluginAPI target), if running."""
    for pid, environ in _plugin_processes(server):
        if any(e.startswith(b"MATTERMOST_PLUGIN_API_TARGET=") for e in environ):
            return pid
    return None
