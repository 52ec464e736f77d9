"""PluginAPI contract beyond KV: posts, users, channels, teams, config, bots, errors.

Written against ``escalations.runtime.api.PluginAPIClient``; every test runs against each target
in ``TARGETS``: always the host emulator's in-memory ``PluginAPI`` (seeded with a team and three
team members), and additionally a real server's ``PluginAPI`` when ``API_CONTRACT_TARGET=host:port``
is set (``tests/e2e/test_e2e_api_contract.py`` sets it to the running plugin's target, through the
bridge, and passes the provisioned team and users in ``API_CONTRACT_WORLD`` as JSON).

Each assertion here was first an unverified assumption of the emulator (``tests/hostemu/README.md``
"Faithfulness choices"); the ``[remote]`` cases settle it on Mattermost, the ``[emulator]`` cases
keep the emulator honest. Real-server safety: only data this run creates (channel names under a
random prefix, ``API_CONTRACT_PREFIX`` tells the e2e wrapper which channels to archive afterwards),
posts are deleted, KV keys under the prefix are deleted, the plugin config is restored, the bot
is ensured with the product's own definition (so it is not renamed), ``KVDeleteAll`` never runs.
"""

from __future__ import annotations

import json
import os
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import grpc
import pytest

from escalations.runtime import errors
from escalations.runtime.api import PluginAPIClient
from escalations.runtime.models import Bot, Channel, Command, Dialog, Post
from escalations.runtime.pb import api_pb2, api_pb2_grpc
from hostemu import ServerState, new_id
from hostemu.api_server import PluginAPIServer

REMOTE_ENV = "API_CONTRACT_TARGET"
WORLD_ENV = "API_CONTRACT_WORLD"
PREFIX_ENV = "API_CONTRACT_PREFIX"

# The product's bot (server/escalations/app/workflow/activation.py): on a real server EnsureBotUser
# patches the plugin's remembered bot, so only this exact definition is safe to ensure.
BOT = Bot(
    username="community-escalations",
    display_name="Community Escalations",
    description="Routes sensitive community topics to their approved responders.",
)
BOT_ID_KEY = "mmi_botid"
ATTACHMENT: dict[str, Any] = {
    "text": "attached",
    "actions": [
        {
            "id": "go",
            "name": "Go",
            "type": "button",
            "integration": {"url": "/plugins/x/y", "context": {"k": "v"}},
        }
    ],
}


@dataclass
class Target:
    name: str
    client: PluginAPIClient
    raw: Any  # PluginAPIStub on the same target, for wire-level checks
    team_id: str
    team_name: str
    users: tuple[str, str, str]  # ids of three active team members (no channel memberships made)
    prefix: str  # lower-case, for channel names and KV keys
    archive: Callable[[str], None]  # archive a channel (no PluginAPI RPC for it)
    posts: list[str] = field(default_factory=list)
    # What the server recorded of PublishWebSocketEvent calls (emulator only: a real server's
    # delivery is checked by the end-to-end WebSocket tests).
    sent_events: Callable[[], list[Any]] | None = None

    def new_channel(self, kind: str = "O", member: str | None = None) -> Channel:
        name = f"{self.prefix}{new_id()[:10]}"
        made = self.client.create_channel(
            Channel(team_id=self.team_id, type=kind, name=name, display_name=name)
        )
        if member:
            self.client.add_channel_member(made.id, member)
        return made

    def post(self, channel_id: str, message: str = "hello", **fields: Any) -> Post:
        user_id = fields.pop("user_id", self.users[0])
        made = self.client.create_post(
            Post(channel_id=channel_id, user_id=user_id, message=message, **fields)
        )
        self.posts.append(made.id)
        return made


@dataclass
class _Opened:
    target: Target
    close: Callable[[], None]


def _open(
    name: str,
    address: str,
    world: dict[str, Any],
    stop: Callable[[], None],
    archive: Callable[[str], None],
) -> _Opened:
    client = PluginAPIClient.connect(address)
    channel = grpc.insecure_channel(address)
    prefix = os.environ.get(PREFIX_ENV) or f"apic-{new_id()[:6]}-"
    target = Target(
        name,
        client,
        api_pb2_grpc.PluginAPIStub(channel),
        world["team_id"],
        world["team_name"],
        tuple(world["users"]),
        prefix,
        archive,
    )

    def close() -> None:
        for post_id in reversed(target.posts):
            try:
                client.delete_post(post_id)
            except errors.PluginAPIError:
                pass  # already gone (a test deleted it, or its root's deletion took it)
        for key in _all_keys(client):
            if key.startswith(prefix):
                client.kv_delete(key)
        client.close()
        channel.close()
        stop()

    return _Opened(target, close)


