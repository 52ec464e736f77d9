"""Official responses: each topic's response history, and templates proposed and approved.

Who may do what (by user id, from the server-set header and stored state; never by name):

* read a topic's response history and its template state (``responses``, ``template``): the
  policy's people, the allow-list and system admins (``Workflow.is_trusted``: who reads
  escalations);
* propose a template for a topic: that topic's approved responders in the active policy;
* approve or reject the proposal: system admins, and the people of the policy roles the
  ``TemplateApprovers`` setting names (by the ids their names are pinned to).

A proposal is a history entry (its number in ``responses``, 1 = newest) or a text; a new proposal
replaces a pending one. Approving makes the proposal the topic's template: every place that
shows the topic's template shows it from then on (``templates.layered``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

from escalations.app.domain.active_policy import ActivePolicy, TopicRoute
from escalations.app.domain.errors import (
    InvalidRequest,
    NotAnApprover,
    NotAResponder,
    NotConfigured,
    NothingProposed,
    TopicNotFound,
)
from escalations.app.domain.ports import Host
from escalations.app.workflow.responses import ResponseEntry, ResponseLog
from escalations.app.workflow.service import Environment, Workflow
from escalations.app.workflow.templates import (
    APPROVED,
    PROPOSED,
    REJECTED,
    TEMPLATE_MAX_CHARS,
    Authored,
    TemplateBook,
    TopicTemplate,
)
from escalations.policy.merge import MergeError, merge_templates, unified_diff

# Entries ``responses`` shows (the newest); the log keeps ``responses.RESPONSES_KEPT``.
RESPONSES_SHOWN = 20


@dataclass(frozen=True)
class Answer:
    """A history entry as shown: its number (1 = newest), who answered (their username now)."""

    number: int
    entry: ResponseEntry
    username: str


@dataclass(frozen=True)
class TemplateView:
    topic: TopicRoute
    state: TopicTemplate
    policy_template: str | None  # the policy file's


@dataclass(frozen=True)
class Merged:
    name: str  # the policy document's name in the diff
    original: str
    merged: str
    approved: tuple[str, ...]  # topic keys whose approved template differs from the file's

    @property
    def diff(self) -> str:
        return unified_diff(self.original, self.merged, self.name)


class OfficialResponses:
    def __init__(
        self,
        workflow: Workflow,
        host: Host,
        book: TemplateBook,
        log: ResponseLog,
        environment: Callable[[], Environment | None],
        clock_ms: Callable[[], int],
    ) -> None:
        self._workflow = workflow
        self._host = host
        self._book = book
        self._log = log
        self._environment = environment
        self._now = clock_ms

    # --- reading -----------------------------------------------------------------------------

    def responses(self, actor_id: str, topic_key: str) -> tuple[TopicRoute, list[Answer]]:
        """The topic's history, newest first (at most ``RESPONSES_SHOWN``)."""
        topic = self._readable_topic(actor_id, topic_key)
        entries = self._log.newest_first(topic.key)[:RESPONSES_SHOWN]
        ids = list(dict.fromkeys(e.user_id for e in entries if e.user_id))
        names = {u.id: u.username for u in self._host.get_users_by_ids(ids)} if ids else {}
        return topic, [
            Answer(n, e, names.get(e.user_id, "")) for n, e in enumerate(entries, start=1)
        ]

    def template(self, actor_id: str, topic_key: str) -> TemplateView:
        topic = self._readable_topic(actor_id, topic_key)
        return self._view(topic)

    def templates_origin(self) -> list[TemplateView]:
        """Every topic's template and where it comes from (for ``/escalation policy``)."""
        policy = self._workflow.active_policy()
        book = self._book.all()
        return [TemplateView(t, book.get(t.key, TopicTemplate()), t.template_response)
                for t in policy.topics]  # fmt: skip

    # --- changing ----------------------------------------------------------------------------

    def propose(self, actor_id: str, topic_key: str, choice: str) -> TemplateView:
        """Propose history entry ``choice`` (a number) or the text ``choice``."""
        topic = self._topic(topic_key)
        if actor_id not in topic.responder_ids:
            raise NotAResponder(
                f"Only the approved responders of {topic.title} can propose its template."
            )
        text = self._proposal_text(topic, choice.strip())
        username = self._username(actor_id)
        now = self._now()

        def change(state: TopicTemplate) -> TopicTemplate:
            proposal = Authored(text, actor_id, username, now)
            return replace(state, proposal=proposal).with_event(PROPOSED, actor_id, username, now)

        self._book.change(topic.key, change)
        return self._view(topic)

    def approve(self, actor_id: str, topic_key: str) -> TemplateView:
        return self._decide(actor_id, topic_key, approve=True)

    def reject(self, actor_id: str, topic_key: str) -> TemplateView:
        return self._decide(actor_id, topic_key, approve=False)

    def _decide(self, actor_id: str, topic_key: str, *, approve: bool) -> TemplateView:
        topic = self._topic(topic_key)
        if not self.may_approve(actor_id):
            raise NotAnApprover(
                "Only system admins and the roles of the Template approvers setting can approve "
                "or reject templates."
            )
        username = self._username(actor_id)
        now = self._now()

        def change(state: TopicTemplate) -> TopicTemplate:
            if state.proposal is None:
                raise NothingProposed(f"No template is proposed for {topic.title}.")
            if not approve:
                return replace(state, proposal=None).with_event(REJECTED, actor_id, username, now)
            approved = replace(state.proposal, user_id=actor_id, username=username, when=now)
            decided = replace(
                state, approved=approved, proposed_by=state.proposal.username, proposal=None
            )
            return decided.with_event(APPROVED, actor_id, username, now)

        self._book.change(topic.key, change)
        return self._view(topic)

    def may_approve(self, actor_id: str) -> bool:
        """System admins, and the people of the roles the ``TemplateApprovers`` setting names."""
        if self._host.is_system_admin(actor_id):
            return True
        env = self._environment()
        policy = self._workflow.active_policy()
        roles = env.template_approver_roles if env else ()
        for name in roles:
            role = policy.policy.role(name)
            members = role.members if role else ()
            if any(policy.pins.get(m.username) == actor_id for m in members):
                return True
        return False

    # --- the policy with the approved templates ----------------------------------------------

    def merged_policy(self, actor_id: str) -> Merged:
        """The active policy's text with the approved templates written in; for system admins
        and the escalations channel's members."""
        if not (self._host.is_system_admin(actor_id) or self._workflow.is_insider(actor_id)):
            raise NotAResponder(
                "Only system admins and the escalations channel's members can print the policy."
            )
        policy = self._workflow.active_policy()
        if not policy.source_text:
            raise NotConfigured("The active policy's text is not available.")
        approved = _approved_changes(policy, self._book.all())
        try:
            merged = merge_templates(policy.source_text, approved)
        except MergeError as exc:
            raise InvalidRequest(f"The approved templates cannot be merged: {exc}.") from None
        name = "policy.yaml" if policy.origin != "bundled default" else "community-response.yaml"
        return Merged(name, policy.source_text, merged, tuple(approved))

    # --- helpers -----------------------------------------------------------------------------

    def _readable_topic(self, actor_id: str, topic_key: str) -> TopicRoute:
        env = self._environment()
        if env is None or not self._workflow.is_trusted(env, actor_id):
            raise NotAResponder(
                "Only the people of the escalation policy can read response histories and "
                "templates."
            )
        return self._topic(topic_key)

    def _topic(self, topic_key: str) -> TopicRoute:
        topic = self._workflow.active_policy().topic(topic_key.strip().lower())
        if topic is None:
            raise TopicNotFound(
                f"Unknown topic `{topic_key[:64]}`; `/escalation policy` lists the topics."
            )
        return topic

    def _view(self, topic: TopicRoute) -> TemplateView:
        return TemplateView(topic, self._book.get(topic.key), topic.template_response)

    def _proposal_text(self, topic: TopicRoute, choice: str) -> str:
        if choice.isdigit():
            number = int(choice)
            history = self._log.newest_first(topic.key)
            if not 0 < number <= len(history):
                raise InvalidRequest(
                    f"{topic.title} has no response number {number} "
                    f"(`/escalation responses {topic.key}` numbers them)."
                )
            choice = history[number - 1].response
        if not choice:
            raise InvalidRequest("Give a response's number or the template's text.")
        if len(choice) > TEMPLATE_MAX_CHARS:
            raise InvalidRequest(f"A template is at most {TEMPLATE_MAX_CHARS} characters.")
        return choice

    def _username(self, user_id: str) -> str:
        user = self._host.get_user(user_id)
        return user.username if user else user_id


def _approved_changes(policy: ActivePolicy, book: dict[str, TopicTemplate]) -> dict[str, str]:
    """Topic key -> approved template, for the topics whose approved template is not already
    the policy file's."""
    found: dict[str, str] = {}
    for topic in policy.topics:
        state = book.get(topic.key)
        if state is not None and state.approved is not None:
            if state.approved.text.strip() != (topic.template_response or ""):
                found[topic.key] = state.approved.text
    return found
