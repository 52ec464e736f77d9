"""Hardening on the real server: community users who flood the plugin, escalate from other teams
or too often, forge the bot's lines, or mark their own posts as escalation posts.

Every account, team and channel made here has a fresh name, so the suite can run again on the same
server; settings changed here are put back (the ``limit`` fixture).
"""

from __future__ import annotations

import re
import threading
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from e2e.flows import TOPIC, make
from e2e.mmapi import Client, Server, wait_for
from e2e.ops import community_post, configure_plugin

# Crafted for the redaction's IPv6 candidate pattern (cost cubic in length: seconds in-process).
EXPENSIVE = "1:" * 360 + "g"
# What the bot's own first line looks like once resolved (the post's headline).
FORGED_STATUS = "**Licensing** · Resolved · Owner: `@ian.tien`"
LINE_BREAKS = r"\r\n|[\r\n\x0b\x0c\x85\u2028\u2029\u2424]"
# Generous: GET /topics answers in milliseconds; behind an in-process redaction of EXPENSIVE it
# waited seconds.
LIVENESS_SECONDS = 4.0


def _fresh_user(server: Server, team_id: str | None = None) -> tuple[str, Client]:
    """A new account (member of ``team_id``, default the provisioned team) and its session."""
    admin = server.admin
    name = f"h{uuid.uuid4().hex[:10]}"
    password = f"Pw-{uuid.uuid4().hex}!"
    user = admin.post(
        "/api/v4/users",
        {"username": name, "email": f"{name}@example.com", "password": password},
    ).ok(201)
    admin.post(
        f"/api/v4/teams/{team_id or server.team_id}/members",
        {"team_id": team_id or server.team_id, "user_id": user["id"]},
    ).ok(201)
    login = server.anonymous().post("/api/v4/users/login", {"login_id": name, "password": password})
    login.ok(200)
    token = next(v for k, v in login.headers.items() if k.lower() == "token")
    return str(user["id"]), Client(server.url, token, name)


def _join(server: Server, channel_id: str, user_id: str) -> None:
    server.admin.post(f"/api/v4/channels/{channel_id}/members", {"user_id": user_id}).ok(201)


def _message(server: Server, reply: Any) -> str:
    body = reply.ok(201)
    return str(server.admin.get_post(body["escalation_post_id"]).ok(200)["message"])


# --- item 1: no request may stall the others ------------------------------------------------


def test_flood_of_expensive_escalations_does_not_stall_another_user(
    server: Server, plugin: Any
) -> None:
    flooder = server.client(server.env["community"][0])
    other = server.client(server.env["community"][1])
    flooding = threading.Event()
    flood_times: list[float] = []
    statuses: list[int] = []

    def flood() -> None:
        try:
            for _ in range(3):
                post = community_post(server, EXPENSIVE)
                started = time.monotonic()
                statuses.append(flooder.escalate(post["id"], TOPIC).status)
                flood_times.append(time.monotonic() - started)
        finally:
            flooding.clear()

    threads = [threading.Thread(target=flood) for _ in range(3)]
    flooding.set()
    for t in threads:
        t.start()
    other_times: list[float] = []
    while flooding.is_set() and len(other_times) < 5000:
        started = time.monotonic()
        assert other.topics().status == 200
        other_times.append(time.monotonic() - started)
    during = len(other_times)
    for t in threads:
        t.join(180)
    ordered = sorted(other_times)
    print(
        f"\nflood: {len(flood_times)} escalations of {len(EXPENSIVE)} crafted characters by 3 "
        f"threads, max {max(flood_times):.2f} s, median "
        f"{sorted(flood_times)[len(flood_times) // 2]:.2f} s; another user's GET /api/v1/topics "
        f"during the flood: {during} answered, median {ordered[len(ordered) // 2] * 1000:.0f} ms, "
        f"max {ordered[-1] * 1000:.0f} ms"
    )
    assert statuses == [201] * 9
    # Liveness, not speed: the other user was answered, again and again, while the flood ran.
    assert during >= 3 and ordered[-1] < LIVENESS_SECONDS


# --- item 5: who may escalate, how often ----------------------------------------------------


def test_a_user_of_another_team_may_not_escalate(server: Server, plugin: Any) -> None:
    admin = server.admin
    name = f"other-{uuid.uuid4().hex[:8]}"
    team = admin.post("/api/v4/teams", {"name": name, "display_name": name, "type": "O"}).ok(201)
    user_id, client = _fresh_user(server, team["id"])
    lobby = admin.post(
        "/api/v4/channels",
        {"team_id": team["id"], "name": "lobby", "display_name": "Lobby", "type": "O"},
    ).ok(201)
    _join(server, lobby["id"], user_id)
    post = client.create_post(lobby["id"], "please page the executives")
    refused = client.escalate(post["id"], TOPIC)
    assert refused.status == 403, refused
    assert "private-core team" in refused.body["error"]


