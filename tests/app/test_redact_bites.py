"""The edges of ``redact``: the input bound, the cut and its ellipsis, the count of removed items,
the note, the line that tells the escalator what was removed, and the allow-list setting.
In-process, word for word (the emulator suites reach the same code through the plugin process)."""

from __future__ import annotations

import pytest

from escalations.app.domain.redact import (
    DEFAULT_PUBLIC_DOMAINS,
    MAX_INPUT_CHARS,
    Redaction,
    parse_public_domains,
    redact,
    redact_counted,
    redact_note,
    removal_summary,
)

MAIL = "jane@example.com"
NOTHING = "Redaction: no personal data or secrets found"


def test_nothing_to_quote() -> None:
    assert redact_counted("", 10) == Redaction("", 0)
    assert redact_counted(MAIL, 0) == Redaction("", 0)
    assert redact_counted(MAIL, -1) == Redaction("", 0)


def test_a_text_that_fits_is_whole_and_counted() -> None:
    text = f"{MAIL} and 10.0.0.1"
    assert redact_counted(text, 500) == Redaction("[email] and [ip-address]", 2)
    exact = "[email] and [ip-address]"
    assert redact_counted(text, len(exact)) == Redaction(exact, 2)  # no ellipsis at the limit
    assert redact_counted("nothing here", 500) == Redaction("nothing here", 0)


def test_the_cut_keeps_one_character_for_the_ellipsis() -> None:
    assert redact_counted("abcdef", 5) == Redaction("abcd…", 0)
    assert redact_counted("abcdef", 1) == Redaction("…", 0)
    assert redact_counted("ab cdef", 4) == Redaction("ab…", 0)  # spaces before the cut go


def test_the_cut_never_splits_a_placeholder() -> None:
    # "[email] x [ip-address]": the second placeholder spans 10..22
    text = f"{MAIL} x 10.0.0.1"
    assert redact_counted(text, 12) == Redaction("[email] x…", 1)
    # a cut right at the start of a placeholder keeps what is before it
    assert redact_counted(text, 11) == Redaction("[email] x…", 1)
    # a cut right after a placeholder keeps it whole
    assert redact_counted(f"{MAIL} abc", 8) == Redaction("[email]…", 1)
    # a cut inside the first placeholder leaves nothing of it
    assert redact_counted(f"{MAIL} tail", 5) == Redaction("…", 0)


def test_only_the_placeholders_kept_are_counted() -> None:
    text = f"{MAIL} {MAIL} {MAIL}"
    assert redact_counted(text, 17) == Redaction("[email] [email]…", 2)  # the space goes
    assert redact_counted(text, 16) == Redaction("[email] [email]…", 2)
    assert redact_counted(text, 15) == Redaction("[email]…", 1)


def test_input_beyond_the_bound_is_dropped_before_detection() -> None:
    head = "a " * (MAX_INPUT_CHARS // 2)
    assert len(head) == MAX_INPUT_CHARS
    out = redact_counted(head + "zz", 10 * MAX_INPUT_CHARS)
    assert out == Redaction(head, 0)
    # an address that starts inside the bound and ends beyond it is read only up to it
    tail = "a" * (MAX_INPUT_CHARS - 4) + " 10.0.0.1"
    assert redact_counted(tail, 10 * MAX_INPUT_CHARS).text == tail[:MAX_INPUT_CHARS]


def test_the_note_is_never_cut() -> None:
    note = ("word " * 3000) + MAIL
    out = redact_note(note)
    assert out == Redaction(("word " * 3000) + "[email]", 1)
    assert redact_note("") == Redaction("", 0)
    assert redact_note("github.com/x and evil.example.com", frozenset({"evil.example.com"})) == (
        Redaction("[url] and evil.example.com", 1)
    )


def test_redact_uses_the_default_allow_list_and_the_one_given() -> None:
    assert redact("see github.com/mattermost", 100) == "see github.com/mattermost"
    assert redact("see github.com/mattermost", 100, frozenset()) == "see [url]"
    assert redact("see acme.org/x", 100, frozenset({"acme.org"})) == "see acme.org/x"
    assert redact("see acme.org/x", 5) == "see…"


@pytest.mark.parametrize(
    ("excerpt", "note", "source", "line"),
    [
        (0, 0, "excerpt", f"{NOTHING} in the excerpt or the note."),
        (0, 0, "summary", f"{NOTHING} in the summary or the note."),
        (1, 0, "excerpt", "Redaction: removed 1 item from the excerpt and 0 items from the note."),
        (0, 1, "summary", "Redaction: removed 0 items from the summary and 1 item from the note."),
        (2, 3, "excerpt", "Redaction: removed 2 items from the excerpt and 3 items from the note."),
    ],
)
def test_removal_summary(excerpt: int, note: int, source: str, line: str) -> None:
    assert removal_summary(excerpt, note, source) == line


def test_removal_summary_names_the_excerpt_by_default() -> None:
    assert removal_summary(0, 0).endswith("in the excerpt or the note.")


@pytest.mark.parametrize(
    ("setting", "hosts"),
    [
        ("github.com, x.com", {"github.com", "x.com"}),
        ("github.com\nx.com  forum.acme.org", {"github.com", "x.com", "forum.acme.org"}),
        ("HTTPS://GitHub.com/", {"github.com"}),
        ("http://acme.org/path/more", {"acme.org"}),
        ("*.acme.org", {"acme.org"}),
        ("acme.org.", {"acme.org"}),
        ("  acme.org  ", {"acme.org"}),
        ("my-site.acme.org", {"my-site.acme.org"}),
        ("a1.b2", {"a1.b2"}),
        (["GitHub.com", "x.com"], {"github.com", "x.com"}),
        ("", set()),
        ("localhost", set()),  # one label: not a host name on the internet
        ("-acme.org", set()),  # a label never starts with a dash
        ("acme..org", set()),  # no empty label
        ("acme.org:8065", set()),
        ("ac_me.org", set()),
        ("ac me.org", {"me.org"}),  # the space separates two entries; "ac" is one label
        ("a" * 63 + ".org", {"a" * 63 + ".org"}),
        ("a" * 64 + ".org", set()),  # a label has at most 63 characters
        ("acme-.org", {"acme-.org"}),
    ],
)
def test_parse_public_domains(setting: str | list[str], hosts: set[str]) -> None:
    assert parse_public_domains(setting) == frozenset(hosts)


def test_the_default_allow_list() -> None:
    assert parse_public_domains(",".join(sorted(DEFAULT_PUBLIC_DOMAINS))) == DEFAULT_PUBLIC_DOMAINS
    assert "github.com" in DEFAULT_PUBLIC_DOMAINS
