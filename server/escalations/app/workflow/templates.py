"""Template responses approved in the plugin: proposals, approvals and their log.

All topics' template states live in one KV value (``keys.templates``): a JSON map from topic key to
a ``TopicTemplate`` (the approved template, the pending proposal, and the newest
``EVENTS_KEPT`` events of who proposed, approved or rejected, and when). One value because every
place a template shows needs all topics at once (the topic picker), with one read; changes are
rare (people proposing and approving), so one compare-and-set value does not contend.

``TemplateBook.change`` is read -> compute -> compare-and-set, retried; the change function sees
the fresh state on every attempt and raises a ``WorkflowError`` to refuse.

``layered`` puts the approved templates over the policy file's (``ActivePolicy``), so every place
that shows a topic's template shows the approved one with who approved it and when.
"""

from __future__ import annotations

import json
import logging
import random
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from escalations.app.domain import keys
from escalations.app.domain.active_policy import ActivePolicy
from escalations.app.domain.errors import Busy
from escalations.app.domain.kv import KV

log = logging.getLogger(__name__)

# Events kept per topic (the newest).
EVENTS_KEPT = 50
TEMPLATE_MAX_CHARS = 3000
CHANGE_RETRIES = 8
_RETRY_PAUSE_SECONDS = 0.005

PROPOSED = "proposed"
APPROVED = "approved"
REJECTED = "rejected"

# ``{name}`` and ``{link}``; any other brace text is left as written.
_PLACEHOLDER = re.compile(r"\{(name|link)\}")


@dataclass(frozen=True)
class Authored:
    """A template text and who wrote or approved it (user id; username at the time), when."""

    text: str
    user_id: str
    username: str
    when: int

    def to_dict(self) -> dict[str, Any]:
        return {"text": self.text, "user_id": self.user_id, "username": self.username,
                "when": self.when}  # fmt: skip

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Authored:
        text, user_id, username = (data.get(k) for k in ("text", "user_id", "username"))
        when = data.get("when")
        if not (isinstance(text, str) and isinstance(user_id, str) and isinstance(username, str)):
            raise ValueError("not a template entry")
        if not isinstance(when, int):
            raise ValueError("not a template entry")
        return cls(text, user_id, username, when)


@dataclass(frozen=True)
class TopicTemplate:
    """One topic's approved template (its ``text`` and who approved it; ``proposed_by`` who
    proposed it), the pending proposal, and the event log (``Authored`` with ``text`` = what
    happened: ``PROPOSED``, ``APPROVED``, ``REJECTED``)."""

    approved: Authored | None = None
    proposed_by: str = ""
    proposal: Authored | None = None
    events: tuple[Authored, ...] = ()

    def with_event(self, what: str, user_id: str, username: str, when: int) -> TopicTemplate:
        event = Authored(what, user_id, username, when)
        return replace(self, events=(*self.events, event)[-EVENTS_KEPT:])

    def to_dict(self) -> dict[str, Any]:
        return {
            "approved": self.approved.to_dict() if self.approved else None,
            "proposed_by": self.proposed_by,
            "proposal": self.proposal.to_dict() if self.proposal else None,
            "events": [e.to_dict() for e in self.events],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> TopicTemplate:
        approved, proposal = data.get("approved"), data.get("proposal")
        proposed_by = data.get("proposed_by") or ""
        if not isinstance(proposed_by, str):
            raise ValueError("not a template state")
        return cls(
            approved=Authored.from_dict(approved) if approved else None,
            proposed_by=proposed_by,
            proposal=Authored.from_dict(proposal) if proposal else None,
            events=tuple(Authored.from_dict(e) for e in data.get("events") or ()),
        )


Book = dict[str, TopicTemplate]


class TemplateBook:
    """Every topic's ``TopicTemplate``, in one KV value."""

    def __init__(self, kv: KV) -> None:
        self._kv = kv

    def all(self) -> Book:
        return _parse(self._kv.get(keys.templates()))

    def get(self, topic: str) -> TopicTemplate:
        return self.all().get(topic, TopicTemplate())

    def change(self, topic: str, change: Callable[[TopicTemplate], TopicTemplate]) -> TopicTemplate:
        """Apply ``change`` to the topic's state with compare-and-set; the stored result."""
        key = keys.templates()
        for attempt in range(CHANGE_RETRIES):
            raw = self._kv.get(key)
            book = _parse(raw)
            updated = change(book.get(topic, TopicTemplate()))
            book[topic] = updated
            body = {k: v.to_dict() for k, v in sorted(book.items())}
            if self._kv.compare_and_set(key, raw, json.dumps(body, separators=(",", ":")).encode()):
                return updated
            time.sleep(_RETRY_PAUSE_SECONDS * (1 + attempt) * random.random())
        raise Busy("Templates are being changed by others right now; try again.")


def _parse(raw: bytes | None) -> Book:
    if not raw:
        return {}
    try:
        data = json.loads(raw)
        return {str(k): TopicTemplate.from_dict(v) for k, v in data.items()}
    except (ValueError, TypeError, AttributeError):
        log.warning("the stored templates are unreadable; the policy's templates show")
        return {}


def layered(policy: ActivePolicy, book: Mapping[str, TopicTemplate]) -> ActivePolicy:
    """``policy`` with each approved template over its topic's template from the policy file."""
    topics = []
    for topic in policy.topics:
        approved = book[topic.key].approved if topic.key in book else None
        if approved is not None:
            topic = replace(
                topic,
                template_response=approved.text,
                template_approved_by=approved.username,
                template_approved_at=approved.when,
            )
        topics.append(topic)
    return replace(policy, topics=tuple(topics))


def fill(template: str, *, name: str, link: str) -> str:
    """``template`` with ``{name}`` and ``{link}`` replaced; any other braces stay as written.
    A plain substitution: the values are never read as a format string, nor is the template."""
    values = {"name": name, "link": link}
    return _PLACEHOLDER.sub(lambda m: values[m.group(1)], template)
