"""The escalation post, rebuilt from the record for every state.

The post is the bot's message in the escalations channel: Markdown ``message`` (the mentions live
here, so the responders are notified once, when it is created; later edits do not re-notify) plus
``props.attachments`` with the action buttons for the current state (docs/protocol.md §7
and §7.5). ``props.community_escalation_id`` marks our posts (the webapp hides Escalate on them; the
server refuses to escalate them).

Layout, for a busy channel (at most 8 message lines above the buttons while open)::

    **Privacy/Telemetry** · Open · Owner: `@jason.blais` (default, not acknowledged yet)
    Escalated by `@alice` from ~town-square · [original post](…) · ref `abc2def`
    > the redacted excerpt, on one line

    **Note:** the escalating user's note, on one line
    **Responders:** @jason.blais (Dr. Program Management) · @ian.tien (CEO)
    **cc:** @kendra.neidziejko (CFO) · CRO: nobody in this role
    **Template:** none yet

The owner is named once, in the first line, with whether they have acknowledged it (``Open``: not
yet; ``Claimed``: they have). A resolved post collapses to one summary line, with the outcome (and
the response "Resolve: responded" kept) in its attachment (``**Outcome:** responded, by `@x```)
and no buttons. The
response-writing tips are one click away (the **Response tips** button) instead of repeated in
every post.

Text copied from elsewhere (excerpt, note) goes through ``user_text`` and nothing else: it is made
safe by ``sanitize`` (it cannot mention anyone, link, embed images or use Markdown) and folded onto
one line, so it cannot add lines that look like the bot's own.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Any

from escalations.app.domain import manifest, sanitize
from escalations.app.domain.model import Action, Escalation, Event, Outcome, Seat, State

PLUGIN_ID = manifest.plugin_id()
ACTIONS_URL = f"/plugins/{PLUGIN_ID}/api/v1/actions/"
DIALOG_URL = f"/plugins/{PLUGIN_ID}/api/v1/dialogs/new"
RESOLVE_DIALOG_URL = f"/plugins/{PLUGIN_ID}/api/v1/dialogs/resolve"
ESCALATION_PROP = "community_escalation_id"
# On the escalation post as created: the token of the reservation it was posted under
# (``Escalation.reservation``); re-renders leave it out.
RESERVATION_PROP = "community_escalation_reservation"

CLAIM = "claim"
ASSIGN = "assign"
RELEASE = "release"
RESOLVE = "resolve"
TIPS = "tips"

SEPARATOR = " · "
NOBODY_IN_ROLE = "nobody in this role"
NO_TEMPLATE = "none yet"
# A response that is only a web link stays a link (no mention, Markdown or second link in it).
_BARE_LINK = re.compile(r"^https?://[^\s@<>()\[\]`*]+$")

_COLOURS = {State.OPEN: "#d24b4e", State.CLAIMED: "#ffbc1f", State.RESOLVED: "#3db887"}


def escalation_post(record: Escalation, assignable: Sequence[str]) -> tuple[str, dict[str, Any]]:
    """(message, props) of the escalation post for the record's current state.

    Args:
        assignable: usernames offered by Assign (the topic's approved responders).
    """
    message = _resolved(record) if record.state is State.RESOLVED else _open(record)
    return message, {
        ESCALATION_PROP: record.id,
        # The server sets this on create; UpdatePost replaces all props, so keep the BOT tag.
        "from_bot": "true",
        "attachments": [_attachment(record, assignable)],
    }


def _open(r: Escalation) -> str:
    lines = [headline(r), _source(r)]
    if r.excerpt:
        # The blank line ends the quote: without it Markdown would pull the next line into it.
        lines += ["> " + user_text(r.excerpt), ""]
    if r.note:
        lines.append("**Note:** " + user_text(r.note))
    lines.append("**Responders:** " + responders_text(r, mention=True))
    cc = cc_text(r, mention=True)
    if cc:
        lines.append("**cc:** " + cc)
    lines.append("**Template:** " + template_summary(r))
    return "\n".join(lines)


def _resolved(r: Escalation) -> str:
    """One summary line; the outcome is the attachment's text, beside the state's colour."""
    return f"{headline(r)}{SEPARATOR}{_source(r)}"


def headline(r: Escalation) -> str:
    """Topic, state and owner: the line people scan."""
    topic = f"**{r.topic_title}**"
    if r.state is State.RESOLVED:
        return f"{topic}{SEPARATOR}Resolved"
    state = "Open" if r.state is State.OPEN else "Claimed"
    return f"{topic}{SEPARATOR}{state}{SEPARATOR}Owner: {owner_text(r)}"


def owner_text(r: Escalation) -> str:
    """Who owns it, and whether they have acknowledged it (Claim): ``@x`` once they have,
    ``@x (default, not acknowledged yet)`` for the default owner (the first approved responder,
    in the policy's order) who has not, ``@x (not acknowledged yet)`` for an assignee who has
    not; nobody when the topic has no responder who can be mentioned."""
    if r.owner:
        if r.acknowledged or r.state is State.RESOLVED:
            return quiet(r.owner)
        if r.owner == r.default_owner:
            return f"{quiet(r.owner)} (default, not acknowledged yet)"
        return f"{quiet(r.owner)} (not acknowledged yet)"
    if r.default_owner:
        return f"{quiet(r.default_owner)} (default, not acknowledged yet)"
    return "nobody yet"


def _source(r: Escalation) -> str:
    parts = [f"Escalated by {quiet(r.created_by)} from {r.source_channel or 'a channel'}"]
    original = source_reference(r)
    if original:
        parts.append(original)
    parts.append(f"ref `{r.ref}`")
    return SEPARATOR.join(parts)


def source_reference(r: Escalation) -> str:
    """Where the escalated item is: ``[original post](permalink)`` for a post; for a link raised
    outside Mattermost the link as stored (a public one stays a link, made safe like any text
    people wrote; any other reads as the redaction's placeholder)."""
    if r.is_link:
        return user_text(r.source_url)
    return f"[original post]({r.source_link})" if r.source_link else ""


def source_noun(r: Escalation) -> str:
    """``post`` or ``link``: what was escalated, in sentences about it."""
    return "link" if r.is_link else "post"


def excerpt_noun(r: Escalation) -> str:
    """What the quoted line is: the post's ``excerpt``, or the ``summary`` of a link."""
    return "summary" if r.is_link else "excerpt"


def outcome_text(r: Escalation) -> str:
    """``responded, by `@x` (owner `@y`)``: the outcome of a resolved escalation."""
    resolver = r.last_event.who if r.last_event else ""
    text = r.outcome.label if r.outcome else "resolved"
    if resolver:
        text += f", by {quiet(resolver)}"
    if r.owner and r.owner != resolver:
        text += f" (owner {quiet(r.owner)})"
    return text


def template_summary(r: Escalation) -> str:
    """The template response when it is one line; else its first line and where to read it all.
    A template approved in the plugin is text people wrote: made safe (``user_text``) and
    followed by who approved it. Neither mentions anyone (``{name}`` is filled in as
    ``@username``)."""
    body = (r.template_response or "").strip()
    if not body:
        return NO_TEMPLATE
    first, _, more = body.partition("\n")
    if r.template_approved_by:
        first = user_text(first)
    else:  # the policy's Markdown stays; only the responder and cc lines mention anyone
        first = first.strip().replace("@", "@" + sanitize.ZERO_WIDTH_JOINER)
    if more.strip():
        first += f" … (in full: `/escalation show {r.ref}`)"
    return first + approval_note(r.template_approved_by)


def approval_note(approved_by: str) -> str:
    """`` (approved by `@x`)`` after a template approved in the plugin; empty otherwise."""
    return f" (approved by {quiet(approved_by)})" if approved_by else ""


# --- people --------------------------------------------------------------------------------


def responders_text(r: Escalation, *, mention: bool) -> str:
    """The approved responders with their roles, then each responder role with nobody in it."""
    if not r.responder_seats:  # a record from before roles were kept
        return _names(r.responders, mention) or "nobody who can be mentioned"
    return people_with_roles(r.responder_seats, mention=mention) or "nobody"


def cc_text(r: Escalation, *, mention: bool) -> str:
    """The loop-ins who are not responders already, with roles; empty when there is nobody."""
    if not r.loop_in_seats:
        return _names(r.loop_in, mention)
    return people_with_roles(r.loop_in_seats, mention=mention, besides=r.responders)


def people_with_roles(seats: Iterable[Seat], *, mention: bool, besides: Iterable[str] = ()) -> str:
    """``@a (Role 1, Role 2) · @b (Role 3) · Role 4: nobody in this role``.

    Each person once, in policy order, with every role of ``seats`` they hold; people in
    ``besides`` are left out (they are named elsewhere), and so is a role whose people all are.
    """
    skip = set(besides)
    roles: dict[str, list[str]] = {}
    empty: list[str] = []
    for seat in seats:
        if not seat.people:
            empty.append(seat.role)
        for person in seat.people:
            if person not in skip:
                roles.setdefault(person, []).append(seat.role)
    parts = [f"{_name(p, mention)} ({', '.join(rs)})" for p, rs in roles.items()]
    parts += [f"{role}: {NOBODY_IN_ROLE}" for role in dict.fromkeys(empty)]
    return SEPARATOR.join(parts)


def _names(usernames: Iterable[str], mention: bool) -> str:
    return SEPARATOR.join(_name(u, mention) for u in usernames)


def _name(username: str, mention: bool) -> str:
    return f"@{username}" if mention else quiet(username)


def quiet(username: str) -> str:
    """``@username`` shown as code: readable, but not a mention. In the escalation post only the
    responder and cc lines mention people, each person once; everything else names them quietly."""
    return f"`@{username}`"


def user_text(text: str) -> str:
    """Text someone else wrote (an excerpt, a note), made safe for one line of the bot's post.

    ``sanitize`` normalises every kind of line break, escapes Markdown, defuses mentions and
    links (plain web addresses that survived redaction, the public-links allow-list, stay); then
    every line break and run of whitespace becomes one space, so the text cannot start lines of
    its own that look like the bot's (a heading, a fake responder list).
    """
    return " ".join(sanitize.user_text(text, keep_links=True).split())


# --- buttons -------------------------------------------------------------------------------


def _attachment(r: Escalation, assignable: Sequence[str]) -> dict[str, Any]:
    return {
        "fallback": f"Escalation: {r.topic_title} ({r.state.value})",
        "color": _COLOURS[r.state],
        "text": _resolution(r) if r.state is State.RESOLVED else "",
        "actions": _actions(r, assignable),
    }


def _resolution(r: Escalation) -> str:
    """The attachment text of a resolved post: the outcome, and the response if one was kept."""
    text = "**Outcome:** " + outcome_text(r)
    return text + ("\n**Response:** " + response_text(r.response) if r.response else "")


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
    actions.append(_button(r, "tips", "Response tips", TIPS))
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


# --- direct messages and the escalator's confirmation ---------------------------------------
# For people outside the escalations channel: the topic, who acted, the outcome; never the excerpt,
# the note or a link into the (private) channel.


def escalator_confirmation(r: Escalation, *, with_link: bool) -> str:
    """The ephemeral answer to whoever escalated; the link only for members of the channel (for
    anyone else it would be a dead link into a private channel)."""
    where = f": {r.permalink}" if with_link else ""
    text = (
        f"Escalated to the approved responders of **{r.topic_title}**{where} "
        f"(`/escalation show {r.ref}` follows it). You will get a direct message when it is "
        "acknowledged and when it is resolved; `/escalation mine` lists yours."
    )
    if r.is_link and not _BARE_LINK.match(r.source_url):
        text += (
            f"\nThe link's site is not on the public allow-list: the post shows it as "
            f"`{r.source_url}`; say in the note where responders find it."
        )
    return text


def escalator_update(r: Escalation, event: Event) -> str:
    """The direct message to whoever escalated, for an acknowledgement or a resolution."""
    item = source_reference(r) if r.is_link else f"[this post]({r.source_link})"
    about = f"Your escalation of {item} ({r.topic_title})"
    if event.what is Action.RESOLVED:
        text = f"{about} was resolved by @{event.who}: {_outcome_label(event.detail)}."
        if r.response:
            text += "\nResponse: " + response_text(r.response)
        return text
    if event.what is Action.TOOK_OVER:
        return f"{about} was taken over by @{event.who}, who now owns it."
    return f"{about} was acknowledged by @{event.who}, who owns it."


def taken_over_notice(r: Escalation, event: Event) -> str:
    """The direct message to an owner whose escalation another responder took over."""
    return f"@{event.who} took over the {r.topic_title} escalation you owned: {r.permalink}"


def response_text(text: str) -> str:
    """What "Resolve: responded" recorded, on one line: a web link it starts with stays a link
    (the public response); everything else is made safe like every other text people wrote."""
    link, _, rest = text.strip().partition(" ")
    if not _BARE_LINK.match(link):
        return _unlinked_text(text)
    return f"{link} {_unlinked_text(rest)}".strip()


def _unlinked_text(text: str) -> str:
    """``user_text`` for text that was not redacted: no address in it stays a link."""
    return " ".join(sanitize.user_text(text).split())


def _outcome_label(value: str) -> str:
    try:
        return Outcome(value).label
    except ValueError:
        return value
