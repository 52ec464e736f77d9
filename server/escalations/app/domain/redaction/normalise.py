"""The text as a reader sees it, with a map back to the characters that were typed.

Detection runs on the normalised text, so that what the renderer hides or rewrites cannot split an
item. First every character is brought to its NFKC compatibility form (full-width ``＠`` is ``@``)
and invisible format characters (zero-width space and joiners, soft hyphen, bidirectional marks)
are dropped; then HTML character references (``&#64;``) and Markdown backslash escapes
(``10\\.1\\.2\\.3``) are undone. Invisible characters go first, so that one slipped between a
backslash and the character it escapes, or into an entity, does not hide the escape; the undoing
is repeated while it still changes something (an entity may give a backslash or an invisible
character), at most a few rounds. Each normalised character remembers the span of the original it
came from, so a detected item replaces exactly the original characters and the rest of the excerpt
stays as typed. Every pass does constant work per character, and the passes are few: linear time.
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache

# Characters that render as nothing but are not in the Unicode "format" category.
_INVISIBLE = frozenset("\u034f\u115f\u1160\u17b4\u17b5\u180e\u3164\uffa0") | frozenset(
    chr(c) for c in range(0xFE00, 0xFE10)
)
# Python's engine, on purpose, for these: single character classes, and an anchored match of at
# most 42 characters, cannot backtrack (constant work per character).
_NON_ASCII_RE = re.compile(r"[^\x00-\x7f]")
_ENTITY_RE = re.compile(r"&(?:#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});")
# A backslash before ASCII punctuation (CommonMark's escapable characters).
_ESCAPE_RE = re.compile(r"\\[!-/:-@\[-`{-~]")
# Entities and escapes are undone again while a round changes something (``&amp;#64;``,
# ``&#92;.``), at most this many rounds.
_MAX_ROUNDS = 4

_Edit = tuple[int, int, str]  # text[start:end] becomes the string


@dataclass(frozen=True)
class Normalised:
    """``text`` with, for each of its characters, the original span ``[starts[i], ends[i])``."""

    text: str
    starts: list[int]
    ends: list[int]

    def original_span(self, start: int, end: int) -> tuple[int, int]:
        """The original characters behind normalised ``text[start:end]`` (``end > start``)."""
        return self.starts[start], self.ends[end - 1]


def normalise(original: str) -> Normalised:
    norm = Normalised(original, list(range(len(original))), list(range(1, len(original) + 1)))
    norm = _apply(norm, _folded(norm.text)) or norm
    for _ in range(_MAX_ROUNDS):
        changed = False
        for edits in (_entities, _escapes):
            after = _apply(norm, edits(norm.text))
            if after is not None:
                norm, changed = after, True
        if not changed:
            break
    return norm


def _folded(text: str) -> Iterator[_Edit]:
    """Non-ASCII characters in NFKC form, invisible ones dropped (ASCII is left as it is)."""
    if text.isascii():
        return
    for m in _NON_ASCII_RE.finditer(text):
        i = m.start()
        visible = _visible(text[i])
        if visible != text[i]:
            yield i, i + 1, visible


def _entities(text: str) -> Iterator[_Edit]:
    if "&" not in text:
        return
    for m in _ENTITY_RE.finditer(text):
        decoded = _visible(html.unescape(m.group()))
        if decoded != m.group():
            yield m.start(), m.end(), decoded


def _escapes(text: str) -> Iterator[_Edit]:
    if "\\" not in text:
        return
    for m in _ESCAPE_RE.finditer(text):
        yield m.start(), m.end(), text[m.start() + 1]


def _apply(norm: Normalised, edits: Iterable[_Edit]) -> Normalised | None:
    """``norm`` with the edits (in order, not overlapping, each a change) made; ``None`` if there
    are none. A replacement's characters all map to the original span of what they replace."""
    text, starts, ends = norm.text, norm.starts, norm.ends
    out: list[str] = []
    new_starts: list[int] = []
    new_ends: list[int] = []
    add_text, add_starts, add_ends = out.append, new_starts.extend, new_ends.extend
    pos = 0
    for i, j, replacement in edits:
        if i > pos:
            add_text(text[pos:i])
            add_starts(starts[pos:i])
            add_ends(ends[pos:i])
        if replacement:
            add_text(replacement)
            add_starts((starts[i],) * len(replacement))
            add_ends((ends[j - 1],) * len(replacement))
        pos = j
    if pos == 0 and not out:
        return None
    add_text(text[pos:])
    add_starts(starts[pos:])
    add_ends(ends[pos:])
    return Normalised("".join(out), new_starts, new_ends)


@lru_cache(maxsize=4096)
def _visible(text: str) -> str:
    """``text`` in NFKC form without invisible characters (ASCII passes through untouched)."""
    if text.isascii():
        return text
    folded = unicodedata.normalize("NFKC", text)
    return "".join(c for c in folded if c not in _INVISIBLE and unicodedata.category(c) != "Cf")
