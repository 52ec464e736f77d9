"""The runtime's PluginAPI contract suite (posts, users, channels, teams, config, bots, errors)
against the real server.

``tests/runtime/test_api_contract.py`` runs against the host emulator and, when
``API_CONTRACT_TARGET=host:port`` is set, against a real ``PluginAPI``. Here that target is the one
the real server (through the bridge) gave the running plugin's Python process; the provisioned
team and three staff members are the contract's world (``API_CONTRACT_WORLD``). Channels the run
creates carry a random name prefix (``API_CONTRACT_PREFIX``) and are archived afterwards through
the REST API. Every difference from the emulator shows up as a failing ``[remote]`` case.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from typing import Any

from e2e.mmapi import PLUGIN_ID, REPO, Server, wait_for
from e2e.mmws import EventStream
from e2e.ops import plugin_api_target
from escalations.runtime.api import PluginAPIClient
from escalations.runtime.models import Channel, Post, WebsocketBroadcast


def _archive_channels(server: Server, prefix: str) -> None:
    admin = server.admin
    for private in (False, True):
        path = (
            f"/api/v4/teams/{server.team_id}/channels/private"
            if private
            else f"/api/v4/teams/{server.team_id}/channels"
        )
        for page in range(50):
            batch = admin.get(f"{path}?page={page}&per_page=200").ok(200) or []
            for channel in batch:
                if channel["name"].startswith(prefix) and not channel.get("delete_at"):
                    admin.request("DELETE", f"/api/v4/channels/{channel['id']}").ok(200)
            if len(batch) < 200:
                break


def test_api_contract_against_the_real_plugin_api(server: Server, plugin: Any) -> None:
    target = wait_for("the plugin's PluginAPI target", lambda: plugin_api_target(server), 30)
    staff = server.env["staff"][:3]
    world = {
        "team_id": server.team_id,
        "team_name": server.env["team"]["name"],
        "users": [server.user_id(name) for name in staff],
        "site_url": server.url,
        "token": server.env["admin"]["token"],
    }
    prefix = f"apic-{uuid.uuid4().hex[:6]}-"
    env = dict(
        os.environ,
        API_CONTRACT_TARGET=target,
        API_CONTRACT_WORLD=json.dumps(world),
        API_CONTRACT_PREFIX=prefix,
    )
    env.pop("MM_E2E", None)
    try:
        proc = subprocess.run(
            [
                sys.executable,
                "-m",
                "pytest",
                "-q",
                "-p",
                "no:cacheprovider",
                "-k",
                "remote",
                str(REPO / "tests" / "runtime" / "test_api_contract.py"),
            ],
            cwd=REPO,
            env=env,
            capture_output=True,
            text=True,
            timeout=900,
        )
    finally:
        _archive_channels(server, prefix)
    summary = proc.stdout[-8000:] + proc.stderr[-2000:]
    assert proc.returncode == 0, summary
    assert " passed" in proc.stdout and " failed" not in proc.stdout, summary


# --- what the emulator only records: WebSocket delivery ----------------------------------------
# The emulator keeps PublishWebSocketEvent calls and ephemeral posts as records; these checks pin
# down on the real server what the broadcast fields and SendEphemeralPost actually deliver.


def _api_and_channel(server: Server, prefix: str) -> tuple[Any, Any, str, str]:

    target = wait_for("the plugin's PluginAPI target", lambda: plugin_api_target(server), 30)
    api = PluginAPIClient.connect(target)
    a, b = (server.user_id(name) for name in server.env["staff"][:2])
    name = f"{prefix}{uuid.uuid4().hex[:8]}"
    channel = api.create_channel(
        Channel(team_id=server.team_id, type="P", name=name, display_name=name)
    )
    api.add_channel_member(channel.id, a)
    api.add_channel_member(channel.id, b)
    return api, channel, a, b


def test_websocket_broadcast_fields_and_ephemeral_delivery(server: Server, plugin: Any) -> None:

    prefix = f"apic-{uuid.uuid4().hex[:6]}-"
    api, channel, a, b = _api_and_channel(server, prefix)
    names = server.env["staff"][:2]
    streams = [EventStream(server.url, server.env["users"][n]["token"]) for n in names]
    try:
        for stream in streams:
            stream.wait_for(lambda e: e.get("event") == "hello")
        api.publish_websocket_event("apic_user", {"n": 1}, WebsocketBroadcast(user_id=a))
        api.publish_websocket_event(
            "apic_omit", {"n": 2}, WebsocketBroadcast(channel_id=channel.id, omit_users=(b,))
        )
        api.publish_websocket_event(
            "apic_chan", {"n": 3}, WebsocketBroadcast(channel_id=channel.id)
        )
        sent = api.send_ephemeral_post(
            a, Post(channel_id=channel.id, user_id=b, message=f"{prefix}only a")
        )
        api.publish_websocket_event("apic_marker", {}, WebsocketBroadcast(channel_id=channel.id))

        def custom(event: str) -> str:
            return f"custom_{PLUGIN_ID}_{event}"

        for stream in streams:
            stream.wait_for(lambda e: e.get("event") == custom("apic_marker"))
        seen = [[e.get("event") for e in s.events] for s in streams]
        assert custom("apic_user") in seen[0] and custom("apic_user") not in seen[1]
        assert custom("apic_omit") in seen[0] and custom("apic_omit") not in seen[1]
        assert custom("apic_chan") in seen[0] and custom("apic_chan") in seen[1]
        ephemeral = streams[0].wait_for(lambda e: e.get("event") == "ephemeral_message")
        delivered = json.loads(ephemeral["data"]["post"])
        assert delivered["id"] == sent.id and delivered["type"] == "system_ephemeral"
        assert "ephemeral_message" not in seen[1]
        # Payload numbers travel as JSON numbers; the event name is custom_<plugin id>_<event>.
        chan = streams[1].wait_for(lambda e: e.get("event") == custom("apic_chan"))
        assert chan["data"] == {"n": 3} and chan["broadcast"]["channel_id"] == channel.id
    finally:
        for stream in streams:
            stream.close()
        api.close()
        _archive_channels(server, prefix)


def test_rest_config_patch_keeps_plugin_key_case(server: Server, plugin: Any) -> None:
    """``PUT /api/v4/config/patch`` stores plugin setting keys as sent (only the System Console
    lower-cases them, client-side); the plugin's GetPluginConfig sees them as stored and
    LoadPluginConfiguration lower-cases them."""

    admin = server.admin
    original = dict(admin.get("/api/v4/config").ok(200)["PluginSettings"]["Plugins"][PLUGIN_ID])
    target = wait_for("the plugin's PluginAPI target", lambda: plugin_api_target(server), 30)
    api = PluginAPIClient.connect(target)
    probe = {**original, "ApiContractProbe": "x"}
    try:
        admin.put("/api/v4/config/patch", {"PluginSettings": {"Plugins": {PLUGIN_ID: probe}}}).ok(
            200
        )
        stored = admin.get("/api/v4/config").ok(200)["PluginSettings"]["Plugins"][PLUGIN_ID]
        assert stored.get("ApiContractProbe") == "x" and "apicontractprobe" not in stored
        got = wait_for(
            "the new plugin config",
            lambda: (c := api.get_plugin_config()).get("ApiContractProbe") and c,
            15,
        )
        assert "apicontractprobe" not in got
        assert api.load_plugin_configuration().get("apicontractprobe") == "x"
    finally:
        admin.put("/api/v4/config/patch", {"PluginSettings": {"Plugins": {PLUGIN_ID: original}}})
        api.close()


def test_public_channel_non_members_cannot_press_or_run_commands(
    server: Server, plugin: Any
) -> None:
    """The REST checks the emulator's drive helpers copy: a team member outside a public channel
    gets 403 for a button press (read_channel_content) and a slash command (create_post); a
    press whose plugin route answers 404 is still 200 (the integration's status is not checked)."""
    prefix = f"apic-{uuid.uuid4().hex[:6]}-"
    api, channel, member, _ = _api_and_channel(server, prefix)
    channel = api.create_channel(
        Channel(team_id=server.team_id, type="O", name=f"{prefix}open", display_name=prefix)
    )
    api.add_channel_member(channel.id, member)
    member_name, outsider_name = server.env["staff"][0], server.env["staff"][2]
    action = {
        "id": "probe",
        "name": "Probe",
        "type": "button",
        "integration": {"url": f"/plugins/{PLUGIN_ID}/api/v1/no-such-route", "context": {}},
    }
    post = api.create_post(
        Post(
            channel_id=channel.id,
            user_id=member,
            message="probe",
            props={"attachments": [{"text": "probe", "actions": [action]}]},
        )
    )
    try:
        outsider = server.client(outsider_name)
        pressed = outsider.press(post.id, "probe")
        assert pressed.status == 403, pressed.body
        assert pressed.body["id"] == "api.context.permissions.app_error"
        assert "read_channel_content" in pressed.body["detailed_error"]
        ran = outsider.command(channel.id, "/escalation help", server.team_id)
        assert ran.status == 403, ran.body
        assert "create_post" in ran.body["detailed_error"]
        assert server.client(member_name).press(post.id, "probe").ok(200)["status"] == "OK"
    finally:
        api.delete_post(post.id)
        api.close()
        _archive_channels(server, prefix)
