"""PluginHooks servicer over real loopback gRPC (in-process): Implemented, lifecycle errors,
ExecuteCommand, MessageHasBeenPosted, ServeHTTP streaming, size cap, single-message answers,
health."""

from __future__ import annotations

import io
import json
import logging
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, cast

import grpc
import pytest

from escalations.runtime.api import PluginAPIClient
from escalations.runtime.errors import HookError, ManifestError
from escalations.runtime.hooks import CHUNK_SIZE, SINGLE_MESSAGE_MAX_BODY
from escalations.runtime.http import Request, Response, Router, json_response
from escalations.runtime.models import CommandArgs, CommandResponse, Post
from escalations.runtime.pb import (
    common_pb2,
    health_pb2,
    health_pb2_grpc,
    hooks_pb2,
    hooks_pb2_grpc,
    models_pb2,
)
from escalations.runtime.plugin import Manifest, Plugin, ServerLogHandler, serve

# The hooks under test never call the PluginAPI.
NO_API = cast(PluginAPIClient, None)
Running = tuple["Sample", hooks_pb2_grpc.PluginHooksStub, grpc.Channel]


class Sample(Plugin):
    max_request_body = 200 * 1024

    def __init__(self, api: PluginAPIClient, manifest: Manifest) -> None:
        super().__init__(api, manifest)
        self.activations = 0
        self.fail_activation: Exception | None = None
        self.posts: list[Post] = []
        self.router = Router()
        self.router.post("/echo")(self._echo)
        self.router.get("/big")(
            lambda req: Response(200, (("X-Big", "1"),), b"z" * (SINGLE_MESSAGE_MAX_BODY + 5))
        )
        self.router.get("/crash")(self._crash)
        self.router.get("/bad-status")(lambda req: Response(status=42))

    def _echo(self, request: Request) -> Response:
        return json_response(
            {
                "len": len(request.body),
                "user": request.user_id,
                "query": request.query_value("q"),
                "session": request.session_id,
            },
            headers=[("Set-Cookie", "a=1"), ("Set-Cookie", "b=2")],
        )

    def _crash(self, request: Request) -> Response:
        raise RuntimeError("handler bug")

    def on_activate(self) -> None:
        self.activations += 1
        if self.fail_activation is not None:
            raise self.fail_activation

    def execute_command(self, args: CommandArgs) -> CommandResponse:
        if args.command.endswith("fail"):
            raise HookError("nope", error_id="plugin.cmd.nope", status_code=400)
        return CommandResponse(text=f"ran {args.command} for {args.user_id}", props={"n": 3})

    def message_has_been_posted(self, post: Post) -> None:
        self.posts.append(post)
        if post.message == "explode":
            raise ValueError("bad post")

    def serve_http(self, request: Request) -> Response:
        return self.router.dispatch(request)


class Minimal(Plugin):
    def serve_http(self, request: Request) -> Response:
        return json_response({})


@pytest.fixture()
def running() -> Iterator[Running]:
    plugin = Sample(NO_API, Manifest("sample"))
    server = serve(plugin)
    channel = grpc.insecure_channel(server.address)
    yield plugin, hooks_pb2_grpc.PluginHooksStub(channel), channel
    channel.close()
    server.stop(0.1)


def http(
    stub: hooks_pb2_grpc.PluginHooksStub,
    method: str,
    url: str,
    body: bytes = b"",
    headers: Sequence[tuple[str, str]] = (),
    chunk: int = CHUNK_SIZE,
    content_length: int | None = None,
) -> list[hooks_pb2.ServeHTTPResponse]:
    init = hooks_pb2.ServeHTTPRequestInit(
        method=method,
        url=url,
        headers=[hooks_pb2.HTTPHeader(key=k, values=[v]) for k, v in headers],
        content_length=len(body) if content_length is None else content_length,
    )

    def messages() -> Iterator[hooks_pb2.ServeHTTPRequest]:
        if not body:
            yield hooks_pb2.ServeHTTPRequest(init=init, body_complete=True)
            return
        chunks = [body[i : i + chunk] for i in range(0, len(body), chunk)]
        for i, piece in enumerate(chunks):
            yield hooks_pb2.ServeHTTPRequest(
                init=init if i == 0 else None, body_chunk=piece, body_complete=i == len(chunks) - 1
            )

    return list(stub.ServeHTTP(messages(), timeout=10))


