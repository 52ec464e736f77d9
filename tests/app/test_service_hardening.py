"""Hardening rules of the workflow, in-process over the fake host and the in-memory KV: the costly
redaction only for a new escalation, who may escalate and how often, which posts are escalation
posts."""

from __future__ import annotations

from dataclasses import replace

import pytest

from app.fakes import FakeHost
from app.test_service import World
from escalations.app.domain.errors import NotAllowedToEscalate, NotEscalatable, TooManyEscalations
from escalations.app.domain.ports import PostRef
from escalations.app.domain.redact import Redaction
from escalations.app.views import render
from escalations.app.workflow.gate import Gate
from escalations.app.workflow.service import Workflow
from escalations.app.workflow.store import KVStore


class CountingRedactor:
    def __init__(self) -> None:
        self.calls: list[tuple[int, int]] = []

    def __call__(self, text: str, max_chars: int, public_domains: frozenset[str]) -> Redaction:
        self.calls.append((len(text), max_chars))
        return Redaction(f"redacted {len(text)}", 1)


def _world(per_hour: int = 0) -> tuple[World, CountingRedactor]:
    world = World()
    redactor = CountingRedactor()
    env = world.env
    world.activated = replace(
        world.activated, environment=replace(env, escalations_per_hour=per_hour)
    )
    world.workflow = Workflow(
        KVStore(world.kv),
        world.host,
        lambda: world.activated.environment,
        lambda: world.activated.policy,
        gate=Gate(world.host, world.kv),
        redactor=redactor,
    )
    return world, redactor


def test_redaction_runs_once_per_escalation_not_per_request() -> None:
    world, redactor = _world()
    post_id = world.post("x" * 16_000)
    record, created = world.workflow.escalate(world.alice.id, post_id, "licensing")
    assert created and redactor.calls == [(16_000, 500)]
    assert record.excerpt == "redacted 16000"
    assert "redacted 16000" in world.host.posts[record.escalation_post_id].message
    for _ in range(3):
        again, created = world.workflow.escalate(world.alice.id, post_id, "licensing")
        assert not created and again.id == record.id
    assert len(redactor.calls) == 1


def test_refused_requests_do_no_costly_work() -> None:
    world, redactor = _world(per_hour=1)
    outsider = world.host.add_user("outsider")
    world.host.outsiders.add(outsider.id)
    post_id = world.post("x" * 16_000)
    with pytest.raises(NotAllowedToEscalate):
        world.workflow.escalate(outsider.id, post_id, "licensing")
    world.workflow.escalate(world.alice.id, world.post(), "licensing")
    with pytest.raises(TooManyEscalations):
        world.workflow.escalate(world.alice.id, post_id, "licensing")
    assert len(redactor.calls) == 1


def test_repeating_an_escalation_does_not_count_against_the_limit() -> None:
    world, _ = _world(per_hour=1)
    post_id = world.post()
    world.workflow.escalate(world.alice.id, post_id, "licensing")
    for _ in range(3):
        _, created = world.workflow.escalate(world.alice.id, post_id, "licensing")
        assert not created


def test_guests_and_outsiders_cannot_open_the_dialog_either() -> None:
    world, _ = _world(per_hour=1)
    guest = world.host.add_user("guest")
    world.host.users[guest.id] = replace(guest, is_guest=True)
    with pytest.raises(NotAllowedToEscalate):
        world.workflow.check_escalatable(guest.id, world.post())
    world.workflow.escalate(world.alice.id, world.post(), "licensing")
    with pytest.raises(TooManyEscalations):
        world.workflow.check_escalatable(world.alice.id, world.post())


def _marked(host: FakeHost, post_id: str, marker: str, user_id: str | None = None) -> str:
    post = host.posts[post_id]
    marked = replace(post, props={render.ESCALATION_PROP: marker}, user_id=user_id or post.user_id)
    host.posts[post_id] = marked
    return post_id


def test_a_user_cannot_make_a_post_unescalatable_with_the_marker_prop() -> None:
    world, _ = _world()
    record, _ = world.workflow.escalate(world.alice.id, world.post(), "licensing")
    for marker in (record.id, "anything"):
        own = _marked(world.host, world.post(), marker)
        _, created = world.workflow.escalate(world.uid("ian.tien"), own, "licensing")
        assert created


def test_only_the_bots_posts_that_a_record_points_to_are_escalation_posts() -> None:
    world, _ = _world()
    record, _ = world.workflow.escalate(world.alice.id, world.post(), "licensing")
    responder = world.uid(record.responders[0])
    world.host.members.add((world.env.channel.id, responder))
    with pytest.raises(NotEscalatable):
        world.workflow.escalate(responder, record.escalation_post_id, "packaging")
    world.workflow.claim(responder, record.id)
    reply = next(p for p in world.host.posts.values() if p.root_id == record.escalation_post_id)
    with pytest.raises(NotEscalatable):
        world.workflow.escalate(responder, reply.id, "packaging")
    bot = world.env.bot_user_id
    unrelated = PostRef("b" * 26, world.town.id, bot, "a bot post", "", 0, {})
    world.host.posts[unrelated.id] = unrelated
    _marked(world.host, unrelated.id, record.id)  # names a record that points elsewhere
    _, created = world.workflow.escalate(world.alice.id, unrelated.id, "packaging")
    assert created


# --- a failing API call at any point of escalate ----------------------------------------------


class Faults:
    """Counts the calls of the ports and fails call number ``fail_at`` (1-based; 0 = never)."""

    def __init__(self) -> None:
        self.count = 0
        self.fail_at = 0

    def wrap(self, target: object) -> object:
        faults = self

        class Wrapped:
            def __getattr__(self, name: str) -> object:
                attr = getattr(target, name)
                if not callable(attr) or name.startswith("_"):
                    return attr

                def call(*args: object, **kwargs: object) -> object:
                    faults.count += 1
                    if faults.count == faults.fail_at:
                        raise OSError(f"injected failure of {name} (call {faults.count})")
                    return attr(*args, **kwargs)

                return call

        return Wrapped()


def _faulty_workflow(world: World, faults: Faults) -> Workflow:
    return Workflow(
        # Proxies that fail at the n-th call.
        KVStore(faults.wrap(world.kv)),  # type: ignore[arg-type]
        faults.wrap(world.host),  # type: ignore[arg-type]
        lambda: world.activated.environment,
        lambda: world.activated.policy,
        gate=Gate(world.host, world.kv),
    )


def test_a_failure_at_any_call_of_escalate_leaves_one_live_post_after_a_retry() -> None:
    clean = World()
    counted = Faults()
    _faulty_workflow(clean, counted).escalate(clean.alice.id, clean.post(), "licensing")
    calls = counted.count  # the calls of one whole escalation
    refused = 0
    for n in range(1, calls + 1):
        world = World()
        faults = Faults()
        workflow = _faulty_workflow(world, faults)
        post_id = world.post()
        faults.fail_at = n
        try:
            workflow.escalate(world.alice.id, post_id, "licensing")
        except OSError:
            refused += 1
        faults.fail_at = 0
        record, _ = workflow.escalate(world.alice.id, post_id, "licensing")
        bot = world.env.bot_user_id
        live = [
            p.id
            for p in world.host.posts.values()
            if p.user_id == bot and not p.root_id and not p.delete_at
        ]
        assert not record.pending and live == [record.escalation_post_id], n
    # The calls up to the record reach the caller; a failed read that only saves a later check
    # and the side effects after the record (best effort) do not.
    assert calls > refused > 5, (calls, refused)
