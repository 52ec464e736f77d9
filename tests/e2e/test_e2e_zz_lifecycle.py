"""Disable/re-enable the plugin, kill its Python process, restart the server: state survives,
nothing is duplicated.

Runs last (file name) because it stops the plugin and the server. After each disruption: the
escalation reads back unchanged, escalating the same post again returns it (no second record, no
second post), the escalations channel and the bot are the same, and the buttons still work.
"""

from __future__ import annotations

import os
import signal
from typing import Any

from e2e.flows import TOPIC, Made, escalator, make, replies_once, responders, state
from e2e.mmapi import Server, wait_for
from e2e.ops import CHANNEL_NAME, disable_plugin, enable_plugin, plugin_python_pid, wait_running


def snapshot(server: Server, policy: Any, made: Made) -> dict[str, Any]:
    channel = server.admin.get(f"/api/v4/teams/{server.team_id}/channels/name/{CHANNEL_NAME}").ok(
        200
    )
    post = server.admin.get_post(made.post_id).ok(200)
    esc = state(server.client(responders(policy)[0]), made.id)
    return {
        "channel_id": channel["id"],
        "messages": server.admin.message_count(channel["id"]),
        "bot": post["user_id"],
        "state": esc["state"],
        "owner": esc["owner"],
        "escalation_post_id": esc["escalation_post_id"],
    }


def assert_survived(server: Server, policy: Any, made: Made, before: dict[str, Any]) -> None:
    assert snapshot(server, policy, made) == before
    again = server.client(escalator(server, policy)).escalate(made.source_post["id"], TOPIC)
    assert again.status == 200 and again.body["id"] == made.id
    assert snapshot(server, policy, made) == before, "re-escalating duplicated something"


def test_disable_and_enable_keep_state(server: Server, plugin: Any, policy: Any) -> None:
    made = make(server, policy)
    owner = responders(policy)[1]
    assert server.client(owner).press(made.post_id, "claim").status == 200
    replies_once(server, made, 1)  # the claim's thread reply follows its answer
    before = snapshot(server, policy, made)
    assert (before["state"], before["owner"]) == ("claimed", owner)

    disable_plugin(server)
    assert server.client(owner).escalation(made.id).status == 404
    enable_plugin(server)

    assert_survived(server, policy, made, before)
    assert server.client(owner).press(made.post_id, "release").status == 200
    assert state(server.client(owner), made.id)["state"] == "open"


def test_a_killed_python_backend_comes_back_with_its_state(
    server: Server, plugin: Any, policy: Any
) -> None:
    """The Python process dies (SIGKILL, as the OOM killer would): the plugin recovers by itself
    (bridge back-off restart or the server's plugin health check) and keeps its state."""
    made = make(server, policy)
    owner = responders(policy)[2]
    assert server.client(owner).press(made.post_id, "claim").status == 200
    replies_once(server, made, 1)  # the claim's thread reply follows its answer
    before = snapshot(server, policy, made)
    pid = plugin_python_pid(server)
    assert pid is not None, "no Python process found in the plugin directory"
    os.kill(pid, signal.SIGKILL)  # a child of this suite's own server

    def recovered() -> bool:
        new = plugin_python_pid(server)
        if new is None or new == pid:
            return False
        return server.client(owner).escalation(made.id).status == 200

    wait_for("the plugin to recover", recovered, 90)
    assert_survived(server, policy, made, before)
    assert server.client(owner).press(made.post_id, "release").status == 200


def test_server_restart_keeps_state(server: Server, plugin: Any, policy: Any) -> None:
    made = make(server, policy)
    owner = responders(policy)[0]
    assert server.client(owner).press(made.post_id, "claim").status == 200
    replies_once(server, made, 1)  # the claim's thread reply follows its answer
    before = snapshot(server, policy, made)

    server.manage("restart")
    wait_for("the server after restart", server.healthy, 240)
    wait_running(server, timeout=180)

    assert_survived(server, policy, made, before)
    assert server.client(owner).press(made.post_id, "resolvenoresponse").status == 200
    assert state(server.client(owner), made.id)["state"] == "resolved"
