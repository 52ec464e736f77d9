"""Frozen records for the Mattermost models the plugin uses, and their proto conversion.

Every record has ``from_proto(msg)``; records the plugin sends have ``to_proto()``. Only the
fields this project reads are kept; the proto messages may carry more.

Conversion rules worth knowing (docs/protocol.md §9):

* ``google.protobuf.Struct`` holds only doubles: every number in ``props``, plugin config and
  WebSocket payloads comes back as a ``float`` (``500`` -> ``500.0``). Use :func:`as_int`.
* Channel types are the model letters ``"O"``, ``"P"``, ``"D"``, ``"G"``; team types ``"O"``,
  ``"I"``.
* Hook-side posts carry no ``props`` (read the post with ``GetPost`` when you need them).
* ``Post.user_id`` is not defaulted by the server: set it (the bot's user id) when creating posts.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

from google.protobuf import json_format, struct_pb2
from google.protobuf.message import Message

from escalations.runtime.pb import common_pb2, models_pb2

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

JSONObject = Mapping[str, Any]

_R = TypeVar("_R", bound="DataclassInstance")

# ChannelType enum value <-> model letter.
_CHANNEL_TYPES: dict[int, str] = {1: "O", 2: "P", 3: "D", 4: "G"}
_CHANNEL_TYPE_IDS: dict[str, int] = {v: k for k, v in _CHANNEL_TYPES.items()}
_TEAM_TYPES: dict[int, str] = {1: "O", 2: "I"}
_TEAM_TYPE_IDS: dict[str, int] = {v: k for k, v in _TEAM_TYPES.items()}


def struct_to_dict(struct: struct_pb2.Struct) -> dict[str, Any]:
    """A ``google.protobuf.Struct`` as a plain dict (numbers are floats)."""
    result: dict[str, Any] = json_format.MessageToDict(struct)
    return result


def dict_to_struct(data: Mapping[str, Any]) -> struct_pb2.Struct:
    """A JSON-compatible mapping as a ``Struct``. Raises ``TypeError`` for non-JSON values."""
    struct = struct_pb2.Struct()
    # A JSON round trip normalises tuples and rejects values Struct cannot hold.
    struct.update(json.loads(json.dumps(dict(data))))
    return struct


def value_to_proto(value: object) -> struct_pb2.Value:
    """A JSON-compatible value as a ``google.protobuf.Value`` (used for log key/values)."""
    proto = struct_pb2.Value()
    json_format.ParseDict(json.loads(json.dumps(value, default=str)), proto)
    return proto


def as_int(value: object, default: int = 0) -> int:
    """An integer from a Struct number (a float) or a numeric string; ``default`` otherwise."""
    if isinstance(value, bool):
        return default
    if isinstance(value, (int, float)):
        return int(value)
    if isinstance(value, str):
        try:
            return int(value.strip())
        except ValueError:
            return default
    return default


def _plain(cls: type[_R], msg: Message, skip: frozenset[str] = frozenset()) -> dict[str, Any]:
    """Same-named scalar, repeated and map fields of ``msg`` for ``cls``'s constructor."""
    out: dict[str, Any] = {}
    for f in dataclasses.fields(cls):
        if f.name in skip:
            continue
        value = getattr(msg, f.name)
        if isinstance(value, Mapping):
            value = dict(value)
        elif isinstance(value, Sequence) and not isinstance(value, (str, bytes)):
            value = tuple(value)
        out[f.name] = value
    return out


def _set_fields(obj: DataclassInstance, skip: frozenset[str] = frozenset()) -> dict[str, Any]:
    """The record's fields as proto constructor kwargs, leaving out ``skip`` and empty values."""
    out: dict[str, Any] = {}
    for f in dataclasses.fields(obj):
        if f.name in skip:
            continue
        value = getattr(obj, f.name)
        if value in ("", 0, False, (), None) or (isinstance(value, Mapping) and not value):
            continue
        out[f.name] = list(value) if isinstance(value, tuple) else value
    return out


@dataclass(frozen=True)
class Post:
    """A post. ``props`` holds attachments etc.; numbers inside come back as floats."""

    id: str = ""
    channel_id: str = ""
    user_id: str = ""
    message: str = ""
    root_id: str = ""
    type: str = ""
    props: JSONObject = field(default_factory=dict)
    create_at: int = 0
    update_at: int = 0
    edit_at: int = 0
    delete_at: int = 0
    is_pinned: bool = False
    original_id: str = ""
    hashtags: str = ""
    file_ids: tuple[str, ...] = ()
    pending_post_id: str = ""
    has_reactions: bool = False
    reply_count: int = 0
    last_reply_at: int = 0

    _SKIP = frozenset({"props"})

    @classmethod
    def from_proto(cls, msg: models_pb2.Post) -> Post:
        props = struct_to_dict(msg.props) if msg.HasField("props") else {}
        return cls(props=props, **_plain(cls, msg, cls._SKIP))

    def to_proto(self) -> models_pb2.Post:
        post = models_pb2.Post(**_set_fields(self, self._SKIP))
        post.props.CopyFrom(dict_to_struct(self.props))
        return post


