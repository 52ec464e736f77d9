"""Adapters from the runtime's ``PluginAPIClient`` to the workflow's ports (``Host``, ``KV``).

Translation only: "not found" becomes ``None``/``False``, records become the workflow's small
refs, and every other failure of a call becomes ``errors.HostError`` (the runtime's
``PluginAPIError`` never reaches the workflow).
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, ParamSpec, TypeVar

from escalations.app.domain.errors import HostError
from escalations.app.domain.ports import CHANNEL_OPEN, ChannelRef, Dialog, PostRef, TeamRef, UserRef
from escalations.runtime import models
from escalations.runtime.api import PluginAPIClient
from escalations.runtime.errors import NotFoundError, PluginAPIError

SYSTEM_GUEST = "system_guest"
SYSTEM_ADMIN = "system_admin"
MEMBERS_PAGE = 200
DIRECT_CHANNELS_KEPT = 10_000

_P = ParamSpec("_P")
_R = TypeVar("_R")
_C = TypeVar("_C", bound=type)


def _as_host_error(method: Callable[_P, _R]) -> Callable[_P, _R]:
    @functools.wraps(method)
    def call(*args: _P.args, **kwargs: _P.kwargs) -> _R:
        try:
            return method(*args, **kwargs)
        except PluginAPIError as exc:
            raise HostError(str(exc)) from exc

    return call


def translating(cls: _C) -> _C:
    """Class decorator: every public method raises ``HostError`` instead of ``PluginAPIError``."""
    for name, member in list(vars(cls).items()):
        if callable(member) and not name.startswith("_"):
            setattr(cls, name, _as_host_error(member))
    return cls


@translating
class ClientKV:
    """``kv.KV`` over the runtime client."""

    def __init__(self, api: PluginAPIClient) -> None:
        self._api = api

    def get(self, key: str) -> bytes | None:
        return self._api.kv_get(key)

    def compare_and_set(
        self, key: str, old: bytes | None, new: bytes | None, ttl_seconds: int = 0
    ) -> bool:
        if new is None:
            if old is None:  # "delete if absent": true exactly when it is absent
                return self._api.kv_get(key) is None
            return self._api.kv_compare_and_delete(key, old)
        if ttl_seconds > 0:
            return self._api.kv_set_with_options(
                key, new, atomic=True, old_value=old, expire_in_seconds=ttl_seconds
            )
        return self._api.kv_compare_and_set(key, old, new)

    def delete(self, key: str) -> None:
        self._api.kv_delete(key)

    def list_keys(self, page: int, per_page: int) -> Sequence[str]:
        return self._api.kv_list(page, per_page)


@translating
class RuntimeHost:
    """``ports.Host`` over the runtime client."""

    def __init__(self, api: PluginAPIClient) -> None:
        self._api = api
        # Direct message channels by their two users: a pair's channel never changes, so it is
        # asked for once per process (bounded: the oldest pairs are forgotten first).
        self._direct: dict[tuple[str, str], str] = {}
        self._direct_lock = threading.Lock()

    # --- reads -------------------------------------------------------------------------------

    def get_post(self, post_id: str) -> PostRef | None:
        try:
            p = self._api.get_post(post_id)
        except NotFoundError:
            return None
        return _post(p)

    def posts_since(self, channel_id: str, since_ms: int) -> list[PostRef]:
        found = self._api.get_posts_since(channel_id, since_ms).ordered()
        return [_post(p) for p in sorted(found, key=lambda p: (p.create_at, p.id))]

    def get_channel(self, channel_id: str) -> ChannelRef | None:
        try:
            return _channel(self._api.get_channel(channel_id))
        except NotFoundError:
            return None

    def get_channel_by_name(self, team_id: str, name: str) -> ChannelRef | None:
        try:
            return _channel(self._api.get_channel_by_name(team_id, name, include_deleted=False))
        except NotFoundError:
            return None

    def direct_channel_id(self, user_id: str, other_id: str) -> str:
        pair = (min(user_id, other_id), max(user_id, other_id))
        known = self._direct.get(pair)
        if known is not None:
            return known
        channel_id = self._api.get_direct_channel(user_id, other_id).id
        with self._direct_lock:
            if len(self._direct) >= DIRECT_CHANNELS_KEPT:
                del self._direct[next(iter(self._direct))]
            self._direct[pair] = channel_id
        return channel_id

    def get_team(self, team_id: str) -> TeamRef | None:
        try:
            t = self._api.get_team(team_id)
        except NotFoundError:
            return None
        return TeamRef(t.id, t.name, t.display_name)

    def get_team_by_name(self, name: str) -> TeamRef | None:
        try:
            t = self._api.get_team_by_name(name)
        except NotFoundError:
            return None
        return TeamRef(t.id, t.name, t.display_name)

    def get_user(self, user_id: str) -> UserRef | None:
        try:
            return _user(self._api.get_user(user_id))
        except NotFoundError:
            return None

    def get_users_by_usernames(self, usernames: Iterable[str]) -> list[UserRef]:
        names = list(usernames)
        if not names:
            return []
        try:
            return [_user(u) for u in self._api.get_users_by_usernames(names)]
        except NotFoundError:
            return []

    def get_users_by_ids(self, user_ids: Iterable[str]) -> list[UserRef]:
        ids = list(user_ids)
        if not ids:
            return []
        try:
            return [_user(u) for u in self._api.get_users_by_ids(ids)]
        except NotFoundError:
            return []

    def channel_member_ids(self, channel_id: str, limit: int) -> list[str]:
        ids: list[str] = []
        page = 0
        while len(ids) < limit:
            batch = self._api.get_channel_members(channel_id, page, MEMBERS_PAGE)
            ids += [m.user_id for m in batch]
            if len(batch) < MEMBERS_PAGE:
                break
            page += 1
        return ids[:limit]

    def is_system_admin(self, user_id: str) -> bool:
        return self._api.has_permission_to(user_id, "manage_system")

    def is_channel_member(self, channel_id: str, user_id: str) -> bool:
        try:
            self._api.get_channel_member(channel_id, user_id)
        except NotFoundError:
            return False
        return True

    def is_team_member(self, team_id: str, user_id: str) -> bool:
        """Holds ``view_team`` there: the team's members (and system admins)."""
        return bool(team_id) and self._api.has_permission_to_team(user_id, team_id, "view_team")

    def can_read_channel(self, user_id: str, channel: ChannelRef) -> bool:
        """Member; or, for a public channel, allowed to read the team's public channels; or
        holding ``read_channel`` there (system admins)."""
        if self.is_channel_member(channel.id, user_id):
            return True
        if channel.type == CHANNEL_OPEN and self._api.has_permission_to_team(
            user_id, channel.team_id, "read_public_channel"
        ):
            return True
        return self._api.has_permission_to_channel(user_id, channel.id, "read_channel")

    def site_url(self) -> str:
        config = self._api.get_config()
        service = config.get("ServiceSettings") or {}
        return str(service.get("SiteURL") or "").rstrip("/")

    def plugin_settings(self) -> Mapping[str, Any]:
        return self._api.get_plugin_config()

    # --- writes ------------------------------------------------------------------------------

    def create_post(
        self, channel_id: str, user_id: str, message: str, props: Mapping[str, Any], root_id: str
    ) -> str:
        post = models.Post(
            channel_id=channel_id, user_id=user_id, message=message, props=props, root_id=root_id
        )
        return self._api.create_post(post).id

    def update_post(
        self, post_id: str, channel_id: str, user_id: str, message: str, props: Mapping[str, Any]
    ) -> None:
        post = models.Post(
            id=post_id, channel_id=channel_id, user_id=user_id, message=message, props=props
        )
        self._api.update_post(post)

    def delete_post(self, post_id: str) -> None:
        self._api.delete_post(post_id)

    def send_ephemeral(self, user_id: str, channel_id: str, message: str, sender_id: str) -> None:
        """Show ``message`` to ``user_id`` only, as written by ``sender_id`` (the bot)."""
        post = models.Post(channel_id=channel_id, user_id=sender_id, message=message)
        self._api.send_ephemeral_post(user_id, post)

    def publish_event(
        self, event: str, payload: Mapping[str, str], *, channel_id: str = "", user_id: str = ""
    ) -> None:
        broadcast = models.WebsocketBroadcast(channel_id=channel_id, user_id=user_id)
        self._api.publish_websocket_event(event, payload, broadcast)

    def open_dialog(self, dialog: Dialog) -> None:
        elements = tuple(
            models.DialogElement(
                name=e.name,
                display_name=e.display_name,
                type=e.type,
                optional=e.optional,
                max_length=e.max_length,
                help_text=e.help_text,
                placeholder=e.placeholder,
                options=tuple(models.DialogElementOption(t, v) for t, v in e.options),
            )
            for e in dialog.elements
        )
        spec = models.Dialog(
            callback_id=dialog.callback_id,
            title=dialog.title,
            introduction_text=dialog.introduction_text,
            elements=elements,
            submit_label=dialog.submit_label,
            state=dialog.state,
        )
        self._api.open_interactive_dialog(dialog.trigger_id, dialog.url, spec)

    # --- setup -------------------------------------------------------------------------------

    def ensure_bot(self, username: str, display_name: str, description: str) -> str:
        bot = models.Bot(username=username, display_name=display_name, description=description)
        return self._api.ensure_bot_user(bot)

    def create_private_channel(
        self, team_id: str, name: str, display_name: str, creator_id: str
    ) -> ChannelRef:
        channel = models.Channel(
            team_id=team_id, type="P", name=name, display_name=display_name, creator_id=creator_id
        )
        return _channel(self._api.create_channel(channel))

    def add_channel_member(self, channel_id: str, user_id: str) -> None:
        self._api.add_channel_member(channel_id, user_id)

    def remove_channel_member(self, channel_id: str, user_id: str) -> None:
        try:
            self._api.delete_channel_member(channel_id, user_id)
        except NotFoundError:  # already gone
            pass

    def register_command(
        self, trigger: str, description: str, hint: str, display_name: str
    ) -> None:
        command = models.Command(
            trigger=trigger,
            display_name=display_name,
            description=description,
            auto_complete=True,
            auto_complete_desc=description,
            auto_complete_hint=hint,
        )
        self._api.register_command(command)


def _post(p: models.Post) -> PostRef:
    return PostRef(
        p.id, p.channel_id, p.user_id, p.message, p.root_id, p.delete_at, p.props, p.create_at
    )


def _channel(c: models.Channel) -> ChannelRef:
    return ChannelRef(c.id, c.team_id, c.name, c.display_name, c.type, c.delete_at, c.creator_id)


def _user(u: models.User) -> UserRef:
    roles = u.roles.split()
    return UserRef(
        u.id,
        u.username,
        u.delete_at,
        u.is_bot,
        is_guest=SYSTEM_GUEST in roles,
        is_system_admin=SYSTEM_ADMIN in roles,
    )
