"""Statistics and the export through the real process boundary (host emulator): the figures
after escalations, claims and resolves; who may see them; CSV and JSON as an admin downloads
them; formula injection in the stored text."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import Any

import pytest

from app.emu import World, start_world


@pytest.fixture(scope="module")
def world() -> Iterator[World]:
    w = start_world()
    try:
        yield w
    finally:
        w.host.stop()


@pytest.fixture(scope="module")
def handled(world: World) -> dict[str, Any]:
    """Three licensing escalations (one claimed then resolved, one resolved with no response
    needed, one left open) and one GDPR escalation with a note a spreadsheet could run."""
    ian, jason = world.uid("ian.tien"), world.uid("jason.blais")
    first = world.escalate(world.post("=HYPERLINK(1)").id, "licensing").json()
    assert world.click(first, "claim", ian).ok
    world.host.http(
        "POST", "/api/v1/dialogs/resolve", user_id=ian,
        body={"state": first["id"], "submission": {"response": "@everyone -see forum"}},
    )  # fmt: skip
    second = world.escalate(world.post().id, "licensing").json()
    assert world.click(second, "resolvenoresponse", jason).ok
    third = world.escalate(world.post().id, "licensing").json()
    gdpr = world.escalate(world.post().id, "product-gdpr", note="+1 from me").json()
    return {"first": first, "second": second, "third": third, "gdpr": gdpr}


def topic(stats: dict[str, Any], key: str) -> dict[str, Any]:
    found: list[dict[str, Any]] = [t for t in stats["topics"] if t["topic"] == key]
    [one] = found
    return one


def test_stats_json_counts_what_happened(world: World, handled: dict[str, Any]) -> None:
    resp = world.host.http("GET", "/api/v1/stats?days=7", user_id=world.admin.id)
    assert resp.status == 200, resp.text
    stats = resp.json()
    assert stats["days"] == 7 and stats["escalations"] == 4 and stats["open"] == 2
    licensing = topic(stats, "licensing")
    assert licensing["escalations"] == 3 and licensing["open"] == 1
    assert licensing["outcomes"] == {"responded": 1, "no_response_needed": 1}
    assert licensing["time_to_acknowledge"]["count"] == 2
    assert licensing["time_to_resolve"]["count"] == 2
    assert licensing["time_to_resolve"]["p90_ms"] >= licensing["time_to_resolve"]["p50_ms"] >= 0
    gdpr = topic(stats, "product-gdpr")
    assert gdpr["escalations"] == 1 and gdpr["time_to_acknowledge"]["p50_ms"] is None
    quiet = [t for t in stats["topics"] if t["escalations"] == 0]
    assert quiet and all(t["open"] == 0 for t in quiet)
    # Every template of the bundled policy is still to be written.
    assert set(stats["topics_without_template"]) == {t["topic"] for t in stats["topics"]}


def test_stats_command_for_the_escalations_channel(world: World, handled: dict[str, Any]) -> None:
    ian = world.uid("ian.tien")
    text = world.host.command(ian, world.channel.id, "/escalation stats 7").text
    assert "**Escalations of the last 7 days: 4** (2 open)" in text
    [line] = [ln for ln in text.splitlines() if ln.startswith("| Licensing |")]
    assert line.startswith("| Licensing | 3 | 1 | 1 | 1 |") and "**none yet**" in line
    assert "Topics without a template response:" in text
    bad = world.host.command(ian, world.channel.id, "/escalation stats 0").text
    assert bad.startswith("Usage: `/escalation stats [days]`")


def test_stats_are_refused_outside_the_channel(world: World, handled: dict[str, Any]) -> None:
    stranger = world.host.add_user("stranger").id
    for user in (world.alice.id, stranger):
        resp = world.host.http("GET", "/api/v1/stats", user_id=user)
        assert resp.status == 403 and set(resp.json()) == {"error"}
    # The allow-list's members of the channel see them (they read escalations too).
    assert world.host.http("GET", "/api/v1/stats", user_id=world.mallory.id).status == 200
    text = world.host.command(world.alice.id, world.town.id, "/escalation stats").text
    assert text.startswith("Only system admins and the escalations channel's members")
    assert world.host.http("GET", "/api/v1/stats").status == 401
    bad = world.host.http("GET", "/api/v1/stats?days=x", user_id=world.admin.id)
    assert bad.status == 400 and "days" in bad.json()["error"]


def test_export_csv_is_every_record_with_guarded_cells(
    world: World, handled: dict[str, Any]
) -> None:
    resp = world.host.http("GET", "/api/v1/export?format=csv", user_id=world.admin.id)
    assert resp.status == 200, resp.text
    assert resp.header("Content-Type") == "text/csv; charset=utf-8"
    assert "attachment" in (resp.header("Content-Disposition") or "")
    rows = list(csv.DictReader(io.StringIO(resp.text)))
    by_id = {r["id"]: r for r in rows}
    assert set(by_id) >= {h["id"] for h in handled.values()}
    first = by_id[handled["first"]["id"]]
    assert first["state"] == "resolved" and first["outcome"] == "responded"
    assert first["response"] == "'@everyone -see forum"  # a formula would start with @
    assert first["excerpt"].startswith("'=")
    assert first["acknowledged_at"] and first["resolved_at"]
    assert [ln.split(" ")[1] for ln in first["events"].splitlines()] == [
        "escalated", "took_over", "resolved",
    ]  # fmt: skip
    assert by_id[handled["gdpr"]["id"]]["note"] == "'+1 from me"
    assert by_id[handled["third"]["id"]]["acknowledged_at"] == ""


def test_export_json_has_the_event_logs(world: World, handled: dict[str, Any]) -> None:
    resp = world.host.http("GET", "/api/v1/export?format=json", user_id=world.admin.id)
    assert resp.status == 200, resp.text
    data = resp.json()
    assert data["next_cursor"] is None and data["count"] == len(data["escalations"])
    [first] = [e for e in data["escalations"] if e["id"] == handled["first"]["id"]]
    assert [e["what"] for e in first["events"]] == ["escalated", "took_over", "resolved"]
    assert first["response"] == "@everyone -see forum"  # JSON keeps the text as stored
    assert first["acknowledged_at"] <= first["resolved_at"]


def test_export_is_for_system_admins_only(world: World, handled: dict[str, Any]) -> None:
    for user in (world.alice.id, world.uid("ian.tien"), world.mallory.id):
        for fmt in ("csv", "json"):
            resp = world.host.http("GET", f"/api/v1/export?format={fmt}", user_id=user)
            assert resp.status == 403, resp.text
            assert set(resp.json()) == {"error"} and handled["first"]["id"] not in resp.text
    text = world.host.command(world.uid("ian.tien"), world.channel.id, "/escalation export").text
    assert text == "Only system admins can do that."
    assert world.host.http("GET", "/api/v1/export").status == 401


def test_export_command_links_and_bad_ranges(world: World, handled: dict[str, Any]) -> None:
    text = world.host.command(world.admin.id, world.town.id, "/escalation export 7").text
    assert "/api/v1/export?format=csv&from=" in text and "format=json" in text
    for query in ("format=xml", "from=2026-13-01", "from=2026-02-01&to=2026-01-01",
                  "cursor=nonsense", "from=2000-01-01&to=2030-01-01"):  # fmt: skip
        resp = world.host.http("GET", f"/api/v1/export?{query}", user_id=world.admin.id)
        assert resp.status == 400, (query, resp.text)
