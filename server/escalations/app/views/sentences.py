"""What the plugin says about escalations in words: thread replies, ``/escalation show`` and
``list``, the response tips, the "who will be paged" preview and the roles with nobody in them.

Thread replies mention the people a change concerns (the new owner, the owner who lost it) and
never the person who made it: nobody is notified of their own click. Everything else names people
quietly (``render.quiet``).
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterable

from escalations.app.domain import sanitize
from escalations.app.domain.active_policy import ActivePolicy, TopicRoute
from escalations.app.domain.model import Action, Escalation, Event, Outcome, State
from escalations.app.views.render import (
    NO_TEMPLATE,
    NOBODY_IN_ROLE,
    approval_note,
    cc_text,
    outcome_text,
    owner_text,
    people_with_roles,
    quiet,
    responders_text,
    response_text,
    source_noun,
    source_reference,
    user_text,
)
from escalations.policy.model import Policy

# Characters of the excerpt shown on one line of ``/escalation list``.
LIST_EXCERPT_CHARS = 80
_LINK_RE = re.compile(r"\[([^\]\n]+)\]\((https?://[^\s)]+)\)")
# For a policy with neither tips nor a link to them.
_NO_TIPS = (
    "Read the community response principles, tips and sample responses, and keep community end "
    "user information secure."
)


# --- thread replies ------------------------------------------------------------------------


def thread_reply(record: Escalation) -> str:
    """The reply under the escalation post for its latest change: who did what, and when,
    mentioning the people concerned but never the actor."""
    event = record.last_event
    if event is None:
        return ""
    before = owner_before(record.events[:-1], record.default_owner)
    actor = quiet(event.who)
    if event.what is Action.CLAIMED:
        text = f"{actor} claimed this escalation." + _lost(before, event.who)
    elif event.what is Action.TOOK_OVER:
        previous = event.detail or before
        text = f"{actor} took over this escalation" + (f" from @{previous}." if previous else ".")
    elif event.what is Action.ASSIGNED:
        target = event.detail
        if target == event.who:
            text = f"{actor} took this escalation."
        else:
            text = f"{actor} assigned this escalation to @{target}."
        text += _lost(before, event.who, target)
    elif event.what is Action.RELEASED:
        owner = event.detail or before or ""
        back = _back_with(record.default_owner, event.who)
        if owner and owner != event.who:
            text = f"{actor} released this escalation from @{owner}; {back}"
        else:
            text = f"{actor} released this escalation; {back}"
    elif event.what is Action.RESOLVED:
        text = f"{actor} resolved this escalation: {_outcome_label(event.detail)}."
        if before and before != event.who:
            text += f" @{before}, you owned it."
    else:
        text = f"{actor} escalated this."
    return f"{text} ({format_time(event.when)})"


def _back_with(default_owner: str | None, actor: str) -> str:
    """Where a released escalation goes: back to its default owner (mentioned, unless they are
    the one who released it), who has not acknowledged it."""
    if not default_owner:
        return "it is open again."
    name = quiet(default_owner) if default_owner == actor else f"@{default_owner}"
    return f"it is back with its default owner {name}, not acknowledged yet."


def _lost(previous: str | None, *others: str) -> str:
    """The sentence telling a previous owner the escalation is no longer theirs."""
    if previous and previous not in others:
        return f" @{previous}, it is no longer yours."
    return ""


def owner_before(events: Iterable[Event], default_owner: str | None = None) -> str | None:
    """The owner after replaying ``events`` from the start (the record keeps only the latest)."""
    owner: str | None = None
    for event in events:
        owner = owner_after(event, owner, default_owner)
    return owner


def owner_after(event: Event, owner: str | None, default_owner: str | None = None) -> str | None:
    """The owner once ``event`` happened, ``owner`` being the one before it: an escalation is
    with its default owner from the start and again once released."""
    if event.what in (Action.CLAIMED, Action.TOOK_OVER):
        return event.who
    if event.what is Action.ASSIGNED:
        return event.detail
    if event.what is Action.RELEASED:
        return default_owner
    if event.what is Action.ESCALATED:
        return default_owner
    return owner


# --- /escalation show and list -------------------------------------------------------------


def state_sentence(r: Escalation) -> str:
    """``claimed by `@x``` and the like: the state as words."""
    if r.state is State.OPEN:
        if r.owner or r.default_owner:
            return f"open, owner {owner_text(r)}"
        return "open, waiting for an owner"
    if r.state is State.CLAIMED:
        return f"claimed by {quiet(r.owner or '?')}, who acknowledged it"
    return "resolved: " + outcome_text(r)


def show_text(r: Escalation) -> str:
    """``/escalation show``: the escalation in sentences, then its history."""
    lines = [
        f"**{r.topic_title}** escalation `{r.ref}` is {state_sentence(r)} "
        f"([escalation post]({r.permalink})).",
        f"{quiet(r.created_by)} escalated it from {r.source_channel or 'a channel'} on "
        f"{format_time(r.created_at)}"
        + (f" ({source_reference(r)})." if source_reference(r) else "."),
    ]
    if r.excerpt:
        lines += ["> " + user_text(r.excerpt), ""]
    if r.note:
        lines.append("**Note:** " + user_text(r.note))
    lines.append("**Responders:** " + responders_text(r, mention=False))
    if r.default_owner:
        lines.append(
            f"**Default owner:** {quiet(r.default_owner)} (the first approved responder, in the "
            "policy's order)"
        )
    cc = cc_text(r, mention=False)
    if cc:
        lines.append("**cc:** " + cc)
    lines += template_lines(r.template_response, r.template_approved_by)
    if r.response:
        lines.append("**Response:** " + response_text(r.response))
    if r.compacted:
        lines.append("_Past the retention period: only the first and the last event are kept._")
    lines.append("**History:**")
    owner: str | None = None
    for event in r.events:
        lines.append(f"- {format_time(event.when)}: {history_line(event, owner)}")
        owner = owner_after(event, owner, r.default_owner)
    return "\n".join(lines)


def template_lines(text: str | None, approved_by: str = "") -> list[str]:
    """``**Template response:**`` and the template (quoted when several lines); a template
    approved in the plugin made safe (text people wrote) and with who approved it."""
    body = (text or "").strip()
    if not body:
        return [f"**Template response:** {NO_TEMPLATE}"]
    label = (
        f"**Template response** {approval_note(approved_by).strip()}:"
        if approved_by
        else ("**Template response:**")
    )
    if approved_by:
        shown = sanitize.lines(body, keep_links=True)
        if len(shown) == 1:
            return [f"{label} {shown[0]}"]
        return [label, *("> " + line for line in shown), ""]
    if "\n" not in body:
        return [f"{label} {body}"]
    return [label, *("> " + line for line in body.splitlines()), ""]


def history_line(event: Event, owner: str | None) -> str:
    """One event as a sentence; ``owner`` is who owned the escalation just before it."""
    who = quiet(event.who)
    if event.what is Action.ESCALATED:
        return f"{who} escalated it."
    if event.what is Action.CLAIMED:
        return f"{who} claimed it."
    if event.what is Action.TOOK_OVER:
        previous = event.detail or owner
        return f"{who} took it over from {quiet(previous)}." if previous else f"{who} took it over."
    if event.what is Action.ASSIGNED:
        if event.detail == event.who:
            return f"{who} took it."
        return f"{who} assigned it to {quiet(event.detail)}."
    if event.what is Action.RELEASED:
        released = event.detail or owner
        if released and released != event.who:
            return f"{who} released it from {quiet(released)}."
        return f"{who} released it."
    return f"{who} resolved it: {_outcome_label(event.detail)}."


def list_line(r: Escalation, now_ms: int) -> str:
    """One line of ``/escalation list``: what, whose, how old, what it says, where from, who."""
    owner = f"owner {owner_text(r)}"
    excerpt = user_text(r.excerpt)
    if len(excerpt) > LIST_EXCERPT_CHARS:
        excerpt = excerpt[: LIST_EXCERPT_CHARS - 1].rstrip() + "…"
    said = f" “{excerpt}”" if excerpt else ""
    return (
        f"- `{r.ref}` [{r.topic_title}]({r.permalink}), {owner}, {age(now_ms - r.created_at)} "
        f"old:{said} from {r.source_channel or 'a channel'}, escalated by {quiet(r.created_by)}"
    )


def age(ms: int) -> str:
    minutes = max(0, ms) // 60_000
    if minutes < 60:
        return f"{minutes}m"
    if minutes < 48 * 60:
        return f"{minutes // 60}h"
    return f"{minutes // (24 * 60)}d"


# --- tips, preview, empty roles ------------------------------------------------------------


def tips_text(policy: Policy) -> str:
    """The policy's response-writing tips, and its links to more (the older policy has only a
    link to the community guidelines)."""
    links = guide_links(policy)
    if not policy.response_tips:
        if links:
            return (
                f"**Before you respond**, read {links}. Keep community end user information secure."
            )
        return f"**Before you respond:** {_NO_TIPS}"
    lines = ["**Before you respond:**"]
    lines += [f"- **{t.title}**: {' '.join(t.text.split())}" for t in policy.response_tips]
    if links:
        lines.append(f"More: {links}.")
    return "\n".join(lines)


def guide_links(policy: Policy) -> str:
    """The Markdown links of the policy's guidance texts, joined; empty when there are none."""
    found = _LINK_RE.findall(f"{policy.non_sensitive_guidance}\n{policy.responder_signup}")
    return ", ".join(f"[{label}]({url})" for label, url in dict.fromkeys(found))


