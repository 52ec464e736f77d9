"""Ownership, the open index, reminders and the scheduler's lease, in-process over the fake host,
the in-memory KV and a fake clock (no emulator, no sleeping)."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest

from app.fakes import FakeHost
from escalations.app.domain import keys
from escalations.app.domain.errors import AlreadyClaimed, NotClaimed
from escalations.app.domain.kv import MemoryKV
from escalations.app.domain.model import RECORD_SCHEMA, Action, Escalation, Outcome, State
from escalations.app.presentation import commands
from escalations.app.workflow.activation import Activated, Activator, Settings
from escalations.app.workflow.reminders import Reminders, ScheduleSettings
from escalations.app.workflow.scheduler import Scheduler
from escalations.app.workflow.service import LIST_MINE, LIST_UNOWNED, Workflow
from escalations.app.workflow.store import KVStore
from escalations.runtime.models import CommandArgs

PEOPLE = "jason.blais ian.tien daniel.schalla nirosha.ruwan chen-i.lim katie.wiersgalla".split()
PEOPLE += "kendra.neidziejko corey.hulen chris.overton aneal.vallurupalli".split()
MINUTE = 60_000
DAY = 24 * 60 * MINUTE
SETTINGS = ScheduleSettings(ack_minutes=30, next_minutes=60, stale_days=3)


class Clock:
    def __init__(self) -> None:
        self.ms = 1_800_000_000_000

    def now_ms(self) -> int:
        return self.ms

    def seconds(self) -> float:
        return self.ms / 1000

    def advance(self, ms: int) -> None:
        self.ms += ms


class World:
    def __init__(self) -> None:
        self.clock = Clock()
        self.host = FakeHost()
        self.kv = MemoryKV(self.clock.seconds)
        self.people = {name: self.host.add_user(name) for name in PEOPLE}
        self.alice = self.host.add_user("alice")
        team = self.host.add_team("private-core")
        self.town = self.host.add_channel(team, "town-square")
        self.activated: Activated = Activator(self.host, self.kv).activate(
            Settings(team_name="private-core"), None
        )
        self.store = KVStore(self.kv)
        self.workflow = Workflow(
            self.store,
            self.host,
            lambda: self.activated.environment,
            lambda: self.activated.policy,
            self.clock.now_ms,
        )

    def uid(self, name: str) -> str:
        return self.people[name].id

    def escalate(self, topic: str = "licensing") -> Escalation:
        post = self.host.add_post(self.town, self.alice, "a question")
        record, _ = self.workflow.escalate(self.alice.id, post.id, topic)
        self.clock.advance(1)  # a distinct creation time each: the list's order is defined
        return record

    def dms(self, name: str) -> list[str]:
        user = self.alice if name == "alice" else self.people[name]
        return [p.message for p in self.host.direct_posts(user.id)]

    def thread(self, r: Escalation) -> list[str]:
        return [p.message for p in self.host.posts.values() if p.root_id == r.escalation_post_id]

    def scheduler(self, settings: ScheduleSettings = SETTINGS) -> Scheduler:
        reminders = Reminders(self.store, self.host, self.clock.now_ms)
        return Scheduler(
            self.kv,
            self.store,
            reminders,
            lambda: self.activated.environment,
            lambda: settings,
            self.clock.now_ms,
        )


@pytest.fixture
def world() -> World:
    return World()


# --- ownership ------------------------------------------------------------------------------


def show_as(world: World, username: str, ref: str) -> str:
    """``/escalation show <ref>`` as ``username`` sees it."""
    return commands._show(ctx(world), CommandArgs(command="", user_id=world.uid(username)), [ref])


def test_an_escalation_has_its_default_owner_from_the_start(world: World) -> None:
    r = world.escalate()
    assert r.owner == r.default_owner == "jason.blais"
    assert not r.acknowledged and r.state is State.OPEN and r.owner_since == r.created_at
    post = world.host.posts[r.escalation_post_id].message
    assert "Owner: `@jason.blais` (default, not acknowledged yet)" in post.splitlines()[0]
    shown = commands._show(
        ctx(world), CommandArgs(command="", user_id=world.uid("jason.blais")), [r.id]
    )
    assert "`@jason.blais` (the first approved responder, in the policy's order)" in shown
    assert [s.owner for s in world.store.list_open()] == ["jason.blais"]
    confirmation = world.host.ephemerals[-1][2]
    assert "/escalation mine" in confirmation and r.permalink not in confirmation


def test_claim_by_the_owner_acknowledges_and_tells_the_escalator(world: World) -> None:
    r = world.escalate()
    world.clock.advance(5 * MINUTE)
    claimed, changed = world.workflow.claim(world.uid("jason.blais"), r.id)
    assert changed and claimed.acknowledged and claimed.owner == "jason.blais"
    assert claimed.owner_since == r.owner_since  # same owner: the clock does not restart
    assert claimed.last_event is not None and claimed.last_event.what is Action.CLAIMED
    assert world.dms("alice") == [
        f"Your escalation of [this post]({r.source_link}) (Licensing) was acknowledged by "
        "@jason.blais, who owns it."
    ]
    assert world.dms("jason.blais") == []


def test_claim_by_another_takes_over_and_tells_the_previous_owner(world: World) -> None:
    r = world.escalate()
    world.clock.advance(MINUTE)
    took, _ = world.workflow.claim(world.uid("ian.tien"), r.id)
    assert took.owner == "ian.tien" and took.acknowledged and took.owner_since == world.clock.ms
    assert took.last_event is not None and took.last_event.detail == "jason.blais"
    assert "@ian.tien took over the Licensing escalation you owned" in world.dms("jason.blais")[0]
    assert "was taken over by @ian.tien" in world.dms("alice")[0]
    assert world.thread(took)[-1].startswith("`@ian.tien` took over this escalation from @jason")
    with pytest.raises(AlreadyClaimed):  # acknowledged: a claim is never won twice
        world.workflow.claim(world.uid("jason.blais"), r.id)


def test_assign_hands_over_and_release_returns_to_the_default_owner(world: World) -> None:
    r = world.escalate()
    jason, ian = world.uid("jason.blais"), world.uid("ian.tien")
    handed, _ = world.workflow.assign(jason, r.id, "ian.tien")
    assert handed.owner == "ian.tien" and not handed.acknowledged  # until ian.tien claims it
    assert world.dms("alice") == []
    acked, _ = world.workflow.claim(ian, r.id)
    assert acked.acknowledged and acked.last_event is not None
    assert acked.last_event.what is Action.CLAIMED
    world.clock.advance(MINUTE)
    released, _ = world.workflow.release(ian, r.id)
    assert released.owner == "jason.blais" and not released.acknowledged
    assert released.owner_since == world.clock.ms
    with pytest.raises(NotClaimed):
        world.workflow.release(ian, r.id)
    mine, _ = world.workflow.assign(jason, r.id, "jason.blais")
    assert mine.acknowledged and "acknowledged by @jason.blais" in world.dms("alice")[-1]


def test_resolve_responded_keeps_the_answer(world: World) -> None:
    r = world.escalate()
    answer = "https://forum.example.com/t/123 (cc @channel)"
    done, _ = world.workflow.resolve(world.uid("ian.tien"), r.id, "responded", answer)
    assert done.response == answer and done.resolved
    post = world.host.posts[r.escalation_post_id]
    # the link stays a link; the rest is made safe like any text people write (no mention)
    safe = "https://forum.example.com/t/123 \\(cc @\u200dchannel\\)"
    assert post.props["attachments"][0]["text"].endswith(f"\n**Response:** {safe}")
    assert "resolved by @ian.tien: responded" in world.dms("alice")[-1]
    assert "https://forum.example.com/t/123" in world.dms("alice")[-1]
    assert world.store.list_open() == []
    shown = commands._show(
        ctx(world), CommandArgs(command="", user_id=world.uid("ian.tien")), [r.id]
    )
    assert f"**Response:** {safe}" in shown
    other = world.escalate("product-gdpr")
    quiet, _ = world.workflow.resolve(
        world.uid("daniel.schalla"), other.id, "no_response_needed", "x"
    )
    assert quiet.response == ""


@pytest.mark.parametrize(
    "answer",
    [
        "[the answer](https://evil.example/x) @all",
        "https://forum.example.com/t/1)[x](https://evil.example) @channel",
        "javascript:alert(1) ![img](https://tracker.example/p.png)",
        "https://forum.example.com/@channel",
    ],
)
def test_a_response_cannot_link_elsewhere_or_mention(world: World, answer: str) -> None:
    r = world.escalate()
    world.workflow.resolve(world.uid("ian.tien"), r.id, "responded", answer)
    text = world.host.posts[r.escalation_post_id].props["attachments"][0]["text"]
    shown = text.split("**Response:** ", 1)[1]
    assert "](" not in shown  # no Markdown link or image
    assert "@all" not in shown and "@channel" not in shown  # only defused mentions
    assert "://evil" not in shown and "://tracker" not in shown


# --- migration ------------------------------------------------------------------------------


def _schema1(state: str, owner: str | None, events: list[dict[str, object]]) -> bytes:
    data = {
        "schema": 1, "id": "e1", "version": 4, "topic": "licensing", "topic_title": "Licensing",
        "state": state, "owner": owner, "default_owner": "jason.blais", "outcome": None,
        "post_id": "p", "escalation_post_id": "q" * 26, "permalink": "http://x/pl/q",
        "created_by": "alice", "created_by_id": "a", "created_at": 1000, "updated_at": 5000,
        "channel_id": "c", "note": "", "escalation_channel_id": "ch", "source_channel": "~town",
        "source_link": "", "excerpt": "", "responders": ["jason.blais", "ian.tien"],
        "loop_in": [], "template_response": None, "events": events,
    }  # fmt: skip
    return json.dumps(data).encode()


def test_schema_1_records_migrate_on_read() -> None:
    escalated = {"what": "escalated", "who": "alice", "when": 1000, "detail": ""}
    released = {"what": "released", "who": "ian.tien", "when": 4000, "detail": "ian.tien"}
    unowned = Escalation.from_json(_schema1("open", None, [escalated]))
    assert unowned.owner == "jason.blais" and not unowned.acknowledged
    assert unowned.owner_since == 1000 and unowned.version == 4
    back = Escalation.from_json(_schema1("open", None, [escalated, released]))
    assert back.owner == "jason.blais" and back.owner_since == 4000
    claimed = Escalation.from_json(_schema1("claimed", "ian.tien", [escalated]))
    assert claimed.owner == "ian.tien" and claimed.acknowledged
    assert json.loads(claimed.to_json())["schema"] == RECORD_SCHEMA


def test_a_schema_1_record_can_be_claimed_and_is_listed_after_repair(world: World) -> None:
    escalated = {"what": "escalated", "who": "alice", "when": 1000, "detail": ""}
    world.kv.compare_and_set(keys.escalation("e1"), None, _schema1("open", None, [escalated]))
    assert world.store.list_open() == []
    assert world.store.repair_index() == 1
    [listed] = world.store.list_open()
    assert listed.owner == "jason.blais" and not listed.acknowledged
    claimed = world.store.transition("e1", _claim("ian.tien", world.clock.ms))
    assert claimed.owner == "ian.tien" and claimed.version == 5
    assert world.store.list_open()[0].acknowledged


def _claim(who: str, now: int) -> Callable[[Escalation], Escalation]:
    from escalations.app.domain import transitions

    return transitions.claim(who, now)


# --- the open index and /escalation list ----------------------------------------------------


class _NoAdminOps:
    """The list commands never reach the system admins' operations."""

    def repin(self, username: str) -> str:
        raise AssertionError("not an admin command")

    def adopt_channel(self) -> str:
        raise AssertionError("not an admin command")

    def forget_channel(self) -> str:
        raise AssertionError("not an admin command")


