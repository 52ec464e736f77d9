"""The ``escalations`` command line: check, route and compare policy files.

Usage::

    escalations policy check FILE           exit 0 when valid (warnings printed), 1 with every error
    escalations policy route FILE TOPIC [--json]
                                            the people for a topic; exit 2 for an unknown topic
    escalations policy diff OLD NEW         what replacing OLD by NEW changes

FILE may be ``-`` for standard input (e.g. a System Console override pasted into a pipe).
Also runnable as ``python -m escalations``. Exit codes: 0 success, 1 an invalid policy (or an
unreadable file), 2 a usage error or an unknown topic.

This is an adapter: it reads files, prints, and translates the policy layer's results and
exceptions into exit codes, here and nowhere else.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable, Sequence
from typing import TextIO

from escalations.policy import (
    LoadResult,
    Member,
    Policy,
    Routing,
    UnknownTopic,
    diff,
    load_policy_file,
    load_policy_text,
    route,
)

EXIT_OK = 0
EXIT_INVALID = 1
EXIT_USAGE = 2

STDIN_NAME = "-"


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code (the console script exits with it)."""
    args = _parser().parse_args(argv)
    handler: Callable[[argparse.Namespace], int] = args.handler
    try:
        return handler(args)
    except BrokenPipeError:
        # The reader went away (`... | head`). Point stdout at /dev/null so the interpreter's
        # final flush does not raise again, and fail quietly like other Unix tools.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_INVALID


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="escalations", description="Community Escalations plugin tools."
    )
    areas = parser.add_subparsers(dest="area", required=True, metavar="AREA")
    policy = areas.add_parser("policy", help="check, route and compare escalation policy files")
    commands = policy.add_subparsers(dest="command", required=True, metavar="COMMAND")

    check = commands.add_parser("check", help="validate a policy file; list every problem")
    check.add_argument("file", metavar="FILE", help='policy YAML file ("-" for stdin)')
    check.set_defaults(handler=_check)

    route_cmd = commands.add_parser("route", help="who handles a topic under a policy")
    route_cmd.add_argument("file", metavar="FILE", help='policy YAML file ("-" for stdin)')
    route_cmd.add_argument("topic", metavar="TOPIC", help="topic key, e.g. illicit-use")
    route_cmd.add_argument("--json", action="store_true", help="print JSON for scripts")
    route_cmd.set_defaults(handler=_route)

    diff_cmd = commands.add_parser("diff", help="what replacing OLD by NEW changes")
    diff_cmd.add_argument("old", metavar="OLD", help="the policy in force")
    diff_cmd.add_argument("new", metavar="NEW", help="the policy that would replace it")
    diff_cmd.set_defaults(handler=_diff)
    return parser


def _load(file: str) -> LoadResult:
    if file == STDIN_NAME:
        return load_policy_text(sys.stdin.read(), source="<stdin>")
    return load_policy_file(file)


def _print_errors(result: LoadResult, out: TextIO) -> None:
    for issue in result.errors:
        print(f"error: {issue}", file=out)


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def _check(args: argparse.Namespace) -> int:
    result = _load(args.file)
    _print_errors(result, sys.stdout)
    for issue in result.warnings:
        print(f"warning: {issue}", file=sys.stdout)
    name = "<stdin>" if args.file == STDIN_NAME else args.file
    if result.policy is None:
        print(f"{name}: not valid: {_count(len(result.errors), 'error')}")
        return EXIT_INVALID
    policy = result.policy
    print(
        f'{name}: valid, {_count(len(result.warnings), "warning")}: "{policy.title}" '
        f"(version {policy.version}), {_count(len(policy.topics), 'topic')}, "
        f"{_count(len(policy.roles), 'role')}"
    )
    return EXIT_OK


def _route(args: argparse.Namespace) -> int:
    result = _load(args.file)
    if result.policy is None:
        _print_errors(result, sys.stderr)
        return EXIT_INVALID
    try:
        routing = route(result.policy, args.topic)
    except UnknownTopic as exc:
        print(f"escalations: {exc}", file=sys.stderr)
        return EXIT_USAGE
    if args.json:
        print(json.dumps(routing_json(routing), indent=2, ensure_ascii=False))
    else:
        print(_routing_text(routing))
    return EXIT_OK


def routing_json(routing: Routing) -> dict[str, object]:
    """The ``route --json`` document: usernames only, ``null`` where there is nothing."""
    owner = routing.default_owner
    return {
        "topic": routing.topic.key,
        "responders": [m.username for m in routing.responders],
        "loop_in": [m.username for m in routing.loop_in],
        "default_owner": owner.username if owner is not None else None,
        "template_response": routing.template_response,
        "empty_roles": {
            "responders": list(routing.empty_responder_roles),
            "loop_in": list(routing.empty_loop_in_roles),
        },
    }


def _people(routing: Routing, members: Sequence[Member], empty_roles: Sequence[str] = ()) -> str:
    """People with their display names and roles, then each role with nobody in it."""
    people = [
        f"@{m.username} ({'; '.join((m.display_name, *routing.roles_of(m.username)))})"
        for m in members
    ]
    people += [f"{role}: nobody in this role" for role in empty_roles]
    return ", ".join(people) or "nobody"


def _routing_text(routing: Routing) -> str:
    owner = routing.default_owner
    responders = _people(routing, routing.responders, routing.empty_responder_roles)
    lines = [
        f"Topic: {routing.topic.title} ({routing.topic.key})",
        f"Approved responders: {responders}",
        f"Loop in: {_people(routing, routing.loop_in, routing.empty_loop_in_roles)}",
        f"Default owner: {_people(routing, [owner]) if owner is not None else 'nobody'}",
        f"Template response: {routing.template_response or 'none yet'}",
    ]
    return "\n".join(lines)


def _diff(args: argparse.Namespace) -> int:
    old, new = _load(args.old), _load(args.new)
    if old.policy is None or new.policy is None:
        _print_errors(old, sys.stderr)
        _print_errors(new, sys.stderr)
        return EXIT_INVALID
    print(_diff_text(old.policy, new.policy))
    return EXIT_OK


def _diff_text(old: Policy, new: Policy) -> str:
    changes = diff(old, new)
    if changes.is_empty:
        return "No changes."
    return "\n".join(f"- {line}" for line in changes.changes)
