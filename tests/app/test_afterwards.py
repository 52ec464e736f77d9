"""Work owed after an answer (``afterwards.Afterwards``): it runs off the caller's thread, a
full queue pushes back instead of dropping, reads of derived data wait for it, and a button's
change is marked shown only after its reply went out."""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping
from typing import Any

import pytest

from app.test_button_answer import ManualLater
from app.test_service import World
from escalations.app.domain import keys
from escalations.app.domain.kv import KV
from escalations.app.workflow.afterwards import Afterwards
from escalations.app.workflow.service import Workflow
from escalations.app.workflow.store import KVStore


def test_a_call_runs_on_another_thread_and_settled_waits_for_it() -> None:
    after = Afterwards(workers=2)
    release, ran_on = threading.Event(), []

    def call() -> None:
        release.wait(5)
        ran_on.append(threading.current_thread())

    after.submit(call)  # returns at once although the call blocks
    assert ran_on == []
    assert not after.settled(0.05)
    release.set()
    assert after.settled(5)
    assert ran_on and ran_on[0] is not threading.current_thread()
    after.close(1)


def test_a_full_queue_runs_the_call_in_the_callers_thread() -> None:
    after = Afterwards(workers=1, max_pending=1)
    release = threading.Event()
    after.submit(lambda: release.wait(5))
    ran_on: list[threading.Thread] = []
    after.submit(lambda: ran_on.append(threading.current_thread()))
    assert ran_on == [threading.current_thread()]  # pushed back, not dropped
    release.set()
    assert after.settled(5)
    after.close(1)


def test_a_failing_call_is_logged_and_the_next_still_runs(caplog: pytest.LogCaptureFixture) -> None:
    after = Afterwards(workers=1)
    done = threading.Event()

    def boom() -> None:
        raise RuntimeError("boom")

    after.submit(boom)
    after.submit(done.set)
    assert done.wait(5) and after.settled(5)
    assert "work after an answer failed" in caplog.text
    after.close(1)


def test_without_workers_every_call_runs_at_once() -> None:
    after, ran = Afterwards(workers=0), []
    after.submit(lambda: ran.append(1))
    assert ran == [1] and after.settled(0)


def test_a_closed_pool_runs_late_calls_in_the_callers_thread() -> None:
    after, ran = Afterwards(workers=1), []
    after.close(1)
    after.submit(lambda: ran.append(threading.current_thread()))
    assert ran == [threading.current_thread()]


class SlowIndexKV:
    """A KV whose writes of the open index take a while (a busy server)."""

    def __init__(self, inner: KV) -> None:
        self._inner = inner

    def compare_and_set(self, key: str, old: bytes | None, new: bytes | None) -> bool:
        if key.startswith(keys.open_index(0)[:-1]):
            time.sleep(0.2)
        return self._inner.compare_and_set(key, old, new)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


def test_a_list_right_after_a_claim_shows_the_claim() -> None:
    world = World()
    after = Afterwards(workers=2)
    store = KVStore(SlowIndexKV(world.kv), afterwards=after)  # type: ignore[arg-type]
    workflow = _workflow(world, store, after, ManualLater())
    record, _ = workflow.escalate(world.alice.id, world.post(), "licensing")
    jason = world.uid("jason.blais")
    workflow.claim(jason, record.id, answer=True)
    listed = {s.id: s for s in store.list_open()}
    assert listed[record.id].acknowledged and listed[record.id].owner == "jason.blais"
    after.close(5)


def test_a_press_is_answered_before_its_reply_and_marked_shown_only_after() -> None:
    world = World()
    replying, release = threading.Event(), threading.Event()
    original = world.host.create_post

    def create_post(
        channel_id: str, user_id: str, message: str, props: Mapping[str, Any], root_id: str
    ) -> str:
        if root_id:  # the thread reply: the server is slow
            replying.set()
            release.wait(5)
        return original(channel_id, user_id, message, props, root_id)

    world.host.create_post = create_post  # type: ignore[method-assign]
    after, later = Afterwards(workers=2), ManualLater()
    workflow = _workflow(world, KVStore(world.kv, afterwards=after), after, later)
    record, _ = workflow.escalate(world.alice.id, world.post(), "licensing")
    after.settled(5)
    claimed, changed = workflow.claim(world.uid("jason.blais"), record.id, answer=True)
    assert changed and claimed.owner == "jason.blais"
    assert replying.wait(5)  # the answer came back while the reply is still being made
    replies = [p for p in world.host.posts.values() if p.root_id]
    assert replies == [] and later.waiting == []
    release.set()
    assert after.settled(5)
    assert [p.root_id for p in world.host.posts.values() if p.root_id] == [
        record.escalation_post_id
    ]
    stored = workflow.get(world.alice.id, record.id)
    assert stored.unannounced == claimed.version  # owed until the check after the answer
    later.run_all()
    assert workflow.get(world.alice.id, record.id).unannounced == 0
    after.close(5)


