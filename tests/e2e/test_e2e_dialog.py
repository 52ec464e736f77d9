"""`/escalation new <permalink>` opens an interactive dialog; submitting it escalates.

On a real server the dialog reaches the user as an ``open_dialog`` WebSocket event (the webapp
renders it); the client submits it with ``POST /api/v4/actions/dialogs/submit``, which Mattermost
forwards to the plugin's dialog URL with the server-set user id.
"""

from __future__ import annotations

import json
from typing import Any

from e2e.flows import TOPIC, escalator, people_with_roles
from e2e.mmapi import Server
from e2e.mmws import EventStream
from e2e.ops import community_post
from post_reading import with_roles


def test_new_command_dialog_submission_escalates(server: Server, plugin: Any, policy: Any) -> None:
    source = community_post(server, "Does the product phone home? Asking for my company.")
    who = escalator(server, policy)
    client = server.client(who)
    stream = EventStream(server.url, server.env["users"][who]["token"])
    try:
        stream.wait_for(lambda e: e.get("event") == "hello")
        permalink = f"{server.url}/{server.env['team']['name']}/pl/{source['id']}"
        command = client.command(server.channel_id("public"), f"/escalation new {permalink}")
        assert command.status == 200, command
        event = stream.wait_for(lambda e: e.get("event") == "open_dialog")
    finally:
        stream.close()
    request = json.loads(event["data"]["dialog"])
    dialog = request["dialog"]
    names = {element["name"] for element in dialog["elements"]}
    assert "topic" in names, dialog
    topic_element = next(e for e in dialog["elements"] if e["name"] == "topic")
    assert TOPIC in {option["value"] for option in topic_element["options"]}
    # the same "who will be paged" preview as the Escalate modal, empty roles included
    preview = dialog["introduction_text"].splitlines()
    assert "**Who will be paged:**" in preview
    for topic in policy.topics:
        line = next(line for line in preview if line.startswith(f"- **{topic.title}**: "))
        responders, _, cc = line.split(": ", 1)[1].partition("; cc: ")
        assert with_roles(responders) == people_with_roles(policy, topic.key), line
        assert with_roles(cc) == people_with_roles(policy, topic.key, cc=True), line

    submission: dict[str, Any] = {"topic": TOPIC}
    if "note" in names:
        submission["note"] = "Escalated through the dialog"
    submission_body = {
        "url": request["url"],
        "callback_id": dialog.get("callback_id", ""),
        "state": dialog.get("state", ""),
        "user_id": server.user_id(who),
        "channel_id": server.channel_id("public"),
        "team_id": server.team_id,
        "submission": submission,
        "cancelled": False,
    }
    reply = client.post("/api/v4/actions/dialogs/submit", submission_body)
    assert reply.status == 200, reply
    assert not (reply.body or {}).get("errors"), reply.body
    assert not (reply.body or {}).get("error"), reply.body
    # submitting the same post again gets a clear answer instead of a silently closed dialog
    twice = client.post("/api/v4/actions/dialogs/submit", submission_body)
    assert twice.status == 200, twice
    error = str((twice.body or {}).get("error") or "")
    assert error.startswith("This post is already escalated under "), twice.body
    # The dialog created it: escalating the same pair now finds the existing escalation.
    again = client.escalate(source["id"], TOPIC)
    assert again.status == 200, again
    assert again.body["post_id"] == source["id"] and again.body["created_by"] == who
