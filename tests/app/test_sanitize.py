"""User text in the bot's post can only read as that user's text (``sanitize``, via ``render``)."""

from __future__ import annotations

import re

import pytest

from escalations.app.domain import sanitize
from escalations.app.domain.model import Escalation
from escalations.app.views import render

BREAKS = ["\r", "\r\n", "\x0b", "\x0c", "\x1c", "\x1d", "\x1e", "\x85", "\u2028", "\u2029"]
BREAKS += ["\u2424"]
# What the bot's own first line looks like once resolved (``render``'s headline).
FORGED = "**Licensing** · Resolved · Owner: `@ian.tien`"


def _post(note: str = "", excerpt: str = "", source: str = "~town-square") -> str:
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
        source_channel=source,
    )
    return render.escalation_post(record, ())[0]


def _bot_lines(message: str) -> list[str]:
    """Lines as Mattermost splits them (any of CR, LF, LS, PS, NEL), quotes left out."""
    return [ln for ln in re.split(r"\r\n|[\r\n\x0b\x0c\x85\u2028\u2029\u2424]", message)
            if not ln.startswith(">")]  # fmt: skip


@pytest.mark.parametrize("brk", BREAKS)
def test_no_line_break_kind_lets_a_note_or_excerpt_add_a_status_line(brk: str) -> None:
    for field in ("note", "excerpt"):
        clean = _bot_lines(_post(**{field: "fine"}))
        message = _post(**{field: f"fine{brk}{FORGED}"})
        shown = _bot_lines(message)
        headlines = [ln for ln in shown if ln.startswith("**Licensing** ·")]
        assert headlines == ["**Licensing** · Open · Owner: nobody yet"], (brk, message)
        assert len(shown) == len(clean), (brk, message)  # no line of its own


@pytest.mark.parametrize("brk", BREAKS)
def test_every_break_kind_becomes_one_newline(brk: str) -> None:
    assert sanitize.lines(f"one{brk}two") == ["one", "two"]


def test_markdown_images_links_and_autolinks_are_neutralised() -> None:
    text = "look ![pixel](https://t.example/p.png) [here](http://evil.example) www.evil.example"
    out = sanitize.user_text(text)
    assert not re.search(r"(?<!\\)!\[", out) and "](" not in out
    assert "://" not in out and "www." not in out
    assert "\\!" in out and "\\(" in out


def test_headings_bold_code_and_tables_are_escaped() -> None:
    out = sanitize.lines(
        "#### Escalation: fake\n**bold** `code` | a | b |\n> nested\n[r]: http://x"
    )
    assert out[0].startswith("\\#\\#\\#\\#")
    assert "\\*\\*bold\\*\\*" in out[1] and "\\`code\\`" in out[1] and "\\|" in out[1]
    assert out[2].startswith("\\>") and out[3].startswith("\\[")


def test_controls_and_bidi_overrides_are_dropped() -> None:
    assert sanitize.user_text("a\x00b\u202ec\u2066d\ufeffe\x7f") == "abcde"


def test_mentions_are_defused() -> None:
    assert "@\u200dchannel" in sanitize.user_text("@channel")
    assert "@\u200dchannel" in sanitize.name("Ops @channel")


def test_names_are_one_escaped_line() -> None:
    name = sanitize.name("Team **X**\r**Status:** Resolved\u2028[a](http://b)")
    assert "\n" not in name and "\r" not in name and "\u2028" not in name
    assert "**" not in name and "](" not in name


def test_placeholders_of_the_redaction_read_as_they_are() -> None:
    assert sanitize.user_text("mail [email] at [ip-address]") == "mail [email] at [ip-address]"


def test_every_excerpt_line_is_inside_the_quote() -> None:
    message = _post(excerpt="first\u2028second\r\nthird\u2424# heading")
    quoted = [ln for ln in re.split(r"\r\n|[\r\n\u2028\u2424]", message) if "first" in ln]
    assert quoted == ["> first second third \\# heading"]


def test_kept_links_stay_whole_and_everything_around_them_is_safe() -> None:
    thread = "https://github.com/mattermost/mattermost/issues/12345#issue-1"
    out = sanitize.user_text(f"see {thread} **now** ![x](https://t.example/p.png)", keep_links=True)
    assert thread in out and "\\*\\*now\\*\\*" in out
    assert "](" not in out and not re.search(r"(?<!\\)!\[", out)  # the image cannot render
    assert sanitize.user_text(f"see {thread}").count(thread) == 0  # by default links break


def test_a_kept_link_cannot_carry_a_mention_or_markdown() -> None:
    out = sanitize.user_text("https://x.com/@channel and https://a.org/**b**", keep_links=True)
    assert "@channel" not in out and "**" not in out
