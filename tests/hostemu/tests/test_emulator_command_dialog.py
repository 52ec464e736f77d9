"""Host emulator: slash commands (docs/protocol.md §3.3), dialogs (§7.4), configuration changes."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from hostemu import Channel, Host, ScenarioError, User
from hostemu.testing import echo_host


@pytest.fixture(scope="module")
def host() -> Iterator[Host]:
    with echo_host() as h:
        yield h


@pytest.fixture(scope="module")
def alice(host: Host) -> User:
    return host.add_user("alice-cmd")


@pytest.fixture(scope="module")
def channel(host: Host, alice: User) -> Channel:
    team = host.add_team("cmd-team", members=[alice.id])
    return host.add_channel(team.id, "cmd", type="P", members=[alice.id])


def test_command_args_carry_only_the_hook_side_fields(
    host: Host, alice: User, channel: Channel
) -> None:
    result = host.command(alice.id, channel.id, "/echo hello world", root_id="")
    assert result.error is None and result.trigger_id
    args = json.loads(result.text)["args"]
    assert args == {
        "user_id": alice.id,
        "channel_id": channel.id,
        "team_id": channel.team_id,
        "trigger_id": result.trigger_id,
        "command": "/echo hello world",
        "site_url": "http://localhost:8065",
    }  # t, user_mention, channel_mention stay empty (§3.3)
    assert "type" not in (result.response or {})  # CommandResponse.type is ignored
    assert result.ephemeral is not None and result.ephemeral.message == result.text
    assert host.ephemerals(alice.id)[-1].id == result.ephemeral.id


def test_in_channel_response_becomes_a_post_by_the_user(
    host: Host, alice: User, channel: Channel
) -> None:
    result = host.command(alice.id, channel.id, "/echo shout")
    assert result.post is not None and result.post.user_id == alice.id
    assert host.posts(channel.id)[-1].id == result.post.id


def test_command_errors(host: Host, alice: User, channel: Channel) -> None:
    failed = host.command(alice.id, channel.id, "/echo fail").error
    assert failed is not None and (failed.id, failed.status_code) == ("fixture.command", 400)
    unknown = host.command(alice.id, channel.id, "/nothing").error
    assert unknown is not None and unknown.status_code == 404
    outsider = host.add_user("outsider-cmd")
    host.add_team_member(channel.team_id, outsider.id)
    denied = host.command(outsider.id, channel.id, "/echo hi").error
    assert denied is not None and denied.status_code == 403


def test_dialog_from_command_and_submission(host: Host, alice: User, channel: Channel) -> None:
    result = host.command(alice.id, channel.id, "/echo dialog")
    assert result.error is None and result.ephemeral is None  # empty response: nothing posted
    dialog = host.dialogs(alice.id)[-1]
    assert dialog.trigger_id == result.trigger_id and dialog.url.endswith("/dialog")
    assert dialog.dialog["callback_id"] == "cb" and dialog.dialog["elements"][0]["name"] == "field"
    ok = host.submit_dialog(alice.id, {"field": "fine"}, channel_id=channel.id)
    assert ok.sent and ok.status == 200 and ok.error is None and ok.errors == {}
    seen = json.loads(host.kv_get(f"dialog:{alice.id}") or b"{}")
    assert seen == {
        "type": "dialog_submission",
        "callback_id": "cb",
        "state": "s1",
        "user_id": alice.id,
        "channel_id": channel.id,
        "team_id": "",
        "submission": {"field": "fine"},
        "cancelled": False,
    }
    bad = host.submit_dialog(alice.id, {"field": "bad"})
    assert bad.errors == {"field": "bad value"}
    assert not host.submit_dialog(alice.id, {}, cancelled=True).sent  # notify_on_cancel unset


def test_dialog_from_button_and_cancel_notification(
    host: Host, alice: User, channel: Channel
) -> None:
    action = {
        "id": "d",
        "name": "Open",
        "integration": {"url": "/plugins/com.example.echo/action", "context": {"mode": "dialog"}},
    }
    post = host.add_post(channel.id, alice.id, "x", props={"attachments": [{"actions": [action]}]})
    click = host.click(post.id, "d", alice.id)
    assert click.ok and click.updated_post is None
    dialog = host.dialogs(alice.id)[-1]
    assert dialog.trigger_id == click.request["trigger_id"]
    cancelled = host.submit_dialog(alice.id, {"ignored": "x"}, dialog=dialog, cancelled=True)
    assert (
        cancelled.sent and cancelled.request["cancelled"] and cancelled.request["submission"] == {}
    )


def test_submit_without_dialog_is_a_scenario_error(host: Host) -> None:
    nobody = host.add_user("nobody-cmd")
    with pytest.raises(ScenarioError):
        host.submit_dialog(nobody.id, {})


def test_user_posts_reach_message_has_been_posted_without_props(
    host: Host, alice: User, channel: Channel
) -> None:
    post = host.add_post(channel.id, alice.id, "hello", props={"attachments": [{"text": "a"}]})
    seen = json.loads(host.kv_get(f"posted:{post.id}") or b"{}")
    assert seen["message"] == "hello" and seen["user_id"] == alice.id
    assert "props" not in seen  # the hook-side Post carries no props (§3.3)


def test_plugin_posts_reach_message_has_been_posted_too(host: Host, channel: Channel) -> None:
    created = host.http("POST", "/post", body={"channel_id": channel.id, "message": "bot says"})
    post_id = created.json()["post"]["id"]
    host.wait_idle()
    seen = json.loads(host.kv_get(f"posted:{post_id}") or b"{}")
    assert seen["message"] == "bot says" and host.user(seen["user_id"]).is_bot


def test_config_change_runs_the_hook_with_console_lowercased_keys(host: Host) -> None:
    assert host.set_plugin_config({"TeamName": "core", "ExcerptMaxChars": 500}) == ""
    event = host.ws_events("config")[-1]
    assert event.event == "custom_com.example.echo_config"
    assert event.payload == {"teamname": "core", "excerptmaxchars": 500.0}
    host.set_plugin_config({"TeamName": "core"}, as_console=False)
    assert host.ws_events("config")[-1].payload == {"TeamName": "core"}