def test_implemented_lists_exact_go_names_of_overrides(running: Running) -> None:
    _, stub, _ = running
    hooks = list(stub.Implemented(hooks_pb2.ImplementedRequest()).hooks)
    assert sorted(hooks) == sorted(
        ["OnActivate", "ExecuteCommand", "MessageHasBeenPosted", "ServeHTTP"]
    )
    assert Minimal.implemented_hooks() == ("ServeHTTP",)
    assert Plugin.implemented_hooks() == ()


def test_on_activate_success_and_failure(running: Running) -> None:
    plugin, stub, _ = running
    ok = stub.OnActivate(hooks_pb2.OnActivateRequest())
    assert not ok.HasField("error")
    plugin.fail_activation = HookError(
        "team missing", error_id="plugin.config.team", status_code=400
    )
    bad = stub.OnActivate(hooks_pb2.OnActivateRequest())
    assert (bad.error.id, bad.error.message, bad.error.status_code) == (
        "plugin.config.team",
        "team missing",
        400,
    )
    plugin.fail_activation = KeyError("x")
    crash = stub.OnActivate(hooks_pb2.OnActivateRequest())
    assert crash.error.id == "plugin.OnActivate.error"
    assert crash.error.status_code == 500
    assert plugin.activations == 3


def test_default_hooks_answer_without_error(running: Running) -> None:
    _, stub, _ = running
    assert not stub.OnDeactivate(hooks_pb2.OnDeactivateRequest()).HasField("error")
    assert not stub.OnConfigurationChange(hooks_pb2.OnConfigurationChangeRequest()).HasField(
        "error"
    )


def test_execute_command(running: Running) -> None:
    _, stub, _ = running
    args = models_pb2.CommandArgs(user_id="u1", channel_id="c1", command="/escalation policy")
    resp = stub.ExecuteCommand(hooks_pb2.ExecuteCommandRequest(args=args))
    assert not resp.HasField("error")
    assert resp.response.text == "ran /escalation policy for u1"
    assert resp.response.response_type == "ephemeral"
    assert resp.response.props["n"] == 3.0
    args.command = "/escalation fail"
    failed = stub.ExecuteCommand(hooks_pb2.ExecuteCommandRequest(args=args))
    assert (failed.error.id, failed.error.status_code) == ("plugin.cmd.nope", 400)


def test_message_has_been_posted_swallows_errors(running: Running) -> None:
    plugin, stub, _ = running
    stub.MessageHasBeenPosted(
        hooks_pb2.MessageHasBeenPostedRequest(post=models_pb2.Post(id="p1", message="hi"))
    )
    stub.MessageHasBeenPosted(
        hooks_pb2.MessageHasBeenPostedRequest(post=models_pb2.Post(id="p2", message="explode"))
    )
    assert [p.id for p in plugin.posts] == ["p1", "p2"]
    assert plugin.posts[0].props == {}


def test_serve_http_small_answer_is_one_message(running: Running) -> None:
    _, stub, _ = running
    out = http(stub, "POST", "/echo?q=x", b"{}", [("Mattermost-User-Id", "u1")])
    assert len(out) == 1
    msg = out[0]
    assert msg.init.status_code == 200 and msg.body_complete
    assert json.loads(msg.body_chunk) == {"len": 2, "user": "u1", "query": "x", "session": ""}
    headers = {h.key: list(h.values) for h in msg.init.headers}
    assert headers["Set-Cookie"] == ["a=1", "b=2"]


def test_serve_http_reassembles_chunked_body(running: Running) -> None:
    _, stub, _ = running
    body = b"a" * (3 * CHUNK_SIZE + 17)
    out = http(stub, "POST", "/echo", body)
    assert json.loads(out[0].body_chunk)["len"] == len(body)


def test_serve_http_body_at_cap_is_accepted(running: Running) -> None:
    plugin, stub, _ = running
    out = http(stub, "POST", "/echo", b"b" * plugin.max_request_body)
    assert out[0].init.status_code == 200


# What gRPC's HTTP/2 flow control may let a client push beyond what the servicer reads.
FLOW_CONTROL_SLACK = 8 * 1024 * 1024