def _workflow(world: World, store: KVStore, after: Afterwards, later: ManualLater) -> Workflow:
    return Workflow(
        store,
        world.host,
        lambda: world.activated.environment,
        lambda: world.activated.policy,
        later=later,
        afterwards=after,
    )


def test_settled_waits_for_earlier_calls_only() -> None:
    after = Afterwards(workers=2)
    first, second = threading.Event(), threading.Event()
    after.submit(lambda: first.wait(5))
    waited: list[bool] = []
    reader = threading.Thread(target=lambda: waited.append(after.settled(5)))
    reader.start()
    time.sleep(0.05)
    after.submit(lambda: second.wait(5))  # submitted while the reader waits
    first.set()
    reader.join(5)
    assert waited == [True]  # the later call still runs; the reader did not wait for it
    second.set()
    assert after.settled(5)
    after.close(1)


def test_calls_of_one_key_run_in_order_others_beside_them() -> None:
    after = Afterwards(workers=3)
    first_started, release = threading.Event(), threading.Event()
    order: list[str] = []

    def slow_first() -> None:
        first_started.set()
        release.wait(5)
        order.append("a1")

    after.submit(slow_first, key="a")
    assert first_started.wait(5)
    after.submit(lambda: order.append("a2"), key="a")  # waits for a1, though a worker is free
    other = threading.Event()

    def b1() -> None:
        order.append("b1")
        other.set()

    after.submit(b1, key="b")
    assert other.wait(5)  # another key is not held up
    time.sleep(0.05)
    assert order == ["b1"]
    release.set()
    assert after.settled(5)
    assert order == ["b1", "a1", "a2"]
    after.close(1)


class FrozenClock:
    """A clock that moves only when someone sleeps; the sleeps are recorded."""

    def __init__(self) -> None:
        self.now = 100.0
        self.slept: list[float] = []
        self.lock = threading.Lock()

    def __call__(self) -> float:
        with self.lock:
            return self.now

    def sleep(self, seconds: float) -> None:
        with self.lock:
            self.slept.append(round(seconds, 6))
            self.now += seconds


def test_a_call_starts_the_grace_after_it_was_submitted() -> None:
    clock = FrozenClock()
    after = Afterwards(workers=1, grace=0.25, clock=clock, sleep=clock.sleep)
    ran_at: list[float] = []
    after.submit(lambda: ran_at.append(clock()))
    assert after.settled(5)
    assert clock.slept == [0.25] and ran_at == [100.25]
    after.close(1)


def test_a_call_that_waited_longer_than_the_grace_starts_at_once() -> None:
    clock = FrozenClock()
    after = Afterwards(workers=1, grace=0.25, clock=clock, sleep=clock.sleep)
    started, release = threading.Event(), threading.Event()

    def first() -> None:
        started.set()
        release.wait(5)

    after.submit(first, key="a")
    ran_at: list[float] = []
    after.submit(lambda: ran_at.append(clock()), key="a")  # queued behind the first
    assert started.wait(5)
    with clock.lock:
        clock.now += 1.0  # the first call holds the key for a second
    release.set()
    assert after.settled(5)
    assert clock.slept == [0.25] and ran_at == [101.25]  # no second wait
    after.close(1)


def test_without_workers_there_is_no_grace() -> None:
    clock = FrozenClock()
    after, ran = Afterwards(workers=0, grace=0.25, clock=clock, sleep=clock.sleep), []
    after.submit(lambda: ran.append(clock()))
    assert ran == [100.0] and clock.slept == []
