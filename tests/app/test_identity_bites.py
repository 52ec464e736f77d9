"""Policy names to accounts: every answer ``resolve`` and ``repin`` give, word for word.

``test_identity.py`` walks the main story (pin, rename, repin); here each refusal and each race is
pinned on its own, because each one decides whether someone gets an approved responder's rights."""

from __future__ import annotations

from dataclasses import replace

from app.fakes import FakeHost
from escalations.app.domain import identity, keys
from escalations.app.domain.kv import MemoryKV

HINT = "; another account now holds the name: a system admin confirms it with "


def test_names_are_resolved_once_each_whatever_their_case() -> None:
    host, kv = FakeHost(), MemoryKV()
    pat, sam = host.add_user("pat"), host.add_user("sam")
    found = identity.resolve(host, kv, ["Pat", "pat", "SAM"])
    assert set(found.accounts) == {"pat", "sam"}
    assert found.accounts["pat"] == identity.Account("pat", pat.id, "pat")
    assert found.ids == frozenset({pat.id, sam.id})
    assert found.problems == ()
    assert kv.get(keys.pin("pat")) == pat.id.encode()


def test_a_pinned_account_that_is_gone() -> None:
    host, kv = FakeHost(), MemoryKV()
    pat = host.add_user("pat")
    identity.resolve(host, kv, ["pat"])
    del host.users[pat.id]
    found = identity.resolve(host, kv, ["pat"])
    assert found.accounts == {}
    assert found.problems == ("@pat: the account it was pinned to no longer exists",)
    taker = host.add_user("pat")
    found = identity.resolve(host, kv, ["pat"])
    assert found.accounts == {}
    assert found.problems == (
        f"@pat: the account it was pinned to no longer exists{HINT}`{identity.REPIN_COMMAND} pat`",
    )
    assert kv.get(keys.pin("pat")) == pat.id.encode() != taker.id.encode()


def test_a_pinned_account_deactivated_later_gives_no_rights() -> None:
    host, kv = FakeHost(), MemoryKV()
    pat = host.add_user("pat")
    identity.resolve(host, kv, ["pat"])
    host.users[pat.id] = replace(pat, delete_at=5)
    assert identity.resolve(host, kv, ["pat"]).problems == ("@pat: deactivated user",)
    assert identity.resolve(host, kv, ["pat"]).accounts == {}
    host.users[pat.id] = replace(pat, delete_at=5, username="old.pat")
    host.add_user("pat")
    found = identity.resolve(host, kv, ["pat"])
    assert found.accounts == {}
    assert found.problems == (f"@pat: deactivated user{HINT}`{identity.REPIN_COMMAND} pat`",)


def test_a_renamed_account_keeps_its_rights_and_says_so() -> None:
    host, kv = FakeHost(), MemoryKV()
    pat = host.add_user("pat")
    identity.resolve(host, kv, ["pat"])
    host.users[pat.id] = replace(pat, username="patricia")
    found = identity.resolve(host, kv, ["pat"])
    assert found.accounts["pat"] == identity.Account("pat", pat.id, "patricia")
    assert found.problems == ("@pat: renamed to @patricia (rights follow the account)",)


def test_bots_and_deactivated_holders_are_never_pinned() -> None:
    host, kv = FakeHost(), MemoryKV()
    bot = host.add_user("helper")
    host.users[bot.id] = replace(bot, is_bot=True)
    host.add_user("gone", active=False)
    found = identity.resolve(host, kv, ["helper", "gone", "nobody"])
    assert found.accounts == {}
    assert found.problems == (
        "@helper: deactivated user",
        "@gone: deactivated user",
        "@nobody: unknown user",
    )
    assert kv.get(keys.pin("helper")) is None and kv.get(keys.pin("gone")) is None
    assert kv.get(keys.pin("nobody")) == identity.UNCLAIMED


