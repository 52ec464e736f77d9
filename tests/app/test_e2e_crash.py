"""Crashes at every PluginAPI call: the plugin process is killed (SIGKILL) at call N of an
escalation, restarted, and the request retried. Whatever N, the escalation ends with exactly one
bot post (never a second one, so the responders are paged once) and one record pointing at it.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import pytest

from app.emu import World, start_world
from escalations.app.domain import keys
from escalations.app.domain.model import Escalation
from escalations.app.views import render
from escalations.app.views.render import ESCALATION_PROP
from escalations.app.workflow.once import CHANGE_PROP
from escalations.app.workflow.service import PENDING_STALE_MS, SETTLE_SECONDS
from hostemu.errors import PluginActivationError
from hostemu.model import Post

TOPIC = "licensing"


def _records(world: World) -> dict[str, dict[str, Any]]:
    prefix = keys.escalation_prefix()
    return {
        k[len(prefix) :]: json.loads(v)
        for k, v in world.host.kv_dump().items()
        if k.startswith(prefix)
    }


def _age_reservations(world: World) -> None:
    """What waiting PENDING_STALE_MS does to a reservation whose creator died."""
    for esc_id, record in _records(world).items():
        if not record["escalation_post_id"]:
            record["updated_at"] -= PENDING_STALE_MS + 1000
            world.host.kv_set(keys.escalation(esc_id), json.dumps(record).encode())


@pytest.fixture(scope="module")
def world() -> Iterator[World]:
    """The module's world; this module restarts the plugin about a hundred times, so a start
    that misses the emulator's 10 s handshake on a loaded machine is tried again."""
    for attempt in range(3):
        try:
            w = start_world()
            break
        except PluginActivationError:
            if attempt == 2:
                raise
    try:
        yield w
    finally:
        w.host.stop()


def _restart(world: World) -> None:
    """Start the killed plugin again, tried again if it misses the handshake deadline (the
    emulator's deadline on a loaded machine, not the plugin's behaviour, is what failed)."""
    for attempt in range(3):
        try:
            world.host.restart_plugin()
            return
        except PluginActivationError:
            if attempt == 2:
                raise


def _bot_posts(world: World, esc_id: str) -> list[Post]:
    """Every root post the bot ever made for ``esc_id`` (deleted ones too: they paged people)."""
    return [
        p
        for p in world.host.posts(world.channel.id, include_deleted=True)
        if not p.root_id and p.props.get(ESCALATION_PROP) == esc_id
    ]


def _escalate_after_crash(
    world: World, n: int, message: str, rpc: str = ""
) -> tuple[str, dict[str, Any]]:
    """Escalate a fresh post with the plugin killed at call ``n``, restart, retry; (the killed
    call, the retry's escalation)."""
    post = world.post(message)
    world.host.kill_at_call(n, rpc)
    try:
        world.escalate(post.id, TOPIC)
    except Exception:  # the plugin died under the request: whatever the server answers
        pass
    killed = world.host.killed_at
    _restart(world)
    _age_reservations(world)
    retry = world.escalate(post.id, TOPIC)
    assert retry.status in (200, 201), (n, killed, retry.text)
    return killed, dict(retry.json())


def test_a_crash_at_any_call_of_escalate_leaves_one_post(world: World) -> None:
    before = len(world.host.api_call_log())
    world.escalate(world.post("how many calls does an escalation make").id, TOPIC)
    calls = world.host.api_call_log()[before:]
    assert "CreatePost" in calls and "KVCompareAndSet" in calls, calls
    killed_at: list[str] = []

    def crash_at(n: int, label: str, rpc: str = "") -> None:
        killed, esc = _escalate_after_crash(world, n, f"crash at call {label}", rpc)
        killed_at.append(killed)
        posts = _bot_posts(world, esc["id"])
        assert len(posts) == 1, (n, killed, [p.id for p in posts])
        assert not posts[0].delete_at, (n, killed)
        assert esc["escalation_post_id"] == posts[0].id, (n, killed)
        assert _records(world)[esc["id"]]["escalation_post_id"] == posts[0].id

    for n in range(1, len(calls) + 1):
        crash_at(n, str(n))
    # Independent calls run together, so the N-th call of a run is not always the same kind:
    # a kind not hit yet is cut at each of its own calls.
    for kind in sorted(set(calls) - set(killed_at)):
        for k in range(1, calls.count(kind) + 1):
            crash_at(k, f"{kind} {k}", kind)
    # every kind of call of the escalation was a crash point, the post's creation and its record
    # included
    assert set(filter(None, killed_at)) == set(calls), (killed_at, calls)


def test_a_post_made_before_the_crash_is_adopted_not_posted_again(world: World) -> None:
    before = len(world.host.api_call_log())
    world.escalate(world.post("count once more").id, TOPIC)
    calls = world.host.api_call_log()[before:]
    # killed right after the bot post was created, before the record knew it
    n = calls.index("CreatePost") + 2
    killed, esc = _escalate_after_crash(world, n, "orphaned post")
    assert killed != "CreatePost", calls
    posts = _bot_posts(world, esc["id"])
    assert len(posts) == 1 and esc["escalation_post_id"] == posts[0].id
    assert world.host.api_calls("GetPostsSince") == 1  # the retry looked, and found it