def ctx(world: World) -> commands.CommandContext:
    from escalations.app.workflow.activation import PolicyStatus

    return commands.CommandContext(
        world.workflow, world.host, PolicyStatus, world.clock.now_ms, _NoAdminOps()
    )


def run(world: World, user: str, text: str) -> str:
    args = CommandArgs(command=text, user_id=world.uid(user))
    return commands.execute(ctx(world), args).text


def test_list_filters_and_pages(world: World) -> None:
    made = [world.escalate() for _ in range(27)] + [world.escalate("product-gdpr")]
    world.workflow.claim(world.uid("ian.tien"), made[0].id)
    assert len(world.workflow.list_open(world.uid("ian.tien"))) == 28
    assert [s.id for s in world.workflow.list_open(world.uid("ian.tien"), LIST_MINE)] == [
        made[0].id
    ]
    assert len(world.workflow.list_open(world.uid("ian.tien"), LIST_UNOWNED)) == 27
    gdpr = world.workflow.list_open(world.uid("ian.tien"), "", "product-gdpr")
    assert [s.owner for s in gdpr] == ["daniel.schalla"]
    first = run(world, "ian.tien", "/escalation list")
    assert "**Open escalations (28)**, page 1 of 2" in first
    assert "Next page: `/escalation list page 2`" in first
    assert first.count("\n- ") == 25
    second = run(world, "ian.tien", "/escalation list page 2")
    assert second.count("\n- ") == 3 and "Next page" not in second
    assert "owner `@daniel.schalla` (default, not acknowledged yet)" in second
    unowned = run(world, "ian.tien", "/escalation list unowned topic product-gdpr")
    assert "(1)" in unowned
    assert "Usage" in run(world, "ian.tien", "/escalation list page 0")
    assert "Usage" in run(world, "ian.tien", "/escalation list bogus")
    assert "Unknown topic" in run(world, "ian.tien", "/escalation list topic nope")


