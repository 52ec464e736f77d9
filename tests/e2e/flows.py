"""Steps the plugin tests share: make an escalation, read it and its post back.

Expected values come from the bundled policy through ``escalations.policy.route`` (the plugin's
default policy), so the suite follows the policy rather than restating it.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from typing import Any

from e2e.mmapi import Client, Server, wait_for
from e2e.ops import community_post
from escalations.policy import Policy, route

TOPIC = "privacy-telemetry"


@dataclass(frozen=True)
class Made:
    """An escalation created through the HTTP API, and the post it came from."""

    source_post: dict[str, Any]
    escalation: dict[str, Any]

    @property
    def id(self) -> str:
        return str(self.escalation["id"])

    @property
    def post_id(self) -> str:
        return str(self.escalation["escalation_post_id"])


def people_with_roles(policy: Policy, topic: str = TOPIC, *, cc: bool = False) -> dict[str, str]:
    """What the post's Responders (or cc) line should say, read by ``post_reading.with_roles``:
    each person with their roles of that list, each role with nobody marked as such."""
    routing = route(policy, topic)
    roles = routing.loop_in_roles if cc else routing.responder_roles
    skip = set(routing.responder_usernames) if cc else set()
    held: dict[str, list[str]] = {}
    expected: dict[str, str] = {}
    for role in roles:
        if not role.members:
            expected[role.name] = "nobody in this role"
        for member in role.members:
            if member.username not in skip:
                held.setdefault(member.username, []).append(role.name)
    expected.update({name: ", ".join(names) for name, names in held.items()})
    return expected


def responders(policy: Policy, topic: str = TOPIC) -> list[str]:
    return [m.username for m in route(policy, topic).responders]


def loop_in(policy: Policy, topic: str = TOPIC) -> list[str]:
    return [m.username for m in route(policy, topic).loop_in]


def outsider_in_channel(policy: Policy, topic: str = TOPIC) -> str:
    """A staff member who is an approved responder of another topic (so in the escalations
    channel) but neither a responder nor a loop-in of ``topic``."""
    mine = set(responders(policy, topic)) | set(loop_in(policy, topic))
    for t in policy.topics:
        for name in responders(policy, t.key):
            if name not in mine:
                return name
    raise AssertionError(f"every responder of the policy also handles {topic}")


def escalator(server: Server, policy: Policy, topic: str = TOPIC) -> str:
    """Staff who escalates but does not respond to ``topic`` (anyone may escalate)."""
    mine = set(responders(policy, topic))
    return str(next(n for n in server.env["staff"] if n not in mine))


def make(
    server: Server,
    policy: Policy,
    topic: str = TOPIC,
    text: str | None = None,
    note: str | None = None,
    by: str | None = None,
) -> Made:
    body = text or f"Community question {uuid.uuid4().hex[:8]}: how does telemetry work?"
    source = community_post(server, body)
    who = by or escalator(server, policy, topic)
    esc = server.client(who).escalate(source["id"], topic, note).ok(201)
    return Made(source, dict(esc))


def state(client: Client, esc_id: str) -> dict[str, Any]:
    return dict(client.escalation(esc_id).ok(200))


def action_ids(post: dict[str, Any]) -> list[str]:
    attachments = (post.get("props") or {}).get("attachments") or []
    return [a["id"] for att in attachments for a in (att.get("actions") or [])]


def replies(server: Server, made: Made) -> list[str]:
    """Messages of the thread replies under the escalation post, oldest first."""
    thread = server.admin.thread(made.post_id)
    return [p["message"] for p in thread if p["id"] != made.post_id]


# How long a test watches for a reply too many once the expected ones are there.
SETTLE_SECONDS = 1.0


def replies_once(server: Server, made: Made, count: int, timeout: float = 30.0) -> list[str]:
    """The thread replies once there are ``count`` of them (a change's reply follows the
    press's answer), read again a moment later so that one too many would show."""
    wait_for(f"{count} thread replies", lambda: len(replies(server, made)) >= count, timeout)
    time.sleep(SETTLE_SECONDS)
    return replies(server, made)