@dataclass(frozen=True)
class PostList:
    """A thread or page of posts: ``order`` lists ids newest first, ``posts`` maps id -> Post."""

    order: tuple[str, ...] = ()
    posts: Mapping[str, Post] = field(default_factory=dict)
    next_post_id: str = ""
    prev_post_id: str = ""
    has_next: bool = False

    @classmethod
    def from_proto(cls, msg: models_pb2.PostList) -> PostList:
        return cls(
            order=tuple(msg.order),
            posts={k: Post.from_proto(v) for k, v in msg.posts.items()},
            next_post_id=msg.next_post_id,
            prev_post_id=msg.prev_post_id,
            has_next=msg.has_next,
        )

    def ordered(self) -> list[Post]:
        """Posts in ``order`` (ids without a post are skipped)."""
        return [self.posts[i] for i in self.order if i in self.posts]


@dataclass(frozen=True)
class User:
    id: str = ""
    username: str = ""
    email: str = ""
    first_name: str = ""
    last_name: str = ""
    nickname: str = ""
    position: str = ""
    roles: str = ""
    locale: str = ""
    is_bot: bool = False
    create_at: int = 0
    update_at: int = 0
    delete_at: int = 0

    @classmethod
    def from_proto(cls, msg: models_pb2.User) -> User:
        return cls(**_plain(cls, msg))

    def to_proto(self) -> models_pb2.User:
        return models_pb2.User(**_set_fields(self))

    @property
    def full_name(self) -> str:
        """``"First Last"`` (may be empty)."""
        return " ".join(p for p in (self.first_name, self.last_name) if p)

    @property
    def is_active(self) -> bool:
        return self.delete_at == 0


@dataclass(frozen=True)
class Channel:
    """A channel; ``type`` is ``"O"`` (public), ``"P"`` (private), ``"D"`` (DM) or ``"G"``."""

    id: str = ""
    team_id: str = ""
    type: str = "O"
    name: str = ""
    display_name: str = ""
    header: str = ""
    purpose: str = ""
    creator_id: str = ""
    props: JSONObject = field(default_factory=dict)
    create_at: int = 0
    update_at: int = 0
    delete_at: int = 0

    _SKIP = frozenset({"type", "props"})

    @classmethod
    def from_proto(cls, msg: models_pb2.Channel) -> Channel:
        props = struct_to_dict(msg.props) if msg.HasField("props") else {}
        kind = _CHANNEL_TYPES.get(int(msg.type), "")
        return cls(type=kind, props=props, **_plain(cls, msg, cls._SKIP))

    def to_proto(self) -> models_pb2.Channel:
        kwargs = _set_fields(self, self._SKIP)
        kwargs["type"] = _CHANNEL_TYPE_IDS.get(self.type, 0)
        channel = models_pb2.Channel(**kwargs)
        if self.props:
            channel.props.CopyFrom(dict_to_struct(self.props))
        return channel


@dataclass(frozen=True)
class ChannelMember:
    channel_id: str = ""
    user_id: str = ""
    roles: str = ""
    scheme_guest: bool = False
    scheme_user: bool = False
    scheme_admin: bool = False
    last_viewed_at: int = 0
    msg_count: int = 0
    mention_count: int = 0
    notify_props: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def from_proto(cls, msg: models_pb2.ChannelMember) -> ChannelMember:
        return cls(**_plain(cls, msg))


@dataclass(frozen=True)
class Team:
    """A team; ``type`` is ``"O"`` (open) or ``"I"`` (invite only)."""

    id: str = ""
    name: str = ""
    display_name: str = ""
    type: str = "O"
    description: str = ""
    allow_open_invite: bool = False
    create_at: int = 0
    delete_at: int = 0

    @classmethod
    def from_proto(cls, msg: models_pb2.Team) -> Team:
        kind = _TEAM_TYPES.get(int(msg.type), "")
        return cls(type=kind, **_plain(cls, msg, frozenset({"type"})))

    def to_proto(self) -> models_pb2.Team:
        kwargs = _set_fields(self, frozenset({"type"}))
        kwargs["type"] = _TEAM_TYPE_IDS.get(self.type, 0)
        return models_pb2.Team(**kwargs)


@dataclass(frozen=True)
class Bot:
    username: str = ""
    display_name: str = ""
    description: str = ""
    user_id: str = ""
    owner_id: str = ""
    create_at: int = 0
    update_at: int = 0
    delete_at: int = 0

    @classmethod
    def from_proto(cls, msg: models_pb2.Bot) -> Bot:
        return cls(**_plain(cls, msg))

    def to_proto(self) -> models_pb2.Bot:
        return models_pb2.Bot(**_set_fields(self))


@dataclass(frozen=True)
class Command:
    """A slash command registration (``trigger`` without the slash)."""

    trigger: str = ""
    team_id: str = ""
    display_name: str = ""
    description: str = ""
    auto_complete: bool = False
    auto_complete_desc: str = ""
    auto_complete_hint: str = ""
    username: str = ""
    icon_url: str = ""
    url: str = ""
    method: str = ""
    plugin_id: str = ""
    id: str = ""
    creator_id: str = ""

    @classmethod
    def from_proto(cls, msg: models_pb2.Command) -> Command:
        return cls(**_plain(cls, msg))

    def to_proto(self) -> models_pb2.Command:
        return models_pb2.Command(**_set_fields(self))


