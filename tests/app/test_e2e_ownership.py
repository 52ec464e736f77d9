"""End to end through the host emulator: claim, assign, release, resolve, and who may."""

from __future__ import annotations

from app.emu import EVENT, World
from hostemu import ClickResult
from post_reading import OPEN_POST_MAX_LINES, attachment_text, headline, lines, mentioned


def ephemeral_text(result: ClickResult) -> str:
    return str((result.response or {}).get("ephemeral_text", ""))


def test_claim_assign_release_resolve(world: World) -> None:
    esc = world.escalate(world.post().id, "licensing").json()
    post_id = esc["escalation_post_id"]
    roots = len(world.bot_roots())
    jason, ian = world.uid("jason.blais"), world.uid("ian.tien")

    claimed = world.click(esc, "claim", jason)
    assert claimed.ok and not ephemeral_text(claimed)
    assert world.record(esc["id"])["owner"] == "jason.blais"
    post = world.host.get_post(post_id)
    assert headline(post.message) == "**Licensing** · Claimed · Owner: `@jason.blais`"
    assert "default" not in post.message  # the claimed post never names another owner
    assert len(lines(post.message)) <= OPEN_POST_MAX_LINES
    ids = [a["id"] for a in post.props["attachments"][0]["actions"]]
    assert ids == ["assign", "release", "resolveresponded", "resolvenoresponse", "tips"]

    assigned = world.click(esc, "assign", jason, option="ian.tien")
    assert assigned.ok and world.record(esc["id"])["owner"] == "ian.tien"
    assert world.record(esc["id"])["acknowledged"] is False  # until ian.tien claims it

    released = world.click(esc, "release", ian)
    assert released.ok
    rec = world.record(esc["id"])
    # back with the default owner, who has to acknowledge it again
    assert rec["state"] == "open" and rec["owner"] == "jason.blais" and not rec["acknowledged"]
    assert [a["id"] for a in world.host.get_post(post_id).props["attachments"][0]["actions"]][
        0
    ] == "claim"

    resolved = world.click(esc, "resolvenoresponse", jason)
    assert resolved.ok
    rec = world.record(esc["id"])
    assert rec["state"] == "resolved" and rec["outcome"] == "no_response_needed"
    final = world.host.get_post(post_id)
    assert final.props["attachments"][0]["actions"] == []
    # collapsed: one summary line, and the outcome beside the state's colour
    [summary] = lines(final.message)
    assert summary.startswith("**Licensing** · Resolved · Escalated by `@alice` from ~town-square")
    assert f"ref `{esc['id'][:7]}`" in summary
    outcome = attachment_text(final.props)
    assert outcome == "**Outcome:** no response needed, by `@jason.blais`"
    assert mentioned(final.message) == []

    # edited in place: still one root post; each change replied in the thread
    assert len(world.bot_roots()) == roots
    replies = [p.message for p in world.host.thread(post_id)[1:]]
    assert len(replies) == 4
    assert replies[0].startswith("`@jason.blais` claimed this escalation. (")
    assert replies[1].startswith("`@jason.blais` assigned this escalation to @ian.tien. (")
    assert replies[2].startswith(
        "`@ian.tien` released this escalation; it is back with its default owner @jason.blais, "
        "not acknowledged yet. ("
    )
    assert replies[3].startswith("`@jason.blais` resolved this escalation: no response needed. (")
    assert all("UTC" in r for r in replies)
    # only the new owner was notified (the default owner it went back to, too), and nobody of
    # their own click
    assert [mentioned(r) for r in replies] == [[], ["ian.tien"], ["jason.blais"], []]
    mine = [e for e in world.host.ws_events(EVENT) if e.payload["escalation_id"] == esc["id"]]
    states = [e.payload["state"] for e in mine if e.broadcast.get("channel_id") == world.channel.id]
    assert states == ["open", "claimed", "open", "open", "resolved"]

    # the history, through /escalation show, in sentences
    shown = world.host.command(jason, world.channel.id, f"/escalation show {esc['id'][:7]}")
    history = [line.split(" UTC: ", 1)[1] for line in lines(shown.text) if " UTC: " in line]
    assert history == [
        "`@alice` escalated it.",
        "`@jason.blais` claimed it.",
        "`@jason.blais` assigned it to `@ian.tien`.",
        "`@ian.tien` released it.",
        "`@jason.blais` resolved it: no response needed.",
    ]
    assert "is resolved: no response needed, by `@jason.blais`" in lines(shown.text)[0]
    assert world.click(esc, "resolveresponded", jason).error is not None  # no buttons left
    again = world.stale_click(esc, "resolve", jason, outcome="responded")
    assert "already resolved" in again


