"""Conversions between emulator records and the generated protobuf messages.

Faithfulness rules (docs/protocol.md §9):

* Structs carry only doubles: every number in props/config/payloads comes back as a float.
* ``CreatePost``/``UpdatePost`` answers carry the props, but the message actions in them have no
  ``integration`` (the server strips it from what it hands back); ``GetPost`` keeps it
  (``api_post_answer``). ``SendEphemeralPost`` answers likewise lose ``integration`` and gain an
  opaque ``cookie`` (``ephemeral_answer``). Verified on Mattermost 11.4.0 through the bridge
  (``tests/runtime/test_api_contract.py``).
* The hook-side Post carries no props (§3.3) — ``hook_post``.
"""

from __future__ import annotations

from typing import Any

from google.protobuf import json_format, struct_pb2

from escalations.runtime.pb import common_pb2, models_pb2
from hostemu.errors import AppError
from hostemu.model import Bot, Channel, ChannelMember, Command, Post, Team, User

CHANNEL_TYPES_TO_PROTO = {
    "O": models_pb2.CHANNEL_TYPE_OPEN,
    "P": models_pb2.CHANNEL_TYPE_PRIVATE,
    "D": models_pb2.CHANNEL_TYPE_DIRECT,
    "G": models_pb2.CHANNEL_TYPE_GROUP,
}
CHANNEL_TYPES_FROM_PROTO = {v: k for k, v in CHANNEL_TYPES_TO_PROTO.items()}
TEAM_TYPES_TO_PROTO = {"O": models_pb2.TEAM_TYPE_OPEN, "I": models_pb2.TEAM_TYPE_INVITE}


def struct_to_dict(message: Any) -> dict[str, Any]:
    result: dict[str, Any] = json_format.MessageToDict(message)
    return result


def dict_to_struct(value: dict[str, Any] | None) -> Any:
    struct = struct_pb2.Struct()
    if value:
        struct.update(value)
    return struct


def message_to_dict(message: Any) -> dict[str, Any]:
    """A protobuf message as a dict with the proto field names (all fields present)."""
    result: dict[str, Any] = json_format.MessageToDict(
        message, preserving_proto_field_name=True, always_print_fields_with_no_presence=True
    )
    return result


def app_error_proto(err: AppError) -> Any:
    return common_pb2.AppError(
        id=err.id,
        message=err.message,
        detailed_error=err.detailed_error,
        status_code=err.status_code,
        where=err.where,
    )


# -- posts -------------------------------------------------------------------------------------
def post_from_proto(msg: Any) -> Post:
    return Post(
        id=msg.id,
        channel_id=msg.channel_id,
        user_id=msg.user_id,
        message=msg.message,
        root_id=msg.root_id,
        type=msg.type,
        props=struct_to_dict(msg.props) if msg.HasField("props") else {},
        create_at=msg.create_at,
        update_at=msg.update_at,
        edit_at=msg.edit_at,
        delete_at=msg.delete_at,
        is_pinned=msg.is_pinned,
        has_reactions=msg.has_reactions,
        file_ids=tuple(msg.file_ids),
        hashtags=msg.hashtags,
        original_id=msg.original_id,
        pending_post_id=msg.pending_post_id,
    )


def _post_fields(post: Post) -> dict[str, Any]:
    return {
        "id": post.id,
        "channel_id": post.channel_id,
        "user_id": post.user_id,
        "message": post.message,
        "root_id": post.root_id,
        "type": post.type,
        "create_at": post.create_at,
        "update_at": post.update_at,
        "edit_at": post.edit_at,
        "delete_at": post.delete_at,
        "is_pinned": post.is_pinned,
        "has_reactions": post.has_reactions,
        "file_ids": list(post.file_ids),
        "hashtags": post.hashtags,
        "original_id": post.original_id,
        "pending_post_id": post.pending_post_id,
        "reply_count": post.reply_count,
        "last_reply_at": post.last_reply_at,
    }


def post_to_proto(post: Post) -> Any:
    return models_pb2.Post(props=dict_to_struct(post.props), **_post_fields(post))


def _strip_integrations(props: dict[str, Any], cookie: bool = False) -> dict[str, Any]:
    """``props`` with each attachment action's ``integration`` removed (and a ``cookie`` added)."""
    out = dict(props)
    attachments = out.get("attachments")
    if not isinstance(attachments, list):
        return out
    fixed = []
    for attachment in attachments:
        if isinstance(attachment, dict) and isinstance(attachment.get("actions"), list):
            actions = []
            for action in attachment["actions"]:
                if isinstance(action, dict):
                    action = {k: v for k, v in action.items() if k != "integration"}
                    if cookie:
                        action["cookie"] = "hostemu-cookie-" + str(action.get("id", ""))
                actions.append(action)
            attachment = {**attachment, "actions": actions}
        fixed.append(attachment)
    out["attachments"] = fixed
    return out


