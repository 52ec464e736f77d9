"""Hostile request bodies: answered with a precise 4xx (or, for buttons, an ephemeral text), never
a 500, and nothing stored."""

from __future__ import annotations

import pytest

from app.emu import World
from escalations.runtime.http import HTTPError, Request

JSON = {"Content-Type": "application/json"}


def _request(body: bytes) -> Request:
    return Request.build("POST", "/x", JSON, body)


@pytest.mark.parametrize(
    "body",
    [
        b"[" * 50_000,
        b'{"a":' * 10_000 + b"1" + b"}" * 10_000,
        b'{"note": "\\ud800"}',
        b'{"\\udfff": 1}',
        b'[[["x\\udc00y"]]]',
        '{"note": "raw \udcff"}'.encode("utf-8", "surrogatepass"),
    ],
    ids=["deep-list", "deep-object", "surrogate-value", "surrogate-key", "nested", "raw-bytes"],
)
def test_unusable_json_is_a_400(body: bytes) -> None:
    with pytest.raises(HTTPError) as err:
        _request(body).json()
    assert err.value.status == 400
    assert err.value.message.startswith("malformed JSON")


def test_paired_surrogates_are_fine() -> None:
    assert _request(b'{"note": "\\ud83d\\ude00"}').json() == {"note": "\U0001f600"}


def test_deep_body_is_refused_not_crashed(world: World) -> None:
    before = world.host.kv_dump()
    resp = world.host.http(
        "POST", "/api/v1/escalations", user_id=world.alice.id, body=b"[" * 50_000, headers=JSON
    )
    assert resp.status == 400, resp.text
    assert "nested too deeply" in resp.json()["error"]
    assert world.host.kv_dump() == before


def test_unpaired_surrogate_in_note_stores_nothing(world: World) -> None:
    post = world.post("a question")
    before, roots = world.host.kv_dump(), len(world.bot_roots())
    raw = f'{{"post_id": "{post.id}", "topic": "licensing", "note": "hi \\ud800"}}'
    resp = world.host.http(
        "POST", "/api/v1/escalations", user_id=world.alice.id, body=raw.encode(), headers=JSON
    )
    assert resp.status == 400, resp.text
    assert "surrogate" in resp.json()["error"]
    assert world.host.kv_dump() == before  # no pending record left behind
    assert len(world.bot_roots()) == roots


def test_unpaired_surrogate_in_assignee_is_an_ephemeral_answer(world: World) -> None:
    esc = world.escalate(world.post().id, "licensing").json()
    raw = (
        f'{{"post_id": "{esc["escalation_post_id"]}", "context": '
        f'{{"escalation_id": "{esc["id"]}", "selected_option": "\\ud800x"}}}}'
    )
    resp = world.host.http(
        "POST", "/api/v1/actions/assign", user_id=world.uid("jason.blais"), body=raw.encode()
    )
    assert resp.status == 200, resp.text
    assert "surrogate" in resp.json()["ephemeral_text"]
    assert world.record(esc["id"])["state"] == "open"


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"note": 5}, "note must be a string."),
        ({"note": ["x"]}, "note must be a string."),
        ({"topic": 5}, "topic must be a non-empty string."),
        ({"topic": "  "}, "topic must be a non-empty string."),
    ],
)
def test_mistyped_fields_name_the_rule(
    world: World, extra: dict[str, object], message: str
) -> None:
    post = world.post("typed")
    body = {"post_id": post.id, "topic": "licensing", **extra}
    resp = world.host.http("POST", "/api/v1/escalations", user_id=world.alice.id, body=body)
    assert resp.status == 400
    assert resp.json() == {"error": message}


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/topics",
        "/api/v1/escalations",
        "/api/v1/escalations/x",
        "/api/v1/actions/claim",
        "/api/v1/dialogs/new",
    ],
)
def test_oversized_body_is_a_json_413_on_every_route(world: World, path: str) -> None:
    before, posts = world.host.kv_dump(), len(world.host.posts())
    resp = world.host.http("POST", path, user_id=world.alice.id, body=b"x" * (64 * 1024 + 1))
    assert resp.status == 413
    assert "error" in resp.json()
    assert world.host.kv_dump() == before and len(world.host.posts()) == posts


@pytest.mark.parametrize(
    ("submission", "errors"),
    [
        ({"topic": "licensing", "note": "n" * 1001}, {"note": "longer than 1000"}),
        ({"note": "no topic"}, {"topic": "Choose a topic."}),
        ({"topic": "nope"}, {"topic": "Unknown topic"}),
    ],
)
def test_dialog_field_errors_sit_on_their_field(
    world: World, submission: dict[str, str], errors: dict[str, str]
) -> None:
    post = world.post("for the dialog")
    before = world.host.kv_dump()
    body = {"state": post.id, "submission": submission}
    resp = world.host.http("POST", "/api/v1/dialogs/new", user_id=world.alice.id, body=body)
    assert resp.status == 200
    answer = resp.json()
    assert set(answer) == {"errors"} and set(answer["errors"]) == set(errors), answer
    for field, text in errors.items():
        assert text in answer["errors"][field]
    assert world.host.kv_dump() == before
