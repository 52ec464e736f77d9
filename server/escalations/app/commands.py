"""The ``/escalation`` slash command: ``list [mine|unowned] [topic <key>] [page <n>]``, ``mine``,
``show <ref>``, ``policy``, ``new <permalink>``, ``new <link>`` (something raised outside
Mattermost, ``link_dialog``), ``help`` and ``help tips``, and for system admins
``policy repin <username>``, ``channel adopt`` and ``channel forget``. Every answer is ephemeral.
``new`` opens an interactive dialog (topic + note, with who each topic pages): the path for mobile
clients, where post menu actions do not show.

The gRPC ``Command`` message has no autocomplete tree (docs/protocol.md §4.3), so autocomplete is
the trigger with a hint listing the sub-commands.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Protocol

from escalations.runtime.errors import PluginAPIError
from escalations.runtime.models import CommandArgs, CommandResponse

from . import link_dialog, render, sentences
from .activation import COMMAND_TRIGGER, PolicyStatus
from .active_policy import ActivePolicy
from .errors import WorkflowError
from .kv import KV
from .model import Escalation, State
from .ports import Dialog, DialogElement, Host, TeamRef
from .service import LIST_MINE, LIST_UNOWNED, NOTE_MAX_CHARS, Workflow

log = logging.getLogger(__name__)

LIST_LIMIT = 25
LIST_MAX_PAGE = 10_000
DIALOG_CALLBACK = "community-escalations-new"
_POST_ID_RE = re.compile(r"(?:^|/pl/)([a-z0-9]{26})(?:[/?#].*)?$")

HELP = f"""\
**/{COMMAND_TRIGGER}**: escalate sensitive community topics to their approved responders.
- `/{COMMAND_TRIGGER} new <permalink>`: escalate a post (opens a form with topic and note)
- `/{COMMAND_TRIGGER} new <link>`: escalate something raised outside Mattermost, e.g. a GitHub \
issue (opens a form with topic, summary and note)
- `/{COMMAND_TRIGGER} list [mine | unowned] [topic <key>] [page <n>]`: open escalations, with \
owner, age, excerpt and reference (`mine`: those you own; `unowned`: those whose owner has not \
acknowledged them)
- `/{COMMAND_TRIGGER} mine`: the escalations you raised and their state
- `/{COMMAND_TRIGGER} show <ref>`: one escalation by its reference, its state and history
- `/{COMMAND_TRIGGER} policy`: the active policy and any problems with it
- `/{COMMAND_TRIGGER} help tips`: the response-writing tips (also the **Response tips** button)
- `/{COMMAND_TRIGGER} help`: this text
System admins only:
- `/{COMMAND_TRIGGER} policy repin <username>`: give a policy name to the account that holds it now
- `/{COMMAND_TRIGGER} channel adopt`: use the existing private channel of the channel setting
- `/{COMMAND_TRIGGER} channel forget`: stop using the stored channel (a new one is created)
On desktop and web you can also use **Escalate** in a post's "..." menu, and **Escalate a link** \
in the channel header."""


ChannelDecision = Callable[[Host, KV, TeamRef, str], str]
ADMINS_ONLY = "Only system admins can do that."


class AdminOps(Protocol):
    """System admins' decisions; each re-runs activation and returns the text to show."""

    def repin(self, username: str) -> str: ...
    def adopt_channel(self) -> str: ...
    def forget_channel(self) -> str: ...


@dataclass(frozen=True)
class CommandContext:
    workflow: Workflow
    host: Host
    status: Callable[[], PolicyStatus]
    now_ms: Callable[[], int]
    admin: AdminOps


def execute(ctx: CommandContext, args: CommandArgs) -> CommandResponse:
    words = args.command.strip().split()
    sub = words[1].lower() if len(words) > 1 else "help"
    rest = words[2:]
    try:
        if sub == "list":
            return _reply(_list(ctx, args.user_id, rest))
        if sub == "mine" and not rest:
            return _reply(_mine(ctx, args.user_id))
        if sub == "show" and len(rest) == 1:
            return _reply(_show(ctx, args.user_id, rest[0]))
        if sub == "policy" and not rest:
            return _reply(_policy(ctx, args.user_id))
        if sub == "policy" and len(rest) == 2 and rest[0].lower() == "repin":
            return _reply(_as_admin(ctx, args.user_id, lambda: ctx.admin.repin(rest[1])))
        if sub == "channel" and rest in (["adopt"], ["forget"]):
            act = ctx.admin.adopt_channel if rest[0] == "adopt" else ctx.admin.forget_channel
            return _reply(_as_admin(ctx, args.user_id, act))
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


