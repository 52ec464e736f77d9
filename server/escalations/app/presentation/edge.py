"""The one place where an error becomes what a person sees.

``refusal`` maps any exception to a status and a text; the four ``*_answer`` functions give that
refusal the shape of a surface, and the ``run_*`` helpers run a handler and answer its error:

=============  ===========================================  ==================================
surface        success                                      error
=============  ===========================================  ==================================
HTTP (JSON)    the handler's response                       ``{"error": text}`` with the status
button         ``{"ephemeral_text": ..., "update": ...}``   HTTP 200 ``{"ephemeral_text": text}``
dialog         ``{}``                                       ``{"errors": {field: text}}`` when
                                                            the error belongs to a field, else
                                                            ``{"error": text}`` (HTTP 200)
slash command  ephemeral text                               ephemeral text
=============  ===========================================  ==================================

Buttons and dialogs always answer HTTP 200: Mattermost shows any other status as a bare "Action
failed" and drops the text. Domain errors (``errors.WorkflowError``) carry their own status and a
text written for the person who acted; a request the HTTP layer could not read (``HTTPError``)
keeps its status and message; a failed Mattermost call (``errors.HostError``) and anything
unexpected are logged with their traceback and shown as "Something went wrong" with status 500,
so no internal detail reaches a client.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from escalations.app.domain.errors import HostError, WorkflowError
from escalations.runtime.http import HTTPError, Response, error_response, json_response
from escalations.runtime.models import CommandResponse

log = logging.getLogger(__name__)

SOMETHING_WRONG = "Something went wrong; please try again."
NOT_UNDERSTOOD = "That request was not understood."

# A dialog's fields, by the errors that belong to them (checked in order, subclasses included).
DialogFields = Mapping[type[WorkflowError], str]


@dataclass(frozen=True)
class Refusal:
    status: int
    text: str


def refusal(error: Exception) -> Refusal:
    """The status and the text a person may see for ``error``; logs what is not their doing."""
    if isinstance(error, WorkflowError):
        return Refusal(error.status, error.public)
    if isinstance(error, HTTPError):
        return Refusal(error.status, error.message or NOT_UNDERSTOOD)
    if isinstance(error, HostError):
        log.error("a Mattermost call failed: %s", error, exc_info=error)
    else:
        log.error("unexpected error", exc_info=error)
    return Refusal(500, SOMETHING_WRONG)


def http_answer(error: Exception) -> Response:
    r = refusal(error)
    return error_response(r.status, r.text)


def button_answer(error: Exception) -> Response:
    return json_response({"ephemeral_text": refusal(error).text})


def dialog_answer(error: Exception, fields: DialogFields) -> Response:
    text = refusal(error).text
    for kind, field in fields.items():
        if isinstance(error, kind):
            return json_response({"errors": {field: text}})
    return json_response({"error": text})


def slash_answer(error: Exception) -> CommandResponse:
    return CommandResponse.ephemeral(refusal(error).text)


def run_http(call: Callable[[], Response]) -> Response:
    try:
        return call()
    except Exception as exc:  # noqa: BLE001 - the edge: every error gets an answer
        return http_answer(exc)


def run_button(call: Callable[[], Mapping[str, Any]]) -> Response:
    """``call`` returns the answer's body (``ephemeral_text``, ``update``; ``{}`` for none)."""
    try:
        body = call()
    except Exception as exc:  # noqa: BLE001 - the edge: every error gets an answer
        return button_answer(exc)
    return json_response(dict(body))


def run_dialog(call: Callable[[], Response], fields: DialogFields) -> Response:
    try:
        return call()
    except Exception as exc:  # noqa: BLE001 - the edge: every error gets an answer
        return dialog_answer(exc, fields)


def run_slash(call: Callable[[], str]) -> CommandResponse:
    try:
        return CommandResponse.ephemeral(call())
    except Exception as exc:  # noqa: BLE001 - the edge: every error gets an answer
        return slash_answer(exc)
