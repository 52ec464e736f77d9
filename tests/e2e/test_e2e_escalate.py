"""Escalating through the plugin's HTTP API on a real server (docs/http-api.md).

A community user's message in a public channel is escalated by a staff member with that member's
session token, exactly as the webapp does; the escalation post is then read back through the REST
API and checked against the bundled policy: mentions, cc, default owner, redaction, buttons.
"""

from __future__ import annotations

import json
from typing import Any

from e2e.flows import (
    TOPIC,
    action_ids,
    escalator,
    loop_in,
    make,
    people_with_roles,
    responders,
)
from e2e.mmapi import PLUGIN_ROUTE, Server
from e2e.ops import community_post
from escalations.policy import route
from post_reading import (
    OPEN_POST_MAX_LINES,
    headline,
    labelled,
    lines,
    live_mentions,
    mentioned,
    with_roles,
)

SENSITIVE = (
    "Hi, I'm Jane (jane.doe@example.org, +1 415-555-0134). Our server 203.0.113.7 sends "
    "telemetry to https://telemetry.example.net/collect?id=42 with token=abcd1234efgh5678 "
    "@channel please help"
)


def test_topics_follow_the_bundled_policy(server: Server, plugin: Any, policy: Any) -> None:
    body = server.client(server.env["community"][0]).topics().ok(200)
    assert body["policy"]["version"] == policy.version
    assert [t["key"] for t in body["topics"]] == [t.key for t in policy.topics]
    for topic in body["topics"]:
        routing = route(policy, topic["key"])
        assert [r["username"] for r in topic["responders"]] == [
            m.username for m in routing.responders
        ]
        expected_owner = routing.default_owner.username if routing.default_owner else None
        assert (topic["default_owner"] or {}).get("username") == expected_owner
        assert topic["empty_roles"] == {
            "responders": list(routing.empty_responder_roles),
            "loop_in": list(routing.empty_loop_in_roles),
        }
    # the bundled policy's CRO has nobody: the answer says so where it matters
    by_key = {t["key"]: t for t in body["topics"]}
    assert by_key["product-gdpr"]["empty_roles"]["responders"] == ["CRO"]
    assert by_key[TOPIC]["empty_roles"]["loop_in"] == ["CRO"]


def test_escalation_post_names_responders_cc_owner_and_offers_buttons(
    server: Server, plugin: Any, policy: Any, escalations_channel: dict[str, Any]
) -> None:
    made = make(server, policy, text=SENSITIVE, note="Asked twice on the forum")
    esc = made.escalation
    routing = route(policy, TOPIC)
    assert routing.default_owner is not None
    assert esc["topic"] == TOPIC and esc["state"] == "open" and esc["acknowledged"] is False
    assert esc["default_owner"] == esc["owner"] == routing.default_owner.username
    assert esc["post_id"] == made.source_post["id"]
    assert esc["created_by"] == escalator(server, policy)
    assert esc["permalink"].endswith(f"/private-core/pl/{made.post_id}")

    post = server.admin.get_post(made.post_id).ok(200)
    assert post["channel_id"] == escalations_channel["id"]
    message = post["message"]
    assert len(lines(message)) <= OPEN_POST_MAX_LINES, message
    owner = routing.default_owner.username
    assert (
        headline(message)
        == f"**{esc['topic_title']}** · Open · Owner: `@{owner}` (default, not acknowledged yet)"
    )
    assert escalator(server, policy) in lines(message)[1] and made.id[:7] in lines(message)[1]
    assert mentioned(labelled(message, "Responders")) == responders(policy)
    assert mentioned(labelled(message, "cc")) == loop_in(policy)
    for name in responders(policy) + loop_in(policy):
        assert live_mentions(message, name) == 1, f"{name} not mentioned exactly once"
    # every responder with their roles; the roles with nobody in them are said, not dropped
    assert with_roles(labelled(message, "Responders")) == people_with_roles(policy)
    assert with_roles(labelled(message, "cc")) == people_with_roles(policy, cc=True)
    assert labelled(message, "Note") == "Asked twice on the forum"
    assert labelled(message, "Template") == "none yet"
    # Redaction: nothing identifying the community member leaves the source channel.
    for secret in ("jane.doe@example.org", "415-555-0134", "203.0.113.7", "abcd1234efgh5678"):
        assert secret not in message, f"{secret!r} leaked into the escalation post"
    assert "telemetry.example.net" not in message
    assert "@channel" not in message, "copied text must not mention the whole channel"
    assert action_ids(post) == ["claim", "assign", "resolveresponded", "resolvenoresponse", "tips"]


