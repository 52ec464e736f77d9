"""Host emulator: the in-memory PluginAPI server, called directly over gRPC (no plugin process).

Covers the error convention of each RPC family (docs/protocol.md §4.1/§5), the conversion rules
(§9), and the post/user/channel/permission semantics the workflow relies on.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import grpc
import pytest
from google.protobuf import json_format, struct_pb2

from escalations.runtime.pb import api_pb2, api_pb2_grpc, models_pb2
from hostemu import CONVENTIONS, AppError, Channel, Convention, Post, ServerState
from hostemu.api_server import SERVICE, PluginAPIServer
from hostemu.errors import grpc_code_for

PLUGIN = "com.example.api"


World = tuple[ServerState, PluginAPIServer, api_pb2_grpc.PluginAPIStub]


@pytest.fixture()
def world() -> Iterator[World]:
    state = ServerState(PLUGIN)
    server = PluginAPIServer(state, "/plugins/bundle", "10.5.0")
    channel = grpc.insecure_channel(server.start())
    try:
        yield state, server, api_pb2_grpc.PluginAPIStub(channel)
    finally:
        channel.close()
        server.stop()


@pytest.fixture()
def stub(world: World) -> api_pb2_grpc.PluginAPIStub:
    return world[2]


@pytest.fixture()
def state(world: World) -> ServerState:
    return world[0]


def seed(state: ServerState) -> dict[str, Any]:
    d = state.directory
    alice, bob = d.add_user("Alice"), d.add_user("bob")
    admin = d.add_user("root", roles="system_admin system_user")
    team = d.add_team("core", "Core")
    for u in (alice, bob):
        d.add_team_member(team.id, u.id)
    town = d.create_channel(Channel("", team.id, "O", "town", "Town"))
    secret = d.create_channel(Channel("", team.id, "P", "secret", "Secret"))
    d.add_channel_member(town.id, alice.id)
    d.add_channel_member(secret.id, alice.id)
    return {
        "alice": alice,
        "bob": bob,
        "admin": admin,
        "team": team,
        "town": town,
        "secret": secret,
    }


def status_error(call: Any) -> grpc.RpcError:
    with pytest.raises(grpc.RpcError) as info:
        call()
    return info.value


# -- conventions ----------------------------------------------------------------------------------
def test_every_declared_rpc_has_a_handler_and_a_convention(world: World) -> None:
    _, server, _ = world
    handlers = server._handlers()
    assert set(SERVICE.methods_by_name) == set(handlers)
    assert set(CONVENTIONS) == set(SERVICE.methods_by_name)


@pytest.mark.parametrize(
    ("status", "code"),
    [
        (400, "INVALID_ARGUMENT"),
        (401, "UNAUTHENTICATED"),
        (403, "PERMISSION_DENIED"),
        (404, "NOT_FOUND"),
        (409, "ALREADY_EXISTS"),
        (413, "RESOURCE_EXHAUSTED"),
        (429, "RESOURCE_EXHAUSTED"),
        (501, "UNIMPLEMENTED"),
        (503, "UNAVAILABLE"),
        (500, "INTERNAL"),
        (418, "INTERNAL"),
    ],
)
def test_app_error_status_mapping(status: int, code: str) -> None:
    assert grpc_code_for(status).name == code


def test_embedded_convention_kv_invalid_key(stub: api_pb2_grpc.PluginAPIStub) -> None:
    answer = stub.KVSet(api_pb2.KVSetRequest(key="k" * 151, value=b"v"))
    assert answer.error.id == "model.plugin_key_value.is_valid.key.app_error"
    assert answer.error.status_code == 400


def test_status_convention_missing_user(stub: api_pb2_grpc.PluginAPIStub) -> None:
    err = status_error(lambda: stub.GetUser(api_pb2.GetUserRequest(user_id="nobody")))
    assert err.code() == grpc.StatusCode.NOT_FOUND
    assert (err.details() or "").startswith("app.user.missing_account.const: ")


def test_injected_errors_follow_each_rpc_convention(world: World) -> None:
    _, server, stub = world
    server.inject_error("KVGet", AppError("x.kv", "broken", 500))
    assert stub.KVGet(api_pb2.KVGetRequest(key="a")).error.id == "x.kv"
    assert stub.KVGet(api_pb2.KVGetRequest(key="a")).error.id == ""  # only once
    server.inject_error("GetTeam", AppError("x.team", "down", 503), times=2)
    for _ in range(2):
        err = status_error(lambda: stub.GetTeam(api_pb2.GetTeamRequest(team_id="t")))
        assert err.code() == grpc.StatusCode.UNAVAILABLE and err.details() == "x.team: down"
    server.inject_error("HasPermissionTo", AppError("x.perm", "ignored", 500))
    answer = stub.HasPermissionTo(api_pb2.HasPermissionToRequest(user_id="u", permission_id="p"))
    assert not answer.has_permission and answer.error.id == ""
    assert CONVENTIONS["HasPermissionTo"] is Convention.NEVER
    assert server.calls["KVGet"] == 2


# -- posts ----------------------------------------------------------------------------------------
def make_post(channel_id: str, user_id: str, message: str = "m", **props: Any) -> Any:
    post = models_pb2.Post(channel_id=channel_id, user_id=user_id, message=message)
    if props:
        post.props.update(props)
    return post


def test_create_post_rules(stub: api_pb2_grpc.PluginAPIStub, state: ServerState) -> None:
    w = seed(state)
    no_user = stub.CreatePost(api_pb2.CreatePostRequest(post=make_post(w["town"].id, "")))
    assert no_user.error.id == "app.user.missing_account.const"  # verified on 11.4.0
    assert no_user.error.status_code == 404
    missing = stub.CreatePost(api_pb2.CreatePostRequest(post=make_post("nochannel", "u")))
    assert missing.error.status_code == 404
    root = stub.CreatePost(api_pb2.CreatePostRequest(post=make_post(w["town"].id, w["alice"].id)))
    reply = make_post(w["town"].id, w["bob"].id)
    reply.root_id = root.post.id
    created = stub.CreatePost(api_pb2.CreatePostRequest(post=reply)).post
    nested = make_post(w["town"].id, w["bob"].id)
    nested.root_id = created.id
    answer = stub.CreatePost(api_pb2.CreatePostRequest(post=nested))
    assert answer.error.id == "api.post.create_post.root_id.app_error"
    assert state.posts.get(root.post.id).reply_count == 1


def test_create_answers_lose_action_integrations_but_get_keeps_them(
    stub: api_pb2_grpc.PluginAPIStub, state: ServerState
) -> None:
    w = seed(state)
    action = {"name": "Go", "integration": {"url": "/plugins/x/y", "context": {"n": 1}}}
    post = make_post(w["town"].id, w["alice"].id, attachments=[{"actions": [action]}], count=3)
    created = stub.CreatePost(api_pb2.CreatePostRequest(post=post)).post
    answered = json_format.MessageToDict(created.props)
    assert created.id and answered["count"] == 3.0 and answered["from_plugin"] == "true"
    assert "integration" not in answered["attachments"][0]["actions"][0]
    got = stub.GetPost(api_pb2.GetPostRequest(post_id=created.id)).post
    props = json_format.MessageToDict(got.props)
    assert props["attachments"][0]["actions"][0]["integration"]["url"] == "/plugins/x/y"
    assert props["count"] == 3.0 and isinstance(props["count"], float)
    stored_action = state.posts.get(created.id).attachments[0]["actions"][0]
    assert stored_action["id"]  # GenerateActionIds
    plain = stub.CreatePost(
        api_pb2.CreatePostRequest(post=make_post(w["town"].id, w["alice"].id, k="v"))
    )
    assert dict(plain.post.props) == {"k": "v", "from_plugin": "true"}


def test_update_post_replaces_props_and_sets_edit_at(
    stub: api_pb2_grpc.PluginAPIStub, state: ServerState
) -> None:
    w = seed(state)
    created = stub.CreatePost(
        api_pb2.CreatePostRequest(post=make_post(w["town"].id, w["alice"].id, "old", a="b"))
    ).post
    update = models_pb2.Post(id=created.id, message="new")
    updated = stub.UpdatePost(api_pb2.UpdatePostRequest(post=update)).post
    assert updated.message == "new" and updated.edit_at > 0 and not updated.props.fields
    assert state.posts.get(created.id).props == {}
    missing = stub.UpdatePost(api_pb2.UpdatePostRequest(post=models_pb2.Post(id="zz")))
    assert missing.error.status_code == 404


def test_thread_and_delete(stub: api_pb2_grpc.PluginAPIStub, state: ServerState) -> None:
    w = seed(state)
    root = state.posts.create(Post("", w["town"].id, w["alice"].id, "root"))
    r1 = state.posts.create(Post("", w["town"].id, w["bob"].id, "r1", root_id=root.id))
    r2 = state.posts.create(Post("", w["town"].id, w["bob"].id, "r2", root_id=root.id))
    thread = stub.GetPostThread(api_pb2.GetPostThreadRequest(post_id=r1.id)).post_list
    assert list(thread.order) == [r1.id, r2.id, root.id] and set(thread.posts) == set(thread.order)
    assert stub.DeletePost(api_pb2.DeletePostRequest(post_id=root.id)).error.id == ""
    assert state.posts.posts[root.id].delete_at > 0 and state.posts.posts[r2.id].delete_at > 0
    gone = stub.GetPost(api_pb2.GetPostRequest(post_id=root.id))
    assert gone.error.id == "app.post.get.app_error" and gone.error.status_code == 404
    assert stub.DeletePost(api_pb2.DeletePostRequest(post_id=root.id)).error.status_code == 404


def test_ephemeral_posts_are_kept_per_user(
    stub: api_pb2_grpc.PluginAPIStub, state: ServerState
) -> None:
    w = seed(state)
    alice = w["alice"].id
    sent = stub.SendEphemeralPost(
        api_pb2.SendEphemeralPostRequest(user_id=alice, post=make_post(w["town"].id, "bot", "hi"))
    ).post
    assert sent.id and sent.type == "system_ephemeral"
    sent.message = "edited"
    stub.UpdateEphemeralPost(api_pb2.UpdateEphemeralPostRequest(user_id=alice, post=sent))
    assert [p.message for p in state.posts.ephemerals_for(alice)] == ["edited"]
    stub.DeleteEphemeralPost(api_pb2.DeleteEphemeralPostRequest(user_id=alice, post_id=sent.id))
    assert state.posts.ephemerals_for(alice) == [] and state.posts.ephemerals_for(w["bob"].id) == []


# -- users, teams, channels -----------------------------------------------------------------------
def test_users(stub: api_pb2_grpc.PluginAPIStub, state: ServerState) -> None:
    w = seed(state)
    by_name = stub.GetUserByUsername(api_pb2.GetUserByUsernameRequest(name="ALICE")).user
    assert by_name.id == w["alice"].id and by_name.username == "alice"
    many = stub.GetUsersByUsernames(api_pb2.GetUsersByUsernamesRequest(usernames=["bob", "zed"]))
    assert [u.username for u in many.users] == ["bob"]
    ids = stub.GetUsersByIds(api_pb2.GetUsersByIdsRequest(user_ids=[w["bob"].id, "x"])).users
    assert [u.id for u in ids] == [w["bob"].id]
    state.directory.update_user(w["bob"].id, delete_at=5)
    assert stub.GetUser(api_pb2.GetUserRequest(user_id=w["bob"].id)).user.delete_at == 5
    err = status_error(lambda: stub.GetUserByUsername(api_pb2.GetUserByUsernameRequest(name="zed")))
    assert err.code() == grpc.StatusCode.NOT_FOUND


def test_channels(stub: api_pb2_grpc.PluginAPIStub, state: ServerState) -> None:
    w = seed(state)
    get = stub.GetChannelByNameForTeamName(
        api_pb2.GetChannelByNameForTeamNameRequest(team_name="core", channel_name="secret")
    ).channel
    assert get.id == w["secret"].id and get.type == models_pb2.CHANNEL_TYPE_PRIVATE
    err = status_error(
        lambda: stub.GetChannelByNameForTeamName(
            api_pb2.GetChannelByNameForTeamNameRequest(team_name="nope", channel_name="x")
        )
    )
    assert (err.details() or "").startswith("app.team.get_by_name.missing.app_error")
    new = models_pb2.Channel(
        team_id=w["team"].id, name="esc", display_name="Esc", type=models_pb2.CHANNEL_TYPE_PRIVATE
    )
    created = stub.CreateChannel(api_pb2.CreateChannelRequest(channel=new)).channel
    assert created.id and state.directory.members_of(created.id) == []
    dup = status_error(lambda: stub.CreateChannel(api_pb2.CreateChannelRequest(channel=new)))
    assert dup.code() == grpc.StatusCode.INVALID_ARGUMENT
    new.name = "Bad Name"
    bad = status_error(lambda: stub.CreateChannel(api_pb2.CreateChannelRequest(channel=new)))
    assert (bad.details() or "").startswith("model.channel.is_valid.name.app_error")
    outsider = state.directory.add_user("outsider")
    denied = status_error(
        lambda: stub.AddChannelMember(
            api_pb2.AddChannelMemberRequest(channel_id=created.id, user_id=outsider.id)
        )
    )
    assert denied.code() == grpc.StatusCode.PERMISSION_DENIED
    member = stub.AddChannelMember(
        api_pb2.AddChannelMemberRequest(channel_id=created.id, user_id=w["bob"].id)
    ).channel_member
    assert member.user_id == w["bob"].id and member.roles == "channel_user"
    missing = status_error(
        lambda: stub.GetChannelMember(
            api_pb2.GetChannelMemberRequest(channel_id=created.id, user_id=w["alice"].id)
        )
    )
    assert missing.code() == grpc.StatusCode.NOT_FOUND
    dm = stub.GetDirectChannel(
        api_pb2.GetDirectChannelRequest(user_id_1=w["alice"].id, user_id_2=w["bob"].id)
    ).channel
    assert dm.type == models_pb2.CHANNEL_TYPE_DIRECT and dm.team_id == ""
    again = stub.GetDirectChannel(
        api_pb2.GetDirectChannelRequest(user_id_1=w["bob"].id, user_id_2=w["alice"].id)
    ).channel
    assert again.id == dm.id


def test_permissions(stub: api_pb2_grpc.PluginAPIStub, state: ServerState) -> None:
    w = seed(state)

    def chan(user: str, channel: str, perm: str) -> bool:
        req = api_pb2.HasPermissionToChannelRequest(
            user_id=w[user].id, channel_id=w[channel].id, permission_id=perm
        )
        return bool(stub.HasPermissionToChannel(req).has_permission)

    assert chan("alice", "town", "read_channel") and chan("alice", "secret", "read_channel")
    # Public but not a member: the plugin API says no (verified on 11.4.0); team-level yes.
    assert not chan("bob", "town", "read_channel")
    assert chan("bob", "town", "read_public_channel")
    assert not chan("bob", "town", "create_post")  # ... but only members post
    assert not chan("bob", "secret", "read_channel")
    assert chan("admin", "secret", "read_channel")
    dm = state.directory.direct_channel(w["alice"].id, w["admin"].id)
    req = api_pb2.HasPermissionToChannelRequest(
        user_id=w["bob"].id, channel_id=dm.id, permission_id="read_channel"
    )
    assert not stub.HasPermissionToChannel(req).has_permission

    def system(user: str) -> bool:
        req = api_pb2.HasPermissionToRequest(user_id=w[user].id, permission_id="manage_system")
        return bool(stub.HasPermissionTo(req).has_permission)

    assert system("admin") and not system("alice")
    team = api_pb2.HasPermissionToTeamRequest(
        user_id=w["bob"].id, team_id=w["team"].id, permission_id="view_team"
    )
    assert stub.HasPermissionToTeam(team).has_permission


# -- bots, commands, dialogs, websocket, config, logs ---------------------------------------------
def test_ensure_bot_user(stub: api_pb2_grpc.PluginAPIStub, state: ServerState) -> None:
    err = status_error(lambda: stub.EnsureBotUser(api_pb2.EnsureBotUserRequest()))
    assert err.code() == grpc.StatusCode.INVALID_ARGUMENT
    bot = models_pb2.Bot(username="helper", display_name="Helper")
    first = stub.EnsureBotUser(api_pb2.EnsureBotUserRequest(bot=bot)).bot_user_id
    bot.display_name = "Helper 2"
    second = stub.EnsureBotUser(api_pb2.EnsureBotUserRequest(bot=bot)).bot_user_id
    assert first == second and state.directory.bots[first].display_name == "Helper 2"
    assert state.kv.get("mmi_botid") == first.encode()
    state.kv.delete("mmi_botid")
    human = state.directory.add_user("human")
    taken = models_pb2.Bot(username="human")
    assert stub.EnsureBotUser(api_pb2.EnsureBotUserRequest(bot=taken)).bot_user_id == human.id
    assert state.kv.get("mmi_botid") is None  # upstream only logs for a non-bot user


def test_commands(stub: api_pb2_grpc.PluginAPIStub, state: ServerState) -> None:
    cmd = models_pb2.Command(trigger="Esc", team_id="", auto_complete=True)
    stub.RegisterCommand(api_pb2.RegisterCommandRequest(command=cmd))
    assert state.command_for("any-team", "esc") is not None
    bad = status_error(
        lambda: stub.RegisterCommand(
            api_pb2.RegisterCommandRequest(command=models_pb2.Command(trigger=""))
        )
    )
    # A plain Go error upstream (verified on 11.4.0): INTERNAL, no AppError id.
    assert bad.code() == grpc.StatusCode.INTERNAL and bad.details() == "invalid command"
    stub.UnregisterCommand(api_pb2.UnregisterCommandRequest(team_id="", trigger="esc"))
    assert state.command_for("any-team", "esc") is None


def test_dialog_needs_a_fresh_trigger_id(
    stub: api_pb2_grpc.PluginAPIStub, state: ServerState
) -> None:
    alice = state.directory.add_user("alice")
    dialog = models_pb2.Dialog(callback_id="c", title="T")

    def open_dialog(trigger: str) -> Any:
        request = models_pb2.OpenDialogRequest(trigger_id=trigger, url="/p/x", dialog=dialog)
        return stub.OpenInteractiveDialog(api_pb2.OpenInteractiveDialogRequest(dialog=request))

    unknown = status_error(lambda: open_dialog("garbage"))
    assert unknown.code() == grpc.StatusCode.INVALID_ARGUMENT
    trigger = state.new_trigger(alice.id)
    open_dialog(trigger)
    assert state.dialogs[-1].user_id == alice.id and state.dialogs[-1].dialog["callback_id"] == "c"
    old = state.new_trigger(alice.id)
    state.clock.advance(31)
    expired = status_error(lambda: open_dialog(old))
    assert (expired.details() or "").startswith("interactive_message.decode_trigger_id.expired")


def test_websocket_config_logs_and_server_info(
    stub: api_pb2_grpc.PluginAPIStub, state: ServerState
) -> None:
    payload = struct_pb2.Struct()
    payload.update({"id": "e1", "n": 2})
    broadcast = models_pb2.WebsocketBroadcast(user_id="u1")
    stub.PublishWebSocketEvent(
        api_pb2.PublishWebSocketEventRequest(event="changed", payload=payload, broadcast=broadcast)
    )
    [event] = state.ws_events
    assert event.event == f"custom_{PLUGIN}_changed" and event.payload == {"id": "e1", "n": 2.0}
    assert event.broadcast["user_id"] == "u1"
    state.set_plugin_config({"TeamName": "core", "Limit": 5})
    config = stub.GetPluginConfig(api_pb2.GetPluginConfigRequest()).config
    assert dict(config) == {"teamname": "core", "limit": 5.0}  # console lower-cases keys
    saved = struct_pb2.Struct()
    saved.update({"TeamName": "other"})
    stub.SavePluginConfig(api_pb2.SavePluginConfigRequest(config=saved))
    loaded = stub.LoadPluginConfiguration(api_pb2.LoadPluginConfigurationRequest()).config_json
    assert json.loads(loaded) == {"teamname": "other"}  # Load lower-cases (verified on 11.4.0)
    kept = stub.GetPluginConfig(api_pb2.GetPluginConfigRequest()).config
    assert dict(kept) == {"TeamName": "other"}  # ... Get keeps the case as saved
    server = json.loads(stub.GetConfig(api_pb2.GetConfigRequest()).config_json)
    assert server["ServiceSettings"]["SiteURL"] == "http://localhost:8065"
    value = struct_pb2.Value(string_value="v")
    stub.LogWarn(
        api_pb2.LogWarnRequest(
            msg="careful", key_value_pairs=[models_pb2.KeyValuePair(key="k", value=value)]
        )
    )
    assert (state.logs[-1].level, state.logs[-1].message, state.logs[-1].fields) == (
        "warn",
        "careful",
        {"k": "v"},
    )
    assert stub.GetServerVersion(api_pb2.GetServerVersionRequest()).version == "10.5.0"
    assert stub.GetBundlePath(api_pb2.GetBundlePathRequest()).path == "/plugins/bundle"


def test_quiet_waits_for_calls_in_progress_and_a_quiet_spell(world: World) -> None:
    """``quiet``: how a test waits for the work a plugin does after it answered."""
    _, server, stub = world
    assert server.quiet(0.0, 1.0)
    stub.KVSet(api_pb2.KVSetRequest(key="k", value=b"v"))
    assert not server.quiet(0.5, 0.1)  # a call just ended: not quiet for 0.5 s yet
    assert server.quiet(0.1, 2.0)
