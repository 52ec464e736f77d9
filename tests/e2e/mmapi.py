"""A small Mattermost REST client for the end-to-end suite (standard library only).

Everything goes through the server's public REST API with a user's session token, as real clients
do. ``Client`` methods return a ``Reply`` (status, parsed JSON, headers) and never raise on HTTP
errors, so tests assert on statuses; ``Reply.ok()`` raises with the body for the happy path.

The ``Server`` facade reads ``.cache/mattermost/env.json`` written by ``scripts/mattermost-server
provision`` (site URL, users with tokens, team, channels).
"""

from __future__ import annotations

import json
import os
import subprocess
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
DEFAULT_ENV_JSON = REPO / ".cache" / "mattermost" / "env.json"
MANAGE = REPO / "scripts" / "mattermost-server"
PLUGIN_MANIFEST = json.loads((REPO / "plugin.json").read_text())
PLUGIN_ID: str = PLUGIN_MANIFEST["id"]
PLUGIN_ROUTE = f"/plugins/{PLUGIN_ID}/api/v1"


class E2EError(AssertionError):
    """An unexpected answer from the server (an assertion failure with the full reply)."""


@dataclass(frozen=True)
class Reply:
    status: int
    body: Any
    headers: dict[str, str] = field(default_factory=dict)

    def ok(self, *expected: int) -> Any:
        if self.status not in (expected or (200, 201)):
            raise E2EError(f"unexpected status {self.status}: {self.body!r}")
        return self.body


class Client:
    def __init__(self, base_url: str, token: str | None, name: str = "?") -> None:
        self.base_url = base_url.rstrip("/")
        self.token = token
        self.name = name

    def request(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        raw: bytes | None = None,
        content_type: str = "application/json",
        timeout: float = 60.0,
        headers: dict[str, str] | None = None,
    ) -> Reply:
        data = raw if raw is not None else (None if body is None else json.dumps(body).encode())
        req = urllib.request.Request(self.base_url + path, data=data, method=method)
        if data is not None:
            req.add_header("Content-Type", content_type)
        # Marks the request as an API client call (Mattermost's CSRF rules for token auth).
        req.add_header("X-Requested-With", "XMLHttpRequest")
        if self.token:
            req.add_header("Authorization", f"Bearer {self.token}")
        for name, value in (headers or {}).items():
            req.add_header(name, value)
        try:
            with urllib.request.urlopen(req, timeout=timeout) as resp:
                payload, status, headers = resp.read(), resp.status, dict(resp.headers)
        except urllib.error.HTTPError as err:
            payload, status, headers = err.read(), err.code, dict(err.headers)
        try:
            parsed: Any = json.loads(payload) if payload else None
        except ValueError:
            parsed = payload.decode(errors="replace")
        return Reply(status, parsed, headers)

    def get(self, path: str, **kw: Any) -> Reply:
        return self.request("GET", path, **kw)

    def post(self, path: str, body: Any = None, **kw: Any) -> Reply:
        return self.request("POST", path, body, **kw)

    def put(self, path: str, body: Any = None, **kw: Any) -> Reply:
        return self.request("PUT", path, body, **kw)

    # --- Mattermost REST helpers ------------------------------------------------------------

    def create_post(self, channel_id: str, message: str, root_id: str = "") -> dict[str, Any]:
        body = {"channel_id": channel_id, "message": message, "root_id": root_id}
        return dict(self.post("/api/v4/posts", body).ok(201))

    def get_post(self, post_id: str) -> Reply:
        return self.get(f"/api/v4/posts/{post_id}")

    def thread(self, post_id: str) -> list[dict[str, Any]]:
        """The root post and its replies, oldest first."""
        body = self.get(f"/api/v4/posts/{post_id}/thread").ok(200)
        posts = [body["posts"][pid] for pid in body["order"]]
        return sorted(posts, key=lambda p: p["create_at"])

    def message_count(self, channel_id: str) -> int:
        """All posts ever made in the channel (roots and replies; the server's counter)."""
        return int(self.get(f"/api/v4/channels/{channel_id}").ok(200)["total_msg_count"])

    def channel_posts(self, channel_id: str, per_page: int = 200) -> list[dict[str, Any]]:
        body = self.get(f"/api/v4/channels/{channel_id}/posts?per_page={per_page}").ok(200)
        return [body["posts"][pid] for pid in body["order"]]

    def press(self, post_id: str, action_id: str, selected_option: str | None = None) -> Reply:
        """Press a message button / choose a menu option, as the webapp does."""
        body = {} if selected_option is None else {"selected_option": selected_option}
        return self.post(f"/api/v4/posts/{post_id}/actions/{action_id}", body)

    def command(self, channel_id: str, text: str, team_id: str = "") -> Reply:
        body = {"channel_id": channel_id, "command": text, "team_id": team_id}
        return self.post("/api/v4/commands/execute", body)

    # --- the plugin's HTTP API (docs/http-api.md) --------------------------------------------

    def escalate(self, post_id: str, topic: str, note: str | None = None) -> Reply:
        body: dict[str, Any] = {"post_id": post_id, "topic": topic}
        if note is not None:
            body["note"] = note
        return self.post(f"{PLUGIN_ROUTE}/escalations", body)

    def escalation(self, esc_id: str) -> Reply:
        return self.get(f"{PLUGIN_ROUTE}/escalations/{esc_id}")

    def topics(self) -> Reply:
        return self.get(f"{PLUGIN_ROUTE}/topics")


