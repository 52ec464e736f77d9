"""The gate's part of escalate's first round of reads: whether the user is in the team is read
only when the rules ask, and ``check_allowed`` decides on what the caller read without reading
again."""

from __future__ import annotations

from dataclasses import replace

import pytest

from app.fakes import FakeHost
from escalations.app.domain.errors import NotAllowedToEscalate
from escalations.app.domain.kv import MemoryKV
from escalations.app.workflow.gate import WHO_EVERYONE, Gate, Rules

RULES = Rules(team_id="t" * 26, team_name="private-core", per_hour=3)


class Asked(FakeHost):
    """Records which team memberships were asked about."""

    def __init__(self) -> None:
        super().__init__()
        self.asked: list[tuple[str, str]] = []

    def is_team_member(self, team_id: str, user_id: str) -> bool:
        self.asked.append((team_id, user_id))
        return super().is_team_member(team_id, user_id)


def test_team_membership_is_read_only_when_the_rules_ask() -> None:
    host = Asked()
    gate = Gate(host, MemoryKV())
    member, outsider = host.add_user("member"), host.add_user("outsider")
    host.outsiders.add(outsider.id)
    assert gate.team_member(RULES, member.id) is True
    assert gate.team_member(RULES, outsider.id) is False
    assert gate.team_member(replace(RULES, who=WHO_EVERYONE), member.id) is None
    assert host.asked == [(RULES.team_id, member.id), (RULES.team_id, outsider.id)]


class NoReads(FakeHost):
    """A host that fails the test if anyone looks a user or a membership up."""

    def get_user(self, user_id: str) -> None:
        raise AssertionError("read again")

    def is_team_member(self, team_id: str, user_id: str) -> bool:
        raise AssertionError("read again")


def test_check_allowed_decides_on_what_the_caller_read() -> None:
    host = FakeHost()
    member, outsider = host.add_user("member"), host.add_user("outsider")
    gate = Gate(NoReads(), MemoryKV())
    assert gate.check_allowed(RULES, member.id, (member, True)) == member
    with pytest.raises(NotAllowedToEscalate, match="private-core team"):
        gate.check_allowed(RULES, outsider.id, (outsider, False))
    with pytest.raises(NotAllowedToEscalate, match="cannot escalate"):
        gate.check_allowed(RULES, "x" * 26, (None, None))


def test_a_membership_the_caller_did_not_read_is_looked_up() -> None:
    host = FakeHost()
    outsider = host.add_user("outsider")
    host.outsiders.add(outsider.id)
    gate = Gate(host, MemoryKV())
    with pytest.raises(NotAllowedToEscalate, match="private-core team"):
        gate.check_allowed(RULES, outsider.id, (outsider, None))
