"""Who may be in the escalations channel, in-process: the join hook and the activation sweep.

The emulator suites drive the same rules through the real process boundary; here every branch is
pinned quickly: who stays, who is removed, who is told, in which words, and what a failed removal
reports."""

from __future__ import annotations

import logging
from dataclasses import replace

import pytest

from app.fakes import FakeHost
from escalations.app.domain.errors import HostError
from escalations.app.workflow import guard

CHANNEL = "escalations-channel-id"


class Host(FakeHost):
    """The fake host, recording who sent each ephemeral and the limit of each member listing."""

    def __init__(self) -> None:
        super().__init__()
        self.senders: list[str] = []
        self.limits: list[int] = []
        self.refuse_removal: set[str] = set()

    def send_ephemeral(self, user_id: str, channel_id: str, message: str, sender_id: str) -> None:
        self.senders.append(sender_id)
        super().send_ephemeral(user_id, channel_id, message, sender_id)

    def channel_member_ids(self, channel_id: str, limit: int) -> list[str]:
        self.limits.append(limit)
        return super().channel_member_ids(channel_id, limit)

    def remove_channel_member(self, channel_id: str, user_id: str) -> None:
        if user_id in self.refuse_removal:
            raise HostError("DeleteChannelMember: not allowed")
        super().remove_channel_member(channel_id, user_id)


Parts = tuple[Host, guard.Membership, dict[str, str]]


@pytest.fixture
def parts() -> Parts:
    host = Host()
    ids = {name: host.add_user(name).id for name in ("bot", "responder", "admin", "mallory", "eve")}
    host.admins.add(ids["admin"])
    membership = guard.Membership(
        CHANNEL, "community-escalations", ids["bot"], frozenset({ids["responder"]})
    )
    for user_id in ids.values():
        host.add_channel_member(CHANNEL, user_id)
    return host, membership, ids


def _members(host: Host) -> set[str]:
    return {u for (c, u) in host.members if c == CHANNEL}


def test_the_bot_the_policys_people_and_admins_belong(parts: Parts) -> None:
    host, m, ids = parts
    assert [guard.may_belong(host, m, ids[n]) for n in ("bot", "responder", "admin", "eve")] == [
        True,
        True,
        True,
        False,
    ]


def test_someone_added_by_another_is_removed_and_the_adder_told(
    parts: Parts, caplog: pytest.LogCaptureFixture
) -> None:
    host, m, ids = parts
    with caplog.at_level(logging.WARNING, logger="escalations.app.workflow.guard"):
        assert guard.on_join(host, m, ids["eve"], ids["mallory"]) is True
    assert ids["eve"] not in _members(host)
    assert host.ephemerals == [
        (
            ids["mallory"],
            CHANNEL,
            "@eve was removed from ~community-escalations: only the people the escalation policy "
            "names, system admins and the plugin's allow-list may be members.",
        )
    ]
    assert host.senders == [ids["bot"]]
    assert [r.getMessage() for r in caplog.records] == [
        f"removed {ids['eve']} from the escalations channel (added by {ids['mallory']})"
    ]


def test_an_unknown_account_is_named_that_person(parts: Parts) -> None:
    host, m, ids = parts
    ghost = "g" * 26
    host.add_channel_member(CHANNEL, ghost)
    assert guard.on_join(host, m, ghost, ids["mallory"]) is True
    assert host.ephemerals[0][2].startswith("That person was removed from ~community-escalations")


def test_someone_who_joined_by_themselves_is_removed_without_a_message(
    parts: Parts, caplog: pytest.LogCaptureFixture
) -> None:
    host, m, ids = parts
    with caplog.at_level(logging.WARNING, logger="escalations.app.workflow.guard"):
        assert guard.on_join(host, m, ids["eve"], "") is True
        assert guard.on_join(host, m, ids["mallory"], ids["mallory"]) is True
    assert not {ids["eve"], ids["mallory"]} & _members(host)
    assert host.ephemerals == []
    assert caplog.records[0].getMessage().endswith("(added by self)")


def test_a_member_who_belongs_stays_and_nobody_is_told(parts: Parts) -> None:
    host, m, ids = parts
    for name in ("bot", "responder", "admin"):
        assert guard.on_join(host, m, ids[name], ids["mallory"]) is False
    assert {ids["bot"], ids["responder"], ids["admin"]} <= _members(host)
    assert host.ephemerals == []


def test_the_sweep_removes_everyone_else_and_reports_what_failed(parts: Parts) -> None:
    host, m, ids = parts
    host.refuse_removal.add(ids["eve"])
    problems = guard.sweep(host, m)
    assert problems == (
        "could not remove a member the policy does not name (DeleteChannelMember: not allowed)",
    )
    # eve stays (the removal failed); mallory is removed all the same
    assert _members(host) == {ids["bot"], ids["responder"], ids["admin"], ids["eve"]}
    assert host.limits == [guard.SWEEP_LIMIT]
    assert host.ephemerals == []


def test_a_renamed_responder_still_belongs(parts: Parts) -> None:
    host, m, ids = parts
    host.users[ids["responder"]] = replace(host.users[ids["responder"]], username="someone.else")
    assert guard.sweep(host, m) == ()
    assert ids["responder"] in _members(host) and ids["admin"] in _members(host)
