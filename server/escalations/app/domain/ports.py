"""What the workflow needs from Mattermost, in its own words (the ``Host`` port).

The service and activation talk to Mattermost only through ``Host``; ``host.RuntimeHost``
implements it over the runtime's ``PluginAPIClient`` and tests may use a fake. Reads that find
nothing return ``None``; every other failure is ``errors.HostError`` and propagates
(it is infrastructure, not a domain outcome).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

CHANNEL_OPEN = "O"
CHANNEL_PRIVATE = "P"
CHANNEL_DIRECT = "D"
CHANNEL_GROUP = "G"


@dataclass(frozen=True)
class PostRef:
    id: str
    channel_id: str
    user_id: str
    message: str
    root_id: str = ""
    delete_at: int = 0
    props: Mapping[str, Any] = field(default_factory=dict)
    create_at: int = 0


@dataclass(frozen=True)
class ChannelRef:
    id: str
    team_id: str
    name: str
    display_name: str
    type: str  # CHANNEL_OPEN / CHANNEL_PRIVATE / CHANNEL_DIRECT / CHANNEL_GROUP
    delete_at: int = 0
    creator_id: str = ""


@dataclass(frozen=True)
class TeamRef:
    id: str
    name: str
    display_name: str


@dataclass(frozen=True)
class UserRef:
    id: str
    username: str
    delete_at: int = 0
    is_bot: bool = False
    is_guest: bool = False
    is_system_admin: bool = False

    @property
    def active(self) -> bool:
        return self.delete_at == 0


@dataclass(frozen=True)
class DialogElement:
    display_name: str
    name: str
    type: str  # "select", "textarea", "text"
    optional: bool = False
    max_length: int = 0
    help_text: str = ""
    placeholder: str = ""
    options: tuple[tuple[str, str], ...] = ()  # (text, value)


@dataclass(frozen=True)
class Dialog:
    trigger_id: str
    url: str
    callback_id: str
    title: str
    introduction_text: str
    submit_label: str
    state: str
    elements: tuple[DialogElement, ...]


class Host(Protocol):
    # --- reads -------------------------------------------------------------------------------
    def get_post(self, post_id: str) -> PostRef | None: ...
    def posts_since(self, channel_id: str, since_ms: int) -> list[PostRef]:
        """The channel's posts changed after ``since_ms``, deleted ones included, oldest first
        (bounded by the server: at most 1000)."""
        ...

    def get_channel(self, channel_id: str) -> ChannelRef | None: ...
    def get_channel_by_name(self, team_id: str, name: str) -> ChannelRef | None: ...
    def get_team(self, team_id: str) -> TeamRef | None: ...
    def get_team_by_name(self, name: str) -> TeamRef | None: ...
    def get_user(self, user_id: str) -> UserRef | None: ...
    def get_users_by_usernames(self, usernames: Iterable[str]) -> list[UserRef]: ...
    def get_users_by_ids(self, user_ids: Iterable[str]) -> list[UserRef]: ...
    def is_channel_member(self, channel_id: str, user_id: str) -> bool: ...
    def is_team_member(self, team_id: str, user_id: str) -> bool: ...
    def channel_member_ids(self, channel_id: str, limit: int) -> list[str]:
        """Up to ``limit`` member ids of the channel."""
        ...

    def is_system_admin(self, user_id: str) -> bool: ...
    def can_read_channel(self, user_id: str, channel: ChannelRef) -> bool: ...
    def direct_channel_id(self, user_id: str, other_id: str) -> str:
        """The id of the direct message channel of two users (created if needed)."""
        ...

    def site_url(self) -> str: ...
    def plugin_settings(self) -> Mapping[str, Any]: ...

    # --- writes ------------------------------------------------------------------------------
    def create_post(
        self, channel_id: str, user_id: str, message: str, props: Mapping[str, Any], root_id: str
    ) -> str: ...
    def update_post(
        self, post_id: str, channel_id: str, user_id: str, message: str, props: Mapping[str, Any]
    ) -> None: ...
    def delete_post(self, post_id: str) -> None: ...
    def send_ephemeral(
        self, user_id: str, channel_id: str, message: str, sender_id: str
    ) -> None: ...
    def publish_event(
        self, event: str, payload: Mapping[str, str], *, channel_id: str = "", user_id: str = ""
    ) -> None:
        """Send a WebSocket event to a channel's members or to one user."""
        ...

    def open_dialog(self, dialog: Dialog) -> None: ...

    # --- setup -------------------------------------------------------------------------------
    def ensure_bot(self, username: str, display_name: str, description: str) -> str: ...
    def create_private_channel(
        self, team_id: str, name: str, display_name: str, creator_id: str
    ) -> ChannelRef: ...
    def add_channel_member(self, channel_id: str, user_id: str) -> None: ...
    def remove_channel_member(self, channel_id: str, user_id: str) -> None: ...
    def register_command(
        self, trigger: str, description: str, hint: str, display_name: str
    ) -> None: ...