def test_list_reads_the_index_not_every_record(world: World) -> None:
    for _ in range(5):
        world.escalate()
    reads: list[str] = []
    real_get = world.kv.get

    def counting(key: str) -> bytes | None:
        reads.append(key)
        return real_get(key)

    world.kv.get = counting  # type: ignore[method-assign]  # counts the reads
    assert len(world.store.list_open()) == 5
    assert all(k.startswith("ce1:open:") for k in reads)


def test_index_survives_a_lost_update_and_older_versions(world: World) -> None:
    r = world.escalate()
    claimed, _ = world.workflow.claim(world.uid("jason.blais"), r.id)
    from escalations.app.workflow.index import OpenIndex

    index = OpenIndex(world.kv)
    index.record(r)  # an older version arriving late changes nothing
    assert world.store.list_open()[0].acknowledged
    for shard in range(8):
        world.kv.delete(keys.open_index(shard))
    assert world.store.list_open() == []
    assert world.store.repair_index() == 1
    assert world.store.list_open()[0].version == claimed.version


def test_mine_shows_what_i_escalated_without_private_details(world: World) -> None:
    r = world.escalate()
    other = world.escalate("product-gdpr")
    world.workflow.claim(world.uid("ian.tien"), r.id)
    world.workflow.resolve(world.uid("daniel.schalla"), other.id, "responded", "http://a/b")
    text = commands.execute(
        ctx(world), CommandArgs(command="/escalation mine", user_id=world.alice.id)
    ).text
    assert "**Your escalations (2)**, newest first:" in text
    assert "GDPR" in text.splitlines()[1] and "resolved by @daniel.schalla" in text
    assert "open, owner `@ian.tien`" in text
    assert r.permalink not in text and "a question" not in text
    assert "not escalated anything" in run(world, "ian.tien", "/escalation mine")


