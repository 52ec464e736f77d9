"""What one escalation reads: each read is made once, whichever round made it. A value read in
escalate's first round (the escalator, their rate count) and handed on is not read again by
the step that uses it."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any

from app.test_service import World
from escalations.app.domain import keys
from escalations.app.workflow.gate import Gate
from escalations.app.workflow.service import Workflow
from escalations.app.workflow.store import KVStore


class Counted:
    """A proxy counting the calls of its target's public methods (by name, and KV reads by key)
    and keeping each call's arguments."""

    def __init__(self, target: object) -> None:
        self._target = target
        self.calls: Counter[str] = Counter()
        self.reads: Counter[str] = Counter()
        self.log: list[tuple[str, tuple[Any, ...]]] = []

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._target, name)
        if name.startswith("_") or not callable(attr):
            return attr

        def call(*args: Any, **kwargs: Any) -> Any:
            self.calls[name] += 1
            self.log.append((name, args))
            if name == "get" and args:
                self.reads[str(args[0])] += 1
            return attr(*args, **kwargs)

        return call

    def args_of(self, name: str) -> list[tuple[Any, ...]]:
        """The positional arguments of every call of ``name``, in order."""
        return [args for called, args in self.log if called == name]


def _escalated(world: World) -> tuple[Counted, Counted, str]:
    host, kv = Counted(world.host), Counted(world.kv)
    make: Callable[[], Workflow] = lambda: Workflow(  # noqa: E731
        KVStore(kv),
        host,
        lambda: world.activated.environment,
        lambda: world.activated.policy,
        gate=Gate(host, kv),
    )
    post = world.post()
    host.calls.clear()
    kv.reads.clear()
    record, created = make().escalate(world.alice.id, post, "licensing")
    assert created and not record.pending
    return host, kv, world.alice.id


def test_an_escalation_reads_the_escalator_and_the_post_once() -> None:
    host, _, _ = _escalated(World())
    assert host.calls["get_user"] == 1
    assert host.calls["get_post"] == 1
    assert host.calls["get_channel"] == 1
    assert host.calls["is_team_member"] == 1


def test_an_escalation_reads_the_rate_count_once() -> None:
    _, kv, alice = _escalated(World())
    assert kv.reads[keys.rate(alice)] == 1
