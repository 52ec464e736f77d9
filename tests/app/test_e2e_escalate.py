"""End to end through the host emulator: escalating (HTTP API, post content, refusals)."""

from __future__ import annotations

import json

import pytest

from app.emu import EVENT, World
from post_reading import (
    OPEN_POST_MAX_LINES,
    headline,
    labelled,
    lines,
    live_mentions,
    mentioned,
    with_roles,
)

NEWER_ROUTES = [
    # topic, responders (policy order), cc, default owner
    (
        "privacy-telemetry",
        ["jason.blais", "katie.wiersgalla", "corey.hulen", "ian.tien"],
        [],
        "jason.blais",
    ),
    (
        "product-gdpr",
        ["daniel.schalla", "nirosha.ruwan", "chen-i.lim", "ian.tien"],
        ["katie.wiersgalla", "kendra.neidziejko"],
        "daniel.schalla",
    ),
    (
        "security-vulnerabilities",
        ["daniel.schalla", "katie.wiersgalla", "corey.hulen"],
        ["ian.tien", "chen-i.lim", "kendra.neidziejko"],
        "daniel.schalla",
    ),
    ("illicit-use", ["nirosha.ruwan", "kendra.neidziejko"], ["ian.tien"], "nirosha.ruwan"),
]


@pytest.mark.parametrize(("topic", "responders", "cc", "owner"), NEWER_ROUTES)
def test_escalation_post_routes_newer_policy(
    world: World, topic: str, responders: list[str], cc: list[str], owner: str
) -> None:
    post = world.post(f"question about {topic}")
    resp = world.escalate(post.id, topic, note="please look")
    assert resp.status == 201, resp.text
    esc = resp.json()
    assert esc["state"] == "open" and esc["default_owner"] == owner and esc["owner"] == owner
    assert esc["acknowledged"] is False
    assert esc["created_by"] == "alice" and esc["post_id"] == post.id
    bot_post = world.host.get_post(esc["escalation_post_id"])
    assert bot_post.channel_id == world.channel.id
    assert world.host.user(bot_post.user_id).is_bot
    assert bot_post.props["community_escalation_id"] == esc["id"]
    message = bot_post.message
    assert len(lines(message)) <= OPEN_POST_MAX_LINES, message
    title = esc["topic_title"]
    assert (
        headline(message)
        == f"**{title}** · Open · Owner: `@{owner}` (default, not acknowledged yet)"
    )
    assert mentioned(labelled(message, "Responders")) == responders
    assert mentioned(labelled(message, "cc")) == cc
    for person in responders + cc:  # each mentioned exactly once; other names are quiet
        assert live_mentions(message, person) == 1, person
    assert message.count(f"@{owner}") == 2  # the owner once as owner, once as a responder
    assert labelled(message, "Note") == "please look"
    assert labelled(message, "Template") == "none yet"
    assert "Keep community end user information secure" not in message  # behind a button
    assert post.id in lines(message)[1] and "`@alice`" in lines(message)[1]
    assert esc["permalink"].endswith(f"/private-core/pl/{bot_post.id}")
    # confirmation to the escalating user, in the original channel; alice is not in the
    # (private) escalations channel, so no link into it: it would be dead for her
    notes = [e for e in world.host.ephemerals(world.alice.id) if f"**{title}**" in e.message]
    assert notes and notes[-1].channel_id == world.town.id
    first, summary = notes[-1].message.split("\n")
    assert f"(`/escalation show {esc['id'][:7]}` follows it)" in first
    assert summary.startswith("Redaction: ")
    assert esc["permalink"] not in notes[-1].message and "/escalation mine" in first
    assert world.host.user(notes[-1].user_id).is_bot  # from the bot, shown to alice only
    events = [e for e in world.host.ws_events(EVENT) if e.payload["escalation_id"] == esc["id"]]
    assert events and events[-1].payload["state"] == "open" and events[-1].payload["owner"] == owner
    # to the escalations channel's members, and to alice, who is not one of them
    audiences = {
        (e.broadcast.get("channel_id") or "", e.broadcast.get("user_id") or "") for e in events
    }
    assert audiences == {(world.channel.id, ""), ("", world.alice.id)}