def test_serve_http_oversized_body_413_without_reading_all(running: Running) -> None:
    plugin, stub, _ = running
    consumed: list[int] = []
    init = hooks_pb2.ServeHTTPRequestInit(method="POST", url="/echo")

    def endless() -> Iterator[hooks_pb2.ServeHTTPRequest]:
        yield hooks_pb2.ServeHTTPRequest(init=init, body_chunk=b"x" * CHUNK_SIZE)
        while True:  # never completes: the servicer must stop reading on its own
            consumed.append(1)
            yield hooks_pb2.ServeHTTPRequest(body_chunk=b"x" * CHUNK_SIZE)
            if len(consumed) > 1000:
                raise AssertionError("servicer kept reading")

    out = list(stub.ServeHTTP(endless(), timeout=10))
    assert out[0].init.status_code == 413
    assert "error" in json.loads(out[0].body_chunk)
    # The servicer reads the cap and stops; the client may still push what HTTP/2 flow control
    # lets through before the call ends (gRPC's windows grow to a few MiB on a slow receiver),
    # but never the endless rest.
    allowance = (plugin.max_request_body + FLOW_CONTROL_SLACK) // CHUNK_SIZE
    assert len(consumed) < allowance


def test_serve_http_announced_oversize_is_refused_up_front(running: Running) -> None:
    plugin, stub, _ = running
    out = http(stub, "POST", "/echo", b"{}", content_length=plugin.max_request_body + 1)
    assert out[0].init.status_code == 413


def test_serve_http_large_answer_is_chunked(running: Running) -> None:
    _, stub, _ = running
    out = http(stub, "GET", "/big")
    assert len(out) > 1
    assert out[0].HasField("init") and not any(m.HasField("init") for m in out[1:])
    assert all(len(m.body_chunk) <= CHUNK_SIZE for m in out)
    assert out[-1].body_complete and not any(m.body_complete for m in out[:-1])
    assert sum(len(m.body_chunk) for m in out) == SINGLE_MESSAGE_MAX_BODY + 5


def test_serve_http_errors(running: Running) -> None:
    _, stub, _ = running
    crash = http(stub, "GET", "/crash")[0]
    assert crash.init.status_code == 500
    assert json.loads(crash.body_chunk) == {"error": "internal error"}
    assert http(stub, "GET", "/bad-status")[0].init.status_code == 500
    assert http(stub, "GET", "/missing")[0].init.status_code == 404
    assert http(stub, "DELETE", "/echo")[0].init.status_code == 405


