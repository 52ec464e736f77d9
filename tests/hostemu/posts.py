"""Posts, threads and per-user ephemeral posts of the emulated server.

Behaviour kept from upstream (docs/protocol.md §4.1, §7.2, §9):

* ``create``: ``user_id`` must name a user (empty or unknown: 404
  ``app.user.missing_account.const``, verified), the channel must exist and not be archived, a
  ``root_id`` must name a live root post in the same channel; ids, timestamps and missing action
  ids are filled in (``PreCommit`` → ``GenerateActionIds``); a bot author gets the ``from_bot``
  prop (verified; the API server adds ``from_plugin``); the channel's
  ``last_post_at``/``total_msg_count`` and the root's ``reply_count``/``last_reply_at`` move.
* ``update`` is the unsafe update the plugin API and button ``update`` use: the message (``edit_at``
  when it changes), **props replaced wholesale** (no props sent = props cleared), ``is_pinned``,
  ``file_ids`` taken from the request.
* ``delete`` refuses posts of an archived channel (400, verified); otherwise it sets
  ``delete_at`` on the post and, for a root, on its replies; deleted posts are
  invisible to ``get`` and threads.
* attachments are stored the way the server's typed ``SlackAttachment`` round trip leaves them
  (verified on 11.4.0): every attachment field present with its zero value, unknown keys dropped
  from attachments, fields and actions (``normalize_attachments``);
* ``thread`` order copies what 11.4.0 usually gives (undocumented; only the first place is
  stable there): the requested post, the other replies oldest first, then the root; clients
  sort by ``create_at``;
* ephemeral posts are typed ``system_ephemeral`` (verified); they are not stored upstream (only
  pushed to the user's clients); the emulator keeps them per user so tests can read them.
"""

from __future__ import annotations

import copy
import dataclasses
import threading
from typing import Any

from hostemu.directory import Directory
from hostemu.errors import AppError, bad_request, not_found
from hostemu.model import Clock, Post, new_id

MESSAGE_MAX_RUNES = 16383  # model.PostMessageMaxRunesV2
EPHEMERAL = "system_ephemeral"  # model.PostTypeEphemeral, verified on 11.4.0


def copy_post(post: Post) -> Post:
    return dataclasses.replace(post, props=copy.deepcopy(post.props))


# model.SlackAttachment: every field comes back, zero-valued when unset ("id" is a number, "ts"
# and "fields" null); model.SlackAttachmentField and model.PostAction keep only their own keys.
_ATTACHMENT_DEFAULTS: dict[str, Any] = {
    "id": 0, "fallback": "", "color": "", "pretext": "", "author_name": "", "author_link": "",
    "author_icon": "", "title": "", "title_link": "", "text": "", "fields": None, "image_url": "",
    "thumb_url": "", "footer": "", "footer_icon": "", "ts": None,
}  # fmt: skip
_FIELD_KEYS = frozenset({"title", "value", "short"})
_ACTION_KEYS = frozenset(
    {"id", "type", "name", "disabled", "style", "data_source", "options", "default_option",
     "integration", "cookie", "tooltip"}
)  # fmt: skip


def normalize_attachments(attachments: Any) -> Any:
    """``props["attachments"]`` after the server's typed round trip (non-lists left alone)."""
    if not isinstance(attachments, list):
        return attachments
    out = []
    for attachment in attachments:
        if not isinstance(attachment, dict):
            out.append(attachment)
            continue
        fixed = {k: copy.deepcopy(attachment.get(k, d)) for k, d in _ATTACHMENT_DEFAULTS.items()}
        if isinstance(fixed["fields"], list):
            fixed["fields"] = [
                {k: v for k, v in f.items() if k in _FIELD_KEYS} if isinstance(f, dict) else f
                for f in fixed["fields"]
            ]
        if "actions" in attachment:
            actions = attachment["actions"]
            if isinstance(actions, list):
                actions = [
                    {k: v for k, v in a.items() if k in _ACTION_KEYS} if isinstance(a, dict) else a
                    for a in actions
                ]
            fixed["actions"] = copy.deepcopy(actions)
        out.append(fixed)
    return out


