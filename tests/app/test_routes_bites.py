"""The routes the emulator suites alone drove: escalating a link, the "Resolve: responded" dialog,
the statistics and the export, in-process on the router (status, exact body, headers, and what is
stored or not).

Each case pins one piece of the parsing: a field's name and whether it may be missing, the
identity checked before the body is read, the answer's status and headers."""

from __future__ import annotations

import json
from typing import Any

import pytest

from app.test_routes import Api
from app.test_service import World
from app.test_store_races import record
from escalations.app.presentation.routes import build_router
from escalations.app.views import render
from escalations.app.workflow import export
from escalations.app.workflow.reports import Reports
from escalations.app.workflow.store import KVStore

ISSUE = "https://github.com/mattermost/mattermost/issues/7"
JAN = 1_767_225_600_000  # 2026-01-01T00:00:00Z
DAY = 24 * 3600 * 1000
NOT_LOGGED_IN = {"error": "You are not logged in."}
MISMATCH = {"error": "The request names a different user than the session."}


class ReportsApi(Api):
    """``Api`` whose router also serves the statistics and the export (clock: 2026-01-31)."""

    def __init__(self, w: World) -> None:
        super().__init__(w)
        self.store = KVStore(w.kv)
        self.reports = Reports(self.store, w.host, w.workflow, lambda: JAN + 30 * DAY)
        self.router = build_router(w.workflow, self.reports)
        self.admin = w.host.add_user("root")
        w.host.admins.add(self.admin.id)


def _who(rapi: ReportsApi, name: str | None) -> str | None:
    """The id of ``name`` (a policy person, ``mallory`` or ``root``, the system admin)."""
    if name is None:
        return None
    extra = {"mallory": rapi.w.mallory.id, "root": rapi.admin.id}
    return extra.get(name) or rapi.w.uid(name)


@pytest.fixture
def api() -> Api:
    return Api(World())


@pytest.fixture
def rapi() -> ReportsApi:
    return ReportsApi(World())


# --- escalating a link ---------------------------------------------------------------------------


def _link(api: Api, body: Any, user: str | None = "alice", **kw: Any) -> Any:
    who = api.w.alice.id if user == "alice" else user
    return api.call("POST", "/escalations/links", who, body, **kw)


def test_a_link_with_every_field_is_escalated_once(api: Api) -> None:
    w = api.w
    w.host.members.add((w.town.id, w.alice.id))
    body = {
        "url": f"  {ISSUE}  ",
        "topic": " licensing ",
        "summary": "  a licence question ",
        "note": "  keep my spaces  ",
        "channel_id": w.town.id,
        "user_id": w.alice.id,
    }
    first = _link(api, body)
    assert first.status == 201, first.body
    made = first.json()
    assert made["topic"] == "licensing" and made["source_url"] == ISSUE
    assert made["created_by"] == "alice" and made["post_id"] == ""
    stored = KVStore(w.kv).get(made["id"])
    assert stored is not None
    assert stored.note == "keep my spaces" and stored.channel_id == w.town.id
    posted = w.host.posts[stored.escalation_post_id].message
    assert "a licence question" in posted
    again = _link(api, body)
    assert again.status == 200 and again.json() == made


def test_a_link_needs_only_its_url_and_topic(api: Api) -> None:
    resp = _link(api, {"url": ISSUE, "topic": "licensing", "summary": "licence"})
    assert resp.status == 201, resp.body
    stored = KVStore(api.w.kv).get(resp.json()["id"])
    assert stored is not None and stored.note == "" and stored.channel_id == ""


@pytest.mark.parametrize(
    ("body", "status", "answer"),
    [
        ({"topic": "licensing"}, 400, {"error": "url must be a non-empty string."}),
        ({"url": " ", "topic": "licensing"}, 400, {"error": "url must be a non-empty string."}),
        ({"url": ISSUE}, 400, {"error": "topic must be a non-empty string."}),
        (
            {"url": ISSUE, "topic": "licensing"},
            400,
            {"error": "Say in a few words what the link is about."},
        ),
        (
            {"url": ISSUE, "topic": "licensing", "summary": 3},
            400,
            {"error": "summary must be a string."},
        ),
        (
            {"url": ISSUE, "topic": "licensing", "summary": "s", "note": 3},
            400,
            {"error": "note must be a string."},
        ),
        (
            {"url": ISSUE, "topic": "licensing", "summary": "s", "channel_id": 3},
            400,
            {"error": "channel_id must be a string."},
        ),
        ({"url": ISSUE, "topic": "nope", "summary": "s"}, 404, {"error": "Unknown topic 'nope'."}),
        ({"url": ISSUE, "topic": "licensing", "summary": "s", "user_id": "x"}, 403, MISMATCH),
        ([ISSUE], 400, {"error": "expected a JSON object"}),
    ],
)
def test_link_refusals_store_nothing(api: Api, body: Any, status: int, answer: Any) -> None:
    resp = _link(api, body)
    assert (resp.status, resp.json()) == (status, answer)
    assert api.keys() == []


