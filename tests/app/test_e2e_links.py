"""End to end through the host emulator: escalating a link raised outside Mattermost with
``/escalation new <link>`` and its dialog, and with ``POST /api/v1/escalations/links``."""

from __future__ import annotations

from typing import Any

from app.emu import World

ISSUE = "https://github.com/mattermost/mattermost/issues/31337"
LINKS = "/api/v1/escalations/links"


def _post_link(world: World, actor: str, **body: Any) -> Any:
    return world.host.http("POST", LINKS, user_id=actor, body=body)


def _roots_with(world: World, text: str) -> list[str]:
    return [p.message for p in world.bot_roots() if text in p.message]


def test_command_opens_the_link_dialog_and_escalates_once(world: World) -> None:
    link = ISSUE + "/?utm_source=mastodon#issuecomment-7"
    result = world.host.command(world.alice.id, world.town.id, f"/escalation new {link}")
    assert result.error is None and result.text == ""
    dialog = world.host.dialogs(world.alice.id)[-1]
    assert dialog.dialog["state"] == ISSUE
    assert [e["name"] for e in dialog.dialog["elements"]] == ["topic", "summary", "note"]
    assert f"**Link:** {ISSUE}" in dialog.dialog["introduction_text"]
    missing = world.host.submit_dialog(world.alice.id, {"topic": "licensing"}, dialog=dialog)
    assert "summary" in missing.errors
    summary = "Licence question from @jane (jane@example.org) on GitHub"
    done = world.host.submit_dialog(
        world.alice.id,
        {"topic": "licensing", "summary": summary, "note": "raised outside"},
        dialog=dialog,
        channel_id=world.town.id,
    )
    assert done.errors == {} and not (done.response or {}).get("error"), done.response
    world.host.wait_quiet()  # the confirmation follows the answer
    posted = _roots_with(world, ISSUE)
    assert len(posted) == 1
    message = posted[0]
    assert "from outside Mattermost · " + ISSUE in message
    assert "jane@" not in message and "[email]" in message
    assert "@jane" not in message.replace("@\u200djane", "")  # mentions nobody
    assert "**Note:** raised outside" in message
    confirmation = world.host.ephemerals(world.alice.id)[-1].message
    assert "Escalated to the approved responders of **Licensing**" in confirmation
    # The same link and topic again: the existing escalation, nothing posted.
    world.host.command(world.alice.id, world.town.id, f"/escalation new {ISSUE}/")
    again = world.host.submit_dialog(
        world.alice.id, {"topic": "licensing", "summary": "again"}, channel_id=world.town.id
    )
    error = (again.response or {}).get("error", "")
    assert error.startswith("This link is already escalated under Licensing"), again.response
    assert len(_roots_with(world, ISSUE)) == 1


def test_a_link_outside_the_allow_list_is_redacted(world: World) -> None:
    resp = _post_link(
        world, world.alice.id, url="https://tracker.example.gg/ticket/9", topic="licensing",
        summary="ticket about a licence",
    )  # fmt: skip
    assert resp.status == 201, resp.text
    esc = resp.json()
    assert esc["source_url"] == "[url]" and esc["post_id"] == ""
    message = world.host.get_post(esc["escalation_post_id"]).message
    assert "example.gg" not in message and "outside Mattermost · \\[url] ·" in message


def test_http_route_is_idempotent_and_answers_bad_input_clearly(world: World) -> None:
    body: dict[str, object] = {
        "url": ISSUE + "0",
        "topic": "packaging",
        "summary": "a packaging report",
    }
    first = _post_link(world, world.alice.id, **body)
    assert first.status == 201, first.text
    again = _post_link(
        world, world.alice.id, **dict(body, url=ISSUE.upper()[:19] + ISSUE[19:] + "0")
    )
    assert again.status == 200 and again.json()["id"] == first.json()["id"]
    refusals: list[tuple[dict[str, object], int, str]] = [
        (dict(body, url="ftp://example.org/x"), 400, "Only http and https"),
        (dict(body, url="https://user:pw@github.com/x"), 400, "user name and password"),
        (dict(body, url="nonsense"), 400, "not a link"),
        (dict(body, summary=""), 400, "what the link is about"),
        (dict(body, topic="nope"), 404, "Unknown topic"),
        (dict(body, url=7), 400, "url must be"),
        (dict(body, user_id=world.mallory.id), 403, "different user"),
    ]
    for wrong, status, says in refusals:
        resp = _post_link(world, world.alice.id, **wrong)
        assert resp.status == status and says in resp.json()["error"], (wrong, resp.text)
    assert len(_roots_with(world, ISSUE + "0")) == 1


def test_only_those_allowed_to_escalate_may(world: World) -> None:
    outsider = world.host.add_user("link-outsider")
    team = world.host.add_team("link-outsiders", members=[outsider.id])
    lobby = world.host.add_channel(team.id, "lobby", members=[outsider.id])
    body = {"url": ISSUE + "1", "topic": "licensing", "summary": "s"}
    resp = _post_link(world, outsider.id, **body)
    assert resp.status == 403 and "private-core team" in resp.json()["error"]
    text = world.host.command(outsider.id, lobby.id, f"/escalation new {ISSUE}1").text
    assert "private-core team" in text and not world.host.dialogs(outsider.id)
    anonymous = world.host.http("POST", LINKS, body=body)
    assert anonymous.status == 401
    assert _roots_with(world, ISSUE + "1") == []


def test_bad_links_in_the_command_are_explained(world: World) -> None:
    for link, says in (("ftp://example.org/x", "Only http and https"), ("junk", "not a link")):
        text = world.host.command(world.alice.id, world.town.id, f"/escalation new {link}").text
        assert says in text, text
    forged = {
        "type": "dialog_submission",
        "callback_id": "community-escalations-link",
        "state": "javascript://x",
        "user_id": world.alice.id,
        "submission": {"topic": "licensing", "summary": "s"},
    }
    resp = world.host.http("POST", "/api/v1/dialogs/link", user_id=world.alice.id, body=forged)
    assert resp.status == 200 and "Only http and https" in resp.json()["error"]
    forged_user = dict(forged, user_id=world.mallory.id, state=ISSUE)
    resp = world.host.http("POST", "/api/v1/dialogs/link", user_id=world.alice.id, body=forged_user)
    assert "different user" in resp.json()["error"]


def test_show_and_mine_name_the_link(world: World) -> None:
    esc = _post_link(
        world, world.alice.id, url=ISSUE + "2", topic="licensing", summary="shown later"
    ).json()
    mine = world.host.command(world.alice.id, world.town.id, "/escalation mine").text
    assert f"`{esc['id'][:7]}` Licensing, {ISSUE}2," in mine
    show = world.host.command(world.alice.id, world.town.id, f"/escalation show {esc['id'][:7]}")
    assert "escalated it from outside Mattermost on" in show.text and f"({ISSUE}2)." in show.text