def _all_keys(client: PluginAPIClient) -> list[str]:
    keys: list[str] = []
    for page in range(10_000):
        batch = client.kv_list(page=page, per_page=100)
        keys.extend(batch)
        if len(batch) < 100:
            return keys
    raise AssertionError("KVList never ended")


def _emulator() -> _Opened:
    state = ServerState("com.example.apicontract")
    d = state.directory
    team = d.add_team("contract-team", "Contract Team")
    users = [d.add_user(name) for name in ("ann", "ben", "cat")]
    for user in users:
        d.add_team_member(team.id, user.id)
    server = PluginAPIServer(state, "/tmp", "emulated")
    world = {"team_id": team.id, "team_name": team.name, "users": [u.id for u in users]}

    def archive(channel_id: str) -> None:
        d.update_channel(channel_id, delete_at=state.clock.now_ms())

    opened = _open("emulator", server.start(), world, server.stop, archive)
    opened.target.sent_events = lambda: list(state.ws_events)
    return opened


def _remote() -> _Opened:
    """``API_CONTRACT_WORLD`` also carries ``site_url`` and an admin ``token`` for archiving."""
    world = json.loads(os.environ[WORLD_ENV])

    def archive(channel_id: str) -> None:
        request = urllib.request.Request(
            f"{world['site_url']}/api/v4/channels/{channel_id}",
            method="DELETE",
            headers={
                "Authorization": f"Bearer {world['token']}",
                "X-Requested-With": "XMLHttpRequest",
            },
        )
        with urllib.request.urlopen(request, timeout=30) as answer:
            assert answer.status == 200

    return _open("remote", os.environ[REMOTE_ENV], world, lambda: None, archive)


TARGETS: dict[str, Callable[[], _Opened]] = {"emulator": _emulator}
if os.environ.get(REMOTE_ENV):
    TARGETS["remote"] = _remote


@pytest.fixture(params=sorted(TARGETS))
def api(request: pytest.FixtureRequest) -> Iterator[Target]:
    opened = TARGETS[request.param]()
    try:
        yield opened.target
    finally:
        opened.close()


# -- posts ----------------------------------------------------------------------------------------
def test_create_post_answer_and_get_post_carry_props(api: Target) -> None:
    channel = api.new_channel()
    made = api.post(channel.id, props={"kind": "plain", "n": 1})
    assert made.id and made.create_at > 0 and made.props.get("kind") == "plain"
    assert api.client.get_post(made.id).props.get("kind") == "plain"


def test_post_with_attachments_answers(api: Target) -> None:
    attachment = {
        **ATTACHMENT,
        "custom": "dropped",
        "fields": [{"title": "t", "value": "v", "short": True, "extra": 1}],
        "actions": [{**ATTACHMENT["actions"][0], "style": "primary", "custom": "dropped"}],
    }
    channel = api.new_channel()
    made = api.post(channel.id, props={"attachments": [attachment], "kind": "card", "n": 3})
    # The answer carries the props (numbers as floats) and marks the post as the plugin's.
    assert made.props["kind"] == "card" and made.props["n"] == 3.0
    assert made.props["from_plugin"] == "true"
    answered = made.props["attachments"][0]
    # Attachments come back as the server's typed SlackAttachment: every field, unknown keys gone.
    assert answered["text"] == "attached" and answered["pretext"] == "" and answered["id"] == 0
    assert answered["ts"] is None and "custom" not in answered
    assert answered["fields"] == [{"title": "t", "value": "v", "short": True}]
    # ... and the answer's actions have no integration; GetPost keeps it.
    assert answered["actions"] == [{"id": "go", "name": "Go", "type": "button", "style": "primary"}]
    stored = api.client.get_post(made.id).props["attachments"][0]
    assert stored["actions"][0]["integration"] == {"url": "/plugins/x/y", "context": {"k": "v"}}
    assert "custom" not in stored and "custom" not in stored["actions"][0]
    updated = api.client.update_post(
        Post(
            id=made.id,
            channel_id=channel.id,
            user_id=made.user_id,
            message="edited",
            props={"attachments": [ATTACHMENT], "kind": "card2"},
        )
    )
    assert updated.props["kind"] == "card2" and "from_plugin" not in updated.props
    assert updated.props["attachments"][0]["text"] == "attached"
    assert "integration" not in updated.props["attachments"][0]["actions"][0]
    assert "integration" in api.client.get_post(made.id).props["attachments"][0]["actions"][0]