def test_topics_endpoint(world: World) -> None:
    resp = world.host.http("GET", "/api/v1/topics", user_id=world.alice.id)
    assert resp.status == 200
    data = resp.json()
    assert data["policy"]["version"] == "2020-community-response"
    assert "feature requests" in data["non_sensitive_guidance"]
    keys = [t["key"] for t in data["topics"]]
    assert keys[0] == "privacy-telemetry" and len(keys) == 9
    pt = data["topics"][0]
    assert pt["default_owner"] == {"username": "jason.blais", "display_name": "Jason Blais"}
    assert pt["template_response"] is None
    assert pt["loop_in"] == []  # CEO is already a responder; CRO has nobody


def test_duplicate_escalation_returns_existing(world: World) -> None:
    post = world.post()
    first = world.escalate(post.id, "licensing")
    roots = len(world.bot_roots())
    again = world.escalate(post.id, "licensing")
    assert (first.status, again.status) == (201, 200)
    assert again.json()["id"] == first.json()["id"]
    assert len(world.bot_roots()) == roots


def test_get_escalation(world: World) -> None:
    esc = world.escalate(world.post().id, "packaging").json()
    assert world.record(esc["id"]) == esc
    member = world.host.http("GET", f"/api/v1/escalations/{esc['id']}", user_id=world.mallory.id)
    assert member.status == 200  # in the escalations channel
    outsider = world.host.add_user("outsider-get")
    hidden = world.host.http("GET", f"/api/v1/escalations/{esc['id']}", user_id=outsider.id)
    assert hidden.status == 404
    assert (
        world.host.http("GET", "/api/v1/escalations/" + "z" * 26, user_id=world.alice.id).status
        == 404
    )


def test_private_channel_post_escalated_by_non_member(world: World) -> None:
    secret_post = world.post("secret stuff 10.1.1.1", channel=world.secret)
    roots = len(world.bot_roots())
    keys = set(world.host.kv_dump())
    resp = world.escalate(secret_post.id, "licensing", user=world.mallory)
    assert resp.status == 403
    assert "error" in resp.json()
    assert len(world.bot_roots()) == roots
    assert set(world.host.kv_dump()) == keys
    assert all("secret stuff" not in p.message for p in world.host.posts(world.channel.id))
    # a member may
    assert world.escalate(secret_post.id, "licensing").status == 201


def test_deleted_post(world: World) -> None:
    post = world.post()
    world.host.delete_post(post.id)
    resp = world.escalate(post.id, "licensing")
    assert resp.status == 404 and resp.json()["error"]


def test_unknown_topic(world: World) -> None:
    resp = world.escalate(world.post().id, "not-a-topic")
    assert resp.status == 404 and "not-a-topic" in resp.json()["error"]


def test_escalating_an_escalation_post_is_refused(world: World) -> None:
    esc = world.escalate(world.post().id, "licensing").json()
    ian = world.people["ian.tien"]
    resp = world.escalate(esc["escalation_post_id"], "licensing", user=ian)
    assert resp.status == 400


@pytest.mark.parametrize(
    ("body", "headers", "status"),
    [
        (b"{not json", {"Content-Type": "application/json"}, 400),
        (b"[1, 2]", {"Content-Type": "application/json"}, 400),
        (b'{"topic": "licensing"}', {"Content-Type": "application/json"}, 400),
        (b'{"post_id": 7, "topic": "licensing"}', {"Content-Type": "application/json"}, 400),
        (b'{"post_id": "short", "topic": "licensing"}', {"Content-Type": "application/json"}, 400),
        (b'{"post_id": "x"}', {"Content-Type": "text/plain"}, 415),
        (b"x" * (64 * 1024 + 1), {"Content-Type": "application/json"}, 413),
    ],
    ids=["malformed", "not-object", "missing", "mistyped", "bad-id", "content-type", "oversized"],
)
def test_bad_requests(world: World, body: bytes, headers: dict[str, str], status: int) -> None:
    resp = world.host.http(
        "POST", "/api/v1/escalations", user_id=world.alice.id, body=body, headers=headers
    )
    assert resp.status == status, resp.text
    assert isinstance(resp.json()["error"], str)


def test_note_over_cap(world: World) -> None:
    resp = world.escalate(world.post().id, "licensing", note="n" * 1001)
    assert resp.status == 400


