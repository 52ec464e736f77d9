"""The escalation record: a versioned, frozen value stored as JSON in the KV store.

Ownership: from the moment it is posted an escalation has an ``owner`` (the topic's default owner,
the first approved responder), unless the topic has no responder who can be mentioned. ``state``
says whether that owner has acknowledged it: ``open`` = not yet, ``claimed`` = acknowledged,
``resolved`` = done (outcome). ``owner_since`` is when the current owner got it: the reminders
count from there, and ``reminders`` records which reminders were sent (each is written here
before it is sent, so it is sent once).
Every change produces a new record with ``version + 1`` and one more entry in the append-only event
log; the store writes it with compare-and-set against the exact bytes it read, so two changes
computed from the same version can never both land.

The source is a post (``post_id``, ``channel_id``, ``source_link`` its permalink) or a link raised
outside Mattermost (``source_url``, the link as the post shows it; ``post_id`` empty, ``excerpt``
the escalator's redacted summary, ``channel_id`` where they asked, if they are a member of it).

A record whose ``escalation_post_id`` is empty is *pending*: its creator reserved the (post, topic)
pair and is posting to the escalations channel right now (see ``service.Workflow.escalate``).
"""

from __future__ import annotations

import base64
import enum
import hashlib
import json
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

# Bump when the stored JSON changes shape; ``from_json`` migrates the older schemas it knows
# (``_migrate``) and refuses the others.
RECORD_SCHEMA = 3
# Schema 1: the owner stayed empty until someone claimed; no owner_since, reminders, response.
_SCHEMA_UNOWNED = 1
# Schema 2: every escalation was of a post (no ``source_url``); read as it is. Schema 3 added the
# escalations of links raised outside Mattermost, which a plugin reading schema 2 must not take
# for posts.
_SCHEMA_POSTS_ONLY = 2
_READABLE = (_SCHEMA_UNOWNED, _SCHEMA_POSTS_ONLY, RECORD_SCHEMA)
# Characters of the id shown to people as the escalation's reference (``/escalation show abc2def``).
REF_CHARS = 7


class State(str, enum.Enum):
    OPEN = "open"
    CLAIMED = "claimed"
    RESOLVED = "resolved"


class Outcome(str, enum.Enum):
    RESPONDED = "responded"
    NO_RESPONSE_NEEDED = "no_response_needed"

    @property
    def label(self) -> str:
        return "responded" if self is Outcome.RESPONDED else "no response needed"


class Action(str, enum.Enum):
    """What happened, as written to the event log."""

    ESCALATED = "escalated"
    CLAIMED = "claimed"
    TOOK_OVER = "took_over"
    ASSIGNED = "assigned"
    RELEASED = "released"
    RESOLVED = "resolved"


@dataclass(frozen=True)
class Event:
    """One entry of the event log: what, who (username), when (ms), plus an optional detail
    (the assignee of ``assigned``, the previous owner of ``took_over`` and ``released``, the
    outcome of ``resolved``)."""

    what: Action
    who: str
    when: int
    detail: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"what": self.what.value, "who": self.who, "when": self.when, "detail": self.detail}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Event:
        return cls(
            what=Action(_str(data, "what")),
            who=_str(data, "who"),
            when=_int(data, "when"),
            detail=_str(data, "detail"),
        )


@dataclass(frozen=True)
class Seat:
    """A role of the topic and the people in it who can be mentioned (usernames, policy order).
    ``people`` is empty when the role has nobody: the post says so rather than dropping it."""

    role: str
    people: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"role": self.role, "people": list(self.people)}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Seat:
        return cls(role=_str(data, "role"), people=_strs(data, "people"))