# --- buttons: the change is written first, then shown (post edit, thread reply, messages) ----


def _marked(world: World, esc_id: str) -> list[Post]:
    """Posts the bot made for changes of ``esc_id`` (thread replies, direct messages)."""
    return [
        p
        for p in world.host.posts(include_deleted=True)
        if str(p.props.get(CHANGE_PROP, "")).startswith(f"{esc_id}:")
    ]


def _age_changes(world: World) -> None:
    """What waiting PENDING_STALE_MS does to a change whose request died before showing it."""
    for esc_id, record in _records(world).items():
        if record.get("unannounced"):
            record["updated_at"] -= PENDING_STALE_MS + 1000
            world.host.kv_set(keys.escalation(esc_id), json.dumps(record).encode())


def _ready(world: World, action: str, n: int | str) -> tuple[dict[str, Any], str, str | None]:
    """A fresh escalation, set up for ``action``; (escalation, who presses, menu option)."""
    esc = dict(world.escalate(world.post(f"{action} crash {n}").id, TOPIC).json())
    responders = _records(world)[esc["id"]]["responders"]
    owner, other = world.uid(responders[0]), world.uid(responders[1])
    if action == "release":  # someone other than the default owner holds it
        assert world.click(esc, "claim", other).ok
        return esc, other, None
    if action == "assign":
        return esc, owner, responders[1]
    return esc, owner, None


def _press(world: World, esc: dict[str, Any], action: str, user: str, option: str | None) -> None:
    try:
        world.click(esc, action, user, option)
    except Exception:  # the plugin died under the press: whatever the server answers
        pass


def _settled(world: World, esc_id: str) -> dict[str, Any]:
    """The record once the press's answer went out: a change shown by the answer is marked shown
    a moment later (``SETTLE_SECONDS``), not during the press."""
    deadline = time.monotonic() + 10 * SETTLE_SECONDS + 5
    record = _records(world)[esc_id]
    while record.get("unannounced") and time.monotonic() < deadline:
        time.sleep(0.1)
        record = _records(world)[esc_id]
    return record


def _shown(world: World, esc_id: str) -> tuple[str, str]:
    """(what the escalation post says, what the record says it should)."""
    record = Escalation.from_json(world.host.kv_get(keys.escalation(esc_id)) or b"")
    post = world.host.get_post(record.escalation_post_id)
    return post.message, render.escalation_post(record, ())[0]


@pytest.mark.parametrize("action", ["claim", "assign", "release", "resolvenoresponse"])
def test_a_crash_at_any_call_of_a_button_converges(world: World, action: str) -> None:
    esc, user, option = _ready(world, action, 0)
    _restart(world)  # measured on a fresh process, which makes every kind of call
    world.host.wait_quiet()  # its start is done
    before, made = len(world.host.api_call_log()), {p.id for p in _marked(world, esc["id"])}
    world.click(esc, action, user, option)
    calls = world.host.api_call_log()[before:]
    expected = len([p for p in _marked(world, esc["id"]) if p.id not in made])
    # the post edit travels in the press's answer (the server applies it): no UpdatePost call
    assert "KVCompareAndSet" in calls and expected >= 1, calls
    killed_at: list[str] = []

    def crash_at(n: int, label: str, rpc: str = "") -> None:
        esc, user, option = _ready(world, action, label)
        if rpc:  # a fresh process: the calls it makes once and then remembers happen again
            _restart(world)
            world.host.wait_quiet()  # its start is done
        events = len(_records(world)[esc["id"]]["events"])
        made = {p.id for p in _marked(world, esc["id"])}
        world.host.kill_at_call(n, rpc)
        _press(world, esc, action, user, option)
        world.host.cancel_kill()  # not reached: this run made fewer calls of that kind
        killed = world.host.killed_at
        killed_at.append(killed)
        _restart(world)
        _age_changes(world)
        world.record(esc["id"])  # the next read of the escalation repairs what was cut
        if len(_records(world)[esc["id"]]["events"]) == events:  # the change never landed
            world.click(esc, action, user, option)
        record = _settled(world, esc["id"])
        assert len(record["events"]) == events + 1, (n, killed)
        assert not record.get("unannounced"), (n, killed)
        shown, wanted = _shown(world, esc["id"])
        assert shown == wanted, (n, killed)
        new = [p for p in _marked(world, esc["id"]) if p.id not in made]
        assert len(new) == expected, (n, killed, [p.message for p in new])

    for n in range(1, len(calls) + 1):
        crash_at(n, str(n))
    # Independent calls run together: a kind not hit yet is cut at each of its own calls.
    for kind in sorted(set(calls) - set(killed_at)):
        for k in range(1, calls.count(kind) + 1):
            crash_at(k, f"{kind} {k}", kind)
    assert set(filter(None, killed_at)) == set(calls), (killed_at, calls)
