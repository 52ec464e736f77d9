"""Host emulator: plugin HTTP requests through the ServeHTTP stream (docs/protocol.md §6)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from hostemu import Host
from hostemu.hooks import CHUNK, HttpCall, HttpExchange, _request_stream
from hostemu.interactions import plugin_path
from hostemu.testing import echo_host


@pytest.fixture(scope="module")
def host() -> Iterator[Host]:
    with echo_host() as h:
        yield h


def test_identity_headers_are_stripped_and_set_for_authenticated_users(host: Host) -> None:
    alice = host.add_user("alice-http")
    forged = {
        "Mattermost-User-Id": "forged",
        "mattermost-plugin-id": "x",
        "Authorization": "t",
        "Cookie": "MMAUTHTOKEN=secret; theme=dark",
        "X-Keep": "yes",
    }
    info = host.http("GET", "/echo", user_id=alice.id, headers=forged).json()
    assert info["user_id"] == alice.id
    assert info["headers"] == {
        "X-Keep": ["yes"],
        "Cookie": ["theme=dark"],
        "Mattermost-User-Id": [alice.id],
    }
    assert info["session_id"]


def test_unauthenticated_and_deactivated_requests_carry_no_user(host: Host) -> None:
    info = host.http("GET", "/echo", headers={"Mattermost-User-Id": "forged"}).json()
    assert info["user_id"] == "" and info["session_id"] == ""
    gone = host.add_user("gone-http", deactivated=True)
    assert host.http("GET", "/echo", user_id=gone.id).json()["user_id"] == ""


def test_url_is_the_path_after_the_plugin_prefix(host: Host) -> None:
    info = host.http("GET", "/plugins/com.example.echo/echo?a=1&access_token=tok").json()
    assert info["url"] == "/echo?a=1"
    assert info["request_uri"] == "/plugins/com.example.echo/echo?a=1"
    assert info["host"] == "localhost:8065" and info["method"] == "GET"


def test_large_body_arrives_whole(host: Host) -> None:
    body = bytes(range(256)) * 1000  # 256 000 bytes: 4 chunks
    info = host.http("POST", "/echo", body=body).json()
    assert info["body_len"] == len(body) == info["content_length"]


def test_json_body_gets_content_type(host: Host) -> None:
    info = host.http("POST", "/echo", body={"a": 1}).json()
    assert info["headers"]["Content-Type"] == ["application/json"] and info["body_len"] == 8


def test_multi_chunk_answers_are_joined_for_network_clients(host: Host) -> None:
    resp = host.http("GET", "/echo?chunks=4")
    assert resp.status == 200 and len(resp.chunks) == 4
    assert resp.json()["url"] == "/echo?chunks=4"
    assert resp.header("content-type") == "application/json"


def test_unknown_route_status_passes_through(host: Host) -> None:
    resp = host.http("GET", "/nope")
    assert resp.status == 404 and resp.json() == {"error": "not found"}


def test_request_stream_uses_64k_chunks_and_marks_the_last() -> None:
    call = HttpCall("POST", "/x", {}, b"a" * (2 * CHUNK + 5), "h", "/plugins/p/x")
    messages = list(_request_stream(call))
    assert [len(m.body_chunk) for m in messages] == [CHUNK, CHUNK, 5]
    assert [m.body_complete for m in messages] == [False, False, True]
    assert messages[0].HasField("init") and not messages[1].HasField("init")
    empty = list(_request_stream(HttpCall("GET", "/x", {}, b"", "h", "/plugins/p/x")))
    assert len(empty) == 1 and empty[0].body_complete


def test_local_writer_keeps_only_the_last_non_empty_chunk() -> None:
    exchange = HttpExchange(200, {}, (b'{"a":', b"1}", b""))
    assert exchange.body == b'{"a":1}' and exchange.local_body == b"1}"


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/plugins/com.example.echo/api/x", "/api/x"),
        ("plugins/com.example.echo/api/x?y=1", "/api/x?y=1"),
        ("/plugins/com.example.echo", "/"),
        ("/api/x", "/api/x"),
        ("/plugins/com.example.echoes/x", "/plugins/com.example.echoes/x"),
    ],
)
def test_plugin_path(path: str, expected: str) -> None:
    assert plugin_path("com.example.echo", path) == expected


def test_injected_errors_reach_the_plugin_in_each_convention(host: Host) -> None:
    host.inject_error("KVGet", "app.plugin.kv.get", "db down", 500)
    embedded = host.http("POST", "/rpc/KVGet", body={"key": "x"}).json()
    assert embedded["code"] == "OK"
    assert embedded["response"]["error"]["id"] == "app.plugin.kv.get"
    assert embedded["response"]["error"]["status_code"] == 500
    host.inject_error("GetUser", "app.user.missing_account.const", "gone", 404)
    status = host.http("POST", "/rpc/GetUser", body={"user_id": "x"}).json()
    assert status == {"code": "NOT_FOUND", "details": "app.user.missing_account.const: gone"}
    calls = host.api_calls("GetUser")
    host.http("POST", "/rpc/GetUser", body={"user_id": "x"})
    assert host.api_calls("GetUser") == calls + 1
