"""End to end through the host emulator: what a real escalation post shows of personal data (one
case of every class), the note redacted too, the count in the confirmation, and the public-link
allow-list setting."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from app.emu import CHANNEL, TEAM, World, start_world
from escalations.app.domain.redact import DEFAULT_PUBLIC_DOMAINS, parse_public_domains

ROOT = Path(__file__).resolve().parents[2]

# (class, what the member wrote, what must not reach the escalations channel)
ONE_OF_EACH = [
    ("email", "mail jane.doe@example.com please", "jane.doe@example.com"),
    ("email-obfuscated", "write jane [at] example [dot] org", "jane [at] example"),
    ("normalised-away", "mail jane\u200b@example\\.org now", "example"),
    ("ipv4", "server 10.0.0.12 down", "10.0.0.12"),
    ("ipv6", "v6 2001:db8::1 down", "2001:db8::1"),
    ("domain", "we run chat.example.gg", "chat.example.gg"),
    ("url", "see https://foo.example.com/a?b=c", "foo.example.com"),
    ("phone", "call 0151/12345678", "12345678"),
    ("card", "card 4111 1111 1111 1111", "4111 1111"),
    ("iban", "IBAN DE89 3704 0044 0532 0130 00", "3704 0044"),
    ("ssn", "ssn 078-05-1120", "078-05-1120"),
    ("credential", "DB_PASSWORD=hunter2 in the env", "hunter2"),
    ("token", "token ghp_abcdefghijklmnopqrstuvwxyz0123", "ghp_"),
    ("userinfo", "curl -u admin:s3cret https://api.example.com", "s3cret"),
    ("mattermost-token", "my token 8k3jzq9p1bnx7fy5w4cm2ta6de", "8k3jzq9p1bnx7fy5w4cm2ta6de"),
]


@pytest.fixture(scope="module")
def world() -> Iterator[World]:
    w = start_world()
    try:
        yield w
    finally:
        w.host.stop()


def _escalate(world: World, message: str, note: str = "") -> tuple[dict[str, Any], str]:
    post = world.post(message)
    resp = world.escalate(post.id, "licensing", note=note)
    assert resp.status == 201, resp.text
    esc = resp.json()
    return esc, world.host.get_post(esc["escalation_post_id"]).message


@pytest.mark.parametrize(("kind", "message", "leak"), ONE_OF_EACH, ids=[c[0] for c in ONE_OF_EACH])
def test_each_class_is_redacted_in_the_post(
    world: World, kind: str, message: str, leak: str
) -> None:
    esc, posted = _escalate(world, message)
    assert leak not in posted, posted
    quoted = [line for line in posted.splitlines() if line.startswith("> ")]
    assert any("[" in line for line in quoted), posted  # a labelled placeholder took its place


def test_the_note_is_redacted_and_the_confirmation_counts(world: World) -> None:
    esc, posted = _escalate(
        world,
        "reach me at jane@example.com or +49 151 12345678",
        note="user ip 192.168.7.7, mail bob@example.org",
    )
    for leak in ("jane@example.com", "12345678", "192.168.7.7", "bob@example.org"):
        assert leak not in posted, posted
    assert "user ip [ip-address], mail [email]" in posted
    ref = f"`/escalation show {esc['id'][:7]}`"  # alice is not in the channel: no permalink
    notes = [e for e in world.host.ephemerals(world.alice.id) if ref in e.message]
    assert "removed 2 items from the excerpt and 2 items from the note" in notes[-1].message


def test_confirmation_says_when_nothing_was_removed(world: World) -> None:
    esc, _ = _escalate(world, "licence question about v11.4.0", note="see main.py")
    ref = f"`/escalation show {esc['id'][:7]}`"
    notes = [e for e in world.host.ephemerals(world.alice.id) if ref in e.message]
    assert "no personal data or secrets found" in notes[-1].message


def test_public_links_stay_and_the_setting_changes_them(world: World) -> None:
    thread = "https://github.com/mattermost/mattermost/issues/12345"
    _, posted = _escalate(world, f"from {thread} and https://gitlab.example.com/x")
    assert thread in posted and "gitlab.example.com" not in posted
    settings = {"TeamName": TEAM, "ChannelName": CHANNEL, "ExcerptMaxChars": 500}
    try:
        assert (
            world.host.set_plugin_config({**settings, "PublicDomains": "gitlab.example.com"}) == ""
        )
        _, posted = _escalate(world, f"again {thread} and https://gitlab.example.com/x")
        assert "https://gitlab.example.com/x" in posted and "github.com" not in posted
        assert world.host.set_plugin_config({**settings, "PublicDomains": ""}) == ""
        _, posted = _escalate(world, f"third {thread}")
        assert "github.com" not in posted
    finally:
        world.host.set_plugin_config(settings)


def test_a_link_with_a_password_is_never_kept(world: World) -> None:
    _, posted = _escalate(world, "clone https://bob:hunter2@github.com/org/repo")
    assert "hunter2" not in posted and "bob" not in posted


def test_manifest_default_matches_the_code() -> None:
    manifest = json.loads((ROOT / "plugin.json").read_text())
    setting = next(
        s for s in manifest["settings_schema"]["settings"] if s["key"] == "PublicDomains"
    )
    assert parse_public_domains(setting["default"]) == DEFAULT_PUBLIC_DOMAINS