def test_update_post_replaces_props_wholesale(api: Target) -> None:
    channel = api.new_channel()
    made = api.post(channel.id, props={"a": "1", "b": "2"})
    api.client.update_post(
        Post(
            id=made.id,
            channel_id=channel.id,
            user_id=made.user_id,
            message="v2",
            props={"a": "x"},
        )
    )
    stored = api.client.get_post(made.id)
    assert stored.message == "v2" and stored.edit_at > 0
    assert stored.props == {"a": "x"}  # from_plugin went with the rest
    api.client.update_post(
        Post(id=made.id, channel_id=channel.id, user_id=made.user_id, message="v3")
    )
    assert api.client.get_post(made.id).props == {}


def test_posts_by_the_bot_get_from_bot(api: Target) -> None:
    bot_id = api.client.ensure_bot_user(BOT)
    channel = api.new_channel()
    made = api.post(channel.id, "from the bot", user_id=bot_id)
    assert api.client.get_post(made.id).props.get("from_bot") == "true"
    human = api.post(channel.id, "from a human")
    assert "from_bot" not in api.client.get_post(human.id).props


def test_post_thread_order(api: Target) -> None:
    """Only the first place is stable on a real server: the requested post. The rest is
    usually the other replies oldest first, then the root, but not reliably (seen reordered);
    callers sort by ``create_at``."""
    channel = api.new_channel()
    root = api.post(channel.id, "root")
    r0, r1, r2 = (api.post(channel.id, f"r{i}", root_id=root.id) for i in range(3))
    everyone = {root.id, r0.id, r1.id, r2.id}
    for asked in (root, r0, r1, r2):
        thread = api.client.get_post_thread(asked.id)
        assert thread.order[0] == asked.id
        assert set(thread.order) == everyone and len(thread.order) == 4
        assert set(thread.posts) == everyone


def test_posts_since(api: Target) -> None:
    """The channel's posts changed after a time: newest first, deleted ones included (with their
    ``delete_at``), props kept; a reply's root rides along (in ``posts``, in ``order`` only if
    it changed too)."""
    channel = api.new_channel()
    root = api.post(channel.id, "before")
    since = api.client.get_post(root.id).update_at
    kept = api.post(channel.id, "kept", props={"mark": "m1"})
    gone = api.post(channel.id, "gone")
    api.client.delete_post(gone.id)
    reply = api.post(channel.id, "reply", root_id=root.id)
    found = api.client.get_posts_since(channel.id, since)
    assert set(found.order) - {root.id} == {kept.id, gone.id, reply.id}
    times = [found.posts[i].create_at for i in found.order]
    assert times == sorted(times, reverse=True)
    assert found.posts[gone.id].delete_at > 0
    assert found.posts[kept.id].props.get("mark") == "m1"
    assert root.id in found.posts
    latest = max(p.update_at for p in found.posts.values())
    assert api.client.get_posts_since(channel.id, latest).order == ()


def test_deleted_post_is_not_found(api: Target) -> None:
    channel = api.new_channel()
    made = api.post(channel.id)
    api.client.delete_post(made.id)
    with pytest.raises(errors.NotFoundError) as info:
        api.client.get_post(made.id)
    assert info.value.status_code == 404


def test_create_post_without_a_known_user_is_not_found(api: Target) -> None:
    channel = api.new_channel()
    for user_id in ("", new_id()):
        with pytest.raises(errors.NotFoundError) as info:
            api.client.create_post(Post(channel_id=channel.id, user_id=user_id, message="x"))
        assert info.value.status_code == 404
        assert info.value.error_id == "app.user.missing_account.const"


def test_create_post_in_unknown_channel_fails(api: Target) -> None:
    with pytest.raises(errors.PluginAPIError) as info:
        api.client.create_post(Post(channel_id=new_id(), user_id=api.users[0], message="x"))
    assert info.value.status_code in (400, 403, 404)


