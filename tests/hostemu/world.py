"""Seeding and inspection helpers of ``Host``: the server state as a test sets it up and reads it.

Seeding goes through the same validation the API applies (``Directory``/``PostStore``), so a
scenario cannot build a state a real server would refuse. Everything returned is a frozen copy.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable
from typing import Any

from hostemu.directory import admin_roles
from hostemu.errors import ScenarioError
from hostemu.model import (
    Bot,
    Channel,
    ChannelMember,
    Command,
    LogEntry,
    OpenedDialog,
    Post,
    Team,
    User,
    WebSocketEvent,
)
from hostemu.state import ServerState


class WorldHelpers:
    """Mixin for ``Host``; needs ``self.state``. ``_seeded_post`` lets the host run hooks."""

    state: ServerState

    def _seeded_post(self, post: Post) -> None:
        """Called after ``add_post`` stored a post (the host delivers MessageHasBeenPosted)."""

    # -- seeding ------------------------------------------------------------------------------
    def add_user(
        self,
        username: str,
        *,
        system_admin: bool = False,
        deactivated: bool = False,
        **fields: Any,
    ) -> User:
        """A user (lower-cased username; e-mail defaults to ``<username>@example.com``)."""
        if system_admin:
            fields["roles"] = admin_roles()
        user = self.state.directory.add_user(username, **fields)
        return self.deactivate_user(user.id) if deactivated else user

    def update_user(self, user_id: str, **changes: object) -> User:
        """Change a user as they or an admin could (e.g. ``username`` to rename them)."""
        return self.state.directory.update_user(user_id, **changes)

    def deactivate_user(self, user_id: str) -> User:
        return self.state.directory.update_user(user_id, delete_at=self.state.clock.now_ms())

    def add_team(
        self, name: str, display_name: str = "", *, type: str = "O", members: Iterable[str] = ()
    ) -> Team:
        team = self.state.directory.add_team(name, display_name, type=type)
        for user_id in members:
            self.add_team_member(team.id, user_id)
        return team

    def add_team_member(self, team_id: str, user_id: str) -> None:
        self.state.directory.add_team_member(team_id, user_id)

    def remove_team_member(self, team_id: str, user_id: str) -> None:
        self.state.directory.remove_team_member(team_id, user_id)

    def add_channel(
        self,
        team_id: str,
        name: str,
        *,
        type: str = "O",
        display_name: str = "",
        members: Iterable[str] = (),
        creator_id: str = "",
        header: str = "",
        purpose: str = "",
    ) -> Channel:
        """An open (``"O"``) or private (``"P"``) channel; ``members`` join the team too."""
        channel = Channel(
            id="",
            team_id=team_id,
            type=type,
            name=name,
            display_name=display_name or name,
            header=header,
            purpose=purpose,
            creator_id=creator_id,
        )
        created = self.state.directory.create_channel(channel)
        for user_id in members:
            self.add_channel_member(created.id, user_id)
        return created

    def add_direct_channel(self, user_a: str, user_b: str) -> Channel:
        return self.state.directory.direct_channel(user_a, user_b)

    def _joined_channel(self, member: ChannelMember, actor_id: str) -> None:
        """Called after a seeded membership is new (the host runs UserHasJoinedChannel)."""

    def add_channel_member(
        self, channel_id: str, user_id: str, *, join_team: bool = True, actor_id: str = ""
    ) -> ChannelMember:
        """``user_id`` joins the channel (added by ``actor_id``, or by themselves when empty);
        a running plugin that implements ``UserHasJoinedChannel`` gets the hook before this
        returns."""
        with self.state.lock:
            channel = self.state.directory.channel(channel_id)
            if (
                join_team
                and channel.team_id
                and not self.state.directory.is_team_member(channel.team_id, user_id)
            ):
                self.add_team_member(channel.team_id, user_id)
            known = (channel_id, user_id) in self.state.directory.channel_members
            member = self.state.directory.add_channel_member(channel_id, user_id)
        if not known:
            self._joined_channel(member, actor_id)
        return member

    def remove_channel_member(self, channel_id: str, user_id: str) -> None:
        self.state.directory.remove_channel_member(channel_id, user_id)

    def update_channel(self, channel_id: str, **changes: object) -> Channel:
        """Change a channel as its admins could (``type``, ``name``, ``display_name``...)."""
        return self.state.directory.update_channel(channel_id, **changes)

    def archive_channel(self, channel_id: str) -> Channel:
        return self.state.directory.update_channel(channel_id, delete_at=self.state.clock.now_ms())

    def add_post(
        self,
        channel_id: str,
        user_id: str,
        message: str = "",
        *,
        root_id: str = "",
        props: dict[str, Any] | None = None,
        type: str = "",
    ) -> Post:
        """A post as if the user had written it (same validation as ``CreatePost``). A running
        plugin that implements ``MessageHasBeenPosted`` gets the hook-side post (no props,
        docs/protocol.md §3.3) before this returns (upstream calls it asynchronously, right after
        saving)."""
        post = Post(
            id="",
            channel_id=channel_id,
            user_id=user_id,
            message=message,
            root_id=root_id,
            props=copy.deepcopy(props or {}),
            type=type,
        )
        created = self.state.posts.create(post)
        self._seeded_post(created)
        return created

    def delete_post(self, post_id: str) -> None:
        self.state.posts.delete(post_id, "")

    def kv_set(self, key: str, value: bytes) -> None:
        self.state.kv.set(key, value)

    # -- inspection ---------------------------------------------------------------------------
    def user(self, user_id: str) -> User:
        return self.state.directory.user(user_id)

    def user_by_username(self, username: str) -> User:
        return self.state.directory.user_by_username(username)

    def team(self, team_id: str) -> Team:
        return self.state.directory.team(team_id)

    def channel(self, channel_id: str) -> Channel:
        return self.state.directory.channel(channel_id)

    def channel_by_name(self, team_id: str, name: str) -> Channel:
        return self.state.directory.channel_by_name(team_id, name, include_deleted=True)

    def channel_members(self, channel_id: str) -> list[str]:
        return self.state.directory.members_of(channel_id)

    def get_post(self, post_id: str, *, include_deleted: bool = True) -> Post:
        with self.state.lock:
            post = self.state.posts.posts.get(post_id)
            if post is None or (post.delete_at and not include_deleted):
                raise ScenarioError(f"no post {post_id}")
            return copy.deepcopy(post)

    def posts(self, channel_id: str | None = None, *, include_deleted: bool = False) -> list[Post]:
        """Posts of one channel (or all), oldest first."""
        with self.state.lock:
            if channel_id is not None:
                return self.state.posts.in_channel(channel_id, include_deleted)
            found = [
                p for p in self.state.posts.posts.values() if include_deleted or not p.delete_at
            ]
            return copy.deepcopy(sorted(found, key=lambda p: (p.create_at, p.id)))

    def thread(self, post_id: str) -> list[Post]:
        """The live posts of the thread containing ``post_id``, oldest (root) first."""
        return sorted(self.state.posts.thread(post_id), key=lambda p: (p.create_at, p.id))

    def ephemerals(self, user_id: str, *, include_deleted: bool = False) -> list[Post]:
        return self.state.posts.ephemerals_for(user_id, include_deleted)

    def ws_events(self, event: str | None = None) -> list[WebSocketEvent]:
        """Plugin-published events; ``event`` filters on the plugin's own event name."""
        with self.state.lock:
            return [e for e in self.state.ws_events if event is None or e.plugin_event == event]

    def kv_dump(self, *, include_expired: bool = False) -> dict[str, bytes]:
        return self.state.kv.dump(include_expired)

    def kv_get(self, key: str) -> bytes | None:
        return self.state.kv.get(key)

    def logs(self, level: str | None = None) -> list[LogEntry]:
        with self.state.lock:
            return [e for e in self.state.logs if level is None or e.level == level]

    def dialogs(self, user_id: str | None = None) -> list[OpenedDialog]:
        with self.state.lock:
            return [d for d in self.state.dialogs if user_id is None or d.user_id == user_id]

    def commands(self) -> list[Command]:
        with self.state.lock:
            return list(self.state.commands.values())

    def bots(self) -> list[Bot]:
        with self.state.lock:
            return list(self.state.directory.bots.values())

    def plugin_config(self) -> dict[str, Any]:
        return self.state.plugin_config()
