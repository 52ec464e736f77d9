"""What changes when one policy replaces another, in words an admin reads before applying it.

``diff(old, new)`` compares two valid policies: identity (version, title, channel), roles and
their members, topics, and for each topic kept its texts, its role lists and -- what matters in
the end -- the people who become or stop being responders, loop-ins or the default owner.
Lines come in a fixed order (policy, roles, topics in the new policy's order), so the same
pair of policies always gives the same text.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from escalations.policy.engine import route
from escalations.policy.model import Member, Policy, Role, Topic


@dataclass(frozen=True)
class PolicyDiff:
    """The changes from one policy to another, one sentence each."""

    changes: tuple[str, ...]

    @property
    def is_empty(self) -> bool:
        return not self.changes

    def __str__(self) -> str:
        return "\n".join(self.changes) if self.changes else "No changes."


def diff(old: Policy, new: Policy) -> PolicyDiff:
    """Describe what replacing ``old`` by ``new`` changes."""
    return PolicyDiff(
        (*_policy_changes(old, new), *_role_changes(old, new), *_topic_changes(old, new))
    )


def _person(member: Member) -> str:
    return f"@{member.username} ({member.display_name})"


def _people(members: tuple[Member, ...] | list[Member]) -> str:
    return ", ".join(_person(m) for m in members) if members else "nobody"


def _stated(value: object) -> str:
    return f'"{value}"' if value else "(not stated)"


def _names(names: tuple[str, ...]) -> str:
    return ", ".join(names) if names else "none"


def _policy_changes(old: Policy, new: Policy) -> Iterator[str]:
    fields = (
        ("version", "Version"),
        ("title", "Title"),
        ("channel_name", "Escalation channel"),
        ("channel_team", "Escalation team"),
        ("channel_visibility", "Channel visibility"),
        ("last_updated", "Last updated"),
    )
    for attr, label in fields:
        before, after = getattr(old, attr), getattr(new, attr)
        if before != after:
            yield f"{label} changes from {_stated(before)} to {_stated(after)}."
    if old.non_sensitive_guidance != new.non_sensitive_guidance:
        yield "The guidance on non-sensitive topics changes."
    if old.response_tips != new.response_tips:
        counts = f"{len(old.response_tips)} before, {len(new.response_tips)} after"
        yield f"The response-writing tips change ({counts})."


def _role_changes(old: Policy, new: Policy) -> Iterator[str]:
    for role in old.roles:
        if new.role(role.name) is None:
            yield f"Role removed: {role.name}, held by {_people(role.members)}."
    for role in new.roles:
        before = old.role(role.name)
        if before is None:
            yield f"Role added: {role.name}, held by {_people(role.members)}."
        else:
            yield from _member_changes(before, role)


def _member_changes(old: Role, new: Role) -> Iterator[str]:
    added = _missing_from(new.members, old.members)
    removed = _missing_from(old.members, new.members)
    if added:
        yield f"Role {new.name}: {_people(added)} added."
    if removed:
        yield f"Role {new.name}: {_people(removed)} removed."


def _topic_changes(old: Policy, new: Policy) -> Iterator[str]:
    for topic in old.topics:
        if new.topic(topic.key) is None:
            yield f'Topic removed: "{topic.title}" ({topic.key}).'
    for topic in new.topics:
        before = old.topic(topic.key)
        if before is None:
            yield f'Topic added: "{topic.title}" ({topic.key}).'
        else:
            yield from _one_topic_changes(old, before, new, topic)


def _one_topic_changes(old: Policy, before: Topic, new: Policy, after: Topic) -> Iterator[str]:
    label = f"Topic {after.key}"
    if before.title != after.title:
        yield f'{label}: title changes from "{before.title}" to "{after.title}".'
    if before.description != after.description:
        yield f"{label}: description changes."
    if before.approved_responders != after.approved_responders:
        yield (
            f"{label}: approved-responder roles change from {_names(before.approved_responders)} "
            f"to {_names(after.approved_responders)}."
        )
    if before.loop_in != after.loop_in:
        change = f"from {_names(before.loop_in)} to {_names(after.loop_in)}"
        yield f"{label}: loop-in roles change {change}."
    if before.template_response != after.template_response:
        yield f"{label}: template response {_template_change(before, after)}."
    yield from _people_changes(label, old, new, after.key)


def _template_change(before: Topic, after: Topic) -> str:
    if before.template_response is None:
        return "added"
    if after.template_response is None:
        return "removed"
    return "changes"


def _people_changes(label: str, old: Policy, new: Policy, key: str) -> Iterator[str]:
    was, now = route(old, key), route(new, key)
    lists = (
        (
            "new approved responders",
            "no longer approved responders",
            was.responders,
            now.responders,
        ),
        ("newly looped in", "no longer looped in", was.loop_in, now.loop_in),
    )
    for gained_label, lost_label, before, after in lists:
        gained = _missing_from(after, before)
        lost = _missing_from(before, after)
        if gained:
            yield f"{label}: {gained_label}: {_people(gained)}."
        if lost:
            yield f"{label}: {lost_label}: {_people(lost)}."
    if was.default_owner != now.default_owner:
        before_owner = _person(was.default_owner) if was.default_owner else "nobody"
        after_owner = _person(now.default_owner) if now.default_owner else "nobody"
        yield f"{label}: default owner changes from {before_owner} to {after_owner}."


def _missing_from(people: tuple[Member, ...], other: tuple[Member, ...]) -> list[Member]:
    """The people of ``people`` (in order) whose username is not in ``other``."""
    present = {m.username for m in other}
    return [m for m in people if m.username not in present]