def test_ephemeral_post_answer(api: Target) -> None:
    channel = api.new_channel(member=api.users[0])
    post = Post(
        channel_id=channel.id,
        user_id=api.users[1],
        message="only you",
        props={"attachments": [ATTACHMENT]},
    )
    sent = api.client.send_ephemeral_post(api.users[0], post)
    assert sent.id and sent.type == "system_ephemeral" and sent.create_at > 0
    assert sent.channel_id == channel.id and sent.message == "only you"
    assert "from_plugin" not in sent.props
    action = sent.props["attachments"][0]["actions"][0]
    assert "integration" not in action and action["cookie"]  # opaque, signed by the server
    again = api.client.update_ephemeral_post(
        api.users[0], Post(id=sent.id, channel_id=channel.id, user_id=api.users[1], message="v2")
    )
    assert again.id == sent.id and again.type == "system_ephemeral" and again.message == "v2"
    api.client.delete_ephemeral_post(api.users[0], sent.id)


# -- users ----------------------------------------------------------------------------------------
def test_users_by_id_and_name(api: Target) -> None:
    user = api.client.get_user(api.users[0])
    assert api.client.get_user_by_username(user.username).id == user.id
    found = api.client.get_users_by_usernames([user.username, f"{api.prefix}nobody"])
    assert [u.id for u in found] == [user.id]


def test_plain_user_shape(api: Target) -> None:
    user = api.client.get_user(api.users[0])
    assert user.roles == "system_user" and user.locale == "en"
    assert not user.is_bot and user.delete_at == 0 and user.create_at > 0 and user.email


def test_unknown_user_is_not_found(api: Target) -> None:
    with pytest.raises(errors.NotFoundError) as info:
        api.client.get_user(new_id())
    assert info.value.status_code == 404
    assert info.value.error_id == "app.user.missing_account.const"
    with pytest.raises(errors.NotFoundError) as info:
        api.client.get_user_by_username(f"{api.prefix}nobody")
    assert info.value.status_code == 404
    assert info.value.error_id == "app.user.get_by_username.app_error"


# -- teams ----------------------------------------------------------------------------------------
def test_team_by_id_and_name(api: Target) -> None:
    team = api.client.get_team(api.team_id)
    assert team.name == api.team_name
    assert api.client.get_team_by_name(api.team_name).id == api.team_id


def test_unknown_team_is_not_found(api: Target) -> None:
    with pytest.raises(errors.NotFoundError) as info:
        api.client.get_team(new_id())
    assert info.value.error_id == "app.team.get.find.app_error"
    with pytest.raises(errors.NotFoundError) as info:
        api.client.get_team_by_name(f"{api.prefix}noteam")
    assert info.value.error_id == "app.team.get_by_name.missing.app_error"


# -- channels -------------------------------------------------------------------------------------
def test_create_channel_and_find_it(api: Target) -> None:
    made = api.new_channel("P")
    assert made.id and made.type == "P" and made.team_id == api.team_id
    assert api.client.get_channel(made.id).name == made.name
    assert api.client.get_channel_by_name(api.team_id, made.name).id == made.id
    found = api.client.get_channel_by_name_for_team_name(api.team_name, made.name)
    assert found.id == made.id


def test_creator_is_not_a_member(api: Target) -> None:
    made = api.new_channel("P")
    with pytest.raises(errors.NotFoundError) as info:
        api.client.get_channel_member(made.id, api.users[0])
    assert info.value.error_id == "app.channel.get_member.missing.app_error"


def test_duplicate_channel_name(api: Target) -> None:
    made = api.new_channel()
    with pytest.raises(errors.InvalidArgumentError) as info:
        api.client.create_channel(
            Channel(team_id=api.team_id, type="O", name=made.name, display_name="dup")
        )
    assert info.value.status_code == 400
    assert info.value.error_id == "store.sql_channel.save_channel.exists.app_error"


def test_unknown_channel_is_not_found(api: Target) -> None:
    with pytest.raises(errors.NotFoundError) as info:
        api.client.get_channel(new_id())
    assert info.value.error_id == "app.channel.get.existing.app_error"
    with pytest.raises(errors.NotFoundError) as info:
        api.client.get_channel_by_name(api.team_id, f"{api.prefix}nochannel")
    assert info.value.error_id == "app.channel.get_by_name.missing.app_error"


def test_add_channel_member_makes_a_member(api: Target) -> None:
    made = api.new_channel("P")
    member = api.client.add_channel_member(made.id, api.users[1])
    assert member.channel_id == made.id and member.user_id == api.users[1]
    assert api.client.get_channel_member(made.id, api.users[1]).user_id == api.users[1]


