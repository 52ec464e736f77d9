"""The escalation post as the real server stores it, open, claimed and resolved: the data the
README pictures are drawn from.

``webapp/test/fixtures/escalation_posts.json`` holds ``message`` and ``props`` of the three states,
read back through ``GET /api/v4/posts/{id}``, with what changes from run to run (the escalation id
and reference, post ids, the site URL) replaced by fixed stand-ins. The browser test
(``webapp/test/browser/post.browser.test.ts``) renders them in light and dark themes for the README.
This test fails when the committed file is not what the server answers today; run it with
``MM_E2E_UPDATE_FIXTURES=1`` to rewrite the file, and commit it.
"""

from __future__ import annotations

import json
import os
from typing import Any

from e2e.flows import Made, make, responders
from e2e.mmapi import PLUGIN_ROUTE, REPO, Server
from escalations.app.views.render import RESERVATION_PROP, user_text

FIXTURE = REPO / "webapp" / "test" / "fixtures" / "escalation_posts.json"
SITE = "https://community.example.com"
ESCALATION_ID = "k7q2m4x9bd3wyhcn6rtu5ejpaf"
SOURCE_POST_ID = "8xw1fz3nkpgqbm5ocr4ysiet9h"
RESERVATION = "r4vq7n2kx8wd5mbt3hjcpe6yfa"
EXCERPT = (
    "Hi, I'm Jane ([email]). Since upgrading, our self-hosted server at [ip-address] sends "
    "something to [url] every hour. What is in it, and can we turn it off?"
)
TEXT = (
    "Hi, I'm Jane (jane.doe@example.org). Since upgrading, our self-hosted server at "
    "203.0.113.7 sends something to https://telemetry.example.net/collect every hour. "
    "What is in it, and can we turn it off?"
)
RESPONSE = "https://forum.mattermost.com/t/telemetry-question/12345"
NOTE = "Asked twice on the forum without an answer; the poster's company is evaluating Enterprise."


def _stand_ins(server: Server, made: Made) -> list[tuple[str, str]]:
    return [
        (made.id, ESCALATION_ID),
        (made.id[:7], ESCALATION_ID[:7]),
        (made.source_post["id"], SOURCE_POST_ID),
        (server.url.rstrip("/"), SITE),
    ]


def _post(server: Server, made: Made, stand_ins: list[tuple[str, str]]) -> dict[str, Any]:
    post = server.admin.get_post(made.post_id).ok(200)
    props = dict(post.get("props") or {})
    if RESERVATION_PROP in props:  # random per escalation
        props[RESERVATION_PROP] = RESERVATION
    text = json.dumps({"message": post["message"], "props": props})
    for real, fixed in stand_ins:
        text = text.replace(real, fixed)
    return dict(json.loads(text))


def test_the_post_fixture_is_what_the_server_answers(
    server: Server, plugin: Any, policy: Any
) -> None:
    made = make(server, policy, text=TEXT, note=NOTE)
    stand_ins = _stand_ins(server, made)
    first, second = responders(policy)[:2]
    posts = {"open": _post(server, made, stand_ins)}
    assert server.client(second).press(made.post_id, "claim").status == 200
    posts["claimed"] = _post(server, made, stand_ins)
    # "Resolve: responded" opens a dialog asking for the response; its submission resolves
    assert server.client(first).press(made.post_id, "resolveresponded").status == 200
    reply = server.client(first).post(
        "/api/v4/actions/dialogs/submit",
        {
            "url": f"{PLUGIN_ROUTE}/dialogs/resolve",
            "callback_id": "community-escalations-resolve",
            "state": made.id,
            "user_id": server.user_id(first),
            "channel_id": server.channel_id("public"),
            "team_id": server.team_id,
            "submission": {"response": RESPONSE},
            "cancelled": False,
        },
    )
    assert reply.status == 200 and not (reply.body or {}).get("errors"), reply
    posts["resolved"] = _post(server, made, stand_ins)
    # quoted as the bot quotes user text (Markdown escaped, one line)
    assert f"> {user_text(EXCERPT)}" in posts["open"]["message"], posts["open"]["message"]

    served = json.dumps(posts, indent=2, ensure_ascii=False) + "\n"
    if os.environ.get("MM_E2E_UPDATE_FIXTURES") == "1":
        FIXTURE.write_text(served, encoding="utf-8")
    committed = FIXTURE.read_text(encoding="utf-8") if FIXTURE.exists() else ""
    assert served == committed, (
        f"{FIXTURE.relative_to(REPO)} is not what the server answers; re-run this test with "
        "MM_E2E_UPDATE_FIXTURES=1 and commit the file"
    )
