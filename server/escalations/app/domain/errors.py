"""Domain errors of the escalation workflow, translated once at the edge.

The tree::

    WorkflowError                      base; ``public`` is a message for a person
    ├── NotLoggedIn                    no server-set user id on the request          -> 401
    ├── NotConfigured                  no escalations team/channel yet            -> 409
    ├── InvalidRequest                 malformed/missing/mistyped input           -> 400
    │   ├── NoteTooLong
    │   ├── InvalidLink                not an http(s) link the plugin accepts
    │   ├── InvalidSummary             a link's summary missing or too long
    │   ├── NotEscalatable             the post is itself an escalation post
    │   └── InvalidAssignee            the chosen owner is not an approved responder
    ├── Forbidden                      the actor may not do this                  -> 403
    │   ├── CannotReadPost             may not read the original post's channel
    │   ├── NotAResponder              not an approved responder of the topic
    │   ├── NotAllowedToEscalate       guest, or outside who the settings let escalate
    │   ├── NotAnApprover              may not approve or reject templates
    │   ├── UserMismatch               request body names a different user than the header
    │   ├── AdminsOnly                 system admins only (the export)
    │   └── InsidersOnly               system admins and the escalations channel (statistics)
    ├── NotFound                                                                  -> 404
    │   ├── PostNotFound               missing or deleted
    │   ├── TopicNotFound              not in the active policy
    │   └── EscalationNotFound
    └── Conflict                       a state rule refused the change            -> 409
        ├── AlreadyClaimed             someone else owns it
        ├── AlreadyResolved
        ├── NotClaimed                 release of an open escalation
        ├── AlreadyEscalated           escalated by another; the actor may not see it
        ├── NothingProposed            approve/reject with no template proposed
        └── Busy                       the compare-and-set retry budget ran out
    └── TooManyEscalations             the per-user rate limit is reached        -> 429

Expected refusals (``AlreadyClaimed``, ``NotAResponder``, ...) are values for the person who acted;
``edge.py`` is the one place that turns any error into what a surface shows (HTTP status + JSON,
button answer, dialog field error, slash-command text). Infrastructure failures are not in this
tree: the adapters behind the ports raise ``HostError`` (a Mattermost call failed), which ends as a
logged 500 / "Something went wrong".
"""

from __future__ import annotations


class WorkflowError(Exception):
    """Base of every domain error; ``public`` is safe to show to the acting user."""

    status = 500

    def __init__(self, public: str) -> None:
        super().__init__(public)
        self.public = public


class NotLoggedIn(WorkflowError):
    status = 401

    def __init__(self, public: str = "You are not logged in.") -> None:
        super().__init__(public)


class NotConfigured(WorkflowError):
    status = 409


class InvalidRequest(WorkflowError):
    status = 400


class NoteTooLong(InvalidRequest):
    pass


class InvalidLink(InvalidRequest):
    pass


class InvalidSummary(InvalidRequest):
    pass


class NotEscalatable(InvalidRequest):
    pass


class InvalidAssignee(InvalidRequest):
    pass


class Forbidden(WorkflowError):
    status = 403


class CannotReadPost(Forbidden):
    pass


class NotAResponder(Forbidden):
    pass


class UserMismatch(Forbidden):
    pass


class NotAllowedToEscalate(Forbidden):
    pass


class AdminsOnly(Forbidden):
    pass


class InsidersOnly(Forbidden):
    pass


class NotAnApprover(Forbidden):
    pass


class NotFound(WorkflowError):
    status = 404


class PostNotFound(NotFound):
    pass


class TopicNotFound(NotFound):
    pass


class EscalationNotFound(NotFound):
    pass


class Conflict(WorkflowError):
    status = 409


class AlreadyClaimed(Conflict):
    def __init__(self, owner: str) -> None:
        super().__init__(f"This escalation is already claimed by @{owner}.")
        self.owner = owner


class AlreadyResolved(Conflict):
    pass


class NotClaimed(Conflict):
    pass


class AlreadyEscalated(Conflict):
    pass


class NothingProposed(Conflict):
    pass


class Busy(Conflict):
    pass


class TooManyEscalations(WorkflowError):
    status = 429


class HostError(Exception):
    """A call to Mattermost failed (network, server error, refusal). Raised by the adapters behind
    ``ports.Host`` and ``kv.KV``; ``str()`` is the server's message, for logs and admins only."""


def http_status(error: WorkflowError) -> int:
    """The HTTP status of a domain error (the table in ``docs/http-api.md``)."""
    return error.status
