"""Statistics and the export on the real server: the figures move as escalations are claimed and
resolved; the export's CSV and JSON hold them with their logs; the link ``/escalation export``
gives works with a browser's session cookie; anyone but a system admin gets 403 and no data."""

from __future__ import annotations

import csv
import io
import json
import time
import urllib.error
import urllib.request
from typing import Any

from e2e.flows import Made, make, responders
from e2e.mmapi import PLUGIN_ROUTE, Client, Server
from e2e.ops import CHANNEL_NAME

TOPIC = "packaging"


def stats(client: Client, days: int = 1) -> dict[str, Any]:
    return dict(client.get(f"{PLUGIN_ROUTE}/stats?days={days}").ok(200))


def topic_figures(figures: dict[str, Any]) -> dict[str, Any]:
    [found] = [t for t in figures["topics"] if t["topic"] == TOPIC]
    return dict(found)


def today() -> str:
    return time.strftime("%Y-%m-%d", time.gmtime())


def escalations_channel(server: Server) -> str:
    reply = server.admin.get(f"/api/v4/teams/{server.team_id}/channels/name/{CHANNEL_NAME}")
    return str(reply.ok(200)["id"])


def handle_three(server: Server, policy: Any) -> list[Made]:
    """Three escalations of TOPIC: one claimed and resolved (no response needed), one claimed,
    one left alone; the note of the first is a would-be formula."""
    owner = responders(policy, TOPIC)[0]
    made = [make(server, policy, TOPIC, note="=1+2" if n == 0 else None) for n in range(3)]
    for m in made[:2]:
        assert server.client(owner).press(m.post_id, "claim").status == 200
    assert server.client(owner).press(made[0].post_id, "resolvenoresponse").status == 200
    return made


def test_stats_follow_claims_and_resolves(server: Server, plugin: Any, policy: Any) -> None:
    owner = responders(policy, TOPIC)[0]
    before = topic_figures(stats(server.client(owner)))
    handle_three(server, policy)
    after = topic_figures(stats(server.client(owner)))
    assert after["escalations"] - before["escalations"] == 3
    assert after["open"] - before["open"] == 2
    gained = after["outcomes"]["no_response_needed"] - before["outcomes"]["no_response_needed"]
    assert gained == 1
    assert after["time_to_acknowledge"]["count"] - before["time_to_acknowledge"]["count"] == 2
    assert after["time_to_resolve"]["count"] - before["time_to_resolve"]["count"] == 1
    assert after["time_to_resolve"]["p50_ms"] >= 0 and after["has_template"] is False

    text = server.client(owner).command(escalations_channel(server), "/escalation stats 1")
    table = str(text.ok(200)["text"])
    assert "**Escalations of the last 1 days:" in table
    [line] = [ln for ln in table.splitlines() if ln.startswith("| Packaging |")]
    assert line.startswith(f"| Packaging | {after['escalations']} | {after['open']} |")


def test_stats_are_refused_to_the_community(server: Server, plugin: Any) -> None:
    member = server.client(server.env["community"][0])
    reply = member.get(f"{PLUGIN_ROUTE}/stats")
    assert reply.status == 403 and set(reply.body) == {"error"}


def test_export_csv_and_json_for_admins_only(server: Server, plugin: Any, policy: Any) -> None:
    made = handle_three(server, policy)
    ids = {m.id for m in made}
    query = f"from={today()}&to={today()}"
    reply = server.admin.get(f"{PLUGIN_ROUTE}/export?format=csv&{query}")
    assert reply.status == 200 and reply.headers.get("Content-Type", "").startswith("text/csv")
    rows = {r["id"]: r for r in csv.DictReader(io.StringIO(reply.body))}
    assert ids <= set(rows)
    first = rows[made[0].id]
    assert (first["state"], first["outcome"], first["note"]) == (
        "resolved", "no_response_needed", "'=1+2",
    )  # fmt: skip
    assert [ln.split(" ")[1] for ln in first["events"].splitlines()][-1] == "resolved"
    assert first["acknowledged_at"] <= first["resolved_at"]

    data = server.admin.get(f"{PLUGIN_ROUTE}/export?format=json&{query}").ok(200)
    exported = {e["id"]: e for e in data["escalations"]}
    assert ids <= set(exported) and data["next_cursor"] is None
    assert exported[made[0].id]["note"] == "=1+2"  # as stored; JSON needs no guard
    assert [e["what"] for e in exported[made[1].id]["events"]][0] == "escalated"

    owner = responders(policy, TOPIC)[0]
    for who in (owner, server.env["community"][0]):
        for fmt in ("csv", "json"):
            refused = server.client(who).get(f"{PLUGIN_ROUTE}/export?format={fmt}&{query}")
            assert refused.status == 403 and set(refused.body) == {"error"}, refused


def test_the_export_link_works_in_a_browser_session(server: Server, plugin: Any) -> None:
    """What ``/escalation export`` answers, opened as a browser opens a link: a GET with the
    session cookie only (no token header, no X-Requested-With)."""
    channel = escalations_channel(server)
    answer = str(server.admin.command(channel, "/escalation export 1").ok(200)["text"])
    [link] = [part.split("](")[1].rstrip(")") for part in answer.split() if "format=csv" in part]
    assert link.startswith(f"{server.url}/plugins/") and f"to={today()}" in link
    admin_token = server.env["admin"]["token"]
    status, body = _browser_get(link, admin_token)
    assert status == 200 and body.startswith(b"id,ref,topic,")
    someone = server.env["users"][server.env["community"][0]]["token"]
    status, body = _browser_get(link, someone)
    assert status == 403 and set(json.loads(body)) == {"error"}
    member = server.client(server.env["community"][0])
    refused = member.command(server.channel_id("public"), "/escalation export")
    assert refused.ok(200)["text"] == "Only system admins can do that."


def _browser_get(url: str, session_token: str) -> tuple[int, bytes]:
    request = urllib.request.Request(url, headers={"Cookie": f"MMAUTHTOKEN={session_token}"})
    try:
        with urllib.request.urlopen(request, timeout=60) as resp:
            return resp.status, resp.read()
    except urllib.error.HTTPError as err:
        return err.code, err.read()
