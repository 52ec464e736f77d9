"""Detected items as spans of the normalised text, and how overlapping ones become one item."""

from __future__ import annotations

import bisect
from collections.abc import Iterable
from enum import Enum
from typing import NamedTuple


class Label(str, Enum):
    """The placeholder that replaces an item in the excerpt; the order is the priority when two
    detections of the same length overlap."""

    SECRET = "[secret]"
    EMAIL = "[email]"
    URL = "[url]"
    IP_ADDRESS = "[ip-address]"
    CARD = "[card-number]"
    IBAN = "[iban]"
    SSN = "[ssn]"
    PHONE = "[phone]"
    DOMAIN = "[domain]"


_PRIORITY = {label: rank for rank, label in enumerate(Label)}


class Span(NamedTuple):
    start: int
    end: int
    label: Label
    # Heuristic detections (a long mixed-case run, a domain, a number) give way to a public link
    # that covers them; a certain one (an e-mail, a named or well-known credential) never does.
    certain: bool = False


def merge(spans: Iterable[Span], public: Iterable[tuple[int, int]] = ()) -> list[Span]:
    """One span per item: overlapping detections become their union under the label of the
    longest; heuristic detections inside a public link are dropped."""
    kept_links = sorted(public)
    candidates = sorted(
        (s for s in spans if s.end > s.start and (s.certain or not _inside(s, kept_links))),
        key=lambda s: (s.start, -s.end),
    )
    merged: list[Span] = []
    best: Span | None = None
    for span in candidates:
        if merged and span.start < merged[-1].end:
            assert best is not None
            if _better(span, best):
                best = span
            last = merged[-1]
            if span.end > last.end or best.label != last.label:
                merged[-1] = Span(last.start, max(last.end, span.end), best.label, True)
            continue
        best = span
        merged.append(span)
    return merged


def _better(a: Span, b: Span) -> bool:
    la, lb = a.end - a.start, b.end - b.start
    return la > lb or (la == lb and _PRIORITY[a.label] < _PRIORITY[b.label])


def _inside(span: Span, links: list[tuple[int, int]]) -> bool:
    # Links never overlap (one scan finds them): only the last one starting at or before the
    # span can hold it.
    at = bisect.bisect_right(links, span.start, key=lambda link: link[0]) - 1
    return at >= 0 and links[at][0] <= span.start and span.end <= links[at][1]
