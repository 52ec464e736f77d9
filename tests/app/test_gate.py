"""Who may escalate and how often (``gate``), over the fake host and the in-memory KV."""

from __future__ import annotations

import threading
from dataclasses import replace

import pytest

from app.fakes import FakeHost
from escalations.app.domain import keys
from escalations.app.domain.errors import Busy, NotAllowedToEscalate, TooManyEscalations
from escalations.app.domain.kv import MemoryKV
from escalations.app.workflow.activation import Settings
from escalations.app.workflow.gate import MAX_PER_HOUR, WHO_EVERYONE, WINDOW_MS, Gate, Rules


class Clock:
    def __init__(self) -> None:
        self.ms = 1_800_000_000_000

    def __call__(self) -> int:
        return self.ms


Parts = tuple[FakeHost, MemoryKV, Clock, Gate]


@pytest.fixture
def parts() -> Parts:
    host, kv, clock = FakeHost(), MemoryKV(), Clock()
    return host, kv, clock, Gate(host, kv, clock)


RULES = Rules(team_id="t" * 26, team_name="private-core", per_hour=3)


def test_guests_never_escalate(parts: Parts) -> None:
    host, _, _, gate = parts
    guest = host.add_user("guest")
    host.users[guest.id] = replace(guest, is_guest=True)
    for rules in (RULES, replace(RULES, who=WHO_EVERYONE)):
        with pytest.raises(NotAllowedToEscalate, match="Guest"):
            gate.check_allowed(rules, guest.id)


def test_outside_the_team_only_when_everyone_may(parts: Parts) -> None:
    host, _, _, gate = parts
    outsider = host.add_user("outsider")
    host.outsiders.add(outsider.id)
    with pytest.raises(NotAllowedToEscalate, match="private-core team"):
        gate.check_allowed(RULES, outsider.id)
    gate.check_allowed(replace(RULES, who=WHO_EVERYONE), outsider.id)
    member = host.add_user("member")
    gate.check_allowed(RULES, member.id)


def test_system_admins_may_from_anywhere(parts: Parts) -> None:
    host, _, _, gate = parts
    admin = host.add_user("admin")
    host.outsiders.add(admin.id)
    with pytest.raises(NotAllowedToEscalate):  # outside the team, not (yet) an admin
        gate.check_allowed(RULES, admin.id)
    host.users[admin.id] = replace(admin, is_system_admin=True)
    allowed = gate.check_allowed(RULES, admin.id)  # allowed: no refusal raised
    assert allowed is not None and allowed.id == admin.id


def test_bots_and_deactivated_accounts_may_not(parts: Parts) -> None:
    host, _, _, gate = parts
    gone = host.add_user("gone", active=False)
    bot = host.add_user("bot")
    host.users[bot.id] = replace(bot, is_bot=True)
    for user_id in (gone.id, bot.id, "n" * 26):
        with pytest.raises(NotAllowedToEscalate):
            gate.check_allowed(RULES, user_id)


def test_rate_limit_refuses_with_the_wait_and_slides(parts: Parts) -> None:
    _, kv, clock, gate = parts
    for _ in range(3):
        gate.take(RULES, "u" * 26)
        clock.ms += 60_000
    with pytest.raises(TooManyEscalations, match="3 posts in the last hour.*57 minutes"):
        gate.take(RULES, "u" * 26)
    with pytest.raises(TooManyEscalations):
        gate.check_rate(RULES, "u" * 26)
    gate.take(RULES, "v" * 26)  # per user
    clock.ms += WINDOW_MS - 3 * 60_000 + 1  # the first one left the window
    gate.take(RULES, "u" * 26)
    with pytest.raises(TooManyEscalations, match="in 1 minute"):
        gate.take(RULES, "u" * 26)


def test_rate_limit_zero_is_off_and_refusals_store_nothing(parts: Parts) -> None:
    _, kv, _, gate = parts
    for _ in range(50):
        gate.take(replace(RULES, per_hour=0), "u" * 26)
    assert kv.get(keys.rate("u" * 26)) is None
    gate.take(replace(RULES, per_hour=1), "u" * 26)
    before = kv.get(keys.rate("u" * 26))
    with pytest.raises(TooManyEscalations):
        gate.take(replace(RULES, per_hour=1), "u" * 26)
    assert kv.get(keys.rate("u" * 26)) == before


