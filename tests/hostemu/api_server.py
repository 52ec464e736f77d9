"""The emulated ``mattermost.pluginapi.v1.PluginAPI`` gRPC server (one per plugin process).

Every RPC is one small handler in ``_handlers()`` (request message -> response message) that
raises ``AppError`` on failure; one wrapper (``_behaviour``) turns that into the RPC's upstream
convention from ``errors.CONVENTIONS``: embedded ``error`` field, gRPC status
``"<id>: <message>"`` with the mapped code, or swallowed. RPCs declared in the proto but not
emulated answer ``UNIMPLEMENTED``.

Test hooks: ``inject_error(rpc, AppError, times)`` makes the next calls of an RPC fail in its
convention; ``calls`` counts calls per RPC and ``call_log`` lists them in order; ``on_call``
(set by the host) may cut a call before it has any effect (a crash of the plugin at that call).
"""

from __future__ import annotations

import collections
import dataclasses
import json
import threading
import time
from collections.abc import Callable
from concurrent import futures
from typing import Any

import grpc
from google.protobuf import message_factory

from escalations.runtime.pb import api_pb2, models_pb2
from hostemu import convert as cv
from hostemu.errors import AppError, Convention, convention_of, grpc_code_for, status_message
from hostemu.model import Bot, ChannelMember, Post
from hostemu.state import ServerState

SERVICE = api_pb2.DESCRIPTOR.services_by_name["PluginAPI"]
Handler = Callable[[Any], Any]
MAX_MESSAGE = 100 * 1024 * 1024
BOT_ID_KEY = "mmi_botid"  # app.EnsureBot remembers its bot under this plugin KV key


def go_json(value: Any) -> bytes:
    """``value`` as Go's ``json.Marshal`` writes it: a float64 with no fraction has no ``.0``."""

    def fix(v: Any) -> Any:
        if isinstance(v, float) and v.is_integer() and abs(v) < 1e21:
            return int(v)
        if isinstance(v, dict):
            return {k: fix(x) for k, x in v.items()}
        if isinstance(v, list):
            return [fix(x) for x in v]
        return v

    return json.dumps(fix(value)).encode()


def _page(items: list[str], page: int, per_page: int) -> list[str]:
    size = per_page if per_page > 0 else 60
    return items[page * size : (page + 1) * size]


def _void(effect: Callable[[Any], object], response_cls: Any) -> Handler:
    """A handler for an RPC whose answer carries nothing besides the error field."""

    def handler(request: Any) -> Any:
        effect(request)
        return response_cls()

    return handler


