"""Property-based fuzzing of the plugin's whole HTTP surface and slash command, end to end through
the host emulator (one plugin process for the module).

Whatever arrives -- any method, path, header, content type, raw bytes or JSON of any shape, with
real or made-up ids and user ids -- the plugin must:

* never answer 5xx;
* answer every 4xx with a JSON ``{"error": "<text>"}`` body;
* answer the button endpoints (``POST /api/v1/actions/*``) with HTTP 200 and a JSON object, and
  the dialog endpoint with HTTP 200 and a JSON object;
* change nothing (KV and posts) when it refuses: a 4xx, an ``ephemeral_text`` / ``error`` /
  ``errors`` answer, any ``GET``, any slash command.

Examples are bounded (``FUZZ_EXAMPLES`` per property) so the module stays a few seconds.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.emu import World, start_world
from escalations.app.workflow.afterwards import GRACE_SECONDS
from escalations.app.workflow.service import SETTLE_SECONDS

FUZZ_EXAMPLES = 200
ROUTES = (
    "/api/v1/topics",
    "/api/v1/escalations",
    "/api/v1/escalations/{id}",
    "/api/v1/actions/claim",
    "/api/v1/actions/assign",
    "/api/v1/actions/release",
    "/api/v1/actions/resolve",
    "/api/v1/dialogs/new",
)
ACTION_PREFIX = "/api/v1/actions/"
DIALOG_PATH = "/api/v1/dialogs/new"
TOPICS = ("licensing", "privacy-telemetry", "security-vulnerabilities", "no-such-topic", "")
METHODS = ("GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS", "get", "TRACE")
CONTENT_TYPES = (
    None,
    "application/json",
    "application/json; charset=utf-8",
    "APPLICATION/JSON",
    "text/plain",
    "application/x-www-form-urlencoded",
    "",
)
# Printable text without surrogates: what can travel in a gRPC string (header values, commands).
SAFE_TEXT = st.text(st.characters(blacklist_categories=("Cs", "Cc")), max_size=40)

STATS: dict[str, int] = {}


@dataclass(frozen=True)
class Seeds:
    """Real ids the strategies mix in, so that fuzzing reaches past the first checks."""

    world: World
    post_ids: tuple[str, ...]
    escalation_ids: tuple[str, ...]
    escalation_post_ids: tuple[str, ...]
    user_ids: tuple[str, ...]
    usernames: tuple[str, ...]


@pytest.fixture(scope="module")
def seeds() -> Iterator[Seeds]:
    w = start_world()
    try:
        town_post = w.post("reach me at jane@example.com")
        secret_post = w.post("internal plans", channel=w.secret)
        spare = w.post("never escalated")
        esc = w.escalate(town_post.id, "licensing").json()
        other = w.escalate(town_post.id, "privacy-telemetry").json()
        users = (w.alice, w.mallory, w.people["jason.blais"], w.people["ian.tien"])
        yield Seeds(
            world=w,
            post_ids=(town_post.id, secret_post.id, spare.id, esc["escalation_post_id"]),
            escalation_ids=(esc["id"], other["id"]),
            escalation_post_ids=(esc["escalation_post_id"], other["escalation_post_id"]),
            user_ids=tuple(u.id for u in users),
            usernames=("jason.blais", "ian.tien", "mallory", "@Jason.Blais", ""),
        )
    finally:
        print(f"\nfuzz examples run: {STATS}")
        w.host.stop()


def _json_values() -> st.SearchStrategy[Any]:
    scalars = (
        st.none()
        | st.booleans()
        | st.integers()
        | st.floats(allow_nan=False, allow_infinity=False)
        | st.text(max_size=30)
        | st.text(st.characters(blacklist_categories=()), max_size=10)  # lone surrogates too
    )
    return st.recursive(
        scalars,
        lambda inner: (
            st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
        ),
        max_leaves=8,
    )


JSON_VALUES = _json_values()


def _bodies(s: Seeds) -> st.SearchStrategy[bytes]:
    """Raw bytes, arbitrary JSON, or objects with the fields the routes read (real or junk)."""
    ids = st.sampled_from(s.post_ids + s.escalation_ids + s.escalation_post_ids) | JSON_VALUES
    context = st.fixed_dictionaries(
        {},
        optional={
            "escalation_id": st.sampled_from(s.escalation_ids) | JSON_VALUES,
            "selected_option": st.sampled_from(s.usernames) | JSON_VALUES,
            "outcome": st.sampled_from(("responded", "no_response_needed", "x")) | JSON_VALUES,
            "action": st.sampled_from(("claim", "assign", "release", "resolve")),
        },
    )
    submission = st.fixed_dictionaries(
        {},
        optional={
            "topic": st.sampled_from(TOPICS) | JSON_VALUES,
            "note": st.text(max_size=30) | JSON_VALUES | st.just("n" * 1001),
        },
    )
    shaped = st.fixed_dictionaries(
        {},
        optional={
            "post_id": ids,
            "topic": st.sampled_from(TOPICS) | JSON_VALUES,
            "note": st.text(max_size=30) | JSON_VALUES | st.just("n" * 1001),
            "user_id": st.sampled_from(s.user_ids) | JSON_VALUES,
            "context": context | JSON_VALUES,
            "submission": submission | JSON_VALUES,
            "state": ids,
            "cancelled": JSON_VALUES,
        },
    )
    plausible = st.fixed_dictionaries(  # reaches creation (201) and duplicates (200)
        {"post_id": st.sampled_from(s.post_ids), "topic": st.sampled_from(TOPICS)},
        optional={"note": st.text(max_size=30)},
    )
    as_json = (shaped | plausible | JSON_VALUES).map(lambda v: json.dumps(v).encode())
    tricky = st.sampled_from(
        (b"", b"{", b"null", b'{"note": "\\ud800"}', b"[" * 5000, b"\xff\xfe{}", b"NaN")
    )
    return as_json | st.binary(max_size=64) | tricky


def _paths(s: Seeds) -> st.SearchStrategy[str]:
    segment = st.text(
        st.characters(whitelist_categories=("Ll", "Lu", "Nd"), whitelist_characters="-_.%~"),
        max_size=30,
    )
    esc_id = st.sampled_from(s.escalation_ids) | segment
    routed = st.tuples(st.sampled_from(ROUTES), esc_id).map(lambda t: t[0].replace("{id}", t[1]))
    query = st.sampled_from(("", "?x=1", "?id=a&id=b", "?"))
    odd = st.sampled_from(
        ("/", "/api/v1", "/api/v1/actions/", "/api/v1/escalations/", "/api/v1/topics/")
    )
    return st.tuples(routed | odd | segment.map(lambda p: "/" + p), query).map("".join)


@st.composite
def _requests(draw: st.DrawFn, s: Seeds) -> dict[str, Any]:
    headers: dict[str, str] = {}
    content_type = draw(st.sampled_from(CONTENT_TYPES))
    if content_type is not None:
        headers["Content-Type"] = content_type
    if draw(st.booleans()):  # a forged identity: the server must drop it
        headers["Mattermost-User-Id"] = draw(st.sampled_from(s.user_ids) | SAFE_TEXT)
    if draw(st.booleans()):
        headers[draw(st.sampled_from(("X-Requested-With", "Accept", "X-Custom")))] = draw(SAFE_TEXT)
    return {
        "method": draw(st.sampled_from(METHODS)),
        "path": draw(_paths(s)),
        "user_id": draw(st.none() | st.sampled_from(s.user_ids)),
        "body": draw(_bodies(s)),
        "headers": headers,
    }


def _state(w: World) -> tuple[dict[str, Any], int]:
    # The reminder scheduler's lease comes and goes with its ticks: not state a request changes.
    kv = {k: v for k, v in w.host.kv_dump().items() if not k.startswith("ce1:lease:")}
    return kv, len(w.host.posts())


def _check(s: Seeds, req: dict[str, Any]) -> None:
    w = s.world
    w.host.wait_quiet(QUIET)  # what an earlier request owed after answering is done
    before = _state(w)
    resp = w.host.http(req["method"], req["path"], req["user_id"], req["body"], req["headers"])
    shown = {**req, "body": req["body"][:300]}
    note = f"{shown!r} -> {resp.status} {resp.body[:300]!r}"
    path, method = req["path"].split("?")[0], req["method"].upper()
    assert resp.status < 500, note
    refused = resp.status >= 400 or method == "GET"
    if resp.status >= 400:
        body = json.loads(resp.body)
        assert isinstance(body, dict) and isinstance(body.get("error"), str), note
        assert body["error"], note
        if resp.status == 405:
            assert resp.header("Allow"), note
    if method == "POST" and (path.startswith(ACTION_PREFIX) or path == DIALOG_PATH):
        if path.removeprefix(ACTION_PREFIX) in ("claim", "assign", "release", "resolve") or (
            path == DIALOG_PATH
        ):
            assert resp.status == 200, note
            answer = json.loads(resp.body)
            assert isinstance(answer, dict), note
            # {} and {"update": ...} (the post's new look) are "done"; text alone is a refusal
            refused = bool(answer) and "update" not in answer
            if "update" in answer:  # a change: the check after its answer comes a second later
                w.host.wait_quiet(SETTLE_SECONDS + QUIET)
    if refused:
        w.host.wait_quiet(QUIET)  # nothing may follow a refusal either
        assert _state(w) == before, note
    STATS["http"] = STATS.get("http", 0) + 1
    STATS[f"status {resp.status}"] = STATS.get(f"status {resp.status}", 0) + 1


# A refusal submits no work; a success's work starts ``GRACE_SECONDS`` after its answer: a quiet
# a little longer than that suffices.
QUIET = GRACE_SECONDS + 0.05

FUZZ = settings(
    max_examples=FUZZ_EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@FUZZ
@given(data=st.data())
def test_any_request_is_answered_without_5xx(seeds: Seeds, data: st.DataObject) -> None:
    _check(seeds, data.draw(_requests(seeds)))


@FUZZ
@given(data=st.data())
def test_any_button_body_is_answered_with_200_json(seeds: Seeds, data: st.DataObject) -> None:
    """The button endpoints with a logged-in clicker, aimed at the real escalation posts."""
    action = data.draw(st.sampled_from(("claim", "assign", "release", "resolve")))
    req = {
        "method": "POST",
        "path": ACTION_PREFIX + action,
        "user_id": data.draw(st.sampled_from(seeds.user_ids)),
        "body": data.draw(_bodies(seeds)),
        "headers": {},
    }
    _check(seeds, req)


@FUZZ
@given(data=st.data())
def test_any_escalation_body_is_answered_without_5xx(seeds: Seeds, data: st.DataObject) -> None:
    req = {
        "method": "POST",
        "path": data.draw(st.sampled_from(("/api/v1/escalations", DIALOG_PATH))),
        "user_id": data.draw(st.sampled_from(seeds.user_ids)),
        "body": data.draw(_bodies(seeds)),
        "headers": {"Content-Type": "application/json"},
    }
    _check(seeds, req)


@FUZZ
@given(data=st.data())
def test_any_command_text_is_answered_ephemerally(seeds: Seeds, data: st.DataObject) -> None:
    w = seeds.world
    sub = data.draw(st.sampled_from(("", "list", "show", "policy", "new", "help", "LIST", "x")))
    args = data.draw(
        st.lists(
            st.sampled_from(seeds.escalation_ids + seeds.post_ids)
            | st.sampled_from(seeds.post_ids).map(lambda p: f"https://mm.example.com/t/pl/{p}")
            | SAFE_TEXT.filter(lambda t: t.strip() == t and " " not in t),
            max_size=3,
        )
    )
    user = data.draw(st.sampled_from((w.alice, w.mallory)))
    text = " ".join(["/escalation", sub, *args])
    before = _state(w)
    result = w.host.command(user.id, w.town.id, text)
    note = f"{text!r} -> {result.error} {result.response}"
    assert result.error is None, note
    assert result.response is not None, note
    assert result.response.get("response_type", "ephemeral") == "ephemeral", note
    assert _state(w) == before, note
    STATS["command"] = STATS.get("command", 0) + 1
