"""Host emulator: the interactive-button round trip (docs/protocol.md §7)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest

from hostemu import Channel, Host, User
from hostemu.testing import echo_host

URL = "/plugins/com.example.echo/action"


@pytest.fixture(scope="module")
def host() -> Iterator[Host]:
    with echo_host() as h:
        yield h


@pytest.fixture(scope="module")
def people(host: Host) -> dict[str, User]:
    return {n: host.add_user(f"{n}-click") for n in ("alice", "bob", "eve")}


@pytest.fixture(scope="module")
def channel(host: Host, people: dict[str, User]) -> Channel:
    team = host.add_team("click-team", members=[u.id for u in people.values()])
    members = [people["alice"].id, people["bob"].id]
    return host.add_channel(team.id, "buttons", type="P", members=members)


def attachment(mode: str, **extra: Any) -> dict[str, Any]:
    action = {
        "id": "go",
        "name": "Go",
        "type": "button",
        "integration": {"url": URL, "context": {"mode": mode}},
        **extra,
    }
    return {"attachments": [{"text": "pick", "actions": [action]}]}


def bot_post(host: Host, channel: Channel, mode: str, **extra: Any) -> str:
    """A post with one button, created by the plugin through CreatePost."""
    resp = host.http(
        "POST",
        "/post",
        body={"channel_id": channel.id, "message": "question", "props": attachment(mode, **extra)},
    )
    created = resp.json()["post"]
    # CreatePost answers keep the props but not the actions' integration (verified on 11.4.0).
    action = created["props"]["attachments"][0]["actions"][0]
    assert "integration" not in action
    return str(created["id"])


def test_button_request_and_update(host: Host, channel: Channel, people: dict[str, User]) -> None:
    post_id = bot_post(host, channel, "update")
    stored = host.get_post(post_id)
    assert stored.props["from_bot"] == "true" and stored.action("go") is not None
    result = host.click(post_id, "go", people["alice"].id)
    assert result.ok and result.status == 200
    req = result.request
    assert req["user_id"] == people["alice"].id and req["user_name"] == "alice-click"
    assert (req["channel_name"], req["team_domain"]) == ("buttons", "click-team")
    assert req["context"] == {"mode": "update"} and req["trigger_id"] and req["type"] == "button"
    after = host.get_post(post_id)
    assert after.message == "clicked by alice-click"
    assert after.props == {"clicked": "alice-click"}  # non-null props replace wholesale
    assert after.edit_at > 0
    [eph] = host.ephemerals(people["alice"].id)[-1:]
    assert eph.message == "selected -" and eph.root_id == post_id and eph.channel_id == channel.id


def test_null_props_keep_the_original_props(
    host: Host, channel: Channel, people: dict[str, User]
) -> None:
    post_id = bot_post(host, channel, "keep_props")
    before = host.get_post(post_id)
    host.click(post_id, "go", people["bob"].id)
    after = host.get_post(post_id)
    assert after.props == before.props and after.message == "clicked by bob-click"


def test_retained_props_survive_a_props_replacement(
    host: Host, channel: Channel, people: dict[str, User]
) -> None:
    props = {**attachment("update"), "from_webhook": "true", "override_username": "hook"}
    post = host.add_post(channel.id, people["alice"].id, "hooked", props=props)
    host.click(post.id, "go", people["alice"].id)
    after = host.get_post(post.id).props
    assert after == {"clicked": "alice-click", "from_webhook": "true", "override_username": "hook"}


def test_menu_selection_goes_into_context(
    host: Host, channel: Channel, people: dict[str, User]
) -> None:
    post_id = bot_post(host, channel, "update", type="select")
    result = host.click(post_id, "go", people["bob"].id, selected_option="opt-2")
    assert result.request["context"]["selected_option"] == "opt-2"
    assert result.ephemeral is not None and result.ephemeral.message == "selected opt-2"


def test_only_the_last_chunk_survives_in_process(
    host: Host, channel: Channel, people: dict[str, User]
) -> None:
    post_id = bot_post(host, channel, "split")
    before = host.get_post(post_id)
    result = host.click(post_id, "go", people["alice"].id)
    assert result.error is not None
    assert result.error.id == "api.post.do_action.action_integration.app_error"
    assert host.get_post(post_id) == before


def test_empty_answer_means_no_change(
    host: Host, channel: Channel, people: dict[str, User]
) -> None:
    post_id = bot_post(host, channel, "empty")
    before = host.get_post(post_id)
    result = host.click(post_id, "go", people["alice"].id)
    assert result.ok and result.updated_post is None and result.ephemeral is None
    assert host.get_post(post_id) == before


def test_clicker_must_be_able_to_read_the_channel(
    host: Host, channel: Channel, people: dict[str, User]
) -> None:
    post_id = bot_post(host, channel, "update")
    result = host.click(post_id, "go", people["eve"].id)
    assert result.error is not None and result.error.status_code == 403
    assert host.get_post(post_id).message == "question"


def test_unknown_action_and_post(host: Host, channel: Channel, people: dict[str, User]) -> None:
    post_id = bot_post(host, channel, "update")
    missing_action = host.click(post_id, "nope", people["alice"].id).error
    assert missing_action is not None and missing_action.status_code == 404
    missing_post = host.click("x" * 26, "go", people["alice"].id).error
    assert missing_post is not None and missing_post.id == "app.post.get.app_error"


def test_twenty_concurrent_claims_have_exactly_one_winner(host: Host) -> None:
    users = [host.add_user(f"racer{i}") for i in range(20)]
    team = host.add_team("race-team", members=[u.id for u in users])
    channel = host.add_channel(team.id, "race", members=[u.id for u in users])
    post_id = bot_post(host, channel, "claim")
    barrier = threading.Barrier(len(users))
    results: dict[str, Any] = {}

    def clicker(user: User) -> None:
        barrier.wait()
        results[user.id] = host.click(post_id, "go", user.id)

    threads = [threading.Thread(target=clicker, args=(u,)) for u in users]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert len(results) == 20
    # A click that arrives after the winner's update removed the button is refused by the
    # server itself ("action not found"), as on a real server; every other loser is told.
    gone = {uid for uid, r in results.items() if r.error is not None}
    assert all(results[uid].error.id == "api.post.do_action.action_id.app_error" for uid in gone), {
        uid: results[uid].error for uid in gone
    }
    winners = [uid for uid, r in results.items() if r.updated_post is not None]
    assert len(winners) == 1
    winner = host.user(winners[0]).username
    assert host.get_post(post_id).message == f"claimed by {winner}"
    assert host.kv_get(f"claim:{post_id}") == winner.encode()
    told = [r.ephemeral.message for uid, r in results.items() if uid not in {winners[0], *gone}]
    assert told == [f"already claimed by {winner}"] * (19 - len(gone))


@pytest.mark.parametrize(
    ("url", "ok"),
    [
        ("plugins/com.example.echo/action", True),
        ("http://localhost:8065/plugins/com.example.echo/action", True),
        ("/plugins/com.example.echoes/action", False),
        ("/plugins/other/action", False),
    ],
)
def test_integration_urls_reach_only_this_plugin(
    host: Host, channel: Channel, people: dict[str, User], url: str, ok: bool
) -> None:
    action = {
        "id": "u",
        "name": "U",
        "integration": {"url": url, "context": {"mode": "keep_props"}},
    }
    post = host.add_post(
        channel.id, people["alice"].id, "x", props={"attachments": [{"actions": [action]}]}
    )
    result = host.click(post.id, "u", people["alice"].id)
    assert result.ok is ok
    if not ok:
        assert result.error is not None and result.error.status_code == 404


def test_public_channel_non_members_cannot_press_or_run_commands(
    host: Host, people: dict[str, User]
) -> None:
    """As on Mattermost 11.4.0 (tests/e2e/test_e2e_api_contract.py): a team member who is not in a
    *public* channel gets 403 for a press (read_channel_content) and a command (create_post)."""
    team = host.add_team("click-public", members=[u.id for u in people.values()])
    public = host.add_channel(team.id, "open-buttons", members=[people["alice"].id])
    post_id = bot_post(host, public, "update")
    pressed = host.click(post_id, "go", people["eve"].id).error
    assert pressed is not None and pressed.status_code == 403
    assert pressed.id == "api.context.permissions.app_error"
    assert host.click(post_id, "go", people["alice"].id).error is None
    ran = host.command(people["eve"].id, public.id, "/echo hi").error
    assert ran is not None and ran.status_code == 403
    assert ran.id == "api.context.permissions.app_error"
