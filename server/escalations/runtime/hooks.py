"""The ``PluginHooks`` servicer: translates hook RPCs into calls on a :class:`Plugin`.

Error convention (docs/protocol.md §3.4), in three rules:

1. A hook that fails reports it in the response's ``error`` field (an ``AppError``); the gRPC
   status stays OK. :class:`errors.HookError` chooses the id/message/status; any other exception
   becomes ``plugin.<hook>.error`` with status 500 and is logged with its traceback.
2. Hooks without an ``error`` field (``MessageHasBeenPosted``, ``UserHasJoinedChannel``) log
   the exception and answer empty.
3. ``ServeHTTP`` never fails the stream for plugin errors: an exception becomes a JSON 500.

ServeHTTP streaming (section 6): the first request message carries ``init`` (and maybe a body
chunk); chunks follow until ``body_complete``. The body is reassembled up to
``plugin.max_request_body`` bytes; past that (or when ``content_length`` announces more) the
servicer answers 413 at once and stops reading. The answer is ``init`` + the whole body +
``body_complete`` in **one** message whenever the body fits in :data:`SINGLE_MESSAGE_MAX_BODY`
-- the server's in-process writer keeps only the last chunk (section 7.3) -- and 64 KiB chunks
otherwise.

Hooks run on the gRPC server's worker threads, concurrently: plugin code must be thread-safe.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING

import grpc

from escalations.runtime import errors
from escalations.runtime.http import Request, Response, error_response
from escalations.runtime.models import ChannelMember, CommandArgs, Post
from escalations.runtime.pb import common_pb2, hooks_pb2, hooks_pb2_grpc

if TYPE_CHECKING:
    from escalations.runtime.plugin import Plugin

CHUNK_SIZE = 64 * 1024
# Well under the Go client's default 4 MiB receive limit.
SINGLE_MESSAGE_MAX_BODY = 1024 * 1024

log = logging.getLogger(__name__)


def app_error(error_id: str, message: str, status_code: int = 500) -> common_pb2.AppError:
    """An ``AppError`` proto."""
    return common_pb2.AppError(id=error_id, message=message, status_code=status_code)


def _run_hook(hook: str, call: Callable[[], object]) -> common_pb2.AppError | None:
    """Run plugin code; ``None`` on success, else the ``AppError`` describing the failure."""
    try:
        call()
    except Exception as exc:
        log.exception("hook %s failed", hook)
        return app_error(*errors.to_app_error_fields(exc, hook))
    return None


class HooksServicer(hooks_pb2_grpc.PluginHooksServicer):
    """``mattermost.pluginapi.v1.PluginHooks`` backed by one :class:`Plugin` instance."""

    def __init__(self, plugin: Plugin) -> None:
        self._plugin = plugin

    def Implemented(
        self, request: hooks_pb2.ImplementedRequest, context: grpc.ServicerContext
    ) -> hooks_pb2.ImplementedResponse:
        return hooks_pb2.ImplementedResponse(hooks=list(self._plugin.implemented_hooks()))

    def OnActivate(
        self, request: hooks_pb2.OnActivateRequest, context: grpc.ServicerContext
    ) -> hooks_pb2.OnActivateResponse:
        return hooks_pb2.OnActivateResponse(error=_run_hook("OnActivate", self._plugin.on_activate))

    def OnDeactivate(
        self, request: hooks_pb2.OnDeactivateRequest, context: grpc.ServicerContext
    ) -> hooks_pb2.OnDeactivateResponse:
        error = _run_hook("OnDeactivate", self._plugin.on_deactivate)
        return hooks_pb2.OnDeactivateResponse(error=error)

    def OnConfigurationChange(
        self, request: hooks_pb2.OnConfigurationChangeRequest, context: grpc.ServicerContext
    ) -> hooks_pb2.OnConfigurationChangeResponse:
        error = _run_hook("OnConfigurationChange", self._plugin.on_configuration_change)
        return hooks_pb2.OnConfigurationChangeResponse(error=error)

    def ExecuteCommand(
        self, request: hooks_pb2.ExecuteCommandRequest, context: grpc.ServicerContext
    ) -> hooks_pb2.ExecuteCommandResponse:
        args = CommandArgs.from_proto(request.args)
        try:
            result = self._plugin.execute_command(args)
        except Exception as exc:
            log.exception("hook ExecuteCommand failed: %s", args.command)
            fields = errors.to_app_error_fields(exc, "ExecuteCommand")
            return hooks_pb2.ExecuteCommandResponse(error=app_error(*fields))
        return hooks_pb2.ExecuteCommandResponse(response=result.to_proto())

    def MessageHasBeenPosted(
        self, request: hooks_pb2.MessageHasBeenPostedRequest, context: grpc.ServicerContext
    ) -> hooks_pb2.MessageHasBeenPostedResponse:
        post = Post.from_proto(request.post)
        _run_hook("MessageHasBeenPosted", lambda: self._plugin.message_has_been_posted(post))
        return hooks_pb2.MessageHasBeenPostedResponse()

    def UserHasJoinedChannel(
        self, request: hooks_pb2.UserHasJoinedChannelRequest, context: grpc.ServicerContext
    ) -> hooks_pb2.UserHasJoinedChannelResponse:
        member = ChannelMember.from_proto(request.channel_member)
        actor_id = request.actor.id if request.HasField("actor") else ""
        _run_hook(
            "UserHasJoinedChannel",
            lambda: self._plugin.user_has_joined_channel(member, actor_id),
        )
        return hooks_pb2.UserHasJoinedChannelResponse()

    def ServeHTTP(
        self, request_iterator: Iterator[hooks_pb2.ServeHTTPRequest], context: grpc.ServicerContext
    ) -> Iterator[hooks_pb2.ServeHTTPResponse]:
        request_or_refusal = read_http_request(request_iterator, self._plugin.max_request_body)
        if isinstance(request_or_refusal, Response):
            yield from response_messages(request_or_refusal)
            return
        yield from response_messages(self._serve(request_or_refusal))

    def _serve(self, request: Request) -> Response:
        try:
            response = self._plugin.serve_http(request)
        except Exception:
            log.exception("hook ServeHTTP failed: %s %s", request.method, request.path)
            return error_response(500, "internal error")
        if not 100 <= response.status <= 999:
            log.error("ServeHTTP answered invalid status %d; sending 500", response.status)
            return error_response(500, "internal error")
        return response


def read_http_request(
    messages: Iterator[hooks_pb2.ServeHTTPRequest], max_body: int
) -> Request | Response:
    """Reassemble a ServeHTTP request stream, or a 413/400 response to send instead.

    Stops reading as soon as the body is known to exceed ``max_body``: the rest of the stream
    is never consumed, so an endless body cannot hold the thread.
    """
    first = next(messages, None)
    if first is None or not first.HasField("init"):
        return error_response(400, "malformed request stream")
    init = first.init
    too_large = error_response(413, f"request body over {max_body} bytes")
    if init.content_length > max_body:
        return too_large
    body = bytearray(first.body_chunk)
    complete = first.body_complete
    while not complete and len(body) <= max_body:
        message = next(messages, None)
        if message is None:  # stream ended without body_complete: take what arrived
            break
        body += message.body_chunk
        complete = message.body_complete
    if len(body) > max_body:
        return too_large
    headers = [(h.key, value) for h in init.headers for value in h.values]
    return Request.build(
        init.method or "GET",
        init.url or "/",
        headers,
        bytes(body),
        session_id=init.plugin_context.session_id,
    )


def _proto_headers(pairs: Iterable[tuple[str, str]]) -> list[hooks_pb2.HTTPHeader]:
    grouped: dict[str, list[str]] = {}
    for key, value in pairs:
        grouped.setdefault(key, []).append(value)
    return [hooks_pb2.HTTPHeader(key=k, values=v) for k, v in grouped.items()]


def response_messages(response: Response) -> Iterator[hooks_pb2.ServeHTTPResponse]:
    """The ServeHTTPResponse stream for ``response`` (one message when the body fits)."""
    init = hooks_pb2.ServeHTTPResponseInit(
        status_code=response.status, headers=_proto_headers(response.headers)
    )
    body = response.body
    if len(body) <= SINGLE_MESSAGE_MAX_BODY:
        yield hooks_pb2.ServeHTTPResponse(init=init, body_chunk=body, body_complete=True)
        return
    yield hooks_pb2.ServeHTTPResponse(init=init, body_chunk=body[:CHUNK_SIZE])
    for start in range(CHUNK_SIZE, len(body), CHUNK_SIZE):
        end = start + CHUNK_SIZE
        yield hooks_pb2.ServeHTTPResponse(
            body_chunk=body[start:end], body_complete=end >= len(body)
        )
