"""The parts of redaction on their own, word for word: the normalised text and its map back to
what was typed, the linear matcher's offsets in characters, and how overlapping detections become
one item."""

from __future__ import annotations

import pytest

from escalations.app.domain.redaction import Redacted, redact_text
from escalations.app.domain.redaction.linear import compile_linear
from escalations.app.domain.redaction.normalise import normalise
from escalations.app.domain.redaction.spans import Label, Span, merge

# --- normalise: what a reader sees, and where each character came from


@pytest.mark.parametrize(
    ("typed", "text", "starts", "ends"),
    [
        ("abc", "abc", [0, 1, 2], [1, 2, 3]),
        ("", "", [], []),
        ("a&#64;b", "a@b", [0, 1, 6], [1, 6, 7]),
        ("&#x40;", "@", [0], [6]),
        ("A&lt;B", "A<B", [0, 1, 5], [1, 5, 6]),
        ("a\u200bb", "ab", [0, 2], [1, 3]),  # zero-width space: gone
        ("\u200bab", "ab", [1, 2], [2, 3]),  # also as the first character
        ("\u3164a\ufe0fb", "ab", [1, 3], [2, 4]),  # invisible, though not a format character
        ("\ufb01x", "fix", [0, 0, 1], [1, 1, 2]),  # one ligature, two letters, one origin
        ("\uff20", "@", [0], [1]),  # full-width
        ("a\\.b", "a.b", [0, 1, 3], [1, 3, 4]),  # a Markdown escape
        ("x&#92;.y", "x.y", [0, 1, 7], [1, 7, 8]),  # an entity that gives an escape
        ("&#8203;x", "x", [7], [8]),  # an entity that gives an invisible character
        ("&amp;#64;", "@", [0], [9]),  # two rounds
        ("&amp;amp;amp;#64;", "@", [0], [17]),  # four rounds: the most
        # five rounds would be needed: the undoing stops after four
        ("&amp;amp;amp;amp;#64;", "&#64;", [0, 17, 18, 19, 20], [17, 18, 19, 20, 21]),
        ("&bogus;", "&bogus;", list(range(7)), list(range(1, 8))),
        ("&#12345678;", "&#12345678;", list(range(11)), list(range(1, 12))),  # too many digits
        ("&#64", "&#64", [0, 1, 2, 3], [1, 2, 3, 4]),  # no semicolon
        ("\\a", "\\a", [0, 1], [1, 2]),  # only punctuation is escaped
        ("\\\\", "\\", [0], [2]),
    ],
)
def test_normalise(typed: str, text: str, starts: list[int], ends: list[int]) -> None:
    norm = normalise(typed)
    assert (norm.text, norm.starts, norm.ends) == (text, starts, ends)


def test_original_span_covers_what_a_normalised_span_came_from() -> None:
    norm = normalise("a&#64;b\\.c")
    assert norm.text == "a@b.c"
    assert norm.original_span(1, 2) == (1, 6)
    assert norm.original_span(0, 5) == (0, 10)
    assert norm.original_span(3, 4) == (7, 9)
    assert norm.original_span(2, 3) == (6, 7)


def test_redact_text_replaces_the_typed_characters_and_places_the_items() -> None:
    assert redact_text("a jane&#64;example.com b 10.0.0.1", frozenset()) == Redacted(
        "a [email] b [ip-address]", ((2, 9), (12, 24))
    )
    assert redact_text("", frozenset()) == Redacted("", ())
    assert redact_text("plain", frozenset()) == Redacted("plain", ())


def test_two_items_behind_one_typed_character_are_one_placeholder() -> None:
    # "½" reads as "1⁄2": the first address ends inside it and the second starts inside it, so
    # one placeholder stands for both, and nothing of the second is left behind
    assert redact_text("see 10.0.0.1\u00bd0.0.0.2 x", frozenset()) == Redacted(
        "see [ip-address] x", ((4, 16),)
    )
    assert redact_text("see 10.0.0.1&#189;0.0.0.2 x", frozenset()).text == "see [ip-address] x"
    # and the items after them are still replaced
    assert redact_text("10.0.0.1\u00bd0.0.0.2 and jane@example.com", frozenset()) == Redacted(
        "[ip-address] and [email]", ((0, 12), (17, 24))
    )


# --- the linear matcher


def test_finditer_gives_character_offsets() -> None:
    pattern = compile_linear("b")
    assert [(m.start(), m.end()) for m in pattern.finditer("abcb")] == [(1, 2), (3, 4)]
    accented = compile_linear("\u00e9")
    spans = [(m.start(), m.end()) for m in accented.finditer("a\u00e9b\u00e9")]
    assert spans == [(1, 2), (3, 4)]
    assert [m.group() for m in compile_linear("[a-z]+").finditer("ab \u4e2d cd")] == ["ab", "cd"]


def test_empty_matches_move_on_one_character() -> None:
    spans = [(m.start(), m.end()) for m in compile_linear("x*").finditer("a\u00e9\U0001f600")]
    assert spans == [(0, 0), (1, 1), (2, 2), (3, 3)]
    assert [(m.start(), m.end()) for m in compile_linear("x*").finditer("ab")] == [
        (0, 0),
        (1, 1),
        (2, 2),
    ]
    assert list(compile_linear("z").finditer("")) == []