def paged_preview(topic: TopicRoute) -> str:
    """Who an escalation of ``topic`` pages: responders with roles, cc, and roles with nobody."""
    # Plain ``@name``: a dialog's text notifies nobody.
    responders = people_with_roles(topic.responder_seats, mention=True) or "nobody"
    text = f"**{topic.title}**: {responders}"
    cc = people_with_roles(topic.loop_in_seats, mention=True, besides=topic.responder_usernames)
    return text + (f"; cc: {cc}" if cc else "")


def template_preview(topic: TopicRoute) -> str:
    """A topic's template on one line (its first line, then "…"), with who approved it when it
    was approved in the plugin (then made safe: text people wrote)."""
    first, _, more = (topic.template_response or "").strip().partition("\n")
    shown = user_text(first) if topic.template_approved_by else first
    return shown + (" …" if more.strip() else "") + approval_note(topic.template_approved_by)


def empty_roles_lines(policy: ActivePolicy) -> list[str]:
    """``CRO: approved responder of A, B; cc of C``, one line per role with nobody in it."""
    responder_of: dict[str, list[str]] = {}
    cc_of: dict[str, list[str]] = {}
    for topic in policy.topics:
        for role in topic.empty_responder_roles:
            responder_of.setdefault(role, []).append(topic.title)
        for role in topic.empty_loop_in_roles:
            cc_of.setdefault(role, []).append(topic.title)
    lines = []
    for role in dict.fromkeys([*responder_of, *cc_of]):
        places = []
        if role in responder_of:
            places.append("approved responder of " + ", ".join(responder_of[role]))
        if role in cc_of:
            places.append("cc of " + ", ".join(cc_of[role]))
        lines.append(f"- {role} ({NOBODY_IN_ROLE}): {'; '.join(places)}")
    return lines


# --- helpers -------------------------------------------------------------------------------


def format_time(ms: int) -> str:
    moment = datetime.datetime.fromtimestamp(ms / 1000, tz=datetime.timezone.utc)
    return moment.strftime("%Y-%m-%d %H:%M UTC")


def _outcome_label(value: str) -> str:
    try:
        return Outcome(value).label
    except ValueError:
        return value


def already_escalated(record: Escalation) -> str:
    """The dialogs' answer to a post or link escalated before under that topic (plain text)."""
    owner = f", owner @{record.owner}" if record.owner else ""
    return (
        f"This {source_noun(record)} is already escalated under {record.topic_title} "
        f"(ref {record.ref}, "
        f"{record.state.value}{owner}): {record.permalink}"
    )