def test_responders_are_members_of_the_escalations_channel(
    server: Server, plugin: Any, policy: Any, escalations_channel: dict[str, Any]
) -> None:
    make(server, policy)
    cid = escalations_channel["id"]
    assert escalations_channel["type"] == "P"
    for name in responders(policy):
        uid = server.user_id(name)
        assert server.admin.get(f"/api/v4/channels/{cid}/members/{uid}").status == 200, name


def test_escalating_again_returns_the_same_escalation_without_a_new_post(
    server: Server, plugin: Any, policy: Any, escalations_channel: dict[str, Any]
) -> None:
    made = make(server, policy)
    before = server.admin.message_count(escalations_channel["id"])
    again = server.client(escalator(server, policy)).escalate(made.source_post["id"], TOPIC)
    assert again.status == 200
    assert again.body["id"] == made.id
    assert again.body["escalation_post_id"] == made.post_id
    assert server.admin.message_count(escalations_channel["id"]) == before


def test_the_escalation_can_be_read_back(server: Server, plugin: Any, policy: Any) -> None:
    made = make(server, policy)
    got = server.client(responders(policy)[0]).escalation(made.id).ok(200)
    assert got["id"] == made.id and got["escalation_post_id"] == made.post_id
    assert server.client(responders(policy)[0]).escalation("nosuchescalation").status == 404


def test_refusals_have_precise_statuses(server: Server, plugin: Any, policy: Any) -> None:
    source = community_post(server, "Is the licence changing?")
    staff = server.client(escalator(server, policy))
    assert server.anonymous().escalate(source["id"], TOPIC).status == 401
    unknown = staff.escalate(source["id"], "no-such-topic")
    assert unknown.status == 404 and "error" in unknown.body
    assert staff.escalate("x" * 26, TOPIC).status == 404
    assert staff.escalate(source["id"], TOPIC, note="n" * 1001).status == 400
    bad_json = staff.post(
        f"{PLUGIN_ROUTE}/escalations", raw=b"{not json", content_type="application/json"
    )
    assert bad_json.status == 400
    wrong_type = staff.post(
        f"{PLUGIN_ROUTE}/escalations",
        raw=json.dumps({"post_id": source["id"], "topic": TOPIC}).encode(),
        content_type="text/plain",
    )
    assert wrong_type.status == 415
    assert staff.get(f"{PLUGIN_ROUTE}/no-such-route").status == 404
    wrong_method = staff.request("DELETE", f"{PLUGIN_ROUTE}/escalations")
    assert wrong_method.status == 405


def test_a_user_cannot_escalate_a_post_they_cannot_read(
    server: Server, plugin: Any, policy: Any
) -> None:
    staff_name = server.env["staff"][0]
    private_post = server.client(staff_name).create_post(
        server.channel_id("private"), "Internal: pricing discussion"
    )
    community = server.client(server.env["community"][0])
    assert community.escalate(private_post["id"], TOPIC).status == 403


def test_an_escalation_post_cannot_be_escalated(server: Server, plugin: Any, policy: Any) -> None:
    made = make(server, policy)
    again = server.client(responders(policy)[0]).escalate(made.post_id, "licensing")
    assert again.status == 400


def test_a_client_cannot_claim_an_identity_with_the_user_id_header(
    server: Server, plugin: Any, policy: Any
) -> None:
    """Mattermost drops a client's own Mattermost-User-Id header; only its session counts."""
    source = community_post(server, "Can I get the enterprise features for free?")
    staff_id = server.user_id(escalator(server, policy))
    spoof = {"Mattermost-User-Id": staff_id}
    anonymous = server.anonymous().post(
        f"{PLUGIN_ROUTE}/escalations", {"post_id": source["id"], "topic": TOPIC}, headers=spoof
    )
    assert anonymous.status == 401, anonymous
    private_post = server.client(server.env["staff"][0]).create_post(
        server.channel_id("private"), "Staff only: pricing"
    )
    community = server.client(server.env["community"][0])
    body = {"post_id": private_post["id"], "topic": TOPIC}
    as_staff = community.post(f"{PLUGIN_ROUTE}/escalations", body, headers=spoof)
    assert as_staff.status == 403, "the community user's own identity is used, not the header"
