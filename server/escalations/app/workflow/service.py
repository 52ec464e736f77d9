"""Use cases: escalate, claim, assign, release, resolve, list, show, mine.

Authorization uses only the server-set acting user id and stored data (the record and the active
policy): button contexts and request bodies are hints. Every state change is a compare-and-set
transition (``store.Store.transition``); after it lands the post is edited in place (for a button
press by the server, from the press's answer: ``post_edit``), a thread reply says who did what and
when, and a WebSocket event tells clients; these calls run together (``fanout``), and for a
button press after its answer went out (``afterwards``).

Side effects after a transition (post edit, reply, event) are best effort: the record is the truth,
and a failed edit is repaired by the next change, which re-renders from the record.

The person who escalated hears back by direct message from the bot when the escalation is
acknowledged or taken over and when it is resolved; those messages name the topic, who acted and
the outcome, never what only the escalations channel may see (excerpt, note, the channel's link).
"""

from __future__ import annotations

import functools
import logging
import random
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import TypeVar, cast

from escalations.app.domain import links, redact, sanitize, transitions
from escalations.app.domain.active_policy import ActivePolicy, TopicRoute
from escalations.app.domain.errors import (
    AlreadyEscalated,
    AlreadyResolved,
    Busy,
    CannotReadPost,
    EscalationNotFound,
    InvalidAssignee,
    InvalidRequest,
    NotAResponder,
    NotConfigured,
    NotEscalatable,
    NoteTooLong,
    PostNotFound,
    TopicNotFound,
    WorkflowError,
)
from escalations.app.domain.model import (
    REF_CHARS,
    Action,
    Escalation,
    Event,
    Outcome,
    escalation_id,
    reservation_token,
)
from escalations.app.domain.ports import (
    CHANNEL_DIRECT,
    CHANNEL_GROUP,
    CHANNEL_OPEN,
    ChannelRef,
    Host,
    PostRef,
    UserRef,
)
from escalations.app.views import render, sentences
from escalations.app.workflow import excerpt, guard, once, outreach, templates
from escalations.app.workflow.afterwards import Afterwards
from escalations.app.workflow.fanout import Fanout, attempt
from escalations.app.workflow.gate import DEFAULT_PER_HOUR, WHO_TEAM, Count, Gate, Rules
from escalations.app.workflow.index import Summary
from escalations.app.workflow.later import Later
from escalations.app.workflow.responses import ResponseEntry, ResponseLog
from escalations.app.workflow.store import RETRY_PAUSE_SECONDS, Change, Store
from escalations.app.workflow.templates import TemplateBook

log = logging.getLogger(__name__)
T = TypeVar("T")

_REF_RE = re.compile(rf"^[a-z2-7]{{{REF_CHARS},26}}$")
_ID_RE = re.compile(r"^[a-z0-9]{26}$")

NOTE_MAX_CHARS = 1000
EVENT_UPDATED = "escalation_updated"
# A pending record older than this is taken over (its creator died before posting).
PENDING_STALE_MS = 30_000
# How far another node's clock may be behind ours when looking for a dead creator's post.
CLOCK_SKEW_MS = 120_000
# How long a duplicate request waits for a concurrent creator to finish posting.
PENDING_WAIT_SECONDS = 5.0
# Re-render rounds when a newer version lands while we edit the post.
RENDER_ROUNDS = 3
# How often a press is decided again on a fresh read when the copy it was decided on turned
# out to be stale (each round is one read and one compare-and-set; their pause grows).
STALE_RESTARTS = 8
NOT_CONFIGURED_TEXT = (
    "Community Escalations is not configured yet: a system admin must set the escalations team "
    "in the plugin settings."
)
RESPONSE_MAX_CHARS = 3000
# A button's answer carries the post's new look, which the server applies once the plugin has
# answered; this long after, the record is read again and a newer version, if one landed
# meanwhile, is shown instead (its own answer may have been applied before this one).
SETTLE_SECONDS = 1.0
# How many of my escalations ``mine`` shows (the newest).
MINE_LIMIT = 25
LIST_MINE = "mine"
LIST_UNOWNED = "unowned"


@dataclass(frozen=True)
class Environment:
    """What activation established; ``None`` until the plugin is configured."""

    bot_user_id: str
    team_id: str
    team_name: str
    channel: ChannelRef
    site_url: str
    excerpt_max_chars: int
    public_domains: frozenset[str] = redact.DEFAULT_PUBLIC_DOMAINS
    who_may_escalate: str = WHO_TEAM
    escalations_per_hour: int = DEFAULT_PER_HOUR

    @property
    def rules(self) -> Rules:
        return Rules(self.who_may_escalate, self.escalations_per_hour, self.team_id, self.team_name)

    # The policy's people and the allow-list: who may read escalations and be in the channel.
    trusted_ids: frozenset[str] = frozenset()
    # Policy role names whose people approve templates (besides system admins).
    template_approver_roles: tuple[str, ...] = ()

    @property
    def membership(self) -> guard.Membership:
        return guard.Membership(
            self.channel.id, self.channel.name, self.bot_user_id, self.trusted_ids
        )