def api_post_answer(post: Post) -> Any:
    """A Create/UpdatePost answer: props kept, action ``integration`` stripped."""
    return models_pb2.Post(
        props=dict_to_struct(_strip_integrations(post.props)), **_post_fields(post)
    )


def ephemeral_answer(post: Post) -> Any:
    """A SendEphemeralPost answer: action ``integration`` replaced by an opaque ``cookie``."""
    props = _strip_integrations(post.props, cookie=True)
    return models_pb2.Post(props=dict_to_struct(props), **_post_fields(post))


def hook_post(post: Post) -> Any:
    """The hook-side Post: no props, no metadata (§3.3)."""
    return models_pb2.Post(**_post_fields(post))


def post_from_json(data: dict[str, Any]) -> Post:
    """A Post from an integration's JSON answer (``PostActionIntegrationResponse.update``)."""
    props = data.get("props")
    return Post(
        id=str(data.get("id") or ""),
        channel_id=str(data.get("channel_id") or ""),
        user_id=str(data.get("user_id") or ""),
        message=str(data.get("message") or ""),
        root_id=str(data.get("root_id") or ""),
        type=str(data.get("type") or ""),
        props=props if isinstance(props, dict) else {},
        is_pinned=bool(data.get("is_pinned")),
        file_ids=tuple(data.get("file_ids") or ()),
    )


# -- directory ---------------------------------------------------------------------------------
def user_to_proto(user: User) -> Any:
    return models_pb2.User(
        id=user.id,
        username=user.username,
        email=user.email,
        first_name=user.first_name,
        last_name=user.last_name,
        nickname=user.nickname,
        position=user.position,
        roles=user.roles,
        locale=user.locale,
        is_bot=user.is_bot,
        bot_description=user.bot_description,
        create_at=user.create_at,
        update_at=user.update_at,
        delete_at=user.delete_at,
    )


def team_to_proto(team: Team) -> Any:
    return models_pb2.Team(
        id=team.id,
        name=team.name,
        display_name=team.display_name,
        type=TEAM_TYPES_TO_PROTO.get(team.type, models_pb2.TEAM_TYPE_UNSPECIFIED),
        description=team.description,
        email=team.email,
        allow_open_invite=team.allow_open_invite,
        create_at=team.create_at,
        update_at=team.update_at,
        delete_at=team.delete_at,
    )


def channel_to_proto(channel: Channel) -> Any:
    return models_pb2.Channel(
        id=channel.id,
        team_id=channel.team_id,
        type=CHANNEL_TYPES_TO_PROTO.get(channel.type, models_pb2.CHANNEL_TYPE_UNSPECIFIED),
        name=channel.name,
        display_name=channel.display_name,
        header=channel.header,
        purpose=channel.purpose,
        creator_id=channel.creator_id,
        create_at=channel.create_at,
        update_at=channel.update_at,
        delete_at=channel.delete_at,
        last_post_at=channel.last_post_at,
        total_msg_count=channel.total_msg_count,
        props=dict_to_struct(channel.props),
    )


def channel_from_proto(msg: Any) -> Channel:
    return Channel(
        id=msg.id,
        team_id=msg.team_id,
        type=CHANNEL_TYPES_FROM_PROTO.get(msg.type, ""),
        name=msg.name,
        display_name=msg.display_name,
        header=msg.header,
        purpose=msg.purpose,
        creator_id=msg.creator_id,
        props=struct_to_dict(msg.props) if msg.HasField("props") else {},
    )


def member_to_proto(member: ChannelMember) -> Any:
    return models_pb2.ChannelMember(
        channel_id=member.channel_id,
        user_id=member.user_id,
        roles=member.roles,
        last_viewed_at=member.last_viewed_at,
        msg_count=member.msg_count,
        mention_count=member.mention_count,
        last_update_at=member.last_update_at,
        scheme_user=member.scheme_user,
        scheme_admin=member.scheme_admin,
        notify_props=member.notify_props,
    )


def bot_from_proto(msg: Any) -> Bot:
    return Bot(
        user_id=msg.user_id,
        username=msg.username,
        display_name=msg.display_name,
        description=msg.description,
        owner_id=msg.owner_id,
    )


def command_from_proto(msg: Any) -> Command:
    return Command(
        trigger=msg.trigger,
        team_id=msg.team_id,
        display_name=msg.display_name,
        description=msg.description,
        auto_complete=msg.auto_complete,
        auto_complete_desc=msg.auto_complete_desc,
        auto_complete_hint=msg.auto_complete_hint,
        icon_url=msg.icon_url,
        username=msg.username,
        url=msg.url,
        method=msg.method,
    )


def value_to_python(value: Any) -> Any:
    return json_format.MessageToDict(value)