def test_an_anonymous_link_is_401_before_its_body_is_read(api: Api) -> None:
    resp = _link(api, b"{nope", user=None)
    assert (resp.status, resp.json()) == (401, NOT_LOGGED_IN)
    plain = _link(api, {"url": ISSUE, "topic": "licensing", "summary": "s"}, headers={})
    assert plain.status == 415
    assert api.keys() == []


# --- the "Resolve: responded" dialog -------------------------------------------------------------


def _resolve(api: Api, body: Any, user: str | None) -> Any:
    resp = api.call("POST", "/dialogs/resolve", user, body, headers={})
    assert resp.status == 200, resp.body
    return resp.json()


def _escalated(api: Api) -> Any:
    made, _ = api.w.workflow.escalate(api.w.alice.id, api.w.post(), "licensing")
    return made


def test_the_dialog_resolves_with_the_response(api: Api) -> None:
    made = _escalated(api)
    jason = api.w.uid("jason.blais")
    body = {"state": made.id, "submission": {"response": "  https://forum.example.com/t/1 "}}
    assert _resolve(api, {**body, "user_id": jason}, jason) == {}
    stored = KVStore(api.w.kv).get(made.id)
    assert stored is not None and stored.outcome is not None
    assert stored.outcome.value == "responded"
    assert stored.response == "https://forum.example.com/t/1"
    assert stored.last_event is not None and stored.last_event.who == "jason.blais"


@pytest.mark.parametrize(
    ("body", "answer"),
    [
        ({"cancelled": True}, {}),
        ({"submission": "x"}, {"errors": {"response": "Give the link or the text."}}),
        ({"submission": {}}, {"errors": {"response": "Give the link or the text."}}),
        ({"submission": {"response": 5}}, {"errors": {"response": "Give the link or the text."}}),
        (
            {"submission": {"response": "  "}},
            {"errors": {"response": "Give the link or the text."}},
        ),
        ({"submission": {"response": "r"}, "user_id": "x"}, MISMATCH),
        ({"submission": {"response": "r"}, "state": None}, {"error": "Unknown escalation."}),
    ],
)
def test_dialog_resolve_refusals_change_nothing(api: Api, body: Any, answer: Any) -> None:
    made = _escalated(api)
    assert _resolve(api, {"state": made.id, **body}, api.w.uid("jason.blais")) == answer
    assert KVStore(api.w.kv).get(made.id) == made


def test_an_anonymous_resolve_submission_is_refused_even_cancelled(api: Api) -> None:
    made = _escalated(api)
    jason = api.w.uid("jason.blais")
    for body in (
        {"state": made.id, "cancelled": True, "user_id": jason},
        {"state": made.id, "user_id": jason, "submission": {"response": "r"}},
    ):
        assert _resolve(api, body, None) == NOT_LOGGED_IN
    assert _resolve(api, b"{nope", None) == NOT_LOGGED_IN
    assert KVStore(api.w.kv).get(made.id) == made


def test_a_stranger_cannot_resolve_by_dialog(api: Api) -> None:
    made = _escalated(api)
    body = {"state": made.id, "submission": {"response": "r"}}
    answer = _resolve(api, body, api.w.mallory.id)
    assert answer == {
        "error": "Only the approved responders of Licensing can resolve this escalation."
    }
    assert KVStore(api.w.kv).get(made.id) == made


# --- statistics ----------------------------------------------------------------------------------


def test_stats_for_an_insider_default_to_30_days(rapi: ReportsApi) -> None:
    jason = rapi.w.uid("jason.blais")
    rapi.store.create_if_absent(record("e1", created_at=JAN + 29 * DAY))
    resp = rapi.call("GET", "/stats", jason)
    assert resp.status == 200, resp.body
    data = resp.json()
    assert data["days"] == 30 and data["escalations"] == 1
    assert data["since"] == JAN and data["until"] == JAN + 30 * DAY
    empty = rapi.call("GET", "/stats?days=", jason).json()
    assert empty["days"] == 30


