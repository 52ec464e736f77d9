"""The `/escalation` slash command through ``POST /api/v4/commands/execute``.

Mattermost returns the plugin's ``CommandResponse`` as the HTTP body (``text``,
``response_type``), so the texts are read straight from the reply.
"""

from __future__ import annotations

import re
from typing import Any

from e2e.flows import escalator, make, responders
from e2e.mmapi import Reply, Server


def run(server: Server, who: str, channel_id: str, text: str) -> Reply:
    reply = server.client(who).command(channel_id, text, server.team_id)
    assert reply.status == 200, reply
    return reply


def text_of(reply: Reply) -> str:
    return str((reply.body or {}).get("text") or "")


LIST_CAP = 25


def open_count(listing: str) -> int:
    """N from the listing's "Open escalations (N)" header (0 when there is none)."""
    match = re.search(r"\((\d+)\)", listing.splitlines()[0] if listing else "")
    return int(match.group(1)) if match else 0


def test_help_lists_the_subcommands(server: Server, plugin: Any) -> None:
    reply = run(server, server.env["community"][0], server.channel_id("public"), "/escalation help")
    text = text_of(reply)
    for word in ("list", "show", "policy"):
        assert word in text, text


def test_list_and_show_for_a_responder(
    server: Server, plugin: Any, policy: Any, escalations_channel: dict[str, Any]
) -> None:
    who = responders(policy)[0]
    before = open_count(text_of(run(server, who, escalations_channel["id"], "/escalation list")))
    made = make(server, policy)
    listing = text_of(run(server, who, escalations_channel["id"], "/escalation list"))
    # The server keeps escalations of earlier runs; the listing is capped, so the new one is
    # checked through the count, and by id when the cap leaves room for it.
    assert open_count(listing) == before + 1, listing
    assert made.id not in listing, "short references, not 26-character ids"
    ref = made.id[:7]
    title = made.escalation["topic_title"]
    source = "~" + server.env["channels"]["public"]["name"]
    if before + 1 <= LIST_CAP:
        line = next(line for line in listing.splitlines() if ref in line)
        # what, whose, how old, what it says, where from, who escalated it
        assert line.startswith(f"- `{ref}` [{title}]("), line
        assert "owner `@" in line and " old: “Community question " in line, line
        assert line.endswith(f"from {source}, escalated by `@{escalator(server, policy)}`"), line
    shown = text_of(run(server, who, escalations_channel["id"], f"/escalation show {ref}"))
    owner = made.escalation["owner"]
    assert shown.startswith(
        f"**{title}** escalation `{ref}` is open, owner `@{owner}` (default, not acknowledged yet)"
    ), shown
    assert f"`@{made.escalation['created_by']}` escalated it from {source}" in shown, shown
    assert "**History:**" in shown and ": `@" in shown.splitlines()[-1]


def test_policy_shows_the_active_policy(server: Server, plugin: Any, policy: Any) -> None:
    who = responders(policy)[0]
    text = text_of(run(server, who, server.channel_id("public"), "/escalation policy"))
    assert policy.version in text or policy.title in text, text
    # the bundled policy's CRO maps nobody: said once, with where it matters
    assert "- CRO (nobody in this role): approved responder of " in text, text


def test_help_tips(server: Server, plugin: Any, policy: Any) -> None:
    who = responders(policy)[0]
    text = text_of(run(server, who, server.channel_id("public"), "/escalation help tips"))
    assert text.startswith("**Before you respond:**"), text
    assert all(f"**{tip.title}**" in text for tip in policy.response_tips)


def test_list_is_refused_to_a_community_user(server: Server, plugin: Any, policy: Any) -> None:
    made = make(server, policy)
    reply = run(server, server.env["community"][0], server.channel_id("public"), "/escalation list")
    assert reply.body.get("response_type", "ephemeral") == "ephemeral"
    assert made.id not in text_of(reply)
    assert made.post_id not in text_of(reply)