# --- reminders (fake clock) ------------------------------------------------------------------


def test_each_reminder_is_sent_once_at_its_time(world: World) -> None:
    r = world.escalate()
    node = world.scheduler()
    world.clock.advance(29 * MINUTE)
    assert node.tick() == 0
    world.clock.advance(MINUTE)
    assert node.tick() == 1
    assert node.tick() == 0
    [dm] = world.dms("jason.blais")
    assert "waits for you to acknowledge it (30 minutes so far)" in dm and r.permalink in dm
    world.clock.advance(60 * MINUTE)
    assert node.tick() == 1 and node.tick() == 0
    assert world.thread(r)[-1].startswith("@ian.tien: the owner `@jason.blais` has not acknow")
    world.clock.advance(3 * DAY)
    assert node.tick() == 1 and node.tick() == 0
    assert "has been open for 3 days" in world.dms("jason.blais")[-1]
    world.clock.advance(3 * DAY)
    assert node.tick() == 1 and node.tick() == 0
    assert world.thread(r)[-1].startswith("@jason.blais @ian.tien: this escalation has been open")
    stored = world.store.get(r.id)
    assert stored is not None and len(stored.reminders) == 4
    assert len(world.dms("jason.blais")) == 2


def test_acknowledging_stops_the_ownership_reminders_and_a_new_owner_restarts_them(
    world: World,
) -> None:
    r = world.escalate()
    node = world.scheduler(ScheduleSettings(ack_minutes=30, next_minutes=60, stale_days=0))
    world.workflow.claim(world.uid("jason.blais"), r.id)
    world.clock.advance(10 * 60 * MINUTE)
    assert node.tick() == 0
    world.workflow.assign(world.uid("jason.blais"), r.id, "ian.tien")
    world.clock.advance(30 * MINUTE)
    assert node.tick() == 1
    assert "waits for you" in world.dms("ian.tien")[0]
    world.clock.advance(60 * MINUTE)
    assert node.tick() == 1
    assert world.thread(r)[-1].startswith("@jason.blais: the owner `@ian.tien`")