def multipart(fields: dict[str, str], files: dict[str, tuple[str, bytes]]) -> tuple[bytes, str]:
    """(body, content type) of a multipart/form-data request."""
    boundary = uuid.uuid4().hex
    parts: list[bytes] = []
    for name, value in fields.items():
        head = f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'
        parts.append(head.encode() + value.encode() + b"\r\n")
    for name, (filename, content) in files.items():
        head = (
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; '
            f'filename="{filename}"\r\nContent-Type: application/gzip\r\n\r\n'
        )
        parts.append(head.encode() + content + b"\r\n")
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


@dataclass
class Server:
    """The provisioned server (env.json) and clients for its accounts."""

    env: dict[str, Any]

    @classmethod
    def load(cls) -> Server:
        path = Path(os.environ.get("MM_E2E_ENV", DEFAULT_ENV_JSON))
        if not path.exists():
            raise E2EError(
                f"{path} missing: start the server first with `scripts/mattermost-server start`"
            )
        return cls(json.loads(path.read_text()))

    @property
    def url(self) -> str:
        return str(self.env["site_url"])

    def healthy(self) -> bool:
        try:
            return Client(self.url, None).get("/api/v4/system/ping", timeout=5).status == 200
        except OSError:
            return False

    def client(self, username: str) -> Client:
        user = self.env["users"][username]
        return Client(self.url, user["token"], username)

    def anonymous(self) -> Client:
        return Client(self.url, None, "anonymous")

    @property
    def admin(self) -> Client:
        return self.client(self.env["admin"]["username"])

    def user_id(self, username: str) -> str:
        return str(self.env["users"][username]["id"])

    @property
    def team_id(self) -> str:
        return str(self.env["team"]["id"])

    def channel_id(self, kind: str) -> str:
        return str(self.env["channels"][kind]["id"])

    def manage(self, *args: str, timeout: float = 600) -> str:
        """Run scripts/mattermost-server (e.g. ``restart``); return its combined output."""
        proc = subprocess.run([str(MANAGE), *args], capture_output=True, text=True, timeout=timeout)
        if proc.returncode != 0:
            out = proc.stdout + proc.stderr
            raise E2EError(f"mattermost-server {' '.join(args)} failed:\n{out}")
        return proc.stdout + proc.stderr

    def reload_tokens(self) -> None:
        """Re-read env.json (after a re-provision)."""
        self.env = Server.load().env


def wait_for(
    what: str, probe: Callable[[], Any], timeout: float = 60.0, interval: float = 0.5
) -> Any:
    """Poll ``probe`` until it returns a truthy value; fail with ``what`` after ``timeout``."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        last = probe()
        if last:
            return last
        time.sleep(interval)
    raise E2EError(f"timed out after {timeout:.0f} s waiting for {what} (last: {last!r})")
