"""The whole flow in a real browser on this server: Escalate, then Claim, Assign and Resolve.

This suite starts and provisions the server and installs the plugin; the browser part is the
webapp's ``test/browser/flow.live.test.ts`` (Chromium on the real-server host page, once per host of
``webapp/test/browser/hosts.ts``), run here with the scenario in ``CE_LIVE``: one fresh community
message per host, the page's user (a responder of the topic who is not its default owner) and the
responder to assign. Afterwards the server's own records must say what the browser saw.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import time
import uuid
from typing import Any

import pytest

from e2e.flows import TOPIC, responders
from e2e.mmapi import REPO, Server, wait_for
from e2e.ops import CHANNEL_NAME, TEAM_NAME, community_post

WEBAPP = REPO / "webapp"
HOSTS_TS = WEBAPP / "test" / "browser" / "hosts.ts"
TIMEOUT_S = 600


def host_names() -> list[str]:
    """The hosts the browser suite runs on, by name, as ``hosts.ts`` lists them."""
    names = re.findall(r"^\s+name: '([a-z0-9-]+)',$", HOSTS_TS.read_text(), re.MULTILINE)
    assert len(names) >= 2, f"no hosts found in {HOSTS_TS}"
    return names


def _scenario(server: Server, policy: Any) -> dict[str, Any]:
    default_owner, user, assignee = responders(policy)[:3]
    title = next(t.title for t in policy.topics if t.key == TOPIC)
    runs = []
    for host in host_names():
        tag = uuid.uuid4().hex[:6]
        source = community_post(
            server, f"Question {tag}: what does the server send home, and can we switch it off?"
        )
        runs.append(
            {
                "host": host,
                "source_post_id": source["id"],
                "topic_title": title,
                "note": f"Asked twice on the forum ({tag}).",
                "user": user,
                "default_owner": default_owner,
                "assignee": assignee,
            }
        )
    return {
        "site_url": server.url,
        # the page logs in with the password scripts/mattermost-server gave every account
        "password": server.env["users"][user]["password"],
        "team": TEAM_NAME,
        "channels": {
            "community": server.env["channels"]["public"]["name"],
            "escalations": CHANNEL_NAME,
        },
        "runs": runs,
    }


def _escalation_of(server: Server, channel_id: str, source_post_id: str) -> dict[str, Any]:
    """The record of the escalation whose post links ``source_post_id``, read through the API."""
    for post in server.admin.channel_posts(channel_id):
        esc_id = (post.get("props") or {}).get("community_escalation_id")
        if esc_id and source_post_id in post["message"]:
            return dict(server.admin.escalation(esc_id).ok(200))
    raise AssertionError(f"no escalation post links {source_post_id}")


@pytest.mark.timeout(TIMEOUT_S + 60)
def test_the_whole_flow_in_a_real_browser(server: Server, plugin: Any, policy: Any) -> None:
    scenario = _scenario(server, policy)
    env = {**os.environ, "CE_LIVE": json.dumps(scenario)}
    started = time.monotonic()
    proc = subprocess.run(
        ["npm", "run", "--silent", "test:live"],
        cwd=WEBAPP,
        env=env,
        capture_output=True,
        text=True,
        timeout=TIMEOUT_S,
    )
    took = time.monotonic() - started
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, f"the browser flow failed ({took:.0f} s):\n{output[-6000:]}"
    print(f"browser flow on {len(scenario['runs'])} hosts: {took:.1f} s")

    path = f"/api/v4/teams/{server.team_id}/channels/name/{CHANNEL_NAME}"
    channel = server.admin.get(path).ok(200)
    for run in scenario["runs"]:
        esc = _escalation_of(server, channel["id"], run["source_post_id"])
        assert (esc["state"], esc["outcome"], esc["owner"]) == (
            "resolved",
            "no_response_needed",
            run["assignee"],
        ), esc
        post_id = esc["escalation_post_id"]

        def replies_under(post_id: str = post_id) -> list[str]:
            return [p["message"] for p in server.admin.thread(post_id) if p["id"] != post_id]

        # the last press's reply follows its answer
        wait_for("three thread replies", lambda: len(replies_under()) >= 3, 30)  # noqa: B023
        replies = replies_under()
        who = run["user"]
        assert [r.split(" this escalation")[0] for r in replies] == [
            f"`@{who}` took over",
            f"`@{who}` assigned",
            f"`@{who}` resolved",
        ], replies
