"""The ``/escalation`` slash command: ``list [mine|unowned] [topic <key>] [page <n>]``, ``mine``,
``show <ref>``, ``policy``, ``stats [days]``, ``new <permalink>``, ``new <link>`` (something
raised outside Mattermost, ``link_dialog``), ``help`` and ``help tips``; official responses
(``responses``, ``template``, ``route``, ``policy merged | diff``: ``official``); for system admins
``policy repin <username>``, ``channel adopt``, ``channel forget`` and ``export [days]``. Every
answer is ephemeral. The sub-commands are the entries of ``SUBCOMMANDS``; the help text is made
from it.
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

from escalations.app.domain.active_policy import ActivePolicy
from escalations.app.domain.errors import NotConfigured
from escalations.app.domain.kv import KV
from escalations.app.domain.model import Escalation, State
from escalations.app.domain.ports import Dialog, DialogElement, Host, TeamRef
from escalations.app.presentation import edge, link_dialog, official_text, report_commands
from escalations.app.views import render, sentences
from escalations.app.workflow.activation import COMMAND_TRIGGER, PolicyStatus
from escalations.app.workflow.official import OfficialResponses
from escalations.app.workflow.reports import Reports
from escalations.app.workflow.service import LIST_MINE, LIST_UNOWNED, NOTE_MAX_CHARS, Workflow
from escalations.runtime.models import CommandArgs, CommandResponse

log = logging.getLogger(__name__)

LIST_LIMIT = 25
LIST_MAX_PAGE = 10_000
DIALOG_CALLBACK = "community-escalations-new"
_POST_ID_RE = re.compile(r"(?:^|/pl/)([a-z0-9]{26})(?:[/?#].*)?$")

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
    official: OfficialResponses | None = None
    reports: Reports | None = None


Run = Callable[[CommandContext, CommandArgs, list[str]], str]


@dataclass(frozen=True)
class Subcommand:
    """One entry of ``SUBCOMMANDS``: the words that select it, what it takes after them (for the
    help and for the check ``arity``), what it does, and whether only system admins may run it."""

    words: str
    usage: str
    help: str
    run: Run
    arity: Callable[[int], bool] = lambda n: n == 0
    admin: bool = False


def _help(ctx: CommandContext, args: CommandArgs, rest: list[str]) -> str:
    return HELP


def _tips(ctx: CommandContext, args: CommandArgs, rest: list[str]) -> str:
    return sentences.tips_text(ctx.workflow.active_policy().policy)


def _admin_op(op: Callable[[AdminOps, list[str]], str]) -> Run:
    return lambda ctx, args, rest: op(ctx.admin, rest)


def execute(ctx: CommandContext, args: CommandArgs) -> CommandResponse:
    """Run the sub-command of ``SUBCOMMANDS`` whose words the command starts with (the longest
    match); errors are answered by ``edge``."""
    words = args.command.strip().split()[1:] or ["help"]
    return edge.run_slash(lambda: _dispatch(ctx, args, words))


def _dispatch(ctx: CommandContext, args: CommandArgs, words: list[str]) -> str:
    lowered = [w.lower() for w in words]
    for sub in sorted(SUBCOMMANDS, key=lambda s: -len(s.words.split())):
        head = sub.words.split()
        if lowered[: len(head)] == head and sub.arity(len(words) - len(head)):
            if sub.admin and not ctx.host.is_system_admin(args.user_id):
                return ADMINS_ONLY
            return sub.run(ctx, args, words[len(head) :])
    return f"Unknown or incomplete command.\n\n{HELP}"


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


def _list(ctx: CommandContext, args: CommandArgs, words: list[str]) -> str:
    user_id = args.user_id
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


def _mine(ctx: CommandContext, args: CommandArgs, rest: list[str]) -> str:
    records = ctx.workflow.mine(args.user_id)
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


def _show(ctx: CommandContext, args: CommandArgs, rest: list[str]) -> str:
    return sentences.show_text(ctx.workflow.get_by_ref(args.user_id, rest[0]))


def _policy(ctx: CommandContext, args: CommandArgs, rest: list[str]) -> str:
    """The active policy for everyone; its problems only for system admins and the escalations
    channel's (guarded) members; which usernames cannot be used only for system admins (it is a
    list of names anyone could register)."""
    user_id = args.user_id
    policy = ctx.workflow.active_policy()
    status = ctx.status()
    admin = ctx.host.is_system_admin(user_id)
    lines = [
        f"**Active policy:** {policy.policy.title}, version `{policy.policy.version}` "
        f"({policy.origin})",
        f"Topics: {len(policy.topics)}",
    ]
    if ctx.official is not None:
        lines += official_text.origins_lines(ctx.official.templates_origin())
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


_PROPOSAL_RE = re.compile(r"^\s*\S+\s+template\s+propose\s+\S+\s+(.+)$", re.IGNORECASE | re.DOTALL)


def _official_of(ctx: CommandContext) -> OfficialResponses:
    if ctx.official is None:
        raise NotConfigured("Official responses are not available yet; try again in a moment.")
    return ctx.official


def _responses(ctx: CommandContext, args: CommandArgs, rest: list[str]) -> str:
    return official_text.responses_text(*_official_of(ctx).responses(args.user_id, rest[0]))


def _route(ctx: CommandContext, args: CommandArgs, rest: list[str]) -> str:
    policy = ctx.workflow.with_templates(ctx.workflow.active_policy())
    topic = policy.topic(rest[0].lower())
    if topic is None:
        return f"Unknown topic `{rest[0][:64]}`; `/{COMMAND_TRIGGER} policy` lists the topics."
    return official_text.route_text(topic)


def _policy_merged(ctx: CommandContext, args: CommandArgs, rest: list[str]) -> str:
    return official_text.merged_text(_official_of(ctx).merged_policy(args.user_id))


def _policy_diff(ctx: CommandContext, args: CommandArgs, rest: list[str]) -> str:
    return official_text.diff_text(_official_of(ctx).merged_policy(args.user_id))


def _template_show(ctx: CommandContext, args: CommandArgs, rest: list[str]) -> str:
    return official_text.template_text(_official_of(ctx).template(args.user_id, rest[0]))


def _template_propose(ctx: CommandContext, args: CommandArgs, rest: list[str]) -> str:
    proposal = _PROPOSAL_RE.match(args.command)
    text = proposal.group(1) if proposal else " ".join(rest[1:])
    return official_text.proposed_text(_official_of(ctx).propose(args.user_id, rest[0], text))


def _template_approve(ctx: CommandContext, args: CommandArgs, rest: list[str]) -> str:
    return official_text.decided_text(_official_of(ctx).approve(args.user_id, rest[0]))


def _template_reject(ctx: CommandContext, args: CommandArgs, rest: list[str]) -> str:
    return official_text.decided_text(_official_of(ctx).reject(args.user_id, rest[0]))


def _reports_of(ctx: CommandContext) -> Reports:
    if ctx.reports is None:
        raise NotConfigured("Statistics are not available yet; try again in a moment.")
    return ctx.reports


def _stats(ctx: CommandContext, args: CommandArgs, rest: list[str]) -> str:
    return report_commands.stats_text(_reports_of(ctx), args.user_id, rest)


def _export(ctx: CommandContext, args: CommandArgs, rest: list[str]) -> str:
    _reports_of(ctx)
    return report_commands.export_text(ctx.host, args.user_id, rest, ctx.now_ms())


def _new(ctx: CommandContext, args: CommandArgs, rest: list[str]) -> str:
    link = rest[0]
    match = _POST_ID_RE.search(link.strip("<>"))
    if match is None:  # a link raised outside Mattermost
        checked = ctx.workflow.check_link_escalatable(args.user_id, link)
        policy = ctx.workflow.with_templates(ctx.workflow.active_policy())
        intro = dialog_introduction(policy)
        ctx.host.open_dialog(
            link_dialog.dialog(args.trigger_id, checked, topic_element(policy), intro)
        )
        return ""
    post_id = match.group(1)
    ctx.workflow.check_escalatable(args.user_id, post_id)
    policy = ctx.workflow.with_templates(ctx.workflow.active_policy())
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
    """The dialog's text: what is not sensitive, then who each topic pages and the template
    responses (the same preview as the Escalate modal's, for clients without it)."""
    lines = [policy.policy.non_sensitive_guidance, "", "**Who will be paged:**"]
    lines += [f"- {sentences.paged_preview(t)}" for t in policy.topics]
    templates = [t for t in policy.topics if (t.template_response or "").strip()]
    if templates:
        lines += ["", "**Template responses:**"]
        lines += [f"- **{t.title}**: {sentences.template_preview(t)}" for t in templates]
    return "\n".join(lines)


SUBCOMMANDS: tuple[Subcommand, ...] = (
    Subcommand(
        "new",
        "<permalink | link>",
        "escalate a post (opens a form with topic and note), or something raised outside "
        "Mattermost by its link, e.g. a GitHub issue (a form with topic, summary and note)",
        _new,
        arity=lambda n: n == 1,
    ),
    Subcommand(
        "list",
        "[mine | unowned] [topic <key>] [page <n>]",
        "open escalations, with owner, age, excerpt and reference (`mine`: those you own; "
        "`unowned`: those whose owner has not acknowledged them)",
        _list,
        arity=lambda n: True,
    ),
    Subcommand("mine", "", "the escalations you raised and their state", _mine),
    Subcommand(
        "show",
        "<ref>",
        "one escalation by its reference, its state and history",
        _show,
        arity=lambda n: n == 1,
    ),
    Subcommand("policy", "", "the active policy and any problems with it", _policy),
    Subcommand(
        "policy merged",
        "",
        "the policy with the templates approved here (YAML to commit to the policy's source)",
        _policy_merged,
    ),
    Subcommand(
        "policy diff", "", "the change the approved templates make to the policy file", _policy_diff
    ),
    Subcommand(
        "stats",
        "[days]",
        "per topic, escalations, time to acknowledge and to resolve, outcomes, open ones, missing "
        "templates (system admins and the escalations channel)",
        _stats,
        arity=lambda n: n <= 1,
    ),
    Subcommand(
        "route",
        "<topic>",
        "who a topic pages, its default owner and template",
        _route,
        arity=lambda n: n == 1,
    ),
    Subcommand(
        "responses",
        "<topic>",
        "the responses given for a topic, newest first",
        _responses,
        arity=lambda n: n == 1,
    ),
    Subcommand(
        "template show",
        "<topic>",
        "the topic's template and its proposal",
        _template_show,
        arity=lambda n: n == 1,
    ),
    Subcommand(
        "template propose",
        "<topic> <number | text>",
        "propose a response (by its number in `responses`) or a text as the topic's template "
        "(approved responders of the topic)",
        _template_propose,
        arity=lambda n: n >= 2,
    ),
    Subcommand(
        "template approve",
        "<topic>",
        "approve the proposed template (system admins and the Template approvers setting's roles)",
        _template_approve,
        arity=lambda n: n == 1,
    ),
    Subcommand(
        "template reject",
        "<topic>",
        "reject the proposed template (same people as approve)",
        _template_reject,
        arity=lambda n: n == 1,
    ),
    Subcommand(
        "help tips",
        "",
        "the response-writing tips (also the **Response tips** button)",
        _tips,
    ),
    Subcommand("help", "", "this text", _help),
    Subcommand(
        "policy repin",
        "<username>",
        "give a policy name to the account that holds it now",
        _admin_op(lambda admin, rest: admin.repin(rest[0])),
        arity=lambda n: n == 1,
        admin=True,
    ),
    Subcommand(
        "channel adopt",
        "",
        "use the existing private channel of the channel setting",
        _admin_op(lambda admin, rest: admin.adopt_channel()),
        admin=True,
    ),
    Subcommand(
        "channel forget",
        "",
        "stop using the stored channel (a new one is created)",
        _admin_op(lambda admin, rest: admin.forget_channel()),
        admin=True,
    ),
    Subcommand(
        "export",
        "[days]",
        "links to the export of the escalations (CSV, JSON)",
        _export,
        arity=lambda n: n <= 1,
        admin=True,
    ),
)


def _help_line(sub: Subcommand) -> str:
    usage = f"/{COMMAND_TRIGGER} {sub.words}" + (f" {sub.usage}" if sub.usage else "")
    return f"- `{usage}`: {sub.help}"


HELP = "\n".join(
    [
        f"**/{COMMAND_TRIGGER}**: escalate sensitive community topics to their approved "
        "responders.",
        *(_help_line(s) for s in SUBCOMMANDS if not s.admin),
        "System admins only:",
        *(_help_line(s) for s in SUBCOMMANDS if s.admin),
        'On desktop and web you can also use **Escalate** in a post\'s "..." menu, and '
        "**Escalate a link** in the channel header.",
    ]
)
