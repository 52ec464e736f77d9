"""The plugin's WebSocket event reaches a responder's real Mattermost WebSocket.

docs/http-api.md: every change publishes ``custom_community-escalations_escalation_updated`` with
``{escalation_id, state, owner, acknowledged, topic, escalation_post_id}`` (all strings; ``owner``
is the default owner from the start, ``""`` only when the topic has nobody who can be mentioned).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from e2e.flows import TOPIC, escalator, make, outsider_in_channel, responders
from e2e.mmapi import PLUGIN_ID, Server
from e2e.mmws import EventStream

EVENT = f"custom_{PLUGIN_ID}_escalation_updated"


@pytest.fixture
def responder_events(server: Server, policy: Any) -> Iterator[EventStream]:
    name = responders(policy)[0]
    stream = EventStream(server.url, server.env["users"][name]["token"])
    stream.wait_for(lambda e: e.get("event") == "hello")
    yield stream
    stream.close()


def test_escalate_and_claim_publish_updates(
    server: Server, plugin: Any, policy: Any, responder_events: EventStream
) -> None:
    made = make(server, policy)

    def update(state: str) -> Any:
        return lambda e: (
            e.get("event") == EVENT
            and e.get("data", {}).get("escalation_id") == made.id
            and e["data"].get("state") == state
        )

    opened = responder_events.wait_for(update("open"))["data"]
    assert opened == {
        "escalation_id": made.id,
        "state": "open",
        "owner": responders(policy)[0],
        "acknowledged": "false",
        "topic": TOPIC,
        "escalation_post_id": made.post_id,
    }
    owner = responders(policy)[1]
    assert server.client(owner).press(made.post_id, "claim").status == 200
    claimed = responder_events.wait_for(update("claimed"))["data"]
    assert claimed["owner"] == owner and claimed["acknowledged"] == "true"


def ephemeral_text(event: dict[str, Any]) -> str:
    if event.get("event") != "ephemeral_message":
        return ""
    post = json.loads(event["data"]["post"])
    return str(post.get("message") or "")


def test_refusals_and_confirmations_arrive_as_ephemeral_posts(
    server: Server, plugin: Any, policy: Any
) -> None:
    """What the REST replies cannot show: the escalator's confirmation (with the short reference
    to follow it; the permalink only for members of the escalations channel), and a
    non-responder's refusal, both as ephemeral posts on the user's own socket."""
    who = escalator(server, policy)
    outsider = outsider_in_channel(policy)
    mine = EventStream(server.url, server.env["users"][who]["token"])
    theirs = EventStream(server.url, server.env["users"][outsider]["token"])
    try:
        for stream in (mine, theirs):
            stream.wait_for(lambda e: e.get("event") == "hello")
        made = make(server, policy, by=who)
        follow = f"/escalation show {made.escalation['id'][:7]}"
        confirmation = mine.wait_for(lambda e: follow in ephemeral_text(e))
        assert "Privacy/Telemetry" in ephemeral_text(confirmation)

        assert server.client(outsider).press(made.post_id, "claim").status == 200
        refusal = theirs.wait_for(lambda e: bool(ephemeral_text(e)))
        assert "responder" in ephemeral_text(refusal).lower(), ephemeral_text(refusal)
    finally:
        mine.close()
        theirs.close()


def test_the_response_tips_button_answers_the_presser_alone(
    server: Server, plugin: Any, policy: Any
) -> None:
    """The tips are one click away instead of repeated in every post."""
    made = make(server, policy)
    reader = outsider_in_channel(policy)  # in the channel, not a responder of the topic
    stream = EventStream(server.url, server.env["users"][reader]["token"])
    try:
        stream.wait_for(lambda e: e.get("event") == "hello")
        assert server.client(reader).press(made.post_id, "tips").status == 200
        tips = ephemeral_text(stream.wait_for(lambda e: bool(ephemeral_text(e))))
    finally:
        stream.close()
    assert tips.startswith("**Before you respond:**"), tips
    for tip in policy.response_tips:
        assert f"**{tip.title}**" in tips
    assert (
        "Keep community end user information secure"
        not in server.admin.get_post(made.post_id).ok(200)["message"]
    )
