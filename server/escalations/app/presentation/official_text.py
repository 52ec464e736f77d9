"""What ``/escalation responses``, ``template``, ``route`` and ``policy merged | diff`` say.

Template texts and responses are text people wrote: shown made safe (``sanitize``), the way the
escalation post shows an excerpt; people are named quietly (no mentions).
"""

from __future__ import annotations

from collections.abc import Sequence

from escalations.app.domain import sanitize
from escalations.app.domain.active_policy import TopicRoute
from escalations.app.views.render import quiet, response_text
from escalations.app.views.sentences import format_time, paged_preview, template_lines
from escalations.app.workflow.official import Answer, Merged, TemplateView
from escalations.app.workflow.templates import Authored

TRIGGER = "/escalation"
# Ephemeral posts longer than this are cut (Mattermost's limit is 16,383 characters).
MESSAGE_MAX_CHARS = 16_000


def responses_text(topic: TopicRoute, answers: Sequence[Answer]) -> str:
    if not answers:
        return f"No responses recorded for **{topic.title}** yet."
    lines = [f"**Responses for {topic.title}** ({len(answers)}, newest first):"]
    for a in answers:
        who = quiet(a.username) if a.username else "an account that no longer exists"
        lines.append(
            f"{a.number}. {format_time(a.entry.when)}, {who} "
            f"([escalation]({a.entry.permalink})): {response_text(a.entry.response)}"
        )
    lines.append(
        f"`{TRIGGER} template propose {topic.key} <number>` proposes one as the topic's template."
    )
    return "\n".join(lines)


def template_text(view: TemplateView) -> str:
    topic, state = view.topic, view.state
    lines = [f"**Template for {topic.title}**"]
    if state.approved is not None:
        lines.append(
            f"Approved in the plugin by {quiet(state.approved.username)} on "
            f"{format_time(state.approved.when)}"
            + (f", proposed by {quiet(state.proposed_by)}:" if state.proposed_by else ":")
        )
        lines += _quoted(state.approved.text)
        lines.append("The policy file's template: " + (_one_line(view.policy_template) or "none"))
    else:
        lines += template_lines(view.policy_template)
    if state.proposal is not None:
        lines.append(
            f"**Proposed** by {quiet(state.proposal.username)} on "
            f"{format_time(state.proposal.when)}:"
        )
        lines += _quoted(state.proposal.text)
        lines.append(
            f"`{TRIGGER} template approve {topic.key}` or `{TRIGGER} template reject {topic.key}` "
            "(system admins and the Template approvers setting's roles)."
        )
    if state.events:
        lines.append("**Log:**")
        lines += [f"- {_event(e)}" for e in state.events]
    return "\n".join(lines)


def proposed_text(view: TemplateView) -> str:
    return f"Proposed as the template of **{view.topic.title}**.\n\n" + template_text(view)


def decided_text(view: TemplateView) -> str:
    done = "approved" if view.state.events[-1].text == "approved" else "rejected"
    return f"Template of **{view.topic.title}** {done}.\n\n" + template_text(view)


def origins_lines(views: Sequence[TemplateView]) -> list[str]:
    """For ``/escalation policy``: which templates come from the policy file, which were
    approved in the plugin, which topics have none."""
    approved = [
        f"{v.topic.key} ({quiet(v.state.approved.username)}, "
        f"{format_time(v.state.approved.when)[:10]})"
        for v in views
        if v.state.approved is not None
    ]
    from_file = [
        v.topic.key for v in views if v.state.approved is None and (v.policy_template or "").strip()
    ]
    none = [
        v.topic.key
        for v in views
        if v.state.approved is None and not (v.policy_template or "").strip()
    ]
    lines = ["**Template responses:**"]
    if approved:
        lines.append("- approved in the plugin: " + ", ".join(approved))
    if from_file:
        lines.append("- from the policy file: " + ", ".join(from_file))
    if none:
        lines.append("- none yet: " + ", ".join(none))
    if approved:
        lines.append(
            f"`{TRIGGER} policy merged` prints the policy with the approved templates, "
            f"`{TRIGGER} policy diff` the change to its file."
        )
    return lines


def route_text(topic: TopicRoute) -> str:
    """``/escalation route <topic>``: who is paged, the default owner, the template."""
    owner = quiet(topic.default_owner.username) if topic.default_owner else "nobody"
    lines = [paged_preview(topic), f"**Default owner:** {owner}"]
    lines += template_lines(topic.template_response, topic.template_approved_by)
    if topic.template_approved_by:
        lines.append(f"_Approved on {format_time(topic.template_approved_at)}._")
    return "\n".join(lines)


def merged_text(merged: Merged) -> str:
    if not merged.approved:
        return "No approved template differs from the policy file: the policy is as written."
    head = f"The active policy with the approved templates of {', '.join(merged.approved)}:"
    return _fenced(head, merged.merged, "yaml")


def diff_text(merged: Merged) -> str:
    if not merged.approved:
        return "No approved template differs from the policy file: no change."
    return _fenced("The approved templates, as a change to the policy file:", merged.diff, "diff")


def _fenced(head: str, body: str, language: str) -> str:
    """``body`` in a code block whose fence is longer than any backtick run inside it."""
    run = longest = 0
    for char in body:
        run = run + 1 if char == "`" else 0
        longest = max(longest, run)
    fence = "`" * max(3, longest + 1)
    room = MESSAGE_MAX_CHARS - len(head) - 2 * len(fence) - 120
    if len(body) > room:
        body = body[:room].rsplit("\n", 1)[0] + "\n"
        head += " (cut: too long for one message)"
    return f"{head}\n{fence}{language}\n{body.rstrip(chr(10))}\n{fence}"


def _quoted(text: str) -> list[str]:
    return ["> " + line for line in sanitize.lines(text, keep_links=True)] + [""]


def _one_line(text: str | None) -> str:
    body = (text or "").strip()
    first, _, more = body.partition("\n")
    return first + (" …" if more.strip() else "")


def _event(e: Authored) -> str:
    return f"{format_time(e.when)}: {quiet(e.username)} {e.text}"
