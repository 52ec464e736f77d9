"""The server's side of ``PluginHooks``: health ping, unary hooks, and the ServeHTTP stream.

ServeHTTP (docs/protocol.md §6): the request goes out as ``init`` (+ first chunk) followed by 64 KiB
body chunks, the last one with ``body_complete``; the request iterator runs on gRPC's thread, so
the plugin may answer before the body is fully sent. The answer's first message must carry
``init`` (status 0 -> 200, outside 100-999 -> 500); headers only count from that message.

``HttpExchange.body`` is what a network client would get (all chunks joined);
``HttpExchange.local_body`` is what the in-process ``LocalResponseWriter`` keeps for button and
dialog calls (§7.3): every Write replaces the buffer, and the bridge writes once per non-empty
``body_chunk``, so only the last non-empty chunk survives (reading "writes once per body_chunk"
as skipping empty chunks — the doc's single-message advice is correct under either reading).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import grpc

from escalations.runtime.pb import (
    common_pb2,
    health_pb2,
    health_pb2_grpc,
    hooks_pb2,
    hooks_pb2_grpc,
)

CHUNK = 64 * 1024
HOOK_TIMEOUT = 30.0  # defaultGRPCTimeout for unary hooks (§2.7)


@dataclass(frozen=True)
class HttpExchange:
    status: int
    headers: dict[str, list[str]]
    chunks: tuple[bytes, ...]
    grpc_error: str = ""

    @property
    def body(self) -> bytes:
        return b"".join(self.chunks)

    @property
    def local_body(self) -> bytes:
        non_empty = [c for c in self.chunks if c]
        return non_empty[-1] if non_empty else b""


@dataclass(frozen=True)
class HttpCall:
    method: str
    url: str
    headers: Mapping[str, Sequence[str]]
    body: bytes
    host: str
    request_uri: str
    session_id: str = ""
    remote_addr: str = "127.0.0.1:50000"


class HooksClient:
    def __init__(self, address: str, hook_timeout: float = HOOK_TIMEOUT) -> None:
        self.channel = grpc.insecure_channel(
            address,
            options=[
                ("grpc.max_receive_message_length", 64 * 1024 * 1024),
                ("grpc.max_send_message_length", 64 * 1024 * 1024),
            ],
        )
        self.stub = hooks_pb2_grpc.PluginHooksStub(self.channel)
        self.health = health_pb2_grpc.HealthStub(self.channel)
        self.hook_timeout = hook_timeout

    def close(self) -> None:
        self.channel.close()

    def wait_ready(self, timeout: float) -> None:
        grpc.channel_ready_future(self.channel).result(timeout=timeout)

    def ping(self, timeout: float = 5.0) -> bool:
        """go-plugin's Ping: health service ``plugin`` must be SERVING (§2.5)."""
        answer = self.health.Check(health_pb2.HealthCheckRequest(service="plugin"), timeout=timeout)
        return bool(answer.status == health_pb2.HealthCheckResponse.SERVING)

    def implemented(self) -> list[str]:
        answer = self.stub.Implemented(
            hooks_pb2.ImplementedRequest(context=common_pb2.RequestContext()),
            timeout=self.hook_timeout,
        )
        return list(answer.hooks)

    def lifecycle(self, hook: str) -> Any:
        """Call OnActivate / OnDeactivate / OnConfigurationChange; returns the AppError or None."""
        request = getattr(hooks_pb2, f"{hook}Request")(context=common_pb2.RequestContext())
        answer = getattr(self.stub, hook)(request, timeout=self.hook_timeout)
        return answer.error if answer.HasField("error") and answer.error.id else None

    def message_has_been_posted(self, post: Any) -> None:
        request = hooks_pb2.MessageHasBeenPostedRequest(
            context=common_pb2.RequestContext(),
            plugin_context=common_pb2.PluginContext(),
            post=post,
        )
        self.stub.MessageHasBeenPosted(request, timeout=self.hook_timeout)

    def user_has_joined_channel(self, member: Any, actor: Any | None) -> None:
        request = hooks_pb2.UserHasJoinedChannelRequest(
            context=common_pb2.RequestContext(),
            plugin_context=common_pb2.PluginContext(),
            channel_member=member,
        )
        if actor is not None:
            request.actor.CopyFrom(actor)
        self.stub.UserHasJoinedChannel(request, timeout=self.hook_timeout)

    def execute_command(self, args: Any, session_id: str) -> Any:
        request = hooks_pb2.ExecuteCommandRequest(
            context=common_pb2.RequestContext(),
            plugin_context=common_pb2.PluginContext(session_id=session_id),
            args=args,
        )
        return self.stub.ExecuteCommand(request, timeout=self.hook_timeout)

    def serve_http(self, call: HttpCall, timeout: float) -> HttpExchange:
        responses = self.stub.ServeHTTP(_request_stream(call), timeout=timeout)
        status, headers, chunks = 0, dict[str, list[str]](), list[bytes]()
        try:
            for index, message in enumerate(responses):
                if index == 0:
                    status, headers = _response_init(message)
                chunks.append(bytes(message.body_chunk))
                if message.body_complete:
                    break
        except grpc.RpcError as err:
            failure = f"{err.code().name}: {err.details()}"
            if status == 0:
                return HttpExchange(500, {}, (b"500 internal server error\n",), failure)
            return HttpExchange(status, headers, tuple(chunks), failure)
        finally:
            responses.cancel()
        if status == 0:
            return HttpExchange(500, {}, (), "plugin ended the stream without a response")
        return HttpExchange(status, headers, tuple(chunks))


def _response_init(message: Any) -> tuple[int, dict[str, list[str]]]:
    if not message.HasField("init"):
        return 500, {}
    code = message.init.status_code or 200
    if not 100 <= code <= 999:
        return 500, {}
    headers: dict[str, list[str]] = {}
    for header in message.init.headers:
        headers.setdefault(header.key, []).extend(header.values)
    return code, headers


def _request_stream(call: HttpCall) -> Iterator[Any]:
    init = hooks_pb2.ServeHTTPRequestInit(
        plugin_context=common_pb2.PluginContext(
            session_id=call.session_id, ip_address=call.remote_addr.split(":")[0]
        ),
        method=call.method,
        url=call.url,
        proto="HTTP/1.1",
        proto_major=1,
        proto_minor=1,
        headers=[hooks_pb2.HTTPHeader(key=k, values=list(v)) for k, v in call.headers.items()],
        host=call.host,
        remote_addr=call.remote_addr,
        request_uri=call.request_uri,
        content_length=len(call.body),
    )
    body = call.body
    first, rest = body[:CHUNK], body[CHUNK:]
    yield hooks_pb2.ServeHTTPRequest(init=init, body_chunk=first, body_complete=not rest)
    while rest:
        chunk, rest = rest[:CHUNK], rest[CHUNK:]
        yield hooks_pb2.ServeHTTPRequest(body_chunk=chunk, body_complete=not rest)
