"""The text as a reader sees it, with a map back to the characters that were typed.

Detection runs on the normalised text, so that what the renderer hides or rewrites cannot split an
item: invisible format characters (zero-width space and joiners, soft hyphen, bidirectional marks)
are dropped, Markdown backslash escapes (``10\\.1\\.2\\.3``) and HTML character references
(``&#64;``) are undone, and every character is brought to its NFKC compatibility form (full-width
``＠`` is ``@``). Each normalised character remembers the span of the original it came from, so a
detected item replaces exactly the original characters and the rest of the excerpt stays as typed.
One pass, constant work per character.
"""

from __future__ import annotations

import html
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

# Characters that render as nothing but are not in the Unicode "format" category.
_INVISIBLE = frozenset("\u034f\u115f\u1160\u17b4\u17b5\u180e\u3164\uffa0") | frozenset(
    chr(c) for c in range(0xFE00, 0xFE10)
)
_MARKDOWN_ESCAPABLE = frozenset("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~")
# Python's engine, on purpose, for these two: a single character class, and an anchored match of
# at most 42 characters, cannot backtrack (constant work per character).
_SPECIAL_RE = re.compile(r"[\\&\x80-\U0010ffff]")
_ENTITY_RE = re.compile(r"&(?:#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});")


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
    out: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    pos, n = 0, len(original)
    while pos < n:
        special = _SPECIAL_RE.search(original, pos)
        plain_end = special.start() if special else n
        if plain_end > pos:  # plain ASCII: copied as one piece
            out.append(original[pos:plain_end])
            starts.extend(range(pos, plain_end))
            ends.extend(range(pos + 1, plain_end + 1))
        if special is None:
            break
        i = special.start()
        text, j = _decode_at(original, i)
        for ch in text:
            out.append(ch)
            starts.append(i)
            ends.append(j)
        pos = j
    return Normalised("".join(out), starts, ends)


def _decode_at(original: str, i: int) -> tuple[str, int]:
    """What the character(s) starting at ``i`` show, and where the next ones start."""
    ch = original[i]
    if ch == "\\":
        following = original[i + 1 : i + 2]
        if following and following in _MARKDOWN_ESCAPABLE:
            return _visible(following), i + 2
        return ch, i + 1
    if ch == "&":
        entity = _ENTITY_RE.match(original, i)
        if entity is None:
            return ch, i + 1
        return _visible(html.unescape(entity.group())), entity.end()
    return _visible(ch), i + 1


@lru_cache(maxsize=4096)
def _visible(text: str) -> str:
    """``text`` in NFKC form without invisible characters (ASCII passes through untouched)."""
    if text.isascii():
        return text
    folded = unicodedata.normalize("NFKC", text)
    return "".join(c for c in folded if c not in _INVISIBLE and unicodedata.category(c) != "Cf")
