"""Who may see an escalation: its creator and the escalations channel's members. Nobody else learns
its state, owner or creator -- not through GET, and not by escalating the same post again."""

from __future__ import annotations

from app.emu import World

HIDDEN = ("jason.blais", "alice", "claimed", "owner", "/pl/")


def test_escalating_again_does_not_show_someone_elses_escalation(world: World) -> None:
    post = world.post("a question in town square")
    esc = world.escalate(post.id, "licensing").json()
    assert world.click(esc, "claim", world.uid("jason.blais")).ok
    # a community member who reads town-square, but is neither the creator nor in the channel
    reader = world.host.add_user("curious-reader")
    world.host.add_team_member(world.team.id, reader.id)
    before, roots = world.host.kv_dump(), len(world.bot_roots())

    again = world.escalate(post.id, "licensing", user=reader)
    assert again.status == 409, again.text
    error = again.json()["error"]
    assert "already escalated" in error
    assert not any(word in error for word in HIDDEN), error
    assert set(again.json()) == {"error"}
    assert world.host.kv_dump() == before and len(world.bot_roots()) == roots
    hidden = world.host.http("GET", f"/api/v1/escalations/{esc['id']}", user_id=reader.id)
    assert hidden.status == 404  # the same answer GET gives

    # through the dialog of /escalation new: the same refusal, as the dialog's error
    dialog = world.host.http(
        "POST",
        "/api/v1/dialogs/new",
        user_id=reader.id,
        body={"state": post.id, "submission": {"topic": "licensing"}},
    )
    assert dialog.status == 200
    assert "already escalated" in dialog.json()["error"]
    assert world.host.kv_dump() == before

    # the creator and the channel's members still get the existing escalation
    mine = world.escalate(post.id, "licensing")
    assert mine.status == 200 and mine.json()["owner"] == "jason.blais"
    member = world.escalate(post.id, "licensing", user=world.mallory)
    assert member.status == 200 and member.json()["id"] == esc["id"]
