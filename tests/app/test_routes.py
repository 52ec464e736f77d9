"""The HTTP API's request parsing, identity and error mapping, on the router itself.

The same routes are driven through the real process boundary by the emulator suites
(``test_e2e_*``, ``test_http_input.py``, ``test_fuzz_http.py``); here every branch of the parsing
is pinned quickly and in-process: status, exact body, and nothing stored on a refusal."""

from __future__ import annotations

import json
from typing import Any

import pytest

from app.test_service import World
from escalations.app.domain.errors import HostError
from escalations.app.presentation.routes import build_router
from escalations.app.views import render
from escalations.app.workflow.store import KVStore
from escalations.runtime.http import Request, Response

JSON = {"Content-Type": "application/json"}
SOMETHING_WRONG = "Something went wrong; please try again."


class Api:
    def __init__(self, w: World) -> None:
        self.w = w
        self.router = build_router(w.workflow)
        # What activation stored (name pins, the channel's id): not the requests' doing.
        self.activation_keys = set(w.kv.list_keys(0, 10_000))

    def call(
        self,
        method: str,
        path: str,
        user: str | None,
        body: Any = None,
        headers: dict[str, str] | None = None,
    ) -> Response:
        h = dict(JSON if headers is None else headers)
        if user is not None:
            h["Mattermost-User-Id"] = user
        raw = (
            body if isinstance(body, bytes) else b"" if body is None else json.dumps(body).encode()
        )
        return self.router.dispatch(Request.build(method, f"/api/v1{path}", h, raw))

    def keys(self) -> list[str]:
        """Keys the requests stored."""
        return [k for k in self.w.kv.list_keys(0, 10_000) if k not in self.activation_keys]


@pytest.fixture
def api() -> Api:
    return Api(World())


def _broken(*args: object, **kwargs: object) -> None:
    raise HostError("GetPost: database down")


# --- topics ------------------------------------------------------------------------------------


def test_topics(api: Api) -> None:
    resp = api.call("GET", "/topics", api.w.alice.id)
    assert resp.status == 200
    assert [t["key"] for t in resp.json()["topics"]][:3] == [
        "privacy-telemetry",
        "product-gdpr",
        "licensing",
    ]
    assert api.call("GET", "/topics", None).status == 401


def test_topics_without_a_policy_is_409(api: Api) -> None:
    api.w.activated = None
    resp = api.call("GET", "/topics", api.w.alice.id)
    assert resp.json() == {"error": "Community Escalations has no active policy yet."}
    assert resp.status == 409


# --- create ------------------------------------------------------------------------------------


def test_create_then_the_same_again(api: Api) -> None:
    post = api.w.post()
    body = {"post_id": post, "topic": "licensing", "note": "  keep my spaces  "}
    first = api.call("POST", "/escalations", api.w.alice.id, body)
    assert first.status == 201, first.body
    record = first.json()
    assert record["topic"] == "licensing" and record["created_by"] == "alice"
    stored = KVStore(api.w.kv).get(record["id"])
    assert stored is not None and stored.note == "keep my spaces"  # trimmed, inner text kept
    again = api.call("POST", "/escalations", api.w.alice.id, {**body, "user_id": api.w.alice.id})
    assert again.status == 200 and again.json()["id"] == record["id"]


@pytest.mark.parametrize(
    ("body", "status", "error"),
    [
        ([], 400, None),
        ({"topic": "licensing"}, 400, "post_id must be a non-empty string."),
        ({"post_id": 7, "topic": "licensing"}, 400, "post_id must be a non-empty string."),
        ({"post_id": "   ", "topic": "licensing"}, 400, "post_id must be a non-empty string."),
        (
            {"post_id": "short", "topic": "licensing"},
            400,
            "post_id must be a 26-character post id.",
        ),
        (
            {"post_id": "A" * 26, "topic": "licensing"},
            400,
            "post_id must be a 26-character post id.",
        ),
        ({"post_id": "{post}"}, 400, "topic must be a non-empty string."),
        ({"post_id": "{post}", "topic": ""}, 400, "topic must be a non-empty string."),
        ({"post_id": "{post}", "topic": "licensing", "note": 5}, 400, "note must be a string."),
        ({"post_id": "{post}", "topic": "nope"}, 404, "Unknown topic 'nope'."),
        ({"post_id": "{post}", "topic": "licensing", "user_id": "someone-else"}, 403, None),
        ({"post_id": "{post}", "topic": "licensing", "note": "n" * 1001}, 400, None),
        (
            {"post_id": "{post}", "topic": "licensing", "channel_id": "town"},
            400,
            "channel_id must be a 26-character channel id.",
        ),
        (
            {"post_id": "{post}", "topic": "licensing", "channel_id": 5},
            400,
            "channel_id must be a string.",
        ),
    ],
)
def test_create_refusals_store_nothing(api: Api, body: Any, status: int, error: str | None) -> None:
    post = api.w.post()
    if isinstance(body, dict):
        body = {k: (post if v == "{post}" else v) for k, v in body.items()}
    before = api.keys()
    resp = api.call("POST", "/escalations", api.w.alice.id, body)
    assert resp.status == status, resp.body
    if error is not None:
        assert resp.json() == {"error": error}
    assert api.keys() == before


