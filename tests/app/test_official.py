"""Official responses in-process over the fake host and the in-memory KV: the response history
(idempotent, bounded, nothing lost under concurrent appends), templates (compare-and-set, who may
propose and approve, by user id), placeholders (no format-string injection) and the layering over
the policy's templates."""

from __future__ import annotations

import threading
from dataclasses import replace

import pytest

from app.fakes import FakeHost
from escalations.app.domain import keys
from escalations.app.domain.errors import (
    AlreadyResolved,
    InvalidRequest,
    NotAnApprover,
    NotAResponder,
    NothingProposed,
    TopicNotFound,
)
from escalations.app.domain.kv import MemoryKV
from escalations.app.views import render
from escalations.app.workflow.activation import Activated, Activator, Settings
from escalations.app.workflow.official import OfficialResponses
from escalations.app.workflow.responses import RESPONSES_KEPT, ResponseEntry, ResponseLog
from escalations.app.workflow.service import Workflow
from escalations.app.workflow.store import KVStore
from escalations.app.workflow.templates import PROPOSED, TemplateBook, TopicTemplate, fill

PEOPLE = "jason.blais ian.tien katie.wiersgalla nirosha.ruwan corey.hulen".split()


class World:
    def __init__(self, approvers: tuple[str, ...] = ("Lead PM",)) -> None:
        self.host = FakeHost()
        self.kv = MemoryKV()
        self.people = {name: self.host.add_user(name) for name in PEOPLE}
        self.alice = self.host.add_user("alice")
        self.admin = self.host.add_user("root")
        self.host.admins.add(self.admin.id)
        self.team = self.host.add_team("private-core")
        self.town = self.host.add_channel(self.team, "town-square")
        settings = Settings(team_name="private-core", template_approvers=approvers)
        self.activated: Activated = Activator(self.host, self.kv).activate(settings, None)
        self.book, self.log = TemplateBook(self.kv), ResponseLog(self.kv)
        self.clock = 1_700_000_000_000
        self.workflow = Workflow(
            KVStore(self.kv),
            self.host,
            lambda: self.activated.environment,
            lambda: self.activated.policy,
            lambda: self.clock,
            book=self.book,
            responses=self.log,
        )
        self.official = OfficialResponses(
            self.workflow, self.host, self.book, self.log, lambda: self.activated.environment,
            lambda: self.clock,
        )  # fmt: skip

    def uid(self, name: str) -> str:
        return self.people[name].id

    def resolved(self, message: str, response: str, topic: str = "licensing") -> str:
        post = self.host.add_post(self.town, self.alice, message).id
        record, _ = self.workflow.escalate(self.alice.id, post, topic)
        self.clock += 1000
        self.workflow.resolve(self.uid("jason.blais"), record.id, "responded", response)
        return record.id


@pytest.fixture
def world() -> World:
    return World()


def entry(n: int) -> ResponseEntry:
    return ResponseEntry(f"esc{n}", "u1", n, f"answer {n}", f"https://mm/pl/{n}")


def test_the_history_is_idempotent_bounded_and_newest_first() -> None:
    log = ResponseLog(MemoryKV())
    for n in range(RESPONSES_KEPT + 5):
        log.add("licensing", entry(n))
        log.add("licensing", entry(n))  # a retry
    found = log.newest_first("licensing")
    assert len(found) == RESPONSES_KEPT
    assert (
        found[0].escalation_id == f"esc{RESPONSES_KEPT + 4}" and found[-1].escalation_id == "esc5"
    )
    assert log.newest_first("packaging") == []


