"""Hardening against a hostile community, through the host emulator: rights follow user ids (a
renamed name or a late registration gets nothing), the escalations channel cannot be squatted,
its members are guarded, and policy diagnostics are for system admins and the channel only."""

from __future__ import annotations

from typing import Any

from app.emu import World, policy_with_extra_members, start_world
from hostemu.model import User

CONFIG = {"TeamName": "private-core", "ChannelName": "community-escalations"}
PAUSED = "paused"


def config(w: World, **changes: Any) -> None:
    settings = {**CONFIG, "ChannelAllowList": "mallory", **changes}
    assert w.host.set_plugin_config(settings) == ""


def policy_text(w: World, user: User) -> str:
    return str(w.host.command(user.id, w.town.id, "/escalation policy").text)


def command(w: World, user: User, text: str) -> str:
    return str(w.host.command(user.id, w.town.id, text).text)


def said(result: Any) -> str:
    """What a refused click showed the clicker."""
    return result.ephemeral.message if result.ephemeral else str(result.error)


def newcomer(w: World, username: str) -> User:
    user = w.host.add_user(username)
    w.host.add_team_member(w.team.id, user.id)
    w.host.add_channel_member(w.town.id, user.id)
    return user


# --- item 2: identity by user id -------------------------------------------------------------


def test_a_name_freed_by_a_rename_gives_its_taker_nothing() -> None:
    w = start_world()
    try:
        jason = w.people["jason.blais"]
        esc = w.escalate(w.post().id, "licensing").json()
        w.host.update_user(jason.id, username="jason.away")
        taker = newcomer(w, "jason.blais")
        # at once, and after the settings are saved again
        for _ in range(2):
            assert "Only the approved responders" in w.stale_click(esc, "claim", taker.id)
            assert taker.id not in w.host.channel_members(w.channel.id)
            assert (
                w.host.http("GET", f"/api/v1/escalations/{esc['id']}", user_id=taker.id).status
                == 404
            )
            config(w)
        # the account keeps its rights under its new name, and is mentioned by it
        assert w.click(esc, "claim", jason.id).ok
        assert w.record(esc["id"])["owner"] == "jason.away"
        fresh = w.escalate(w.post().id, "licensing").json()
        message = w.host.get_post(fresh["escalation_post_id"]).message
        assert "@jason.away" in message and "@jason.blais" not in message
        # system admins see the conflict and how to settle it; others do not see the names
        admin_text = policy_text(w, w.admin)
        assert "@jason.blais: renamed to @jason.away" in admin_text
        assert "/escalation policy repin jason.blais" in admin_text
        assert "jason.blais" not in policy_text(w, w.alice)
        # only a system admin can hand the name to the new account
        assert "Only system admins" in command(w, taker, "/escalation policy repin jason.blais")
        assert "Only the approved responders" in w.stale_click(fresh, "claim", taker.id)
        assert "now pinned" in command(w, w.admin, "/escalation policy repin jason.blais")
        assert w.click(fresh, "claim", taker.id).ok
        assert taker.id in w.host.channel_members(w.channel.id)
    finally:
        w.host.stop()


def test_a_policy_name_registered_later_needs_a_system_admin() -> None:
    w = start_world(override=policy_with_extra_members("VP Legal", ["late.lawyer"]))
    try:
        assert "@late.lawyer: unknown user" in policy_text(w, w.admin)
        squatter = newcomer(w, "late.lawyer")
        config(w, PolicyOverride=policy_with_extra_members("VP Legal", ["late.lawyer"]))
        assert squatter.id not in w.host.channel_members(w.channel.id)
        text = policy_text(w, w.admin)
        assert "@late.lawyer: the account was registered after the policy named it" in text
        topics = w.host.http("GET", "/api/v1/topics", user_id=w.alice.id).json()
        named = {p["username"] for t in topics["topics"] for p in t["responders"] + t["loop_in"]}
        assert "late.lawyer" not in named
        command(w, w.admin, "/escalation policy repin late.lawyer")
        assert squatter.id in w.host.channel_members(w.channel.id)
    finally:
        w.host.stop()


def test_records_keep_responder_ids(world: World) -> None:
    esc = world.escalate(world.post().id, "licensing").json()
    stored = [v for k, v in world.host.kv_dump().items() if k.endswith(esc["id"])]
    assert stored and world.uid("jason.blais").encode() in stored[0]


# --- item 3: the channel cannot be squatted --------------------------------------------------


def test_a_channel_someone_else_created_is_never_adopted() -> None:
    w = start_world()
    try:
        public = w.host.add_channel(w.team.id, "squat-public", members=[w.mallory.id],
                                    creator_id=w.mallory.id)  # fmt: skip
        config(w, ChannelName="squat-public")
        refused = w.escalate(w.post().id, "licensing")
        assert refused.status == 409 and PAUSED in refused.json()["error"]
        assert "not configured yet" not in refused.json()["error"]
        assert w.host.posts(public.id) == [] or all(p.user_id != w.host.bots()[0].user_id
                                                    for p in w.host.posts(public.id))  # fmt: skip
        assert "~squat-public is a public channel the plugin did not create" in policy_text(
            w, w.admin
        )
        assert "make it private first" in command(w, w.admin, "/escalation channel adopt")

        private = w.host.add_channel(w.team.id, "squat-private", type="P",
                                     members=[w.mallory.id], creator_id=w.mallory.id)  # fmt: skip
        config(w, ChannelName="squat-private")
        assert w.escalate(w.post().id, "licensing").status == 409
        assert "/escalation channel adopt" in policy_text(w, w.admin)
        assert "Only system admins" in command(w, w.mallory, "/escalation channel adopt")
        assert "is now the escalations channel" in command(w, w.admin, "/escalation channel adopt")
        done = w.escalate(w.post().id, "licensing")
        assert (
            done.status == 201
            and w.host.get_post(done.json()["escalation_post_id"]).channel_id == private.id
        )
    finally:
        w.host.stop()


