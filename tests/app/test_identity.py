"""Pins and the channel rules, in-process over the fake host and the in-memory KV."""

from __future__ import annotations

import threading
from dataclasses import replace

from app.fakes import FakeHost
from escalations.app.domain import identity
from escalations.app.domain.kv import MemoryKV
from escalations.app.workflow import channel
from escalations.app.workflow.activation import Settings


def test_a_name_is_pinned_to_its_first_account() -> None:
    host, kv = FakeHost(), MemoryKV()
    first = host.add_user("pat")
    assert identity.resolve(host, kv, ["pat"]).accounts["pat"].user_id == first.id
    host.users[first.id] = replace(first, username="pat.renamed")
    taker = host.add_user("pat")
    found = identity.resolve(host, kv, ["Pat"])
    assert found.accounts["pat"].user_id == first.id
    assert found.accounts["pat"].username == "pat.renamed"
    assert any("repin pat" in p for p in found.problems)
    assert "now pinned" in identity.repin(host, kv, "@pat")
    assert identity.resolve(host, kv, ["pat"]).accounts["pat"].user_id == taker.id


def test_a_name_without_an_account_is_pinned_to_nobody() -> None:
    host, kv = FakeHost(), MemoryKV()
    assert identity.resolve(host, kv, ["late"]).problems == ("@late: unknown user",)
    host.add_user("late")
    found = identity.resolve(host, kv, ["late"])
    assert "late" not in found.accounts
    assert "registered after the policy named it" in found.problems[0]


def test_deactivated_accounts_are_not_pinned_and_not_used() -> None:
    host, kv = FakeHost(), MemoryKV()
    host.add_user("gone", active=False)
    assert identity.resolve(host, kv, ["gone"]).problems == ("@gone: deactivated user",)
    assert "No active account" in identity.repin(host, kv, "gone")


def test_nodes_resolving_at_once_pin_the_same_account() -> None:
    host, kv = FakeHost(), MemoryKV()
    host.add_user("sam")
    barrier, seen = threading.Barrier(4), []

    def node() -> None:
        barrier.wait()
        seen.append(identity.resolve(host, kv, ["sam"]).accounts["sam"].user_id)

    threads = [threading.Thread(target=node) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(set(seen)) == 1


def test_channel_rules() -> None:
    host, kv = FakeHost(), MemoryKV()
    team = host.add_team("core")
    bot = host.add_user("bot")
    squatter = host.add_user("squatter")
    host.add_channel(team, "open-squat")
    assert channel.locate(host, kv, team, "open-squat", bot.id).channel is None
    assert "make it private first" in channel.adopt(host, kv, team, "open-squat")
    assert kv.list_keys(0, 100) == []  # nothing stored for a refused channel

    private = host.add_channel(team, "private-squat", "P")
    host.channels[private.id] = replace(private, creator_id=squatter.id)
    refused = channel.locate(host, kv, team, "private-squat", bot.id)
    assert refused.channel is None and "/escalation channel adopt" in refused.problems[0]
    channel.adopt(host, kv, team, "private-squat")
    assert (
        channel.locate(host, kv, team, "private-squat", bot.id).channel == host.channels[private.id]
    )

    made = channel.locate(host, kv, team, "fresh", bot.id).channel
    assert made is not None and made.creator_id == bot.id and made.type == "P"
    host.channels[made.id] = replace(made, name="fresh-renamed")
    again = channel.locate(host, kv, team, "fresh", bot.id)
    assert again.channel is not None and again.channel.id == made.id
    assert "renamed to ~fresh-renamed" in again.problems[0]


def test_settings_read_the_allow_list_and_keep_flag() -> None:
    settings = Settings.from_config(
        {"channelallowlist": " @Pat, sam;pat  lee", "keepunlistedmembers": True}
    )
    assert settings.allow_list == ("pat", "sam", "lee") and settings.keep_unlisted
    assert not Settings.from_config({"KeepUnlistedMembers": "false"}).keep_unlisted
