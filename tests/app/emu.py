"""Scenario helpers for the end-to-end tests: the real plugin process (repo root as the plugin
directory) under the host emulator, seeded with the people of both policies."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from hostemu.host import Host
from hostemu.model import Channel, Post, Team, User

ROOT = Path(__file__).resolve().parents[2]
NEWER = ROOT / "policy" / "community-response.yaml"
OLDER = ROOT / "policy" / "community-escalations.yaml"
PEOPLE = (
    "aneal.vallurupalli chandar.venkatamaran chris.overton daniel.schalla ian.tien jason.blais "
    "katie.wiersgalla ken.olofsen lindsay.brock natalie.jew chen-i.lim corey.hulen "
    "kendra.neidziejko nirosha.ruwan"
).split()
TEAM = "private-core"
CHANNEL = "community-escalations"
EVENT = "escalation_updated"


@dataclass
class World:
    host: Host
    team: Team
    town: Channel
    secret: Channel
    alice: User  # community manager: escalates
    mallory: User  # on the channel's allow-list and in it, but not an approved responder
    admin: User  # a system admin
    people: dict[str, User] = field(default_factory=dict)

    def uid(self, username: str) -> str:
        return self.people[username].id

    @property
    def channel(self) -> Channel:
        return self.host.channel_by_name(self.team.id, CHANNEL)

    def post(self, message: str = "a community question", channel: Channel | None = None) -> Post:
        return self.host.add_post((channel or self.town).id, self.alice.id, message)

    def escalate(
        self, post_id: str, topic: str, user: User | None = None, *, settle: bool = True,
        **extra: Any,
    ) -> Any:  # fmt: skip
        """``settle``: wait for what follows the answer (the confirmation, the events); not
        possible while other requests keep the plugin busy."""
        body = {"post_id": post_id, "topic": topic, **extra}
        answer = self.host.http(
            "POST", "/api/v1/escalations", user_id=(user or self.alice).id, body=body
        )
        if settle:
            self.host.wait_quiet()
        return answer

    def bot_roots(self) -> list[Post]:
        """Root posts in the escalations channel (the escalation posts)."""
        return [p for p in self.host.posts(self.channel.id) if not p.root_id]

    def click(self, escalation: dict[str, Any], action_id: str, user_id: str,
              option: str | None = None) -> Any:  # fmt: skip
        answer = self.host.click(escalation["escalation_post_id"], action_id, user_id, option)
        self.host.wait_quiet()  # the reply, the messages and the events follow the answer
        return answer

    def stale_click(self, escalation: dict[str, Any], action: str, user_id: str,
                    **context: str) -> str:  # fmt: skip
        """What a client still showing an older state of the post sends; the ephemeral text."""
        body = {
            "user_id": user_id,
            "post_id": escalation["escalation_post_id"],
            "context": {"escalation_id": escalation["id"], "action": action, **context},
        }
        resp = self.host.http("POST", f"/api/v1/actions/{action}", user_id=user_id, body=body)
        assert resp.status == 200, resp.text
        return str(resp.json().get("ephemeral_text", ""))

    def record(self, esc_id: str) -> dict[str, Any]:
        resp = self.host.http("GET", f"/api/v1/escalations/{esc_id}", user_id=self.alice.id)
        assert resp.status == 200, resp.text
        return dict(resp.json())


def policy_with_extra_members(role: str, usernames: list[str]) -> str:
    """The bundled policy as YAML text with more members in one role."""
    data = yaml.safe_load(NEWER.read_text())
    for r in data["roles"]:
        if r["name"] == role:
            r["members"] += [{"username": u, "display_name": u.title()} for u in usernames]
    data["version"] = "test-extra-members"
    return yaml.safe_dump(data, sort_keys=False)


def start_world(override: str = "", extra_users: list[str] | None = None,
                excerpt_max: int = 500, settings: dict[str, Any] | None = None,
                ) -> World:  # fmt: skip
    """A running world. ``settings``: more plugin settings; the rate limit is off unless they
    set ``EscalationsPerHour`` (the scenarios escalate far more than a person would)."""
    host = Host(ROOT)
    people = {name: host.add_user(name) for name in [*PEOPLE, *(extra_users or [])]}
    alice = host.add_user("alice")
    mallory = host.add_user("mallory")
    admin = host.add_user("sysadmin", system_admin=True)
    everyone = [u.id for u in people.values()] + [alice.id, mallory.id, admin.id]
    team = host.add_team(TEAM, "Private Core", members=everyone)
    town = host.add_channel(team.id, "town-square", members=[alice.id, mallory.id, admin.id])
    secret = host.add_channel(team.id, "secret-plans", type="P", members=[alice.id])
    host.set_plugin_config(
        {
            "TeamName": TEAM,
            "ChannelName": CHANNEL,
            "PolicyOverride": override,
            "ExcerptMaxChars": excerpt_max,
            "EscalationsPerHour": 0,
            "ChannelAllowList": "mallory",
            **(settings or {}),
        }  # fmt: skip
    )
    host.start()
    world = World(host, team, town, secret, alice, mallory, admin, people)
    host.add_channel_member(world.channel.id, mallory.id)
    return world
