"""What each button of the escalation post does: one table, ``BUTTONS``, from the action name in
the button's URL (``render``'s names) to its handler. The routes register one endpoint per entry.

A handler gets the press, already checked at the edge (server-set user, a context naming one of
our escalations whose post is the pressed one), and returns the ephemeral text to show the presser
("" for none: the updated post is the answer). Errors are raised, and answered by ``edge``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from . import render, sentences
from .model import Escalation, Outcome
from .service import Workflow


@dataclass(frozen=True)
class Press:
    actor: str
    record: Escalation
    context: Mapping[str, Any]
    trigger_id: str


Handler = Callable[[Workflow, Press], str]


def _claim(workflow: Workflow, press: Press) -> str:
    _, changed = workflow.claim(press.actor, press.record.id)
    return "" if changed else "You already own this escalation."


def _assign(workflow: Workflow, press: Press) -> str:
    selected = str(press.context.get("selected_option") or "")
    _, changed = workflow.assign(press.actor, press.record.id, selected)
    return "" if changed else f"@{selected} already owns this escalation."


def _release(workflow: Workflow, press: Press) -> str:
    workflow.release(press.actor, press.record.id)
    return ""


def _resolve(workflow: Workflow, press: Press) -> str:
    outcome = str(press.context.get("outcome") or "")
    if outcome == Outcome.RESPONDED.value and press.trigger_id:
        # Ask for the response first; the dialog's submission resolves.
        workflow.ask_for_response(press.actor, press.record.id, press.trigger_id)
        return ""
    workflow.resolve(press.actor, press.record.id, outcome)
    return ""


def _tips(workflow: Workflow, press: Press) -> str:
    """Anyone who can see the post may read them."""
    return sentences.tips_text(workflow.active_policy().policy)


BUTTONS: Mapping[str, Handler] = {
    render.CLAIM: _claim,
    render.ASSIGN: _assign,
    render.RELEASE: _release,
    render.RESOLVE: _resolve,
    render.TIPS: _tips,
}
