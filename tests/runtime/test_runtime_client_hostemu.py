"""PluginAPIClient against the host emulator's PluginAPI server: every client method the other
suites do not reach, checked for request shape and result conversion (the emulator answers in
each RPC's upstream style). Also MessageHasBeenPosted end to end."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from runtime_support import FIXTURE_DIR

from escalations.runtime import errors
from escalations.runtime.api import PluginAPIClient
from escalations.runtime.models import Command, Post
from hostemu import Channel, Host, Team, User
from hostemu.testing import venv_env

World = tuple[Host, PluginAPIClient, Team, User, User, User, Channel, Channel]


@pytest.fixture(scope="module")
def world() -> Iterator[World]:
    host = Host(FIXTURE_DIR, env=venv_env())
    host.start()
    team = host.add_team("core")
    alice = host.add_user("alice", email="alice@example.com")
    bob = host.add_user("bob")
    admin = host.add_user("root", system_admin=True)
    town = host.add_channel(team.id, "town-square", members=[alice.id, bob.id])
    secret = host.add_channel(team.id, "secret", type="P", members=[alice.id])
    client = PluginAPIClient.connect(host.api_target, timeout=5)
    yield host, client, team, alice, bob, admin, town, secret
    client.close()
    host.stop()


def test_users(world: World) -> None:
    host, api, team, alice, bob, admin, town, secret = world
    assert api.get_user_by_email("alice@example.com").id == alice.id
    got = {u.username for u in api.get_users_by_ids([alice.id, bob.id])}
    assert got == {"alice", "bob"}
    with pytest.raises(errors.NotFoundError):
        api.get_user("x" * 26)


def test_channels_and_teams(world: World) -> None:
    host, api, team, alice, bob, admin, town, secret = world
    assert api.get_team(team.id).name == "core"
    assert api.get_channel_by_name(team.id, "town-square").id == town.id
    assert api.get_channel(secret.id).type == "P"
    dm = api.get_direct_channel(alice.id, bob.id)
    assert dm.type == "D"
    member = api.add_user_to_channel(secret.id, bob.id, alice.id)
    assert member.user_id == bob.id
    with pytest.raises(errors.NotFoundError):
        api.get_channel_member(secret.id, admin.id)
    with pytest.raises(errors.NotFoundError):
        api.get_team_by_name("no-such-team")


def test_permissions(world: World) -> None:
    host, api, team, alice, bob, admin, town, secret = world
    assert api.has_permission_to(admin.id, "manage_system") is True
    assert api.has_permission_to(alice.id, "manage_system") is False
    assert api.has_permission_to_channel(alice.id, secret.id, "read_channel") is True
    assert api.has_permission_to_team(alice.id, team.id, "view_team") is True


def test_posts_and_ephemerals(world: World) -> None:
    host, api, team, alice, bob, admin, town, secret = world
    post = api.create_post(Post(channel_id=town.id, user_id=alice.id, message="to delete"))
    api.delete_post(post.id)
    with pytest.raises(errors.PluginAPIError):
        api.get_post(post.id)
    eph = api.send_ephemeral_post(bob.id, Post(channel_id=town.id, user_id=alice.id, message="a"))
    api.update_ephemeral_post(bob.id, Post(id=eph.id, channel_id=town.id, message="b"))
    assert [p.message for p in host.ephemerals(bob.id)] == ["b"]
    api.delete_ephemeral_post(bob.id, eph.id)
    assert host.ephemerals(bob.id) == []


def test_kv_remaining_methods(world: World) -> None:
    host, api, *_ = world
    api.kv_set("a", b"1")
    assert api.kv_compare_and_delete("a", b"2") is False
    assert api.kv_compare_and_delete("a", b"1") is True
    assert api.kv_get("a") is None
    api.kv_set("b", b"1")
    api.kv_delete("b")
    api.kv_delete("b")  # missing key: not an error
    assert api.kv_set_with_options("c", b"x", expire_in_seconds=60) is True
    assert api.kv_set_with_options("c", None, atomic=True, old_value=b"x") is True
    assert api.kv_get("c") is None
    api.kv_set("d", b"1")
    api.kv_delete_all()
    assert api.kv_list() == ()
    with pytest.raises(errors.InvalidArgumentError):
        api.kv_set("k" * 151, b"v")


def test_config_commands_logs_and_server_info(world: World) -> None:
    host, api, team, *_ = world
    api.save_plugin_config({"Greeting": "saved", "Limit": 9})
    assert api.get_plugin_config()["Limit"] == 9.0
    # LoadPluginConfiguration lower-cases keys (verified on Mattermost 11.4.0).
    assert api.load_plugin_configuration()["greeting"] == "saved"
    api.register_command(Command(trigger="extra", team_id=team.id))
    api.unregister_command(team.id, "extra")
    assert "extra" not in [c.trigger for c in host.commands()]
    api.log_debug("dbg", n=1)
    api.log_warn("careful", obj=object())  # non-JSON values travel as strings
    api.log_error("bad", nested={"a": [1, 2]})
    levels = {(e.level.lower(), e.message) for e in host.logs()}
    assert {("warn", "careful"), ("error", "bad")} <= levels
    assert api.get_bundle_path()
    assert api.get_server_version() == "10.5.0"


def test_message_has_been_posted_reaches_the_plugin(world: World) -> None:
    host, api, team, alice, bob, admin, town, secret = world
    host.add_post(town.id, alice.id, "hello plugin", props={"hidden": True})
    assert "hello plugin" in host.http("GET", "/posted").json()