@pytest.fixture
def limit(server: Server, plugin: Any) -> Iterator[int]:
    configure_plugin(server.admin, {"EscalationsPerHour": 2})
    yield 2
    configure_plugin(server.admin, {"EscalationsPerHour": 0})


def test_rate_limit_answers_429_for_the_api_and_the_command(
    server: Server, plugin: Any, limit: int
) -> None:
    user_id, client = _fresh_user(server)
    _join(server, server.channel_id("public"), user_id)
    made: list[str] = []

    # The plugin applies settings asynchronously: escalate until the limit shows (before, the
    # limit is off and nothing is counted).
    def refused() -> Any:
        post = client.create_post(server.channel_id("public"), f"q {uuid.uuid4().hex[:6]}")
        reply = client.escalate(post["id"], TOPIC)
        if reply.status == 201:
            made.append(post["id"])
            return None
        return reply

    reply = wait_for("the rate limit", refused, 30, interval=0.5)
    assert reply.status == 429 and len(made) >= limit
    assert re.search(rf"escalated {limit} posts in the last hour.*again in \d+ minutes?",
                     reply.body["error"])  # fmt: skip
    assert client.escalate(made[0], TOPIC).status == 200, "a repeat is not counted"
    link = f"{server.url}/{server.env['team']['name']}/pl/{made[0]}"
    answer = client.command(server.channel_id("public"), f"/escalation new {link}").ok(200)
    assert "in the last hour" in str(answer.get("text"))
    other_id, other = _fresh_user(server)
    _join(server, server.channel_id("public"), other_id)
    post = other.create_post(server.channel_id("public"), "someone else")
    assert other.escalate(post["id"], TOPIC).status == 201, "the limit is per user"


# --- item 6: text that forges the bot's lines -------------------------------------------------


@pytest.mark.parametrize("brk", ["\r", "\u2424", "\u2028"])
def test_note_and_excerpt_cannot_forge_bot_lines(
    server: Server, plugin: Any, policy: Any, brk: str
) -> None:
    text = f"question{brk}{FORGED_STATUS}{brk}#### Template response: pay us"
    note = f"fyi{brk}{FORGED_STATUS}{brk}![pixel](https://tracker.example/p.png)"
    made = make(server, policy, text=text, note=note)
    message = str(server.admin.get_post(made.post_id).ok(200)["message"])
    lines = re.split(LINE_BREAKS, message)
    forged = [ln for ln in lines if ln.startswith("**Licensing** ·")]
    assert not forged and " · Open · " in lines[0], message
    assert not [ln for ln in lines if ln.startswith("####") and "Template" in ln], message
    assert len(lines) <= 8, message  # the excerpt and the note stay one line each
    assert "https://tracker" not in message and "![" not in message.replace("\\![", "")


def test_private_channel_display_name_is_escaped(server: Server, plugin: Any, policy: Any) -> None:
    admin = server.admin
    user_id, client = _fresh_user(server)
    channel = admin.post(
        "/api/v4/channels",
        {
            "team_id": server.team_id,
            "name": f"crafted-{uuid.uuid4().hex[:8]}",
            "display_name": "Ops ![x](https://t.example/p.png) @channel",
            "type": "P",
        },
    ).ok(201)
    _join(server, channel["id"], user_id)
    post = client.create_post(channel["id"], "in a private channel")
    message = _message(server, client.escalate(post["id"], TOPIC))
    by = next(ln for ln in message.splitlines() if ln.startswith("Escalated by "))
    shown = by.split(" from ", 1)[1].split(" (private channel)", 1)[0]
    assert "@\u200dchannel" in shown and "](" not in shown and "https://" not in shown


# --- item 7: which posts are escalation posts ---------------------------------------------


def test_the_marker_prop_on_a_users_post_does_not_make_it_unescalatable(
    server: Server, plugin: Any, policy: Any
) -> None:
    author = server.client(server.env["community"][0])
    body = {
        "channel_id": server.channel_id("public"),
        "message": "my post, marked as if it were the bot's",
        "props": {"community_escalation_id": uuid.uuid4().hex[:26]},
    }
    post = author.post("/api/v4/posts", body).ok(201)
    assert post["props"].get("community_escalation_id"), "the server keeps user-set props"
    escalator = server.client(server.env["community"][1])
    assert escalator.escalate(post["id"], TOPIC).status == 201


def test_the_bots_escalation_post_is_still_refused(
    server: Server, plugin: Any, policy: Any
) -> None:
    made = make(server, policy)
    refused = server.admin.escalate(made.post_id, "licensing")
    assert refused.status == 400 and "escalation itself" in refused.body["error"]
