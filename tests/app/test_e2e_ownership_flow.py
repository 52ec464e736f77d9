"""Ownership and closing the loop through the real process boundary (host emulator): the default
owner from the start, take-over, the direct messages, the "Resolve: responded" dialog,
``/escalation mine`` and the list's filters."""

from __future__ import annotations

from app.emu import World


def direct_messages(world: World, user_id: str) -> list[str]:
    """Messages in the direct channels of ``user_id`` (the bot's direct messages to them)."""
    channels = {
        c.id
        for c in world.host.state.directory.channels.values()
        if c.type == "D" and user_id in c.name
    }
    return [p.message for p in world.host.posts() if p.channel_id in channels]


def test_default_owner_take_over_and_the_escalators_messages(world: World) -> None:
    esc = world.escalate(world.post().id, "licensing").json()
    assert esc["owner"] == "jason.blais" and esc["acknowledged"] is False
    confirmation = world.host.ephemerals(world.alice.id)[-1].message
    assert "/escalation mine" in confirmation and esc["permalink"] not in confirmation
    post = world.host.get_post(esc["escalation_post_id"])
    assert "Owner: `@jason.blais` (default, not acknowledged yet)" in post.message

    ian = world.uid("ian.tien")
    assert world.click(esc, "claim", ian).ok
    rec = world.record(esc["id"])
    assert rec["owner"] == "ian.tien" and rec["acknowledged"] is True
    [told] = direct_messages(world, world.uid("jason.blais"))
    assert "@ian.tien took over the Licensing escalation you owned" in told
    assert "was taken over by @ian.tien" in direct_messages(world, world.alice.id)[-1]
    event = [e for e in world.host.ws_events("escalation_updated")
             if e.payload["escalation_id"] == esc["id"]][-1]  # fmt: skip
    assert event.payload["owner"] == "ian.tien" and event.payload["acknowledged"] == "true"

    assert world.click(esc, "resolveresponded", ian).ok
    assert world.record(esc["id"])["state"] == "claimed"  # the dialog asks for the answer first
    empty = world.host.submit_dialog(ian, {"response": "  "})
    assert empty.errors == {"response": "Give the link or the text."}
    world.host.submit_dialog(ian, {"response": "https://forum.example.com/t/42"})
    rec = world.record(esc["id"])
    assert rec["state"] == "resolved" and rec["response"] == "https://forum.example.com/t/42"
    final = world.host.get_post(esc["escalation_post_id"]).props["attachments"][0]["text"]
    assert "**Response:** https://forum.example.com/t/42" in final  # a link stays a link
    last = direct_messages(world, world.alice.id)[-1]
    assert "resolved by @ian.tien: responded" in last and "forum.example.com/t/42" in last

    mine = world.host.command(world.alice.id, world.town.id, "/escalation mine").text
    assert "resolved by @ian.tien (responded)" in mine
    assert esc["permalink"] not in mine
    shown = world.host.command(ian, world.channel.id, f"/escalation show {esc['id']}").text
    assert "**Response:** https://forum.example.com/t/42" in shown


def test_a_stranger_cannot_resolve_through_the_dialog(world: World) -> None:
    esc = world.escalate(world.post().id, "licensing").json()
    result = world.host.http(
        "POST", "/api/v1/dialogs/resolve", user_id=world.mallory.id,
        body={"state": esc["id"], "submission": {"response": "x"}, "user_id": world.mallory.id},
    )  # fmt: skip
    assert result.status == 200 and "Only the approved responders" in result.json()["error"]
    assert world.record(esc["id"])["state"] == "open"


def test_list_filters_through_the_command(world: World) -> None:
    jason = world.uid("jason.blais")
    gdpr = world.escalate(world.post().id, "product-gdpr").json()
    world.click(gdpr, "claim", world.uid("daniel.schalla"))
    text = world.host.command(jason, world.channel.id, "/escalation list mine").text
    ref = gdpr["id"][:7]
    assert "owner `@jason.blais` (default, not acknowledged yet)" in text and ref not in text
    unowned = world.host.command(jason, world.channel.id, "/escalation list unowned").text
    assert ref not in unowned
    topic = world.host.command(jason, world.channel.id, "/escalation list topic product-gdpr")
    assert ref in topic.text and "owner `@daniel.schalla`," in topic.text
    refused = world.host.command(world.alice.id, world.town.id, "/escalation list").text
    assert "Only the people of the escalation policy" in refused
