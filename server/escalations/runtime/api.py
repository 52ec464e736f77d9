"""``PluginAPIClient``: typed, synchronous access to the Mattermost ``PluginAPI`` gRPC service.

Usage::

    api = PluginAPIClient.connect(os.environ["MATTERMOST_PLUGIN_API_TARGET"])
    user = api.get_user_by_username("alice")          # -> models.User
    won = api.kv_set_with_options("claim:e1", b"...", atomic=True, old_value=None)

Contract:

* Thread-safe: one client (one gRPC channel) is shared by every hook thread.
* Every call carries a deadline (``timeout`` given to ``connect``, default 10 s).
* Every call goes through :meth:`PluginAPIClient._call`, which checks both upstream error
  conventions (embedded ``AppError`` and gRPC status) and raises from the tree in
  :mod:`escalations.runtime.errors`; no raw ``grpc.RpcError`` escapes.
* KV values are ``bytes``; ``None`` means missing (read) or delete (write). The server cannot store
  an empty value: ``b""`` behaves exactly like ``None`` (docs/protocol.md §8.2).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

import grpc

from escalations.runtime import errors
from escalations.runtime.models import (
    Bot,
    Channel,
    ChannelMember,
    Command,
    Dialog,
    Post,
    PostList,
    Team,
    User,
    WebsocketBroadcast,
    dict_to_struct,
    struct_to_dict,
    value_to_proto,
)
from escalations.runtime.pb import api_pb2, api_pb2_grpc, models_pb2

DEFAULT_TIMEOUT = 10.0
# Large enough for any plugin payload; the upstream SDK used 100 MB on this channel.
MAX_MESSAGE_BYTES = 100 * 1024 * 1024
_CHANNEL_OPTIONS = [
    ("grpc.max_send_message_length", MAX_MESSAGE_BYTES),
    ("grpc.max_receive_message_length", MAX_MESSAGE_BYTES),
    ("grpc.keepalive_time_ms", 10_000),
    ("grpc.keepalive_timeout_ms", 5_000),
    ("grpc.keepalive_permit_without_calls", 0),
]


class PluginAPIClient:
    """Typed client for ``mattermost.pluginapi.v1.PluginAPI``. See the module docstring."""

    def __init__(self, channel: grpc.Channel, *, timeout: float = DEFAULT_TIMEOUT) -> None:
        self._channel = channel
        self._stub = api_pb2_grpc.PluginAPIStub(channel)
        self.timeout = timeout

    @classmethod
    def connect(cls, target: str, *, timeout: float = DEFAULT_TIMEOUT) -> PluginAPIClient:
        """A client on an insecure channel to ``target`` (``host:port``). Connects lazily."""
        return cls(grpc.insecure_channel(target, options=_CHANNEL_OPTIONS), timeout=timeout)

    def close(self) -> None:
        self._channel.close()

    def __enter__(self) -> PluginAPIClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _call(self, rpc: str, request: Any, timeout: float | None = None) -> Any:
        """Invoke ``rpc`` with a deadline and map every failure into :mod:`errors`.

        Both conventions are checked on every RPC, whatever upstream's habit for it is.
        """
        method = getattr(self._stub, rpc)
        try:
            response = method(request, timeout=self.timeout if timeout is None else timeout)
        except grpc.RpcError as exc:
            raise errors.from_rpc_error(rpc, exc) from None
        if response.HasField("error") and errors.has_app_error(response.error):
            raise errors.from_app_error(rpc, response.error)
        return response

    # ---- KV store -------------------------------------------------------------------------

    def kv_get(self, key: str) -> bytes | None:
        """The value under ``key``, or ``None`` if missing (or expired)."""
        value = bytes(self._call("KVGet", api_pb2.KVGetRequest(key=key)).value)
        return value or None

    def kv_set(self, key: str, value: bytes | None) -> None:
        """Upsert; ``None``/``b""`` deletes the key."""
        self._call("KVSet", api_pb2.KVSetRequest(key=key, value=value or b""))

    def kv_delete(self, key: str) -> None:
        """Delete ``key``; a missing key is not an error."""
        self._call("KVDelete", api_pb2.KVDeleteRequest(key=key))

    def kv_delete_all(self) -> None:
        """Delete every key of this plugin."""
        self._call("KVDeleteAll", api_pb2.KVDeleteAllRequest())

    def kv_set_with_expiry(self, key: str, value: bytes | None, expire_in_seconds: int) -> None:
        """Upsert with a time to live; use only for records that must heal themselves (locks)."""
        request = api_pb2.KVSetWithExpiryRequest(
            key=key, value=value or b"", expire_in_seconds=expire_in_seconds
        )
        self._call("KVSetWithExpiry", request)

    def kv_set_with_options(
        self,
        key: str,
        value: bytes | None,
        *,
        atomic: bool = False,
        old_value: bytes | None = None,
        expire_in_seconds: int = 0,
    ) -> bool:
        """Set (or, with ``value=None``, delete) with options; ``True`` if it was written.

        With ``atomic=True`` the write happens only if the current value equals ``old_value``;
        ``old_value=None`` means "only if the key is absent" (insert-if-absent, a one-shot
        claim). A mismatch returns ``False``, not an error. ``old_value`` without ``atomic``
        is invalid and raises :class:`errors.InvalidArgumentError` without calling the server.
        """
        if old_value and not atomic:
            raise errors.InvalidArgumentError(
                "KVSetWithOptions", "old_value requires atomic=True", error_id="plugin.kv.options"
            )
        options = models_pb2.PluginKVSetOptions(
            atomic=atomic, old_value=old_value or b"", expire_in_seconds=expire_in_seconds
        )
        request = api_pb2.KVSetWithOptionsRequest(key=key, value=value or b"", options=options)
        return bool(self._call("KVSetWithOptions", request).success)

    def kv_compare_and_set(
        self, key: str, old_value: bytes | None, new_value: bytes | None
    ) -> bool:
        """Write ``new_value`` if the current value is ``old_value`` (``None``: key absent)."""
        request = api_pb2.KVCompareAndSetRequest(
            key=key, old_value=old_value or b"", new_value=new_value or b""
        )
        return bool(self._call("KVCompareAndSet", request).success)

    def kv_compare_and_delete(self, key: str, old_value: bytes) -> bool:
        """Delete ``key`` if its current value is ``old_value``."""
        request = api_pb2.KVCompareAndDeleteRequest(key=key, old_value=old_value)
        return bool(self._call("KVCompareAndDelete", request).success)

    def kv_list(self, page: int = 0, per_page: int = 100) -> tuple[str, ...]:
        """One page of this plugin's keys (no values)."""
        response = self._call("KVList", api_pb2.KVListRequest(page=page, per_page=per_page))
        return tuple(response.keys)

    # ---- posts ----------------------------------------------------------------------------

    def create_post(self, post: Post) -> Post:
        """Create a post. Set ``post.user_id`` yourself. In the answer, attachment actions lack
        their ``integration`` (seen on a real server); read the post back when you need it."""
        response = self._call("CreatePost", api_pb2.CreatePostRequest(post=post.to_proto()))
        return Post.from_proto(response.post)

    def update_post(self, post: Post) -> Post:
        """Replace a post (by ``post.id``), props included."""
        response = self._call("UpdatePost", api_pb2.UpdatePostRequest(post=post.to_proto()))
        return Post.from_proto(response.post)

    def get_post(self, post_id: str) -> Post:
        return Post.from_proto(self._call("GetPost", api_pb2.GetPostRequest(post_id=post_id)).post)

    def delete_post(self, post_id: str) -> None:
        self._call("DeletePost", api_pb2.DeletePostRequest(post_id=post_id))

    def get_post_thread(self, post_id: str) -> PostList:
        """The whole thread containing ``post_id``."""
        response = self._call("GetPostThread", api_pb2.GetPostThreadRequest(post_id=post_id))
        return PostList.from_proto(response.post_list)

    def get_posts_since(self, channel_id: str, time_ms: int) -> PostList:
        """The channel's posts updated after ``time_ms`` (epoch ms), deleted ones included,
        newest first in ``order`` (at most 1000; the roots of replies among them are in
        ``posts`` only). docs/protocol.md §4.1 says when a server may answer from a cache."""
        request = api_pb2.GetPostsSinceRequest(channel_id=channel_id, time=time_ms)
        return PostList.from_proto(self._call("GetPostsSince", request).post_list)

    def send_ephemeral_post(self, user_id: str, post: Post) -> Post:
        """Show ``post`` to ``user_id`` only (not stored); needs ``channel_id``."""
        request = api_pb2.SendEphemeralPostRequest(user_id=user_id, post=post.to_proto())
        return Post.from_proto(self._call("SendEphemeralPost", request).post)

    def update_ephemeral_post(self, user_id: str, post: Post) -> Post:
        request = api_pb2.UpdateEphemeralPostRequest(user_id=user_id, post=post.to_proto())
        return Post.from_proto(self._call("UpdateEphemeralPost", request).post)

    def delete_ephemeral_post(self, user_id: str, post_id: str) -> None:
        request = api_pb2.DeleteEphemeralPostRequest(user_id=user_id, post_id=post_id)
        self._call("DeleteEphemeralPost", request)

    # ---- users ----------------------------------------------------------------------------

    def get_user(self, user_id: str) -> User:
        return User.from_proto(self._call("GetUser", api_pb2.GetUserRequest(user_id=user_id)).user)

    def get_user_by_username(self, username: str) -> User:
        request = api_pb2.GetUserByUsernameRequest(name=username)
        return User.from_proto(self._call("GetUserByUsername", request).user)

    def get_users_by_usernames(self, usernames: Iterable[str]) -> tuple[User, ...]:
        """Users found (unknown usernames are left out, order not guaranteed)."""
        request = api_pb2.GetUsersByUsernamesRequest(usernames=list(usernames))
        return tuple(User.from_proto(u) for u in self._call("GetUsersByUsernames", request).users)

    def get_users_by_ids(self, user_ids: Iterable[str]) -> tuple[User, ...]:
        request = api_pb2.GetUsersByIdsRequest(user_ids=list(user_ids))
        return tuple(User.from_proto(u) for u in self._call("GetUsersByIds", request).users)

    def get_user_by_email(self, email: str) -> User:
        request = api_pb2.GetUserByEmailRequest(email=email)
        return User.from_proto(self._call("GetUserByEmail", request).user)

    # ---- channels -------------------------------------------------------------------------

    def get_channel(self, channel_id: str) -> Channel:
        request = api_pb2.GetChannelRequest(channel_id=channel_id)
        return Channel.from_proto(self._call("GetChannel", request).channel)

    def get_channel_by_name(
        self, team_id: str, name: str, include_deleted: bool = False
    ) -> Channel:
        request = api_pb2.GetChannelByNameRequest(
            team_id=team_id, name=name, include_deleted=include_deleted
        )
        return Channel.from_proto(self._call("GetChannelByName", request).channel)

    def get_channel_by_name_for_team_name(
        self, team_name: str, channel_name: str, include_deleted: bool = False
    ) -> Channel:
        request = api_pb2.GetChannelByNameForTeamNameRequest(
            team_name=team_name, channel_name=channel_name, include_deleted=include_deleted
        )
        return Channel.from_proto(self._call("GetChannelByNameForTeamName", request).channel)

    def get_direct_channel(self, user_id_1: str, user_id_2: str) -> Channel:
        """The DM channel of two users (created if needed)."""
        request = api_pb2.GetDirectChannelRequest(user_id_1=user_id_1, user_id_2=user_id_2)
        return Channel.from_proto(self._call("GetDirectChannel", request).channel)

    def create_channel(self, channel: Channel) -> Channel:
        request = api_pb2.CreateChannelRequest(channel=channel.to_proto())
        return Channel.from_proto(self._call("CreateChannel", request).channel)

    def add_channel_member(self, channel_id: str, user_id: str) -> ChannelMember:
        request = api_pb2.AddChannelMemberRequest(channel_id=channel_id, user_id=user_id)
        return ChannelMember.from_proto(self._call("AddChannelMember", request).channel_member)

    def add_user_to_channel(self, channel_id: str, user_id: str, as_user_id: str) -> ChannelMember:
        request = api_pb2.AddUserToChannelRequest(
            channel_id=channel_id, user_id=user_id, as_user_id=as_user_id
        )
        return ChannelMember.from_proto(self._call("AddUserToChannel", request).channel_member)

    def get_channel_member(self, channel_id: str, user_id: str) -> ChannelMember:
        """Raises :class:`errors.NotFoundError` if the user is not a member."""
        request = api_pb2.GetChannelMemberRequest(channel_id=channel_id, user_id=user_id)
        return ChannelMember.from_proto(self._call("GetChannelMember", request).channel_member)

    def get_channel_members(
        self, channel_id: str, page: int = 0, per_page: int = 200
    ) -> tuple[ChannelMember, ...]:
        """One page of a channel's members."""
        request = api_pb2.GetChannelMembersRequest(
            channel_id=channel_id, page=page, per_page=per_page
        )
        response = self._call("GetChannelMembers", request)
        return tuple(ChannelMember.from_proto(m) for m in response.channel_members)

    def delete_channel_member(self, channel_id: str, user_id: str) -> None:
        """Remove ``user_id`` from the channel."""
        request = api_pb2.DeleteChannelMemberRequest(channel_id=channel_id, user_id=user_id)
        self._call("DeleteChannelMember", request)

    # ---- teams ----------------------------------------------------------------------------

    def get_team(self, team_id: str) -> Team:
        return Team.from_proto(self._call("GetTeam", api_pb2.GetTeamRequest(team_id=team_id)).team)

    def get_team_by_name(self, name: str) -> Team:
        request = api_pb2.GetTeamByNameRequest(name=name)
        return Team.from_proto(self._call("GetTeamByName", request).team)

    # ---- bots, commands, dialogs, websocket ---------------------------------------------------

    def ensure_bot_user(self, bot: Bot) -> str:
        """Create the plugin's bot if needed; returns its user id."""
        request = api_pb2.EnsureBotUserRequest(bot=bot.to_proto())
        return str(self._call("EnsureBotUser", request).bot_user_id)

    def register_command(self, command: Command) -> None:
        """Register a slash command routed to the ``ExecuteCommand`` hook (do it in OnActivate)."""
        self._call("RegisterCommand", api_pb2.RegisterCommandRequest(command=command.to_proto()))

    def unregister_command(self, team_id: str, trigger: str) -> None:
        request = api_pb2.UnregisterCommandRequest(team_id=team_id, trigger=trigger)
        self._call("UnregisterCommand", request)

    def open_interactive_dialog(self, trigger_id: str, url: str, dialog: Dialog) -> None:
        """Open ``dialog`` for the user behind ``trigger_id``; submissions POST to ``url``."""
        open_request = models_pb2.OpenDialogRequest(
            trigger_id=trigger_id, url=url, dialog=dialog.to_proto()
        )
        request = api_pb2.OpenInteractiveDialogRequest(dialog=open_request)
        self._call("OpenInteractiveDialog", request)

    def publish_websocket_event(
        self,
        event: str,
        payload: Mapping[str, Any],
        broadcast: WebsocketBroadcast | None = None,
    ) -> None:
        """Send ``custom_<plugin id>_<event>`` to clients; numbers in ``payload`` become floats."""
        request = api_pb2.PublishWebSocketEventRequest(
            event=event,
            payload=dict_to_struct(payload),
            broadcast=(broadcast or WebsocketBroadcast()).to_proto(),
        )
        self._call("PublishWebSocketEvent", request)

    # ---- configuration ----------------------------------------------------------------------

    def get_plugin_config(self) -> dict[str, Any]:
        """This plugin's settings: keys as the admin tool stored them (the System Console lower-
        cases them, the REST API keeps their case), numbers as floats."""
        response = self._call("GetPluginConfig", api_pb2.GetPluginConfigRequest())
        return struct_to_dict(response.config) if response.HasField("config") else {}

    def load_plugin_configuration(self) -> dict[str, Any]:
        """This plugin's settings as the server's JSON (typed as stored)."""
        response = self._call("LoadPluginConfiguration", api_pb2.LoadPluginConfigurationRequest())
        return _json_object(bytes(response.config_json))

    def save_plugin_config(self, config: Mapping[str, Any]) -> None:
        request = api_pb2.SavePluginConfigRequest(config=dict_to_struct(config))
        self._call("SavePluginConfig", request)

    def get_config(self) -> dict[str, Any]:
        """The server configuration (``model.Config`` as parsed JSON, e.g. ``ServiceSettings``)."""
        response = self._call("GetConfig", api_pb2.GetConfigRequest())
        return _json_object(bytes(response.config_json))

    # ---- permissions ------------------------------------------------------------------------

    def has_permission_to(self, user_id: str, permission_id: str) -> bool:
        """System-wide permission, e.g. ``"manage_system"``."""
        request = api_pb2.HasPermissionToRequest(user_id=user_id, permission_id=permission_id)
        return bool(self._call("HasPermissionTo", request).has_permission)

    def has_permission_to_team(self, user_id: str, team_id: str, permission_id: str) -> bool:
        request = api_pb2.HasPermissionToTeamRequest(
            user_id=user_id, team_id=team_id, permission_id=permission_id
        )
        return bool(self._call("HasPermissionToTeam", request).has_permission)

    def has_permission_to_channel(self, user_id: str, channel_id: str, permission_id: str) -> bool:
        """Channel permission, e.g. ``"read_channel"``."""
        request = api_pb2.HasPermissionToChannelRequest(
            user_id=user_id, channel_id=channel_id, permission_id=permission_id
        )
        return bool(self._call("HasPermissionToChannel", request).has_permission)

    # ---- logging and server info -----------------------------------------------------------

    def log_debug(self, msg: str, **fields: Any) -> None:
        self._log("LogDebug", msg, fields)

    def log_info(self, msg: str, **fields: Any) -> None:
        self._log("LogInfo", msg, fields)

    def log_warn(self, msg: str, **fields: Any) -> None:
        self._log("LogWarn", msg, fields)

    def log_error(self, msg: str, **fields: Any) -> None:
        self._log("LogError", msg, fields)

    def _log(self, rpc: str, msg: str, fields: Mapping[str, Any]) -> None:
        """Write to the server log; ``fields`` become key/value pairs (non-JSON values as str)."""
        pairs = [models_pb2.KeyValuePair(key=k, value=value_to_proto(v)) for k, v in fields.items()]
        request = getattr(api_pb2, f"{rpc}Request")(msg=msg, key_value_pairs=pairs)
        self._call(rpc, request)

    def get_server_version(self) -> str:
        return str(self._call("GetServerVersion", api_pb2.GetServerVersionRequest()).version)

    def get_bundle_path(self) -> str:
        return str(self._call("GetBundlePath", api_pb2.GetBundlePathRequest()).path)


def _json_object(raw: bytes) -> dict[str, Any]:
    """Parse JSON bytes from the server into a dict (``{}`` for empty)."""
    if not raw:
        return {}
    data = json.loads(raw)
    return data if isinstance(data, dict) else {}
