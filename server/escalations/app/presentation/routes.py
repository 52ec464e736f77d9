"""The plugin's HTTP API (``docs/http-api.md``): JSON routes for the webapp, the button actions
and the dialog submissions.

Identity is only the server-set ``Mattermost-User-Id`` header (``Request.user_id``); a ``user_id``
in a body is cross-checked against it and a mismatch refused. Handlers raise; ``edge`` answers
every error in the shape of the surface (JSON status, button text, dialog field). Body size (413)
is capped by the runtime before we see it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from escalations.app.domain.errors import (
    InvalidRequest,
    NoteTooLong,
    NotLoggedIn,
    TopicNotFound,
    UserMismatch,
)
from escalations.app.domain.links import LinkRequest
from escalations.app.presentation import edge, link_dialog
from escalations.app.presentation.buttons import BUTTONS, Press
from escalations.app.views import sentences
from escalations.app.workflow.reports import Reports, parse_days
from escalations.app.workflow.service import Workflow
from escalations.app.workflow.stats import DEFAULT_DAYS
from escalations.runtime.http import JSON_CONTENT_TYPE, Request, Response, Router, json_response

BODY_MAX_BYTES = 64 * 1024
_ID_RE = re.compile(r"^[a-z0-9]{26}$")
_NEW_FIELDS: edge.DialogFields = {TopicNotFound: "topic", NoteTooLong: "note"}
_RESOLVE_FIELDS: edge.DialogFields = {InvalidRequest: "response"}


def build_router(workflow: Workflow, reports: Reports | None = None) -> Router:
    router = Router()
    api = _Api(workflow)
    if reports is not None:
        router.add("GET", "/api/v1/stats", lambda r: _stats(reports, r))
        router.add("GET", "/api/v1/export", lambda r: _export(reports, r))
    router.add("GET", "/api/v1/topics", api.topics)
    router.add("POST", "/api/v1/escalations", api.create)
    # Before ``/escalations/{id}``: the router matches routes in the order they were added.
    router.add("POST", "/api/v1/escalations/links", api.create_link)
    router.add("GET", "/api/v1/escalations/{id}", api.show)
    for action in BUTTONS:
        router.add("POST", f"/api/v1/actions/{action}", api.button(action))
    router.add("POST", "/api/v1/dialogs/new", api.dialog_new)
    router.add("POST", "/api/v1/dialogs/resolve", api.dialog_resolve)
    router.add("POST", "/api/v1/dialogs/link", lambda r: link_dialog.submit(workflow, r))
    return router


class _Api:
    def __init__(self, workflow: Workflow) -> None:
        self._workflow = workflow

    # --- JSON routes -------------------------------------------------------------------------

    def topics(self, request: Request) -> Response:
        def call() -> Response:
            _user(request)
            workflow = self._workflow
            return json_response(workflow.with_templates(workflow.active_policy()).to_api())

        return edge.run_http(call)

    def create(self, request: Request) -> Response:
        def call() -> Response:
            _user(request)
            body = request.json_object()
            actor = _actor(request, body)
            post_id = _field(body, "post_id")
            if not _ID_RE.match(post_id):
                raise InvalidRequest("post_id must be a 26-character post id.")
            topic = _field(body, "topic")
            note = _field(body, "note", required=False)
            # The post's channel as the client knows it: a hint that saves a round of reads,
            # never trusted (the post's own channel decides).
            hint = _field(body, "channel_id", required=False)
            if hint and not _ID_RE.match(hint):
                raise InvalidRequest("channel_id must be a 26-character channel id.")
            record, created = self._workflow.escalate(actor, post_id, topic, note, hint)
            return json_response(record.to_api(), 201 if created else 200)

        return edge.run_http(call)

    def create_link(self, request: Request) -> Response:
        """Escalate a link raised outside Mattermost (``link_dialog`` for the slash command)."""

        def call() -> Response:
            _user(request)
            body = request.json_object()
            link = LinkRequest(
                url=_field(body, "url"),
                topic=_field(body, "topic"),
                summary=_field(body, "summary", required=False),
                note=_field(body, "note", required=False),
                channel_id=_field(body, "channel_id", required=False),
            )
            record, created = self._workflow.escalate_link(_actor(request, body), link)
            return json_response(record.to_api(), 201 if created else 200)

        return edge.run_http(call)

    def show(self, request: Request) -> Response:
        def call() -> Response:
            actor = _user(request)
            return json_response(self._workflow.get(actor, request.path_params["id"]).to_api())

        return edge.run_http(call)

    # --- interactive message actions ---------------------------------------------------------

    def button(self, action: str) -> Callable[[Request], Response]:
        handler = BUTTONS[action]

        def handle(request: Request) -> Response:
            def call() -> dict[str, Any]:
                _user(request)
                body = request.json_object(require_content_type=False)
                actor = _actor(request, body)
                context = body.get("context")
                if not isinstance(context, dict):
                    raise InvalidRequest("This button is not one of ours.")
                esc_id = str(context.get("escalation_id") or "")
                post_id = str(body.get("post_id") or "")
                record = self._workflow.get_for_action(esc_id, post_id)
                trigger_id = body.get("trigger_id")
                trigger = trigger_id if isinstance(trigger_id, str) else ""
                answer = handler(self._workflow, Press(actor, record, context, trigger))
                reply: dict[str, Any] = {"ephemeral_text": answer.text} if answer.text else {}
                if answer.changed is not None:  # the server applies the post's new look
                    message, props = self._workflow.post_edit(answer.changed)
                    reply["update"] = {"message": message, "props": props}
                return reply

            return edge.run_button(call)

        return handle

    # --- dialogs -----------------------------------------------------------------------------

    def dialog_resolve(self, request: Request) -> Response:
        """Submission of the "Resolve: responded" dialog; ``state`` carries the escalation id."""

        def call() -> Response:
            _user(request)
            body = request.json_object(require_content_type=False)
            if body.get("cancelled"):
                return json_response({})
            actor = _actor(request, body)
            submission = body.get("submission")
            answer = submission.get("response") if isinstance(submission, dict) else None
            if not isinstance(answer, str) or not answer.strip():
                raise InvalidRequest("Give the link or the text.")
            self._workflow.resolve(actor, str(body.get("state") or ""), "responded", answer)
            return json_response({})

        return edge.run_dialog(call, _RESOLVE_FIELDS)

    def dialog_new(self, request: Request) -> Response:
        """Submission of the ``/escalation new`` dialog; ``state`` carries the post id."""

        def call() -> Response:
            _user(request)
            body = request.json_object(require_content_type=False)
            if body.get("cancelled"):
                return json_response({})
            actor = _actor(request, body)
            submission = body.get("submission")
            if not isinstance(submission, dict):
                raise InvalidRequest("The form was empty.")
            topic = str(submission.get("topic") or "")
            if not topic:
                raise TopicNotFound("Choose a topic.")
            note = submission.get("note") or ""
            if not isinstance(note, str):
                raise InvalidRequest("The note must be text.")
            record, created = self._workflow.escalate(
                actor, str(body.get("state") or ""), topic, note
            )
            if not created:
                return json_response({"error": sentences.already_escalated(record)})
            return json_response({})

        return edge.run_dialog(call, _NEW_FIELDS)


def _stats(reports: Reports, request: Request) -> Response:
    def call() -> Response:
        days = request.query_value("days")
        found = reports.stats(_user(request), parse_days(days) if days else DEFAULT_DAYS)
        return json_response(found.to_api())

    return edge.run_http(call)


def _export(reports: Reports, request: Request) -> Response:
    def call() -> Response:
        q = request.query_value
        page = reports.export(
            _user(request), q("format") or "csv", q("from") or "", q("to") or "",
            q("cursor") or "",
        )  # fmt: skip
        extension = "json" if page.content_type == JSON_CONTENT_TYPE else "csv"
        headers = [
            ("Content-Type", page.content_type),
            ("Content-Disposition", f'attachment; filename="escalations.{extension}"'),
            ("Cache-Control", "no-store"),
            ("X-Content-Type-Options", "nosniff"),
        ]
        if page.next_cursor is not None:
            headers.append(("X-Next-Cursor", str(page.next_cursor)))
        return Response(200, tuple(headers), page.body)

    return edge.run_http(call)


def _user(request: Request) -> str:
    """The server-set user id; the only identity a request has."""
    if request.user_id is None:
        raise NotLoggedIn()
    return request.user_id


def _actor(request: Request, body: dict[str, Any]) -> str:
    """The header user; refuse a body that names someone else."""
    actor = _user(request)
    claimed = body.get("user_id")
    if claimed not in (None, "") and claimed != actor:
        raise UserMismatch("The request names a different user than the session.")
    return actor


def _field(body: dict[str, Any], name: str, *, required: bool = True) -> str:
    value = body.get(name)
    if value is None and not required:
        return ""
    if not isinstance(value, str):
        raise InvalidRequest(f"{name} must be {'a non-empty string' if required else 'a string'}.")
    if required and not value.strip():
        raise InvalidRequest(f"{name} must be a non-empty string.")
    return value.strip() if name != "note" else value
