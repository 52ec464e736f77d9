"""An in-memory ``Host`` for fast service tests (the end-to-end tests use the host emulator)."""

from __future__ import annotations

import itertools
import threading
from collections.abc import Iterable, Mapping
from dataclasses import replace
from typing import Any

from escalations.app.domain.ports import ChannelRef, Dialog, PostRef, TeamRef, UserRef

_ids = itertools.count(1)


def new_id() -> str:
    return f"{next(_ids):026d}".replace("0", "a")


class FakeHost:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.users: dict[str, UserRef] = {}
        self.teams: dict[str, TeamRef] = {}
        self.channels: dict[str, ChannelRef] = {}
        self.members: set[tuple[str, str]] = set()
        self.outsiders: set[str] = set()  # user ids in no team (everyone else is in every team)
        self.admins: set[str] = set()
        self.posts: dict[str, PostRef] = {}
        self.ephemerals: list[tuple[str, str, str]] = []
        self.events: list[tuple[str, dict[str, str], str]] = []
        self.dialogs: list[Dialog] = []
        self.settings: dict[str, Any] = {}
        self.commands: list[str] = []
        self.calls = 0

    # seeding
    def add_user(self, username: str, active: bool = True) -> UserRef:
        user = UserRef(new_id(), username, 0 if active else 1)
        self.users[user.id] = user
        return user

    def add_team(self, name: str) -> TeamRef:
        team = TeamRef(new_id(), name, name.title())
        self.teams[team.id] = team
        return team

    def add_channel(self, team: TeamRef, name: str, type_: str = "O") -> ChannelRef:
        channel = ChannelRef(new_id(), team.id, name, name.title(), type_)
        self.channels[channel.id] = channel
        return channel

    def add_post(self, channel: ChannelRef, user: UserRef, message: str) -> PostRef:
        post = PostRef(new_id(), channel.id, user.id, message)
        self.posts[post.id] = post
        return post

    # reads
    def get_post(self, post_id: str) -> PostRef | None:
        self.calls += 1
        return self.posts.get(post_id)

    def posts_since(self, channel_id: str, since_ms: int) -> list[PostRef]:
        """Every post of the channel, deleted ones included, oldest first (no clock here)."""
        self.calls += 1
        return [p for p in self.posts.values() if p.channel_id == channel_id]

    def get_channel(self, channel_id: str) -> ChannelRef | None:
        self.calls += 1
        return self.channels.get(channel_id)

    def get_channel_by_name(self, team_id: str, name: str) -> ChannelRef | None:
        self.calls += 1
        return next(
            (c for c in self.channels.values() if c.team_id == team_id and c.name == name), None
        )

    def get_team(self, team_id: str) -> TeamRef | None:
        return self.teams.get(team_id)

    def get_team_by_name(self, name: str) -> TeamRef | None:
        return next((t for t in self.teams.values() if t.name == name), None)

    def get_user(self, user_id: str) -> UserRef | None:
        self.calls += 1
        return self.users.get(user_id)

    def get_users_by_usernames(self, usernames: Iterable[str]) -> list[UserRef]:
        names = set(usernames)
        return [u for u in self.users.values() if u.username in names]

    def get_users_by_ids(self, user_ids: Iterable[str]) -> list[UserRef]:
        return [self.users[i] for i in dict.fromkeys(user_ids) if i in self.users]

    def channel_member_ids(self, channel_id: str, limit: int) -> list[str]:
        return [u for (c, u) in sorted(self.members) if c == channel_id][:limit]

    def is_system_admin(self, user_id: str) -> bool:
        return user_id in self.admins

    def is_channel_member(self, channel_id: str, user_id: str) -> bool:
        self.calls += 1
        return (channel_id, user_id) in self.members

    def is_team_member(self, team_id: str, user_id: str) -> bool:
        self.calls += 1
        return user_id not in self.outsiders

    def can_read_channel(self, user_id: str, channel: ChannelRef) -> bool:
        self.calls += 1
        return channel.type == "O" or (channel.id, user_id) in self.members

    def direct_channel_id(self, user_id: str, other_id: str) -> str:
        name = "__".join(sorted((user_id, other_id)))
        with self.lock:
            found = next((c for c in self.channels.values() if c.name == name), None)
            if found is None:
                found = ChannelRef(new_id(), "", name, "", "D")
                self.channels[found.id] = found
        return found.id

    def direct_posts(self, user_id: str) -> list[PostRef]:
        """Posts in direct message channels whose name includes ``user_id``, oldest first."""
        ids = {c.id for c in self.channels.values() if c.type == "D" and user_id in c.name}
        return [p for p in self.posts.values() if p.channel_id in ids]

    def site_url(self) -> str:
        return "http://mm.example.com"

    def plugin_settings(self) -> Mapping[str, Any]:
        return self.settings

    # writes
    def create_post(
        self, channel_id: str, user_id: str, message: str, props: Mapping[str, Any], root_id: str
    ) -> str:
        self.calls += 1
        post = PostRef(new_id(), channel_id, user_id, message, root_id, 0, dict(props))
        with self.lock:
            self.posts[post.id] = post
        return post.id

    def update_post(
        self, post_id: str, channel_id: str, user_id: str, message: str, props: Mapping[str, Any]
    ) -> None:
        self.calls += 1
        with self.lock:
            self.posts[post_id] = replace(self.posts[post_id], message=message, props=dict(props))

    def delete_post(self, post_id: str) -> None:
        with self.lock:
            self.posts[post_id] = replace(self.posts[post_id], delete_at=1)

    def send_ephemeral(self, user_id: str, channel_id: str, message: str, sender_id: str) -> None:
        self.calls += 1
        with self.lock:
            self.ephemerals.append((user_id, channel_id, message))

    def publish_event(
        self, event: str, payload: Mapping[str, str], *, channel_id: str = "", user_id: str = ""
    ) -> None:
        self.calls += 1
        with self.lock:
            self.events.append((event, dict(payload), channel_id or f"user:{user_id}"))

    def open_dialog(self, dialog: Dialog) -> None:
        self.dialogs.append(dialog)

    # setup
    def ensure_bot(self, username: str, display_name: str, description: str) -> str:
        existing = next((u for u in self.users.values() if u.username == username), None)
        return existing.id if existing else self.add_user(username).id

    def create_private_channel(
        self, team_id: str, name: str, display_name: str, creator_id: str
    ) -> ChannelRef:
        channel = ChannelRef(new_id(), team_id, name, display_name, "P", 0, creator_id)
        self.channels[channel.id] = channel
        return channel

    def add_channel_member(self, channel_id: str, user_id: str) -> None:
        self.members.add((channel_id, user_id))

    def remove_channel_member(self, channel_id: str, user_id: str) -> None:
        self.members.discard((channel_id, user_id))

    def register_command(
        self, trigger: str, description: str, hint: str, display_name: str
    ) -> None:
        self.commands.append(trigger)
