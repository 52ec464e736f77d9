"""The routing engine: pure functions over a validated ``Policy`` (no I/O, no clock, no state).

Rules, straight from the policy documents:

* An issue is escalated "with an @-mention to the list of approved responders" of its topic:
  ``route`` resolves the topic's approved-responder roles to people, in role order then member
  order, each person once (first occurrence wins).
* Loop-in people are resolved the same way, minus anyone already a responder (the documents list
  some roles in both places; a person is mentioned once, as a responder).
* "By default, ownership is delegated to the first person on the list of approved responders":
  the default owner is the first responder, or ``None`` when the roles resolve to nobody.
* "Only approved responders listed below can engage": ``may_engage``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from escalations.policy.errors import UnknownTopic
from escalations.policy.model import Member, Policy, Role, Topic


@dataclass(frozen=True)
class Routing:
    """Who handles an escalation of one topic under one policy."""

    topic: Topic
    responders: tuple[Member, ...]
    loop_in: tuple[Member, ...]
    default_owner: Member | None
    template_response: str | None
    # The roles behind the people, in policy order (a role may have no members: the document
    # names it but maps nobody to it).
    responder_roles: tuple[Role, ...] = ()
    loop_in_roles: tuple[Role, ...] = ()

    @property
    def empty_responder_roles(self) -> tuple[str, ...]:
        """Approved-responder roles with nobody in them."""
        return tuple(r.name for r in self.responder_roles if not r.members)

    @property
    def empty_loop_in_roles(self) -> tuple[str, ...]:
        """Loop-in roles with nobody in them."""
        return tuple(r.name for r in self.loop_in_roles if not r.members)

    def roles_of(self, username: str) -> tuple[str, ...]:
        """The topic's roles (responder roles first) that ``username`` holds, each once."""
        names = (
            r.name
            for r in (*self.responder_roles, *self.loop_in_roles)
            if any(m.username == username for m in r.members)
        )
        return tuple(dict.fromkeys(names))

    @property
    def responder_usernames(self) -> tuple[str, ...]:
        return tuple(m.username for m in self.responders)

    @property
    def loop_in_usernames(self) -> tuple[str, ...]:
        return tuple(m.username for m in self.loop_in)


def route(policy: Policy, topic_key: str) -> Routing:
    """Resolve a topic to the people who handle it.

    Raises:
        UnknownTopic: ``topic_key`` is not a topic of ``policy`` (carries the valid keys).
    """
    topic = policy.topic(topic_key)
    if topic is None:
        raise UnknownTopic(topic_key, policy.topic_keys)
    responders = resolve_roles(policy, topic.approved_responders)
    taken = {m.username for m in responders}
    loop_in = tuple(m for m in resolve_roles(policy, topic.loop_in) if m.username not in taken)
    return Routing(
        topic=topic,
        responders=responders,
        loop_in=loop_in,
        default_owner=responders[0] if responders else None,
        template_response=topic.template_response,
        responder_roles=_roles(policy, topic.approved_responders),
        loop_in_roles=_roles(policy, topic.loop_in),
    )


def _roles(policy: Policy, names: Iterable[str]) -> tuple[Role, ...]:
    """The named roles; a name the policy does not define counts as a role with nobody."""
    return tuple(policy.role(n) or Role(n, ()) for n in names)


def may_engage(policy: Policy, username: str, topic_key: str) -> bool:
    """Whether ``username`` is an approved responder of the topic.

    A leading "@" and letter case are ignored (Mattermost usernames are lowercase). An unknown
    topic has no approved responders, so nobody may engage it: the answer is ``False``.
    """
    topic = policy.topic(topic_key)
    if topic is None:
        return False
    wanted = username.strip().removeprefix("@").lower()
    return any(m.username == wanted for m in resolve_roles(policy, topic.approved_responders))


def resolve_roles(policy: Policy, role_names: Iterable[str]) -> tuple[Member, ...]:
    """The members of the named roles, in order, each username once (first occurrence wins).

    Names the policy does not define resolve to nobody; a validated policy has none.
    """
    seen: set[str] = set()
    people: list[Member] = []
    for name in role_names:
        role = policy.role(name)
        for member in role.members if role is not None else ():
            if member.username not in seen:
                seen.add(member.username)
                people.append(member)
    return tuple(people)
