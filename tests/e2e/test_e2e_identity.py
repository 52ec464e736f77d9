"""A hostile community on the real server, over the REST API only: a freed responder name, a
squatted channel, outsiders added to the escalations channel, and who sees policy diagnostics.

Every test puts back what it changed (names, settings, channel privacy), so later files see the
provisioned server as it was.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from e2e.flows import TOPIC, make, responders
from e2e.mmapi import PLUGIN_ID, Client, Server, wait_for
from e2e.ops import CHANNEL_NAME, TEAM_NAME, configure_plugin

ROUTE = f"/plugins/{PLUGIN_ID}/api/v1"
DEFAULTS = {
    "TeamName": TEAM_NAME,
    "ChannelName": CHANNEL_NAME,
    "PolicyOverride": "",
    "ExcerptMaxChars": 500,
    "ChannelAllowList": "",
    "KeepUnlistedMembers": False,
}


def tag() -> str:
    return uuid.uuid4().hex[:8]


def command_text(server: Server, who: str, text: str, channel_id: str = "") -> str:
    client = server.admin if who == "admin" else server.client(who)
    reply = client.command(channel_id or server.channel_id("public"), text, server.team_id)
    assert reply.status == 200, reply
    return str((reply.body or {}).get("text") or "")


def admin_policy(server: Server) -> str:
    return command_text(server, "admin", "/escalation policy")


def rename(client: Client, user_id: str, username: str) -> None:
    client.put(f"/api/v4/users/{user_id}/patch", {"username": username}).ok(200)


def stale_claim(client: Client, made: Any, actor_id: str) -> str:
    """A claim sent straight to the plugin, as a client showing an old post would."""
    body = {
        "user_id": actor_id,
        "post_id": made.post_id,
        "context": {"escalation_id": made.id, "action": "claim"},
    }
    reply = client.post(f"{ROUTE}/actions/claim", body)
    assert reply.status == 200, reply
    return str((reply.body or {}).get("ephemeral_text") or "")


def members(server: Server, channel_id: str) -> set[str]:
    body = server.admin.get(f"/api/v4/channels/{channel_id}/members?per_page=200").ok(200)
    return {m["user_id"] for m in body}


def settle(server: Server, expect: str, **changes: Any) -> str:
    """Save settings and wait until ``/escalation policy`` shows ``expect`` to a system admin;
    returns that text."""
    reactivate(server, **changes)

    # OnConfigurationChange runs after the config API answers.
    def shown() -> str:
        text = admin_policy(server)
        return text if expect in text else ""

    return str(wait_for(f"the plugin to report {expect!r}", shown, 30))


def reactivate(server: Server, **changes: Any) -> None:
    """Save settings twice, so the plugin re-activates (the server calls OnConfigurationChange
    only when the settings change) and re-checks its channel."""
    configure_plugin(server.admin, {**DEFAULTS, **changes, "ExcerptMaxChars": 499})
    configure_plugin(server.admin, {**DEFAULTS, **changes})


def healthy(server: Server) -> bool:
    reactivate(server)
    return "Setup problems" not in admin_policy(server)


@pytest.fixture
def restore(server: Server, plugin: Any) -> Iterator[None]:
    yield
    wait_for("escalations to work again", lambda: healthy(server), 30, interval=2.0)


def test_a_freed_responder_name_gives_its_taker_nothing(
    server: Server, plugin: Any, policy: Any, escalations_channel: dict[str, Any]
) -> None:
    made = make(server, policy)
    victim = responders(policy)[0]
    victim_id = server.user_id(victim)
    taker = server.env["community"][1]
    taker_id = server.user_id(taker)
    away = f"{victim}-away-{tag()}"
    rename(server.client(victim), victim_id, away)
    try:
        rename(server.client(taker), taker_id, victim)
        text = settle(server, f"renamed to @{away}")
        taker_client = server.client(taker)
        assert f"/escalation policy repin {victim}" in text, text
        assert "Only the approved responders" in stale_claim(taker_client, made, taker_id)
        assert taker_client.escalation(made.id).status == 404
        assert taker_id not in members(server, escalations_channel["id"])
        community_view = command_text(server, server.env["community"][0], "/escalation policy")
        assert away not in community_view and "repin" not in community_view
        # the renamed account keeps its rights
        assert server.client(victim).press(made.post_id, "claim").status == 200
        assert server.client(victim).escalation(made.id).ok(200)["owner"] == away
    finally:
        rename(server.client(taker), taker_id, taker)
        rename(server.client(victim), victim_id, victim)
        resync(server)


def resync(server: Server) -> None:
    """Re-activate until the policy shows no renamed account (later files mention by name)."""

    def settled() -> bool:
        reactivate(server)
        return "renamed to" not in admin_policy(server)

    wait_for("the policy to name everyone by their own name again", settled, 30, interval=2.0)


def test_a_squatted_channel_is_not_adopted_without_a_system_admin(
    server: Server, plugin: Any, policy: Any, restore: None
) -> None:
    squatter = server.client(server.env["community"][0])
    name = f"escalations-squat-{tag()}"
    public = squatter.post(
        "/api/v4/channels",
        {"team_id": server.team_id, "name": name, "display_name": "Squat", "type": "O"},
    ).ok(201)
    settle(server, f"~{name} is a public channel the plugin did not create", ChannelName=name)
    refused = server.client(server.env["staff"][0]).escalate(
        squatter.create_post(server.channel_id("public"), f"question {tag()}")["id"], TOPIC
    )
    assert refused.status == 409 and "paused" in refused.body["error"], refused
    assert "make it private first" in command_text(server, "admin", "/escalation channel adopt")
    assert not [p for p in server.admin.channel_posts(public["id"]) if "Approved" in p["message"]]

    private_name = f"escalations-private-{tag()}"
    private = squatter.post(
        "/api/v4/channels",
        {"team_id": server.team_id, "name": private_name, "display_name": "Sq", "type": "P"},
    ).ok(201)
    assert "/escalation channel adopt" in settle(
        server, f"~{private_name} is a channel the plugin did not create", ChannelName=private_name
    )
    assert "Only system admins" in command_text(
        server, server.env["community"][0], "/escalation channel adopt"
    )
    assert "is now the escalations channel" in command_text(
        server, "admin", "/escalation channel adopt"
    )
    made = make(server, policy)
    assert server.admin.get_post(made.post_id).ok(200)["channel_id"] == private["id"]
    # the squatter is not in the policy: adopting the channel removed them
    assert server.user_id(server.env["community"][0]) not in members(server, private["id"])


def test_an_escalations_channel_made_public_pauses_escalations(
    server: Server, plugin: Any, policy: Any, escalations_channel: dict[str, Any], restore: None
) -> None:
    channel_id = escalations_channel["id"]
    server.admin.put(f"/api/v4/channels/{channel_id}/privacy", {"privacy": "O"}).ok(200)
    try:
        settle(server, "was made public")
        source = server.client(server.env["community"][0]).create_post(
            server.channel_id("public"), f"question {tag()}"
        )
        refused = server.client(server.env["staff"][0]).escalate(source["id"], TOPIC)
        assert refused.status == 409 and "paused" in refused.body["error"], refused
    finally:
        server.admin.put(f"/api/v4/channels/{channel_id}/privacy", {"privacy": "P"}).ok(200)
    wait_for("escalations to resume", lambda: healthy(server), 30, interval=2.0)
    assert make(server, policy).escalation["escalation_post_id"]


def test_outsiders_added_to_the_escalations_channel_are_removed(
    server: Server, plugin: Any, policy: Any, escalations_channel: dict[str, Any]
) -> None:
    made = make(server, policy)
    insider = server.client(responders(policy)[0])
    outsider = server.env["community"][2]
    outsider_id = server.user_id(outsider)
    channel_id = escalations_channel["id"]
    insider.post(f"/api/v4/channels/{channel_id}/members", {"user_id": outsider_id}).ok(201)
    wait_for(
        "the plugin to remove the outsider",
        lambda: outsider_id not in members(server, channel_id),
        20,
    )
    assert server.client(outsider).escalation(made.id).status == 404
    # a system admin may stay
    admin_id = server.env["admin"]["id"]
    if admin_id not in members(server, channel_id):
        insider.post(f"/api/v4/channels/{channel_id}/members", {"user_id": admin_id}).ok(201)
    assert admin_id in members(server, channel_id)


def test_policy_diagnostics_are_for_admins_and_the_channel(
    server: Server, plugin: Any, policy: Any, escalations_channel: dict[str, Any], restore: None
) -> None:
    ghost = f"ghost-{tag()}"
    text = settle(server, ghost, ChannelAllowList=ghost)
    assert f"@{ghost}: unknown user" in text, text
    community = command_text(server, server.env["community"][0], "/escalation policy")
    assert ghost not in community and "shown to system admins" in community, community
    member = command_text(
        server, responders(policy)[0], "/escalation policy", escalations_channel["id"]
    )
    assert ghost not in member and "system admins see which" in member, member
