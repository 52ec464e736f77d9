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
from typing import Any, Literal, Protocol, TypeVar

import grpc
from google.protobuf.message import Message

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
from escalations.runtime.pb import api_pb2, api_pb2_grpc, common_pb2, models_pb2


class _Answer(Protocol):
    """What every PluginAPI response has: the embedded ``AppError`` (convention 1)."""

    @property
    def error(self) -> common_pb2.AppError: ...

    def HasField(self, field_name: Literal["error"]) -> bool: ...


_Req = TypeVar("_Req", bound=Message)
_Resp = TypeVar("_Resp", bound=_Answer)

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

    def _call(self, method: grpc.UnaryUnaryMultiCallable[_Req, _Resp], request: _Req) -> _Resp:
        """Invoke ``method`` with a deadline and map every failure into :mod:`errors`.

        Both conventions are checked on every RPC, whatever upstream's habit for it is. The RPC
        is named in errors after its request message (``KVGetRequest`` -> ``KVGet``).
        """
        rpc = request.DESCRIPTOR.name.removesuffix("Request")
        try:
            response = method(request, timeout=self.timeout)
        except grpc.RpcError as exc:
            raise errors.from_rpc_error(rpc, exc) from None
        if response.HasField("error") and errors.has_app_error(response.error):
            raise errors.from_app_error(rpc, response.error)
        return response

    # ---- KV store -------------------------------------------------------------------------

    def kv_get(self, key: str) -> bytes | None:
        """The value under ``key``, or ``None`` if missing (or expired)."""
        value = bytes(self._call(self._stub.KVGet, api_pb2.KVGetRequest(key=key)).value)
        return value or None

    def kv_set(self, key: str, value: bytes | None) -> None:
        """Upsert; ``None``/``b""`` deletes the key."""
        self._call(self._stub.KVSet, api_pb2.KVSetRequest(key=key, value=value or b""))

    def kv_delete(self, key: str) -> None:
        """Delete ``key``; a missing key is not an error."""
        self._call(self._stub.KVDelete, api_pb2.KVDeleteRequest(key=key))

    def kv_delete_all(self) -> None:
        """Delete every key of this plugin."""
        self._call(self._stub.KVDeleteAll, api_pb2.KVDeleteAllRequest())

    def kv_set_with_expiry(self, key: str, value: bytes | None, expire_in_seconds: int) -> None:
        """Upsert with a time to live; use only for records that must heal themselves (locks)."""
        request = api_pb2.KVSetWithExpiryRequest(
            key=key, value=value or b"", expire_in_seconds=expire_in_seconds
        )
        self._call(self._stub.KVSetWithExpiry, request)

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
        return bool(self._call(self._stub.KVSetWithOptions, request).success)

    def kv_compare_and_set(
        self, key: str, old_value: bytes | None, new_value: bytes | None
    ) -> bool:
        """Write ``new_value`` if the current value is ``old_value`` (``None``: key absent)."""
        request = api_pb2.KVCompareAndSetRequest(
            key=key, old_value=old_value or b"", new_value=new_value or b""
        )
        return bool(self._call(self._stub.KVCompareAndSet, request).success)

    def kv_compare_and_delete(self, key: str, old_value: bytes) -> bool:
        """Delete ``key`` if its current value is ``old_value``."""
        request = api_pb2.KVCompareAndDeleteRequest(key=key, old_value=old_value)
        return bool(self._call(self._stub.KVCompareAndDelete, request).success)

    def kv_list(self, page: int = 0, per_page: int = 100) -> tuple[str, ...]:
        """One page of this plugin's keys (no values)."""
        response = self._call(
            self._stub.KVList, api_pb2.KVListRequest(page=page, per_page=per_page)
        )
        return tuple(response.keys)

    # ---- posts ----------------------------------------------------------------------------

    def create_post(self, post: Post) -> Post:
        """Create a post. Set ``post.user_id`` yourself. In the answer, attachment actions lack
        their ``integration`` (seen on a real server); read the post back when you need it."""
        response = self._call(
            self._stub.CreatePost, api_pb2.CreatePostRequest(post=post.to_proto())
        )
        return Post.from_proto(response.post)

    def update_post(self, post: Post) -> Post:
        """Replace a post (by ``post.id``), props included."""
        response = self._call(
            self._stub.UpdatePost, api_pb2.UpdatePostRequest(post=post.to_proto())
        )
        return Post.from_proto(response.post)

    def get_post(self, post_id: str) -> Post:
        return Post.from_proto(
            self._call(self._stub.GetPost, api_pb2.GetPostRequest(post_id=post_id)).post
        )

    def delete_post(self, post_id: str) -> None:
        self._call(self._stub.DeletePost, api_pb2.DeletePostRequest(post_id=post_id))

    def get_post_thread(self, post_id: str) -> PostList:
        """The whole thread containing ``post_id``."""
        response = self._call(
            self._stub.GetPostThread, api_pb2.GetPostThreadRequest(post_id=post_id)
        )
        return PostList.from_proto(response.post_list)

    def get_posts_since(self, channel_id: str, time_ms: int) -> PostList:
        """The channel's posts updated after ``time_ms`` (epoch ms), deleted ones included,
        newest first in ``order`` (at most 1000; the roots of replies among them are in
        ``posts`` only). docs/protocol.md §4.1 says when a server may answer from a cache."""
        request = api_pb2.GetPostsSinceRequest(channel_id=channel_id, time=time_ms)
        return PostList.from_proto(self._call(self._stub.GetPostsSince, request).post_list)

    def send_ephemeral_post(self, user_id: str, post: Post) -> Post:
        """Show ``post`` to ``user_id`` only (not stored); needs ``channel_id``."""
        request = api_pb2.SendEphemeralPostRequest(user_id=user_id, post=post.to_proto())
        return Post.from_proto(self._call(self._stub.SendEphemeralPost, request).post)

    def update_ephemeral_post(self, user_id: str, post: Post) -> Post:
        request = api_pb2.UpdateEphemeralPostRequest(user_id=user_id, post=post.to_proto())
        return Post.from_proto(self._call(self._stub.UpdateEphemeralPost, request).post)

    def delete_ephemeral_post(self, user_id: str, post_id: str) -> None:
        request = api_pb2.DeleteEphemeralPostRequest(user_id=user_id, post_id=post_id)
        self._call(self._stub.DeleteEphemeralPost, request)

    # ---- users ----------------------------------------------------------------------------

    def get_user(self, user_id: str) -> User:
        return User.from_proto(
            self._call(self._stub.GetUser, api_pb2.GetUserRequest(user_id=user_id)).user
        )

    def get_user_by_username(self, username: str) -> User:
        request = api_pb2.GetUserByUsernameRequest(name=username)
        return User.from_proto(self._call(self._stub.GetUserByUsername, request).user)

    def get_users_by_usernames(self, usernames: Iterable[str]) -> tuple[User, ...]:
        """Users found (unknown usernames are left out, order not guaranteed)."""
        request = api_pb2.GetUsersByUsernamesRequest(usernames=list(usernames))
        return tuple(
            User.from_proto(u) for u in self._call(self._stub.GetUsersByUsernames, request).users
        )

    def get_users_by_ids(self, user_ids: Iterable[str]) -> tuple[User, ...]:
        request = api_pb2.GetUsersByIdsRequest(user_ids=list(user_ids))
        return tuple(
            User.from_proto(u) for u in self._call(self._stub.GetUsersByIds, request).users
        )

    def get_user_by_email(self, email: str) -> User:
        request = api_pb2.GetUserByEmailRequest(email=email)
        return User.from_proto(self._call(self._stub.GetUserByEmail, request).user)

    # ---- channels -------------------------------------------------------------------------

    def get_channel(self, channel_id: str) -> Channel:
        request = api_pb2.GetChannelRequest(channel_id=channel_id)
        return Channel.from_proto(self._call(self._stub.GetChannel, request).channel)

    def get_channel_by_name(
        self, team_id: str, name: str, include_deleted: bool = False
    ) -> Channel:
        request = api_pb2.GetChannelByNameRequest(
            team_id=team_id, name=name, include_deleted=include_deleted
        )
        return Channel.from_proto(self._call(self._stub.GetChannelByName, request).channel)

    def get_channel_by_name_for_team_name(
        self, team_name: str, channel_name: str, include_deleted: bool = False
    ) -> Channel:
        request = api_pb2.GetChannelByNameForTeamNameRequest(
            team_name=team_name, channel_name=channel_name, include_deleted=include_deleted
        )
        return Channel.from_proto(
            self._call(self._stub.GetChannelByNameForTeamName, request).channel
        )

    def get_direct_channel(self, user_id_1: str, user_id_2: str) -> Channel:
        """The DM channel of two users (created if needed)."""
        request = api_pb2.GetDirectChannelRequest(user_id_1=user_id_1, user_id_2=user_id_2)
        return Channel.from_proto(self._call(self._stub.GetDirectChannel, request).channel)

    def create_channel(self, channel: Channel) -> Channel:
        request = api_pb2.CreateChannelRequest(channel=channel.to_proto())
        return Channel.from_proto(self._call(self._stub.CreateChannel, request).channel)

    def add_channel_member(self, channel_id: str, user_id: str) -> ChannelMember:
        request = api_pb2.AddChannelMemberRequest(channel_id=channel_id, user_id=user_id)
        return ChannelMember.from_proto(
            self._call(self._stub.AddChannelMember, request).channel_member
        )

    def add_user_to_channel(self, channel_id: str, user_id: str, as_user_id: str) -> ChannelMember:
        request = api_pb2.AddUserToChannelRequest(
            channel_id=channel_id, user_id=user_id, as_user_id=as_user_id
        )
        return ChannelMember.from_proto(
            self._call(self._stub.AddUserToChannel, request).channel_member
        )

    def get_channel_member(self, channel_id: str, user_id: str) -> ChannelMember:
        """Raises :class:`errors.NotFoundError` if the user is not a member."""
        request = api_pb2.GetChannelMemberRequest(channel_id=channel_id, user_id=user_id)
        return ChannelMember.from_proto(
            self._call(self._stub.GetChannelMember, request).channel_member
        )

    def get_channel_members(
        self, channel_id: str, page: int = 0, per_page: int = 200
    ) -> tuple[ChannelMember, ...]:
        """One page of a channel's members."""
        request = api_pb2.GetChannelMembersRequest(
            channel_id=channel_id, page=page, per_page=per_page
        )
        response = self._call(self._stub.GetChannelMembers, request)
        return tuple(ChannelMember.from_proto(m) for m in response.channel_members)

    def delete_channel_member(self, channel_id: str, user_id: str) -> None:
        """Remove ``user_id`` from the channel."""
        request = api_pb2.DeleteChannelMemberRequest(channel_id=channel_id, user_id=user_id)
        self._call(self._stub.DeleteChannelMember, request)

    # ---- teams ----------------------------------------------------------------------------

    def get_team(self, team_id: str) -> Team:
        return Team.from_proto(
            self._call(self._stub.GetTeam, api_pb2.GetTeamRequest(team_id=team_id)).team
        )

    def get_team_by_name(self, name: str) -> Team:
        request = api_pb2.GetTeamByNameRequest(name=name)
        return Team.from_proto(self._call(self._stub.GetTeamByName, request).team)

    # ---- bots, commands, dialogs, websocket ---------------------------------------------------

    def ensure_bot_user(self, bot: Bot) -> str:
        """Create the plugin's bot if needed; returns its user id."""
        request = api_pb2.EnsureBotUserRequest(bot=bot.to_proto())
        return str(self._call(self._stub.EnsureBotUser, request).bot_user_id)

    def register_command(self, command: Command) -> None:
        """Register a slash command routed to the ``ExecuteCommand`` hook (do it in OnActivate)."""
        self._call(
            self._stub.RegisterCommand, api_pb2.RegisterCommandRequest(command=command.to_proto())
        )

    def unregister_command(self, team_id: str, trigger: str) -> None:
        request = api_pb2.UnregisterCommandRequest(team_id=team_id, trigger=trigger)
        self._call(self._stub.UnregisterCommand, request)

    def open_interactive_dialog(self, trigger_id: str, url: str, dialog: Dialog) -> None:
        """Open ``dialog`` for the user behind ``trigger_id``; submissions POST to ``url``."""
        open_request = models_pb2.OpenDialogRequest(
            trigger_id=trigger_id, url=url, dialog=dialog.to_proto()
        )
        request = api_pb2.OpenInteractiveDialogRequest(dialog=open_request)
        self._call(self._stub.OpenInteractiveDialog, request)

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
        self._call(self._stub.PublishWebSocketEvent, request)

    # ---- configuration ----------------------------------------------------------------------

    def get_plugin_config(self) -> dict[str, Any]:
        """This plugin's settings: keys as the admin tool stored them (the System Console lower-
        cases them, the REST API keeps their case), numbers as floats."""
        response = self._call(self._stub.GetPluginConfig, api_pb2.GetPluginConfigRequest())
        return struct_to_dict(response.config) if response.HasField("config") else {}

    def load_plugin_configuration(self) -> dict[str, Any]:
        """This plugin's settings as the server's JSON (typed as stored)."""
        response = self._call(
            self._stub.LoadPluginConfiguration, api_pb2.LoadPluginConfigurationRequest()
        )
        return _json_object(bytes(response.config_json))

    def save_plugin_config(self, config: Mapping[str, Any]) -> None:
        request = api_pb2.SavePluginConfigRequest(config=dict_to_struct(config))
        self._call(self._stub.SavePluginConfig, request)

    def get_config(self) -> dict[str, Any]:
        """The server configuration (``model.Config`` as parsed JSON, e.g. ``ServiceSettings``)."""
        response = self._call(self._stub.GetConfig, api_pb2.GetConfigRequest())
        return _json_object(bytes(response.config_json))

    # ---- permissions ------------------------------------------------------------------------

    def has_permission_to(self, user_id: str, permission_id: str) -> bool:
        """System-wide permission, e.g. ``"manage_system"``."""
        request = api_pb2.HasPermissionToRequest(user_id=user_id, permission_id=permission_id)
        return bool(self._call(self._stub.HasPermissionTo, request).has_permission)

    def has_permission_to_team(self, user_id: str, team_id: str, permission_id: str) -> bool:
        request = api_pb2.HasPermissionToTeamRequest(
            user_id=user_id, team_id=team_id, permission_id=permission_id
        )
        return bool(self._call(self._stub.HasPermissionToTeam, request).has_permission)

    def has_permission_to_channel(self, user_id: str, channel_id: str, permission_id: str) -> bool:
        """Channel permission, e.g. ``"read_channel"``."""
        request = api_pb2.HasPermissionToChannelRequest(
            user_id=user_id, channel_id=channel_id, permission_id=permission_id
        )
        return bool(self._call(self._stub.HasPermissionToChannel, request).has_permission)

    # ---- logging and server info -----------------------------------------------------------

    def log_debug(self, msg: str, **fields: Any) -> None:
        request = api_pb2.LogDebugRequest(msg=msg, key_value_pairs=_log_pairs(fields))
        self._call(self._stub.LogDebug, request)

    def log_info(self, msg: str, **fields: Any) -> None:
        request = api_pb2.LogInfoRequest(msg=msg, key_value_pairs=_log_pairs(fields))
        self._call(self._stub.LogInfo, request)

    def log_warn(self, msg: str, **fields: Any) -> None:
        request = api_pb2.LogWarnRequest(msg=msg, key_value_pairs=_log_pairs(fields))
        self._call(self._stub.LogWarn, request)

    def log_error(self, msg: str, **fields: Any) -> None:
        request = api_pb2.LogErrorRequest(msg=msg, key_value_pairs=_log_pairs(fields))
        self._call(self._stub.LogError, request)

    def get_server_version(self) -> str:
        return str(
            self._call(self._stub.GetServerVersion, api_pb2.GetServerVersionRequest()).version
        )

    def get_bundle_path(self) -> str:
        return str(self._call(self._stub.GetBundlePath, api_pb2.GetBundlePathRequest()).path)


def _log_pairs(fields: Mapping[str, Any]) -> list[models_pb2.KeyValuePair]:
    """Log key/value pairs for the server log (non-JSON values as str)."""
    return [models_pb2.KeyValuePair(key=k, value=value_to_proto(v)) for k, v in fields.items()]


def _json_object(raw: bytes) -> dict[str, Any]:
    """Parse JSON bytes from the server into a dict (``{}`` for empty)."""
    if not raw:
        return {}
    data = json.loads(raw)
    return data if isinstance(data, dict) else {}
