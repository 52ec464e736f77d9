"""Linear-time regular expressions: Google's RE2, typed.

RE2 runs every pattern in time linear in the text (no backtracking), whatever the pattern; the
price is no look-around and no back-references, so boundary checks that need them are made in code
on each match, looking at a bounded number of characters.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Protocol, cast

import re2  # type: ignore[import-untyped]


class Match(Protocol):
    def start(self, group: int = 0) -> int: ...

    def end(self, group: int = 0) -> int: ...

    def group(self, group: int = 0) -> str | None: ...


class Pattern(Protocol):
    def finditer(self, text: str) -> Iterator[Match]: ...

    def fullmatch(self, text: str) -> Match | None: ...


def compile_linear(pattern: str) -> Pattern:
    """``pattern`` compiled by RE2 (a syntax RE2 lacks, such as look-behind, is an error here)."""
    return cast(Pattern, re2.compile(pattern))
