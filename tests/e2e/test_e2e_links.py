"""Escalating a link raised outside Mattermost on the real server: ``/escalation new <link>``
opens the link dialog (``open_dialog`` on the user's WebSocket), its submission through
``POST /api/v4/actions/dialogs/submit`` escalates once per (normalised link, topic); the plugin's
``POST /api/v1/escalations/links`` does the same for the webapp.

The server keeps what earlier runs made, so every link here is new to this run.
"""

from __future__ import annotations

import json
import random
from typing import Any

from e2e.flows import TOPIC, escalator
from e2e.mmapi import PLUGIN_ROUTE, Client, Server
from e2e.mmws import EventStream


def _issue() -> str:
    return f"https://github.com/mattermost/mattermost/issues/{random.randrange(10**9)}"


def _dialog_for(server: Server, who: str, text: str) -> dict[str, Any]:
    """Run ``text`` as ``who`` and return the dialog request the server pushed to them."""
    stream = EventStream(server.url, server.env["users"][who]["token"])
    try:
        stream.wait_for(lambda e: e.get("event") == "hello")
        reply = server.client(who).command(server.channel_id("public"), text, server.team_id)
        assert reply.status == 200 and not (reply.body or {}).get("text"), reply
        event = stream.wait_for(lambda e: e.get("event") == "open_dialog")
    finally:
        stream.close()
    return dict(json.loads(event["data"]["dialog"]))


def _submit(server: Server, who: str, request: dict[str, Any], fields: dict[str, str]) -> Any:
    dialog = request["dialog"]
    body = {
        "url": request["url"],
        "callback_id": dialog.get("callback_id", ""),
        "state": dialog.get("state", ""),
        "user_id": server.user_id(who),
        "channel_id": server.channel_id("public"),
        "team_id": server.team_id,
        "submission": fields,
        "cancelled": False,
    }
    reply = server.client(who).post("/api/v4/actions/dialogs/submit", body)
    assert reply.status == 200, reply
    return reply.body or {}


def _roots_with(admin: Client, channel_id: str, text: str) -> list[dict[str, Any]]:
    posts = admin.channel_posts(channel_id)
    return [p for p in posts if not p.get("root_id") and text in p["message"]]


def test_command_escalates_a_github_link_once(
    server: Server, plugin: Any, policy: Any, escalations_channel: dict[str, Any]
) -> None:
    issue = _issue()
    who = escalator(server, policy)
    request = _dialog_for(server, who, f"/escalation new {issue}/?utm_source=forum#top")
    dialog = request["dialog"]
    assert dialog["state"] == issue
    assert [e["name"] for e in dialog["elements"]] == ["topic", "summary", "note"]
    fields = {"topic": TOPIC, "summary": "Telemetry question, reporter at jane@example.org"}
    answer = _submit(server, who, request, fields)
    assert not answer.get("errors") and not answer.get("error"), answer
    posted = _roots_with(server.admin, escalations_channel["id"], issue)
    assert len(posted) == 1, posted
    message = posted[0]["message"]
    assert f"from outside Mattermost · {issue} · ref `" in message
    assert "jane@example.org" not in message and "[email]" in message
    # The same link and topic again, written differently: the existing escalation.
    again = _submit(
        server,
        who,
        _dialog_for(server, who, f"/escalation new {issue.upper()[:19]}{issue[19:]}"),
        fields,
    )
    assert str(again.get("error", "")).startswith("This link is already escalated under "), again
    same = server.client(who).post(
        f"{PLUGIN_ROUTE}/escalations/links", {"url": issue + "#x", "topic": TOPIC, "summary": "s"}
    )
    assert same.status == 200, same
    assert len(_roots_with(server.admin, escalations_channel["id"], issue)) == 1


def test_a_link_outside_the_allow_list_is_redacted(
    server: Server, plugin: Any, policy: Any, escalations_channel: dict[str, Any]
) -> None:
    secret = f"https://tracker.example.gg/ticket/{random.randrange(10**9)}"
    who = escalator(server, policy)
    body = {"url": secret, "topic": TOPIC, "summary": "a ticket on our own tracker"}
    reply = server.client(who).post(f"{PLUGIN_ROUTE}/escalations/links", body)
    assert reply.status == 201, reply
    esc = reply.body
    assert esc["source_url"] == "[url]" and esc["post_id"] == ""
    post = server.admin.get_post(esc["escalation_post_id"]).ok(200)
    assert (
        "example.gg" not in post["message"] and "outside Mattermost · \\[url] ·" in post["message"]
    )


def test_bad_links_get_a_clear_error(server: Server, plugin: Any, policy: Any) -> None:
    who = escalator(server, policy)
    client = server.client(who)
    for link, says in (
        ("ftp://example.org/file", "Only http and https"),
        ("nonsense", "not a link"),
    ):
        reply = client.command(
            server.channel_id("public"), f"/escalation new {link}", server.team_id
        )
        assert reply.status == 200 and says in str((reply.body or {}).get("text")), reply
    bad = client.post(
        f"{PLUGIN_ROUTE}/escalations/links",
        {"url": "https://user:pw@github.com/x", "topic": TOPIC, "summary": "s"},
    )
    assert bad.status == 400 and "user name and password" in bad.body["error"], bad
