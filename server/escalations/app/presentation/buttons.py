"""What each button of the escalation post does: one table, ``BUTTONS``, from the action name in
the button's URL (``render``'s names) to its handler. The routes register one endpoint per entry.

A handler gets the press, already checked at the edge (server-set user, a context naming one of
our escalations whose post is the pressed one), and returns its ``Answer``: the ephemeral text to
show the presser ("" for none) and the record if the press changed it, whose new post the route
sends back as the answer's ``update`` (the server applies it; no separate post edit). Errors are
raised, and answered by ``edge``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from escalations.app.domain.model import Escalation, Outcome
from escalations.app.views import render, sentences
from escalations.app.workflow.service import Workflow


@dataclass(frozen=True)
class Press:
    actor: str
    record: Escalation
    context: Mapping[str, Any]
    trigger_id: str


@dataclass(frozen=True)
class Answer:
    text: str = ""
    changed: Escalation | None = None


Handler = Callable[[Workflow, Press], Answer]


def _claim(workflow: Workflow, press: Press) -> Answer:
    r = press.record
    done, changed = workflow.claim(press.actor, r.id, r, answer=True)
    return Answer(changed=done) if changed else Answer("You already own this escalation.")


def _assign(workflow: Workflow, press: Press) -> Answer:
    selected = str(press.context.get("selected_option") or "")
    r = press.record
    done, changed = workflow.assign(press.actor, r.id, selected, r, answer=True)
    return Answer(changed=done) if changed else Answer(f"@{selected} already owns this escalation.")


def _release(workflow: Workflow, press: Press) -> Answer:
    done, changed = workflow.release(press.actor, press.record.id, press.record, answer=True)
    return Answer(changed=done if changed else None)


def _resolve(workflow: Workflow, press: Press) -> Answer:
    outcome = str(press.context.get("outcome") or "")
    r = press.record
    if outcome == Outcome.RESPONDED.value and press.trigger_id:
        # Ask for the response first; the dialog's submission resolves.
        workflow.ask_for_response(press.actor, r.id, press.trigger_id)
        return Answer()
    done, changed = workflow.resolve(press.actor, r.id, outcome, known=r, answer=True)
    return Answer(changed=done if changed else None)


def _tips(workflow: Workflow, press: Press) -> Answer:
    """Anyone who can see the post may read them."""
    return Answer(sentences.tips_text(workflow.active_policy().policy))


BUTTONS: Mapping[str, Handler] = {
    render.CLAIM: _claim,
    render.ASSIGN: _assign,
    render.RELEASE: _release,
    render.RESOLVE: _resolve,
    render.TIPS: _tips,
}
