"""Users, teams, channels, memberships, bots and permission checks of the emulated server.

Lookups raise ``AppError`` with upstream-style ids and HTTP status codes; the API server decides
how that travels (``errors.CONVENTIONS``). All methods expect the caller to hold ``lock`` when
several calls must be atomic; each method takes it itself too (it is re-entrant).

Permission model (a reduced copy of Mattermost's default roles):

* ``system_admin`` is granted everything (``manage_system`` only to admins);
* channel members (role ``channel_user``) get ``CHANNEL_USER_PERMISSIONS`` in their channel
  (``use_slash_commands`` is *not* among them: the plugin API answers ``False`` for it to a
  channel member, team member and system user alike on 11.4.0);
* active team members get ``TEAM_USER_PERMISSIONS`` in their team, and the plugin API's channel
  check falls back to them (so ``read_public_channel`` holds on any channel of the team);
* the plugin API's ``HasPermissionToChannel(read_channel)`` is ``False`` for a team member who is
  not a member of a *public* channel (verified on 11.4.0; ``tests/runtime/test_api_contract.py``);
  the plugin must ask ``HasPermissionToTeam(read_public_channel)`` for that;
* the drive helpers' REST checks (verified on 11.4.0): a press needs ``read_channel_content``
  and a slash command ``create_post`` in the channel, i.e. channel membership (or admin);
* private channels, DMs and group messages: members only.
"""

from __future__ import annotations

import dataclasses
import re
import threading
from collections.abc import Iterable
from typing import Any

from hostemu.errors import AppError, bad_request, forbidden, not_found
from hostemu.model import (
    SYSTEM_ADMIN,
    SYSTEM_USER,
    Bot,
    Channel,
    ChannelMember,
    Clock,
    Team,
    TeamMember,
    User,
    new_id,
)

SYSTEM_USER_PERMISSIONS = frozenset(
    {"create_direct_channel", "create_group_channel", "create_team", "list_public_teams",
     "join_public_teams", "view_members", "create_emojis"}
)  # fmt: skip
TEAM_USER_PERMISSIONS = frozenset(
    {"view_team", "list_team_channels", "join_public_channels", "read_public_channel",
     "create_public_channel", "create_private_channel", "invite_user", "add_user_to_team"}
)  # fmt: skip
CHANNEL_USER_PERMISSIONS = frozenset(
    {"read_channel", "read_channel_content", "create_post", "add_reaction", "remove_reaction",
     "upload_file", "use_channel_mentions", "edit_post", "delete_post",
     "get_public_link", "manage_public_channel_members", "manage_private_channel_members"}
)  # fmt: skip

_CHANNEL_NAME = re.compile(r"^[a-z0-9]+([a-z0-9_-]*[a-z0-9]+)?$")
CHANNEL_TYPES = ("O", "P", "D", "G")


