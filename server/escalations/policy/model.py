"""The policy as a frozen, typed model.

Instances are built only by the loader (``load.py``) after validation, so code holding a
``Policy`` may rely on its invariants: topic keys and role names are unique, every role a topic
names is defined, usernames are valid Mattermost usernames, and every topic has at least one
approved-responder role (whose members may still be empty: that is a warning, not an error).

All records are immutable and hashable by value; the lookup indexes of ``Policy`` are derived
and excluded from equality and ``repr``.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Member:
    """A person holding a role: a Mattermost username (no "@") and a display name."""

    username: str
    display_name: str


@dataclass(frozen=True)
class Role:
    """A named role ("VP Legal") and the people who hold it, in the document's order."""

    name: str
    members: tuple[Member, ...]


@dataclass(frozen=True)
class Topic:
    """A sensitive topic and who handles it.

    ``approved_responders`` and ``loop_in`` are role names in policy order; resolve them to people
    with ``engine.route``. ``template_response`` is ``None`` where the policy has none yet.
    """

    key: str
    title: str
    description: str
    approved_responders: tuple[str, ...]
    loop_in: tuple[str, ...]
    template_response: str | None


@dataclass(frozen=True)
class ResponseTip:
    """One response-writing tip: a short title and its explanation (Markdown)."""

    title: str
    text: str


@dataclass(frozen=True)
class Policy:
    """A validated escalation policy.

    Attributes:
        format_version: the file format version (``limits.FORMAT_VERSION``).
        version: the policy's own revision id, e.g. "2020-community-response".
        title, source: what the policy is called and where it comes from.
        channel_name: the escalation channel's name (URL slug).
        channel_team: the team holding it, when the policy says (else ``None``).
        channel_visibility: "public" or "private" when the policy says (else ``None``).
        last_updated: the document's date as written, ``None`` when it has none.
        non_sensitive_guidance: what is not sensitive and how to handle it (Markdown).
        responder_signup: how to become an approved responder (Markdown, may be empty).
        response_tips: response-writing tips in policy order.
        topics, roles: in policy order.
    """

    format_version: int
    version: str
    title: str
    source: str
    channel_name: str
    non_sensitive_guidance: str
    response_tips: tuple[ResponseTip, ...]
    topics: tuple[Topic, ...]
    roles: tuple[Role, ...]
    channel_team: str | None = None
    channel_visibility: str | None = None
    last_updated: str | None = None
    responder_signup: str = ""
    _topics_by_key: dict[str, Topic] = field(init=False, repr=False, compare=False)
    _roles_by_name: dict[str, Role] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # Derived indexes; the dicts are private and never mutated after construction.
        object.__setattr__(self, "_topics_by_key", {t.key: t for t in self.topics})
        object.__setattr__(self, "_roles_by_name", {r.name: r for r in self.roles})

    def topic(self, key: str) -> Topic | None:
        """The topic with this key, or ``None``."""
        return self._topics_by_key.get(key)

    def role(self, name: str) -> Role | None:
        """The role with this exact name, or ``None``."""
        return self._roles_by_name.get(name)

    @property
    def topic_keys(self) -> tuple[str, ...]:
        """The topic keys in policy order."""
        return tuple(t.key for t in self.topics)


@dataclass(frozen=True)
class Issue:
    """One problem found while loading a policy: an error or a warning.

    ``path`` locates the value inside the document, e.g. ``topics[3].approved_responders[1]``
    (empty for the document as a whole). ``code`` is a stable machine-readable kind
    (``unknown-role``, ``empty-role``, ...) for tests and tools; admins read ``str(issue)``.
    """

    source: str
    path: str
    message: str
    code: str = "invalid"

    def __str__(self) -> str:
        if self.path:
            return f"{self.source}: {self.path}: {self.message}"
        return f"{self.source}: {self.message}"
