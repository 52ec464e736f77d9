"""Direct messages through the real process boundary: the bot's direct channel with a person is
asked for once per process, however many messages follow."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from app.emu import World, start_world
from app.test_e2e_ownership_flow import direct_messages


@pytest.fixture(scope="module")
def world() -> Iterator[World]:
    w = start_world()
    try:
        yield w
    finally:
        w.host.stop()


def test_the_direct_channel_is_asked_for_once_per_person(world: World) -> None:
    claimer = world.uid("jason.blais")
    escalations = [world.escalate(world.post(f"q {i}").id, "licensing").json() for i in range(3)]
    before = world.host.api_calls("GetDirectChannel")
    for esc in escalations:  # each claim tells alice, who escalated, by direct message
        world.click(esc, "claim", claimer)
    asked = world.host.api_calls("GetDirectChannel") - before
    told = [m for m in direct_messages(world, world.alice.id) if "acknowledged" in m]
    assert len(told) == 3 and asked <= 1
