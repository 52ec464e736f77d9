"""The ``KV`` contract, shared by every implementation (in-memory fake, runtime client adapter)."""

from __future__ import annotations

import threading

from escalations.app.domain.kv import KV


def check_missing_is_none(kv: KV) -> None:
    assert kv.get("ce1:test:missing") is None


def check_insert_if_absent(kv: KV) -> None:
    assert kv.compare_and_set("ce1:test:a", None, b"1")
    assert not kv.compare_and_set("ce1:test:a", None, b"2")
    assert kv.get("ce1:test:a") == b"1"


def check_compare_and_set(kv: KV) -> None:
    kv.compare_and_set("ce1:test:b", None, b"1")
    assert not kv.compare_and_set("ce1:test:b", b"0", b"2")
    assert kv.compare_and_set("ce1:test:b", b"1", b"2")
    assert kv.get("ce1:test:b") == b"2"


def check_compare_and_delete(kv: KV) -> None:
    kv.compare_and_set("ce1:test:c", None, b"1")
    assert not kv.compare_and_set("ce1:test:c", b"0", None)
    assert kv.compare_and_set("ce1:test:c", b"1", None)
    assert kv.get("ce1:test:c") is None


def check_delete_missing_is_fine(kv: KV) -> None:
    kv.delete("ce1:test:never")
    kv.compare_and_set("ce1:test:d", None, b"1")
    kv.delete("ce1:test:d")
    assert kv.get("ce1:test:d") is None


def check_list_pages(kv: KV) -> None:
    for i in range(5):
        kv.compare_and_set(f"ce1:test:list:{i}", None, b"x")
    seen: list[str] = []
    page = 0
    while True:
        batch = list(kv.list_keys(page, 2))
        seen += batch
        if len(batch) < 2:
            break
        page += 1
    assert {f"ce1:test:list:{i}" for i in range(5)} <= set(seen)
    assert len(seen) == len(set(seen))


def check_one_winner_among_racers(kv: KV) -> None:
    wins: list[int] = []
    barrier = threading.Barrier(10)

    def race(i: int) -> None:
        barrier.wait()
        if kv.compare_and_set("ce1:test:race", None, str(i).encode()):
            wins.append(i)

    threads = [threading.Thread(target=race, args=(i,)) for i in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(wins) == 1
    assert kv.get("ce1:test:race") == str(wins[0]).encode()


CHECKS = [
    check_missing_is_none,
    check_insert_if_absent,
    check_compare_and_set,
    check_compare_and_delete,
    check_delete_missing_is_fine,
    check_list_pages,
    check_one_winner_among_racers,
]