@dataclass(frozen=True)
class ListQuery:
    view: str = ""
    topic: str = ""
    page: int = 1


def parse_list(words: list[str]) -> ListQuery | str:
    """``[mine|unowned] [topic <key>] [page <n>]`` in any order; a usage text when malformed."""
    usage = f"Usage: `/{COMMAND_TRIGGER} list [mine | unowned] [topic <key>] [page <n>]`"
    query = ListQuery()
    it = iter(w.lower() for w in words)
    for word in it:
        if word in (LIST_MINE, LIST_UNOWNED) and not query.view:
            query = replace(query, view=word)
        elif word == "topic" and not query.topic:
            query = replace(query, topic=next(it, ""))
            if not query.topic:
                return usage
        elif word == "page":
            number = next(it, "")
            if not number.isdigit() or not 0 < int(number) <= LIST_MAX_PAGE:
                return usage
            query = replace(query, page=int(number))
        else:
            return usage
    return query


def _list(ctx: CommandContext, user_id: str, words: list[str]) -> str:
    query = parse_list(words)
    if isinstance(query, str):
        return query
    if query.topic and ctx.workflow.active_policy().topic(query.topic) is None:
        return f"Unknown topic `{query.topic}`; `/{COMMAND_TRIGGER} policy` lists the topics."
    records = ctx.workflow.list_open(user_id, query.view, query.topic)
    if not records:
        return "No open escalations" + (" match." if query.view or query.topic else ".")
    pages = (len(records) + LIST_LIMIT - 1) // LIST_LIMIT
    page = min(query.page, pages)
    now = ctx.now_ms()
    shown = ctx.workflow.open_records(records[(page - 1) * LIST_LIMIT : page * LIST_LIMIT])
    lines = [
        f"**Open escalations ({len(records)})**"
        + (f", page {page} of {pages}" if pages > 1 else "")
        + ", oldest first:"
    ]
    lines += [sentences.list_line(r, now) for r in shown]
    if page < pages:
        more = " ".join(["list", *words_without_page(words), "page", str(page + 1)])
        lines.append(f"Next page: `/{COMMAND_TRIGGER} {more}`")
    lines.append(f"`/{COMMAND_TRIGGER} show <ref>` shows one with its history.")
    return "\n".join(lines)


def words_without_page(words: list[str]) -> list[str]:
    out: list[str] = []
    skip = False
    for w in words:
        if skip:
            skip = False
        elif w.lower() == "page":
            skip = True
        else:
            out.append(w)
    return out


def _mine(ctx: CommandContext, user_id: str) -> str:
    records = ctx.workflow.mine(user_id)
    if not records:
        return "You have not escalated anything yet."
    now = ctx.now_ms()
    lines = [f"**Your escalations ({len(records)})**, newest first:"]
    for r in records:
        lines.append(
            f"- `{r.ref}` {r.topic_title}, {_yours(r)}, "
            f"{sentences.age(now - r.created_at)} ago: {_escalator_state(r)}"
        )
    lines.append(f"`/{COMMAND_TRIGGER} show <ref>` shows one with its history.")
    return "\n".join(lines)


def _yours(r: Escalation) -> str:
    return render.source_reference(r) if r.is_link else f"[your post]({r.source_link})"


def _escalator_state(r: Escalation) -> str:
    """The state as the person who escalated may see it: who owns it, the outcome."""
    if r.state is State.RESOLVED:
        who = r.last_event.who if r.last_event else "?"
        text = f"resolved by @{who} ({r.outcome.label if r.outcome else ''})"
        return text + (f"; response: {render.response_text(r.response)}" if r.response else "")
    return "open, owner " + render.owner_text(r)


