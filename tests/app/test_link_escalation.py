"""Escalating a link raised outside Mattermost, in-process over the fake host and the in-memory KV:
the post it makes, idempotency per (normalised link, topic), the gate and the rate limit, and
records of either kind read back."""

from __future__ import annotations

import threading
from dataclasses import replace

import pytest

from app.test_service import World
from app.test_service_hardening import _world
from escalations.app.domain.errors import (
    AlreadyEscalated,
    InvalidLink,
    InvalidSummary,
    NotAllowedToEscalate,
    NoteTooLong,
    TooManyEscalations,
    TopicNotFound,
)
from escalations.app.domain.links import LinkRequest
from escalations.app.domain.model import Escalation
from escalations.app.views import render

ISSUE = "https://github.com/mattermost/mattermost/issues/123"


@pytest.fixture
def world() -> World:
    return World()


def _link(url: str = ISSUE, topic: str = "licensing", **more: str) -> LinkRequest:
    return LinkRequest(
        url=url, topic=topic, summary=more.pop("summary", "a licence question"), **more
    )


def _bot_roots(world: World) -> list[str]:
    environment = world.activated.environment
    assert environment is not None
    bot = environment.bot_user_id
    return [p.id for p in world.host.posts.values() if p.user_id == bot and not p.root_id]


def test_a_public_link_is_shown_with_the_redacted_summary(world: World) -> None:
    request = _link(summary="Jane (jane@example.org) asks about AGPL", note="see the thread")
    record, created = world.workflow.escalate_link(world.alice.id, request)
    assert created and record.is_link and record.post_id == ""
    assert record.source_url == ISSUE and record.excerpt == "Jane ([email]) asks about AGPL"
    message = world.host.posts[record.escalation_post_id].message
    lines = message.split("\n")
    assert lines[0].startswith("**Licensing** · Open · Owner: `@jason.blais`")
    assert lines[1] == (
        f"Escalated by `@alice` from outside Mattermost · {ISSUE} · ref `{record.ref}`"
    )
    assert lines[2] == "> Jane \\([email]\\) asks about AGPL"
    assert "jane@" not in message
    assert "**Note:** see the thread" in message
    assert "**Responders:** @jason.blais" in message
    assert record.responders == ("jason.blais", "ian.tien")
    assert world.host.events[-1][1]["escalation_id"] == record.id


def test_a_link_outside_the_allow_list_is_redacted(world: World) -> None:
    record, _ = world.workflow.escalate_link(
        world.alice.id, _link("https://chat.example.gg/t/private/42")
    )
    assert record.source_url == "[url]"
    message = world.host.posts[record.escalation_post_id].message
    assert "example.gg" not in message and "from outside Mattermost · \\[url] · ref" in message
    assert "example.gg" not in record.to_json().decode()  # not stored either


def test_the_same_link_and_topic_escalate_once(world: World) -> None:
    first, created = world.workflow.escalate_link(world.alice.id, _link())
    for same in (
        ISSUE + "/",
        ISSUE + "#issuecomment-1",
        ISSUE + "?utm_source=x",
        ISSUE.upper()[:19] + ISSUE[19:],
    ):
        again, created_again = world.workflow.escalate_link(world.alice.id, _link(same))
        assert not created_again and again.id == first.id, same
    other, created_other = world.workflow.escalate_link(world.alice.id, _link(topic="packaging"))
    assert created and created_other and other.id != first.id
    assert len(_bot_roots(world)) == 2


def test_concurrent_requests_post_once(world: World) -> None:
    barrier = threading.Barrier(6)
    results: list[tuple[Escalation, bool]] = []

    def go() -> None:
        barrier.wait()
        results.append(world.workflow.escalate_link(world.alice.id, _link()))

    threads = [threading.Thread(target=go) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(created for _, created in results) == 1
    assert len(_bot_roots(world)) == 1


def test_refusals_change_nothing(world: World) -> None:
    wf = world.workflow
    cases = [
        (_link("ftp://example.org/x"), InvalidLink),
        (_link("not a link"), InvalidLink),
        (_link(summary="   "), InvalidSummary),
        (_link(summary="s" * 501), InvalidSummary),
        (_link(note="n" * 1001), NoteTooLong),
        (_link(topic="nope"), TopicNotFound),
    ]
    keys_before = world.kv.list_keys(0, 1000)
    for request, error in cases:
        with pytest.raises(error):
            wf.escalate_link(world.alice.id, request)
    assert _bot_roots(world) == [] and world.kv.list_keys(0, 1000) == keys_before


def test_someone_else_is_not_shown_another_persons_escalation(world: World) -> None:
    world.workflow.escalate_link(world.alice.id, _link())
    with pytest.raises(AlreadyEscalated, match="This link is already escalated under Licensing"):
        world.workflow.escalate_link(world.mallory.id, _link())


def test_gate_and_rate_limit_apply_as_for_posts() -> None:
    world, _ = _world(per_hour=1)
    guest = world.host.add_user("guest")
    world.host.users[guest.id] = replace(guest, is_guest=True)
    with pytest.raises(NotAllowedToEscalate):
        world.workflow.escalate_link(guest.id, _link())
    with pytest.raises(NotAllowedToEscalate):
        world.workflow.check_link_escalatable(guest.id, ISSUE)
    world.workflow.escalate_link(world.alice.id, _link())
    _, created = world.workflow.escalate_link(world.alice.id, _link())  # a repeat: not counted
    assert not created
    with pytest.raises(TooManyEscalations):
        world.workflow.escalate_link(world.alice.id, _link(ISSUE + "4"))
    with pytest.raises(TooManyEscalations):
        world.workflow.check_link_escalatable(world.alice.id, ISSUE + "4")


def test_confirmation_only_in_a_channel_of_theirs(world: World) -> None:
    before = len(world.host.ephemerals)
    world.workflow.escalate_link(world.alice.id, _link(channel_id=world.town.id + "x"))
    assert len(world.host.ephemerals) == before
    world.host.members.add((world.town.id, world.alice.id))
    record, _ = world.workflow.escalate_link(
        world.alice.id, _link(ISSUE + "5", channel_id=world.town.id)
    )
    user, channel, text = world.host.ephemerals[-1]
    assert (user, channel, record.channel_id) == (world.alice.id, world.town.id, world.town.id)
    assert "from the summary" in text or "in the summary" in text


def test_ownership_and_direct_messages_work_on_a_link(world: World) -> None:
    record, _ = world.workflow.escalate_link(world.alice.id, _link())
    claimed, changed = world.workflow.claim(world.uid("jason.blais"), record.id)
    assert changed and claimed.acknowledged
    dms = [p.message for p in world.host.posts.values() if "Your escalation of" in p.message]
    assert dms and dms[-1].startswith(f"Your escalation of {ISSUE} (Licensing) was acknowledged")
    assert render.source_reference(claimed) == ISSUE


def test_records_of_both_kinds_read_back(world: World) -> None:
    link, _ = world.workflow.escalate_link(world.alice.id, _link())
    assert Escalation.from_json(link.to_json()) == link
    post, _ = world.workflow.escalate(world.alice.id, world.post(), "licensing")
    assert Escalation.from_json(post.to_json()) == post and not post.is_link
    old = post.to_json().replace(b'"schema":3', b'"schema":2').replace(b'"source_url":"",', b"")
    assert b'"schema":2' in old and b"source_url" not in old
    assert Escalation.from_json(old) == post
