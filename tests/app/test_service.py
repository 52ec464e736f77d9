"""The workflow's rules, in-process over a fake host and the in-memory KV (fast, no emulator)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any, NoReturn

import pytest

from app.fakes import FakeHost
from escalations.app.domain.active_policy import ActivePolicy
from escalations.app.domain.errors import (
    AlreadyClaimed,
    AlreadyResolved,
    CannotReadPost,
    EscalationNotFound,
    InvalidAssignee,
    NotAResponder,
    NotClaimed,
    NotConfigured,
    NotEscalatable,
    NoteTooLong,
    PostNotFound,
    TopicNotFound,
)
from escalations.app.domain.kv import MemoryKV
from escalations.app.domain.model import State
from escalations.app.domain.ports import ChannelRef
from escalations.app.views import render
from escalations.app.workflow.activation import Activated, Activator, Settings
from escalations.app.workflow.gate import Gate
from escalations.app.workflow.service import Environment, Workflow
from escalations.app.workflow.store import KVStore

ROOT = Path(__file__).resolve().parents[2]
OLDER = (ROOT / "policy" / "community-escalations.yaml").read_text()
PEOPLE = (
    "aneal.vallurupalli chandar.venkatamaran chris.overton daniel.schalla ian.tien jason.blais "
    "katie.wiersgalla ken.olofsen lindsay.brock natalie.jew chen-i.lim corey.hulen "
    "kendra.neidziejko nirosha.ruwan"
).split()


class World:
    def __init__(self, override: str = "") -> None:
        self.host = FakeHost()
        self.kv = MemoryKV()
        self.people = {name: self.host.add_user(name) for name in PEOPLE}
        self.alice = self.host.add_user("alice")
        self.mallory = self.host.add_user("mallory")
        self.team = self.host.add_team("private-core")
        self.town = self.host.add_channel(self.team, "town-square")
        self.secret = self.host.add_channel(self.team, "secret", "P")
        self.host.members.add((self.secret.id, self.alice.id))
        self._activated: Activated | None = self._activation(override, None)
        self.workflow = Workflow(
            KVStore(self.kv),
            self.host,
            lambda: self._activated.environment if self._activated else None,
            lambda: self._activated.policy if self._activated else None,
            gate=Gate(self.host, self.kv),
        )

    def activate(self, override: str = "") -> Activated:
        self.activated = self._activation(override, self.activated.policy)
        return self.activated

    def _activation(self, override: str, current: ActivePolicy | None) -> Activated:
        settings = Settings(team_name="private-core", policy_override=override)
        return Activator(self.host, self.kv).activate(settings, current)

    @property
    def activated(self) -> Activated:
        """The last activation (a test may set ``None``: no policy)."""
        assert self._activated is not None
        return self._activated

    @activated.setter
    def activated(self, value: Activated | None) -> None:
        self._activated = value

    @property
    def env(self) -> Environment:
        """The activated environment (these worlds are always configured)."""
        env = self.activated.environment
        assert env is not None, self.activated.status
        return env

    def uid(self, name: str) -> str:
        return self.people[name].id

    def post(self, message: str = "hello", channel: ChannelRef | None = None) -> str:
        return self.host.add_post(channel or self.town, self.alice, message).id


@pytest.fixture
def world() -> World:
    return World()


def test_activation_creates_private_channel_with_responders(world: World) -> None:
    env = world.activated.environment
    assert (
        env is not None and env.channel.type == "P" and env.channel.name == "community-escalations"
    )
    for name in ("jason.blais", "corey.hulen", "daniel.schalla", "kendra.neidziejko"):
        assert (env.channel.id, world.uid(name)) in world.host.members
    again = world.activate()
    assert again.environment is not None and again.environment.channel.id == env.channel.id
    assert world.host.commands == ["escalation", "escalation"]


def test_not_configured_without_team() -> None:
    w = World()
    w.activated = Activator(w.host, w.kv).activate(Settings(), None)
    with pytest.raises(NotConfigured):
        w.workflow.escalate(w.alice.id, w.post(), "licensing")
    assert w.activated.status.setup_problems


def test_escalate_newer_policy_routing(world: World) -> None:
    record, created = world.workflow.escalate(world.alice.id, world.post(), "product-gdpr", "pls")
    assert created and record.state is State.OPEN
    assert record.responders == ("daniel.schalla", "nirosha.ruwan", "chen-i.lim", "ian.tien")
    assert record.loop_in == ("katie.wiersgalla", "kendra.neidziejko")
    assert record.default_owner == "daniel.schalla"
    post = world.host.posts[record.escalation_post_id]
    assert post.user_id == world.env.bot_user_id
    assert "**cc:** @katie.wiersgalla (Lead PM) · @kendra.neidziejko (CFO)" in post.message
    assert post.message.count("@daniel.schalla") >= 1
    assert post.props[render.ESCALATION_PROP] == record.id
    assert record.permalink == f"http://mm.example.com/private-core/pl/{post.id}"
    assert world.host.ephemerals[-1][0] == world.alice.id
    assert world.host.events[-1][1]["state"] == "open"


def test_escalate_older_policy_routing() -> None:
    w = World(override=OLDER)
    assert w.activated.policy.origin == "override"
    record, _ = w.workflow.escalate(w.alice.id, w.post(), "illicit-use")
    assert record.responders == ("jason.blais", "ken.olofsen", "ian.tien")
    assert record.loop_in == ("aneal.vallurupalli",)
    assert record.default_owner == "jason.blais"


def test_unresolved_usernames_are_not_mentioned() -> None:
    w = World()
    w.host.users[w.uid("jason.blais")] = w.people["jason.blais"].__class__(
        w.uid("jason.blais"), "jason.blais", delete_at=5
    )
    w.activate()
    assert "@jason.blais: deactivated user" in w.activated.policy.unresolved
    record, _ = w.workflow.escalate(w.alice.id, w.post(), "privacy-telemetry")
    assert "jason.blais" not in record.responders
    assert record.default_owner == "katie.wiersgalla"


def test_escalate_refusals(world: World) -> None:
    wf = world.workflow
    with pytest.raises(TopicNotFound):
        wf.escalate(world.alice.id, world.post(), "nope")
    with pytest.raises(PostNotFound):
        wf.escalate(world.alice.id, "x" * 26, "licensing")
    with pytest.raises(NoteTooLong):
        wf.escalate(world.alice.id, world.post(), "licensing", "n" * 1001)
    private_post = world.post(channel=world.secret)
    before = len(world.host.posts)
    with pytest.raises(CannotReadPost):
        wf.escalate(world.mallory.id, private_post, "licensing")
    assert len(world.host.posts) == before
    record, _ = wf.escalate(world.alice.id, world.post(), "licensing")
    with pytest.raises(NotEscalatable):
        wf.escalate(world.uid("ian.tien"), record.escalation_post_id, "licensing")


def test_duplicate_returns_existing(world: World) -> None:
    post_id = world.post()
    first, created = world.workflow.escalate(world.alice.id, post_id, "licensing")
    again, created2 = world.workflow.escalate(world.alice.id, post_id, "licensing")
    assert created and not created2 and again.id == first.id
    other, created3 = world.workflow.escalate(world.alice.id, post_id, "packaging")
    assert created3 and other.id != first.id


def test_concurrent_duplicates_post_once(world: World) -> None:
    post_id = world.post()
    barrier = threading.Barrier(8)
    results = []

    def go() -> None:
        barrier.wait()
        results.append(world.workflow.escalate(world.alice.id, post_id, "licensing"))

    threads = [threading.Thread(target=go) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(created for _, created in results) == 1
    assert len({r.escalation_post_id for r, _ in results}) == 1
    bot = world.env.bot_user_id
    assert sum(1 for p in world.host.posts.values() if p.user_id == bot and not p.root_id) == 1


def test_claim_assign_release_resolve(world: World) -> None:
    wf = world.workflow
    record, _ = wf.escalate(world.alice.id, world.post("see 10.0.0.1"), "licensing")
    assert "[ip-address]" in world.host.posts[record.escalation_post_id].message
    jason, ian = world.uid("jason.blais"), world.uid("ian.tien")
    claimed, changed = wf.claim(jason, record.id)
    assert changed and claimed.owner == "jason.blais" and claimed.state is State.CLAIMED
    with pytest.raises(AlreadyClaimed, match="already claimed by @jason.blais"):
        wf.claim(ian, record.id)
    assigned, _ = wf.assign(ian, record.id, "ian.tien")
    assert assigned.owner == "ian.tien"
    with pytest.raises(InvalidAssignee):
        wf.assign(ian, record.id, "alice")
    released, _ = wf.release(ian, record.id)
    # Back with the default owner (the first approved responder), not acknowledged.
    assert released.state is State.OPEN and released.owner == "jason.blais"
    assert not released.acknowledged
    with pytest.raises(NotClaimed):
        wf.release(ian, record.id)
    resolved, _ = wf.resolve(jason, record.id, "no_response_needed")
    assert resolved.state is State.RESOLVED and resolved.outcome is not None
    assert resolved.outcome.value == "no_response_needed"
    with pytest.raises(AlreadyResolved):
        wf.claim(jason, record.id)
    whats = [e.what.value for e in resolved.events]
    assert whats == ["escalated", "claimed", "assigned", "released", "resolved"]
    replies = [p for p in world.host.posts.values() if p.root_id == record.escalation_post_id]
    assert len(replies) == 4
    assert any(
        "`@ian.tien` took this escalation. @jason.blais, it is no longer yours." in p.message
        for p in replies
    )
    final = world.host.posts[record.escalation_post_id]
    assert final.props["attachments"][0]["actions"] == []
    assert "\n" not in final.message
    outcome = final.props["attachments"][0]["text"]
    assert outcome == "**Outcome:** no response needed, by `@jason.blais`"


def test_non_responder_changes_nothing(world: World) -> None:
    wf = world.workflow
    record, _ = wf.escalate(world.alice.id, world.post(), "licensing")
    before = world.host.posts[record.escalation_post_id]
    acts: tuple[Callable[[], object], ...] = (
        lambda: wf.claim(world.mallory.id, record.id),
        lambda: wf.assign(world.mallory.id, record.id, "jason.blais"),
        lambda: wf.release(world.mallory.id, record.id),
        lambda: wf.resolve(world.mallory.id, record.id, "responded"),
    )
    for act in acts:
        with pytest.raises(NotAResponder):
            act()
    assert world.host.posts[record.escalation_post_id] == before
    assert len(wf.get(world.alice.id, record.id).events) == 1


def test_get_visibility(world: World) -> None:
    wf = world.workflow
    record, _ = wf.escalate(world.alice.id, world.post(), "licensing")
    assert wf.get(world.alice.id, record.id).id == record.id  # creator
    assert wf.get(world.uid("ian.tien"), record.id).id == record.id  # channel member
    with pytest.raises(EscalationNotFound):
        wf.get(world.mallory.id, record.id)
    with pytest.raises(EscalationNotFound):
        wf.get_for_action(record.id, "other-post")
    assert [r.id for r in wf.list_open(world.uid("ian.tien"))] == [record.id]
    with pytest.raises(NotAResponder):
        wf.list_open(world.mallory.id)


def test_invalid_override_keeps_last_good(world: World) -> None:
    older = world.activate(OLDER)
    assert older.policy.policy.version != "2020-community-response"
    kept = world.activate("topics: [nonsense")
    assert kept.policy.policy.version == older.policy.policy.version
    assert kept.status.rejected_override
    # after a restart (no policy in memory) the last good override comes from KV
    fresh = Activator(world.host, world.kv).activate(
        Settings(team_name="private-core", policy_override="nonsense: true"), None
    )
    assert fresh.policy.origin == "last good override"
    assert fresh.policy.policy.version == older.policy.policy.version


def test_stale_pending_reservation_is_taken_over(world: World) -> None:
    from escalations.app.domain.model import escalation_id
    from escalations.app.workflow.store import KVStore as _Store

    post_id = world.post()
    record, _ = world.workflow.escalate(world.alice.id, world.post(), "licensing")
    # a creator that died after reserving the pair, a minute ago, before posting:
    stale = replace(
        record,
        id=escalation_id(post_id, "licensing"),
        post_id=post_id,
        escalation_post_id="",
        created_at=record.created_at - 60_000,
        updated_at=record.updated_at - 60_000,
    )
    _Store(world.kv).create_if_absent(stale)
    taken, created = world.workflow.escalate(world.alice.id, post_id, "licensing")
    assert created and not taken.pending and taken.escalation_post_id in world.host.posts


def test_archived_channel_name_is_a_setup_problem() -> None:
    w = World()
    w.host.create_private_channel = _raise_exists  # type: ignore[method-assign]  # name taken
    activated = Activator(w.host, w.kv).activate(
        Settings(team_name="private-core", channel_name="taken-name"), None
    )
    assert activated.environment is None
    assert "cannot create the channel" in activated.status.setup_problems[0]


def _raise_exists(team_id: str, name: str, display_name: str, creator_id: str) -> NoReturn:
    from escalations.app.domain.errors import HostError

    raise HostError("CreateChannel: a channel with that name exists")


def test_excerpt_respects_the_setting() -> None:
    w = World()
    w.activated = Activator(w.host, w.kv).activate(
        Settings(team_name="private-core", excerpt_max_chars=12), None
    )
    record, _ = w.workflow.escalate(w.alice.id, w.post("abcdefghijklmnopqrstuvwxyz"), "licensing")
    assert record.excerpt == "abcdefghijk…"
    w.activated = Activator(w.host, w.kv).activate(
        Settings(team_name="private-core", excerpt_max_chars=0), None
    )
    quiet, _ = w.workflow.escalate(w.alice.id, w.post("nothing to quote"), "licensing")
    assert quiet.excerpt == "" and "> " not in w.host.posts[quiet.escalation_post_id].message


def test_nodes_activating_at_once_create_one_channel() -> None:
    w = World()
    for key in [k for k, c in w.host.channels.items() if c.name == "community-escalations"]:
        del w.host.channels[key]  # as on a fresh server
    w.kv = MemoryKV()  # a fresh server has no stored channel either
    created: list[str] = []
    original = w.host.create_private_channel

    def counting(team_id: str, name: str, display_name: str, creator_id: str) -> ChannelRef:
        created.append(name)
        return original(team_id, name, display_name, creator_id)

    w.host.create_private_channel = counting  # type: ignore[method-assign]  # counts the calls
    barrier = threading.Barrier(4)
    results = []

    def node() -> None:
        barrier.wait()
        results.append(Activator(w.host, w.kv).activate(Settings(team_name="private-core"), None))

    threads = [threading.Thread(target=node) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert created == ["community-escalations"]
    assert len({r.environment.channel.id for r in results if r.environment is not None}) == 1
    assert all(r.environment is not None for r in results)


def test_takeover_race_keeps_one_post(world: World) -> None:
    from escalations.app.domain.model import escalation_id
    from escalations.app.workflow.store import KVStore as _Store

    store = _Store(world.kv)
    post_id = world.post()
    record, _ = world.workflow.escalate(world.alice.id, world.post(), "licensing")
    stale = replace(
        record,
        id=escalation_id(post_id, "licensing"),
        post_id=post_id,
        escalation_post_id="",
        updated_at=record.updated_at - 60_000,
    )
    store.create_if_absent(stale)
    original = world.host.create_post

    def racing_create(
        channel_id: str, user_id: str, message: str, props: Mapping[str, Any], root_id: str
    ) -> str:
        mine = original(channel_id, user_id, message, props, root_id)
        if not root_id:  # another node finishes its takeover first
            store.transition(stale.id, lambda r: r.with_changes(1, escalation_post_id="theirs"))
        return mine

    world.host.create_post = racing_create  # type: ignore[method-assign]  # another node races
    result, _ = world.workflow.escalate(world.alice.id, post_id, "licensing")
    assert result.escalation_post_id == "theirs"
    ours = [
        p for p in world.host.posts.values() if p.props.get("community_escalation_id") == stale.id
    ]
    assert len(ours) == 1 and ours[0].delete_at


def test_template_response_is_shown_when_the_policy_has_one() -> None:
    import yaml

    data = yaml.safe_load((ROOT / "policy" / "community-response.yaml").read_text())
    for topic in data["topics"]:
        if topic["key"] == "licensing":
            topic["template_response"] = "Thanks for asking! Our licensing FAQ answers this."
    w = World(override=yaml.safe_dump(data, sort_keys=False))
    record, _ = w.workflow.escalate(w.alice.id, w.post(), "licensing")
    message = w.host.posts[record.escalation_post_id].message
    assert "**Template:** Thanks for asking! Our licensing FAQ answers this." in message
    topic = w.activated.policy.topic("licensing")
    assert topic is not None and str(topic.to_api()["template_response"]).startswith("Thanks")
