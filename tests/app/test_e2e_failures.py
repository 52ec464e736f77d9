"""A failed Mattermost call while escalating: a documented 500, and a retry that works at once."""

from __future__ import annotations

from app.emu import World


def test_failed_bot_post_frees_the_pair_for_an_immediate_retry(world: World) -> None:
    post = world.post("escalate me while the server hiccups")
    before = world.host.kv_dump()
    world.host.inject_error("CreatePost", "app.post.save.app_error", times=1)
    failed = world.escalate(post.id, "licensing")
    assert failed.status == 500, failed.text
    assert "error" in failed.json()
    assert world.host.kv_dump() == before  # no reservation left behind
    retry = world.escalate(post.id, "licensing")
    assert retry.status == 201, retry.text  # not "being created; try again" for 30 s
    assert retry.json()["escalation_post_id"]