def test_resolved_escalations_get_no_reminders(world: World) -> None:
    r = world.escalate()
    world.workflow.resolve(world.uid("jason.blais"), r.id, "no_response_needed")
    node = world.scheduler()
    world.clock.advance(10 * DAY)
    assert node.tick() == 0 and world.dms("jason.blais") == []


def test_zero_turns_a_reminder_off(world: World) -> None:
    world.escalate()
    node = world.scheduler(ScheduleSettings(ack_minutes=0, next_minutes=0, stale_days=0))
    world.clock.advance(100 * DAY)
    assert node.tick() == 0


def test_one_node_holds_the_lease_and_another_takes_over_when_it_lapses(world: World) -> None:
    r = world.escalate()
    first, second = world.scheduler(), world.scheduler()  # lease TTL: 3 ticks of 30 s
    assert first.tick() == 0 and second.tick() == 0  # nothing due; `first` holds the lease
    world.clock.advance(29 * MINUTE)
    assert first.tick() == 0  # renews
    world.clock.advance(MINUTE)
    assert second.tick() == 0  # due now, but `second` is not the holder
    # `first` dies here without a word: it never ticks again. Its lease lapses ...
    world.clock.advance(31_000)
    assert second.tick() == 1  # ... and `second` takes over and sends the due reminder
    assert len(world.dms("jason.blais")) == 1
    assert first.tick() == 0  # back from the dead: the lease is someone else's
    assert world.store.get(r.id) is not None


def test_two_sweeps_at_once_send_each_reminder_once(world: World) -> None:
    for _ in range(3):
        world.escalate()
    world.clock.advance(30 * MINUTE)
    reminders = [Reminders(world.store, world.host, world.clock.now_ms) for _ in range(2)]
    env = world.activated.environment
    assert env is not None
    sent = [rm.send_due(env, SETTINGS, lambda: True) for rm in reminders]
    assert sum(sent) == 3 and len(world.dms("jason.blais")) == 3


def test_reminder_settings_parse_and_fall_back() -> None:
    s = Settings.from_config({"remindernminutes": 5, "ReminderMinutes": "0.05", "StaleDays": -1})
    assert s.reminders.ack_minutes == 0.05 and s.reminders.stale_days == 3
    assert Settings.from_config({"NextResponderMinutes": "soon"}).reminders.next_minutes == 120


def test_resolved_escalations_past_retention_are_compacted_not_lost(world: World) -> None:
    old = world.escalate()
    world.workflow.claim(world.uid("jason.blais"), old.id)
    world.workflow.resolve(world.uid("jason.blais"), old.id, "responded", "http://forum/t/1")
    world.clock.advance(9 * DAY)
    recent = world.escalate()
    world.workflow.resolve(world.uid("jason.blais"), recent.id, "no_response_needed")
    still_open = world.escalate("product-gdpr")
    world.clock.advance(2 * DAY)
    node = world.scheduler(ScheduleSettings(stale_days=0, retention_days=10))
    node.tick()  # takes the lease: housekeeping runs
    kept = world.store.get(old.id)
    assert kept is not None and kept.compacted and kept.excerpt == "" and kept.note == ""
    assert [e.what for e in kept.events] == [Action.ESCALATED, Action.RESOLVED]
    assert (kept.response, kept.outcome, kept.owner) == (
        "http://forum/t/1",
        Outcome.RESPONDED,
        "jason.blais",
    )
    for kept in (world.store.get(recent.id), world.store.get(still_open.id)):
        assert kept is not None and not kept.compacted
    shown = commands._show(
        ctx(world), CommandArgs(command="", user_id=world.uid("jason.blais")), [old.id]
    )
    assert "Past the retention period" in shown