def test_fullmatch_and_groups() -> None:
    pattern = compile_linear("(a)|(\u00e9)")
    match = pattern.fullmatch("\u00e9")
    assert match is not None
    assert (match.group(1), match.group(2), match.group()) == (None, "\u00e9", "\u00e9")
    assert (match.start(1), match.end(1), match.start(2), match.end(2)) == (-1, -1, 0, 1)
    assert (match.start(), match.end()) == (0, 1)
    assert pattern.fullmatch("a\u00e9") is None
    assert pattern.fullmatch("") is None
    ascii_match = compile_linear("(x)(y)?").fullmatch("x")
    assert ascii_match is not None
    assert (ascii_match.group(1), ascii_match.group(2), ascii_match.start(2)) == ("x", None, -1)


def test_a_pattern_is_compiled_on_first_use() -> None:
    pattern = compile_linear("(?<=a)b")  # look-behind: RE2 refuses it, but only when used
    with pytest.raises(Exception):  # noqa: B017, PT011  # the engine's own error type
        pattern.fullmatch("ab")
    reused = compile_linear("a+")
    assert reused.fullmatch("aa") is not None
    assert reused.fullmatch("aa") is not None


# --- merging detections


def test_merge_nothing_and_empty_spans() -> None:
    assert merge([]) == []
    assert merge([Span(3, 3, Label.EMAIL, True)]) == []


def test_merge_keeps_separate_items_in_order() -> None:
    a, b = Span(10, 12, Label.PHONE), Span(0, 5, Label.EMAIL)
    assert merge([a, b]) == [b, a]
    touching = [Span(0, 5, Label.EMAIL), Span(5, 9, Label.PHONE)]
    assert merge(touching) == touching


def test_overlapping_items_become_their_union_under_the_longest() -> None:
    merged = merge([Span(0, 10, Label.URL), Span(5, 20, Label.PHONE)])
    assert merged == [Span(0, 20, Label.PHONE, True)]
    merged = merge([Span(0, 10, Label.URL), Span(5, 12, Label.PHONE)])
    assert merged == [Span(0, 12, Label.URL, True)]


def test_the_longest_names_the_item_wherever_it_starts() -> None:
    assert merge([Span(10, 20, Label.URL), Span(15, 40, Label.PHONE)]) == [
        Span(10, 40, Label.PHONE, True)
    ]
    assert merge([Span(30, 40, Label.URL), Span(35, 41, Label.PHONE)]) == [
        Span(30, 41, Label.URL, True)
    ]


def test_an_item_inside_another_changes_nothing() -> None:
    outer = Span(0, 10, Label.URL)
    assert merge([Span(2, 5, Label.SECRET, True), outer]) == [outer]
    assert merge([Span(0, 5, Label.PHONE), outer]) == [outer]  # same start: the longer first


def test_same_length_overlaps_go_by_label_priority() -> None:
    assert merge([Span(0, 5, Label.PHONE), Span(0, 5, Label.SECRET)]) == [
        Span(0, 5, Label.SECRET, True)
    ]
    assert merge([Span(0, 5, Label.SECRET), Span(0, 5, Label.PHONE)]) == [Span(0, 5, Label.SECRET)]
    # a later, same-length but lower-priority overlap keeps the first label
    assert merge([Span(0, 6, Label.EMAIL), Span(2, 8, Label.DOMAIN)]) == [
        Span(0, 8, Label.EMAIL, True)
    ]
    assert merge([Span(0, 6, Label.DOMAIN), Span(2, 8, Label.EMAIL)]) == [
        Span(0, 8, Label.EMAIL, True)
    ]


def test_the_longest_of_a_chain_names_the_item() -> None:
    chain = [Span(0, 10, Label.DOMAIN), Span(5, 12, Label.PHONE), Span(11, 30, Label.URL)]
    assert merge(chain) == [Span(0, 30, Label.URL, True)]
    chain = [Span(0, 10, Label.DOMAIN), Span(5, 12, Label.PHONE), Span(11, 14, Label.URL)]
    assert merge(chain) == [Span(0, 14, Label.DOMAIN, True)]


def test_heuristic_items_inside_a_public_link_give_way() -> None:
    link = (4, 20)
    assert merge([Span(4, 20, Label.DOMAIN)], [link]) == []
    assert merge([Span(6, 10, Label.SECRET)], [link]) == []
    assert merge([Span(6, 10, Label.SECRET, True)], [link]) == [Span(6, 10, Label.SECRET, True)]
    assert merge([Span(2, 10, Label.PHONE)], [link]) == [Span(2, 10, Label.PHONE)]
    assert merge([Span(10, 21, Label.PHONE)], [link]) == [Span(10, 21, Label.PHONE)]
    assert merge([Span(0, 3, Label.PHONE)], [link]) == [Span(0, 3, Label.PHONE)]


def test_the_link_that_holds_an_item_is_found_among_many() -> None:
    links = [(30, 40), (0, 10), (15, 25)]
    assert merge([Span(16, 24, Label.DOMAIN)], links) == []
    assert merge([Span(31, 40, Label.DOMAIN)], links) == []
    assert merge([Span(1, 9, Label.DOMAIN)], links) == []
    assert merge([Span(11, 14, Label.DOMAIN)], links) == [Span(11, 14, Label.DOMAIN)]
    assert merge([Span(24, 31, Label.DOMAIN)], links) == [Span(24, 31, Label.DOMAIN)]
    assert merge([Span(41, 45, Label.DOMAIN)], links) == [Span(41, 45, Label.DOMAIN)]
