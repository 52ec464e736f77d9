"""What the bot says outside the escalation post: the direct messages that close the loop, and
the dialog "Resolve: responded" opens.

Direct messages are best effort (the record is already stored when they are sent): callers wrap
them so a failure is logged, never raised into the request that made the change.
"""

from __future__ import annotations

from escalations.app.domain.model import Action, Escalation
from escalations.app.domain.ports import Dialog, DialogElement, Host
from escalations.app.views import render

RESOLVE_DIALOG_CALLBACK = "community-escalations-resolve"


def direct_message(host: Host, bot_user_id: str, user_id: str, message: str) -> None:
    """A direct message from the bot to ``user_id`` (its channel is created if needed)."""
    if user_id == bot_user_id:
        return
    channel_id = host.direct_channel_id(bot_user_id, user_id)
    host.create_post(channel_id, bot_user_id, message, {}, "")


def close_the_loop(host: Host, bot_user_id: str, r: Escalation) -> None:
    """The direct messages for the change ``r.last_event``: whoever escalated hears when it is
    acknowledged, taken over or resolved; an owner whose escalation was taken over hears who has
    it now."""
    event = r.last_event
    if event is None:
        return
    if event.what is Action.TOOK_OVER and event.detail and event.detail != event.who:
        previous = host.get_users_by_usernames([event.detail])
        if previous:
            notice = render.taken_over_notice(r, event)
            direct_message(host, bot_user_id, previous[0].id, notice)
    acknowledged = event.what in (Action.CLAIMED, Action.TOOK_OVER) or (
        event.what is Action.ASSIGNED and r.acknowledged
    )
    if acknowledged or event.what is Action.RESOLVED:
        direct_message(host, bot_user_id, r.created_by_id, render.escalator_update(r, event))


def response_dialog(r: Escalation, trigger_id: str, max_chars: int) -> Dialog:
    """The dialog of "Resolve: responded": the response (link or text), required."""
    response = DialogElement(
        display_name="Response",
        name="response",
        type="textarea",
        max_length=max_chars,
        help_text="The link to the public response, or its text. It is kept with the "
        "escalation and sent to whoever escalated it.",
    )
    return Dialog(
        trigger_id=trigger_id,
        url=render.RESOLVE_DIALOG_URL,
        callback_id=RESOLVE_DIALOG_CALLBACK,
        title="Resolve: responded",
        introduction_text=f"**{r.topic_title}**: how was it answered?",
        submit_label="Resolve",
        state=r.id,
        elements=(response,),
    )
