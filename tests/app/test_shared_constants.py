"""Names and numbers the server and the webapp must agree on, and the version written once.

The webapp is TypeScript, so its side is read from the source files: a renamed constant on either
side fails here instead of in a browser."""

from __future__ import annotations

import json
import re
from pathlib import Path

from app.test_service import World
from escalations.app.domain import links
from escalations.app.domain.manifest import plugin_id
from escalations.app.presentation.routes import build_router
from escalations.app.views import render
from escalations.app.workflow import service
from escalations.runtime.http import Request

ROOT = Path(__file__).resolve().parents[2]
SRC = ROOT / "webapp" / "src"
PLUGIN = json.loads((ROOT / "plugin.json").read_text())


def _ts_string_constant(path: Path, name: str) -> str:
    match = re.search(rf"export const {name} = '([^']*)';", path.read_text())
    assert match, f"{name} not found in {path.relative_to(ROOT)}"
    return match.group(1)


def _ts_interface_fields(path: Path, name: str) -> set[str]:
    match = re.search(rf"export interface {name} \{{(.*?)\n\}}", path.read_text(), re.S)
    assert match, f"interface {name} not found in {path.relative_to(ROOT)}"
    return set(re.findall(r"^\s*(\w+)\??:", match.group(1), re.M))


def test_the_plugin_id_comes_from_plugin_json() -> None:
    assert plugin_id() == PLUGIN["id"].lower() == render.PLUGIN_ID
    assert render.ACTIONS_URL == f"/plugins/{PLUGIN['id']}/api/v1/actions/"
    assert render.DIALOG_URL.startswith(f"/plugins/{PLUGIN['id']}/")


def test_the_version_is_the_one_of_plugin_json() -> None:
    pyproject = (ROOT / "pyproject.toml").read_text()
    match = re.search(r'^version = "([^"]+)"$', pyproject, re.M)
    assert match and match.group(1) == PLUGIN["version"], "pyproject.toml and plugin.json differ"
    changelog = (ROOT / "CHANGELOG.md").read_text()
    released = re.findall(r"^## \[?(\d+\.\d+\.\d+)\]?", changelog, re.M)
    assert released and released[0] == PLUGIN["version"], "CHANGELOG.md's newest entry differs"
    # the webapp imports id and version from plugin.json itself
    assert "from '../../plugin.json'" in (SRC / "manifest.ts").read_text()


def test_the_marker_prop_of_escalation_posts() -> None:
    assert _ts_string_constant(SRC / "post_filter.ts", "ESCALATION_MARKER_PROP") == (
        render.ESCALATION_PROP
    )


def test_the_websocket_event_name_and_payload() -> None:
    text = (SRC / "websocket_events.ts").read_text()
    assert f"`custom_${{manifest.id}}_{service.EVENT_UPDATED}`" in text
    w = World()
    w.workflow.escalate(w.alice.id, w.post(), "licensing")
    event, payload, _ = w.host.events[-1]
    assert event == service.EVENT_UPDATED
    fields = _ts_interface_fields(SRC / "types" / "api.ts", "EscalationUpdatedPayload")
    assert set(payload) == fields


def test_the_note_limit() -> None:
    api_ts = (SRC / "types" / "api.ts").read_text()
    match = re.search(r"export const NOTE_MAX_CHARS = (\d+);", api_ts)
    assert match and int(match.group(1)) == service.NOTE_MAX_CHARS


def test_the_link_limits() -> None:
    api_ts = (SRC / "types" / "api.ts").read_text()
    for name, value in (
        ("URL_MAX_CHARS", links.MAX_URL_CHARS),
        ("SUMMARY_MAX_CHARS", links.SUMMARY_MAX_CHARS),
    ):
        match = re.search(rf"export const {name} = (\d+);", api_ts)
        assert match and int(match.group(1)) == value, name


def test_the_routes_the_webapp_calls_exist() -> None:
    client = (SRC / "client.ts").read_text()
    assert "/api/v1`" in client
    paths = re.findall(r"`\$\{api\}(/[^`]*)`", client)
    assert paths, "no API paths found in client.ts"
    router = build_router(World().workflow)
    for path in paths:
        concrete = re.sub(r"\$\{[^}]*\}", "x" * 26, path)
        method = "GET" if "topics" in path or "${" in path else "POST"
        response = router.dispatch(Request.build(method, f"/api/v1{concrete}"))
        assert response.status not in (404, 405) or b"Unknown escalation" in response.body, path
