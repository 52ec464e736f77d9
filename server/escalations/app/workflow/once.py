"""Posts made for one change of an escalation, at most once even when a crash cut the request
that made them and another request repairs it.

Every post a change makes (the thread reply, the direct messages) carries ``CHANGE_PROP`` =
``<escalation id>:<version>``. A repair (``Workflow`` finding a change still unannounced long
after it landed) posts through ``ChangePosts`` with ``check=True``: it first looks in the target
channel for a bot post carrying that mark, made since the change, and skips the post if it is
there.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, cast

from escalations.app.domain.ports import Host

CHANGE_PROP = "community_escalation_change"


def change_mark(escalation_id: str, version: int) -> str:
    return f"{escalation_id}:{version}"


class ChangePosts:
    """A ``Host`` whose ``create_post`` marks each post with the change it belongs to and, with
    ``check``, skips a post already made for it (the rest is the wrapped host)."""

    def __init__(self, host: Host, mark: str, since_ms: int, *, check: bool) -> None:
        self._host, self._mark, self._since, self._check = host, mark, since_ms, check

    def __getattr__(self, name: str) -> Any:
        return getattr(self._host, name)

    def create_post(
        self, channel_id: str, user_id: str, message: str, props: Mapping[str, Any], root_id: str
    ) -> str:
        if self._check:
            for p in self._host.posts_since(channel_id, self._since):
                made = p.user_id == user_id and p.root_id == root_id and not p.delete_at
                if made and p.props.get(CHANGE_PROP) == self._mark:
                    return p.id
        marked = {**props, CHANGE_PROP: self._mark}
        return self._host.create_post(channel_id, user_id, message, marked, root_id)

    def as_host(self) -> Host:
        return cast(Host, self)
