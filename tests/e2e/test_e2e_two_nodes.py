"""Two Mattermost servers on one PostgreSQL (no cluster licence): they share the plugin's
key-value store and nothing else. The plugin runs on both; it is activated on both at the same
moment, and escalations and claims go through both at once: one escalations channel, one post per
escalation, one owner.

The second server is started by ``scripts/mattermost-server start-second`` (same database and file
store, its own port, config and plugin directory) for this module and stopped after it.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from concurrent import futures
from typing import Any

import pytest

from e2e.flows import SETTLE_SECONDS, TOPIC, escalator, responders
from e2e.mmapi import PLUGIN_ID, Reply, Server, wait_for
from e2e.ops import (
    CHANNEL_NAME,
    TEAM_NAME,
    community_post,
    configure_plugin,
    plugin_status,
    wait_running,
)
from escalations.app.views.render import ESCALATION_PROP

ESCALATIONS = 12


@pytest.fixture(scope="module")
def nodes(server: Server, plugin: Any) -> Iterator[tuple[Server, Server]]:
    """(first, second): the suite's server and a second one on its database, plugin installed."""
    t0 = time.monotonic()
    server.manage("start-second")
    second = Server({**Server.load().env, "site_url": Server.load().env["second"]["site_url"]})
    print(f"second server started in {time.monotonic() - t0:.1f} s")
    try:
        # No upload here: at its start the second server installed the bundle the first one
        # keeps in the shared file store. Its settings are its own (config.json per node).
        configure_plugin(
            second.admin,
            {"TeamName": TEAM_NAME, "ChannelName": CHANNEL_NAME, "EscalationsPerHour": 0},
        )
        yield server, second
    finally:
        server.manage("stop-second")


def _at_once(*calls: Callable[[], Reply]) -> list[Reply]:
    barrier = threading.Barrier(len(calls))

    def run(call: Callable[[], Reply]) -> Reply:
        barrier.wait()
        return call()

    with futures.ThreadPoolExecutor(len(calls)) as pool:
        return list(pool.map(run, calls))


def _disable(node: Server) -> None:
    node.admin.post(f"/api/v4/plugins/{PLUGIN_ID}/disable").ok(200)
    wait_for("the plugin to stop", lambda: (plugin_status(node.admin) or {}).get("state") == 0, 60)


@pytest.mark.timeout(300)  # includes the second server's start (module fixture)
def test_activation_at_once_on_both_nodes(nodes: tuple[Server, Server]) -> None:
    first, _ = nodes
    for node in nodes:
        _disable(node)
    enabled = _at_once(
        *(lambda n=n: n.admin.post(f"/api/v4/plugins/{PLUGIN_ID}/enable") for n in nodes)
    )
    assert [r.status for r in enabled] == [200, 200], enabled
    for node in nodes:
        wait_running(node)
    named = [
        c
        for c in first.admin.get(f"/api/v4/teams/{first.team_id}/channels/private?per_page=200").ok(
            200
        )
        if c["name"].startswith(CHANNEL_NAME)
    ]
    assert [c["name"] for c in named] == [CHANNEL_NAME], named
    bots = first.admin.get("/api/v4/bots?include_deleted=true&per_page=200").ok(200)
    assert len([b for b in bots if b["username"] == "community-escalations"]) == 1


def test_escalations_and_claims_through_both_nodes_at_once(
    nodes: tuple[Server, Server], policy: Any
) -> None:
    first, _ = nodes
    who = escalator(first, policy)
    sources = [community_post(first, f"two nodes question {i}") for i in range(ESCALATIONS)]
    made: list[dict[str, Any]] = []
    for source in sources:
        replies = _at_once(
            *(lambda n=n, s=source: n.client(who).escalate(s["id"], TOPIC) for n in nodes)
        )
        assert sorted(r.status for r in replies) == [200, 201], replies
        created = [r.body for r in replies if r.status == 201]
        assert len(created) == 1
        made.append(dict(created[0]))

    channel = first.admin.get(f"/api/v4/teams/{first.team_id}/channels/name/{CHANNEL_NAME}").ok(200)
    posts = first.admin.channel_posts(channel["id"])
    for esc in made:
        roots = [
            p["id"]
            for p in posts
            if not p.get("root_id") and (p.get("props") or {}).get(ESCALATION_PROP) == esc["id"]
        ]
        assert roots == [esc["escalation_post_id"]], (esc["id"], roots)

    people = responders(policy)
    for esc in made[:4]:
        presses = _at_once(
            *(
                lambda n=n, u=u, e=esc: n.client(u).press(e["escalation_post_id"], "claim")
                for u in people
                for n in nodes
            )
        )
        # a press after the claim landed finds no Claim button on the edited post: 404
        late = "api.post.do_action.action_id.app_error"
        refused = [p for p in presses if p.status != 200 and (p.body or {}).get("id") != late]
        assert not refused and any(p.status == 200 for p in presses), refused
        owners = {n.client(people[0]).escalation(esc["id"]).ok(200)["owner"] for n in nodes}
        assert len(owners) == 1 and owners <= set(people), owners
        # the winner's reply follows its answer; a moment more, so that a second would show
        post_id = esc["escalation_post_id"]
        wait_for("the claim's reply", lambda: first.admin.thread(post_id)[1:], 30)  # noqa: B023
        time.sleep(SETTLE_SECONDS)
        thread = first.admin.thread(post_id)[1:]
        assert len(thread) == 1, [p["message"] for p in thread]  # one claim won
