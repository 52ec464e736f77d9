"""Redaction of personal and secret data: normalise, detect, replace in the original.

``normalise`` makes the text what a reader sees; ``network``, ``numbers`` and ``secrets`` detect
items on it, each in time linear in the text (RE2 scans, bounded checks in code); ``spans`` merges
overlapping detections into items; ``redact_text`` replaces each item's original characters by its
label.
"""

from __future__ import annotations

from dataclasses import dataclass

from .network import find_emails, find_ip_addresses, find_links
from .normalise import normalise
from .numbers import find_numbers
from .secrets import find_secrets
from .spans import Label, Span, merge

__all__ = ["Label", "Redacted", "Span", "detect", "redact_text"]


@dataclass(frozen=True)
class Redacted:
    """The redacted text, and the (start, end) of each placeholder in it."""

    text: str
    items: tuple[tuple[int, int], ...]


def detect(text: str, public_domains: frozenset[str]) -> list[Span]:
    """Items to redact in ``text`` (already normalised), merged, in order."""
    links, kept = find_links(text, public_domains)
    spans = [*links, *find_emails(text), *find_secrets(text), *find_ip_addresses(text)]
    spans += find_numbers(text)
    return merge(spans, kept)


def redact_text(original: str, public_domains: frozenset[str]) -> Redacted:
    norm = normalise(original)
    pieces: list[str] = []
    items: list[tuple[int, int]] = []
    done, length = 0, 0
    for span in detect(norm.text, public_domains):
        start, end = norm.original_span(span.start, span.end)
        if start < done:
            # Two items behind one original character (an entity, "½" read as "1⁄2"): the
            # placeholder already written stands for both, and takes what is left of this one.
            done = max(done, end)
            continue
        pieces.append(original[done:start])
        length += start - done
        pieces.append(span.label.value)
        items.append((length, length + len(span.label.value)))
        length += len(span.label.value)
        done = end
    pieces.append(original[done:])
    return Redacted("".join(pieces), tuple(items))
