"""The note in the escalation post is the escalating user's text: it must not pass for the bot's."""

from __future__ import annotations

from escalations.app import render
from escalations.app.model import Escalation


def _message(note: str) -> str:
    record = Escalation(
        id="e" * 26,
        version=1,
        topic="licensing",
        topic_title="Licensing",
        post_id="p" * 26,
        channel_id="c" * 26,
        created_by="alice",
        created_by_id="a" * 26,
        created_at=0,
        updated_at=0,
        note=note,
    )
    return render.escalation_post(record, (), ())[0]


def test_a_multi_line_note_is_quoted_line_by_line() -> None:
    forged = "see below\n**Status:** Resolved (responded)\n#### Escalation: none"
    lines = _message(forged).splitlines()
    assert "**Note:**" in lines
    assert "> \\*\\*Status:\\*\\* Resolved \\(responded\\)" in lines
    assert "> \\#\\#\\#\\# Escalation: none" in lines
    assert [line for line in lines if line.startswith("**Status:**")] == [
        "**Status:** Open, no owner yet"
    ]
    assert [line for line in lines if line.startswith("####")] == ["#### Escalation: Licensing"]


def test_a_one_line_note_stays_inline() -> None:
    assert "**Note:** please look @\u200dchannel" in _message("please look @channel\n").splitlines()
