"""Generic shape checks for the parsed YAML: mappings, lists, text, with precise messages.

``ShapeChecker`` collects ``Issue``s instead of raising; each check returns a usable fallback
("" or an empty list) after reporting, so a validation pass can continue and report every
problem at once. ``load._Walker`` adds the policy-specific rules on top.
"""

from __future__ import annotations

import datetime
import difflib
from collections.abc import Collection, Mapping
from typing import Final

from escalations.policy.model import Issue


class _Missing:
    """Marks a key absent from its mapping (distinct from an explicit ``null``)."""


MISSING: Final = _Missing()


def join_path(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def kind(value: object) -> str:
    """How an admin would call the YAML value they wrote."""
    if value is None or value is MISSING:
        return "nothing (null)"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "text"
    if isinstance(value, datetime.date):
        return "a date"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return type(value).__name__


def suggest(word: str, choices: Collection[str]) -> str:
    """A ' (did you mean "x"?)' hint for a misspelling, or ''."""
    folded = {c.casefold(): c for c in choices}
    match = folded.get(word.casefold())
    if match is None:
        close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
        match = close[0] if close else None
    return f' (did you mean "{match}"?)' if match is not None else ""


class ShapeChecker:
    """Collects errors for one source while checking the shapes of values."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.errors: list[Issue] = []

    def error(self, path: str, message: str, code: str) -> None:
        self.errors.append(Issue(self.source, path, message, code))

    def mapping(
        self, value: object, path: str, keys: Mapping[str, bool]
    ) -> dict[str, object] | None:
        """The mapping's known keys; reports a wrong type, unknown keys and missing keys."""
        if not isinstance(value, dict):
            where = path or "the document"
            self.error(
                path,
                f"expected a mapping (key: value) for {where}, got {kind(value)}",
                "wrong-type",
            )
            return None
        known: dict[str, object] = {}
        for key, item in value.items():
            if isinstance(key, str) and key in keys:
                known[key] = item
            else:
                self.error(
                    join_path(path, str(key)),
                    f'unknown key "{key}"{suggest(str(key), keys)}',
                    "unknown-key",
                )
        for key, required in keys.items():
            if required and key not in value:
                self.error(path, f'missing required key "{key}"', "missing-key")
        return known

    def sequence(self, value: object, path: str, limit: int) -> list[object]:
        """The list's items (at most ``limit`` of them); reports a wrong type or too many."""
        if value is MISSING:
            return []  # reported as a missing key
        if not isinstance(value, list):
            hint = " (write [] for none)" if value is None else ""
            self.error(path, f"expected a list, got {kind(value)}{hint}", "wrong-type")
            return []
        if len(value) > limit:
            self.error(path, f"too many entries ({len(value)}; at most {limit})", "too-many")
            return value[:limit]
        return value

    def text(self, value: object, path: str, limit: int) -> str:
        """Non-empty text, stripped; reports a wrong type, emptiness or excess length."""
        if value is MISSING:
            return ""  # reported as a missing key
        if not isinstance(value, str):
            quotable = isinstance(value, int | float | datetime.date)
            hint = " (put it in quotes)" if quotable else ""
            self.error(path, f"expected text, got {kind(value)}{hint}", "wrong-type")
            return ""
        text = value.strip()
        if not text:
            self.error(path, "must not be empty", "empty-text")
        elif len(text) > limit:
            self.error(path, f"too long ({len(text)} characters; at most {limit})", "too-long")
        return text

    def optional(self, fields: Mapping[str, object], key: str, limit: int) -> str | None:
        value = fields.get(key)
        return None if value is None else self.text(value, key, limit)