class Workflow:
    def __init__(
        self,
        store: Store,
        host: Host,
        environment: Callable[[], Environment | None],
        policy: Callable[[], ActivePolicy | None],
        clock_ms: Callable[[], int] = lambda: int(time.time() * 1000),
        unavailable: Callable[[], str] = lambda: NOT_CONFIGURED_TEXT,
        *,
        gate: Gate | None = None,
        redactor: excerpt.Redactor = excerpt.in_process,
        book: TemplateBook | None = None,
        responses: ResponseLog | None = None,
        fanout: Fanout | None = None,
        later: Later | None = None,
        afterwards: Afterwards | None = None,
    ) -> None:
        """``gate``: who may escalate and how often (``None``: anyone, unlimited);
        ``redactor``: turns the original message into the excerpt; ``book``: the templates
        approved in the plugin (``None``: the policy file's only); ``responses``: where the
        answers of "Resolve: responded" are collected per topic (``None``: nowhere);
        ``fanout``: runs a request's independent server calls together; ``later``: runs the
        check after a button's answer (``SETTLE_SECONDS``); ``afterwards``: runs what a
        request owes once it answered (the messages and events of an escalation or a button's
        change; ``None``: in the request's thread, before it answers)."""
        self._store = store
        self._host = host
        self._environment = environment
        self._policy = policy
        self._now = clock_ms
        self._gate = gate
        self._redact = redactor
        self._unavailable = unavailable
        self._book = book
        self._responses = responses
        self._fanout = fanout or Fanout()
        self._later = later or Later(SETTLE_SECONDS)
        self._afterwards = afterwards or Afterwards(workers=0)

    # --- escalate ----------------------------------------------------------------------------

    def escalate(
        self, actor_id: str, post_id: str, topic_key: str, note: str = "", channel_hint: str = ""
    ) -> tuple[Escalation, bool]:
        """Escalate ``post_id`` under ``topic_key``; (record, created). Idempotent per pair.
        ``channel_hint``: the post's channel as the client believes it (read beside the post;
        used only if the post turns out to be in it).

        Order matters: the cheap checks and the idempotency check come first; the rate limit
        stays counted only for a new escalation, and the costly redaction runs only once this
        request holds the reservation."""
        env, policy = self._require()
        gate = self._gate
        hint = channel_hint if _ID_RE.match(channel_hint) else ""
        # Reads made together: who the actor is (and whether they are in the team), the post
        # they escalate, the approved templates, the rate count and, if the client named it,
        # the post's channel and the actor's membership there. A second round reads what only
        # the post tells (its channel, if the hint was not it; its author, if the template
        # names them). Refusals keep their order (not allowed, then the note and the topic,
        # then the post).
        first: list[object] = self._fanout.run(
            [
                lambda: self._host.get_user(actor_id) if gate else None,
                lambda: gate.team_member(env.rules, actor_id) if gate else None,
                lambda: _or_refusal(lambda: self._live_post(post_id)),
                lambda: self.with_templates(policy),
                lambda: gate.read_count(env.rules, actor_id) if gate else None,
                lambda: _or_none(lambda: self._host.get_channel(hint)) if hint else None,
                lambda: (
                    _or_none(lambda: self._host.is_channel_member(hint, actor_id)) if hint else None
                ),
            ]
        )
        actor = None
        if gate is not None:
            read = (cast("UserRef | None", first[0]), cast("bool | None", first[1]))
            actor = gate.check_allowed(env.rules, actor_id, read)
        clean_note = self._clean_note(env, note)
        topic = self._topic(policy, topic_key, cast("ActivePolicy", first[3]))
        post = cast("PostRef | WorkflowError", first[2])
        if isinstance(post, WorkflowError):
            raise post
        hinted = cast("ChannelRef | None", first[5])
        known = (hinted, cast("bool | None", first[6])) if hint == post.channel_id else None
        channel, author = self._readable_channel(actor_id, post, topic.template_response, known)
        self._refuse_escalation_post(env, post)
        record = self._new_record(
            env, topic, actor, actor_id, post, channel, clean_note.text, author
        )

        def excerpt() -> redact.Redaction:
            return self._redact(post.message, env.excerpt_max_chars, env.public_domains)

        count = cast("Count | None", first[4])
        return self._reserve_and_publish(env, record, excerpt, clean_note.removed, count)

    def escalate_link(self, actor_id: str, request: links.LinkRequest) -> tuple[Escalation, bool]:
        """Escalate a link raised outside Mattermost under a topic; (record, created).
        Idempotent per (normalised link, topic), gated and rate limited like a post."""
        env, policy = self._require()
        actor = self._check_allowed(env, actor_id)
        url = links.normalise(request.url)
        summary = links.check_summary(request.summary)
        clean_note = self._clean_note(env, request.note)
        topic = self._topic(policy, request.topic)
        # The summary is short (links.SUMMARY_MAX_CHARS): redacted in-process, like the note.
        clean_summary = redact.redact_note(summary, env.public_domains)
        shown = links.shown(url, env.public_domains).text
        base = self._record_base(topic, actor, actor_id, links.link_escalation_id(url, topic.key))
        template = base.template_response
        if template and "{" in template:  # ``{link}`` is the link; no author to name
            base = replace(
                base, template_response=templates.fill(template, name="{name}", link=shown)
            )
        record = links.new_record(
            base, shown, self._own_channel(actor_id, request.channel_id), clean_note.text
        )
        return self._reserve_and_publish(env, record, lambda: clean_summary, clean_note.removed)

    def _clean_note(self, env: Environment, note: str) -> redact.Redaction:
        if len(note) > NOTE_MAX_CHARS:
            raise NoteTooLong(f"The note is longer than {NOTE_MAX_CHARS} characters.")
        # The note is short (NOTE_MAX_CHARS) and redaction is linear: redacted before it is stored.
        return redact.redact_note(note.strip(), env.public_domains)

    def _topic(
        self, policy: ActivePolicy, topic_key: str, layered: ActivePolicy | None = None
    ) -> TopicRoute:
        """The policy's topic, with its template approved in the plugin if there is one
        (``layered``: ``with_templates(policy)`` if the caller read it already)."""
        topic = policy.topic(topic_key)
        if topic is None:
            raise TopicNotFound(f"Unknown topic {topic_key!r}.")
        return (layered or self.with_templates(policy)).topic(topic_key) or topic

    def _own_channel(self, actor_id: str, channel_id: str) -> str:
        """``channel_id`` if ``actor_id`` is a member (their confirmation is shown there), else
        "" (a client names the channel: it is only a hint)."""
        if not channel_id or not _ID_RE.match(channel_id):
            return ""
        return channel_id if self._host.is_channel_member(channel_id, actor_id) else ""

    def _reserve_and_publish(
        self,
        env: Environment,
        record: Escalation,
        excerpt: Callable[[], redact.Redaction],
        note_removed: int,
        count: Count | None = None,
    ) -> tuple[Escalation, bool]:
        """Reserve ``record`` (insert-if-absent on its id) and count it against the rate limit,
        both at once, then post it with ``excerpt()``; an existing escalation of the same source
        and topic is returned as it is (its count given back). ``count``: the actor's rate count
        if the caller read it already."""
        stored, created = self._reserve_counted(env, record, count)
        took_over = False
        if created:
            # Counted before the excerpt: someone over the limit makes no costly redaction.
            shown = excerpt()
        else:
            stored, took_over = self._await_or_take_over(stored)
            if not stored.pending:
                return self._existing(env, record.created_by_id, stored), False
            shown = excerpt()
        removed = (shown.removed, note_removed)
        if took_over:
            # Its creator may have died after posting and before recording the post: adopt
            # that post rather than page the responders a second time.
            orphans = self._orphans(env, stored)
            if orphans:
                return self._record_post(
                    env, stored, orphans[0], shown.text, removed, orphans
                ), True
        return self._publish_new(env, stored, shown.text, removed), True

    def _existing(self, env: Environment, actor_id: str, stored: Escalation) -> Escalation:
        """The answer to a repeated escalation: the stored record, if the actor may see it."""
        # The same visibility as ``get``: someone else's escalation (its owner, state, who
        # escalated it) is not shown to a user outside the escalations channel.
        if not self._may_view(env, actor_id, stored):
            raise AlreadyEscalated(
                f"This {render.source_noun(stored)} is already escalated under "
                f"{stored.topic_title}; its approved responders have it."
            )
        if stored.created_by_id == actor_id:
            # Idempotent: a creator that died after recording the post never got to this.
            self._best_effort(self._store.note_escalated, actor_id, stored.id)
        return stored

    def _check_allowed(self, env: Environment, actor_id: str) -> UserRef | None:
        """The actor, if the gate looked them up (``None`` without a gate)."""
        return self._gate.check_allowed(env.rules, actor_id) if self._gate is not None else None

    def _reserve_counted(
        self, env: Environment, record: Escalation, known: Count | None
    ) -> tuple[Escalation, bool]:
        """Reserve ``record`` and count it against the rate limit at the same time; (stored,
        created). Only a new escalation stays counted: a reservation that finds one existing
        gives the count back, and a refused or failed count gives the reservation back."""
        gate = self._gate
        if gate is None:
            return self._store.create_if_absent(record)
        actor = record.created_by_id
        reserved, counted = self._fanout.run(
            [
                lambda: attempt(lambda: self._store.create_if_absent(record)),
                lambda: attempt(lambda: gate.take(env.rules, actor, known)),
            ]
        )
        stamp, count_error = cast("tuple[int | None, Exception | None]", counted)
        outcome, reserve_error = cast(
            "tuple[tuple[Escalation, bool] | None, Exception | None]", reserved
        )
        if outcome is None or not outcome[1]:
            if stamp is not None:  # a repeat (or no reservation at all) counts nothing
                self._best_effort(gate.give_back, actor, stamp)
            if outcome is None:
                raise cast(Exception, reserve_error)
            return outcome
        if count_error is not None:
            self._best_effort(self._store.discard, outcome[0])
            raise count_error
        return outcome

    def _readable_post(self, actor_id: str, post_id: str) -> tuple[PostRef, ChannelRef]:
        post = self._live_post(post_id)
        channel = self._host.get_channel(post.channel_id)
        if channel is None or not self._host.can_read_channel(actor_id, channel):
            raise CannotReadPost("You cannot read the channel of this post.")
        return post, channel

    def _live_post(self, post_id: str) -> PostRef:
        post = self._host.get_post(post_id)
        if post is None or post.delete_at:
            raise PostNotFound("The post does not exist or was deleted.")
        return post

    def _readable_channel(
        self,
        actor_id: str,
        post: PostRef,
        template: str | None,
        known: tuple[ChannelRef | None, bool | None] | None = None,
    ) -> tuple[ChannelRef, UserRef | None]:
        """The channel of ``post`` if ``actor_id`` may read it, and the post's author if
        ``template`` names them; the reads are made together. ``known``: the channel and the
        membership, read already under the post's channel id (the channel is read again if it
        could not be). Membership read that way is only a shortcut: a non-member, or a
        membership that could not be read, goes through ``Host.can_read_channel``."""
        names_author = "{name}" in (template or "")
        channel, member = known if known is not None and known[0] is not None else (None, None)
        reads: list[Callable[[], object]] = []
        if channel is None:
            reads += [
                lambda: self._host.get_channel(post.channel_id),
                lambda: _or_none(lambda: self._host.is_channel_member(post.channel_id, actor_id)),
            ]
        if names_author:
            reads.append(lambda: self._host.get_user(post.user_id))
        results = self._fanout.run(reads)
        if channel is None:
            channel, member = cast("ChannelRef | None", results[0]), cast("bool | None", results[1])
        author = results[-1] if names_author else None
        if channel is None or not (member or self._host.can_read_channel(actor_id, channel)):
            raise CannotReadPost("You cannot read the channel of this post.")
        return channel, cast("UserRef | None", author)

    def _new_record(
        self,
        env: Environment,
        topic: TopicRoute,
        actor: UserRef | None,
        actor_id: str,
        post: PostRef,
        channel: ChannelRef,
        note: str,
        author: UserRef | None,
    ) -> Escalation:
        """``author``: the escalated post's author if the topic's template names them."""
        source_link = self._permalink(env, channel, post.id)
        return replace(
            self._record_base(topic, actor, actor_id, escalation_id(post.id, topic.key)),
            post_id=post.id,
            channel_id=post.channel_id,
            note=note,
            source_channel=self._describe_channel(channel),
            source_link=source_link,
            template_response=self._filled(topic.template_response, author, source_link),
        )

    def _record_base(
        self, topic: TopicRoute, actor: UserRef | None, actor_id: str, esc_id: str
    ) -> Escalation:
        """A new record of ``topic`` escalated by ``actor_id`` now, without its source; the
        excerpt is filled in later (``escalate``), only by the request that holds the
        reservation. ``actor``: the actor if already looked up."""
        if actor is None:
            actor = self._host.get_user(actor_id)
        username = actor.username if actor else actor_id
        now = self._now()
        return Escalation(
            id=esc_id,
            version=1,
            topic=topic.key,
            topic_title=topic.title,
            post_id="",
            channel_id="",
            created_by=username,
            created_by_id=actor_id,
            created_at=now,
            updated_at=now,
            default_owner=topic.default_owner.username if topic.default_owner else None,
            owner=topic.default_owner.username if topic.default_owner else None,
            owner_since=now,
            responders=topic.responder_usernames,
            responder_ids=topic.responder_ids,
            loop_in=tuple(p.username for p in topic.loop_in),
            template_response=topic.template_response,
            template_approved_by=topic.template_approved_by,
            responder_seats=topic.responder_seats,
            loop_in_seats=topic.loop_in_seats,
            events=(Event(Action.ESCALATED, username, now),),
            reservation=reservation_token(),
        )

    def _filled(self, template: str | None, author: UserRef | None, link: str) -> str | None:
        """The topic's template for this escalation: ``{name}`` is the username of who wrote the
        escalated post (``@name``; ``author``, looked up by ``_readable_channel`` when the
        template names them), ``{link}`` the link to that post."""
        if not template or "{" not in template:
            return template
        name = f"@{author.username}" if author else "{name}"
        return templates.fill(template, name=name, link=link)

    def with_templates(self, policy: ActivePolicy) -> ActivePolicy:
        """``policy`` with the templates approved in the plugin over the policy file's."""
        return templates.layered(policy, self._book.all()) if self._book else policy

    def _await_or_take_over(self, stored: Escalation) -> tuple[Escalation, bool]:
        """Another request reserved this pair: wait for its post, or take over a stale one.
        (record, whether this request took the reservation over)."""
        deadline = time.monotonic() + PENDING_WAIT_SECONDS
        while stored.pending and time.monotonic() < deadline:
            if self._now() - stored.updated_at > PENDING_STALE_MS:
                return self._take_over(stored), True
            time.sleep(0.05)
            current = self._store.get(stored.id)
            if current is None:
                raise Busy("The escalation is being created; try again.")
            stored = current
        if stored.pending:
            raise Busy("The escalation is being created; try again.")
        return stored, False

    def _orphans(self, env: Environment, record: Escalation) -> list[str]:
        """Live bot posts made under ``record``'s reservation (a creator that died before it
        recorded its post), oldest first. Bounded: the escalations channel's posts since the
        reservation was made (the server answers at most 1000)."""
        if not record.reservation:
            return []
        since = record.created_at - CLOCK_SKEW_MS
        return [
            p.id
            for p in self._host.posts_since(env.channel.id, since)
            if p.user_id == env.bot_user_id
            and not p.root_id
            and not p.delete_at
            and p.props.get(render.ESCALATION_PROP) == record.id
            and p.props.get(render.RESERVATION_PROP) == record.reservation
        ]

    def _take_over(self, stale: Escalation) -> Escalation:
        def refresh(current: Escalation) -> Escalation:
            if not current.pending or current.version != stale.version:
                raise Busy("The escalation is being created; try again.")
            return current.with_changes(self._now())

        return self._store.transition(stale.id, refresh)

    def _publish_new(
        self,
        env: Environment,
        record: Escalation,
        shown: str,
        removed: tuple[int, int] = (0, 0),
    ) -> Escalation:
        """Post ``record`` (the reservation this request holds) with the excerpt ``shown``;
        ``removed``: items redaction took out of the excerpt and the note (for the escalator)."""
        message, props = render.escalation_post(replace(record, excerpt=shown), record.responders)
        props[render.RESERVATION_PROP] = record.reservation
        try:
            post_id = self._host.create_post(env.channel.id, env.bot_user_id, message, props, "")
        except Exception:
            # Nothing was posted: give the (post, topic) pair back at once, or every retry would
            # wait for the reservation to go stale (PENDING_STALE_MS) and answer "busy" meanwhile.
            # Compare-and-delete, so a concurrent take-over is never removed.
            self._best_effort(self._store.discard, record)
            raise
        return self._record_post(env, record, post_id, shown, removed)

    def _record_post(
        self,
        env: Environment,
        record: Escalation,
        post_id: str,
        shown: str,
        removed: tuple[int, int],
        found: Sequence[str] = (),
    ) -> Escalation:
        """Write ``post_id`` (posted, or adopted from ``found``: the posts made under this
        reservation) into ``record``, the reservation this request holds; then every one of
        them that is not the recorded post is deleted, so exactly one stays."""
        link = f"{env.site_url}/{env.team_name}/pl/{post_id}"

        def posted(current: Escalation) -> Escalation:
            if not current.pending:  # another request took over and posted first: theirs wins
                return current
            return current.with_changes(
                self._now(),
                escalation_post_id=post_id,
                escalation_channel_id=env.channel.id,
                permalink=link,
                excerpt=shown,
            )

        # We hold the version we reserved: one compare-and-set, and a full transition only if
        # someone touched the record meanwhile (a stale-takeover race).
        done = posted(record)
        try:
            if not self._store.replace(record, done):
                done = self._store.transition(record.id, posted)
        except Exception:
            if not found:  # an adopted post stays for the next take-over to adopt again
                self._abandon_post(record, post_id)
            raise
        for extra in dict.fromkeys([post_id, *found]):
            if extra != done.escalation_post_id:
                self._best_effort(self._host.delete_post, extra)
        # Owed once the escalation is answered; a crash before leaves the post and the record
        # (the escalator repeats, ``_existing`` notes it again).
        calls = [
            lambda: self._best_effort(self._store.note_escalated, done.created_by_id, done.id),
            lambda: self._confirm_to_escalator(env, done, removed),
            *self._event_calls(done),
        ]
        self._afterwards.submit(lambda: self._fanout.run(calls), key=done.id)
        return done

    def _abandon_post(self, reserved: Escalation, post_id: str) -> None:
        """Recording ``post_id`` failed: unless the record points to it after all (the write
        landed before the error), delete the post and give the pair back, so that a retry posts
        once instead of beside a post whose buttons no record knows. If even the read fails,
        nothing is touched (the post may be the escalation's)."""
        try:
            current = self._store.get(reserved.id)
        except Exception:
            log.exception("cannot tell whether post %s was recorded; left as it is", post_id)
            return
        if current is not None and current.escalation_post_id == post_id:
            return
        self._best_effort(self._host.delete_post, post_id)
        if current is not None and current.pending:
            self._best_effort(self._store.discard, current)

    def _confirm_to_escalator(
        self, env: Environment, r: Escalation, removed: tuple[int, int] = (0, 0)
    ) -> None:
        # The link to the escalation post only for members of its (private) channel: for anyone
        # else it is a dead link. They hear back by direct message; ``/escalation mine``.
        if not r.channel_id:  # a link escalated from no channel of theirs: the client shows it
            return
        try:
            member = self._host.is_channel_member(env.channel.id, r.created_by_id)
        except Exception:  # the escalation is posted already: answer without the link
            log.exception("cannot tell whether %s is in the escalations channel", r.created_by_id)
            member = False
        text = render.escalator_confirmation(r, with_link=member)
        text += "\n" + redact.removal_summary(*removed, source=render.excerpt_noun(r))
        self._best_effort(
            self._host.send_ephemeral, r.created_by_id, r.channel_id, text, env.bot_user_id
        )

    # --- ownership ---------------------------------------------------------------------------

    def claim(
        self, actor_id: str, esc_id: str, known: Escalation | None = None, *, answer: bool = False
    ) -> tuple[Escalation, bool]:
        """``known``: the record as the caller just read it (saves a read; see ``_act``);
        ``answer``: the caller answers a button press with ``post_edit`` of the result, so the
        post is not edited here (see ``_act``)."""
        claim = lambda who: transitions.claim(who, self._now())  # noqa: E731
        return self._act(actor_id, esc_id, "claim", claim, known=known, answer=answer)

    def assign(
        self,
        actor_id: str,
        esc_id: str,
        assignee: str,
        known: Escalation | None = None,
        *,
        answer: bool = False,
    ) -> tuple[Escalation, bool]:
        target = assignee.strip().removeprefix("@").lower()
        if not target:
            raise InvalidAssignee("Choose an owner.")
        return self._act(
            actor_id,
            esc_id,
            "assign",
            lambda who: transitions.assign(who, target, self._now()),
            target,
            known=known,
            answer=answer,
        )

    def release(
        self, actor_id: str, esc_id: str, known: Escalation | None = None, *, answer: bool = False
    ) -> tuple[Escalation, bool]:
        release = lambda who: transitions.release(who, self._now())  # noqa: E731
        return self._act(actor_id, esc_id, "release", release, known=known, answer=answer)

    def resolve(
        self,
        actor_id: str,
        esc_id: str,
        outcome: str,
        response: str = "",
        known: Escalation | None = None,
        *,
        answer: bool = False,
    ) -> tuple[Escalation, bool]:
        """Resolve with ``outcome``; ``response`` (the link to the public response or its
        text) is kept for ``responded``."""
        try:
            result = Outcome(outcome)
        except ValueError:
            raise InvalidRequest("Unknown outcome.") from None
        text = response.strip() if result is Outcome.RESPONDED else ""
        if len(text) > RESPONSE_MAX_CHARS:
            raise InvalidRequest(f"The response is longer than {RESPONSE_MAX_CHARS} characters.")
        try:
            record, changed = self._act(
                actor_id,
                esc_id,
                "resolve",
                lambda who: transitions.resolve(who, result, self._now(), text),
                known=known,
                answer=answer,
                before_effects=lambda r: self._collect_response(r, actor_id),
            )
        except AlreadyResolved:
            # A retry of a resolve that landed: make up a history entry its first try may not
            # have written (idempotent), then refuse as before.
            stored = self._store.get(esc_id)
            if stored is not None and stored.last_event is not None:
                found = self._host.get_users_by_usernames([stored.last_event.who])
                self._collect_response(stored, found[0].id if found else "")
            raise
        return record, changed

    def _collect_response(self, record: Escalation, resolver_id: str) -> None:
        """Add a resolve's response to its topic's history (before the post is edited: the
        history is part of recording the resolve, the post edit is not)."""
        if self._responses is None:
            return
        entry = ResponseEntry.of(record, resolver_id)
        if entry is not None:
            self._responses.add(record.topic, entry)

    def ask_for_response(self, actor_id: str, esc_id: str, trigger_id: str) -> None:
        """Open the "Resolve: responded" dialog, which asks for the response (link or text);
        its submission calls ``resolve``. Refused as ``resolve`` would be."""
        _, policy = self._require()
        record = self._store.get(esc_id)
        if record is None or record.pending:
            raise EscalationNotFound("Unknown escalation.")
        actor = self._host.get_user(actor_id)
        if actor is None or actor.username not in self._responders(policy, record):
            raise NotAResponder(
                f"Only the approved responders of {record.topic_title} can resolve this escalation."
            )
        transitions.not_resolved(record)
        self._host.open_dialog(outreach.response_dialog(record, trigger_id, RESPONSE_MAX_CHARS))

    def _act(
        self,
        actor_id: str,
        esc_id: str,
        verb: str,
        make_change: Callable[[str], Callable[[Escalation], Escalation]],
        assignee: str | None = None,
        *,
        known: Escalation | None = None,
        answer: bool = False,
        before_effects: Callable[[Escalation], None] | None = None,
    ) -> tuple[Escalation, bool]:
        """Authorise ``actor_id`` on the stored record, then apply the change with CAS.
        Returns (record, changed). ``known``: the stored record as this request just read it
        (``get_for_action``), used instead of another read; the change itself is still a
        compare-and-set against what is stored. ``answer``: the post's edit travels in the
        caller's answer to a button press (``post_edit``) instead of an edit call here.
        ``before_effects``: more to record once the change landed, before the post and the
        messages."""
        env, policy = self._require()
        record = known if known is not None and known.id == esc_id else self._store.get(esc_id)
        decide = (actor_id, verb, make_change, assignee)
        for round_ in range(STALE_RESTARTS):
            if round_:
                # What was authorised and decided on is not what is stored (another request
                # or node wrote since the copy was made): authorise, repair and decide again on
                # a fresh read, as if the press had come now.
                time.sleep(RETRY_PAUSE_SECONDS * (round_ - 1) * random.random())
                record = self._store.get(esc_id)
            try:
                return self._act_on(env, policy, record, decide, answer, before_effects)
            except _Stale:
                continue
        raise Busy("The escalation is being changed by others right now; try again.")

    def _act_on(
        self,
        env: Environment,
        policy: ActivePolicy,
        record: Escalation | None,
        decide: tuple[str, str, Callable[[str], Change], str | None],
        answer: bool,
        before_effects: Callable[[Escalation], None] | None,
    ) -> tuple[Escalation, bool]:
        """``_act`` on ``record`` (``decide``: the actor, the verb, the change and the assignee);
        raises ``_Stale`` if the stored record turns out to differ."""
        actor_id, verb, make_change, assignee = decide
        if record is None or record.pending:
            raise EscalationNotFound("Unknown escalation.")
        esc_id = record.id
        self._repair_if_cut(env, policy, record)
        responders = dict(zip(*self._responder_ids(policy, record), strict=True))
        if actor_id not in responders:
            raise NotAResponder(
                f"Only the approved responders of {record.topic_title} can {verb} this escalation."
            )
        if assignee is not None and assignee not in responders.values():
            raise InvalidAssignee(
                f"@{assignee} is not an approved responder of {record.topic_title}."
            )
        change = make_change(responders[actor_id])
        noop: list[bool] = []

        def tracked(current: Escalation) -> Escalation:
            if current != record:
                raise _Stale
            result = change(current)
            noop[:] = [result is current]
            # Written with the change: its post edit, reply and messages are owed until made.
            return current if result is current else replace(result, unannounced=result.version)

        updated = self._store.transition(esc_id, tracked, known=record)
        changed = noop == [False]
        if changed:
            if before_effects is not None:
                before_effects(updated)
            if answer:
                # The post is shown by the answer; the reply, the messages and the events follow
                # it, and the change is marked shown a moment after they went out (``_settle``).
                self._afterwards.submit(
                    functools.partial(self._after_answer, env, policy, updated), key=updated.id
                )
            else:
                self._after_change(env, policy, updated)
                updated = self._announced(updated, updated.version)
        return updated, changed

    def _after_answer(self, env: Environment, policy: ActivePolicy, record: Escalation) -> None:
        self._after_change(env, policy, record, edit_post=False)
        self._later.submit(functools.partial(self._settle, env, policy, record))

    def _repair_if_cut(self, env: Environment, policy: ActivePolicy, record: Escalation) -> None:
        """A change landed long ago and its post edit, reply or messages are still owed: the
        request that made it died. Take the duty over (a lease: ``updated_at`` refreshed with
        compare-and-set, so one request repairs), make what is missing, then clear it."""
        owed = record.unannounced
        if not owed or self._now() - record.updated_at <= PENDING_STALE_MS:
            return
        taken: list[bool] = []

        def lease(current: Escalation) -> Escalation:
            taken[:] = []
            if current.unannounced != owed or self._now() - current.updated_at <= PENDING_STALE_MS:
                return current
            taken.append(True)
            return current.with_changes(self._now())

        try:
            current = self._store.transition(record.id, lease)
        except WorkflowError:
            return
        if taken:
            self._after_change(env, policy, current, repair=True)
            self._announced(current, owed)

    def _announced(self, record: Escalation, owed: int) -> Escalation:
        """Clear the debt of change ``owed`` (best effort: left set, a later press repairs)."""

        def clear(current: Escalation) -> Escalation:
            return replace(current, unannounced=0) if current.unannounced == owed else current

        try:
            return self._store.transition(record.id, clear, known=record)
        except Exception:
            log.exception("cannot mark change %s of %s as shown", owed, record.id)
            return record

    def _responders(self, policy: ActivePolicy, record: Escalation) -> tuple[str, ...]:
        """Who may engage: the topic's approved responders in the *active* policy (the policy is
        the source of truth), or the snapshot if the topic has since been removed."""
        topic = policy.topic(record.topic)
        return topic.responder_usernames if topic else record.responders

    def _responder_ids(
        self, policy: ActivePolicy, record: Escalation
    ) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """(user ids, usernames) of who may engage, by id: the topic's approved responders in
        the active policy, or the record's snapshot if the topic has since been removed (a
        record written before ids were kept: its names through the policy's pins)."""
        topic = policy.topic(record.topic)
        if topic is not None:
            return topic.responder_ids, topic.responder_usernames
        if record.responder_ids:
            return record.responder_ids, record.responders
        pinned = [(policy.pins[n], n) for n in record.responders if n in policy.pins]
        return tuple(i for i, _ in pinned), tuple(n for _, n in pinned)

    def post_edit(self, record: Escalation) -> tuple[str, dict[str, object]]:
        """(message, props) of the escalation post showing ``record``, for a button's answer
        (the server applies it to the pressed post, saving an edit call). A moment after the
        change's reply and messages went out (``SETTLE_SECONDS``, ``_after_answer``) the record
        is read again: if a newer version landed meanwhile, the post shows that one, whichever
        answer the server applied last; and the change is marked shown (``unannounced``
        cleared) only then, so a crash before leaves it owed and the next read repairs it."""
        _, policy = self._require()
        return render.escalation_post(record, self._responders(policy, record))

    def _settle(self, env: Environment, policy: ActivePolicy, written: Escalation) -> None:
        """A moment after the answer that showed ``written`` went out: clear its debt (one
        compare-and-set against the copy written; a read only if the record changed since),
        and edit the post again if a later change landed meanwhile."""
        latest = self._announced(written, written.unannounced)  # every answered change owes one
        if latest.version > written.version:
            self._refresh_post(env, policy, latest)

    def _after_change(
        self,
        env: Environment,
        policy: ActivePolicy,
        record: Escalation,
        *,
        edit_post: bool = True,
        repair: bool = False,
    ) -> None:
        """Show the change ``record.unannounced`` (the last event), together: the post edit
        (unless the caller's answer carries it), the direct messages, the thread reply and the
        events. ``repair``: skip the posts a crashed request already made (``once``)."""
        event = record.last_event
        mark = once.change_mark(record.id, record.unannounced or record.version)
        since = (event.when if event else record.updated_at) - CLOCK_SKEW_MS
        host = once.ChangePosts(self._host, mark, since, check=repair).as_host()
        calls: list[Callable[[], None]] = [
            lambda: self._best_effort(outreach.close_the_loop, host, env.bot_user_id, record),
            *self._event_calls(record),
        ]
        if edit_post:
            calls.append(lambda: self._refresh_post(env, policy, record))
        if event is not None:
            reply = sentences.thread_reply(record)
            calls.append(
                lambda: self._best_effort(
                    host.create_post,
                    record.escalation_channel_id,
                    env.bot_user_id,
                    reply,
                    {render.ESCALATION_PROP: record.id},
                    record.escalation_post_id,
                )
            )
        self._fanout.run(calls)

    def _refresh_post(self, env: Environment, policy: ActivePolicy, record: Escalation) -> None:
        """Edit the post to show ``record``; if a newer version landed meanwhile, show that one
        instead, so concurrent edits cannot leave an older state on screen."""
        for _ in range(RENDER_ROUNDS):
            message, props = render.escalation_post(record, self._responders(policy, record))
            self._best_effort(
                self._host.update_post,
                record.escalation_post_id,
                record.escalation_channel_id,
                env.bot_user_id,
                message,
                props,
            )
            latest = self._store.get(record.id)
            if latest is None or latest.version <= record.version:
                return
            record = latest

    def _event_calls(self, r: Escalation) -> list[Callable[[], None]]:
        """The two sends of ``EVENT_UPDATED`` for ``r``, as calls (best effort)."""
        payload = {
            "escalation_id": r.id,
            "state": r.state.value,
            "owner": r.owner or "",
            "acknowledged": "true" if r.acknowledged else "false",
            "topic": r.topic,
            "escalation_post_id": r.escalation_post_id,
        }
        # The escalations channel's members, and the person who escalated: usually not a member,
        # their client shows a notice that follows the escalation.
        publish, channel_id, user_id = (
            self._host.publish_event,
            r.escalation_channel_id,
            r.created_by_id,
        )
        return [
            lambda: self._best_effort(publish, EVENT_UPDATED, payload, channel_id=channel_id),
            lambda: self._best_effort(publish, EVENT_UPDATED, payload, user_id=user_id),
        ]

    # --- reading -----------------------------------------------------------------------------

    def get(self, actor_id: str, esc_id: str) -> Escalation:
        """The record, for its creator or the policy's people, the allow-list and system admins
        (404 otherwise, so ids cannot be probed)."""
        env, policy = self._require()
        record = self._store.get(esc_id)
        if record is None or record.pending or not self._may_view(env, actor_id, record):
            raise EscalationNotFound("Unknown escalation.")
        self._repair_if_cut(env, policy, record)  # a read is where a cut change gets shown
        return record

    def get_by_ref(self, actor_id: str, ref: str) -> Escalation:
        """The record whose id starts with ``ref`` (the short reference people type, or the whole
        id), under the same visibility as ``get``."""
        env, policy = self._require()
        ref = ref.strip().strip("`").lower()
        if not _REF_RE.match(ref):
            raise InvalidRequest(
                f"Give the escalation's reference ({REF_CHARS} or more letters and digits, as "
                "`/escalation list` shows it)."
            )
        found = []
        for esc_id in self._store.find_ids(ref):
            record = self._store.get(esc_id)
            if record and not record.pending and self._may_view(env, actor_id, record):
                found.append(record)
        if not found:
            raise EscalationNotFound(f"No escalation `{ref}`.")
        if len(found) > 1:
            longer = ", ".join(f"`{r.id[: len(ref) + 4]}`" for r in found)
            raise InvalidRequest(f"Several escalations start with `{ref}`: {longer}.")
        self._repair_if_cut(env, policy, found[0])
        return found[0]

    def list_open(self, actor_id: str, view: str = "", topic: str = "") -> list[Summary]:
        """Open escalations, oldest first, for the policy's people (``is_trusted``). ``view``:
        ``""`` all, ``LIST_MINE`` those the actor owns, ``LIST_UNOWNED`` those whose owner has
        not acknowledged them; ``topic`` keeps one topic's."""
        env, _ = self._require()
        if not self.is_trusted(env, actor_id):
            raise NotAResponder("Only the people of the escalation policy can list escalations.")
        found = self._store.list_open()
        if topic:
            found = [s for s in found if s.topic == topic]
        if view == LIST_UNOWNED:
            return [s for s in found if not s.acknowledged]
        if view == LIST_MINE:
            actor = self._host.get_user(actor_id)
            me = actor.username if actor else None
            return [s for s in found if me is not None and s.owner == me]
        return found

    def open_records(self, page: Sequence[Summary]) -> list[Escalation]:
        """The records behind one page of ``list_open`` (which authorised the reader), in its
        order: what the list shows besides the index's summary (reference, excerpt, source).
        One read per entry, so only for a page; an escalation resolved meanwhile is left out."""
        read = [functools.partial(self._store.get, s.id) for s in page]
        return [r for r in self._fanout.run(read) if r and not r.pending and not r.resolved]

    def mine(self, actor_id: str) -> list[Escalation]:
        """The escalations ``actor_id`` raised, newest first (at most ``MINE_LIMIT``)."""
        self._require()
        found: list[Escalation] = []
        for esc_id in self._store.escalated_by(actor_id)[:MINE_LIMIT]:
            record = self._store.get(esc_id)
            if record is not None and not record.pending and record.created_by_id == actor_id:
                found.append(record)
        return found

    def is_trusted(self, env: Environment, actor_id: str) -> bool:
        """The policy's people, the allow-list and system admins: who reads escalations. Channel
        membership alone is not enough (members are guarded, but the policy is the truth)."""
        return actor_id in env.trusted_ids or self._host.is_system_admin(actor_id)

    def is_insider(self, actor_id: str) -> bool:
        """A trusted member of the escalations channel (sees setup problems)."""
        env = self._environment()
        return (
            env is not None
            and self.is_trusted(env, actor_id)
            and self._host.is_channel_member(env.channel.id, actor_id)
        )

    def member_joined(self, channel_id: str, user_id: str, actor_id: str) -> None:
        """Someone joined a channel: if it is the escalations channel and they may not be in
        it, remove them and tell whoever added them."""
        env = self._environment()
        if env is None or channel_id != env.channel.id:
            return
        guard.on_join(self._host, env.membership, user_id, actor_id)

    def active_policy(self) -> ActivePolicy:
        """The active policy (it does not need the escalations team/channel)."""
        policy = self._policy()
        if policy is None:
            raise NotConfigured("Community Escalations has no active policy yet.")
        return policy

    def get_for_action(self, esc_id: str, post_id: str) -> Escalation:
        """The record a button belongs to. The button's context is only a hint: the clicked post
        must be the bot post stored in that very record."""
        # The copy this process wrote or read last saves a read: the press's change is a
        # compare-and-set against its exact bytes, decided again on a fresh read if it is
        # stale. What it is checked on here (the post, not pending) never changes once set.
        record = self._store.recent(esc_id) if esc_id else None
        if esc_id and not _is_post_of(record, post_id):
            record = self._store.get(esc_id)
        if record is None or not _is_post_of(record, post_id):
            raise EscalationNotFound("This is not an escalation post of Community Escalations.")
        env, policy = self._environment(), self._policy()
        if env is not None and policy is not None:
            self._repair_if_cut(env, policy, record)  # every press reads the record first
        return record

    def check_escalatable(self, actor_id: str, post_id: str) -> None:
        """The checks of ``escalate`` that need no topic (for ``/escalation new``)."""
        env, _ = self._require()
        self._check_allowed(env, actor_id)
        if self._gate is not None:
            self._gate.check_rate(env.rules, actor_id)
        post, _ = self._readable_post(actor_id, post_id)
        self._refuse_escalation_post(env, post)

    def check_link_escalatable(self, actor_id: str, url: str) -> links.CheckedLink:
        """The checks of ``escalate_link`` that need no topic (for ``/escalation new <link>``):
        the link, normalised, and as the post would show it."""
        env, _ = self._require()
        self._check_allowed(env, actor_id)
        if self._gate is not None:
            self._gate.check_rate(env.rules, actor_id)
        normalised = links.normalise(url)
        return links.CheckedLink(normalised, links.shown(normalised, env.public_domains).text)

    def _refuse_escalation_post(self, env: Environment, post: PostRef) -> None:
        """An escalation post is one the bot wrote and a stored record points to (as its post,
        or as the root of its thread replies). Props alone decide nothing: anyone can set the
        marker prop on their own post."""
        if post.user_id != env.bot_user_id:
            return
        marker = post.props.get(render.ESCALATION_PROP)
        record = self._store.get(marker) if isinstance(marker, str) and marker else None
        if record is not None and record.escalation_post_id in (post.id, post.root_id):
            raise NotEscalatable("This post is an escalation itself.")

    def _may_view(self, env: Environment, actor_id: str, record: Escalation) -> bool:
        return record.created_by_id == actor_id or self.is_trusted(env, actor_id)

    # --- helpers -----------------------------------------------------------------------------

    def _require(self) -> tuple[Environment, ActivePolicy]:
        env, policy = self._environment(), self._policy()
        if env is None or policy is None:
            raise NotConfigured(self._unavailable())
        return env, policy

    def _describe_channel(self, channel: ChannelRef) -> str:
        if channel.type == CHANNEL_DIRECT:
            return "a direct message"
        if channel.type == CHANNEL_GROUP:
            return "a group message"
        if channel.type == CHANNEL_OPEN:
            return f"~{channel.name}"
        return f"**{sanitize.name(channel.display_name) or channel.name}** (private channel)"

    def _permalink(self, env: Environment, channel: ChannelRef, post_id: str) -> str:
        team_name = env.team_name
        if channel.team_id and channel.team_id != env.team_id:
            team = self._host.get_team(channel.team_id)
            team_name = team.name if team else team_name
        return f"{env.site_url}/{team_name}/pl/{post_id}"

    @staticmethod
    def _best_effort(fn: Callable[..., object], *args: object, **kwargs: object) -> None:
        try:
            fn(*args, **kwargs)
        except Exception:  # a side effect; the stored record stays the truth
            log.exception("side effect %s failed", getattr(fn, "__name__", fn))


class _Stale(Exception):
    """The record a change was authorised and decided on is no longer the stored one."""


def _is_post_of(record: Escalation | None, post_id: str) -> bool:
    """``record`` is posted (not pending) and ``post_id`` is its post."""
    return record is not None and not record.pending and record.escalation_post_id == post_id


def _or_none(call: Callable[[], T]) -> T | None:
    """``call()``, or ``None`` if it failed (for a read that only saves a later, full check)."""
    try:
        return call()
    except Exception:
        return None


def _or_refusal(call: Callable[[], T]) -> T | WorkflowError:
    """``call()``, or the refusal it raised (to be raised later, in its turn)."""
    try:
        return call()
    except WorkflowError as exc:
        return exc
