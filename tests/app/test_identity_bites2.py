"""Pins that are read, not rewritten, and a pin that vanishes while it is being taken: the
writes ``resolve`` saves and the word it uses for a name with no pin and no account."""

from __future__ import annotations

from app.fakes import FakeHost
from escalations.app.domain import identity, keys
from escalations.app.domain.kv import MemoryKV


class CountingKV(MemoryKV):
    def __init__(self) -> None:
        super().__init__()
        self.writes = 0

    def compare_and_set(
        self, key: str, old: bytes | None, new: bytes | None, ttl_seconds: int = 0
    ) -> bool:
        self.writes += 1
        return super().compare_and_set(key, old, new, ttl_seconds)


def test_names_already_pinned_are_read_not_written() -> None:
    host, kv = FakeHost(), CountingKV()
    pat = host.add_user("pat")
    first = identity.resolve(host, kv, ["pat", "nobody"])
    assert kv.writes == 2  # one pin per new name: pat's account, "nobody" unclaimed
    again = identity.resolve(host, kv, ["pat", "nobody"])
    assert kv.writes == 2
    assert again == first
    assert again.accounts["pat"].user_id == pat.id


def test_a_pin_deleted_while_it_is_taken_leaves_the_name_unknown() -> None:
    """Another node pinned the name first (our insert fails), and the pin is gone again when we
    read it: the name has no pin and no account, and is reported as unknown."""
    pin = keys.pin("ghost")

    class Racing(MemoryKV):
        def compare_and_set(
            self, key: str, old: bytes | None, new: bytes | None, ttl_seconds: int = 0
        ) -> bool:
            if key == pin:
                return False  # someone else's insert won; then their pin was removed
            return super().compare_and_set(key, old, new, ttl_seconds)

    host, kv = FakeHost(), Racing()
    found = identity.resolve(host, kv, ["ghost"])
    assert found.accounts == {}
    assert found.problems == ("@ghost: unknown user",)
    assert kv.get(pin) is None
