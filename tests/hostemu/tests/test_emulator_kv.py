"""Host emulator: KV behaviour outside the shared contract (test_kv_contract.py) — the parts
only the emulator can show: delete-all, list order and default page, expiry bookkeeping."""

from __future__ import annotations

from hostemu import AppError, KVStore
from hostemu.model import Clock


def store() -> tuple[KVStore, Clock]:
    clock = Clock()
    return KVStore(clock.now_ms), clock


def test_list_is_sorted_and_defaults_to_pages_of_ten() -> None:
    kv, _ = store()
    for i in reversed(range(12)):
        kv.set(f"k{i:02d}", b"v")
    assert kv.list_keys(0, 0) == [f"k{i:02d}" for i in range(10)]
    assert kv.list_keys(1, 0) == ["k10", "k11"]
    assert kv.list_keys(-3, 5) == kv.list_keys(0, 5)


def test_expired_rows_are_hidden_everywhere_until_replaced() -> None:
    kv, clock = store()
    kv.set("ttl", b"v", expire_in_seconds=2)
    assert kv.expiry_of("ttl") > clock.now_ms()
    clock.advance(3)
    assert kv.get("ttl") is None and kv.list_keys(0, 10) == [] and kv.dump() == {}
    assert kv.dump(include_expired=True) == {"ttl": b"v"}
    assert not kv.compare_and_set("ttl", b"v", b"w")  # an expired value cannot be compared
    assert kv.compare_and_set("ttl", b"", b"w") and kv.expiry_of("ttl") == 0


def test_delete_all_and_option_validation() -> None:
    kv, _ = store()
    kv.set("a", b"1")
    kv.set("b", b"2")
    kv.delete_all()
    assert kv.dump() == {}
    try:
        kv.set_with_options("a", b"1", atomic=False, old_value=b"x", expire_in_seconds=0)
    except AppError as err:
        assert err.status_code == 400 and err.where == "PluginKVSetOptions.IsValid"
    else:
        raise AssertionError("old_value without atomic must fail")
    assert kv.set_with_options("a", b"", atomic=False, old_value=b"", expire_in_seconds=0)
    assert kv.get("a") is None
