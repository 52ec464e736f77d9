"""The escalation post and its thread replies, rebuilt from the record for every state.

The post is the bot's message in the escalations channel: Markdown ``message`` (the mentions live
here, so the responders are notified once, when it is created; later edits do not re-notify) plus
``props.attachments`` with the action buttons for the current state (protocol doc §7, conventions
§3.1). ``props.community_escalation_id`` marks our posts (the webapp hides Escalate on them; the
server refuses to escalate them).

Text copied from elsewhere (excerpt, note) cannot mention anyone: ``@`` gets a zero-width joiner so
``@channel`` in a community post does not notify the whole escalations channel.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from typing import Any

from .model import Action, Escalation, Event, Outcome, State

PLUGIN_ID = "community-escalations"
ACTIONS_URL = f"/plugins/{PLUGIN_ID}/api/v1/actions/"
DIALOG_URL = f"/plugins/{PLUGIN_ID}/api/v1/dialogs/new"
RESOLVE_DIALOG_URL = f"/plugins/{PLUGIN_ID}/api/v1/dialogs/resolve"
ESCALATION_PROP = "community_escalation_id"

CLAIM = "claim"
ASSIGN = "assign"
RELEASE = "release"
RESOLVE = "resolve"
ACTIONS = (CLAIM, ASSIGN, RELEASE, RESOLVE)

_COLOURS = {State.OPEN: "#d24b4e", State.CLAIMED: "#ffbc1f", State.RESOLVED: "#3db887"}
# For a policy without response-writing tips (the older document only points to the guidelines).
_NO_TIPS = (
    "read the community response principles, tips and sample responses; keep community end "
    "user information secure."
)
_DEFAULT_OWNER_WHY = " (the first approved responder, in the policy's order)"
_NO_TEMPLATE = (
    "none yet: there is no official response for this topic; an approved responder writes one."
)


def escalation_post(
    record: Escalation, assignable: Sequence[str], tips: Sequence[str]
) -> tuple[str, dict[str, Any]]:
    """(message, props) of the escalation post for the record's current state.

    Args:
        assignable: usernames offered by Assign (the topic's approved responders).
        tips: response-writing tip titles for the reminder line.
    """
    return _message(record, tips), {
        ESCALATION_PROP: record.id,
        # The server sets this on create; UpdatePost replaces all props, so keep the BOT tag.
        "from_bot": "true",
        "attachments": [_attachment(record, assignable)],
    }


def _message(r: Escalation, tips: Sequence[str]) -> str:
    lines = [f"#### Escalation: {r.topic_title}", f"**Status:** {status_line(r)}"]
    source = f"**Escalated by** {quiet(r.created_by)} from {r.source_channel}"
    lines.append(f"{source} ([original post]({r.source_link}))" if r.source_link else source)
    if r.excerpt:
        lines.append("")
        lines.extend("> " + line for line in defuse_mentions(r.excerpt).splitlines())
    if r.note:
        lines += ["", *_note(defuse_mentions(r.note))]
    lines.append("")
    lines.append("**Approved responders:** " + (_mentions(r.responders) or "_none resolvable_"))
    if r.loop_in:
        lines.append("**cc:** " + _mentions(r.loop_in))
    owner = quiet(r.default_owner) if r.default_owner else "_none_"
    lines.append(f"**Default owner:** {owner}" + (_DEFAULT_OWNER_WHY if r.default_owner else ""))
    lines.extend(_template(r.template_response))
    if r.response:
        lines += _response(r.response)
    lines.append("**Before you respond:** " + (" · ".join(tips) if tips else _NO_TIPS))
    return "\n".join(lines)


def _note(note: str) -> list[str]:
    """The note: inline when one line, else quoted line by line, so that a note written by
    whoever escalated cannot add lines that look like the bot's own (``**Status:** Resolved``,
    headings, a fake responder list)."""
    if "\n" not in note.strip():
        return ["**Note:** " + note.strip()]
    return ["**Note:**", *("> " + line for line in note.strip().splitlines())]


def _response(text: str) -> list[str]:
    """What "Resolve: responded" recorded, quoted (responder text, so mentions are defused)."""
    body = defuse_mentions(text.strip())
    if "\n" not in body:
        return ["**Response:** " + body]
    return ["**Response:**", *("> " + line for line in body.splitlines())]


def _template(text: str | None) -> list[str]:
    """The template response: inline when one line, else as a quote block below the label."""
    body = (text or "").strip()
    if not body:
        return ["**Template response:** " + _NO_TEMPLATE]
    if "\n" not in body:
        return ["**Template response:** " + body]
    return ["**Template response:**", *("> " + line for line in body.splitlines())]


def status_line(r: Escalation) -> str:
    if r.state is State.OPEN:
        if r.owner:
            return f"Open, owner {quiet(r.owner)}, not acknowledged yet"
        return "Open, no owner yet"
    if r.state is State.CLAIMED:
        return f"Claimed by {quiet(r.owner or '?')}"
    resolver = r.last_event.who if r.last_event else "?"
    outcome = r.outcome.label if r.outcome else ""
    return f"Resolved by {quiet(resolver)} ({outcome})"


def _attachment(r: Escalation, assignable: Sequence[str]) -> dict[str, Any]:
    return {
        "fallback": f"Escalation: {r.topic_title} ({r.state.value})",
        "color": _COLOURS[r.state],
        "text": "",
        "actions": _actions(r, assignable),
    }


def _actions(r: Escalation, assignable: Sequence[str]) -> list[dict[str, Any]]:
    if r.state is State.RESOLVED:
        return []
    actions = []
    if r.state is State.OPEN:
        actions.append(_button(r, "claim", "Claim", CLAIM, style="primary"))
    actions.append(_select(r, assignable))
    if r.acknowledged or r.owner != r.default_owner:
        actions.append(_button(r, "release", "Release", RELEASE))
    actions.append(
        _button(r, "resolveresponded", "Resolve: responded", RESOLVE, Outcome.RESPONDED, "good")
    )
    actions.append(
        _button(
            r,
            "resolvenoresponse",
            "Resolve: no response needed",
            RESOLVE,
            Outcome.NO_RESPONSE_NEEDED,
        )
    )
    return actions


def _context(r: Escalation, action: str, outcome: Outcome | None = None) -> dict[str, Any]:
    # A hint only: the handler re-reads the record and authorises from the header user.
    context: dict[str, Any] = {"escalation_id": r.id, "action": action}
    if outcome is not None:
        context["outcome"] = outcome.value
    return context


def _button(
    r: Escalation,
    action_id: str,
    name: str,
    action: str,
    outcome: Outcome | None = None,
    style: str = "default",
) -> dict[str, Any]:
    return {
        "id": action_id,
        "type": "button",
        "name": name,
        "style": style,
        "integration": {"url": ACTIONS_URL + action, "context": _context(r, action, outcome)},
    }


def _select(r: Escalation, assignable: Sequence[str]) -> dict[str, Any]:
    return {
        "id": "assign",
        "type": "select",
        "name": "Assign: choose an owner",
        "options": [{"text": f"@{u}", "value": u} for u in assignable],
        "integration": {"url": ACTIONS_URL + ASSIGN, "context": _context(r, ASSIGN)},
    }


def thread_reply(event: Event) -> str:
    """The reply posted under the escalation post for one change: who, what, when."""
    when = format_time(event.when)
    if event.what is Action.CLAIMED:
        text = f"@{event.who} claimed this escalation."
    elif event.what is Action.TOOK_OVER:
        text = f"@{event.who} took over this escalation from @{event.detail}."
    elif event.what is Action.ASSIGNED:
        text = f"@{event.who} assigned this escalation to @{event.detail}."
    elif event.what is Action.RELEASED:
        text = (
            f"@{event.who} released this escalation (owner was @{event.detail}); it is back "
            "with its default owner."
        )
    elif event.what is Action.RESOLVED:
        text = f"@{event.who} resolved this escalation: {Outcome(event.detail).label}."
    else:
        text = f"@{event.who} escalated this."
    return f"{text} ({when})"


def event_line(event: Event) -> str:
    """One line of ``/escalation show``'s event log."""
    detail = f" {event.detail}" if event.detail else ""
    return f"- {format_time(event.when)}: @{event.who} {event.what.value}{detail}"