def test_create_without_a_note_stores_an_empty_note(api: Api) -> None:
    resp = api.call(
        "POST", "/escalations", api.w.alice.id, {"post_id": api.w.post(), "topic": "licensing"}
    )
    assert resp.status == 201, resp.body
    stored = KVStore(api.w.kv).get(resp.json()["id"])
    assert stored is not None and stored.note == ""


def test_create_needs_a_user_and_json(api: Api) -> None:
    body = {"post_id": api.w.post(), "topic": "licensing"}
    assert api.call("POST", "/escalations", None, body).status == 401
    plain = api.call("POST", "/escalations", api.w.alice.id, body, headers={})
    assert plain.status == 415
    assert api.keys() == []


def test_create_when_the_server_fails_is_a_500(api: Api) -> None:
    post = api.w.post()
    api.w.host.get_post = _broken  # type: ignore[method-assign]  # the server fails
    resp = api.call("POST", "/escalations", api.w.alice.id, {"post_id": post, "topic": "licensing"})
    assert resp.status == 500 and resp.json() == {"error": SOMETHING_WRONG}


# --- show --------------------------------------------------------------------------------------


def test_show(api: Api) -> None:
    made = api.call(
        "POST", "/escalations", api.w.alice.id, {"post_id": api.w.post(), "topic": "licensing"}
    )
    esc_id = made.json()["id"]
    resp = api.call("GET", f"/escalations/{esc_id}", api.w.alice.id)
    assert resp.status == 200 and resp.json()["id"] == esc_id
    hidden = api.call("GET", f"/escalations/{esc_id}", api.w.mallory.id)
    assert hidden.status == 404 and hidden.json() == {"error": "Unknown escalation."}
    assert api.call("GET", f"/escalations/{esc_id}", None).status == 401


# --- buttons -----------------------------------------------------------------------------------


def _press(api: Api, action: str, who: str, record: Any, **context: str) -> dict[str, Any]:
    body = {
        "user_id": who,
        "post_id": record.escalation_post_id,
        "context": {"escalation_id": record.id, **context},
    }
    resp = api.call("POST", f"/actions/{action}", who, body, headers={})
    assert resp.status == 200, resp.body
    return dict(resp.json())


def _edit(answer: dict[str, Any]) -> str:
    """The first line of the post edit a changing press answers with (and nothing else)."""
    assert set(answer) == {"update"}, answer
    props = answer["update"]["props"]
    assert props["attachments"], "the edit carries the post's buttons"
    return str(answer["update"]["message"]).splitlines()[0]


def test_each_button_changes_the_record(api: Api) -> None:
    w = api.w
    record, _ = w.workflow.escalate(w.alice.id, w.post(), "licensing")
    jason, ian = w.uid("jason.blais"), w.uid("ian.tien")
    store = KVStore(w.kv)
    posted = w.host.posts[record.escalation_post_id].message
    claimed = _edit(_press(api, render.CLAIM, jason, record))
    assert claimed == "**Licensing** · Claimed · Owner: `@jason.blais`"
    stored = store.get(record.id)
    assert stored is not None and stored.owner == "jason.blais"
    assert _press(api, render.CLAIM, jason, record) == {
        "ephemeral_text": "You already own this escalation."
    }
    assigned = _edit(_press(api, render.ASSIGN, ian, record, selected_option="ian.tien"))
    assert "`@ian.tien`" in assigned
    stored = store.get(record.id)
    assert stored is not None and stored.owner == "ian.tien"
    assert _press(api, render.ASSIGN, ian, record, selected_option="ian.tien") == {
        "ephemeral_text": "@ian.tien already owns this escalation."
    }
    released = _edit(_press(api, render.RELEASE, ian, record))
    assert "`@jason.blais`" in released and "default" in released
    stored = store.get(record.id)  # back with the default owner, not acknowledged
    assert stored is not None and stored.owner == "jason.blais" and not stored.acknowledged
    resolved = _edit(_press(api, render.RESOLVE, jason, record, outcome="no_response_needed"))
    assert "Resolved" in resolved
    final = store.get(record.id)
    assert final is not None and final.outcome is not None
    assert final.outcome.value == "no_response_needed"
    # the plugin did not edit the post itself: the server applies the answers' edits
    assert w.host.posts[record.escalation_post_id].message == posted


