"""The active policy as the workflow uses it: every topic routed, usernames resolved to accounts.

``build`` takes a validated ``escalations.policy.Policy`` and a resolver (``identity.resolve``:
policy usernames to the accounts they are pinned to), and returns an ``ActivePolicy``: per topic
the approved responders and loop-ins *who can actually be mentioned*, each with its user id (rights
follow the id, never the name); names that cannot be used are dropped and reported in
``unresolved``; the default owner (the first responder who resolves — the policy delegates
ownership to "the first person on the list of approved responders"), and the template response.

It is an immutable value; activation and configuration changes swap in a new one atomically.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

from escalations.app.domain.identity import Account, Resolution
from escalations.app.domain.model import Seat
from escalations.policy import engine
from escalations.policy.model import Member, Policy, Role


@dataclass(frozen=True)
class Person:
    username: str  # the account's current username (what mentions use)
    display_name: str
    user_id: str = ""

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
    # Set when ``template_response`` was approved in the plugin (``templates.layered``): who
    # approved it (username) and when (ms); empty/0 for the policy file's template.
    template_approved_by: str = ""
    template_approved_at: int = 0

    @property
    def responder_usernames(self) -> tuple[str, ...]:
        return tuple(p.username for p in self.responders)

    @property
    def empty_responder_roles(self) -> tuple[str, ...]:
        return tuple(s.role for s in self.responder_seats if not s.people)

    @property
    def empty_loop_in_roles(self) -> tuple[str, ...]:
        return tuple(s.role for s in self.loop_in_seats if not s.people)

    @property
    def responder_ids(self) -> tuple[str, ...]:
        return tuple(p.user_id for p in self.responders)

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
            "template_approved": {
                "by": self.template_approved_by,
                "at": self.template_approved_at,
            }
            if self.template_approved_by
            else None,
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
    # policy username -> pinned user id, for every name that resolved (older records name people)
    pins: Mapping[str, str] = field(default_factory=dict)
    # The policy document as written (the bundled file or the override), for the merge of
    # approved templates into it (``/escalation policy merged``); empty when not known.
    source_text: str = ""

    @property
    def people_ids(self) -> frozenset[str]:
        """Every account the policy names (approved responders and loop-ins of any topic)."""
        return frozenset(self.pins.values())

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
    resolve: Callable[[Iterable[str]], Resolution],
    warnings: Iterable[str] = (),
    source_text: str = "",
) -> ActivePolicy:
    """Route every topic of ``policy``.

    Args:
        resolve: maps policy usernames to their pinned, active accounts (one round of server
            calls for all of them) and says why the others cannot be used.
    """
    resolution = resolve(policy_usernames(policy))
    accounts = resolution.accounts
    topics = tuple(_route(policy, t.key, accounts) for t in policy.topics)
    tips = tuple(t.title for t in policy.response_tips)
    pins = {name: a.user_id for name, a in accounts.items()}
    return ActivePolicy(
        policy, origin, topics, resolution.problems, tuple(warnings), tips, pins, source_text
    )


def _route(policy: Policy, key: str, accounts: Mapping[str, Account]) -> TopicRoute:
    routing = engine.route(policy, key)
    responders = _people(routing.responders, accounts)
    return TopicRoute(
        key=key,
        title=routing.topic.title,
        description=routing.topic.description,
        responders=responders,
        loop_in=_people(routing.loop_in, accounts),
        default_owner=responders[0] if responders else None,
        template_response=routing.template_response,
        responder_seats=_seats(routing.responder_roles, accounts),
        loop_in_seats=_seats(routing.loop_in_roles, accounts),
    )


def _seats(roles: Iterable[Role], accounts: Mapping[str, Account]) -> tuple[Seat, ...]:
    """Each role with the usernames (as the accounts are named now) of its usable members."""
    seats = []
    for role in roles:
        found = (accounts.get(m.username.lower()) for m in role.members)
        seats.append(Seat(role.name, tuple(a.username for a in found if a is not None)))
    return tuple(seats)


def _people(members: Iterable[Member], accounts: Mapping[str, Account]) -> tuple[Person, ...]:
    found = ((m, accounts.get(m.username.lower())) for m in members)
    return tuple(Person(a.username, m.display_name, a.user_id) for m, a in found if a is not None)
