"""The ``/escalation`` sub-commands come from one table: help, dispatch and the admin gate."""

from __future__ import annotations

import pytest

from app.test_ownership import World
from escalations.app.domain.errors import HostError
from escalations.app.presentation import commands
from escalations.app.views import sentences
from escalations.app.workflow.activation import PolicyStatus
from escalations.runtime.models import CommandArgs


class RecordingAdminOps:
    def __init__(self) -> None:
        self.calls: list[str] = []

    def repin(self, username: str) -> str:
        self.calls.append(f"repin {username}")
        return f"repinned {username}"

    def adopt_channel(self) -> str:
        self.calls.append("adopt")
        return "adopted"

    def forget_channel(self) -> str:
        self.calls.append("forget")
        return "forgotten"


@pytest.fixture
def world() -> World:
    return World()


def run(world: World, ops: RecordingAdminOps, user_id: str, text: str) -> str:
    ctx = commands.CommandContext(world.workflow, world.host, PolicyStatus, world.clock.now_ms, ops)
    return commands.execute(ctx, CommandArgs(command=text, user_id=user_id)).text


def test_help_lists_every_sub_command_once_with_admins_last() -> None:
    lines = commands.HELP.splitlines()
    admins_at = lines.index("System admins only:")
    for sub in commands.SUBCOMMANDS:
        usage = f"/escalation {sub.words} {sub.usage}".rstrip()
        found = [i for i, line in enumerate(lines) if line.startswith(f"- `{usage}`: ")]
        assert len(found) == 1, sub.words
        assert (found[0] > admins_at) is sub.admin, sub.words
    assert len({s.words for s in commands.SUBCOMMANDS}) == len(commands.SUBCOMMANDS)


@pytest.mark.parametrize("text", ["/escalation", "/escalation help", "/escalation HELP"])
def test_help(world: World, text: str) -> None:
    assert run(world, RecordingAdminOps(), world.alice.id, text) == commands.HELP


def test_the_longest_match_wins_and_words_are_case_insensitive(world: World) -> None:
    tips = sentences.tips_text(world.workflow.active_policy().policy)
    assert run(world, RecordingAdminOps(), world.alice.id, "/escalation Help Tips") == tips


@pytest.mark.parametrize(
    "text",
    [
        "/escalation show",  # needs a reference
        "/escalation show a b",
        "/escalation mine please",
        "/escalation new",
        "/escalation policy repin",
        "/escalation channel",
        "/escalation channel adopt now",
        "/escalation frobnicate",
    ],
)
def test_wrong_arity_or_unknown_words_get_the_help(world: World, text: str) -> None:
    ops = RecordingAdminOps()
    answer = run(world, ops, world.alice.id, text)
    assert answer.startswith("Unknown or incomplete command.") and commands.HELP in answer
    assert ops.calls == []


@pytest.mark.parametrize(
    ("text", "call", "answer"),
    [
        ("/escalation policy repin jason.blais", "repin jason.blais", "repinned jason.blais"),
        ("/escalation channel adopt", "adopt", "adopted"),
        ("/escalation channel forget", "forget", "forgotten"),
    ],
)
def test_admin_sub_commands_run_only_for_system_admins(
    world: World, text: str, call: str, answer: str
) -> None:
    ops = RecordingAdminOps()
    assert run(world, ops, world.alice.id, text) == commands.ADMINS_ONLY
    assert ops.calls == []
    world.host.admins.add(world.alice.id)
    assert run(world, ops, world.alice.id, text) == answer
    assert ops.calls == [call]


def test_a_failing_server_call_is_answered_not_raised(world: World) -> None:
    def down(user_id: str) -> bool:
        raise HostError("GetUser: connection refused")

    world.host.is_system_admin = down  # type: ignore[method-assign]
    answer = run(world, RecordingAdminOps(), world.alice.id, "/escalation channel adopt")
    assert answer == "Something went wrong; please try again."