def test_stats_honour_the_days_asked_for(rapi: ReportsApi) -> None:
    jason = rapi.w.uid("jason.blais")
    rapi.store.create_if_absent(record("old", created_at=JAN + 2 * DAY))
    rapi.store.create_if_absent(record("new", created_at=JAN + 29 * DAY))
    data = rapi.call("GET", "/stats?days=7", jason).json()
    assert data["days"] == 7 and data["escalations"] == 1


@pytest.mark.parametrize(
    ("user", "query", "status", "answer"),
    [
        (None, "", 401, NOT_LOGGED_IN),
        ("mallory", "", 403, None),
        ("jason.blais", "?days=x", 400, {"error": "days must be a whole number from 1 to 3660."}),
        ("jason.blais", "?days=0", 400, {"error": "days must be a whole number from 1 to 3660."}),
    ],
)
def test_stats_refusals(
    rapi: ReportsApi, user: str | None, query: str, status: int, answer: Any
) -> None:
    resp = rapi.call("GET", f"/stats{query}", _who(rapi, user))
    assert resp.status == status, resp.body
    if answer is not None:
        assert resp.json() == answer
    else:
        assert set(resp.json()) == {"error"}


def test_without_reports_there_is_no_stats_or_export_route(api: Api) -> None:
    jason = api.w.uid("jason.blais")
    assert api.call("GET", "/stats", jason).json() == {"error": "not found"}
    assert api.call("GET", "/export", jason).status == 404


# --- export --------------------------------------------------------------------------------------


def _headers(resp: Any) -> dict[str, str]:
    return dict(resp.headers)


def test_a_csv_export_is_an_attachment_never_cached(rapi: ReportsApi) -> None:
    rapi.store.create_if_absent(record("e1", created_at=JAN + 29 * DAY))
    resp = rapi.call("GET", "/export", rapi.admin.id)
    assert resp.status == 200, resp.body
    assert _headers(resp) == {
        "Content-Type": "text/csv; charset=utf-8",
        "Content-Disposition": 'attachment; filename="escalations.csv"',
        "Cache-Control": "no-store",
        "X-Content-Type-Options": "nosniff",
    }
    lines = resp.body.decode().splitlines()
    assert lines[0].startswith("id,") and lines[1].startswith("e1,")


def test_a_json_export_takes_its_range_and_continues_at_the_cursor(
    rapi: ReportsApi, monkeypatch: pytest.MonkeyPatch
) -> None:
    for n in range(3):
        rapi.store.create_if_absent(record(f"e{n}", created_at=JAN + n * DAY))
    rapi.store.create_if_absent(record("late", created_at=JAN + 20 * DAY))
    monkeypatch.setattr(export, "MAX_RECORDS", 2)
    query = "/export?format=json&from=2026-01-01&to=2026-01-10"
    first = rapi.call("GET", query, rapi.admin.id)
    assert first.status == 200, first.body
    headers = _headers(first)
    assert headers["Content-Type"] == "application/json"
    assert headers["Content-Disposition"] == 'attachment; filename="escalations.json"'
    data = first.json()
    assert (data["from"], data["to"]) == ("2026-01-01", "2026-01-10")
    assert [e["id"] for e in data["escalations"]] == ["e0", "e1"]
    cursor = headers["X-Next-Cursor"]
    assert cursor == str(data["next_cursor"])
    rest = rapi.call("GET", f"{query}&cursor={cursor}", rapi.admin.id)
    assert [e["id"] for e in rest.json()["escalations"]] == ["e2"]
    assert "X-Next-Cursor" not in _headers(rest)


@pytest.mark.parametrize(
    ("user", "query", "status", "answer"),
    [
        (None, "", 401, NOT_LOGGED_IN),
        ("jason.blais", "", 403, {"error": "Only system admins can export escalations."}),
        ("root", "?format=xml", 400, {"error": "format must be csv or json."}),
        ("root", "?from=2026-13-01", 400, {"error": "from must be a date as YYYY-MM-DD."}),
        ("root", "?to=junk", 400, {"error": "to must be a date as YYYY-MM-DD."}),
        ("root", "?cursor=x", 400, None),
    ],
)
def test_export_refusals(
    rapi: ReportsApi, user: str | None, query: str, status: int, answer: Any
) -> None:
    resp = rapi.call("GET", f"/export{query}", _who(rapi, user))
    assert resp.status == status, resp.body
    assert set(resp.json()) == {"error"}
    if answer is not None:
        assert resp.json() == answer


