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
import unicodedata
from dataclasses import dataclass

from .linear import compile_linear

# Characters that render as nothing but are not in the Unicode "format" category.
_INVISIBLE = frozenset("\u034f\u115f\u1160\u17b4\u17b5\u180e\u3164\uffa0") | frozenset(
    chr(c) for c in range(0xFE00, 0xFE10)
)
_MARKDOWN_ESCAPABLE = frozenset("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~")
# Named, decimal and hexadecimal character references; bounded, so each is a few characters.
_ENTITY_RE = compile_linear(r"&(?:#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});")


@dataclass(frozen=True)
class Normalised:
    """``text`` with, for each of its characters, the original span ``[starts[i], ends[i])``."""

    text: str
    starts: tuple[int, ...]
    ends: tuple[int, ...]

    def original_span(self, start: int, end: int) -> tuple[int, int]:
        """The original characters behind normalised ``text[start:end]`` (``end > start``)."""
        return self.starts[start], self.ends[end - 1]


def normalise(original: str) -> Normalised:
    entities = {m.start(): m.end() for m in _ENTITY_RE.finditer(original)}
    out: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    i, n = 0, len(original)
    while i < n:
        ch, j = original[i], i + 1
        if ch == "\\" and j < n and original[j] in _MARKDOWN_ESCAPABLE:
            ch, j = original[j], j + 1
        elif ch == "&" and i in entities:
            j = entities[i]
            ch = html.unescape(original[i:j])
        for piece in _visible(ch):
            out.append(piece)
            starts.append(i)
            ends.append(j)
        i = j
    return Normalised("".join(out), tuple(starts), tuple(ends))


def _visible(text: str) -> str:
    """``text`` in NFKC form without invisible characters (ASCII passes through untouched)."""
    if text.isascii():
        return text
    folded = unicodedata.normalize("NFKC", text)
    return "".join(
        c for c in folded if c not in _INVISIBLE and unicodedata.category(c) != "Cf"
    )
