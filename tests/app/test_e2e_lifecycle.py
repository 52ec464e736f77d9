"""End to end through the host emulator: policy versions and overrides, concurrency, restarts,
the slash command and its dialog."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

from app.emu import OLDER, ROOT, World, policy_with_extra_members, start_world
from post_reading import headline, labelled, mentioned

OLDER_ROUTES = [
    ("illicit-use", ["jason.blais", "ken.olofsen", "ian.tien"], ["aneal.vallurupalli"],
     "jason.blais"),
    ("security-vulnerabilities", ["jason.blais", "daniel.schalla", "katie.wiersgalla",
     "chris.overton"], [], "jason.blais"),
    ("privacy-telemetry", ["jason.blais", "lindsay.brock", "katie.wiersgalla",
     "chandar.venkatamaran", "ian.tien"], [], "jason.blais"),
    ("government-data-request", ["aneal.vallurupalli", "ian.tien"], [], "aneal.vallurupalli"),
]  # fmt: skip


@pytest.fixture(scope="module")
def older_world() -> Iterator[World]:
    w = start_world(override=OLDER.read_text())
    try:
        yield w
    finally:
        w.host.stop()


@pytest.mark.parametrize(("topic", "responders", "cc", "owner"), OLDER_ROUTES)
def test_older_policy_routes(
    older_world: World, topic: str, responders: list[str], cc: list[str], owner: str
) -> None:
    resp = older_world.escalate(older_world.post().id, topic)
    assert resp.status == 201, resp.text
    esc = resp.json()
    message = older_world.host.get_post(esc["escalation_post_id"]).message
    assert mentioned(labelled(message, "Responders")) == responders
    assert mentioned(labelled(message, "cc")) == cc
    assert headline(message).endswith(f"Owner: `@{owner}` (default, not acknowledged yet)")
    assert esc["default_owner"] == owner


def test_older_policy_tips_keep_their_link(older_world: World) -> None:
    esc = older_world.escalate(older_world.post().id, "licensing").json()
    result = older_world.click(esc, "tips", older_world.uid("jason.blais"))
    text = (result.response or {}).get("ephemeral_text", "")
    link = (
        "https://docs.mattermost.com/process/community-guidelines.html#mattermost-community-forums"
    )
    assert f"[principles, tips and sample responses]({link})" in text, text
    help_tips = older_world.host.command(
        older_world.alice.id, older_world.town.id, "/escalation help tips"
    ).text
    assert help_tips == text


def test_older_policy_is_reported(older_world: World) -> None:
    text = older_world.host.command(
        older_world.admin.id, older_world.town.id, "/escalation policy"
    ).text
    assert "Community Escalations Policy" in text and "(override)" in text


GONE = "<button gone>"


def test_twenty_responders_claim_at_once() -> None:
    extra = [f"responder{i:02d}" for i in range(19)]
    w = start_world(override=policy_with_extra_members("CEO", extra), extra_users=extra)
    try:
        esc = w.escalate(w.post().id, "licensing").json()
        clickers = [w.uid(u) for u in ["ian.tien", *extra]]
        barrier = threading.Barrier(len(clickers))
        results: dict[str, str] = {}

        def press(user_id: str) -> None:
            barrier.wait()
            result = w.click(esc, "claim", user_id)
            if result.error is not None:  # the edited post had no Claim button any more
                assert result.error.id == "api.post.do_action.action_id.app_error", result.error
                results[user_id] = GONE
                return
            results[user_id] = (result.response or {}).get("ephemeral_text", "")

        threads = [threading.Thread(target=press, args=(u,)) for u in clickers]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        owner = w.record(esc["id"])["owner"]
        winners = [u for u, text in results.items() if not text]
        assert len(results) == 20 and len(winners) == 1
        assert w.host.user(winners[0]).username == owner
        # a click that reached the server after the post lost its Claim button is refused by
        # the server itself, as on a real one; every other loser is told who won
        told = [t for t in results.values() if t and t != GONE]
        assert len(told) + list(results.values()).count(GONE) == 19
        assert all(f"already claimed by @{owner}" in t for t in told)
        replies = w.host.thread(esc["escalation_post_id"])[1:]
        # the default owner's claim acknowledges; anyone else's takes it over from them
        first = replies[0].message if replies else ""
        assert len(replies) == 1
        assert first.startswith((f"`@{owner}` claimed", f"`@{owner}` took over"))
    finally:
        w.host.stop()


def test_restart_midway_keeps_state_without_duplicates() -> None:
    w = start_world()
    try:
        post = w.post()
        esc = w.escalate(post.id, "packaging").json()
        w.click(esc, "claim", w.uid("katie.wiersgalla"))
        channel_id = w.channel.id
        w.host.restart_plugin()
        assert w.channel.id == channel_id  # the channel was found, not created again
        rec = w.record(esc["id"])
        assert rec["state"] == "claimed" and rec["owner"] == "katie.wiersgalla"
        again = w.escalate(post.id, "packaging")
        assert again.status == 200 and again.json()["id"] == esc["id"]
        assert len(w.bot_roots()) == 1
        done = w.click(esc, "resolveresponded", w.uid("corey.hulen"))
        assert done.ok and w.record(esc["id"])["state"] == "claimed"  # the dialog asks first
        w.host.submit_dialog(w.uid("corey.hulen"), {"response": "https://forum/t/1"})
        assert w.record(esc["id"])["state"] == "resolved"
        assert len([b for b in w.host.bots() if b.username == "community-escalations"]) == 1
    finally:
        w.host.stop()


def test_invalid_override_is_kept_out() -> None:
    w = start_world(override=OLDER.read_text())
    try:
        error = w.host.set_plugin_config(
            {"TeamName": "private-core", "PolicyOverride": "topics: [unclosed"}
        )
        assert error == ""  # the hook does not fail; the bad policy is just not used
        topics = w.host.http("GET", "/api/v1/topics", user_id=w.alice.id).json()
        assert topics["policy"]["title"] == "Community Escalations Policy"
        text = w.host.command(w.admin.id, w.town.id, "/escalation policy").text
        assert "override was rejected" in text and "PolicyOverride" in text
        assert any("rejected" in e.message for e in w.host.logs())
        # still out after a restart: the last good override comes back, not the bad one
        w.host.restart_plugin()
        topics = w.host.http("GET", "/api/v1/topics", user_id=w.alice.id).json()
        assert topics["policy"]["title"] == "Community Escalations Policy"
        # a valid change is taken
        w.host.set_plugin_config({"TeamName": "private-core", "PolicyOverride": ""})
        topics = w.host.http("GET", "/api/v1/topics", user_id=w.alice.id).json()
        assert topics["policy"]["version"] == "2020-community-response"
    finally:
        w.host.stop()


def test_unknown_and_deactivated_users_are_reported_and_not_mentioned() -> None:
    w = start_world()
    try:
        w.host.deactivate_user(w.uid("jason.blais"))
        w.host.set_plugin_config({"TeamName": "private-core"})
        text = w.host.command(w.admin.id, w.town.id, "/escalation policy").text
        assert "@jason.blais: deactivated user" in text
        esc = w.escalate(w.post().id, "privacy-telemetry").json()
        message = w.host.get_post(esc["escalation_post_id"]).message
        assert "@jason.blais" not in message
        assert esc["default_owner"] == "katie.wiersgalla"
        # the role is not dropped silently: the post says nobody in it can be mentioned
        responders = labelled(message, "Responders") or ""
        assert responders.endswith("Dr. Program Management: nobody in this role"), responders
    finally:
        w.host.stop()


def test_policy_command_names_the_bundled_policy_without_server_paths(world: World) -> None:
    text = world.host.command(world.admin.id, world.town.id, "/escalation policy").text
    assert 'policy/community-response.yaml: roles[10].members: role "CRO" has no members' in text
    assert str(ROOT) not in text  # the plugin's location on the server is not shown to users
    assert (
        "- CRO (nobody in this role): approved responder of Product-related Regulations/GDPR, "
        "Licensing; cc of Privacy/Telemetry, Packaging"
    ) in text.splitlines()


def test_not_configured_is_409() -> None:
    w = start_world()
    try:
        w.host.set_plugin_config({"TeamName": ""})
        assert w.escalate(w.post().id, "licensing").status == 409
        assert w.host.http("GET", "/api/v1/topics", user_id=w.alice.id).status == 200
        text = w.host.command(w.admin.id, w.town.id, "/escalation policy").text
        assert "TeamName" in text
    finally:
        w.host.stop()


def test_command_new_opens_dialog_and_escalates(world: World) -> None:
    post = world.post("from mobile")
    link = f"http://localhost:8065/private-core/pl/{post.id}"
    result = world.host.command(world.alice.id, world.town.id, f"/escalation new {link}")
    assert result.error is None and result.text == ""
    dialog = world.host.dialogs(world.alice.id)[-1]
    preview = dialog.dialog["introduction_text"]
    assert "**Who will be paged:**" in preview
    assert (
        "- **Licensing**: @jason.blais (Dr. Program Management) · @ian.tien (CEO) · "
        "CRO: nobody in this role"
    ) in preview.splitlines()
    bad = world.host.submit_dialog(world.alice.id, {"topic": "nope"}, dialog=dialog)
    assert "topic" in bad.errors
    done = world.host.submit_dialog(
        world.alice.id, {"topic": "licensing", "note": "seen on mobile"}, dialog=dialog
    )
    assert done.errors == {} and not (done.response or {}).get("error")
    roots = [p for p in world.bot_roots() if "seen on mobile" in p.message]
    assert len(roots) == 1
    # the same post again: a clear answer, not a silently closed dialog
    again = world.host.submit_dialog(world.alice.id, {"topic": "licensing"}, dialog=dialog)
    error = (again.response or {}).get("error", "")
    assert error.startswith("This post is already escalated under Licensing"), again.response
    assert roots[0].id in error  # its link
    assert len([p for p in world.bot_roots() if "seen on mobile" in p.message]) == 1


def test_command_new_refuses_unreadable_post(world: World) -> None:
    secret = world.post("hidden", channel=world.secret)
    text = world.host.command(world.mallory.id, world.town.id, f"/escalation new {secret.id}").text
    assert "cannot read" in text
    assert world.host.command(world.alice.id, world.town.id, "/escalation new junk").text


def test_command_help_list_and_registration(world: World) -> None:
    assert any(c.trigger == "escalation" and c.auto_complete for c in world.host.commands())
    help_text = world.host.command(world.alice.id, world.town.id, "/escalation").text
    for sub in ("list", "show", "policy", "new", "help"):
        assert f"/escalation {sub}" in help_text
    esc = world.escalate(world.post("where do you hire?").id, "workplace-policies").json()
    listing = world.host.command(world.mallory.id, world.town.id, "/escalation list").text
    line = next(line for line in listing.splitlines() if esc["id"][:7] in line)
    assert esc["id"] not in listing  # short references, not 26-character ids
    assert line.startswith(f"- `{esc['id'][:7]}` [Workplace policies](")
    assert line.endswith(
        ", owner `@natalie.jew` (default, not acknowledged yet), 0m old: “where do you hire?” "
        "from ~town-square, escalated by `@alice`"
    ), line
    outsider = world.host.add_user("outsider-list")
    refused = world.host.command(outsider.id, world.town.id, "/escalation list").text
    assert esc["id"][:7] not in refused


def test_dialog_submission_checks(world: World) -> None:
    post = world.post()
    forged = {
        "type": "dialog_submission",
        "callback_id": "community-escalations-new",
        "state": post.id,
        "user_id": world.mallory.id,
        "submission": {"topic": "licensing"},
    }
    resp = world.host.http("POST", "/api/v1/dialogs/new", user_id=world.alice.id, body=forged)
    assert resp.status == 200 and "different user" in resp.json()["error"]
    gone = dict(forged, user_id=world.alice.id, state="q" * 26)
    resp = world.host.http("POST", "/api/v1/dialogs/new", user_id=world.alice.id, body=gone)
    assert "does not exist" in resp.json()["error"]
    cancelled = dict(forged, user_id=world.alice.id, cancelled=True)
    resp = world.host.http("POST", "/api/v1/dialogs/new", user_id=world.alice.id, body=cancelled)
    assert resp.json() == {}
    assert world.escalate(post.id, "licensing").status == 201  # nothing was created before


def test_show_is_private_to_creator_and_channel(world: World) -> None:
    esc = world.escalate(world.post().id, "licensing").json()
    outsider = world.host.add_user("outsider-show")
    world.host.add_channel_member(world.town.id, outsider.id)
    ref = esc["id"][:7]
    text = world.host.command(outsider.id, world.town.id, f"/escalation show {ref}").text
    assert text == f"No escalation `{ref}`."
    mine = world.host.command(world.alice.id, world.town.id, f"/escalation show {ref}").text
    assert mine.startswith(
        f"**Licensing** escalation `{ref}` is open, "
        "owner `@jason.blais` (default, not acknowledged yet)"
    ), mine
    assert "**History:**" in mine and ": `@alice` escalated it." in mine
    # the whole id works too, a too-short reference is refused
    full = world.host.command(world.alice.id, world.town.id, f"/escalation show {esc['id']}")
    assert full.text == mine
    short = world.host.command(world.alice.id, world.town.id, "/escalation show ab").text
    assert "reference" in short
