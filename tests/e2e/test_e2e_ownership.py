"""Ownership and nothing-falls-through on the real server: the default owner from the start, a
take-over and the previous owner's message, the escalator's direct messages, the "Resolve:
responded" dialog, ``/escalation mine``, and one reminder with short intervals."""

from __future__ import annotations

import json
import time
from typing import Any

from e2e.flows import make, replies, responders, state
from e2e.mmapi import Client, Server, wait_for
from e2e.mmws import EventStream
from e2e.ops import community_post, configure_plugin

BOT = "community-escalations"


def direct_messages(server: Server, username: str) -> list[str]:
    """The bot's direct messages to ``username`` (any order)."""
    client = server.client(username)
    bot = client.get(f"/api/v4/users/username/{BOT}").ok(200)
    channel = client.post("/api/v4/channels/direct", [server.user_id(username), bot["id"]])
    posts = client.channel_posts(channel.ok(200, 201)["id"])
    return [p["message"] for p in posts if p["user_id"] == bot["id"]]


def command_text(client: Client, channel_id: str, text: str) -> str:
    return str(client.command(channel_id, text).ok(200).get("text") or "")


def test_default_owner_and_take_over(server: Server, plugin: Any, policy: Any) -> None:
    made = make(server, policy)
    first, second = responders(policy)[:2]
    assert (made.escalation["owner"], made.escalation["acknowledged"]) == (first, False)
    post = server.admin.get_post(made.post_id).ok(200)
    headline = post["message"].splitlines()[0]
    assert headline.endswith(f"Owner: `@{first}` (default, not acknowledged yet)"), headline

    assert server.client(second).press(made.post_id, "claim").status == 200
    esc = state(server.client(first), made.id)
    assert (esc["owner"], esc["acknowledged"]) == (second, True)
    # The thread reply and the message to the previous owner follow the press's answer.
    took_over = f"`@{second}` took over this escalation from @{first}"

    def last_reply_is_the_take_over() -> bool:
        found = replies(server, made)
        return bool(found) and found[-1].startswith(took_over)

    wait_for("the thread reply", last_reply_is_the_take_over, 20)
    link = made.escalation["permalink"]
    told = wait_for(
        "the previous owner's message",
        lambda: [m for m in direct_messages(server, first) if link in m],
        20,
    )
    assert len(told) == 1 and f"@{second} took over" in told[0]


def test_escalators_messages_resolve_dialog_and_mine(
    server: Server, plugin: Any, policy: Any
) -> None:
    escalator = server.env["community"][0]  # not in the escalations channel
    source = community_post(server, "Where do I report a vulnerability?", author=escalator)
    client = server.client(escalator)
    esc = client.escalate(source["id"], "privacy-telemetry").ok(201)
    owner = esc["owner"]
    post_id = esc["escalation_post_id"]

    assert server.client(owner).press(post_id, "claim").status == 200

    def about_this(word: str) -> list[str]:
        return [m for m in direct_messages(server, escalator) if source["id"] in m and word in m]

    wait_for("the escalator's message", lambda: about_this(f"acknowledged by @{owner}"), 20)

    stream = EventStream(server.url, server.env["users"][owner]["token"])
    try:
        stream.wait_for(lambda e: e.get("event") == "hello")
        assert server.client(owner).press(post_id, "resolveresponded").status == 200
        event = stream.wait_for(lambda e: e.get("event") == "open_dialog")
    finally:
        stream.close()
    assert state(client, esc["id"])["state"] == "claimed"  # not resolved before the answer
    request = json.loads(event["data"]["dialog"])
    answer = "https://forum.example.com/t/telemetry/42"
    reply = server.client(owner).post(
        "/api/v4/actions/dialogs/submit",
        {
            "url": request["url"],
            "callback_id": request["dialog"].get("callback_id", ""),
            "state": request["dialog"].get("state", ""),
            "user_id": server.user_id(owner),
            "channel_id": server.channel_id("public"),
            "team_id": server.team_id,
            "submission": {"response": answer},
            "cancelled": False,
        },
    )
    assert reply.status == 200 and not (reply.body or {}).get("errors"), reply
    done = state(client, esc["id"])
    assert (done["state"], done["outcome"], done["response"]) == ("resolved", "responded", answer)
    final = server.admin.get_post(post_id).ok(200)
    assert f"**Response:** {answer}" in final["props"]["attachments"][0]["text"]
    [resolved] = wait_for("the escalator's resolution", lambda: about_this("was resolved by"), 20)
    assert f"@{owner}" in resolved and "responded" in resolved and answer in resolved

    mine = command_text(client, server.channel_id("public"), "/escalation mine")
    assert f"resolved by @{owner} (responded)" in mine, mine
    assert post_id not in mine  # no link into the private escalations channel


def test_one_reminder_with_short_intervals(server: Server, plugin: Any, policy: Any) -> None:
    owner = responders(policy)[0]
    configure_plugin(
        server.admin, {"ReminderMinutes": 0.05, "NextResponderMinutes": 0, "StaleDays": 0}
    )
    try:
        made = make(server, policy)
        link = made.escalation["permalink"]

        def reminders() -> list[str]:
            return [
                m
                for m in direct_messages(server, owner)
                if "waits for you to acknowledge" in m and link in m
            ]

        # the scheduler picks up the short interval at its next tick (at most 30 s), then
        # checks every second
        wait_for("the owner's reminder", lambda: len(reminders()) > 0, 60)
        time.sleep(4)  # several more ticks: still exactly one
        assert len(reminders()) == 1
        record = state(server.client(owner), made.id)
        assert record["state"] == "open"
    finally:
        configure_plugin(
            server.admin, {"ReminderMinutes": 60, "NextResponderMinutes": 120, "StaleDays": 3}
        )
