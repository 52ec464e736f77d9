"""Warnings: things in a valid policy that work but need an admin's attention.

Each check is a small function over the frozen model returning ``Issue``s; ``find_warnings``
runs them all in a fixed order so output is deterministic. Paths point at the value to fix.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from escalations.policy.engine import route
from escalations.policy.model import Issue, Policy

_PLACEHOLDER_TEMPLATES = frozenset({"to be added", "tbd", "todo", "n/a", "none"})


def find_warnings(policy: Policy, source: str) -> tuple[Issue, ...]:
    """All warnings for ``policy``; ``source`` names it in each ``Issue``."""
    checks: tuple[Callable[[Policy], Iterator[tuple[str, str, str]]], ...] = (
        _empty_roles,
        _unused_roles,
        _topics_without_people,
        _redundant_loop_in,
        _display_name_mismatch,
        _placeholder_templates,
    )
    return tuple(
        Issue(source, path, message, code)
        for check in checks
        for path, message, code in check(policy)
    )


def _quoted(names: tuple[str, ...] | list[str]) -> str:
    return ", ".join(f'"{n}"' for n in names)


def _empty_roles(policy: Policy) -> Iterator[tuple[str, str, str]]:
    for i, role in enumerate(policy.roles):
        if role.members:
            continue
        responder_of = [t.key for t in policy.topics if role.name in t.approved_responders]
        loop_in_of = [t.key for t in policy.topics if role.name in t.loop_in]
        if not responder_of and not loop_in_of:
            continue  # reported once, as an unused role
        effects = []
        if responder_of:
            effects.append(f"topics that lose an approved responder: {', '.join(responder_of)}")
        if loop_in_of:
            effects.append(f"topics that lose a loop-in: {', '.join(loop_in_of)}")
        yield (
            f"roles[{i}].members",
            f'role "{role.name}" has no members; ' + "; ".join(effects),
            "empty-role",
        )


def _unused_roles(policy: Policy) -> Iterator[tuple[str, str, str]]:
    used = {name for t in policy.topics for name in (*t.approved_responders, *t.loop_in)}
    for i, role in enumerate(policy.roles):
        if role.name not in used:
            holders = ", ".join(m.display_name for m in role.members) or "nobody"
            yield (
                f"roles[{i}]",
                f'role "{role.name}" ({holders}) is not used by any topic',
                "unused-role",
            )


def _topics_without_people(policy: Policy) -> Iterator[tuple[str, str, str]]:
    for i, topic in enumerate(policy.topics):
        if not any(r.members for r in policy.roles if r.name in topic.approved_responders):
            yield (
                f"topics[{i}].approved_responders",
                f'nobody holds the approved-responder roles of "{topic.key}": nobody can engage '
                "it and it has no default owner",
                "no-responder-people",
            )


def _redundant_loop_in(policy: Policy) -> Iterator[tuple[str, str, str]]:
    for i, topic in enumerate(policy.topics):
        both = [name for name in topic.loop_in if name in topic.approved_responders]
        if not both:
            continue
        noun = "an approved responder" if len(both) == 1 else "approved responders"
        rest = "" if route(policy, topic.key).loop_in else "; nobody is looped in"
        yield (
            f"topics[{i}].loop_in",
            f'{_quoted(both)} {"is" if len(both) == 1 else "are"} also {noun} of "{topic.key}", '
            f"so mentioned once, as {'a responder' if len(both) == 1 else 'responders'}{rest}",
            "redundant-loop-in",
        )


def _display_name_mismatch(policy: Policy) -> Iterator[tuple[str, str, str]]:
    first: dict[str, str] = {}
    for i, role in enumerate(policy.roles):
        for j, member in enumerate(role.members):
            known = first.setdefault(member.username, member.display_name)
            if known != member.display_name:
                yield (
                    f"roles[{i}].members[{j}].display_name",
                    f'"{member.username}" is called "{member.display_name}" here but '
                    f'"{known}" elsewhere',
                    "display-name-mismatch",
                )


def _placeholder_templates(policy: Policy) -> Iterator[tuple[str, str, str]]:
    for i, topic in enumerate(policy.topics):
        text = topic.template_response
        if text is not None and text.strip().rstrip(".").casefold() in _PLACEHOLDER_TEMPLATES:
            yield (
                f"topics[{i}].template_response",
                f'"{text}" looks like a placeholder; write null when there is no template yet',
                "placeholder-template",
            )
