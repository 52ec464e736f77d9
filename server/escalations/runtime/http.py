"""A small HTTP layer for the ``ServeHTTP`` hook: requests, responses, routing, auth, JSON.

Usage::

    router = Router()

    @router.get("/api/v1/escalations/{id}")
    @require_user
    def get_escalation(request: Request) -> Response:
        return json_response({"id": request.path_params["id"], "by": request.user_id})

    response = router.dispatch(request)   # 404 / 405 (+ Allow) / HTTPError -> JSON error bodies

Identity: :attr:`Request.user_id` comes only from the ``Mattermost-User-Id`` header. The server
deletes any client-sent copy and sets it for authenticated requests, so it is the one trustworthy
identity; user ids in bodies must only be cross-checked against it. Unauthenticated requests still
reach the plugin, without the header -- :func:`require_user` answers them 401.

Every error body is ``{"error": "<message for a person>"}``. Body size caps (413) are enforced by
the hooks servicer before a request is built (see :mod:`escalations.runtime.hooks`).
"""

from __future__ import annotations

import dataclasses
import functools
import json
import logging
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

USER_ID_HEADER = "Mattermost-User-Id"
JSON_CONTENT_TYPE = "application/json"

Handler = Callable[["Request"], "Response"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Headers:
    """Immutable, case-insensitive, multi-valued HTTP headers (order kept)."""

    pairs: tuple[tuple[str, str], ...] = ()

    @classmethod
    def of(cls, items: Iterable[tuple[str, str]] | Mapping[str, str] = ()) -> Headers:
        pairs = items.items() if isinstance(items, Mapping) else items
        return cls(tuple((str(k), str(v)) for k, v in pairs))

    def get(self, name: str, default: str | None = None) -> str | None:
        """The first value of ``name`` (any case), else ``default``."""
        wanted = name.lower()
        for key, value in self.pairs:
            if key.lower() == wanted:
                return value
        return default

    def get_all(self, name: str) -> tuple[str, ...]:
        wanted = name.lower()
        return tuple(v for k, v in self.pairs if k.lower() == wanted)

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and self.get(name) is not None


@dataclass(frozen=True)
class Request:
    """An HTTP request as the plugin sees it (``path`` is after ``/plugins/<id>``)."""

    method: str
    path: str
    query: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    headers: Headers = field(default_factory=Headers)
    body: bytes = b""
    url: str = ""
    session_id: str = ""
    path_params: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def build(
        cls,
        method: str,
        url: str,
        headers: Iterable[tuple[str, str]] | Mapping[str, str] = (),
        body: bytes = b"",
        *,
        session_id: str = "",
    ) -> Request:
        """A request from the raw method, URL (path + query) and headers."""
        parts = urlsplit(url)
        query = {k: tuple(v) for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
        return cls(
            method=method.upper(),
            path=parts.path or "/",
            query=query,
            headers=Headers.of(headers),
            body=body,
            url=url,
            session_id=session_id,
        )

    @property
    def user_id(self) -> str | None:
        """The authenticated user (server-set header only), or ``None``."""
        value = (self.headers.get(USER_ID_HEADER) or "").strip()
        return value or None

    def query_value(self, name: str, default: str | None = None) -> str | None:
        values = self.query.get(name)
        return values[0] if values else default

    def json(self, *, require_content_type: bool = True) -> Any:
        """The body parsed as JSON.

        Raises:
            HTTPError: 415 if the content type is not JSON (when required), 400 if malformed.
        """
        if require_content_type:
            content_type = (self.headers.get("Content-Type") or "").split(";")[0].strip()
            if content_type.lower() != JSON_CONTENT_TYPE:
                raise HTTPError(415, "expected a JSON body (Content-Type: application/json)")
        try:
            data = json.loads(self.body or b"null")
        except (ValueError, UnicodeDecodeError) as exc:
            raise HTTPError(400, f"malformed JSON: {exc}") from None
        except RecursionError:  # nesting deeper than the parser's stack (fits in 64 KiB)
            raise HTTPError(400, "malformed JSON: nested too deeply") from None
        if _has_lone_surrogate(data):
            # ``\ud800`` escapes parse, but such a string cannot be encoded as UTF-8 later (a
            # post, a protobuf field, our own JSON answer): refuse it here, before any work.
            raise HTTPError(400, "malformed JSON: a string holds an unpaired surrogate")
        return data

    def json_object(self, *, require_content_type: bool = True) -> dict[str, Any]:
        """The body as a JSON object; 400 if it is anything else."""
        data = self.json(require_content_type=require_content_type)
        if not isinstance(data, dict):
            raise HTTPError(400, "expected a JSON object")
        return data


@dataclass(frozen=True)
class Response:
    """An HTTP response; ``status`` 0 is not allowed (use 200)."""

    status: int = 200
    headers: tuple[tuple[str, str], ...] = ()
    body: bytes = b""

    def header(self, name: str) -> str | None:
        return Headers(self.headers).get(name)

    def json(self) -> Any:
        """The body parsed as JSON (for tests and callers that inspect responses)."""
        return json.loads(self.body)


class HTTPError(Exception):
    """Raise from a handler to answer ``{"error": message}`` with ``status``."""

    def __init__(self, status: int, message: str, headers: Iterable[tuple[str, str]] = ()) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = tuple(headers)

    def to_response(self) -> Response:
        return error_response(self.status, self.message, self.headers)


_SURROGATE = re.compile("[\ud800-\udfff]")


def _has_lone_surrogate(data: object) -> bool:
    """True if any string (key or value) in parsed JSON holds a UTF-16 surrogate; iterative, so
    depth is no concern."""
    stack: list[object] = [data]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if _SURROGATE.search(item):
                return True
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False


def json_response(
    data: object, status: int = 200, headers: Iterable[tuple[str, str]] = ()
) -> Response:
    """``data`` serialised as compact UTF-8 JSON."""
    body = json.dumps(data, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    return Response(status, (("Content-Type", JSON_CONTENT_TYPE), *headers), body)


def error_response(status: int, message: str, headers: Iterable[tuple[str, str]] = ()) -> Response:
    """The project's error shape: ``{"error": message}``."""
    return json_response({"error": message}, status, headers)


def require_user(handler: Handler) -> Handler:
    """Decorator: 401 unless the server set ``Mattermost-User-Id`` (the only trusted identity)."""

    @functools.wraps(handler)
    def wrapper(request: Request) -> Response:
        if request.user_id is None:
            return error_response(401, "not logged in")
        return handler(request)

    return wrapper


_PARAM = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")


@dataclass(frozen=True)
class _Route:
    pattern: str
    regex: re.Pattern[str]
    handlers: dict[str, Handler]


def _compile(pattern: str) -> re.Pattern[str]:
    """``/a/{id}/b`` -> a regex with named groups; a parameter matches one path segment."""
    if not pattern.startswith("/"):
        raise ValueError(f"route pattern must start with '/': {pattern!r}")
    out, pos = [], 0
    for match in _PARAM.finditer(pattern):
        out.append(re.escape(pattern[pos : match.start()]))
        out.append(f"(?P<{match.group(1)}>[^/]+)")
        pos = match.end()
    out.append(re.escape(pattern[pos:]))
    return re.compile("".join(out) + r"\Z")


class Router:
    """Method + path routing with ``{name}`` path parameters and JSON 404/405 answers.

    Handlers get the request with ``path_params`` filled (URL-decoded). A trailing slash is
    significant. Exceptions other than :class:`HTTPError` become a logged 500.
    """

    def __init__(self) -> None:
        self._routes: list[_Route] = []

    def add(self, methods: str | Iterable[str], pattern: str, handler: Handler) -> None:
        names = [methods] if isinstance(methods, str) else list(methods)
        route = next((r for r in self._routes if r.pattern == pattern), None)
        if route is None:
            route = _Route(pattern, _compile(pattern), {})
            self._routes.append(route)
        for name in names:
            if name.upper() in route.handlers:
                raise ValueError(f"duplicate route {name.upper()} {pattern}")
            route.handlers[name.upper()] = handler

    def route(self, methods: str | Iterable[str], pattern: str) -> Callable[[Handler], Handler]:
        def decorate(handler: Handler) -> Handler:
            self.add(methods, pattern, handler)
            return handler

        return decorate

    def get(self, pattern: str) -> Callable[[Handler], Handler]:
        return self.route("GET", pattern)

    def post(self, pattern: str) -> Callable[[Handler], Handler]:
        return self.route("POST", pattern)

    def put(self, pattern: str) -> Callable[[Handler], Handler]:
        return self.route("PUT", pattern)

    def delete(self, pattern: str) -> Callable[[Handler], Handler]:
        return self.route("DELETE", pattern)

    def dispatch(self, request: Request) -> Response:
        """Route ``request``: its handler's response, or a JSON 404/405/HTTPError/500 answer."""
        for route in self._routes:
            match = route.regex.match(request.path)
            if match is None:
                continue
            handler = route.handlers.get(request.method)
            if handler is None:
                allow = ", ".join(sorted(route.handlers))
                return error_response(405, "method not allowed", [("Allow", allow)])
            params = {k: unquote(v) for k, v in match.groupdict().items()}
            return _invoke(handler, dataclasses.replace(request, path_params=params))
        return error_response(404, "not found")


def _invoke(handler: Handler, request: Request) -> Response:
    try:
        return handler(request)
    except HTTPError as exc:
        return exc.to_response()
    except Exception:
        log.exception("HTTP handler failed: %s %s", request.method, request.path)
        return error_response(500, "internal error")