def _show(ctx: CommandContext, user_id: str, ref: str) -> str:
    return sentences.show_text(ctx.workflow.get_by_ref(user_id, ref))


def _as_admin(ctx: CommandContext, user_id: str, act: Callable[[], str]) -> str:
    return act() if ctx.host.is_system_admin(user_id) else ADMINS_ONLY


def _policy(ctx: CommandContext, user_id: str) -> str:
    """The active policy for everyone; its problems only for system admins and the escalations
    channel's (guarded) members; which usernames cannot be used only for system admins (it is a
    list of names anyone could register)."""
    policy = ctx.workflow.active_policy()
    status = ctx.status()
    admin = ctx.host.is_system_admin(user_id)
    lines = [
        f"**Active policy:** {policy.policy.title}, version `{policy.policy.version}` "
        f"({policy.origin})",
        f"Topics: {len(policy.topics)}",
    ]
    empty = sentences.empty_roles_lines(policy)
    if empty:
        lines.append("**Roles with nobody who can be mentioned** (escalations say so):")
        lines += empty
    if not admin and not ctx.workflow.is_insider(user_id):
        lines.append(
            "Problems with the policy or the setup, if any, are shown to system admins and the "
            "escalations channel's members."
        )
        return "\n".join(lines)
    if status.rejected_override:
        lines.append("**The policy override was rejected** (the policy above stays active):")
        lines += [f"- {e}" for e in status.rejected_override]
    if policy.warnings:
        lines.append("**Warnings:**")
        lines += [f"- {w}" for w in policy.warnings]
    lines += _names(policy.unresolved, status.unresolved_allow_list, admin)
    if status.setup_problems:
        lines.append("**Setup problems:**")
        lines += [f"- {p}" for p in status.setup_problems]
    return "\n".join(lines)


def _names(unresolved: tuple[str, ...], allow_list: tuple[str, ...], admin: bool) -> list[str]:
    if not unresolved and not allow_list:
        return ["All usernames in the policy resolve to their accounts."]
    if not admin:
        count = len(unresolved) + len(allow_list)
        return [f"{count} username(s) in the settings cannot be used (system admins see which)."]
    lines: list[str] = []
    if unresolved:
        lines.append("**Usernames that cannot be used** (left out of escalations):")
        lines += [f"- {u}" for u in unresolved]
    if allow_list:
        lines.append("**Allow-list usernames that cannot be used:**")
        lines += [f"- {u}" for u in allow_list]
    lines.append(
        f"A name now held by another account keeps its rights with the pinned account until a "
        f"system admin runs `/{COMMAND_TRIGGER} policy repin <username>`."
    )
    return lines


def _new(ctx: CommandContext, args: CommandArgs, link: str) -> str:
    match = _POST_ID_RE.search(link.strip("<>"))
    if match is None:  # a link raised outside Mattermost
        checked = ctx.workflow.check_link_escalatable(args.user_id, link)
        policy = ctx.workflow.active_policy()
        intro = dialog_introduction(policy)
        ctx.host.open_dialog(
            link_dialog.dialog(args.trigger_id, checked, topic_element(policy), intro)
        )
        return ""
    post_id = match.group(1)
    ctx.workflow.check_escalatable(args.user_id, post_id)
    policy = ctx.workflow.active_policy()
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
            elements=(topic_element(policy), note),
        )
    )
    return ""


def topic_element(policy: ActivePolicy) -> DialogElement:
    """The dialogs' topic select."""
    return DialogElement(
        display_name="Topic",
        name="topic",
        type="select",
        help_text="The sensitive topic; its approved responders are notified.",
        options=tuple((t.title, t.key) for t in policy.topics),
    )


def dialog_introduction(policy: ActivePolicy) -> str:
    """The dialog's text: what is not sensitive, then who each topic pages (the same preview as
    the Escalate modal's, for clients without it)."""
    lines = [policy.policy.non_sensitive_guidance, "", "**Who will be paged:**"]
    lines += [f"- {sentences.paged_preview(t)}" for t in policy.topics]
    return "\n".join(lines)
