"""Model records <-> proto conversion, Struct float rule, channel/team type letters."""

from __future__ import annotations

import pytest

from escalations.runtime.models import (
    Bot,
    Channel,
    Command,
    CommandResponse,
    Dialog,
    DialogElement,
    DialogElementOption,
    Post,
    PostList,
    Team,
    User,
    WebsocketBroadcast,
    as_int,
    dict_to_struct,
    struct_to_dict,
)
from escalations.runtime.pb import models_pb2


def test_post_round_trip_props_numbers_become_floats() -> None:
    post = Post(
        channel_id="c1",
        user_id="bot",
        message="hello",
        props={
            "attachments": [
                {
                    "text": "x",
                    "actions": [
                        {"id": "claim", "integration": {"url": "/plugins/p/a", "context": {"n": 3}}}
                    ],
                }
            ],
            "flag": True,
            "none": None,
        },
        file_ids=("f1",),
    )
    back = Post.from_proto(post.to_proto())
    assert back.message == "hello" and back.file_ids == ("f1",)
    ctx = back.props["attachments"][0]["actions"][0]["integration"]["context"]
    assert ctx == {"n": 3.0} and isinstance(ctx["n"], float)
    assert back.props["flag"] is True and back.props["none"] is None


def test_hook_side_post_without_props_is_empty_dict() -> None:
    assert Post.from_proto(models_pb2.Post(id="p")).props == {}


def test_post_list_order() -> None:
    pl = models_pb2.PostList(order=["b", "a", "zz"])
    pl.posts["a"].CopyFrom(models_pb2.Post(id="a"))
    pl.posts["b"].CopyFrom(models_pb2.Post(id="b"))
    result = PostList.from_proto(pl)
    assert [p.id for p in result.ordered()] == ["b", "a"]


@pytest.mark.parametrize(("letter", "number"), [("O", 1), ("P", 2), ("D", 3), ("G", 4)])
def test_channel_type_letters(letter: str, number: int) -> None:
    proto = Channel(name="x", type=letter, props={"k": "v"}).to_proto()
    assert proto.type == number
    back = Channel.from_proto(proto)
    assert back.type == letter and back.props == {"k": "v"}


def test_team_types() -> None:
    assert Team.from_proto(models_pb2.Team(type=models_pb2.TEAM_TYPE_INVITE, name="t")).type == "I"
    assert Team(name="t", type="O").to_proto().type == 1


def test_user_helpers() -> None:
    user = User.from_proto(
        models_pb2.User(id="u", username="al", first_name="Al", last_name="Bo", delete_at=5)
    )
    assert user.full_name == "Al Bo" and not user.is_active


def test_command_bot_dialog_to_proto() -> None:
    cmd = Command(trigger="escalation", auto_complete=True, auto_complete_desc="d").to_proto()
    assert (cmd.trigger, cmd.auto_complete) == ("escalation", True)
    assert Bot.from_proto(Bot(username="b", display_name="B").to_proto()).username == "b"
    dialog = Dialog(
        callback_id="cb",
        title="T",
        elements=(
            DialogElement(
                name="topic",
                display_name="Topic",
                type="select",
                options=(DialogElementOption("A", "a"),),
            ),
        ),
    )
    proto = dialog.to_proto()
    assert proto.elements[0].options[0].value == "a"
    assert Dialog.from_proto(proto) == dialog


def test_command_response_and_broadcast() -> None:
    resp = CommandResponse.in_channel("hi").to_proto()
    assert (resp.response_type, resp.text) == ("in_channel", "hi")
    assert not resp.HasField("props")
    assert CommandResponse.from_proto(resp).text == "hi"
    b = WebsocketBroadcast(user_id="u", omit_users=("x",)).to_proto()
    assert list(b.omit_users) == ["x"]


def test_struct_helpers() -> None:
    s = dict_to_struct({"a": (1, 2), "b": {"c": "d"}})
    assert struct_to_dict(s) == {"a": [1.0, 2.0], "b": {"c": "d"}}
    with pytest.raises(TypeError):
        dict_to_struct({"x": object()})
    assert [as_int(v) for v in (500.0, "12", "x", None, True, 3)] == [500, 12, 0, 0, 0, 3]
