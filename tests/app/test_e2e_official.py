"""Official responses through the real process boundary (host emulator): the response history of
"Resolve: responded", proposing and approving a template, the approved template in the topics
answer, the dialog, the post of a new escalation and ``route``, and the policy with it merged."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import yaml

from app.emu import World, start_world


@pytest.fixture(scope="module")
def world() -> Iterator[World]:
    # katie.wiersgalla (Lead PM) approves templates; ian.tien (CEO) responds to licensing.
    w = start_world(settings={"TemplateApprovers": "Lead PM, No Such Role"})
    try:
        yield w
    finally:
        w.host.stop()


def run(world: World, user_id: str, command: str) -> str:
    """The answer to ``command``, typed in a channel ``user_id`` is in."""
    outside = user_id in (world.alice.id, world.admin.id)
    channel = world.town if outside else world.channel
    return str(world.host.command(user_id, channel.id, command).text)


def resolve_responded(world: World, topic: str, answer: str, message: str) -> dict[str, Any]:
    esc = world.escalate(world.post(message).id, topic).json()
    owner = world.uid(esc["owner"])
    assert world.click(esc, "resolveresponded", owner).ok
    world.host.submit_dialog(owner, {"response": answer})
    assert world.record(esc["id"])["state"] == "resolved"
    return dict(esc)


def topic_answer(world: World, key: str) -> dict[str, Any]:
    body = world.host.http("GET", "/api/v1/topics", user_id=world.alice.id).json()
    return next(t for t in body["topics"] if t["key"] == key)


def test_responses_are_listed_newest_first_with_who_and_a_link(world: World) -> None:
    first = resolve_responded(world, "licensing", "https://forum.example.com/t/1", "q one")
    second = resolve_responded(world, "licensing", "We answered: **see** @channel", "q two")
    ian = world.uid("ian.tien")
    text = run(world, ian, "/escalation responses licensing")
    assert "**Responses for Licensing** (2, newest first):" in text
    lines = text.splitlines()
    assert lines[1].startswith("1. ") and second["permalink"] in lines[1]
    assert (
        f"`@{second['owner']}`" in lines[1]
        and "@\u200dchannel" in lines[1]
        and "**see**" not in lines[1]
    )
    assert lines[2].startswith("2. ") and first["permalink"] in lines[2]
    assert "https://forum.example.com/t/1" in lines[2]


def test_a_retried_resolve_does_not_double_the_history(world: World) -> None:
    esc = resolve_responded(world, "packaging", "https://forum.example.com/t/9", "q pack")
    refused = world.host.http(
        "POST", "/api/v1/dialogs/resolve", user_id=world.uid(esc["owner"]),
        body={"state": esc["id"], "submission": {"response": "again"}},
    )  # fmt: skip
    assert "already resolved" in refused.json()["error"]
    text = run(world, world.admin.id, "/escalation responses packaging")
    assert "(1, newest first)" in text and "again" not in text


def test_who_may_read_the_history(world: World) -> None:
    refused = run(world, world.alice.id, "/escalation responses licensing")
    assert "Only the people of the escalation policy" in refused
    assert "Responses for Licensing" in run(
        world, world.mallory.id, "/escalation responses licensing"
    )
    assert "Unknown topic" in run(world, world.admin.id, "/escalation responses nope")


def test_propose_approve_and_the_template_everywhere(world: World) -> None:
    ian, katie = world.uid("ian.tien"), world.uid("katie.wiersgalla")
    outsider = run(world, world.mallory.id, "/escalation template propose licensing 1")
    assert "Only the approved responders of Licensing" in outsider
    text = (
        "Thanks {name}! Read https://docs.mattermost.com/about/licensing.html about {link} {other}"
    )
    proposed = run(world, ian, f"/escalation template propose licensing {text}")
    assert "**Proposed** by `@ian.tien`" in proposed
    assert topic_answer(world, "licensing")["template_response"] is None  # not approved yet

    assert "Only system admins" in run(world, ian, "/escalation template approve licensing")
    approved = run(world, katie, "/escalation template approve licensing")
    assert "Template of **Licensing** approved." in approved
    assert "Approved in the plugin by `@katie.wiersgalla`" in approved
    assert "proposed by `@ian.tien`" in approved
    topic = topic_answer(world, "licensing")
    assert topic["template_response"] == text
    assert topic["template_approved"]["by"] == "katie.wiersgalla"
    assert "No template is proposed" in run(world, katie, "/escalation template reject licensing")

    post = world.post("a licensing question")
    esc = world.escalate(post.id, "licensing").json()
    message = world.host.get_post(esc["escalation_post_id"]).message
    template_line = next(line for line in message.splitlines() if line.startswith("**Template:**"))
    assert "Thanks @\u200dalice\\!" in template_line  # {name}: who wrote the post, no mention
    assert esc["permalink"] not in template_line and "{other}" in template_line
    assert "/pl/" + post.id in template_line  # {link}: the escalated post
    assert "(approved by `@katie.wiersgalla`)" in template_line

    route = run(world, world.alice.id, "/escalation route licensing")
    assert "**Template response** (approved by `@katie.wiersgalla`): Thanks {name}\\!" in route
    assert "{link}" in route  # no concrete escalation: placeholders as written

    world.host.command(world.alice.id, world.town.id, f"/escalation new {world.post().id}")
    dialog = world.host.dialogs(world.alice.id)[-1].dialog
    introduction = str(dialog.get("introduction_text") or dialog.get("introductionText"))
    assert "**Template responses:**" in introduction
    assert "- **Licensing**: Thanks {name}\\!" in introduction
    assert "(approved by `@katie.wiersgalla`)" in introduction


def test_a_proposal_from_the_history_and_a_rejection(world: World) -> None:
    ian = world.uid("ian.tien")
    run(world, ian, "/escalation template propose licensing 2")
    shown = run(world, world.admin.id, "/escalation template show licensing")
    assert "> https://forum.example.com/t/1" in shown
    assert "Template of **Licensing** rejected." in run(
        world, world.admin.id, "/escalation template reject licensing"
    )
    log = run(world, ian, "/escalation template show licensing")
    assert "`@sysadmin` rejected" in log and "`@katie.wiersgalla` approved" in log
    assert "no response number 7" in run(world, ian, "/escalation template propose licensing 7")


def test_policy_says_where_templates_come_from_and_merges_them(world: World) -> None:
    text = run(world, world.alice.id, "/escalation policy")
    assert "- approved in the plugin: licensing (`@katie.wiersgalla`" in text
    assert "- none yet: privacy-telemetry" in text
    assert "Only system admins" in run(world, world.alice.id, "/escalation policy merged")
    merged = run(world, world.admin.id, "/escalation policy merged")
    body = merged.split("```yaml\n", 1)[1].rsplit("\n```", 1)[0]
    document = yaml.safe_load(body)
    licensing = next(t for t in document["topics"] if t["key"] == "licensing")
    assert licensing["template_response"].startswith("Thanks {name}!")
    assert "# Community response policy" in body  # the file's comments are kept
    diff = run(world, world.admin.id, "/escalation policy diff")
    assert "-    template_response: null" in diff
    assert (
        '+    template_response: "Thanks {name}!' in diff
        or "+    template_response: Thanks" in diff
    )
