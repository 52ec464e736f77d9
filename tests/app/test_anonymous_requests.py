"""Button presses and dialog submissions without the server-set ``Mattermost-User-Id`` header.

The server lets unauthenticated requests through to the plugin, just without the header. Whatever
such a request names in its body (a responder's ``user_id``, a valid button context), it must be
answered "not logged in" and change nothing. Checked in-process on the router and through the
real process boundary (host emulator)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from app import emu
from app.test_service import World
from escalations.app.presentation.buttons import BUTTONS
from escalations.app.presentation.routes import build_router
from escalations.app.views import render
from escalations.app.workflow.store import KVStore
from escalations.runtime.http import Request

JSON = {"Content-Type": "application/json"}


def _action_body(record: Any, actor: str, **context: str) -> dict[str, Any]:
    return {
        "user_id": actor,
        "post_id": record.escalation_post_id,
        "context": {"escalation_id": record.id, **context},
    }


def _send(w: World, path: str, body: dict[str, Any], user_id: str | None) -> Any:
    headers = dict(JSON)
    if user_id is not None:
        headers["Mattermost-User-Id"] = user_id
    request = Request.build("POST", path, headers, json.dumps(body).encode())
    response = build_router(w.workflow).dispatch(request)
    assert response.status == 200, response.body
    return response.json()


CONTEXTS = {
    render.CLAIM: {},
    render.ASSIGN: {"selected_option": "jason.blais"},
    render.RELEASE: {},
    render.RESOLVE: {"outcome": "responded"},
}


def test_every_button_but_the_tips_changes_the_escalation() -> None:
    assert set(BUTTONS) == {*CONTEXTS, render.TIPS}


def test_an_anonymous_tips_press_is_not_answered() -> None:
    w = World()
    record, _ = w.workflow.escalate(w.alice.id, w.post(), "licensing")
    body = _action_body(record, w.uid("jason.blais"))
    answer = _send(w, f"/api/v1/actions/{render.TIPS}", body, None)
    assert answer == {"ephemeral_text": "You are not logged in."}
    answer = _send(w, f"/api/v1/actions/{render.TIPS}", body, w.alice.id)
    assert answer["ephemeral_text"] != "You are not logged in."


@pytest.mark.parametrize("action", sorted(CONTEXTS))
def test_an_anonymous_button_press_changes_nothing(action: str) -> None:
    w = World()
    record, _ = w.workflow.escalate(w.alice.id, w.post(), "licensing")
    jason = w.uid("jason.blais")
    if action == render.RELEASE:
        record, _ = w.workflow.claim(jason, record.id)
    posts = dict(w.host.posts)
    body = _action_body(record, jason, **CONTEXTS[action])
    answer = _send(w, f"/api/v1/actions/{action}", body, None)
    assert answer == {"ephemeral_text": "You are not logged in."}
    assert KVStore(w.kv).get(record.id) == record
    assert w.host.posts == posts
    # the same press with the header does change the record (the test can fail)
    answer = _send(w, f"/api/v1/actions/{action}", body, jason)
    assert "ephemeral_text" not in answer, answer
    assert KVStore(w.kv).get(record.id) != record


def test_an_anonymous_dialog_submission_escalates_nothing() -> None:
    w = World()
    post_id = w.post()
    body = {"state": post_id, "submission": {"topic": "licensing", "note": "n"}}
    keys_before = w.kv.list_keys(0, 1000)
    answer = _send(w, "/api/v1/dialogs/new", {**body, "user_id": w.alice.id}, None)
    assert answer == {"error": "You are not logged in."}
    answer = _send(w, "/api/v1/dialogs/new", body, None)
    assert answer == {"error": "You are not logged in."}
    assert w.kv.list_keys(0, 1000) == keys_before
    assert _send(w, "/api/v1/dialogs/new", body, w.alice.id) == {}
    escalations = [k for k in w.kv.list_keys(0, 1000) if k.startswith("ce1:esc:")]
    assert len(escalations) == 1


# --- through the real process boundary ---------------------------------------------------------


def test_anonymous_press_through_the_emulator(world: emu.World) -> None:
    post = world.post("anonymous press")
    made = world.escalate(post.id, "licensing")
    assert made.status == 201, made.text
    escalation = made.json()
    jason = world.uid("jason.blais")
    before = world.host.kv_dump()
    body = {
        "user_id": jason,
        "post_id": escalation["escalation_post_id"],
        "context": {"escalation_id": escalation["id"], "action": "claim"},
    }
    resp = world.host.http("POST", "/api/v1/actions/claim", body=body)
    assert resp.status == 200, resp.text
    assert resp.json() == {"ephemeral_text": "You are not logged in."}
    assert world.host.kv_dump() == before
    assert world.record(escalation["id"])["state"] == "open"


def test_anonymous_dialog_through_the_emulator(world: emu.World) -> None:
    post = world.post("anonymous dialog")
    before = world.host.kv_dump()
    body = {"state": post.id, "user_id": world.alice.id, "submission": {"topic": "licensing"}}
    resp = world.host.http("POST", "/api/v1/dialogs/new", body=body)
    assert resp.status == 200, resp.text
    assert resp.json() == {"error": "You are not logged in."}
    assert world.host.kv_dump() == before
