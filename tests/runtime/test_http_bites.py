"""Request parsing answers, word for word: the texts a client sees when its body is refused."""

from __future__ import annotations

import pytest

from escalations.runtime.http import HTTPError, Request, Router, json_response

JSON = {"Content-Type": "application/json"}


def test_a_body_that_is_not_json_typed_is_refused_by_default() -> None:
    request = Request.build("POST", "/x", {"Content-Type": "text/plain"}, b"{}")
    with pytest.raises(HTTPError) as caught:
        request.json()
    assert (caught.value.status, caught.value.message) == (
        415,
        "expected a JSON body (Content-Type: application/json)",
    )
    assert request.json(require_content_type=False) == {}
    with pytest.raises(HTTPError):
        Request.build("POST", "/x", {}, b"{}").json()


def test_an_empty_body_is_null_and_not_an_object() -> None:
    assert Request.build("POST", "/x", JSON, b"").json() is None
    with pytest.raises(HTTPError) as caught:
        Request.build("POST", "/x", JSON, b"").json_object()
    assert (caught.value.status, caught.value.message) == (400, "expected a JSON object")
    with pytest.raises(HTTPError) as listed:
        Request.build("POST", "/x", JSON, b"[1]").json_object()
    assert listed.value.message == "expected a JSON object"


def test_a_built_request_keeps_what_it_was_given() -> None:
    bare = Request.build("get", "?a=1")
    assert (bare.method, bare.path, bare.body, bare.session_id) == ("GET", "/", b"", "")
    assert bare.query == {"a": ("1",)} and bare.url == "?a=1"
    full = Request.build("POST", "/p?x=", {}, b"{}", session_id="s1")
    assert (full.url, full.session_id, full.body) == ("/p?x=", "s1", b"{}")


def test_router_refusals_say_why() -> None:
    router = Router()
    router.add("GET", "/a", lambda r: json_response({}))
    wrong = router.dispatch(Request.build("DELETE", "/a"))
    assert (wrong.status, wrong.json(), wrong.header("Allow")) == (
        405,
        {"error": "method not allowed"},
        "GET",
    )
    with pytest.raises(ValueError, match="^duplicate route GET /a$"):
        router.add("get", "/a", lambda r: json_response({}))
    with pytest.raises(ValueError, match="^route pattern must start with '/': 'a'$"):
        router.add("GET", "a", lambda r: json_response({}))