def test_read_channel_permission_of_non_members(api: Target) -> None:
    public = api.new_channel("O", member=api.users[0])
    private = api.new_channel("P", member=api.users[0])
    outsider = api.users[2]
    member_reads = api.client.has_permission_to_channel(api.users[0], public.id, "read_channel")
    assert member_reads
    assert api.client.has_permission_to_team(outsider, api.team_id, "read_public_channel")
    assert not api.client.has_permission_to_channel(outsider, private.id, "read_channel")
    assert not api.client.has_permission_to_channel(outsider, public.id, "create_post")
    # Public does not mean readable here: a non-member needs the team-level check.
    assert not api.client.has_permission_to_channel(outsider, public.id, "read_channel")
    assert api.client.has_permission_to_channel(outsider, private.id, "read_public_channel")


def test_use_slash_commands_is_not_granted_through_the_plugin_api(api: Target) -> None:
    public = api.new_channel("O", member=api.users[0])
    assert not api.client.has_permission_to_channel(api.users[0], public.id, "use_slash_commands")
    assert not api.client.has_permission_to_team(api.users[0], api.team_id, "use_slash_commands")
    assert not api.client.has_permission_to(api.users[0], "use_slash_commands")
    assert not api.client.has_permission_to(api.users[0], "manage_system")


def test_archived_channel(api: Target) -> None:
    made = api.new_channel("O", member=api.users[0])
    api.archive(made.id)
    assert api.client.get_channel(made.id).delete_at > 0
    with pytest.raises(errors.NotFoundError) as info:
        api.client.get_channel_by_name(api.team_id, made.name)
    assert info.value.error_id == "app.channel.get_by_name.missing.app_error"
    found = api.client.get_channel_by_name(api.team_id, made.name, include_deleted=True)
    assert found.id == made.id and found.delete_at > 0
    # The plugin API neither refuses a post nor a member in an archived channel ...
    late = api.client.create_post(Post(channel_id=made.id, user_id=api.users[0], message="late"))
    assert api.client.get_post(late.id).channel_id == made.id
    assert api.client.add_channel_member(made.id, api.users[1]).user_id == api.users[1]
    # ... but will not delete a post there (so this one stays, in an archived channel).
    with pytest.raises(errors.InvalidArgumentError) as refused:
        api.client.delete_post(late.id)
    assert refused.value.error_id == "api.post.delete_post.can_not_delete_post_in_deleted.error"


def test_add_channel_member_twice_is_fine(api: Target) -> None:
    made = api.new_channel("P", member=api.users[1])
    again = api.client.add_channel_member(made.id, api.users[1])
    assert again.user_id == api.users[1] and again.channel_id == made.id


def test_direct_channel(api: Target) -> None:
    a, b = api.users[0], api.users[1]
    dm = api.client.get_direct_channel(a, b)
    assert dm.type == "D" and dm.name == "__".join(sorted((a, b))) and dm.team_id == ""
    assert api.client.get_direct_channel(b, a).id == dm.id
    assert api.client.get_channel_member(dm.id, a).user_id == a


def test_users_by_ids_and_email(api: Target) -> None:
    found = api.client.get_users_by_ids([api.users[0], new_id()])
    assert [u.id for u in found] == [api.users[0]]
    user = found[0]
    assert api.client.get_user_by_email(user.email).id == user.id
    with pytest.raises(errors.NotFoundError):
        api.client.get_user_by_email(f"{api.prefix}nobody@example.invalid")


def test_channel_by_name_for_an_unknown_team(api: Target) -> None:
    with pytest.raises(errors.NotFoundError) as info:
        api.client.get_channel_by_name_for_team_name(f"{api.prefix}noteam", "town-square")
    assert info.value.status_code == 404


# -- commands -------------------------------------------------------------------------------------
def test_register_command_refuses_only_an_empty_trigger(api: Target) -> None:
    with pytest.raises(errors.InternalError) as info:
        api.client.register_command(Command(trigger="", team_id=api.team_id))
    assert info.value.error_id == "" and "invalid command" in info.value.message
    trigger = f"{api.prefix}Probe"
    api.client.register_command(Command(trigger=trigger, team_id=api.team_id))
    api.client.unregister_command(api.team_id, trigger)
    api.client.unregister_command(api.team_id, f"{api.prefix}never")  # unknown: no error


# -- dialogs --------------------------------------------------------------------------------------
def test_dialog_with_a_bogus_trigger_id(api: Target) -> None:
    with pytest.raises(errors.InvalidArgumentError) as info:
        api.client.open_interactive_dialog(
            "bogus-trigger", "/plugins/x/y", Dialog(callback_id="c", title="T")
        )
    assert info.value.error_id == "interactive_message.decode_trigger_id.base64_decode_failed"