@dataclass(frozen=True)
class Escalation:
    """One escalated (post, topic) pair. People are named by username (what the post mentions
    and the log shows); rights come from user ids (``responder_ids`` and the active policy)."""

    id: str
    version: int
    topic: str
    topic_title: str
    post_id: str
    channel_id: str
    created_by: str
    created_by_id: str
    created_at: int
    updated_at: int
    state: State = State.OPEN
    owner: str | None = None
    default_owner: str | None = None
    outcome: Outcome | None = None
    note: str = ""
    escalation_post_id: str = ""
    escalation_channel_id: str = ""
    permalink: str = ""
    # Snapshot of what the post shows, taken at escalation time so that every re-render (one per
    # state change) shows the same content even if the original post or the policy changes.
    source_channel: str = ""
    source_link: str = ""
    excerpt: str = ""
    responders: tuple[str, ...] = ()
    loop_in: tuple[str, ...] = ()
    template_response: str | None = None
    # The roles behind ``responders`` and ``loop_in`` (records older than this field have none:
    # their post shows the people without roles).
    responder_seats: tuple[Seat, ...] = ()
    loop_in_seats: tuple[Seat, ...] = ()
    events: tuple[Event, ...] = field(default=())
    # User ids of ``responders`` (records written before ids were kept have none).
    responder_ids: tuple[str, ...] = ()
    owner_since: int = 0
    reminders: tuple[str, ...] = ()
    # What "Resolve: responded" recorded: the link to the public response, or its text.
    response: str = ""
    # True once retention removed the details (excerpt, note, the log between first and last).
    compacted: bool = False
    # Who approved ``template_response`` in the plugin (username); empty when it is the policy
    # file's. An approved template is text people wrote: the post shows it made safe.
    template_approved_by: str = ""
    # The link of an escalation raised outside Mattermost as shown (``links.shown``); "" for posts.
    source_url: str = ""

    @property
    def is_link(self) -> bool:
        """True for an escalation of a link raised outside Mattermost (no post)."""
        return bool(self.source_url)

    # The token of the reservation that created this record (random, kept by a take-over): the
    # bot post is marked with it, so whoever recovers a stale reservation can find a post made
    # before its creator died (``service.Workflow.escalate``).
    reservation: str = ""
    # The version of a change whose post edit, thread reply and direct messages may not have
    # been made yet (0: none owed). Written with the change, cleared once they are made; a
    # press that finds it set long after repairs what a crashed request left undone.
    unannounced: int = 0

    @property
    def acknowledged(self) -> bool:
        """True when the owner has taken it on (Claim, or assigned it to themselves)."""
        return self.state is State.CLAIMED

    @property
    def resolved(self) -> bool:
        return self.state is State.RESOLVED

    @property
    def ref(self) -> str:
        """The short reference people type: the id's first ``REF_CHARS`` characters (stable,
        since the id is; ``/escalation show`` accepts it or any longer prefix)."""
        return self.id[:REF_CHARS]

    @property
    def pending(self) -> bool:
        """True while the bot post has not been created yet."""
        return not self.escalation_post_id

    def with_event(self, event: Event, **changes: Any) -> Escalation:
        """The next version: ``changes`` applied, ``event`` appended, ``updated_at`` = its time."""
        return replace(
            self,
            version=self.version + 1,
            updated_at=event.when,
            events=(*self.events, event),
            **changes,
        )

    def with_changes(self, now: int, **changes: Any) -> Escalation:
        """The next version without a log entry (bookkeeping such as the bot post's id)."""
        return replace(self, version=self.version + 1, updated_at=now, **changes)

    def compact(self, now: int) -> Escalation:
        """The next version without the details kept only while it matters (the quoted
        excerpt, the note, the template, the log's middle): what stays is what statistics need
        (topic, who and when, owner, outcome, response, first and last event)."""
        kept = (self.events[0], self.events[-1]) if len(self.events) > 1 else self.events
        return self.with_changes(
            now,
            excerpt="",
            note="",
            template_response=None,
            template_approved_by="",
            events=kept,
            compacted=True,
        )

    @property
    def last_event(self) -> Event | None:
        return self.events[-1] if self.events else None

    def to_api(self) -> dict[str, Any]:
        """The escalation object of ``docs/http-api.md``."""
        return {
            "id": self.id,
            "topic": self.topic,
            "topic_title": self.topic_title,
            "state": self.state.value,
            "owner": self.owner,
            "acknowledged": self.acknowledged,
            "owner_since": self.owner_since,
            "default_owner": self.default_owner,
            "outcome": self.outcome.value if self.outcome else None,
            "response": self.response,
            "post_id": self.post_id,
            "source_url": self.source_url,
            "escalation_post_id": self.escalation_post_id,
            "permalink": self.permalink,
            "created_by": self.created_by,
            "created_at": self.created_at,
            "updated_at": self.updated_at,
        }

    def to_json(self) -> bytes:
        data = self.to_api()
        data.update(
            schema=RECORD_SCHEMA,
            version=self.version,
            channel_id=self.channel_id,
            created_by_id=self.created_by_id,
            note=self.note,
            escalation_channel_id=self.escalation_channel_id,
            source_channel=self.source_channel,
            source_link=self.source_link,
            excerpt=self.excerpt,
            responders=list(self.responders),
            responder_ids=list(self.responder_ids),
            loop_in=list(self.loop_in),
            template_response=self.template_response,
            responder_seats=[s.to_dict() for s in self.responder_seats],
            loop_in_seats=[s.to_dict() for s in self.loop_in_seats],
            events=[e.to_dict() for e in self.events],
            reminders=list(self.reminders),
            compacted=self.compacted,
            template_approved_by=self.template_approved_by,
            reservation=self.reservation,
            unannounced=self.unannounced,
        )
        return json.dumps(data, separators=(",", ":"), sort_keys=True).encode()

    @classmethod
    def from_json(cls, raw: bytes) -> Escalation:
        """Parse a stored record, migrating older schemas. Raises ``ValueError`` on anything but
        our own schemas."""
        data = json.loads(raw)
        if not isinstance(data, dict) or data.get("schema") not in _READABLE:
            raise ValueError(f"not an escalation record of schema {RECORD_SCHEMA}")
        record = cls._parse(data)
        return _migrate(record) if data["schema"] == _SCHEMA_UNOWNED else record

    @classmethod
    def _parse(cls, data: Mapping[str, Any]) -> Escalation:
        outcome = data.get("outcome")
        return cls(
            id=_str(data, "id"),
            version=_int(data, "version"),
            topic=_str(data, "topic"),
            topic_title=_str(data, "topic_title"),
            post_id=_str(data, "post_id"),
            channel_id=_str(data, "channel_id"),
            created_by=_str(data, "created_by"),
            created_by_id=_str(data, "created_by_id"),
            created_at=_int(data, "created_at"),
            updated_at=_int(data, "updated_at"),
            state=State(_str(data, "state")),
            owner=_opt_str(data, "owner"),
            default_owner=_opt_str(data, "default_owner"),
            outcome=Outcome(outcome) if outcome else None,
            note=_str(data, "note"),
            escalation_post_id=_str(data, "escalation_post_id"),
            escalation_channel_id=_str(data, "escalation_channel_id"),
            permalink=_str(data, "permalink"),
            source_channel=_str(data, "source_channel"),
            source_link=_str(data, "source_link"),
            excerpt=_str(data, "excerpt"),
            responders=_strs(data, "responders"),
            responder_ids=_strs(data, "responder_ids"),
            loop_in=_strs(data, "loop_in"),
            template_response=_opt_str(data, "template_response"),
            responder_seats=_seats(data, "responder_seats"),
            loop_in_seats=_seats(data, "loop_in_seats"),
            events=tuple(Event.from_dict(e) for e in data.get("events") or ()),
            owner_since=_int(data, "owner_since"),
            reminders=_strs(data, "reminders"),
            response=_str(data, "response"),
            compacted=data.get("compacted") is True,
            template_approved_by=_str(data, "template_approved_by"),
            source_url=_str(data, "source_url"),
            reservation=_str(data, "reservation"),
            unannounced=_int(data, "unannounced"),
        )


