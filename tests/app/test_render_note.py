"""Text someone else wrote (the note, the excerpt) must not pass for the bot's own lines."""

from __future__ import annotations

from escalations.app.domain.model import Escalation
from escalations.app.views import render
from post_reading import OPEN_POST_MAX_LINES, headline, labelled, lines


def _message(note: str = "", excerpt: str = "") -> str:
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
        excerpt=excerpt,
    )
    return render.escalation_post(record, ())[0]


def test_a_multi_line_note_stays_on_its_own_line() -> None:
    forged = "see below\n**Responders:** @everyone\n**Licensing** · Resolved\u2028#### Escalation"
    message = _message(forged)
    assert labelled(message, "Note") == (
        "see below \\*\\*Responders:\\*\\* @\u200deveryone \\*\\*Licensing\\*\\* · Resolved "
        "\\#\\#\\#\\# Escalation"
    )
    assert headline(message) == "**Licensing** · Open · Owner: nobody yet"
    assert [line for line in lines(message) if line.startswith("**Responders:**")] == [
        "**Responders:** nobody who can be mentioned"
    ]
    assert len(lines(message)) <= OPEN_POST_MAX_LINES


def test_a_multi_line_excerpt_is_one_quoted_line() -> None:
    message = _message(excerpt="first\n\n> nested\n# heading @channel")
    quoted = [line for line in lines(message) if line.startswith(">")]
    assert quoted == ["> first \\> nested \\# heading @\u200dchannel"]
    # a blank line ends the quote, so the next line is not pulled into it
    assert lines(message)[lines(message).index(quoted[0]) + 1] == ""


def test_a_one_line_note_stays_inline() -> None:
    assert labelled(_message("please look @channel\n"), "Note") == "please look @\u200dchannel"