@dataclass(frozen=True)
class CommandArgs:
    """Arguments of an ``ExecuteCommand`` hook; ``command`` is the full text incl. the trigger."""

    user_id: str = ""
    channel_id: str = ""
    team_id: str = ""
    root_id: str = ""
    parent_id: str = ""
    trigger_id: str = ""
    command: str = ""
    site_url: str = ""

    @classmethod
    def from_proto(cls, msg: models_pb2.CommandArgs) -> CommandArgs:
        return cls(**_plain(cls, msg))

    def to_proto(self) -> models_pb2.CommandArgs:
        return models_pb2.CommandArgs(**_set_fields(self))


@dataclass(frozen=True)
class CommandResponse:
    """The answer of ``ExecuteCommand``. ``response_type``: ``"ephemeral"`` or ``"in_channel"``."""

    response_type: str = "ephemeral"
    text: str = ""
    username: str = ""
    channel_id: str = ""
    icon_url: str = ""
    props: JSONObject = field(default_factory=dict)
    goto_location: str = ""
    trigger_id: str = ""
    skip_slack_parsing: bool = False

    @classmethod
    def ephemeral(cls, text: str) -> CommandResponse:
        return cls(response_type="ephemeral", text=text)

    @classmethod
    def in_channel(cls, text: str) -> CommandResponse:
        return cls(response_type="in_channel", text=text)

    @classmethod
    def from_proto(cls, msg: models_pb2.CommandResponse) -> CommandResponse:
        props = struct_to_dict(msg.props) if msg.HasField("props") else {}
        return cls(props=props, **_plain(cls, msg, frozenset({"props"})))

    def to_proto(self) -> models_pb2.CommandResponse:
        response = models_pb2.CommandResponse(**_set_fields(self, frozenset({"props"})))
        if self.props:
            response.props.CopyFrom(dict_to_struct(self.props))
        return response


@dataclass(frozen=True)
class DialogElementOption:
    text: str
    value: str


@dataclass(frozen=True)
class DialogElement:
    """One interactive-dialog field (``type``: text, textarea, select, bool, radio)."""

    name: str
    display_name: str
    type: str = "text"
    subtype: str = ""
    default: str = ""
    placeholder: str = ""
    help_text: str = ""
    optional: bool = False
    min_length: int = 0
    max_length: int = 0
    data_source: str = ""
    options: tuple[DialogElementOption, ...] = ()

    def to_proto(self) -> models_pb2.DialogElement:
        element = models_pb2.DialogElement(**_set_fields(self, frozenset({"options"})))
        for option in self.options:
            element.options.add(text=option.text, value=option.value)
        return element

    @classmethod
    def from_proto(cls, msg: models_pb2.DialogElement) -> DialogElement:
        options = tuple(DialogElementOption(o.text, o.value) for o in msg.options)
        return cls(options=options, **_plain(cls, msg, frozenset({"options"})))


@dataclass(frozen=True)
class Dialog:
    """An interactive dialog; submissions are POSTed to the ``open_interactive_dialog`` URL."""

    callback_id: str = ""
    title: str = ""
    introduction_text: str = ""
    elements: tuple[DialogElement, ...] = ()
    submit_label: str = ""
    notify_on_cancel: bool = False
    state: str = ""
    icon_url: str = ""

    def to_proto(self) -> models_pb2.Dialog:
        dialog = models_pb2.Dialog(**_set_fields(self, frozenset({"elements"})))
        dialog.elements.extend(e.to_proto() for e in self.elements)
        return dialog

    @classmethod
    def from_proto(cls, msg: models_pb2.Dialog) -> Dialog:
        elements = tuple(DialogElement.from_proto(e) for e in msg.elements)
        return cls(elements=elements, **_plain(cls, msg, frozenset({"elements"})))


@dataclass(frozen=True)
class PluginContext:
    """Request metadata the server passes to some hooks (``session_id`` set when authenticated)."""

    session_id: str = ""
    request_id: str = ""
    ip_address: str = ""
    accept_language: str = ""
    user_agent: str = ""

    @classmethod
    def from_proto(cls, msg: common_pb2.PluginContext) -> PluginContext:
        return cls(**_plain(cls, msg))


@dataclass(frozen=True)
class WebsocketBroadcast:
    """Who receives a WebSocket event; all empty means everyone.

    ``omit_users``: honoured through the Go bridge on a real server; the native wire type is
    unverified (see models.proto).
    """

    user_id: str = ""
    channel_id: str = ""
    team_id: str = ""
    omit_users: tuple[str, ...] = ()
    connection_id: str = ""
    omit_connection_id: bool = False
    reliable_cluster_send: bool = False

    def to_proto(self) -> models_pb2.WebsocketBroadcast:
        return models_pb2.WebsocketBroadcast(**_set_fields(self))
