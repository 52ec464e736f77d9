"""A button's answer carries the post's new look, which the server applies after the plugin has
answered. Two changes in quick succession may have their answers applied in the wrong order; the
check a moment later (``Workflow.post_edit``) then shows the newest version."""

from __future__ import annotations

from collections.abc import Callable

from app.test_service import World
from escalations.app.workflow.later import Later
from escalations.app.workflow.service import Workflow
from escalations.app.workflow.store import KVStore


class ManualLater(Later):
    """Keeps the delayed calls until the test runs them."""

    def __init__(self) -> None:
        super().__init__(0.0)
        self.waiting: list[Callable[[], object]] = []

    def submit(self, call: Callable[[], object]) -> None:
        self.waiting.append(call)

    def run_all(self) -> None:
        calls, self.waiting = self.waiting, []
        for call in calls:
            call()


def workflow_with(world: World, later: Later) -> Workflow:
    return Workflow(
        KVStore(world.kv),
        world.host,
        lambda: world.activated.environment if world.activated else None,
        lambda: world.activated.policy if world.activated else None,
        later=later,
    )


def apply(world: World, post_id: str, edit: tuple[str, dict[str, object]]) -> None:
    """What the server does with an answer's ``update``."""
    post = world.host.posts[post_id]
    world.host.update_post(post_id, post.channel_id, post.user_id, *edit)


def test_an_older_answer_applied_last_is_replaced_by_the_newest_version() -> None:
    world, later = World(), ManualLater()
    workflow = workflow_with(world, later)
    record, _ = workflow.escalate(world.alice.id, world.post(), "licensing")
    post_id = record.escalation_post_id
    jason, ian = world.uid("jason.blais"), world.uid("ian.tien")
    posted = world.host.posts[post_id].message

    claimed, changed = workflow.claim(jason, record.id, answer=True)
    assert changed
    first = workflow.post_edit(claimed)
    assigned, changed = workflow.assign(ian, record.id, "ian.tien", answer=True)
    assert changed
    second = workflow.post_edit(assigned)
    assert world.host.posts[post_id].message == posted  # the plugin itself edited nothing

    apply(world, post_id, second)
    apply(world, post_id, first)  # the older answer lands last: the post shows a stale owner
    assert "`@jason.blais`" in world.host.posts[post_id].message.splitlines()[0]
    later.run_all()
    assert world.host.posts[post_id].message == second[0]


def test_the_check_leaves_an_up_to_date_post_alone() -> None:
    world, later = World(), ManualLater()
    workflow = workflow_with(world, later)
    record, _ = workflow.escalate(world.alice.id, world.post(), "licensing")
    claimed, _ = workflow.claim(world.uid("jason.blais"), record.id, answer=True)
    edit = workflow.post_edit(claimed)
    apply(world, record.escalation_post_id, edit)
    calls = world.host.calls
    later.run_all()
    assert world.host.calls == calls  # nothing newer: no edit
    assert world.host.posts[record.escalation_post_id].message == edit[0]
