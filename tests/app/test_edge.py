"""Every error, on every surface: what the person sees is decided in one place (``edge``)."""

from __future__ import annotations

import inspect
import json
import logging
from collections.abc import Callable
from typing import Any

import pytest

from escalations.app.adapters.host import ClientKV, RuntimeHost
from escalations.app.domain import errors
from escalations.app.presentation import edge
from escalations.runtime.errors import NotFoundError, PluginAPIError
from escalations.runtime.http import HTTPError, Response


def _domain_errors() -> list[errors.WorkflowError]:
    found = []
    for _, cls in inspect.getmembers(errors, inspect.isclass):
        if issubclass(cls, errors.WorkflowError) and cls is not errors.WorkflowError:
            found.append(cls("bob") if cls is errors.AlreadyClaimed else cls(f"{cls.__name__}!"))
    return found


DOMAIN = _domain_errors()
# (error, status, text shown, logged?)
CASES: list[tuple[Exception, int, str, bool]] = [
    *((e, e.status, e.public, False) for e in DOMAIN),
    (HTTPError(413, "body too large"), 413, "body too large", False),
    (HTTPError(400, ""), 400, edge.NOT_UNDERSTOOD, False),
    (errors.HostError("GetPost: database down at 10.0.0.7"), 500, edge.SOMETHING_WRONG, True),
    (KeyError("secret internals"), 500, edge.SOMETHING_WRONG, True),
    (ValueError("corrupt record"), 500, edge.SOMETHING_WRONG, True),
]
IDS = [type(c[0]).__name__ + ("" if not isinstance(c[0], HTTPError) else str(c[1])) for c in CASES]


def _body(response: Response) -> Any:
    return json.loads(response.body)


def test_every_domain_error_is_in_the_table() -> None:
    assert len(DOMAIN) >= 18
    assert {type(e) for e in DOMAIN} >= {errors.NotLoggedIn, errors.AlreadyClaimed, errors.Busy}


@pytest.mark.parametrize(("error", "status", "text", "logged"), CASES, ids=IDS)
def test_http(
    error: Exception, status: int, text: str, logged: bool, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.ERROR):
        response = edge.run_http(_raiser(error))
    assert response.status == status
    assert _body(response) == {"error": text}
    assert bool(caplog.records) is logged
    assert "10.0.0.7" not in response.body.decode()


@pytest.mark.parametrize(("error", "status", "text", "logged"), CASES, ids=IDS)
def test_button(error: Exception, status: int, text: str, logged: bool) -> None:
    response = edge.run_button(_raiser(error))
    assert response.status == 200  # anything else shows as a bare "Action failed"
    assert _body(response) == {"ephemeral_text": text}


@pytest.mark.parametrize(("error", "status", "text", "logged"), CASES, ids=IDS)
def test_dialog(error: Exception, status: int, text: str, logged: bool) -> None:
    fields: edge.DialogFields = {errors.TopicNotFound: "topic", errors.InvalidRequest: "note"}
    response = edge.run_dialog(_raiser(error), fields)
    assert response.status == 200
    if isinstance(error, errors.TopicNotFound):
        assert _body(response) == {"errors": {"topic": text}}
    elif isinstance(error, errors.InvalidRequest):  # NoteTooLong, InvalidAssignee, ... included
        assert _body(response) == {"errors": {"note": text}}
    else:
        assert _body(response) == {"error": text}


@pytest.mark.parametrize(("error", "status", "text", "logged"), CASES, ids=IDS)
def test_slash(error: Exception, status: int, text: str, logged: bool) -> None:
    answer = edge.run_slash(_raiser(error))
    assert answer.response_type == "ephemeral"
    assert answer.text == text


def test_success_passes_through() -> None:
    assert _body(edge.run_button(dict)) == {}
    assert _body(edge.run_button(lambda: {"ephemeral_text": "done"})) == {"ephemeral_text": "done"}
    assert edge.run_slash(lambda: "hi").text == "hi"


def _raiser(error: Exception) -> Callable[[], Any]:
    def call() -> Any:
        raise error

    return call


# --- the adapters keep the runtime's errors out of the workflow ----------------------------------


class _FailingAPI:
    """Every runtime call fails like a server that is down; ``get_post`` finds nothing."""

    def __getattr__(self, name: str) -> Callable[..., Any]:
        def call(*args: Any, **kwargs: Any) -> Any:
            if name == "get_post":
                raise NotFoundError("GetPost", "not found")
            raise PluginAPIError(name, "connection refused", status_code=500)

        return call


def test_host_failures_become_host_errors() -> None:
    host = RuntimeHost(_FailingAPI())  # type: ignore[arg-type]  # duck-typed runtime client
    assert host.get_post("p" * 26) is None  # "not found" stays a value
    with pytest.raises(errors.HostError, match="connection refused") as caught:
        host.create_post("c" * 26, "bot", "hello", {}, "")
    assert isinstance(caught.value.__cause__, PluginAPIError)
    kv = ClientKV(_FailingAPI())  # type: ignore[arg-type]
    with pytest.raises(errors.HostError):
        kv.get("key")
    with pytest.raises(errors.HostError):
        kv.compare_and_set("key", None, b"v")
