#!/usr/bin/env python3
"""Upload a plugin bundle to a running Mattermost server and enable it (``make deploy``).

Needs ``MM_SERVICESETTINGS_SITEURL`` (e.g. ``http://127.0.0.1:8065``) and ``MM_ADMIN_TOKEN`` (a
system admin's personal access token or session token). Uses only the REST API:
``POST /api/v4/plugins`` (multipart field ``plugin``, ``force=true``) then
``POST /api/v4/plugins/{id}/enable``.
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


def main(argv: list[str]) -> int:
    site_url = os.environ.get("MM_SERVICESETTINGS_SITEURL", "").rstrip("/")
    token = os.environ.get("MM_ADMIN_TOKEN", "")
    if len(argv) != 1 or not site_url or not token:
        print(
            "usage: MM_SERVICESETTINGS_SITEURL=... MM_ADMIN_TOKEN=... deploy.py BUNDLE.tar.gz",
            file=sys.stderr,
        )
        return 2
    try:
        plugin_id = deploy(Path(argv[0]), site_url, token)
    except urllib.error.HTTPError as exc:
        detail = exc.read().decode(errors="replace")
        print(f"deploy: {exc.code} from {exc.url}: {detail}", file=sys.stderr)
        return 1
    except (urllib.error.URLError, OSError) as exc:
        print(f"deploy: cannot reach {site_url}: {exc}", file=sys.stderr)
        return 1
    print(f"deploy: {plugin_id} uploaded and enabled on {site_url}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