@pytest.mark.parametrize(
    ("body", "text"),
    [
        ({"context": "x"}, "This button is not one of ours."),
        ({}, "This button is not one of ours."),
        ({"context": {"escalation_id": "{id}"}, "post_id": "other"}, "not an escalation post"),
        ({"context": {"escalation_id": ""}, "post_id": "{post}"}, "not an escalation post"),
        ({"context": {"escalation_id": "{id}"}, "post_id": "{post}", "user_id": "x"}, "different"),
    ],
)
def test_bad_presses_are_answered_and_change_nothing(api: Api, body: Any, text: str) -> None:
    w = api.w
    record, _ = w.workflow.escalate(w.alice.id, w.post(), "licensing")
    jason = w.uid("jason.blais")
    swap = {"{id}": record.id, "{post}": record.escalation_post_id}

    def fill(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: fill(v) for k, v in value.items()}
        return swap.get(value, value) if isinstance(value, str) else value

    resp = api.call("POST", "/actions/claim", jason, fill(body), headers={})
    assert resp.status == 200
    assert text in resp.json()["ephemeral_text"]
    assert KVStore(w.kv).get(record.id) == record


def test_a_press_with_malformed_json_is_answered(api: Api) -> None:
    resp = api.call("POST", "/actions/claim", api.w.uid("jason.blais"), b"{nope", headers={})
    assert resp.status == 200
    assert resp.json()["ephemeral_text"].startswith("malformed JSON")


def test_a_press_when_the_server_fails(api: Api) -> None:
    w = api.w
    record, _ = w.workflow.escalate(w.alice.id, w.post(), "licensing")
    # A KV that fails (the press would need no read: this process wrote the record last).
    w.kv.get = _broken  # type: ignore[method-assign]
    w.kv.compare_and_set = _broken  # type: ignore[method-assign,assignment]
    assert _press(api, render.CLAIM, w.uid("ian.tien"), record) == {
        "ephemeral_text": SOMETHING_WRONG
    }


def test_a_refused_press_says_why(api: Api) -> None:
    w = api.w
    record, _ = w.workflow.escalate(w.alice.id, w.post(), "licensing")
    text = _press(api, render.CLAIM, w.mallory.id, record)["ephemeral_text"]
    assert text == "Only the approved responders of Licensing can claim this escalation."
    answer = _press(api, render.RESOLVE, w.uid("jason.blais"), record, outcome="bogus")
    assert answer == {"ephemeral_text": "Unknown outcome."}
    assert KVStore(w.kv).get(record.id) == record


# --- the /escalation new dialog ------------------------------------------------------------------


def _submit(api: Api, body: Any, user: str | None = None) -> Any:
    resp = api.call("POST", "/dialogs/new", user or api.w.alice.id, body, headers={})
    assert resp.status == 200, resp.body
    return resp.json()


def test_dialog_submission_escalates(api: Api) -> None:
    post = api.w.post()
    body = {"state": post, "submission": {"topic": "licensing", "note": "from mobile"}}
    assert _submit(api, body) == {}
    (key,) = [k for k in api.keys() if k.startswith("ce1:esc:")]
    (summary,) = KVStore(api.w.kv).list_open()
    stored = KVStore(api.w.kv).get(summary.id)
    assert key == f"ce1:esc:{summary.id}"
    assert stored is not None and stored.note == "from mobile" and stored.post_id == post


@pytest.mark.parametrize(
    ("submission", "answer"),
    [
        ({"cancelled": True}, {}),
        ({"submission": "x"}, {"error": "The form was empty."}),
        ({"submission": {}}, {"errors": {"topic": "Choose a topic."}}),
        ({"submission": {"topic": "nope"}}, {"errors": {"topic": "Unknown topic 'nope'."}}),
        (
            {"submission": {"topic": "licensing", "note": "n" * 1001}},
            {"errors": {"note": "The note is longer than 1000 characters."}},
        ),
        ({"submission": {"topic": "licensing", "note": 3}}, {"error": "The note must be text."}),
        (
            {"submission": {"topic": "licensing"}, "user_id": "someone-else"},
            {"error": "The request names a different user than the session."},
        ),
        (
            {"submission": {"topic": "licensing"}, "state": "x" * 26},
            {"error": "The post does not exist or was deleted."},
        ),
    ],
)
def test_dialog_refusals_store_nothing(api: Api, submission: Any, answer: Any) -> None:
    body = {"state": api.w.post(), **submission}
    assert _submit(api, body) == answer
    assert api.keys() == []


def test_dialog_with_malformed_json(api: Api) -> None:
    answer = _submit(api, b"{nope")
    assert answer["error"].startswith("malformed JSON")
    assert api.keys() == []


def test_dialog_when_the_server_fails(api: Api) -> None:
    post = api.w.post()
    api.w.host.get_post = _broken  # type: ignore[method-assign]  # the server fails
    body = {"state": post, "submission": {"topic": "licensing"}}
    assert _submit(api, body) == {"error": SOMETHING_WRONG}
