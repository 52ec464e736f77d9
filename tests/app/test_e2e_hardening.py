"""Hardening through the real process boundary (the plugin under the host emulator): a server full
of community users who post anything, name channels anything and escalate as often as they like.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator

import pytest

from app.emu import World, start_world

# Each ~5 s for the IPv6 candidate pattern in-process (cubic in length); inside the window.
EXPENSIVE = "1:" * 360 + "g"
FORGED_STATUS = "**Licensing** · Resolved · Owner: `@ian.tien`"
# Generous: unloaded, GET /topics answers in milliseconds; behind an in-process redaction of
# EXPENSIVE it waited seconds.
LIVENESS_SECONDS = 4.0


@pytest.fixture(scope="module")
def limited() -> Iterator[World]:
    w = start_world(settings={"EscalationsPerHour": 2})
    try:
        yield w
    finally:
        w.host.stop()


def _outsider(world: World, name: str) -> tuple[str, str]:
    """A user of another team, with a post of theirs in that team's public channel."""
    user = world.host.add_user(name)
    team = world.host.add_team(f"{name}-team", members=[user.id])
    channel = world.host.add_channel(team.id, "lobby", members=[user.id])
    return user.id, world.host.add_post(channel.id, user.id, "please escalate me").id


# --- item 5: who may escalate, how often ----------------------------------------------------


def test_outside_the_escalations_team_nobody_may_escalate(world: World) -> None:
    user_id, post_id = _outsider(world, "outsider")
    resp = world.escalate(post_id, "licensing", user=world.host.user(user_id))
    assert resp.status == 403 and "private-core team" in resp.json()["error"]
    assert not [p for p in world.bot_roots() if "please escalate me" in p.message]


def test_everyone_setting_lets_other_teams_escalate_but_never_guests() -> None:
    w = start_world(settings={"WhoMayEscalate": "everyone"})
    try:
        user_id, post_id = _outsider(w, "visitor")
        assert w.escalate(post_id, "licensing", user=w.host.user(user_id)).status == 201
        guest = w.host.add_user("guest.user", roles="system_guest")
        w.host.add_team_member(w.team.id, guest.id)
        w.host.add_channel_member(w.town.id, guest.id)
        resp = w.escalate(w.post("guest sees this").id, "licensing", user=guest)
        assert resp.status == 403 and "Guest" in resp.json()["error"]
        link = f"http://localhost/private-core/pl/{w.post('on mobile').id}"
        text = w.host.command(guest.id, w.town.id, f"/escalation new {link}").text
        assert "Guest" in text and not w.host.dialogs(guest.id)
    finally:
        w.host.stop()


def test_rate_limit_answers_429_and_holds_for_the_dialog(limited: World) -> None:
    w = limited
    first = w.post("one")
    assert w.escalate(first.id, "licensing").status == 201
    assert w.escalate(w.post("two").id, "licensing").status == 201
    assert w.escalate(first.id, "licensing").status == 200  # a repeat pages nobody: not counted
    refused = w.escalate(w.post("three").id, "licensing")
    assert refused.status == 429
    assert re.search(r"2 posts in the last hour.*again in \d+ minutes", refused.json()["error"])
    link = f"http://localhost/private-core/pl/{w.post('four').id}"
    text = w.host.command(w.alice.id, w.town.id, f"/escalation new {link}").text
    assert "in the last hour" in text and not w.host.dialogs(w.alice.id)
    # Someone else is not limited by alice's escalations.
    assert w.escalate(w.post("five").id, "licensing", user=w.mallory).status == 201
    w.host.advance_time(3601)
    assert w.escalate(w.post("six").id, "licensing").status == 201


def test_rate_limit_holds_for_a_dialog_opened_before(limited: World) -> None:
    w = limited
    dana = w.host.add_user("dana")
    w.host.add_team_member(w.team.id, dana.id)
    w.host.add_channel_member(w.town.id, dana.id)
    link = f"http://localhost/private-core/pl/{w.post('seven').id}"
    assert w.host.command(dana.id, w.town.id, f"/escalation new {link}").text == ""
    dialog = w.host.dialogs(dana.id)[-1]
    for text in ("eight", "nine"):
        assert w.escalate(w.post(text).id, "licensing", user=dana).status == 201
    done = w.host.submit_dialog(dana.id, {"topic": "licensing"}, dialog=dialog)
    assert "in the last hour" in str((done.response or {}).get("error"))


# --- item 6: text that forges the bot's lines -------------------------------------------------


