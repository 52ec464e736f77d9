"""Records of the emulated Mattermost server: what seeding helpers return and inspection shows.

All records are frozen; the state hands out copies (``props`` dicts are deep-copied), so a test
can never change server state by mutating what it was given. Field names follow the Mattermost
model (snake_case of the JSON names). Channel and team types use the model letters
(``"O"``, ``"P"``, ``"D"``, ``"G"``; teams ``"O"``/``"I"``).
"""

from __future__ import annotations

import base64
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

SYSTEM_USER = "system_user"
SYSTEM_ADMIN = "system_admin"

_STD = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
_MM = "ybndrfg8ejkmcpqxot1uwisza345h769"
_TO_MM = str.maketrans(_STD, _MM)


def new_id() -> str:
    """A 26-character id in Mattermost's ``model.NewId`` alphabet."""
    return base64.b32encode(uuid.uuid4().bytes).decode("ascii").rstrip("=").translate(_TO_MM)


class Clock:
    """Wall clock in milliseconds with a test-controlled offset (``advance``) for expiry tests."""

    def __init__(self) -> None:
        self._offset_ms = 0

    def now_ms(self) -> int:
        return int(time.time() * 1000) + self._offset_ms

    def advance(self, seconds: float) -> None:
        self._offset_ms += int(seconds * 1000)


@dataclass(frozen=True)
class User:
    id: str
    username: str
    email: str = ""
    first_name: str = ""
    last_name: str = ""
    nickname: str = ""
    position: str = ""
    roles: str = SYSTEM_USER
    locale: str = "en"
    is_bot: bool = False
    bot_description: str = ""
    create_at: int = 0
    update_at: int = 0
    delete_at: int = 0

    @property
    def is_system_admin(self) -> bool:
        return SYSTEM_ADMIN in self.roles.split()

    @property
    def deactivated(self) -> bool:
        return self.delete_at > 0


@dataclass(frozen=True)
class Team:
    id: str
    name: str
    display_name: str
    type: str = "O"
    description: str = ""
    email: str = ""
    allow_open_invite: bool = False
    create_at: int = 0
    update_at: int = 0
    delete_at: int = 0


@dataclass(frozen=True)
class TeamMember:
    team_id: str
    user_id: str
    roles: str = "team_user"
    delete_at: int = 0


@dataclass(frozen=True)
class Channel:
    id: str
    team_id: str
    type: str
    name: str
    display_name: str
    header: str = ""
    purpose: str = ""
    creator_id: str = ""
    create_at: int = 0
    update_at: int = 0
    delete_at: int = 0
    last_post_at: int = 0
    total_msg_count: int = 0
    props: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ChannelMember:
    channel_id: str
    user_id: str
    roles: str = "channel_user"
    last_viewed_at: int = 0
    msg_count: int = 0
    mention_count: int = 0
    last_update_at: int = 0
    scheme_user: bool = True
    scheme_admin: bool = False
    notify_props: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Post:
    id: str
    channel_id: str
    user_id: str
    message: str = ""
    root_id: str = ""
    type: str = ""
    props: dict[str, Any] = field(default_factory=dict)
    create_at: int = 0
    update_at: int = 0
    edit_at: int = 0
    delete_at: int = 0
    is_pinned: bool = False
    has_reactions: bool = False
    file_ids: tuple[str, ...] = ()
    hashtags: str = ""
    original_id: str = ""
    pending_post_id: str = ""
    reply_count: int = 0
    last_reply_at: int = 0

    @property
    def attachments(self) -> list[dict[str, Any]]:
        value = self.props.get("attachments")
        return [a for a in value if isinstance(a, dict)] if isinstance(value, list) else []

    def actions(self) -> Iterator[dict[str, Any]]:
        """Every interactive action of the post's attachments, in order."""
        for attachment in self.attachments:
            for action in attachment.get("actions") or ():
                if isinstance(action, dict):
                    yield action

    def action(self, action_id: str) -> dict[str, Any] | None:
        return next((a for a in self.actions() if a.get("id") == action_id), None)


@dataclass(frozen=True)
class Bot:
    user_id: str
    username: str
    display_name: str = ""
    description: str = ""
    owner_id: str = ""
    create_at: int = 0
    update_at: int = 0
    delete_at: int = 0


@dataclass(frozen=True)
class Command:
    trigger: str
    team_id: str = ""
    display_name: str = ""
    description: str = ""
    auto_complete: bool = False
    auto_complete_desc: str = ""
    auto_complete_hint: str = ""
    icon_url: str = ""
    username: str = ""
    url: str = ""
    method: str = ""
    plugin_id: str = ""


@dataclass(frozen=True)
class OpenedDialog:
    """An ``OpenInteractiveDialog`` call: ``dialog`` is the Dialog message as a dict."""

    trigger_id: str
    user_id: str
    url: str
    dialog: dict[str, Any]
    opened_at: int


@dataclass(frozen=True)
class WebSocketEvent:
    """A ``PublishWebSocketEvent``; ``event`` is the name clients see (``custom_<id>_<name>``)."""

    event: str
    plugin_event: str
    payload: dict[str, Any]
    broadcast: dict[str, Any]
    at: int


@dataclass(frozen=True)
class LogEntry:
    level: str
    message: str
    fields: dict[str, Any]
    at: int
