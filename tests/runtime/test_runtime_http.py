"""HTTP layer units: request parsing, router (params, 404, 405 + Allow), auth, JSON helpers."""

from __future__ import annotations

from collections.abc import Iterable

import pytest

from escalations.runtime.http import (
    Headers,
    HTTPError,
    Request,
    Response,
    Router,
    error_response,
    json_response,
    require_user,
)


def make(
    method: str = "GET",
    url: str = "/",
    headers: Iterable[tuple[str, str]] = (),
    body: bytes = b"",
) -> Request:
    return Request.build(method, url, headers, body)


@pytest.fixture()
def router() -> Router:
    r = Router()

    @r.get("/api/v1/escalations/{id}")
    def get_one(request: Request) -> Response:
        return json_response({"id": request.path_params["id"]})

    @r.post("/api/v1/escalations")
    @require_user
    def create(request: Request) -> Response:
        body = request.json_object()
        return json_response({"by": request.user_id, "topic": body.get("topic")}, 201)

    @r.route(["PUT", "DELETE"], "/api/v1/escalations/{id}/owner/{user}")
    def owner(request: Request) -> Response:
        return json_response(dict(request.path_params))

    @r.get("/boom")
    def boom(request: Request) -> Response:
        raise RuntimeError("bug")

    @r.get("/teapot")
    def teapot(request: Request) -> Response:
        raise HTTPError(418, "short and stout")

    return r


def test_request_build_splits_path_and_query() -> None:
    req = make("post", "/api/v1/topics?x=1&x=2&empty=", [("Content-Type", "application/json")])
    assert req.method == "POST"
    assert req.path == "/api/v1/topics"
    assert req.query == {"x": ("1", "2"), "empty": ("",)}
    assert req.query_value("x") == "1"
    assert req.query_value("missing", "d") == "d"
    assert req.headers.get("content-type") == "application/json"


def test_user_id_only_from_header_case_insensitive() -> None:
    assert make(headers=[("mattermost-user-id", "u1")]).user_id == "u1"
    assert make(headers=[("Mattermost-User-Id", "  ")]).user_id is None
    assert make(body=b'{"user_id": "evil"}').user_id is None


def test_path_params_are_decoded(router: Router) -> None:
    resp = router.dispatch(make("GET", "/api/v1/escalations/a%20b"))
    assert resp.status == 200
    assert resp.json() == {"id": "a b"}


def test_multiple_params_and_methods(router: Router) -> None:
    resp = router.dispatch(make("DELETE", "/api/v1/escalations/e1/owner/u2"))
    assert resp.json() == {"id": "e1", "user": "u2"}


def test_unknown_route_is_json_404(router: Router) -> None:
    resp = router.dispatch(make("GET", "/nope"))
    assert resp.status == 404
    assert resp.json() == {"error": "not found"}
    assert resp.header("content-type") == "application/json"


def test_param_does_not_span_segments(router: Router) -> None:
    assert router.dispatch(make("GET", "/api/v1/escalations/a/b")).status == 404


def test_wrong_method_is_405_with_allow(router: Router) -> None:
    resp = router.dispatch(make("PATCH", "/api/v1/escalations/e1/owner/u2"))
    assert resp.status == 405
    assert resp.header("Allow") == "DELETE, PUT"
    assert "error" in resp.json()


def test_require_user_rejects_missing_header(router: Router) -> None:
    resp = router.dispatch(
        make("POST", "/api/v1/escalations", [("Content-Type", "application/json")], b"{}")
    )
    assert resp.status == 401
    assert resp.json() == {"error": "not logged in"}


def test_authenticated_json_post(router: Router) -> None:
    headers = [("Mattermost-User-Id", "u1"), ("Content-Type", "application/json; charset=utf-8")]
    resp = router.dispatch(
        make("POST", "/api/v1/escalations", headers, b'{"topic": "licensing", "user_id": "evil"}')
    )
    assert resp.status == 201
    assert resp.json() == {"by": "u1", "topic": "licensing"}


@pytest.mark.parametrize(
    ("headers", "body", "status"),
    [
        ([("Content-Type", "text/plain")], b"{}", 415),
        ([], b"{}", 415),
        ([("Content-Type", "application/json")], b"{not json", 400),
        ([("Content-Type", "application/json")], b"[1, 2]", 400),
        ([("Content-Type", "application/json")], b"\xff\xfe", 400),
    ],
)
def test_bad_bodies(
    router: Router, headers: list[tuple[str, str]], body: bytes, status: int
) -> None:
    headers = [("Mattermost-User-Id", "u1"), *headers]
    resp = router.dispatch(make("POST", "/api/v1/escalations", headers, body))
    assert resp.status == status
    assert isinstance(resp.json()["error"], str)


def test_handler_exception_is_logged_500(router: Router, caplog: pytest.LogCaptureFixture) -> None:
    resp = router.dispatch(make("GET", "/boom"))
    assert resp.status == 500
    assert resp.json() == {"error": "internal error"}
    assert "HTTP handler failed" in caplog.text


def test_http_error_becomes_json(router: Router) -> None:
    resp = router.dispatch(make("GET", "/teapot"))
    assert (resp.status, resp.json()) == (418, {"error": "short and stout"})


def test_duplicate_route_rejected() -> None:
    r = Router()
    r.add("GET", "/x", lambda req: Response())
    with pytest.raises(ValueError):
        r.add("get", "/x", lambda req: Response())
    with pytest.raises(ValueError):
        r.add("GET", "relative", lambda req: Response())


def test_json_helpers() -> None:
    resp = json_response({"é": 1}, 202, [("X-A", "b")])
    assert resp.status == 202
    assert resp.body == '{"é":1}'.encode()
    assert resp.header("x-a") == "b"
    assert error_response(409, "not configured").json() == {"error": "not configured"}


def test_headers_multi_values() -> None:
    h = Headers.of([("A", "1"), ("a", "2"), ("B", "3")])
    assert h.get("A") == "1"
    assert h.get_all("a") == ("1", "2")
    assert "b" in h and "c" not in h
    assert Headers.of({"X": "y"}).get("x") == "y"