def format_time(ms: int) -> str:
    moment = datetime.datetime.fromtimestamp(ms / 1000, tz=datetime.timezone.utc)
    return moment.strftime("%Y-%m-%d %H:%M UTC")


def defuse_mentions(text: str) -> str:
    """Text with every ``@`` followed by a zero-width joiner, so it mentions nobody."""
    return text.replace("@", "@\u200d")


def quiet(username: str) -> str:
    """``@username`` shown as code: readable, but not a mention. In the escalation post only the
    responder and cc lines mention people, each person once; everything else names them quietly
    (thread replies do mention, that is how the people concerned are notified of a change)."""
    return f"`@{username}`"


def _mentions(usernames: Sequence[str]) -> str:
    return " ".join(f"@{u}" for u in usernames)


# --- direct messages -------------------------------------------------------------------------
# For people outside the escalations channel: the topic, who acted, the outcome; never the excerpt,
# the note or a link into the (private) channel.


def escalator_confirmation(r: Escalation, *, with_link: bool) -> str:
    """The ephemeral answer to whoever escalated; the link only for members of the channel."""
    where = f": {r.permalink}" if with_link else "."
    return (
        f"Escalated to the approved responders of **{r.topic_title}**{where} You will get a "
        "direct message when it is acknowledged and when it is resolved; `/escalation mine` "
        "shows its state."
    )


def escalator_update(r: Escalation, event: Event) -> str:
    """The direct message to whoever escalated, for an acknowledgement or a resolution."""
    about = f"Your escalation of [this post]({r.source_link}) ({r.topic_title})"
    if event.what is Action.RESOLVED:
        text = f"{about} was resolved by @{event.who}: {Outcome(event.detail).label}."
        if r.response:
            text += "\nResponse: " + defuse_mentions(r.response.strip())
        return text
    if event.what is Action.TOOK_OVER:
        return f"{about} was taken over by @{event.who}, who now owns it."
    return f"{about} was acknowledged by @{event.who}, who owns it."


def taken_over_notice(r: Escalation, event: Event) -> str:
    """The direct message to an owner whose escalation another responder took over."""
    return f"@{event.who} took over the {r.topic_title} escalation you owned: {r.permalink}"