class Directory:
    def __init__(self, clock: Clock, lock: threading.RLock) -> None:
        self.clock = clock
        self.lock = lock
        self.users: dict[str, User] = {}
        self.teams: dict[str, Team] = {}
        self.team_members: dict[tuple[str, str], TeamMember] = {}
        self.channels: dict[str, Channel] = {}
        self.channel_members: dict[tuple[str, str], ChannelMember] = {}
        self.bots: dict[str, Bot] = {}

    # -- users --------------------------------------------------------------------------------
    def add_user(self, username: str, **fields: Any) -> User:
        with self.lock:
            name = username.lower()
            if self._user_by_name(name) is not None:
                raise bad_request("app.user.save.username_exists.app_error", "username taken")
            now = self.clock.now_ms()
            user = User(
                id=str(fields.pop("id", "") or new_id()),
                username=name,
                create_at=now,
                update_at=now,
                email=str(fields.pop("email", "") or f"{name}@example.com"),
                **fields,
            )
            self.users[user.id] = user
            return user

    def _user_by_name(self, name: str) -> User | None:
        return next((u for u in self.users.values() if u.username == name.lower()), None)

    def user(self, user_id: str) -> User:
        with self.lock:
            user = self.users.get(user_id)
            if user is None:
                raise not_found("app.user.missing_account.const", "Unable to find the user.")
            return user

    def user_by_username(self, name: str) -> User:
        with self.lock:
            user = self._user_by_name(name)
            if user is None:
                raise not_found("app.user.get_by_username.app_error", "Unable to find the user.")
            return user

    def user_by_email(self, email: str) -> User:
        with self.lock:
            user = next((u for u in self.users.values() if u.email == email.lower()), None)
            if user is None:
                raise not_found("app.user.missing_account.const", "Unable to find the user.")
            return user

    def users_by_usernames(self, names: Iterable[str]) -> list[User]:
        with self.lock:
            found = (self._user_by_name(n) for n in dict.fromkeys(names))
            return [u for u in found if u is not None]

    def users_by_ids(self, ids: Iterable[str]) -> list[User]:
        with self.lock:
            return [self.users[i] for i in dict.fromkeys(ids) if i in self.users]

    def update_user(self, user_id: str, **changes: object) -> User:
        with self.lock:
            user = dataclasses.replace(self.user(user_id), **changes)  # type: ignore[arg-type]  # field names checked by replace
            self.users[user_id] = user
            return user

    # -- teams --------------------------------------------------------------------------------
    def add_team(self, name: str, display_name: str = "", **fields: Any) -> Team:
        with self.lock:
            if any(t.name == name for t in self.teams.values()):
                raise bad_request("store.sql_team.save_team.existing.app_error", "team exists")
            now = self.clock.now_ms()
            team = Team(
                id=str(fields.pop("id", "") or new_id()),
                name=name,
                display_name=display_name or name,
                create_at=now,
                update_at=now,
                **fields,
            )
            self.teams[team.id] = team
            return team

    def team(self, team_id: str) -> Team:
        with self.lock:
            team = self.teams.get(team_id)
            if team is None:
                raise not_found("app.team.get.find.app_error", "Unable to find the team.")
            return team

    def team_by_name(self, name: str) -> Team:
        with self.lock:
            team = next((t for t in self.teams.values() if t.name == name), None)
            if team is None:
                raise not_found("app.team.get_by_name.missing.app_error", "Unable to find team.")
            return team

    def add_team_member(self, team_id: str, user_id: str, roles: str = "team_user") -> TeamMember:
        with self.lock:
            self.team(team_id), self.user(user_id)
            member = TeamMember(team_id, user_id, roles)
            self.team_members[(team_id, user_id)] = member
            return member

    def remove_team_member(self, team_id: str, user_id: str) -> None:
        with self.lock:
            key = (team_id, user_id)
            if key in self.team_members:
                member = self.team_members[key]
                self.team_members[key] = dataclasses.replace(member, delete_at=self.clock.now_ms())

    def is_team_member(self, team_id: str, user_id: str) -> bool:
        with self.lock:
            member = self.team_members.get((team_id, user_id))
            return member is not None and member.delete_at == 0

    # -- channels -----------------------------------------------------------------------------
    def create_channel(self, channel: Channel) -> Channel:
        """``CreateChannel`` validation; the creator is not added (plugin API passes false)."""
        with self.lock:
            if channel.type not in ("O", "P"):
                raise bad_request("api.channel.create_channel.type.app_error", "invalid type")
            self.team(channel.team_id)
            self._validate_channel_names(channel)
            if any(
                c.team_id == channel.team_id and c.name == channel.name
                for c in self.channels.values()
            ):
                raise bad_request(
                    "store.sql_channel.save_channel.exists.app_error",
                    "A channel with that name already exists on the same team.",
                )
            return self._insert_channel(channel)

    def _validate_channel_names(self, channel: Channel) -> None:
        if not 1 <= len(channel.display_name) <= 64:
            raise bad_request("model.channel.is_valid.display_name.app_error", "display name")
        if not (1 <= len(channel.name) <= 64 and _CHANNEL_NAME.match(channel.name)):
            raise bad_request("model.channel.is_valid.name.app_error", "Invalid channel name.")

    def _insert_channel(self, channel: Channel) -> Channel:
        now = self.clock.now_ms()
        stored = dataclasses.replace(
            channel, id=channel.id or new_id(), create_at=now, update_at=now
        )
        self.channels[stored.id] = stored
        return stored

    def channel(self, channel_id: str, include_deleted: bool = True) -> Channel:
        with self.lock:
            channel = self.channels.get(channel_id)
            if channel is None or (channel.delete_at and not include_deleted):
                raise not_found("app.channel.get.existing.app_error", "Unable to find the channel.")
            return channel

    def channel_by_name(self, team_id: str, name: str, include_deleted: bool) -> Channel:
        with self.lock:
            found = next(
                (
                    c
                    for c in self.channels.values()
                    if c.team_id == team_id
                    and c.name == name
                    and (include_deleted or not c.delete_at)
                ),
                None,
            )
            if found is None:
                raise not_found("app.channel.get_by_name.missing.app_error", "Channel not found.")
            return found

    def direct_channel(self, user_a: str, user_b: str) -> Channel:
        """``GetDirectChannel``: the DM between two users, created on first use."""
        with self.lock:
            self.user(user_a), self.user(user_b)
            name = "__".join(sorted((user_a, user_b)))
            existing = next((c for c in self.channels.values() if c.name == name), None)
            if existing is not None:
                return existing
            channel = self._insert_channel(
                Channel(id="", team_id="", type="D", name=name, display_name="")
            )
            for uid in {user_a, user_b}:
                self._put_member(channel.id, uid)
            return channel

    def update_channel(self, channel_id: str, **changes: object) -> Channel:
        with self.lock:
            channel = dataclasses.replace(self.channel(channel_id), **changes)  # type: ignore[arg-type]  # field names checked by replace
            self.channels[channel_id] = channel
            return channel

    def _put_member(self, channel_id: str, user_id: str) -> ChannelMember:
        now = self.clock.now_ms()
        member = ChannelMember(channel_id, user_id, last_viewed_at=now, last_update_at=now)
        self.channel_members[(channel_id, user_id)] = member
        return member

    def add_channel_member(
        self, channel_id: str, user_id: str, *, into_archived: bool = False
    ) -> ChannelMember:
        """``AddChannelMember`` rules: open/private only, not archived, user in the team.
        ``into_archived``: the plugin API adds members to an archived channel without complaint
        (verified on 11.4.0)."""
        with self.lock:
            channel, user = self.channel(channel_id), self.user(user_id)
            existing = self.channel_members.get((channel_id, user_id))
            if existing is not None:
                return existing
            if channel.delete_at and not into_archived:
                raise bad_request("api.channel.add_user_to_channel.deleted.app_error", "archived")
            if channel.type not in ("O", "P"):
                raise bad_request("api.channel.add_user_to_channel.type.app_error", "bad type")
            if user.deactivated:
                raise bad_request(
                    "api.channel.add_user.to.channel.failed.deleted.app_error",
                    "Failed to add user to channel. User is deactivated.",
                )
            if not self.is_team_member(channel.team_id, user_id):
                raise forbidden(
                    "api.channel.add_user.to.channel.failed.app_error",
                    "Failed to add user to channel. User not in the team.",
                )
            return self._put_member(channel_id, user_id)

    def leave_channel(self, channel_id: str, user_id: str) -> None:
        """``DeleteChannelMember`` (upstream ``LeaveChannel``): the membership must exist."""
        with self.lock:
            self.channel_member(channel_id, user_id)
            self.channel_members.pop((channel_id, user_id), None)

    def remove_channel_member(self, channel_id: str, user_id: str) -> None:
        with self.lock:
            self.channel_members.pop((channel_id, user_id), None)

    def channel_member(self, channel_id: str, user_id: str) -> ChannelMember:
        with self.lock:
            member = self.channel_members.get((channel_id, user_id))
            if member is None:
                raise not_found(
                    "app.channel.get_member.missing.app_error",
                    "No channel member found for that user ID and channel ID.",
                )
            return member

    def members_of(self, channel_id: str) -> list[str]:
        with self.lock:
            return [uid for (cid, uid) in self.channel_members if cid == channel_id]

    # -- bots ---------------------------------------------------------------------------------
    def create_bot(self, bot: Bot) -> Bot:
        with self.lock:
            user = self.add_user(
                bot.username,
                first_name=bot.display_name,
                is_bot=True,
                bot_description=bot.description,
                roles=SYSTEM_USER,
                email=f"{bot.username.lower()}@localhost",
            )
            stored = dataclasses.replace(
                bot,
                user_id=user.id,
                username=user.username,
                create_at=user.create_at,
                update_at=user.create_at,
            )
            self.bots[user.id] = stored
            return stored

    def patch_bot(self, user_id: str, username: str, display_name: str, description: str) -> Bot:
        with self.lock:
            bot = self.bots.get(user_id)
            if bot is None:
                raise not_found("store.sql_bot.get.missing.app_error", "Bot does not exist.")
            bot = dataclasses.replace(
                bot,
                username=username.lower(),
                display_name=display_name,
                description=description,
                update_at=self.clock.now_ms(),
            )
            self.bots[user_id] = bot
            self.update_user(
                user_id, username=bot.username, first_name=display_name, bot_description=description
            )
            return bot

    # -- permissions --------------------------------------------------------------------------
    def has_permission(self, user_id: str, permission: str) -> bool:
        with self.lock:
            user = self.users.get(user_id)
            if user is None:
                return False
            return user.is_system_admin or permission in SYSTEM_USER_PERMISSIONS

    def has_team_permission(self, user_id: str, team_id: str, permission: str) -> bool:
        with self.lock:
            if self.is_team_member(team_id, user_id) and permission in TEAM_USER_PERMISSIONS:
                return True
            return self.has_permission(user_id, permission)

    def has_channel_permission(self, user_id: str, channel_id: str, permission: str) -> bool:
        with self.lock:
            channel = self.channels.get(channel_id)
            if channel is None:
                return self.has_permission(user_id, permission)
            if (channel_id, user_id) in self.channel_members and (
                permission in CHANNEL_USER_PERMISSIONS
            ):
                return True
            if channel.team_id:
                return self.has_team_permission(user_id, channel.team_id, permission)
            return self.has_permission(user_id, permission)

    def can_read_channel(self, user_id: str, channel_id: str) -> bool:
        """The REST check before a button press: ``read_channel_content`` in the channel, so a
        team member who is not in a public channel gets 403 (verified on 11.4.0)."""
        return self.has_channel_permission(user_id, channel_id, "read_channel_content")

    def can_use_commands(self, user_id: str, channel_id: str) -> bool:
        """The REST check before ``ExecuteCommand``: ``create_post`` in the channel (verified on
        11.4.0: a non-member of a public channel gets 403 naming ``create_post``)."""
        return self.has_channel_permission(user_id, channel_id, "create_post")


def admin_roles() -> str:
    return f"{SYSTEM_ADMIN} {SYSTEM_USER}"


__all__ = ["AppError", "Directory", "admin_roles"]
