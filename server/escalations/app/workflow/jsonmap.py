"""JSON maps that are rewritten often and change a little each time (the open index, the ledger).

Each update of such a map changes one member and writes the whole value back. Encoding every
member again is most of that write's cost once a value holds thousands of members, so the
encoded text of each member is kept beside the parsed value (``Encoded``) and only the members
that changed are encoded again. The bytes are exactly those of
``json.dumps(dict(sorted(...)), separators=(",", ":"))``: readers see no difference.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

T = TypeVar("T")

_COMPACT = (",", ":")


@dataclass(frozen=True)
class Encoded(Generic[T]):
    """A value as stored (``raw``), its members parsed, and their encoded text where known."""

    raw: bytes
    members: Mapping[str, T]
    texts: Mapping[str, str]


def encode(
    members: Mapping[str, T],
    to_entry: Callable[[T], Any],
    before: Encoded[T] | None = None,
) -> tuple[bytes | None, dict[str, str]]:
    """``members`` as the stored JSON map (``None`` if empty), and each member's text. A member
    that is the very object it was in ``before`` keeps its text from there."""
    texts: dict[str, str] = {}
    known, old = (before.texts, before.members) if before is not None else ({}, {})
    for key, value in members.items():
        text = known.get(key) if old.get(key) is value else None
        if text is None:
            entry = json.dumps(to_entry(value), separators=_COMPACT)
            text = f"{json.dumps(key)}:{entry}"
        texts[key] = text
    if not texts:
        return None, texts
    return ("{" + ",".join(texts[k] for k in sorted(texts)) + "}").encode(), texts
