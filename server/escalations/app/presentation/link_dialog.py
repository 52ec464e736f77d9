"""The ``/escalation new <link>`` dialog for a link raised outside Mattermost (topic, summary,
note) and its submission, which escalates the link (``Workflow.escalate_link``).

The dialog's ``state`` carries the normalised link; the submission checks it again like any link
a client sends. Domain errors are shown where they belong: on the topic, summary or note field, or
as the dialog's general error.
"""

from __future__ import annotations

import logging
from typing import Any

from escalations.app.domain import sanitize
from escalations.app.domain.errors import (
    InvalidRequest,
    InvalidSummary,
    NoteTooLong,
    NotLoggedIn,
    TopicNotFound,
    UserMismatch,
)
from escalations.app.domain.links import SUMMARY_MAX_CHARS, CheckedLink, LinkRequest
from escalations.app.domain.ports import Dialog, DialogElement
from escalations.app.presentation import edge
from escalations.app.views import render, sentences
from escalations.app.workflow.service import NOTE_MAX_CHARS, Workflow
from escalations.runtime.http import Request, Response, json_response

log = logging.getLogger(__name__)

CALLBACK = "community-escalations-link"
URL = f"/plugins/{render.PLUGIN_ID}/api/v1/dialogs/link"
_FIELD_ERRORS: edge.DialogFields = {
    TopicNotFound: "topic",
    InvalidSummary: "summary",
    NoteTooLong: "note",
}


def dialog(trigger_id: str, link: CheckedLink, topic: DialogElement, introduction: str) -> Dialog:
    """The dialog for ``link``: ``topic`` (the topic select), a summary and a note."""
    summary = DialogElement(
        display_name="Summary",
        name="summary",
        type="textarea",
        max_length=SUMMARY_MAX_CHARS,
        help_text="What the link is about, in a sentence or two; redacted like a message.",
    )
    note = DialogElement(
        display_name="Note",
        name="note",
        type="textarea",
        optional=True,
        max_length=NOTE_MAX_CHARS,
        placeholder="Context for the responders (optional)",
    )
    return Dialog(
        trigger_id=trigger_id,
        url=URL,
        callback_id=CALLBACK,
        title="Escalate a link",
        introduction_text=_link_line(link) + "\n\n" + introduction,
        submit_label="Escalate",
        state=link.url,
        elements=(topic, summary, note),
    )


def _link_line(link: CheckedLink) -> str:
    shown = sanitize.user_text(link.url, keep_links=True)
    if link.kept:
        return f"**Link:** {shown}"
    return (
        f"**Link:** {shown}\n(its site is not on the public allow-list: the escalation post shows "
        f"it as `{link.shown}`)"
    )


def submit(workflow: Workflow, request: Request) -> Response:
    """The dialog's submission: escalate, or say what is wrong (``edge``: always HTTP 200, the
    dialog shows ``errors`` on fields and ``error`` above them)."""

    def call() -> Response:
        if request.user_id is None:
            raise NotLoggedIn()
        body = request.json_object(require_content_type=False)
        if body.get("cancelled"):
            return json_response({})
        if body.get("user_id") not in (None, "", request.user_id):
            raise UserMismatch("The request names a different user than the session.")
        record, created = workflow.escalate_link(request.user_id, _request(body))
        if not created:
            return json_response({"error": sentences.already_escalated(record)})
        return json_response({})

    return edge.run_dialog(call, _FIELD_ERRORS)


def _request(body: dict[str, Any]) -> LinkRequest:
    submission = body.get("submission")
    if not isinstance(submission, dict):
        raise InvalidRequest("The form was empty.")
    topic = submission.get("topic") or ""
    if not topic:
        raise TopicNotFound("Choose a topic.")
    values = [topic, submission.get("summary") or "", submission.get("note") or ""]
    if not all(isinstance(v, str) for v in values):
        raise InvalidRequest("The form's fields must be text.")
    channel_id = body.get("channel_id")
    return LinkRequest(
        url=str(body.get("state") or ""),
        topic=str(values[0]),
        summary=str(values[1]),
        note=str(values[2]),
        channel_id=channel_id if isinstance(channel_id, str) else "",
    )
