"""Pressing the escalation post's buttons through Mattermost, as different users.

``POST /api/v4/posts/{post_id}/actions/{action_id}`` is what the webapp sends; Mattermost checks
that the user may read the post's channel, then calls the plugin's action URL in-process with the
``Mattermost-User-Id`` header. The plugin's refusals reach the user as ephemeral posts, which the
REST API does not return, so refusals are checked through the state they leave unchanged.
"""

from __future__ import annotations

import threading
from typing import Any

from e2e.flows import (
    action_ids,
    make,
    outsider_in_channel,
    replies_once,
    responders,
    state,
)
from e2e.mmapi import Reply, Server
from post_reading import OPEN_POST_MAX_LINES, attachment_text, headline, lines, mentioned


def test_claim_release_assign_resolve(server: Server, plugin: Any, policy: Any) -> None:
    made = make(server, policy)
    first, second = responders(policy)[:2]
    c1, c2 = server.client(first), server.client(second)

    # the second responder's Claim takes it over from the default owner (the first)
    assert c2.press(made.post_id, "claim").status == 200
    esc = state(c1, made.id)
    assert (esc["state"], esc["owner"], esc["acknowledged"]) == ("claimed", second, True)
    post = server.admin.get_post(made.post_id).ok(200)
    title = made.escalation["topic_title"]
    assert headline(post["message"]) == f"**{title}** · Claimed · Owner: `@{second}`"
    assert "(default" not in post["message"]  # claimed: one owner, never contradicted
    assert len(lines(post["message"])) <= OPEN_POST_MAX_LINES
    assert action_ids(post) == [
        "assign",
        "release",
        "resolveresponded",
        "resolvenoresponse",
        "tips",
    ]

    assert c2.press(made.post_id, "release").status == 200
    esc = state(c1, made.id)
    assert (esc["state"], esc["owner"], esc["acknowledged"]) == ("open", first, False)

    assert c1.press(made.post_id, "assign", selected_option=second).status == 200
    esc = state(c1, made.id)
    assert (esc["state"], esc["owner"], esc["acknowledged"]) == ("open", second, False)

    assert c1.press(made.post_id, "resolvenoresponse").status == 200
    esc = state(c1, made.id)
    assert (esc["state"], esc["outcome"]) == ("resolved", "no_response_needed")
    post = server.admin.get_post(made.post_id).ok(200)
    assert action_ids(post) == [], "a resolved escalation offers no buttons"
    # collapsed to one summary line, and the outcome beside the state's colour
    assert len(lines(post["message"])) == 1, post["message"]
    assert headline(post["message"]).startswith(f"**{title}** · Resolved · Escalated by ")
    outcome = attachment_text(post["props"])
    assert outcome == f"**Outcome:** no response needed, by `@{first}` (owner `@{second}`)"

    thread = replies_once(server, made, 4)
    assert len(thread) == 4, thread
    for reply, who, word in zip(
        thread,
        (second, second, first, first),
        ("took over", "released", "assigned", "resolved"),
        strict=True,
    ):
        assert reply.startswith(f"`@{who}` {word} this escalation"), reply
    # the people concerned are mentioned (the owner who lost it, the default owner it went back
    # to, the new owner), never the one who clicked
    assert [mentioned(r) for r in thread] == [[first], [first], [second], [second]], thread


def test_resolve_without_response(server: Server, plugin: Any, policy: Any) -> None:
    made = make(server, policy)
    who = responders(policy)[0]
    assert server.client(who).press(made.post_id, "resolvenoresponse").status == 200
    esc = state(server.client(who), made.id)
    assert (esc["state"], esc["outcome"]) == ("resolved", "no_response_needed")


def test_a_non_responder_cannot_claim(server: Server, plugin: Any, policy: Any) -> None:
    made = make(server, policy)
    outsider = outsider_in_channel(policy)
    reply = server.client(outsider).press(made.post_id, "claim")
    assert reply.status == 200, reply  # refused with an ephemeral message, not an error
    esc = state(server.client(responders(policy)[0]), made.id)
    assert (esc["state"], esc["owner"]) == ("open", responders(policy)[0])
    assert replies_once(server, made, 0) == []


def test_a_user_outside_the_channel_cannot_press(server: Server, plugin: Any, policy: Any) -> None:
    made = make(server, policy)
    community = server.client(server.env["community"][0])
    assert community.press(made.post_id, "claim").status in (403, 404)
    esc = state(server.client(responders(policy)[0]), made.id)
    assert esc["state"] == "open"


def test_assigning_a_non_responder_is_refused(server: Server, plugin: Any, policy: Any) -> None:
    made = make(server, policy)
    who = responders(policy)[0]
    reply = server.client(who).press(made.post_id, "assign", server.env["community"][0])
    assert reply.status == 200, reply
    esc = state(server.client(who), made.id)
    assert (esc["state"], esc["owner"]) == ("open", responders(policy)[0])


def test_concurrent_claims_leave_exactly_one_owner(
    server: Server, plugin: Any, policy: Any
) -> None:
    made = make(server, policy)
    names = responders(policy)
    assert len(names) >= 3, "the race needs several responders"
    # Every staff member presses, twice: the responders race each other and the others'
    # refusals add load on the same record.
    pressers = [n for n in server.env["staff"] for _ in range(2)]
    barrier = threading.Barrier(len(pressers))
    results: list[Reply] = []
    lock = threading.Lock()

    def press(name: str) -> None:
        client = server.client(name)
        barrier.wait()
        reply = client.press(made.post_id, "claim")
        with lock:
            results.append(reply)

    threads = [threading.Thread(target=press, args=(n,)) for n in pressers]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert len(results) == len(pressers)
    # Mattermost answers 200 for the presses that reached the plugin; a press that arrives
    # after the post lost its Claim button may be refused by Mattermost (4xx). Never a 5xx.
    assert all(r.status < 500 for r in results), results
    esc = state(server.client(names[0]), made.id)
    assert esc["state"] == "claimed" and esc["owner"] in names
    # the default owner's claim acknowledges, anyone else's takes it over: one of them, once
    claims = [r for r in replies_once(server, made, 1) if "claimed" in r or "took over" in r]
    assert len(claims) == 1, claims
    assert claims[0].startswith((f"`@{esc['owner']}` claimed", f"`@{esc['owner']}` took over"))


def test_reassigning_away_from_an_owner_tells_them(
    server: Server, plugin: Any, policy: Any
) -> None:
    made = make(server, policy)
    first, second = responders(policy)[:2]
    assert server.client(first).press(made.post_id, "claim").status == 200
    assert server.client(second).press(made.post_id, "assign", second).status == 200
    took = replies_once(server, made, 2)[-1]
    assert took.startswith(f"`@{second}` took this escalation. @{first}, it is no longer yours.")
    assert mentioned(took) == [first]
