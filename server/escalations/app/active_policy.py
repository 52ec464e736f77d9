"""The active policy as the workflow uses it: every topic routed, usernames checked on the server.

``build`` takes a validated ``escalations.policy.Policy`` and the set of usernames that exist and
are active on this server, and returns an ``ActivePolicy``: per topic the approved responders and
loop-ins *who can actually be mentioned* (unknown or deactivated usernames are dropped and reported
in ``unresolved``), the default owner (the first responder who resolves — the policy delegates
ownership to "the first person on the list of approved responders"), and the template response.

It is an immutable value; activation and configuration changes swap in a new one atomically.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Set
from dataclasses import dataclass

from escalations.policy import engine
from escalations.policy.model import Member, Policy, Role

from .model import Seat


@dataclass(frozen=True)
class Person:
    username: str
    display_name: str

    def to_api(self) -> dict[str, str]:
        return {"username": self.username, "display_name": self.display_name}


@dataclass(frozen=True)
class TopicRoute:
    key: str
    title: str
    description: str
    responders: tuple[Person, ...]
    loop_in: tuple[Person, ...]
    default_owner: Person | None
    template_response: str | None
    # The roles behind the people, policy order; a seat with no people is a role with nobody
    # who can be mentioned (none in the policy, or all unknown/deactivated here).
    responder_seats: tuple[Seat, ...] = ()
    loop_in_seats: tuple[Seat, ...] = ()

    @property
    def responder_usernames(self) -> tuple[str, ...]:
        return tuple(p.username for p in self.responders)

    @property
    def empty_responder_roles(self) -> tuple[str, ...]:
        return tuple(s.role for s in self.responder_seats if not s.people)

    @property
    def empty_loop_in_roles(self) -> tuple[str, ...]:
        return tuple(s.role for s in self.loop_in_seats if not s.people)

    def to_api(self) -> dict[str, object]:
        """One topic of ``GET /api/v1/topics``."""
        return {
            "key": self.key,
            "title": self.title,
            "description": self.description,
            "responders": [p.to_api() for p in self.responders],
            "loop_in": [p.to_api() for p in self.loop_in],
            "default_owner": self.default_owner.to_api() if self.default_owner else None,
            "template_response": self.template_response,
            "empty_roles": {
                "responders": list(self.empty_responder_roles),
                "loop_in": list(self.empty_loop_in_roles),
            },
        }


@dataclass(frozen=True)
class ActivePolicy:
    policy: Policy
    origin: str  # "bundled default", "override", "last good override"
    topics: tuple[TopicRoute, ...]
    unresolved: tuple[str, ...]  # usernames the policy names that cannot be mentioned, with why
    warnings: tuple[str, ...]
    tips: tuple[str, ...]  # response-writing tip titles, for the reminder line

    def topic(self, key: str) -> TopicRoute | None:
        for topic in self.topics:
            if topic.key == key:
                return topic
        return None

    def to_api(self) -> dict[str, object]:
        """The body of ``GET /api/v1/topics``."""
        return {
            "policy": {"version": self.policy.version, "title": self.policy.title},
            "non_sensitive_guidance": self.policy.non_sensitive_guidance,
            "topics": [t.to_api() for t in self.topics],
        }


def policy_usernames(policy: Policy) -> tuple[str, ...]:
    """Every username the policy names, each once, in policy order."""
    seen: dict[str, None] = {}
    for role in policy.roles:
        for member in role.members:
            seen.setdefault(member.username, None)
    return tuple(seen)


def build(
    policy: Policy,
    origin: str,
    user_status: Callable[[Iterable[str]], dict[str, str]],
    warnings: Iterable[str] = (),
) -> ActivePolicy:
    """Route every topic of ``policy``.

    Args:
        user_status: maps usernames to ``"active"``, ``"deactivated"`` or ``"unknown"`` (one
            server round trip for all of them).
    """
    status = user_status(policy_usernames(policy))
    active: Set[str] = {u for u, s in status.items() if s == "active"}
    unresolved = tuple(f"@{u}: {s} user" for u, s in sorted(status.items()) if s != "active")
    topics = tuple(_route(policy, t.key, active) for t in policy.topics)
    tips = tuple(t.title for t in policy.response_tips)
    return ActivePolicy(policy, origin, topics, unresolved, tuple(warnings), tips)


def _route(policy: Policy, key: str, active: Set[str]) -> TopicRoute:
    routing = engine.route(policy, key)
    responders = _people(routing.responders, active)
    return TopicRoute(
        key=key,
        title=routing.topic.title,
        description=routing.topic.description,
        responders=responders,
        loop_in=_people(routing.loop_in, active),
        default_owner=responders[0] if responders else None,
        template_response=routing.template_response,
        responder_seats=_seats(routing.responder_roles, active),
        loop_in_seats=_seats(routing.loop_in_roles, active),
    )


def _seats(roles: Iterable[Role], active: Set[str]) -> tuple[Seat, ...]:
    return tuple(
        Seat(r.name, tuple(m.username for m in r.members if m.username in active)) for r in roles
    )


def _people(members: Iterable[Member], active: Set[str]) -> tuple[Person, ...]:
    return tuple(Person(m.username, m.display_name) for m in members if m.username in active)
