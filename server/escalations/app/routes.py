"""The plugin's HTTP API (``docs/http-api.md``): JSON routes for the webapp, the button actions
and the ``/escalation new`` dialog submission.

Identity is only the server-set ``Mattermost-User-Id`` header (``Request.user_id``); a ``user_id``
in a body is cross-checked against it and a mismatch refused. Domain errors are mapped here, once:
for JSON routes to ``{"error": ...}`` with the status of ``errors.http_status``; for actions to
HTTP 200 with ``ephemeral_text`` (Mattermost shows anything else as "Action failed"); for the dialog
to its ``errors`` / ``error`` fields. Body size (413) is capped by the runtime before we see it.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from typing import Any

from escalations.runtime.errors import PluginAPIError
from escalations.runtime.http import (
    HTTPError,
    Request,
    Response,
    Router,
    error_response,
    json_response,
    require_user,
)

from . import link_dialog, render, sentences
from .errors import (
    InvalidRequest,
    NoteTooLong,
    TopicNotFound,
    UserMismatch,
    WorkflowError,
    http_status,
)
from .links import LinkRequest
from .model import Escalation, Outcome
from .service import Workflow

log = logging.getLogger(__name__)

BODY_MAX_BYTES = 64 * 1024
_ID_RE = re.compile(r"^[a-z0-9]{26}$")
_SOMETHING_WRONG = "Something went wrong; please try again."


def build_router(workflow: Workflow) -> Router:
    router = Router()
    api = _Api(workflow)
    router.add("GET", "/api/v1/topics", require_user(api.topics))
    router.add("POST", "/api/v1/escalations", require_user(api.create))
    router.add("POST", "/api/v1/escalations/links", require_user(api.create_link))
    router.add("GET", "/api/v1/escalations/{id}", require_user(api.show))
    for action in render.ACTIONS:
        router.add("POST", f"/api/v1/actions/{action}", api.action_handler(action))
    router.add("POST", "/api/v1/dialogs/new", api.dialog_new)
    router.add("POST", "/api/v1/dialogs/resolve", api.dialog_resolve)
    router.add("POST", "/api/v1/dialogs/link", lambda r: link_dialog.submit(workflow, r))
    return router


class _Api:
    def __init__(self, workflow: Workflow) -> None:
        self._workflow = workflow

    # --- JSON routes -------------------------------------------------------------------------

    def topics(self, request: Request) -> Response:
        return _json_call(lambda: json_response(self._workflow.active_policy().to_api()))

    def create(self, request: Request) -> Response:
        def call() -> Response:
            body = request.json_object()
            actor = _actor(request, body)
            post_id = _field(body, "post_id")
            if not _ID_RE.match(post_id):
                raise InvalidRequest("post_id must be a 26-character post id.")
            topic = _field(body, "topic")
            note = _field(body, "note", required=False)
            record, created = self._workflow.escalate(actor, post_id, topic, note)
            return json_response(record.to_api(), 201 if created else 200)

        return _json_call(call)

    def create_link(self, request: Request) -> Response:
        """Escalate a link raised outside Mattermost (``link_dialog`` for the slash command)."""

        def call() -> Response:
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

        return _json_call(call)

    def show(self, request: Request) -> Response:
        actor = request.user_id or ""
        esc_id = request.path_params["id"]
        return _json_call(lambda: json_response(self._workflow.get(actor, esc_id).to_api()))

    # --- interactive message actions ---------------------------------------------------------

    def action_handler(self, action: str) -> Callable[[Request], Response]:
        def handle(request: Request) -> Response:
            try:
                text = self._action(action, request)
            except WorkflowError as exc:
                text = exc.public
            except (HTTPError, ValueError) as exc:
                text = getattr(exc, "message", None) or "That request was not understood."
            except PluginAPIError:
                log.exception("action %s failed", action)
                text = _SOMETHING_WRONG
            return json_response({"ephemeral_text": text} if text else {})

        return handle

    def _action(self, action: str, request: Request) -> str:
        if request.user_id is None:
            return "You are not logged in."
        body = request.json_object(require_content_type=False)
        actor = _actor(request, body)
        context = body.get("context")
        if not isinstance(context, dict):
            raise InvalidRequest("This button is not one of ours.")
        esc_id = str(context.get("escalation_id") or "")
        post_id = str(body.get("post_id") or "")
        record = self._workflow.get_for_action(esc_id, post_id)
        if action == render.TIPS:  # anyone who can see the post may read them
            return sentences.tips_text(self._workflow.active_policy().policy)
        if action == render.CLAIM:
            _, changed = self._workflow.claim(actor, record.id)
            return "" if changed else "You already own this escalation."
        if action == render.ASSIGN:
            selected = str(context.get("selected_option") or "")
            _, changed = self._workflow.assign(actor, record.id, selected)
            return "" if changed else f"@{selected} already owns this escalation."
        if action == render.RELEASE:
            self._workflow.release(actor, record.id)
            return ""
        outcome = str(context.get("outcome") or "")
        trigger_id = body.get("trigger_id")
        if outcome == Outcome.RESPONDED.value and isinstance(trigger_id, str) and trigger_id:
            # Ask for the response first; the dialog's submission resolves.
            self._workflow.ask_for_response(actor, record.id, trigger_id)
            return ""
        self._workflow.resolve(actor, record.id, outcome)
        return ""

    # --- dialogs -----------------------------------------------------------------------------

    def dialog_resolve(self, request: Request) -> Response:
        """Submission of the "Resolve: responded" dialog; ``state`` carries the escalation id."""
        try:
            if request.user_id is None:
                return json_response({"error": "You are not logged in."})
            body = request.json_object(require_content_type=False)
            if body.get("cancelled"):
                return json_response({})
            actor = _actor(request, body)
            submission = body.get("submission")
            answer = submission.get("response") if isinstance(submission, dict) else None
            if not isinstance(answer, str) or not answer.strip():
                return json_response({"errors": {"response": "Give the link or the text."}})
            self._workflow.resolve(actor, str(body.get("state") or ""), "responded", answer)
        except InvalidRequest as exc:
            return json_response({"errors": {"response": exc.public}})
        except WorkflowError as exc:
            return json_response({"error": exc.public})
        except HTTPError as exc:
            return json_response({"error": exc.message})
        except PluginAPIError:
            log.exception("resolve dialog submission failed")
            return json_response({"error": _SOMETHING_WRONG})
        return json_response({})

    def dialog_new(self, request: Request) -> Response:
        """Submission of the ``/escalation new`` dialog; ``state`` carries the post id."""
        try:
            if request.user_id is None:
                return json_response({"error": "You are not logged in."})
            body = request.json_object(require_content_type=False)
            if body.get("cancelled"):
                return json_response({})
            actor = _actor(request, body)
            submission = body.get("submission")
            if not isinstance(submission, dict):
                raise InvalidRequest("The form was empty.")
            topic = str(submission.get("topic") or "")
            if not topic:
                return json_response({"errors": {"topic": "Choose a topic."}})
            note = submission.get("note") or ""
            if not isinstance(note, str):
                raise InvalidRequest("The note must be text.")
            record, created = self._workflow.escalate(
                actor, str(body.get("state") or ""), topic, note
            )
            if not created:
                return json_response({"error": already_escalated(record)})
        except TopicNotFound as exc:
            return json_response({"errors": {"topic": exc.public}})
        except NoteTooLong as exc:
            return json_response({"errors": {"note": exc.public}})
        except WorkflowError as exc:
            return json_response({"error": exc.public})
        except HTTPError as exc:
            return json_response({"error": exc.message})
        except PluginAPIError:
            log.exception("dialog submission failed")
            return json_response({"error": _SOMETHING_WRONG})
        return json_response({})


def already_escalated(record: Escalation) -> str:
    """The dialog's answer to a post escalated before (the dialog shows plain text)."""
    owner = f", owner @{record.owner}" if record.owner else ""
    return (
        f"This post is already escalated under {record.topic_title} (ref {record.ref}, "
        f"{record.state.value}{owner}): {record.permalink}"
    )


def _json_call(call: Callable[[], Response]) -> Response:
    """Run a JSON route; map domain errors to their status, infrastructure errors to 500."""
    try:
        return call()
    except WorkflowError as exc:
        return error_response(http_status(exc), exc.public)
    except PluginAPIError:
        log.exception("JSON route failed")
        return error_response(500, _SOMETHING_WRONG)


def _actor(request: Request, body: dict[str, Any]) -> str:
    """The header user; refuse a body that names someone else."""
    actor = request.user_id or ""
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
