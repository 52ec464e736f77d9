"""PluginAPIClient error mapping for both upstream conventions, over real loopback gRPC.

A small fake ``PluginAPI`` servicer answers each RPC in one of the two styles (embedded
``AppError`` with status OK, or a gRPC status with ``"<id>: <message>"``), plus transport failures
(deadline, nobody listening).
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent import futures

import grpc
import pytest
from runtime_support import FakeAPI, FakeAPIServer

from escalations.runtime import errors
from escalations.runtime.api import PluginAPIClient
from escalations.runtime.pb import common_pb2

STATUS_CASES = [
    (400, grpc.StatusCode.INVALID_ARGUMENT, errors.InvalidArgumentError),
    (401, grpc.StatusCode.UNAUTHENTICATED, errors.UnauthenticatedError),
    (403, grpc.StatusCode.PERMISSION_DENIED, errors.PermissionDeniedError),
    (404, grpc.StatusCode.NOT_FOUND, errors.NotFoundError),
    (409, grpc.StatusCode.ALREADY_EXISTS, errors.AlreadyExistsError),
    (413, grpc.StatusCode.RESOURCE_EXHAUSTED, errors.ResourceExhaustedError),
    (429, grpc.StatusCode.RESOURCE_EXHAUSTED, errors.ResourceExhaustedError),
    (501, grpc.StatusCode.UNIMPLEMENTED, errors.UnimplementedError),
    (503, grpc.StatusCode.UNAVAILABLE, errors.UnavailableError),
    (500, grpc.StatusCode.INTERNAL, errors.InternalError),
]


Fake = tuple[FakeAPI, PluginAPIClient]


@pytest.fixture()
def fake() -> Iterator[Fake]:
    server = FakeAPIServer()
    client = PluginAPIClient.connect(server.target, timeout=5.0)
    yield server.servicer, client
    client.close()
    server.stop()


@pytest.mark.parametrize(("status", "code", "cls"), STATUS_CASES)
def test_embedded_app_error_maps_by_status_code(
    fake: Fake, status: int, code: grpc.StatusCode, cls: type[errors.PluginAPIError]
) -> None:
    servicer, client = fake
    servicer.embedded = common_pb2.AppError(
        id="app.plugin_store.get.app_error",
        message="boom",
        status_code=status,
        detailed_error="sql: detail",
    )
    with pytest.raises(cls) as info:
        client.kv_get("k")
    err = info.value
    assert isinstance(err, errors.PluginAPIError)
    assert (err.rpc, err.error_id, err.message) == (
        "KVGet",
        "app.plugin_store.get.app_error",
        "boom",
    )
    assert err.status_code == status
    assert err.detailed_error == "sql: detail"
    assert err.grpc_code is None


@pytest.mark.parametrize(("status", "code", "cls"), STATUS_CASES)
def test_grpc_status_error_maps_by_code_and_splits_id(
    fake: Fake, status: int, code: grpc.StatusCode, cls: type[errors.PluginAPIError]
) -> None:
    servicer, client = fake
    servicer.status = (code, "app.user.missing_account.const: Unable to find the user.")
    with pytest.raises(cls) as info:
        client.get_user("u1")
    err = info.value
    assert err.rpc == "GetUser"
    assert err.error_id == "app.user.missing_account.const"
    assert err.message == "Unable to find the user."
    assert err.grpc_code == code.name
    assert err.status_code == cls.default_status


def test_both_conventions_are_checked_on_every_rpc(fake: Fake) -> None:
    # KV RPCs usually embed, user RPCs usually use status: each is handled either way.
    servicer, client = fake
    servicer.status = (grpc.StatusCode.NOT_FOUND, "app.x.y: gone")
    with pytest.raises(errors.NotFoundError):
        client.kv_get("k")
    servicer.status = None
    servicer.embedded = common_pb2.AppError(
        id="app.user.get.app_error", message="no", status_code=403
    )
    with pytest.raises(errors.PermissionDeniedError):
        client.get_user("u1")


def test_status_message_without_id_keeps_whole_text(fake: Fake) -> None:
    servicer, client = fake
    servicer.status = (grpc.StatusCode.INTERNAL, "something broke: badly")
    with pytest.raises(errors.InternalError) as info:
        client.get_user("u1")
    assert info.value.error_id == ""
    assert info.value.message == "something broke: badly"


def test_empty_embedded_error_is_not_a_failure(fake: Fake) -> None:
    servicer, client = fake
    servicer.embedded = common_pb2.AppError()
    assert client.kv_get("missing") is None


def test_kv_round_trip_and_empty_means_missing(fake: Fake) -> None:
    _, client = fake
    assert client.kv_get("k") is None
    client.kv_set("k", b"v")
    assert client.kv_get("k") == b"v"
    client.kv_set("k", b"")
    assert client.kv_get("k") is None


def test_deadline_maps_to_deadline_error(fake: Fake) -> None:
    servicer, client = fake
    slow = PluginAPIClient(client._channel, timeout=0.2)
    with pytest.raises(errors.DeadlineError) as info:
        slow.get_server_version()
    assert info.value.grpc_code == "DEADLINE_EXCEEDED"
    servicer.release.set()
    assert client.get_server_version() == "10.5.0"


def test_unimplemented_rpc_on_the_server(fake: Fake) -> None:
    _, client = fake
    with pytest.raises(errors.UnimplementedError):
        client.get_team("t1")


def test_nobody_listening_is_unavailable() -> None:
    # Reserve a port, then close it so nothing listens there.
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=1))
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    server.stop(0).wait()
    with PluginAPIClient.connect(f"127.0.0.1:{port}", timeout=2.0) as client:
        with pytest.raises(errors.UnavailableError):
            client.kv_get("k")


def test_old_value_without_atomic_is_refused_locally(fake: Fake) -> None:
    _, client = fake
    with pytest.raises(errors.InvalidArgumentError):
        client.kv_set_with_options("k", b"v", old_value=b"x")


@pytest.mark.parametrize(
    ("details", "expected"),
    [
        (
            "app.channel.get.existing.app_error: Channel not found.",
            ("app.channel.get.existing.app_error", "Channel not found."),
        ),
        (
            "api.context.invalid_param.app_error: Invalid user_id: parameter",
            ("api.context.invalid_param.app_error", "Invalid user_id: parameter"),
        ),
        ("failed to connect to all addresses", ("", "failed to connect to all addresses")),
        ("Error: not an id", ("", "Error: not an id")),
        ("", ("", "")),
    ],
)
def test_split_status_message(details: str, expected: tuple[str, str]) -> None:
    assert errors.split_status_message(details) == expected


def test_every_grpc_failure_code_maps_to_a_subclass() -> None:
    for code in grpc.StatusCode:
        if code is grpc.StatusCode.OK:
            continue
        cls = errors._BY_CODE.get(code, errors.InternalError)
        assert issubclass(cls, errors.PluginAPIError)


def test_hook_error_fields() -> None:
    assert errors.to_app_error_fields(
        errors.HookError("no team", error_id="x.y", status_code=400), "OnActivate"
    ) == ("x.y", "no team", 400)
    eid, msg, status = errors.to_app_error_fields(ValueError("bad"), "OnActivate")
    assert (eid, status) == ("plugin.OnActivate.error", 500)
    assert "bad" in msg