@pytest.mark.parametrize("brk", ["\r", "\u2424", "\u2028", "\x85", "\x0b", "\x0c"])
def test_note_and_excerpt_cannot_add_bot_lines(world: World, brk: str) -> None:
    post = world.post(f"question{brk}{FORGED_STATUS}{brk}#### Template response: pay us")
    note = f"fyi{brk}{FORGED_STATUS}{brk}![pixel](https://tracker.example/p.png)"
    esc = world.escalate(post.id, "licensing", note=note).json()
    message = world.host.get_post(esc["escalation_post_id"]).message
    lines = re.split(r"\r\n|[\r\n\x0b\x0c\x85\u2028\u2029\u2424]", message)
    headlines = [ln for ln in lines if ln.startswith("**Licensing** ·")]
    assert headlines == [lines[0]] and " · Open · " in lines[0], headlines
    assert not [ln for ln in lines if ln.startswith("####") and "Template" in ln]
    assert len(lines) <= 8  # the excerpt and the note stay one line each
    assert "![" not in message.replace("\\![", "") and "https://tracker" not in message


def test_private_channel_display_name_is_escaped(world: World) -> None:
    channel = world.host.add_channel(
        world.team.id,
        "crafted",
        type="P",
        display_name="Ops ![x](https://t.example/p.png) @channel",
        members=[world.alice.id],
    )
    post = world.post("in a private channel", channel=channel)
    esc = world.escalate(post.id, "licensing").json()
    message = world.host.get_post(esc["escalation_post_id"]).message
    by = next(ln for ln in message.splitlines() if ln.startswith("Escalated by "))
    shown = by.split(" from ", 1)[1].split(" (private channel)", 1)[0]
    assert "@\u200dchannel" in shown and "](" not in shown and "https://" not in shown


# --- item 7: which posts are escalation posts ---------------------------------------------


def test_the_marker_prop_on_a_users_post_does_not_make_it_unescalatable(world: World) -> None:
    post = world.host.add_post(
        world.town.id, world.alice.id, "my post", props={"community_escalation_id": "x" * 26}
    )
    assert world.escalate(post.id, "licensing", user=world.mallory).status == 201


def test_the_bots_escalation_post_stays_unescalatable(world: World) -> None:
    esc = world.escalate(world.post("escalate me").id, "licensing").json()
    # mallory is a member of the escalations channel: she can read the bot's post.
    resp = world.escalate(esc["escalation_post_id"], "packaging", user=world.mallory)
    assert resp.status == 400 and "escalation itself" in resp.json()["error"]


# --- item 1: no request may stall the others ------------------------------------------------


def test_a_16k_post_is_redacted_only_within_the_window(world: World) -> None:
    text = "Contact jane.doe@example.org now. " + "tail " * 3200 + "end jane.doe@example.org"
    esc = world.escalate(world.post(text[:16_000]).id, "licensing").json()
    message = world.host.get_post(esc["escalation_post_id"]).message
    quoted = "\n".join(ln[2:] for ln in message.splitlines() if ln.startswith("> "))
    assert 400 < len(quoted) <= 500
    assert "jane.doe" not in message and quoted.startswith("Contact [email] now.")


def test_flood_of_expensive_escalations_does_not_stall_others(world: World) -> None:
    flooding = threading.Event()
    flood_times: list[float] = []

    def flood() -> None:
        for _ in range(3):
            post = world.post(EXPENSIVE)
            started = time.monotonic()
            resp = world.escalate(post.id, "licensing", settle=False)
            flood_times.append(time.monotonic() - started)
            assert resp.status == 201
        flooding.clear()

    floods = [threading.Thread(target=flood) for _ in range(3)]
    flooding.set()
    for t in floods:
        t.start()
    other_times: list[float] = []
    health: list[bool] = []
    while flooding.is_set() and len(other_times) < 5000:
        started = time.monotonic()
        assert world.host.http("GET", "/api/v1/topics", user_id=world.mallory.id).status == 200
        other_times.append(time.monotonic() - started)
        health.append(world.host._require_hooks().ping(timeout=5))
    answered_during_flood = len(other_times)
    for t in floods:
        t.join(120)
    print(
        f"\nflood escalations: {len(flood_times)}, max {max(flood_times):.2f} s; "
        f"other user's GET /topics during the flood: {answered_during_flood}, "
        f"max {max(other_times):.3f} s, median {sorted(other_times)[len(other_times) // 2]:.3f} s"
    )
    # Liveness, not speed: the other user was answered, repeatedly, while the flood ran.
    assert answered_during_flood >= 3 and all(health)
    assert max(other_times) < LIVENESS_SECONDS
