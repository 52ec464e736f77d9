"""Request parsing answers, word for word: the texts a client sees when its body is refused."""

from __future__ import annotations

import pytest

from escalations.runtime.http import HTTPError, Request

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
