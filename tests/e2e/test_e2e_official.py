"""Official responses on the real server: resolve with a response, the topic's response history,
propose it as the template, approve it, and the post of a new escalation shows the approved
template with its placeholders filled in; the topics answer and ``/escalation policy diff`` show it.

The topic is one no other test reads the template of (the approval stays in the server's KV store
between runs: every step below holds whatever an earlier run left).
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from e2e.flows import make, responders, state
from e2e.mmapi import Client, Server
from e2e.mmws import EventStream

TOPIC = "illicit-use"


def command_text(client: Client, channel_id: str, text: str) -> str:
    return str(client.command(channel_id, text).ok(200).get("text") or "")


def resolve_with(server: Server, owner: str, post_id: str, answer: str) -> None:
    """Press "Resolve: responded" and submit ``answer`` in the dialog it opens."""
    stream = EventStream(server.url, server.env["users"][owner]["token"])
    try:
        stream.wait_for(lambda e: e.get("event") == "hello")
        assert server.client(owner).press(post_id, "resolveresponded").status == 200
        event = stream.wait_for(lambda e: e.get("event") == "open_dialog")
    finally:
        stream.close()
    request = json.loads(event["data"]["dialog"])
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


def test_a_response_becomes_the_template_of_new_escalations(
    server: Server, plugin: Any, policy: Any, escalations_channel: dict[str, Any]
) -> None:
    owner = responders(policy, TOPIC)[0]
    made = make(server, policy, TOPIC)
    answer = f"Thanks {{name}}, we do not help with that ({uuid.uuid4().hex[:6]}): {{link}}"
    resolve_with(server, owner, made.post_id, answer)
    assert state(server.client(owner), made.id)["response"] == answer

    channel = escalations_channel["id"]
    history = command_text(server.client(owner), channel, f"/escalation responses {TOPIC}")
    newest = history.splitlines()[1]
    assert newest.startswith("1. ") and f"`@{owner}`" in newest, history
    assert made.escalation["permalink"] in newest and answer.split("(")[1][:6] in newest

    proposed = command_text(
        server.client(owner), channel, f"/escalation template propose {TOPIC} 1"
    )
    assert f"**Proposed** by `@{owner}`" in proposed, proposed
    admin_name = server.admin.get("/api/v4/users/me").ok(200)["username"]
    approved = command_text(server.admin, channel, f"/escalation template approve {TOPIC}")
    assert f"Approved in the plugin by `@{admin_name}`" in approved, approved

    topic = next(t for t in server.admin.topics().ok(200)["topics"] if t["key"] == TOPIC)
    assert topic["template_response"] == answer
    assert topic["template_approved"]["by"] == admin_name

    fresh = make(server, policy, TOPIC)
    message = server.admin.get_post(fresh.post_id).ok(200)["message"]
    [line] = [ln for ln in message.splitlines() if ln.startswith("**Template:**")]
    author = fresh.source_post["user_id"]
    name = server.admin.get(f"/api/v4/users/{author}").ok(200)["username"]
    assert f"Thanks @\u200d{name}, we do not help with that" in line, line
    assert f"/pl/{fresh.source_post['id']}" in line and "{link}" not in line
    assert line.endswith(f"(approved by `@{admin_name}`)"), line

    diff = command_text(server.admin, channel, "/escalation policy diff")
    assert (
        "+    template_response: 'Thanks {name}" in diff or "+    template_response: Thanks" in diff
    )
    policy_text = command_text(server.admin, channel, "/escalation policy")
    assert f"- approved in the plugin: {TOPIC} (`@{admin_name}`" in policy_text, policy_text