def test_unauthenticated_and_wrong_method(world: World) -> None:
    assert world.host.http("GET", "/api/v1/topics").status == 401
    wrong = world.host.http("DELETE", "/api/v1/topics", user_id=world.alice.id)
    assert wrong.status == 405 and "GET" in (wrong.header("Allow") or "")
    assert world.host.http("GET", "/api/v1/nope", user_id=world.alice.id).status == 404


def test_header_body_user_mismatch(world: World) -> None:
    post = world.post()
    body = {"post_id": post.id, "topic": "licensing", "user_id": world.mallory.id}
    resp = world.host.http("POST", "/api/v1/escalations", user_id=world.alice.id, body=body)
    assert resp.status == 403
    assert world.escalate(post.id, "licensing").status == 201  # nothing was created before


def test_redaction_of_each_kind(world: World) -> None:
    secrets = {
        "[ip-address]": ["10.20.30.40", "2001:db8::7"],
        "[email]": ["jane.doe@example.org"],
        "[url]": ["https://forum.example.net/t/123"],
        "[domain]": ["db01.customer-corp.com"],
        "[phone]": ["+1 415 555 0100"],
        "[secret]": ["ghp_abcdefghijklmnopqrstuvwxyz0123", "hunter2"],
    }
    text = (
        "Our server 10.20.30.40 (and 2001:db8::7) fails. Mail jane.doe@example.org, see "
        "https://forum.example.net/t/123, host db01.customer-corp.com, call +1 415 555 0100, "
        "token ghp_abcdefghijklmnopqrstuvwxyz0123 password=hunter2"
    )
    esc = world.escalate(world.post(text).id, "security-vulnerabilities").json()
    message = world.host.get_post(esc["escalation_post_id"]).message
    for label, originals in secrets.items():
        assert label in message
        for original in originals:
            assert original not in message
    assert not any(original in json.dumps(world.host.kv_dump(), default=str)
                   for values in secrets.values() for original in values)  # fmt: skip


def test_excerpt_cannot_mention_people(world: World) -> None:
    esc = world.escalate(world.post("hey @channel and @ian.tien").id, "licensing").json()
    message = world.host.get_post(esc["escalation_post_id"]).message
    assert "@channel" not in message
    assert "> hey @\u200dchannel" in message


ROLES = [
    # topic, responders line, cc line (None: no cc line)
    (
        "privacy-telemetry",
        {
            "jason.blais": "Dr. Program Management",
            "katie.wiersgalla": "Lead PM",
            "corey.hulen": "CTO",
            "ian.tien": "CEO",
        },
        {"CRO": "nobody in this role"},
    ),
    (
        "product-gdpr",
        {
            "daniel.schalla": "Head of Security",
            "nirosha.ruwan": "VP Legal",
            "chen-i.lim": "VP Product",
            "ian.tien": "CEO",
            "CRO": "nobody in this role",
        },
        {"katie.wiersgalla": "Lead PM", "kendra.neidziejko": "CFO"},
    ),
    ("workplace-policies", {"natalie.jew": "VP HR", "nirosha.ruwan": "VP Legal"}, None),
]


@pytest.mark.parametrize(("topic", "responders", "cc"), ROLES)
def test_the_post_names_roles_and_the_roles_with_nobody(
    world: World, topic: str, responders: dict[str, str], cc: dict[str, str] | None
) -> None:
    esc = world.escalate(world.post().id, topic).json()
    message = world.host.get_post(esc["escalation_post_id"]).message
    assert with_roles(labelled(message, "Responders")) == responders
    cc_line = labelled(message, "cc")
    assert (with_roles(cc_line) if cc is not None else cc_line) == cc


def test_the_response_tips_are_one_click_away(world: World) -> None:
    esc = world.escalate(world.post().id, "licensing").json()
    # anyone in the escalations channel may read them, not only the topic's responders
    result = world.click(esc, "tips", world.uid("natalie.jew"))
    text = (result.response or {}).get("ephemeral_text", "")
    assert text.startswith("**Before you respond:**"), text
    assert "**Keep community end user information secure**:" in text
    # reading the tips changes nothing and says nothing in the thread
    assert world.record(esc["id"])["state"] == "open"
    assert len(world.host.thread(esc["escalation_post_id"])) == 1
