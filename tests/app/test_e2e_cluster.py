"""Two plugin processes ("nodes") on one emulated server: they share the KV store and the
server's data, nothing else — the high-availability shape (docs/protocol.md §11)."""

from __future__ import annotations

import threading

from app.emu import ROOT, policy_with_extra_members, start_world
from hostemu.host import Host


def test_two_nodes_share_state_and_a_claim_is_won_once() -> None:
    extra = [f"node-responder{i:02d}" for i in range(9)]
    world = start_world(override=policy_with_extra_members("CEO", extra), extra_users=extra)
    second = Host(ROOT)
    second.state = world.host.state  # same database, its own process and API server
    try:
        second.start()
        channels = [c for c in world.host.state.directory.channels.values()
                    if c.name == "community-escalations"]  # fmt: skip
        assert len(channels) == 1
        assert len([b for b in world.host.bots() if b.username == "community-escalations"]) == 1

        post = world.post()
        esc = world.escalate(post.id, "licensing").json()
        dup = second.http(
            "POST", "/api/v1/escalations", user_id=world.alice.id,
            body={"post_id": post.id, "topic": "licensing"},
        )  # fmt: skip
        assert dup.status == 200 and dup.json()["id"] == esc["id"]

        clickers = [world.uid(u) for u in ["ian.tien", *extra]]
        barrier = threading.Barrier(len(clickers))
        texts: list[str] = []

        def press(i: int, user_id: str) -> None:
            node = world.host if i % 2 else second
            barrier.wait()
            result = node.click(esc["escalation_post_id"], "claim", user_id)
            texts.append((result.response or {}).get("ephemeral_text", ""))

        threads = [threading.Thread(target=press, args=(i, u)) for i, u in enumerate(clickers)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        owner = world.record(esc["id"])["owner"]
        assert texts.count("") == 1
        assert sum(f"already claimed by @{owner}" in t for t in texts) == len(clickers) - 1
    finally:
        second.stop()
        world.host.stop()