def test_serve_http_concurrent_streams(running: Running) -> None:
    _, stub, _ = running
    results: list[int] = []
    lock = threading.Lock()

    def one(i: int) -> None:
        out = http(stub, "POST", f"/echo?q={i}", b"x" * (i * 100))
        with lock:
            results.append(json.loads(out[0].body_chunk)["len"])

    threads = [threading.Thread(target=one, args=(i,)) for i in range(32)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(20)
    assert sorted(results) == [i * 100 for i in range(32)]


def test_health_plugin_and_empty_service_serving(running: Running) -> None:
    _, _, channel = running
    health = health_pb2_grpc.HealthStub(channel)
    for service in ("plugin", ""):
        resp = health.Check(health_pb2.HealthCheckRequest(service=service))
        assert resp.status == health_pb2.HealthCheckResponse.SERVING
    with pytest.raises(grpc.RpcError) as info:
        health.Check(health_pb2.HealthCheckRequest(service="other"))
    assert info.value.code() == grpc.StatusCode.NOT_FOUND


def test_serve_http_passes_session_id(running: Running) -> None:
    _, stub, _ = running
    init = hooks_pb2.ServeHTTPRequestInit(
        method="POST",
        url="/echo",
        plugin_context=common_pb2.PluginContext(session_id="s1"),
    )
    message = hooks_pb2.ServeHTTPRequest(init=init, body_complete=True)
    out = list(stub.ServeHTTP(iter([message]), timeout=10))
    assert json.loads(out[0].body_chunk)["session"] == "s1"


def test_serve_http_stream_without_init_is_400(running: Running) -> None:
    _, stub, _ = running
    out = list(stub.ServeHTTP(iter([hooks_pb2.ServeHTTPRequest(body_complete=True)]), timeout=10))
    assert out[0].init.status_code == 400


def test_health_watch_streams_changes() -> None:
    server = serve(Minimal(NO_API, Manifest("m")))
    channel = grpc.insecure_channel(server.address)
    try:
        watch = health_pb2_grpc.HealthStub(channel).Watch(
            health_pb2.HealthCheckRequest(service="plugin"), timeout=10
        )
        assert next(watch).status == health_pb2.HealthCheckResponse.SERVING
        server.health.shutdown()
        assert next(watch).status == health_pb2.HealthCheckResponse.NOT_SERVING
    finally:
        channel.close()
        server.stop(0.1)


def test_manifest_load(tmp_path: Path) -> None:
    (tmp_path / "plugin.json").write_text('{"id": "Com.Example.X", "version": "1.2.3"}')
    manifest = Manifest.load(tmp_path / "plugin.json")
    assert (manifest.id, manifest.version) == ("com.example.x", "1.2.3")
    (tmp_path / "plugin.json").write_text('{"name": "no id"}')
    with pytest.raises(ManifestError):
        Manifest.load(tmp_path / "plugin.json")
    with pytest.raises(ManifestError):
        Manifest.load(tmp_path / "missing.json")


class _RecordingAPI:
    def __init__(self, fail: bool = False) -> None:
        self.calls: list[tuple[str, str, dict[str, Any]]] = []
        self.fail = fail
        self.done = threading.Event()

    def _record(self, level: str, msg: str, **fields: Any) -> None:
        self.calls.append((level, msg, fields))
        if msg == "last":
            self.done.set()
        if self.fail:
            raise RuntimeError("server log down")

    def log_debug(self, msg: str, **f: Any) -> None:
        self._record("debug", msg, **f)

    def log_info(self, msg: str, **f: Any) -> None:
        self._record("info", msg, **f)

    def log_warn(self, msg: str, **f: Any) -> None:
        self._record("warn", msg, **f)

    def log_error(self, msg: str, **f: Any) -> None:
        self._record("error", msg, **f)


@pytest.mark.parametrize("fail", [False, True])
def test_server_log_handler_forwards_by_level(fail: bool) -> None:
    api = _RecordingAPI(fail)
    handler = ServerLogHandler(api)
    logger = logging.getLogger("test.serverlog")
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    try:
        logger.debug("ignored below INFO")
        logger.info("hello %s", "world")
        logger.warning("careful")
        try:
            raise ValueError("boom")
        except ValueError:
            logger.exception("failed")
        logger.error("last")
        assert api.done.wait(5)
    finally:
        logger.removeHandler(handler)
        handler.close()
    assert [(lvl, msg) for lvl, msg, _ in api.calls] == [
        ("info", "hello world"),
        ("warn", "careful"),
        ("error", "failed"),
        ("error", "last"),
    ]
    assert "ValueError: boom" in api.calls[2][2]["error"]
    assert api.calls[0][2]["logger"] == "test.serverlog"


@pytest.mark.parametrize("fail", [False, True])
def test_each_record_reaches_the_server_log_once(fail: bool) -> None:
    """The server copies stderr into its log too: a forwarded record must not also go to
    stderr, a record the API refused must, and after close stderr takes everything again."""
    api = _RecordingAPI(fail)
    stream = io.StringIO()
    stderr = logging.StreamHandler(stream)
    logger = logging.getLogger("test.once")
    logger.propagate = False
    logger.setLevel(logging.DEBUG)
    logger.handlers[:] = [stderr]
    server_log = ServerLogHandler(api, fallback=stderr)
    stderr.addFilter(lambda record: not server_log.forwards(record))
    logger.addHandler(server_log)
    try:
        logger.debug("debug stays local")
        logger.info("info once")
        logger.warning("warn once")
        logger.error("last")
        assert api.done.wait(5)
        server_log.close()
        logger.removeHandler(server_log)
        logger.info("after close")
    finally:
        logger.handlers[:] = []
        logger.propagate = True
    lines = stream.getvalue().splitlines()
    forwarded = [msg for _, msg, _ in api.calls]
    if fail:  # every forward failed: stderr has them all, once
        assert lines == ["debug stays local", "info once", "warn once", "last", "after close"]
    else:
        assert forwarded == ["info once", "warn once", "last"]
        assert lines == ["debug stays local", "after close"]
