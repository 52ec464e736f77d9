"""Linear-time regular expressions: Google's RE2, typed, with a lean match loop.

RE2 runs every pattern in time linear in the text (no backtracking), whatever the pattern; the
price is no look-around and no back-references, so boundary checks that need them are made in code
on each match, looking at a bounded number of characters.

``google-re2``'s own ``finditer`` re-encodes offsets through Python dictionaries for every match
(about 30 µs each); a post can hold thousands of candidates, so matches are read here from the
compiled program directly, on the UTF-8 bytes encoded once per text, with one byte-to-character
table for non-ASCII text. The version is pinned (pyproject.toml, scripts/bundle.py) because this
loop uses the extension's ``Match`` entry point.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import lru_cache
from typing import Any

import re2  # type: ignore[import-untyped]  # google-re2 ships no type information

_UNANCHORED: Any = re2._Anchor.UNANCHORED
_ANCHOR_BOTH: Any = re2._Anchor.ANCHOR_BOTH
_NO_MATCH = -1


class Match:
    """One match: spans in characters of the text (``-1`` for a group that did not take part)."""

    __slots__ = ("_spans", "_text")

    def __init__(self, text: str, spans: list[tuple[int, int]]) -> None:
        self._text = text
        self._spans = spans

    def start(self, group: int = 0) -> int:
        return self._spans[group][0]

    def end(self, group: int = 0) -> int:
        return self._spans[group][1]

    def group(self, group: int = 0) -> str | None:
        start, end = self._spans[group]
        return None if start == _NO_MATCH else self._text[start:end]


class Pattern:
    """Compiled on first use, so that loading the plugin does not wait for every pattern."""

    def __init__(self, pattern: str) -> None:
        self._pattern = pattern
        self._compiled: Any = None

    @property
    def _program(self) -> Any:
        if self._compiled is None:  # two threads may both compile: the same program, no harm
            self._compiled = re2.compile(self._pattern)._regexp
        return self._compiled

    def finditer(self, text: str) -> Iterator[Match]:
        data, chars = _encoded(text)
        pos, end = 0, len(data)
        while pos <= end:
            spans = self._program.Match(_UNANCHORED, data, pos, end)
            first = spans[0]
            if first[0] == _NO_MATCH:
                return
            yield Match(text, _to_chars(spans, chars))
            pos = first[1] if first[1] > pos else _next_char(data, pos)

    def fullmatch(self, text: str) -> Match | None:
        data, chars = _encoded(text)
        spans = self._program.Match(_ANCHOR_BOTH, data, 0, len(data))
        return None if spans[0][0] == _NO_MATCH else Match(text, _to_chars(spans, chars))


def compile_linear(pattern: str) -> Pattern:
    """``pattern`` compiled by RE2 (a syntax RE2 lacks, such as look-behind, is an error here)."""
    return Pattern(pattern)


@lru_cache(maxsize=8)
def _encoded(text: str) -> tuple[bytes, tuple[int, ...] | None]:
    """The UTF-8 bytes of ``text`` and, unless it is ASCII, the character index of every byte
    offset (the detectors scan one text many times: encoded once)."""
    data = text.encode("utf-8")
    if len(data) == len(text):
        return data, None
    chars: list[int] = []
    for index, ch in enumerate(text):
        chars.extend([index] * len(ch.encode("utf-8")))
    chars.append(len(text))
    return data, tuple(chars)


def _to_chars(spans: list[tuple[int, int]], chars: tuple[int, ...] | None) -> list[tuple[int, int]]:
    if chars is None:
        return spans
    return [(s, e) if s == _NO_MATCH else (chars[s], chars[e]) for s, e in spans]


def _next_char(data: bytes, pos: int) -> int:
    """The byte offset after the character at ``pos`` (an empty match moves on by one)."""
    pos += 1
    while pos < len(data) and data[pos] & 0xC0 == 0x80:
        pos += 1
    return pos