class PluginAPIServer:
    """Serves ``PluginAPI`` for ``state`` on ``127.0.0.1:<free port>``."""

    def __init__(self, state: ServerState, bundle_path: str, server_version: str) -> None:
        self.state = state
        self.bundle_path = bundle_path
        self.server_version = server_version
        self.on_config_saved: Callable[[], object] | None = None
        self.on_post_created: Callable[[Post], object] | None = None
        self.on_member_joined: Callable[[ChannelMember, str], object] | None = None
        self.calls: collections.Counter[str] = collections.Counter()
        self.call_log: list[str] = []
        # Asked before each call is handled; True: the call is cut (UNAVAILABLE, no effect).
        self.on_call: Callable[[str], bool] | None = None
        self._injected: dict[str, list[AppError]] = {}
        self._lock = threading.Lock()
        # Calls being handled now, and when the last one ended (``quiet``).
        self._active = 0
        self._last_end = time.monotonic()
        self._idle = threading.Condition(self._lock)
        self._server: grpc.Server | None = None
        self.target = ""

    # -- lifecycle ----------------------------------------------------------------------------
    def start(self) -> str:
        server = grpc.server(
            futures.ThreadPoolExecutor(max_workers=48, thread_name_prefix="hostemu-api"),
            options=[
                ("grpc.max_receive_message_length", MAX_MESSAGE),
                ("grpc.max_send_message_length", MAX_MESSAGE),
            ],
        )
        server.add_generic_rpc_handlers((self._generic_handler(),))
        port = server.add_insecure_port("127.0.0.1:0")
        server.start()
        self._server, self.target = server, f"127.0.0.1:{port}"
        return self.target

    def stop(self, grace: float = 1.0) -> None:
        if self._server is not None:
            self._server.stop(grace).wait()
            self._server = None

    def quiet(self, quiet: float, timeout: float) -> bool:
        """Wait until no call is being handled and none was for ``quiet`` seconds (at most
        ``timeout``); whether that happened."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while True:
                now = time.monotonic()
                if self._active == 0 and now - self._last_end >= quiet:
                    return True
                if now >= deadline:
                    return False
                wait = quiet - (now - self._last_end) if self._active == 0 else quiet
                self._idle.wait(max(0.001, min(wait, deadline - now)))

    def inject_error(self, rpc: str, error: AppError, times: int = 1) -> None:
        if rpc not in SERVICE.methods_by_name:
            raise ValueError(f"unknown PluginAPI RPC {rpc!r}")
        with self._lock:
            self._injected.setdefault(rpc, []).extend([error] * times)

    # -- dispatch -----------------------------------------------------------------------------
    def _generic_handler(self) -> grpc.GenericRpcHandler:
        table = self._handlers()
        methods = {}
        for method in SERVICE.methods:
            request_cls = message_factory.GetMessageClass(method.input_type)
            response_cls = message_factory.GetMessageClass(method.output_type)
            methods[method.name] = grpc.unary_unary_rpc_method_handler(
                self._behaviour(method.name, table.get(method.name), response_cls),
                request_deserializer=request_cls.FromString,
                response_serializer=response_cls.SerializeToString,
            )
        return grpc.method_handlers_generic_handler(SERVICE.full_name, methods)

    def _take_injected(self, rpc: str) -> AppError | None:
        with self._lock:
            queue = self._injected.get(rpc)
            return queue.pop(0) if queue else None

    def _behaviour(self, rpc: str, handler: Handler | None, response_cls: Any) -> Any:
        convention = convention_of(rpc)

        def behaviour(request: Any, context: grpc.ServicerContext) -> Any:
            with self._lock:
                self.calls[rpc] += 1
                self.call_log.append(rpc)
                self._active += 1
            try:
                return handle(request, context)
            finally:
                with self._lock:
                    self._active -= 1
                    self._last_end = time.monotonic()
                    self._idle.notify_all()

        def handle(request: Any, context: grpc.ServicerContext) -> Any:
            if self.on_call is not None and self.on_call(rpc):
                context.abort(grpc.StatusCode.UNAVAILABLE, f"{rpc}: the plugin process was killed")
            if handler is None:
                context.abort(grpc.StatusCode.UNIMPLEMENTED, f"{rpc} is not emulated")
            try:
                injected = self._take_injected(rpc)
                if injected is not None:
                    raise injected
                return handler(request)
            except AppError as err:
                if convention is Convention.STATUS:
                    context.abort(grpc_code_for(err.status_code), status_message(err))
                response = response_cls()
                if convention is Convention.EMBEDDED:
                    response.error.CopyFrom(cv.app_error_proto(err))
                return response

        return behaviour

    def _handlers(self) -> dict[str, Handler]:
        return {
            **self._kv_handlers(),
            **self._post_handlers(),
            **self._directory_handlers(),
            **self._misc_handlers(),
        }

    # -- KV -----------------------------------------------------------------------------------
    def _kv_handlers(self) -> dict[str, Handler]:
        kv, pb = self.state.kv, api_pb2

        def set_with_options(r: Any) -> Any:
            ok = kv.set_with_options(
                r.key,
                r.value,
                atomic=r.options.atomic,
                old_value=r.options.old_value,
                expire_in_seconds=r.options.expire_in_seconds,
            )
            return pb.KVSetWithOptionsResponse(success=ok)

        return {
            "KVSet": _void(lambda r: kv.set(r.key, r.value), pb.KVSetResponse),
            "KVGet": lambda r: pb.KVGetResponse(value=kv.get(r.key) or b""),
            "KVDelete": _void(lambda r: kv.delete(r.key), pb.KVDeleteResponse),
            "KVDeleteAll": _void(lambda r: kv.delete_all(), pb.KVDeleteAllResponse),
            "KVSetWithOptions": set_with_options,
            "KVSetWithExpiry": _void(
                lambda r: kv.set(r.key, r.value, r.expire_in_seconds), pb.KVSetWithExpiryResponse
            ),
            "KVCompareAndSet": lambda r: pb.KVCompareAndSetResponse(
                success=kv.compare_and_set(r.key, r.old_value, r.new_value)
            ),
            "KVCompareAndDelete": lambda r: pb.KVCompareAndDeleteResponse(
                success=kv.compare_and_delete(r.key, r.old_value)
            ),
            "KVList": lambda r: pb.KVListResponse(keys=kv.list_keys(r.page, r.per_page)),
        }

    # -- posts --------------------------------------------------------------------------------
    def _post_handlers(self) -> dict[str, Handler]:
        posts, pb = self.state.posts, api_pb2

        def thread(r: Any) -> Any:
            items = posts.thread(r.post_id)
            post_list = models_pb2.PostList(order=[p.id for p in items])
            for p in items:
                post_list.posts[p.id].CopyFrom(cv.post_to_proto(p))
            return pb.GetPostThreadResponse(post_list=post_list)

        def since(r: Any) -> Any:
            found, roots = posts.since(r.channel_id, r.time)
            post_list = models_pb2.PostList(order=[p.id for p in found])
            for p in [*found, *roots]:
                post_list.posts[p.id].CopyFrom(cv.post_to_proto(p))
            return pb.GetPostsSinceResponse(post_list=post_list)

        def post_of(r: Any) -> Post:
            return cv.post_from_proto(r.post)

        def create(r: Any) -> Any:
            post = post_of(r)
            # Posts made through the plugin API are marked (verified on 11.4.0); updates are not.
            post = dataclasses.replace(post, props={**post.props, "from_plugin": "true"})
            created = posts.create(post, into_archived=True)
            if self.on_post_created is not None:
                self.on_post_created(created)
            return pb.CreatePostResponse(post=cv.api_post_answer(created))

        return {
            "CreatePost": create,
            "UpdatePost": lambda r: pb.UpdatePostResponse(
                post=cv.api_post_answer(posts.update(post_of(r)))
            ),
            "GetPost": lambda r: pb.GetPostResponse(post=cv.post_to_proto(posts.get(r.post_id))),
            "DeletePost": _void(
                lambda r: posts.delete(r.post_id, self.state.plugin_id), pb.DeletePostResponse
            ),
            "GetPostThread": thread,
            "GetPostsSince": since,
            "SendEphemeralPost": lambda r: pb.SendEphemeralPostResponse(
                post=cv.ephemeral_answer(posts.send_ephemeral(r.user_id, post_of(r)))
            ),
            "UpdateEphemeralPost": lambda r: pb.UpdateEphemeralPostResponse(
                post=cv.ephemeral_answer(posts.update_ephemeral(r.user_id, post_of(r)))
            ),
            "DeleteEphemeralPost": _void(
                lambda r: posts.delete_ephemeral(r.user_id, r.post_id),
                pb.DeleteEphemeralPostResponse,
            ),
        }

    # -- users, teams, channels, bots ---------------------------------------------------------
    def _directory_handlers(self) -> dict[str, Handler]:
        d, pb, u, c = self.state.directory, api_pb2, cv.user_to_proto, cv.channel_to_proto
        return {
            "GetUser": lambda r: pb.GetUserResponse(user=u(d.user(r.user_id))),
            "GetUserByUsername": lambda r: pb.GetUserByUsernameResponse(
                user=u(d.user_by_username(r.name))
            ),
            "GetUsersByUsernames": lambda r: pb.GetUsersByUsernamesResponse(
                users=[u(x) for x in d.users_by_usernames(r.usernames)]
            ),
            "GetUsersByIds": lambda r: pb.GetUsersByIdsResponse(
                users=[u(x) for x in d.users_by_ids(r.user_ids)]
            ),
            "GetUserByEmail": lambda r: pb.GetUserByEmailResponse(user=u(d.user_by_email(r.email))),
            "GetTeam": lambda r: pb.GetTeamResponse(team=cv.team_to_proto(d.team(r.team_id))),
            "GetTeamByName": lambda r: pb.GetTeamByNameResponse(
                team=cv.team_to_proto(d.team_by_name(r.name))
            ),
            "GetChannel": lambda r: pb.GetChannelResponse(channel=c(d.channel(r.channel_id))),
            "GetChannelByName": lambda r: pb.GetChannelByNameResponse(
                channel=c(d.channel_by_name(r.team_id, r.name, r.include_deleted))
            ),
            "GetChannelByNameForTeamName": lambda r: pb.GetChannelByNameForTeamNameResponse(
                channel=c(
                    d.channel_by_name(
                        d.team_by_name(r.team_name).id, r.channel_name, r.include_deleted
                    )
                )
            ),
            "GetDirectChannel": lambda r: pb.GetDirectChannelResponse(
                channel=c(d.direct_channel(r.user_id_1, r.user_id_2))
            ),
            "CreateChannel": lambda r: pb.CreateChannelResponse(
                channel=c(d.create_channel(cv.channel_from_proto(r.channel)))
            ),
            "AddChannelMember": lambda r: pb.AddChannelMemberResponse(
                channel_member=cv.member_to_proto(self._add_member(r.channel_id, r.user_id, ""))
            ),
            "AddUserToChannel": lambda r: pb.AddUserToChannelResponse(
                channel_member=cv.member_to_proto(
                    self._add_member(r.channel_id, r.user_id, r.as_user_id)
                )
            ),
            "GetChannelMember": lambda r: pb.GetChannelMemberResponse(
                channel_member=cv.member_to_proto(d.channel_member(r.channel_id, r.user_id))
            ),
            "GetChannelMembers": lambda r: pb.GetChannelMembersResponse(
                channel_members=[
                    cv.member_to_proto(d.channel_member(r.channel_id, uid))
                    for uid in _page(d.members_of(r.channel_id), r.page, r.per_page)
                ]
            ),
            "DeleteChannelMember": _void(
                lambda r: d.leave_channel(r.channel_id, r.user_id), pb.DeleteChannelMemberResponse
            ),
            "EnsureBotUser": self._ensure_bot,
            "HasPermissionTo": lambda r: pb.HasPermissionToResponse(
                has_permission=d.has_permission(r.user_id, r.permission_id)
            ),
            "HasPermissionToTeam": lambda r: pb.HasPermissionToTeamResponse(
                has_permission=d.has_team_permission(r.user_id, r.team_id, r.permission_id)
            ),
            "HasPermissionToChannel": lambda r: pb.HasPermissionToChannelResponse(
                has_permission=d.has_channel_permission(r.user_id, r.channel_id, r.permission_id)
            ),
        }

    def _add_member(self, channel_id: str, user_id: str, actor_id: str) -> ChannelMember:
        """``AddChannelMember`` / ``AddUserToChannel``; a new membership runs the
        ``UserHasJoinedChannel`` hook afterwards, as upstream does for every join."""
        d = self.state.directory
        with self.state.lock:
            known = (channel_id, user_id) in d.channel_members
            member = d.add_channel_member(channel_id, user_id, into_archived=True)
        if not known and self.on_member_joined is not None:
            self.on_member_joined(member, actor_id)
        return member

    def _ensure_bot(self, r: Any) -> Any:
        """``app.EnsureBot``: reuse the bot remembered in KV (patching it), else an existing user
        of that name, else create one; remember the id under ``mmi_botid`` in the plugin's KV."""
        if not r.HasField("bot") or not r.bot.username:
            raise AppError("api.plugin.ensure_bot.invalid", "passed a bot with no username", 400)
        bot, d, kv = cv.bot_from_proto(r.bot), self.state.directory, self.state.kv
        with self.state.lock:
            known = kv.get(BOT_ID_KEY)
            if known is not None and known.decode() in d.bots:
                patched = d.patch_bot(
                    known.decode(), bot.username, bot.display_name, bot.description
                )
                return api_pb2.EnsureBotUserResponse(bot_user_id=patched.user_id)
            existing = d.users_by_usernames([bot.username])
            if existing:
                if existing[0].is_bot:
                    kv.set(BOT_ID_KEY, existing[0].id.encode())
                return api_pb2.EnsureBotUserResponse(bot_user_id=existing[0].id)
            created = d.create_bot(
                Bot(
                    user_id="",
                    username=bot.username,
                    display_name=bot.display_name,
                    description=bot.description,
                    owner_id=self.state.plugin_id,
                )
            )
            kv.set(BOT_ID_KEY, created.user_id.encode())
            return api_pb2.EnsureBotUserResponse(bot_user_id=created.user_id)

    # -- commands, dialogs, websocket, config, logging, server --------------------------------
    def _misc_handlers(self) -> dict[str, Handler]:
        st, pb = self.state, api_pb2

        def log(level: str) -> Handler:
            def handler(r: Any) -> Any:
                fields = {kv.key: cv.value_to_python(kv.value) for kv in r.key_value_pairs}
                st.record_log(level, r.msg, fields)
                return getattr(pb, f"Log{level.capitalize()}Response")()

            return handler

        return {
            "RegisterCommand": _void(
                lambda r: st.register_command(cv.command_from_proto(r.command)),
                pb.RegisterCommandResponse,
            ),
            "UnregisterCommand": _void(
                lambda r: st.unregister_command(r.team_id, r.trigger), pb.UnregisterCommandResponse
            ),
            "OpenInteractiveDialog": _void(
                lambda r: st.open_dialog(
                    r.dialog.trigger_id, r.dialog.url, cv.message_to_dict(r.dialog.dialog)
                ),
                pb.OpenInteractiveDialogResponse,
            ),
            "PublishWebSocketEvent": _void(
                lambda r: st.record_ws(
                    r.event, cv.struct_to_dict(r.payload), cv.message_to_dict(r.broadcast)
                ),
                pb.PublishWebSocketEventResponse,
            ),
            "GetConfig": lambda r: pb.GetConfigResponse(config_json=go_json(st.config_snapshot())),
            "GetPluginConfig": lambda r: pb.GetPluginConfigResponse(
                config=cv.dict_to_struct(st.plugin_config())
            ),
            # GetPluginConfig keeps the keys as stored; LoadPluginConfiguration lower-cases them
            # (verified on 11.4.0).
            "LoadPluginConfiguration": lambda r: pb.LoadPluginConfigurationResponse(
                config_json=go_json({k.lower(): v for k, v in st.plugin_config().items()})
            ),
            "SavePluginConfig": self._save_plugin_config,
            "LogDebug": log("debug"),
            "LogInfo": log("info"),
            "LogWarn": log("warn"),
            "LogError": log("error"),
            "GetServerVersion": lambda r: pb.GetServerVersionResponse(version=self.server_version),
            "GetBundlePath": lambda r: pb.GetBundlePathResponse(path=self.bundle_path),
        }

    def _save_plugin_config(self, r: Any) -> Any:
        # The server saves the config, and its config listener then runs OnConfigurationChange
        # on the plugin synchronously, i.e. while this API call is still open.
        self.state.set_plugin_config(cv.struct_to_dict(r.config), as_console=False)
        if self.on_config_saved is not None:
            self.on_config_saved()
        return api_pb2.SavePluginConfigResponse()