def test_member_of_an_unknown_channel_is_not_found(api: Target) -> None:
    with pytest.raises(errors.NotFoundError) as info:
        api.client.get_channel_member(new_id(), api.users[0])
    assert info.value.error_id == "app.channel.get_member.missing.app_error"


# -- bots -----------------------------------------------------------------------------------------
def test_ensure_bot_user_is_idempotent_and_remembered(api: Target) -> None:
    first = api.client.ensure_bot_user(BOT)
    assert api.client.ensure_bot_user(BOT) == first
    user = api.client.get_user(first)
    assert user.is_bot and user.username == BOT.username
    assert api.client.kv_get(BOT_ID_KEY) == first.encode()


# -- config ---------------------------------------------------------------------------------------
def test_plugin_config_key_case_and_numbers(api: Target) -> None:
    """Saved keys keep their case; GetPluginConfig gives them as stored (numbers as floats),
    LoadPluginConfiguration lower-cases them (numbers as JSON ints)."""
    original = api.client.get_plugin_config()
    probe = {**original, "ContractProbe": f"{api.prefix}x", "ContractNumber": 5}
    try:
        api.client.save_plugin_config(probe)
        got = api.client.get_plugin_config()
        loaded = api.client.load_plugin_configuration()
        raw = api.client.get_config()["PluginSettings"]["Plugins"]
    finally:
        api.client.save_plugin_config(original)
    assert got["ContractProbe"] == f"{api.prefix}x" and "contractprobe" not in got
    assert got["ContractNumber"] == 5 and isinstance(got["ContractNumber"], float)
    assert loaded["contractprobe"] == f"{api.prefix}x" and "ContractProbe" not in loaded
    assert loaded["contractnumber"] == 5 and isinstance(loaded["contractnumber"], int)
    assert any(v.get("ContractProbe") == f"{api.prefix}x" for v in raw.values())
    assert api.client.get_plugin_config() == original


def test_server_config_has_site_url(api: Target) -> None:
    config = api.client.get_config()
    assert "SiteURL" in config["ServiceSettings"]
    assert isinstance(config["PluginSettings"]["Plugins"], dict)


# -- KV listing (the two readings kv.py left open) -------------------------------------------------
def test_kv_list_is_ordered_by_key(api: Target) -> None:
    for i in (3, 1, 2):
        api.client.kv_set(f"{api.prefix}order-{i}", b"1")
    keys = _all_keys(api.client)
    assert keys == sorted(keys)


def test_kv_list_with_zero_per_page(api: Target) -> None:
    for i in range(12):
        api.client.kv_set(f"{api.prefix}page-{i:02d}", b"1")
    assert len(api.client.kv_list(page=0, per_page=0)) == 10


# -- wire conventions -----------------------------------------------------------------------------
def test_get_post_error_is_embedded(api: Target) -> None:
    answer = api.raw.GetPost(api_pb2.GetPostRequest(post_id=new_id()))
    assert answer.error.id and answer.error.status_code == 404


def test_get_user_error_is_a_grpc_status(api: Target) -> None:
    with pytest.raises(grpc.RpcError) as info:
        api.raw.GetUser(api_pb2.GetUserRequest(user_id=new_id()))
    assert info.value.code() == grpc.StatusCode.NOT_FOUND
    assert (info.value.details() or "").startswith("app.user.missing_account.const: ")


def test_publish_websocket_event_with_omit_users_is_accepted(api: Target) -> None:
    from escalations.runtime.models import WebsocketBroadcast

    broadcast = WebsocketBroadcast(user_id=api.users[0], omit_users=(api.users[1],))
    api.client.publish_websocket_event("contract_probe", {"n": 1}, broadcast)  # no error raised
    # the same call is accepted with nobody omitted and with an unknown user omitted
    for omit in ((), (new_id(),)):
        api.client.publish_websocket_event(
            "contract_probe", {"n": 2}, WebsocketBroadcast(user_id=api.users[0], omit_users=omit)
        )
    if api.sent_events is None:
        return
    probes = [e for e in api.sent_events() if e.plugin_event == "contract_probe"]
    assert [e.payload for e in probes] == [{"n": 1}, {"n": 2}, {"n": 2}]
    assert probes[0].event.startswith("custom_") and probes[0].event.endswith("_contract_probe")
    assert probes[0].broadcast["user_id"] == api.users[0]
    assert list(probes[0].broadcast["omit_users"]) == [api.users[1]]
    assert not probes[1].broadcast["omit_users"]