def test_concurrent_appends_lose_nothing() -> None:
    log = ResponseLog(MemoryKV())
    threads = [threading.Thread(target=log.add, args=("t", entry(n))) for n in range(24)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(e.escalation_id for e in log.newest_first("t")) == sorted(
        f"esc{n}" for n in range(24)
    )


def test_concurrent_template_changes_keep_every_event() -> None:
    book = TemplateBook(MemoryKV())

    def propose(n: int) -> None:
        topic = "a" if n % 2 else "b"
        book.change(topic, lambda s: s.with_event(PROPOSED, f"u{n}", f"user{n}", n))

    threads = [threading.Thread(target=propose, args=(n,)) for n in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(book.get("a").events) == 10 and len(book.get("b").events) == 10


def test_resolve_writes_the_history_once_even_when_retried(world: World) -> None:
    esc_id = world.resolved("q", "https://forum.example.com/t/1")
    with pytest.raises(AlreadyResolved):
        world.workflow.resolve(world.uid("jason.blais"), esc_id, "responded", "again")
    [only] = world.log.newest_first("licensing")
    assert only.escalation_id == esc_id and only.user_id == world.uid("jason.blais")
    assert only.response == "https://forum.example.com/t/1"


def test_a_lost_history_write_is_made_up_by_the_retry(world: World) -> None:
    esc_id = world.resolved("q", "the answer")
    world.kv.delete(keys.responses("licensing"))  # the append after the resolve never landed
    with pytest.raises(AlreadyResolved):
        world.workflow.resolve(world.uid("jason.blais"), esc_id, "responded", "the answer")
    assert [e.escalation_id for e in world.log.newest_first("licensing")] == [esc_id]


def test_no_response_needed_is_not_history(world: World) -> None:
    post = world.host.add_post(world.town, world.alice, "q").id
    record, _ = world.workflow.escalate(world.alice.id, post, "licensing")
    world.workflow.resolve(world.uid("jason.blais"), record.id, "no_response_needed")
    assert world.log.newest_first("licensing") == []


def test_reading_the_history_needs_the_policy_people(world: World) -> None:
    world.resolved("q", "answer")
    with pytest.raises(NotAResponder):
        world.official.responses(world.alice.id, "licensing")
    topic, answers = world.official.responses(world.uid("corey.hulen"), "licensing")
    assert topic.key == "licensing" and answers[0].username == "jason.blais"
    with pytest.raises(TopicNotFound):
        world.official.responses(world.admin.id, "nope")


def test_the_answerer_is_named_as_they_are_called_now(world: World) -> None:
    world.resolved("q", "answer")
    jason = world.people["jason.blais"]
    world.host.users[jason.id] = replace(jason, username="jason.renamed")
    _, [answer] = world.official.responses(world.admin.id, "licensing")
    assert answer.username == "jason.renamed"


def test_only_the_topics_responders_propose(world: World) -> None:
    with pytest.raises(NotAResponder):
        world.official.propose(world.uid("katie.wiersgalla"), "licensing", "text")
    with pytest.raises(InvalidRequest):
        world.official.propose(world.uid("jason.blais"), "licensing", "1")  # no history yet
    with pytest.raises(InvalidRequest):
        world.official.propose(world.uid("jason.blais"), "licensing", "x" * 3001)
    view = world.official.propose(world.uid("jason.blais"), "licensing", "  Our answer  ")
    assert view.state.proposal is not None and view.state.proposal.text == "Our answer"


def test_approvers_are_admins_and_the_setting_roles_by_id(world: World) -> None:
    jason = world.uid("jason.blais")
    world.official.propose(jason, "licensing", "Our answer")
    with pytest.raises(NotAnApprover):
        world.official.approve(jason, "licensing")
    # Someone who takes the name of a Lead PM gets nothing: the role's pinned id decides.
    katie = world.people["katie.wiersgalla"]
    world.host.users[katie.id] = replace(katie, username="katie.w")
    impostor = world.host.add_user("katie.wiersgalla")
    with pytest.raises(NotAnApprover):
        world.official.approve(impostor.id, "licensing")
    view = world.official.approve(katie.id, "licensing")
    assert view.state.approved is not None and view.state.approved.text == "Our answer"
    assert view.state.approved.username == "katie.w" and view.state.proposed_by == "jason.blais"
    assert view.state.proposal is None
    with pytest.raises(NothingProposed):
        world.official.reject(world.admin.id, "licensing")


def test_without_the_setting_only_system_admins_approve() -> None:
    w = World(approvers=())
    w.official.propose(w.uid("jason.blais"), "licensing", "x")
    with pytest.raises(NotAnApprover):
        w.official.approve(w.uid("katie.wiersgalla"), "licensing")
    assert w.official.approve(w.admin.id, "licensing").state.approved is not None


def test_a_new_escalation_carries_the_approved_template_filled_in(world: World) -> None:
    world.official.propose(world.uid("jason.blais"), "licensing", "Hi {name}, see {link} {0} {x}")
    world.official.approve(world.admin.id, "licensing")
    post = world.host.add_post(world.town, world.alice, "q").id
    record, _ = world.workflow.escalate(world.alice.id, post, "licensing")
    assert record.template_response == f"Hi @alice, see {record.source_link} {{0}} {{x}}"
    assert record.template_approved_by == "root"
    message = world.host.posts[record.escalation_post_id].message
    assert "**Template:** Hi @\u200dalice, see" in message and "(approved by `@root`)" in message
    assert render.template_summary(record).endswith("(approved by `@root`)")
    topics = world.workflow.with_templates(world.workflow.active_policy()).to_api()["topics"]
    assert isinstance(topics, list)
    licensing = next(t for t in topics if t["key"] == "licensing")
    assert licensing["template_approved"] == {"by": "root", "at": world.clock}


def test_an_approved_template_cannot_forge_lines_or_mention(world: World) -> None:
    forged = "ok\n**Responders:** @channel\n![x](https://tracker.example/p.png)"
    world.official.propose(world.uid("jason.blais"), "licensing", forged)
    world.official.approve(world.admin.id, "licensing")
    post = world.host.add_post(world.town, world.alice, "q").id
    record, _ = world.workflow.escalate(world.alice.id, post, "licensing")
    message = world.host.posts[record.escalation_post_id].message
    assert message.count("**Responders:**") == 1 and "@channel" not in message
    assert "![x]" not in message


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        ("{name} {link}", "@bob https://x/pl/1"),
        ("{name.__class__} {0} {} {{name}}", "{name.__class__} {0} {} {@bob}"),
        ("{NAME} { name }", "{NAME} { name }"),
    ],
)
def test_placeholders_are_plain_substitution(template: str, expected: str) -> None:
    assert fill(template, name="@bob", link="https://x/pl/1") == expected


def test_a_value_is_never_expanded_again() -> None:
    assert fill("{name} {link}", name="{link}", link="L") == "{link} L"


def test_the_layering_leaves_other_topics_alone(world: World) -> None:
    book = {"licensing": TopicTemplate()}
    policy = world.workflow.active_policy()
    from escalations.app.workflow.templates import layered

    assert layered(policy, book) == policy


def test_the_policy_files_template_names_without_mentioning(world: World) -> None:
    policy = world.activated.policy
    topics = tuple(
        replace(t, template_response="Hello {name}, see {link}") if t.key == "licensing" else t
        for t in policy.topics
    )
    world.activated = replace(world.activated, policy=replace(policy, topics=topics))
    post = world.host.add_post(world.town, world.alice, "q").id
    record, _ = world.workflow.escalate(world.alice.id, post, "licensing")
    assert record.template_response == f"Hello @alice, see {record.source_link}"
    message = world.host.posts[record.escalation_post_id].message
    assert f"**Template:** Hello @\u200dalice, see {record.source_link}" in message