def test_concurrent_takes_never_exceed_the_limit(parts: Parts) -> None:
    _, _, _, gate = parts
    allowed: list[bool] = []
    start = threading.Barrier(12)

    def one() -> None:
        start.wait()
        try:
            gate.take(RULES, "u" * 26)
            allowed.append(True)
        except Exception:
            allowed.append(False)

    threads = [threading.Thread(target=one) for _ in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert allowed.count(True) == 3


def test_stored_times_are_bounded_and_garbage_is_ignored(parts: Parts) -> None:
    _, kv, _, gate = parts
    kv.compare_and_set(keys.rate("u" * 26), None, b'{"not": "a list"}')
    gate.take(replace(RULES, per_hour=10**6), "u" * 26)
    for _ in range(MAX_PER_HOUR - 1):
        gate.take(replace(RULES, per_hour=10**6), "u" * 26)
    with pytest.raises(TooManyEscalations):
        gate.take(replace(RULES, per_hour=10**6), "u" * 26)
    assert len(kv.get(keys.rate("u" * 26)) or b"") < 20 * MAX_PER_HOUR


def test_settings_parse_who_and_limit() -> None:
    assert Settings.from_config({}).who_may_escalate == "team"
    assert Settings.from_config({}).escalations_per_hour == 10
    parsed = Settings.from_config({"whomayescalate": "Everyone", "escalationsperhour": "4"})
    assert (parsed.who_may_escalate, parsed.escalations_per_hour) == ("everyone", 4)
    odd = Settings.from_config({"WhoMayEscalate": "anyone-at-all", "EscalationsPerHour": -3})
    assert (odd.who_may_escalate, odd.escalations_per_hour) == ("team", 0)
    assert Settings.from_config({"EscalationsPerHour": 1e9}).escalations_per_hour == MAX_PER_HOUR
    assert Settings.from_config({"EscalationsPerHour": "inf"}).escalations_per_hour == 10
    assert Settings.from_config({"ExcerptMaxChars": 10**7}).excerpt_max_chars == 4000


def test_an_escalation_exactly_one_window_old_no_longer_counts(parts: Parts) -> None:
    host, _, clock, gate = parts
    user = host.add_user("busy")
    one = replace(RULES, per_hour=1)
    gate.take(one, user.id)
    clock.ms += WINDOW_MS - 1
    with pytest.raises(TooManyEscalations):
        gate.check_rate(one, user.id)
    clock.ms += 1
    gate.check_rate(one, user.id)
    gate.take(one, user.id)


def test_refusals_say_why_and_how_long_to_wait(parts: Parts) -> None:
    host, _, clock, gate = parts
    gone = host.add_user("gone", active=False)
    with pytest.raises(NotAllowedToEscalate) as inactive:
        gate.check_allowed(RULES, gone.id)
    assert inactive.value.public == "Your account cannot escalate posts."
    guest = host.add_user("guest")
    host.users[guest.id] = replace(guest, is_guest=True)
    with pytest.raises(NotAllowedToEscalate) as guested:
        gate.check_allowed(RULES, guest.id)
    assert guested.value.public == "Guest accounts cannot escalate posts."
    user = host.add_user("busy")
    one = replace(RULES, per_hour=1)
    gate.take(one, user.id)
    waits = {1: "60 minutes", WINDOW_MS - 60_000: "1 minute", WINDOW_MS - 60_001: "2 minutes"}
    start = clock.ms
    for after, wait in waits.items():
        clock.ms = start + after
        with pytest.raises(TooManyEscalations) as full:
            gate.check_rate(one, user.id)
        assert full.value.public == (
            f"You have escalated 1 posts in the last hour, the most allowed; you can escalate "
            f"again in {wait}. If this is urgent, contact an approved responder directly."
        )


def test_the_count_expires_with_the_window_and_contention_is_busy(parts: Parts) -> None:
    host, _, clock, _ = parts
    user = host.add_user("busy")

    class Recording(MemoryKV):
        ttls: list[int] = []
        refuse = False

        def compare_and_set(self, key, old, new, ttl_seconds=0):  # type: ignore[no-untyped-def]
            Recording.ttls.append(ttl_seconds)
            return (
                False if Recording.refuse else super().compare_and_set(key, old, new, ttl_seconds)
            )

    kv = Recording()
    gate = Gate(host, kv, clock)
    gate.take(RULES, user.id)
    assert Recording.ttls == [3600] and type(Recording.ttls[0]) is int  # the KV takes whole seconds
    Recording.refuse = True
    with pytest.raises(Busy) as caught:
        gate.take(RULES, user.id)
    assert caught.value.public == "Too many escalations at once; try again."


def test_an_outsider_is_told_who_may_escalate_and_garbage_counts_nothing(parts: Parts) -> None:
    _, kv, clock, _ = parts

    class Teams(FakeHost):
        asked: list[str] = []

        def is_team_member(self, team_id: str, user_id: str) -> bool:
            Teams.asked.append(team_id)
            return super().is_team_member(team_id, user_id)

    host = Teams()
    gate = Gate(host, kv, clock)
    outsider = host.add_user("outsider")
    host.outsiders.add(outsider.id)
    with pytest.raises(NotAllowedToEscalate) as caught:
        gate.check_allowed(RULES, outsider.id)
    assert Teams.asked == [RULES.team_id]
    assert caught.value.public == (
        "Only members of the private-core team can escalate posts; ask one of them or a moderator."
    )
    kv.compare_and_set(keys.rate(outsider.id), None, b"{not json")
    gate.check_rate(replace(RULES, per_hour=1), outsider.id)
    gate.take(replace(RULES, per_hour=1), outsider.id)


def test_a_count_read_earlier_is_used_once_and_a_stale_one_is_read_again(parts: Parts) -> None:
    host, kv, clock, _ = parts
    reads: list[str] = []

    class CountingKV(MemoryKV):
        def get(self, key: str) -> bytes | None:
            reads.append(key)
            return kv.get(key)

        def compare_and_set(
            self, key: str, old: bytes | None, new: bytes | None, ttl_seconds: int = 0
        ) -> bool:
            return kv.compare_and_set(key, old, new, ttl_seconds=ttl_seconds)

    gate, user = Gate(host, CountingKV(), clock), "u" * 26
    stale = gate.read_count(RULES, user)
    assert stale == ([], None)
    gate.take(RULES, user)  # another request counts meanwhile
    clock.ms += 1
    reads.clear()
    gate.take(RULES, user, stale)  # its compare-and-set fails: the fresh count decides
    assert len(reads) == 1
    fresh = gate.read_count(RULES, user)
    assert fresh is not None and len(fresh[0]) == 2
    clock.ms += 1
    reads.clear()
    gate.take(RULES, user, fresh)  # up to date: no read of its own
    assert reads == []
    full = gate.read_count(RULES, user)
    assert full is not None and len(full[0]) == 3
    with pytest.raises(TooManyEscalations):
        gate.take(RULES, user, full)
    assert gate.read_count(replace(RULES, per_hour=0), user) is None
    assert gate.read_count(replace(RULES, per_hour=1), user) == full  # a limit of one counts