def test_the_registered_later_message_names_the_repin_command() -> None:
    host, kv = FakeHost(), MemoryKV()
    identity.resolve(host, kv, ["late"])
    host.add_user("late")
    assert identity.resolve(host, kv, ["late"]).problems == (
        "@late: the account was registered after the policy named it; a system admin confirms "
        f"it with `{identity.REPIN_COMMAND} late`",
    )


def test_a_node_losing_the_pin_race_uses_the_winners_pin() -> None:
    host = FakeHost()
    first, second = host.add_user("pat"), host.add_user("pat.other")

    class Racing(MemoryKV):
        def compare_and_set(
            self, key: str, old: bytes | None, new: bytes | None, ttl_seconds: int = 0
        ) -> bool:
            if key == keys.pin("pat") and old is None:  # another node pinned it first
                super().compare_and_set(key, None, first.id.encode())
            return super().compare_and_set(key, old, new, ttl_seconds)

    kv = Racing()
    host.users[first.id] = replace(first, username="pat.renamed")
    host.users[second.id] = replace(second, username="pat")
    found = identity.resolve(host, kv, ["pat"])
    assert found.accounts["pat"].user_id == first.id
    assert kv.get(keys.pin("pat")) == first.id.encode()


def test_no_id_lookup_when_nothing_is_pinned() -> None:
    class Counting(FakeHost):
        by_ids = 0

        def get_users_by_ids(self, user_ids):  # type: ignore[no-untyped-def]
            Counting.by_ids += 1
            return super().get_users_by_ids(user_ids)

    host = Counting()
    identity.resolve(host, MemoryKV(), ["nobody"])
    assert Counting.by_ids == 0
    host.add_user("pat")
    identity.resolve(host, MemoryKV(), ["pat"])
    assert Counting.by_ids == 1


# --- repin ---------------------------------------------------------------------------------------


def test_repin_answers() -> None:
    host, kv = FakeHost(), MemoryKV()
    pat = host.add_user("pat")
    assert identity.repin(host, kv, "  @Pat ") == (
        f"@pat is now pinned to the account that holds the name (`{pat.id}`)."
    )
    assert identity.repin(host, kv, "pat") == "@pat is already pinned to that account."
    assert identity.repin(host, kv, "") == "No active account is called @; nothing was changed."
    bot = host.add_user("helper")
    host.users[bot.id] = replace(bot, is_bot=True)
    assert identity.repin(host, kv, "helper") == (
        "No active account is called @helper; nothing was changed."
    )
    assert kv.get(keys.pin("helper")) is None


def test_repin_gives_up_when_the_pin_keeps_changing() -> None:
    class Changing(MemoryKV):
        attempts = 0

        def compare_and_set(
            self, key: str, old: bytes | None, new: bytes | None, ttl_seconds: int = 0
        ) -> bool:
            Changing.attempts += 1
            return False

    host = FakeHost()
    host.add_user("pat")
    assert identity.repin(host, Changing(), "pat") == "The pin changed meanwhile; try again."
    assert Changing.attempts == 3  # bounded: a system admin's command, not a loop


def test_repin_of_no_name_looks_nobody_up() -> None:
    class Counting(FakeHost):
        lookups = 0

        def get_users_by_usernames(self, usernames):  # type: ignore[no-untyped-def]
            Counting.lookups += 1
            return super().get_users_by_usernames(usernames)

    host = Counting()
    host.add_user("pat")
    assert identity.repin(host, MemoryKV(), " @ ") == (
        "No active account is called @; nothing was changed."
    )
    assert Counting.lookups == 0


def test_repin_replaces_an_unclaimed_pin() -> None:
    host, kv = FakeHost(), MemoryKV()
    identity.resolve(host, kv, ["late"])
    late = host.add_user("late")
    identity.repin(host, kv, "late")
    assert kv.get(keys.pin("late")) == late.id.encode()
    assert identity.resolve(host, kv, ["late"]).accounts["late"].user_id == late.id