def test_made_public_archived_and_renamed_channels() -> None:
    w = start_world()
    try:
        channel = w.channel
        w.host.update_channel(channel.id, type="O")
        config(w)
        refused = w.escalate(w.post().id, "licensing")
        assert refused.status == 409 and PAUSED in refused.json()["error"]
        assert "was made public" in policy_text(w, w.admin)
        w.host.update_channel(channel.id, type="P")
        config(w)
        assert w.escalate(w.post().id, "licensing").status == 201

        # renamed: still used by id; a new channel under the old name is not taken
        w.host.update_channel(channel.id, name="renamed-escalations")
        w.host.add_channel(w.team.id, "community-escalations", type="P", members=[w.mallory.id],
                           creator_id=w.mallory.id)  # fmt: skip
        config(w)
        moved = w.escalate(w.post().id, "licensing").json()
        assert w.host.get_post(moved["escalation_post_id"]).channel_id == channel.id
        assert "renamed to ~renamed-escalations" in policy_text(w, w.admin)

        w.host.archive_channel(channel.id)
        config(w)
        refused = w.escalate(w.post().id, "licensing")
        assert refused.status == 409 and PAUSED in refused.json()["error"]
        assert "is archived" in policy_text(w, w.admin)
    finally:
        w.host.stop()


# --- item 4: membership guard ----------------------------------------------------------------


def test_outsiders_added_to_the_channel_are_removed_and_the_adder_told(world: World) -> None:
    jason = world.people["jason.blais"]
    outsider = newcomer(world, "outsider-added")
    world.host.add_channel_member(world.channel.id, outsider.id, actor_id=jason.id)
    assert outsider.id not in world.host.channel_members(world.channel.id)
    told = [e.message for e in world.host.ephemerals(jason.id)]
    assert any("@outsider-added was removed" in m for m in told)
    # people who may be there stay: system admins, and the allow-list (mallory)
    world.host.add_channel_member(world.channel.id, world.admin.id, actor_id=jason.id)
    assert world.admin.id in world.host.channel_members(world.channel.id)
    assert world.mallory.id in world.host.channel_members(world.channel.id)


def test_people_the_policy_drops_leave_and_lose_read_access() -> None:
    w = start_world()
    try:
        topics = w.host.http("GET", "/api/v1/topics", user_id=w.alice.id).json()["topics"]
        licensing = next(t for t in topics if t["key"] == "licensing")
        name = licensing["responders"][-1]["username"]
        dropped_person = w.people[name]
        esc = w.escalate(w.post().id, "licensing").json()
        assert (
            w.host.http("GET", f"/api/v1/escalations/{esc['id']}", user_id=dropped_person.id).status
            == 200
        )
        dropped = _policy_without(name)
        config(w, PolicyOverride=dropped, KeepUnlistedMembers=True)
        assert dropped_person.id in w.host.channel_members(w.channel.id)  # kept by the setting
        assert (
            w.host.http("GET", f"/api/v1/escalations/{esc['id']}", user_id=dropped_person.id).status
            == 404
        )
        listing = w.host.command(dropped_person.id, w.channel.id, "/escalation list").text
        assert "Only the people" in listing
        config(w, PolicyOverride=dropped)
        assert dropped_person.id not in w.host.channel_members(w.channel.id)
    finally:
        w.host.stop()


def _policy_without(username: str) -> str:
    import yaml

    from app.emu import NEWER

    data = yaml.safe_load(NEWER.read_text())
    for role in data["roles"]:
        role["members"] = [m for m in role["members"] if m["username"] != username]
    data["version"] = f"test-without-{username}"
    return yaml.safe_dump(data, sort_keys=False)


# --- item 8: diagnostics -----------------------------------------------------------------------


def test_policy_diagnostics_only_for_admins_and_channel_members() -> None:
    w = start_world(override=policy_with_extra_members("VP Legal", ["not.registered"]))
    try:
        config(w, PolicyOverride=policy_with_extra_members("VP Legal", ["not.registered"]),
               ChannelAllowList="mallory ghost.helper")  # fmt: skip
        everyone = policy_text(w, w.alice)
        assert "not.registered" not in everyone and "ghost.helper" not in everyone
        assert "Setup problems" not in everyone and "shown to system admins" in everyone
        member = w.host.command(w.uid("jason.blais"), w.channel.id, "/escalation policy").text
        assert (
            "not.registered" not in member and "cannot be used (system admins see which)" in member
        )
        admin = policy_text(w, w.admin)
        assert "@not.registered: unknown user" in admin and "@ghost.helper: unknown user" in admin
    finally:
        w.host.stop()