_OWNERSHIP_EVENTS = (Action.CLAIMED, Action.TOOK_OVER, Action.ASSIGNED, Action.RELEASED)


def _migrate(old: Escalation) -> Escalation:
    """A schema-1 record in today's terms (same version: nothing is written until it changes).
    An open record had no owner: the default owner has it now, unacknowledged, since the last
    ownership change (a release) or since it was escalated."""
    changes = [e.when for e in old.events if e.what in _OWNERSHIP_EVENTS]
    since = changes[-1] if changes else old.created_at
    owner = old.owner
    if old.state is State.OPEN and owner is None:
        owner = old.default_owner
    return replace(old, owner=owner, owner_since=since)


def reservation_token() -> str:
    """A fresh reservation token: 26 random characters of lowercase base32."""
    return base64.b32encode(secrets.token_bytes(20)).decode().lower()[:26]


def escalation_id(post_id: str, topic: str) -> str:
    """The id of the escalation of ``post_id`` under ``topic``: deterministic, so escalating the
    same pair twice finds the same record (create-if-absent needs no separate index). 26 chars of
    lowercase base32, the shape of a Mattermost id."""
    digest = hashlib.sha256(f"{post_id}\n{topic}".encode()).digest()
    return base64.b32encode(digest).decode().lower()[:26]


def _str(data: Mapping[str, Any], key: str) -> str:
    value = data.get(key, "")
    if value is None:
        return ""
    if not isinstance(value, str):
        raise ValueError(f"{key}: expected a string")
    return value


def _opt_str(data: Mapping[str, Any], key: str) -> str | None:
    return _str(data, key) or None


def _strs(data: Mapping[str, Any], key: str) -> tuple[str, ...]:
    value = data.get(key) or []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValueError(f"{key}: expected a list of strings")
    return tuple(value)


def _seats(data: Mapping[str, Any], key: str) -> tuple[Seat, ...]:
    value = data.get(key) or []
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise ValueError(f"{key}: expected a list of objects")
    return tuple(Seat.from_dict(v) for v in value)


def _int(data: Mapping[str, Any], key: str) -> int:
    value = data.get(key, 0)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"{key}: expected a number")
    return int(value)