def _with_action_ids(props: dict[str, Any]) -> dict[str, Any]:
    props = copy.deepcopy(props)
    if "attachments" in props:
        props["attachments"] = normalize_attachments(props["attachments"])
    for attachment in props.get("attachments") or ():
        if isinstance(attachment, dict):
            for action in attachment.get("actions") or ():
                if isinstance(action, dict) and not action.get("id"):
                    action["id"] = new_id()
    return props


def _check_message(message: str) -> None:
    if len(message) > MESSAGE_MAX_RUNES:
        raise bad_request("model.post.is_valid.msg.app_error", "Invalid Message.")


# ``GetPostsSince`` answers at most this many posts (the server's query has the same limit).
POSTS_SINCE_LIMIT = 1000


class PostStore:
    def __init__(self, directory: Directory, clock: Clock, lock: threading.RLock) -> None:
        self.directory = directory
        self.clock = clock
        self.lock = lock
        self.posts: dict[str, Post] = {}
        self.ephemerals: dict[str, list[Post]] = {}
        self._last_create = 0

    def _stamp(self) -> int:
        """A strictly increasing ``create_at`` so post order is deterministic within a ms."""
        self._last_create = max(self.clock.now_ms(), self._last_create + 1)
        return self._last_create

    def _live(self, post_id: str) -> Post:
        post = self.posts.get(post_id)
        if post is None or post.delete_at:
            raise not_found("app.post.get.app_error", "Unable to get the post.")
        return post

    def get(self, post_id: str) -> Post:
        with self.lock:
            return copy_post(self._live(post_id))

    def create(self, post: Post, *, into_archived: bool = False) -> Post:
        """``into_archived``: the plugin API's ``CreatePost`` posts into an archived channel
        without complaint (verified on 11.4.0); the REST API refuses."""
        with self.lock:
            self._check_new(post, into_archived)
            user = self.directory.user(post.user_id)
            now = self._stamp()
            props = _with_action_ids(post.props)
            if user.is_bot:
                props["from_bot"] = "true"
            stored = dataclasses.replace(
                post,
                id=new_id(),
                create_at=post.create_at or now,
                update_at=post.create_at or now,
                props=props,
            )
            self.posts[stored.id] = stored
            self._after_create(stored)
            return copy_post(stored)

    def _check_new(self, post: Post, into_archived: bool = False) -> None:
        if post.id:
            raise bad_request(
                "store.sql_post.save.existing.app_error", "Cannot update existing post."
            )
        if not post.user_id:
            raise not_found("app.user.missing_account.const", "Unable to find the user.")
        _check_message(post.message)
        channel = self.directory.channel(post.channel_id)
        if channel.delete_at and not into_archived:
            raise bad_request(
                "api.post.create_post.can_not_post_to_deleted.error",
                "Can not post to deleted channel.",
            )
        if post.root_id:
            root = self.posts.get(post.root_id)
            if root is None or root.delete_at or root.root_id or root.channel_id != channel.id:
                raise bad_request("api.post.create_post.root_id.app_error", "Invalid RootId.")

    def _after_create(self, post: Post) -> None:
        channel = self.directory.channels[post.channel_id]
        self.directory.channels[channel.id] = dataclasses.replace(
            channel, last_post_at=post.create_at, total_msg_count=channel.total_msg_count + 1
        )
        if post.root_id:
            root = self.posts[post.root_id]
            self.posts[root.id] = dataclasses.replace(
                root, reply_count=root.reply_count + 1, last_reply_at=post.create_at
            )

    def update(self, post: Post) -> Post:
        with self.lock:
            old = self.posts.get(post.id)
            if old is None:
                raise not_found("app.post.get.app_error", "Unable to get the post.")
            if old.delete_at:
                raise bad_request(
                    "api.post.update_post.find.app_error",
                    "We couldn't find the existing post or comment to update.",
                )
            _check_message(post.message)
            now = self.clock.now_ms()
            new = dataclasses.replace(
                old,
                message=post.message,
                edit_at=now if post.message != old.message else old.edit_at,
                props=_with_action_ids(post.props),
                is_pinned=post.is_pinned,
                has_reactions=post.has_reactions,
                file_ids=post.file_ids,
                update_at=now,
            )
            self.posts[new.id] = new
            return copy_post(new)

    def delete(self, post_id: str, deleted_by: str) -> None:
        with self.lock:
            post = self._live(post_id)
            channel = self.directory.channels.get(post.channel_id)
            if channel is not None and channel.delete_at:  # verified on 11.4.0
                raise bad_request(
                    "api.post.delete_post.can_not_delete_post_in_deleted.error",
                    "Can not delete a post in a deleted channel.",
                )
            now = self.clock.now_ms()
            props = {**post.props, "deleteBy": deleted_by}
            self.posts[post_id] = dataclasses.replace(
                post, delete_at=now, update_at=now, props=props
            )
            for reply in [p for p in self.posts.values() if p.root_id == post_id]:
                self.posts[reply.id] = dataclasses.replace(reply, delete_at=now, update_at=now)
            if post.root_id and post.root_id in self.posts:
                root = self.posts[post.root_id]
                count = max(root.reply_count - 1, 0)
                self.posts[root.id] = dataclasses.replace(root, reply_count=count)

    def thread(self, post_id: str) -> list[Post]:
        """The live posts of ``post_id``'s thread in the server's ``PostList`` order: the
        requested post, the other replies oldest first, then the root (verified on 11.4.0)."""
        with self.lock:
            post = self._live(post_id)
            root_id = post.root_id or post.id
            root = self._live(root_id)
            replies = sorted(
                (
                    p
                    for p in self.posts.values()
                    if p.root_id == root_id and not p.delete_at and p.id != post.id
                ),
                key=lambda p: (p.create_at, p.id),
            )
            ordered = [post, *replies] + ([root] if root.id != post.id else [])
            return [copy_post(p) for p in ordered]

    def since(self, channel_id: str, time_ms: int) -> tuple[list[Post], list[Post]]:
        """``GetPostsSince`` as the server answers it (docs/protocol.md §4.1): (the channel's posts
        updated after ``time_ms``, deleted ones included, newest first, at most
        ``POSTS_SINCE_LIMIT``; the roots of those replies, which the answer carries outside its
        order)."""
        with self.lock:
            found = [
                p
                for p in self.posts.values()
                if p.channel_id == channel_id and p.update_at > time_ms
            ]
            found = sorted(found, key=lambda p: (p.create_at, p.id), reverse=True)
            found = found[:POSTS_SINCE_LIMIT]
            ids = {p.id for p in found}
            roots = {p.root_id for p in found if p.root_id and p.root_id not in ids}
            extra = [self.posts[r] for r in sorted(roots) if r in self.posts]
            return [copy_post(p) for p in found], [copy_post(p) for p in extra]

    def in_channel(self, channel_id: str, include_deleted: bool = False) -> list[Post]:
        with self.lock:
            found = [
                p
                for p in self.posts.values()
                if p.channel_id == channel_id and (include_deleted or not p.delete_at)
            ]
            return [copy_post(p) for p in sorted(found, key=lambda p: (p.create_at, p.id))]

    # -- ephemeral ----------------------------------------------------------------------------
    def send_ephemeral(self, user_id: str, post: Post) -> Post:
        with self.lock:
            now = self._stamp()
            stored = dataclasses.replace(
                post,
                id=post.id or new_id(),
                type=EPHEMERAL,
                create_at=post.create_at or now,
                props=_with_action_ids(post.props),
            )
            self.ephemerals.setdefault(user_id, []).append(stored)
            return copy_post(stored)

    def update_ephemeral(self, user_id: str, post: Post) -> Post:
        with self.lock:
            stored = dataclasses.replace(
                post,
                type=EPHEMERAL,
                update_at=self.clock.now_ms(),
                props=_with_action_ids(post.props),
            )
            items = self.ephemerals.setdefault(user_id, [])
            index = next((i for i, p in enumerate(items) if p.id == post.id), None)
            if index is None:
                items.append(stored)
            else:
                items[index] = stored
            return copy_post(stored)

    def delete_ephemeral(self, user_id: str, post_id: str) -> None:
        with self.lock:
            items = self.ephemerals.get(user_id, [])
            now = self.clock.now_ms()
            self.ephemerals[user_id] = [
                dataclasses.replace(p, delete_at=now) if p.id == post_id else p for p in items
            ]

    def ephemerals_for(self, user_id: str, include_deleted: bool = False) -> list[Post]:
        with self.lock:
            items = self.ephemerals.get(user_id, [])
            return [copy_post(p) for p in items if include_deleted or not p.delete_at]


__all__ = ["AppError", "PostStore", "copy_post"]
