"""The ``/escalation`` slash command: ``list``, ``show <ref>``, ``policy``, ``new <permalink>``,
``help`` and ``help tips``. Every answer is ephemeral. ``new`` opens an interactive dialog (topic +
note, with who each topic pages): the path for mobile clients, where post menu actions do not show.

The gRPC ``Command`` message has no autocomplete tree (docs/protocol.md §4.3), so autocomplete is
the trigger with a hint listing the sub-commands.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass

from escalations.runtime.errors import PluginAPIError
from escalations.runtime.models import CommandArgs, CommandResponse

from . import render, sentences
from .activation import COMMAND_TRIGGER, PolicyStatus
from .active_policy import ActivePolicy
from .errors import WorkflowError
from .ports import Dialog, DialogElement, Host
from .service import NOTE_MAX_CHARS, Workflow

log = logging.getLogger(__name__)

LIST_LIMIT = 25
DIALOG_CALLBACK = "community-escalations-new"
_POST_ID_RE = re.compile(r"(?:^|/pl/)([a-z0-9]{26})(?:[/?#].*)?$")

HELP = f"""\
**/{COMMAND_TRIGGER}**: escalate sensitive community topics to their approved responders.
- `/{COMMAND_TRIGGER} new <permalink>`: escalate a post (opens a form with topic and note)
- `/{COMMAND_TRIGGER} list`: open escalations, with owner, age, excerpt and reference
- `/{COMMAND_TRIGGER} show <ref>`: one escalation by its reference, its state and history
- `/{COMMAND_TRIGGER} policy`: the active policy and any problems with it
- `/{COMMAND_TRIGGER} help tips`: the response-writing tips (also the **Response tips** button)
- `/{COMMAND_TRIGGER} help`: this text
On desktop and web you can also use **Escalate** in a post's "..." menu."""


@dataclass(frozen=True)
class CommandContext:
    workflow: Workflow
    host: Host
    status: Callable[[], PolicyStatus]
    now_ms: Callable[[], int]


def execute(ctx: CommandContext, args: CommandArgs) -> CommandResponse:
    words = args.command.strip().split()
    sub = words[1].lower() if len(words) > 1 else "help"
    rest = words[2:]
    try:
        if sub == "list":
            return _reply(_list(ctx, args.user_id))
        if sub == "show" and len(rest) == 1:
            return _reply(_show(ctx, args.user_id, rest[0]))
        if sub == "policy":
            return _reply(_policy(ctx))
        if sub == "new" and len(rest) == 1:
            return _reply(_new(ctx, args, rest[0]))
        if sub == "help" and [w.lower() for w in rest] == ["tips"]:
            return _reply(sentences.tips_text(ctx.workflow.active_policy().policy))
        if sub == "help" and not rest:
            return _reply(HELP)
        return _reply(f"Unknown or incomplete command.\n\n{HELP}")
    except WorkflowError as exc:
        return _reply(exc.public)
    except PluginAPIError:
        log.exception("/%s %s failed", COMMAND_TRIGGER, sub)
        return _reply("Something went wrong; please try again.")


def _reply(text: str) -> CommandResponse:
    return CommandResponse.ephemeral(text)


def _list(ctx: CommandContext, user_id: str) -> str:
    records = ctx.workflow.list_open(user_id)
    if not records:
        return "No open escalations."
    now = ctx.now_ms()
    lines = [f"**Open escalations ({len(records)})**, oldest first:"]
    lines += [sentences.list_line(r, now) for r in records[:LIST_LIMIT]]
    if len(records) > LIST_LIMIT:
        lines.append(f"... and {len(records) - LIST_LIMIT} more.")
    lines.append(f"`/{COMMAND_TRIGGER} show <ref>` shows one with its history.")
    return "\n".join(lines)


def _show(ctx: CommandContext, user_id: str, ref: str) -> str:
    return sentences.show_text(ctx.workflow.get_by_ref(user_id, ref))


def _policy(ctx: CommandContext) -> str:
    policy = ctx.workflow.active_policy()
    status = ctx.status()
    lines = [
        f"**Active policy:** {policy.policy.title}, version `{policy.policy.version}` "
        f"({policy.origin})",
        f"Topics: {len(policy.topics)}",
    ]
    if status.rejected_override:
        lines.append("**The policy override was rejected** (the policy above stays active):")
        lines += [f"- {e}" for e in status.rejected_override]
    if policy.warnings:
        lines.append("**Warnings:**")
        lines += [f"- {w}" for w in policy.warnings]
    if policy.unresolved:
        lines.append("**Usernames that cannot be mentioned** (left out of escalations):")
        lines += [f"- {u}" for u in policy.unresolved]
    else:
        lines.append("All usernames in the policy resolve to active users.")
    empty = sentences.empty_roles_lines(policy)
    if empty:
        lines.append("**Roles with nobody who can be mentioned** (escalations say so):")
        lines += empty
    if status.setup_problems:
        lines.append("**Setup problems:**")
        lines += [f"- {p}" for p in status.setup_problems]
    return "\n".join(lines)


def _new(ctx: CommandContext, args: CommandArgs, link: str) -> str:
    match = _POST_ID_RE.search(link.strip("<>"))
    if match is None:
        return f"Give a post's permalink, e.g. `/{COMMAND_TRIGGER} new https://.../pl/<post id>`."
    post_id = match.group(1)
    ctx.workflow.check_escalatable(args.user_id, post_id)
    policy = ctx.workflow.active_policy()
    topic = DialogElement(
        display_name="Topic",
        name="topic",
        type="select",
        help_text="The sensitive topic; its approved responders are notified.",
        options=tuple((t.title, t.key) for t in policy.topics),
    )
    note = DialogElement(
        display_name="Note",
        name="note",
        type="textarea",
        optional=True,
        max_length=NOTE_MAX_CHARS,
        placeholder="Context for the responders (optional)",
    )
    ctx.host.open_dialog(
        Dialog(
            trigger_id=args.trigger_id,
            url=render.DIALOG_URL,
            callback_id=DIALOG_CALLBACK,
            title="Escalate a post",
            introduction_text=dialog_introduction(policy),
            submit_label="Escalate",
            state=post_id,
            elements=(topic, note),
        )
    )
    return ""


def dialog_introduction(policy: ActivePolicy) -> str:
    """The dialog's text: what is not sensitive, then who each topic pages (the same preview as
    the Escalate modal's, for clients without it)."""
    lines = [policy.policy.non_sensitive_guidance, "", "**Who will be paged:**"]
    lines += [f"- {sentences.paged_preview(t)}" for t in policy.topics]
    return "\n".join(lines)