def test_an_export_body_is_what_the_reports_give(rapi: ReportsApi) -> None:
    rapi.store.create_if_absent(record("e1", created_at=JAN + 3 * DAY))
    page = rapi.reports.export(rapi.admin.id, "json", "2026-01-01", "2026-01-05")
    resp = rapi.call("GET", "/export?format=json&from=2026-01-01&to=2026-01-05", rapi.admin.id)
    assert resp.body == page.body
    assert json.loads(resp.body)["count"] == 1


def test_render_buttons_have_routes(api: Api) -> None:
    """Every button the post shows is routed (an unknown action is a 404)."""
    jason = api.w.uid("jason.blais")
    for action in (render.CLAIM, render.ASSIGN, render.RELEASE, render.RESOLVE, render.TIPS):
        assert api.call("POST", f"/actions/{action}", jason, {}, headers={}).status == 200
    assert api.call("POST", "/actions/nope", jason, {}, headers={}).status == 404


# --- the fields the other routes read -----------------------------------------------------------


def test_the_note_limit_counts_the_characters_sent(api: Api) -> None:
    """The note is not trimmed before its length is checked: 999 characters and two spaces are
    over the limit (the stored note is trimmed later)."""
    post = api.w.post()
    body = {"post_id": post, "topic": "licensing", "note": " " + "n" * 999 + " "}
    resp = api.call("POST", "/escalations", api.w.alice.id, body)
    assert resp.status == 400
    assert resp.json() == {"error": "The note is longer than 1000 characters."}
    assert api.keys() == []
    body["note"] = "n" * 1000
    assert api.call("POST", "/escalations", api.w.alice.id, body).status == 201


def test_an_empty_user_id_in_a_body_is_no_claim(api: Api) -> None:
    body = {"post_id": api.w.post(), "topic": "licensing", "user_id": ""}
    assert api.call("POST", "/escalations", api.w.alice.id, body).status == 201


def test_a_press_without_context_is_refused_in_so_many_words(api: Api) -> None:
    resp = api.call("POST", "/actions/claim", api.w.uid("jason.blais"), {}, headers={})
    assert resp.json() == {"ephemeral_text": "This button is not one of ours."}


def test_the_new_dialog_without_a_note_stores_none(api: Api) -> None:
    post = api.w.post()
    body = {"state": post, "submission": {"topic": "licensing", "note": None}}
    resp = api.call("POST", "/dialogs/new", api.w.alice.id, body, headers={})
    assert resp.json() == {}
    (summary,) = KVStore(api.w.kv).list_open()
    stored = KVStore(api.w.kv).get(summary.id)
    assert stored is not None and stored.note == "" and stored.post_id == post


def test_the_new_dialog_names_the_escalation_that_exists(api: Api) -> None:
    post = api.w.post()
    body = {"state": post, "submission": {"topic": "licensing"}}
    assert api.call("POST", "/dialogs/new", api.w.alice.id, body, headers={}).json() == {}
    (summary,) = KVStore(api.w.kv).list_open()
    stored = KVStore(api.w.kv).get(summary.id)
    assert stored is not None
    again = api.call("POST", "/dialogs/new", api.w.alice.id, body, headers={})
    assert again.status == 200
    assert again.json() == {
        "error": f"This post is already escalated under Licensing (ref {stored.ref}, open, "
        f"owner @jason.blais): {stored.permalink}"
    }


def _press(api: Api, made: Any, trigger: Any) -> Any:
    jason = api.w.uid("jason.blais")
    body = {
        "user_id": jason,
        "post_id": made.escalation_post_id,
        "trigger_id": trigger,
        "context": {"escalation_id": made.id, "outcome": "responded"},
    }
    resp = api.call("POST", f"/actions/{render.RESOLVE}", jason, body, headers={})
    assert resp.status == 200, resp.body
    return resp.json()


def test_resolve_responded_opens_the_dialog_on_the_press_trigger(api: Api) -> None:
    made = _escalated(api)
    assert _press(api, made, "trigger-1") == {}
    (dialog,) = api.w.host.dialogs
    assert (dialog.trigger_id, dialog.state) == ("trigger-1", made.id)
    assert KVStore(api.w.kv).get(made.id) == made  # the submission resolves, not the press


def test_a_trigger_that_is_not_text_is_no_trigger(api: Api) -> None:
    """Without a usable trigger no dialog can open: the press resolves at once."""
    made = _escalated(api)
    answer = _press(api, made, 5)
    assert set(answer) == {"update"}
    assert api.w.host.dialogs == []
    stored = KVStore(api.w.kv).get(made.id)
    assert stored is not None and stored.outcome is not None
    assert stored.outcome.value == "responded"
