#!/usr/bin/env python3
"""Upload a plugin bundle to a running Mattermost server and enable it (``make deploy``); enable,
disable or restart the installed plugin (``make enable``, ``make disable``, ``make reset``).

    deploy.py BUNDLE.tar.gz          upload (replacing any installed version) and enable
    deploy.py enable|disable|reset   act on the installed plugin (reset = disable, then enable)

The server: ``MM_SERVICESETTINGS_SITEURL`` (e.g. ``http://127.0.0.1:8065``) and ``MM_ADMIN_TOKEN``
(a system admin's personal access token or session token); when both are unset, the local server
of ``scripts/mattermost-server`` (its ``env.json``: ``MM_E2E_ENV``, default
``.cache/mattermost/env.json``). Uses only the REST API: ``POST /api/v4/plugins`` (multipart field
``plugin``, ``force=true``), ``POST /api/v4/plugins/{id}/enable`` and ``.../disable``.
"""

from __future__ import annotations

import json
import os
import sys
import urllib.error
import urllib.request
import uuid
from pathlib import Path


def _request(
    url: str, token: str, body: bytes | None = None, content_type: str | None = None
) -> bytes:
    req = urllib.request.Request(url, data=body, method="POST")
    req.add_header("Authorization", f"Bearer {token}")
    req.add_header("X-Requested-With", "XMLHttpRequest")
    if content_type:
        req.add_header("Content-Type", content_type)
    with urllib.request.urlopen(req, timeout=120) as resp:
        return bytes(resp.read())


def _multipart(field: str, filename: str, data: bytes, extra: dict[str, str]) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    parts = []
    for key, value in extra.items():
        disposition = f'Content-Disposition: form-data; name="{key}"'
        parts.append(f"--{boundary}\r\n{disposition}\r\n\r\n{value}\r\n".encode())
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="{field}"; filename="{filename}"\r\n'
        "Content-Type: application/gzip\r\n\r\n"
    )
    parts.append(head.encode() + data + b"\r\n")
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


def deploy(bundle: Path, site_url: str, token: str) -> str:
    body, ctype = _multipart("plugin", bundle.name, bundle.read_bytes(), {"force": "true"})
    manifest = json.loads(_request(f"{site_url}/api/v4/plugins", token, body, ctype))
    plugin_id = str(manifest["id"])
    _request(f"{site_url}/api/v4/plugins/{plugin_id}/enable", token, b"")
    return plugin_id


ROOT = Path(__file__).resolve().parents[1]
ACTIONS = ("enable", "disable", "reset")
USAGE = (
    "usage: deploy.py BUNDLE.tar.gz | enable | disable | reset\n"
    "  server: MM_SERVICESETTINGS_SITEURL + MM_ADMIN_TOKEN, or the local one "
    "(scripts/mattermost-server start)"
)


def target() -> tuple[str, str] | None:
    """(site URL, admin token) from the environment, else from the local server's env.json."""
    site_url = os.environ.get("MM_SERVICESETTINGS_SITEURL", "").rstrip("/")
    token = os.environ.get("MM_ADMIN_TOKEN", "")
    if site_url or token:
        return (site_url, token) if site_url and token else None
    env_json = Path(os.environ.get("MM_E2E_ENV", ROOT / ".cache" / "mattermost" / "env.json"))
    try:
        env = json.loads(env_json.read_text())
        return str(env["site_url"]).rstrip("/"), str(env["admin"]["token"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def plugin_id() -> str:
    return str(json.loads((ROOT / "plugin.json").read_text())["id"])


def act(action: str, site_url: str, token: str) -> str:
    """Enable, disable, or disable then enable the installed plugin; its id."""
    pid = plugin_id()
    steps = ("disable", "enable") if action == "reset" else (action,)
    for step in steps:
        _request(f"{site_url}/api/v4/plugins/{pid}/{step}", token, b"")
    return pid


def main(argv: list[str]) -> int:
    server = target()
    if len(argv) != 1 or server is None:
        print(USAGE, file=sys.stderr)
        return 2
    site_url, token = server
    try:
        if argv[0] in ACTIONS:
            pid = act(argv[0], site_url, token)
            done = {"enable": "enabled", "disable": "disabled", "reset": "disabled and enabled"}
            print(f"deploy: {pid} {done[argv[0]]} on {site_url}")
            return 0
        pid = deploy(Path(argv[0]), site_url, token)
    except urllib.error.HTTPError as exc:
        detail = exc.read().decode(errors="replace")
        print(f"deploy: {exc.code} from {exc.url}: {detail}", file=sys.stderr)
        return 1
    except (urllib.error.URLError, OSError) as exc:
        print(f"deploy: cannot reach {site_url}: {exc}", file=sys.stderr)
        return 1
    print(f"deploy: {pid} uploaded and enabled on {site_url}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