def test_replies_tell_the_owner_who_loses_it_and_never_the_actor(world: World) -> None:
    esc = world.escalate(world.post().id, "licensing").json()
    jason, ian = world.uid("jason.blais"), world.uid("ian.tien")
    world.click(esc, "claim", jason)
    world.click(esc, "assign", ian, option="ian.tien")  # ian takes it from jason
    world.click(esc, "release", jason)  # jason, the default owner, releases ian's
    world.click(esc, "assign", jason, option="ian.tien")  # jason hands it to ian again
    world.click(esc, "release", ian)  # ian releases jason's assignment to him
    world.click(esc, "claim", ian)  # jason has it back, not acknowledged: ian takes it over
    world.click(esc, "resolveresponded", jason)  # jason resolves ian's escalation: the dialog
    world.host.submit_dialog(jason, {"response": "https://forum.example.com/t/7"})
    replies = [p.message for p in world.host.thread(esc["escalation_post_id"])[1:]]
    assert [r.split(" (")[0] for r in replies] == [
        "`@jason.blais` claimed this escalation.",
        "`@ian.tien` took this escalation. @jason.blais, it is no longer yours.",
        "`@jason.blais` released this escalation from @ian.tien; it is back with its default "
        "owner `@jason.blais`, not acknowledged yet.",
        "`@jason.blais` assigned this escalation to @ian.tien.",
        "`@ian.tien` released this escalation; it is back with its default owner @jason.blais, "
        "not acknowledged yet.",
        "`@ian.tien` took over this escalation from @jason.blais.",
        "`@jason.blais` resolved this escalation: responded. @ian.tien, you owned it.",
    ]
    final = world.host.get_post(esc["escalation_post_id"]).props
    assert attachment_text(final) == (
        "**Outcome:** responded, by `@jason.blais` (owner `@ian.tien`)\n"
        "**Response:** https://forum.example.com/t/7"
    )


def test_claim_by_other_responder_is_told_owner(world: World) -> None:
    esc = world.escalate(world.post().id, "licensing").json()
    world.click(esc, "claim", world.uid("jason.blais"))
    second = world.stale_click(esc, "claim", world.uid("ian.tien"))
    assert "already claimed by @jason.blais" in second
    assert world.record(esc["id"])["owner"] == "jason.blais"


def test_assignee_must_be_a_responder(world: World) -> None:
    esc = world.escalate(world.post().id, "licensing").json()
    result = world.click(esc, "assign", world.uid("jason.blais"), option="mallory")
    assert "not an approved responder" in ephemeral_text(result)
    assert world.record(esc["id"])["state"] == "open"


def test_non_responder_presses_each_button(world: World) -> None:
    esc = world.escalate(world.post().id, "licensing").json()
    world.click(esc, "claim", world.uid("jason.blais"))  # so that Release is shown
    before = world.host.get_post(esc["escalation_post_id"])
    thread = len(world.host.thread(esc["escalation_post_id"]))
    record = world.record(esc["id"])
    for action, option in [
        ("assign", "ian.tien"),
        ("release", None),
        ("resolveresponded", None),
        ("resolvenoresponse", None),
    ]:
        result = world.click(esc, action, world.mallory.id, option)
        assert result.ok
        assert "Only the approved responders of Licensing" in ephemeral_text(result), action
    # Claim is only shown while open: press it on a fresh one, and on the claimed one (stale)
    fresh = world.escalate(world.post().id, "licensing").json()
    refused = world.click(fresh, "claim", world.mallory.id)
    assert "Only the approved responders" in ephemeral_text(refused)
    assert world.record(fresh["id"])["state"] == "open"
    assert "Only the approved responders" in world.stale_click(esc, "claim", world.mallory.id)
    assert world.host.get_post(esc["escalation_post_id"]).message == before.message
    assert len(world.host.thread(esc["escalation_post_id"])) == thread
    assert world.record(esc["id"]) == record


def test_action_body_user_mismatch_and_foreign_posts(world: World) -> None:
    esc = world.escalate(world.post().id, "licensing").json()
    jason = world.uid("jason.blais")
    forged = {
        "user_id": world.mallory.id,
        "post_id": esc["escalation_post_id"],
        "context": {"escalation_id": esc["id"], "action": "claim"},
    }
    resp = world.host.http("POST", "/api/v1/actions/claim", user_id=jason, body=forged)
    assert resp.status == 200 and "different user" in resp.json()["ephemeral_text"]
    # a post the bot did not write, carrying a real escalation id in its context
    fake = dict(forged, user_id=jason, post_id=world.post().id)
    resp = world.host.http("POST", "/api/v1/actions/claim", user_id=jason, body=fake)
    assert "not an escalation post" in resp.json()["ephemeral_text"]
    unknown = dict(forged, user_id=jason, context={"escalation_id": "q" * 26})
    resp = world.host.http("POST", "/api/v1/actions/claim", user_id=jason, body=unknown)
    assert "not an escalation post" in resp.json()["ephemeral_text"]
    assert world.record(esc["id"])["state"] == "open"
