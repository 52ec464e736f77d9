"""Redaction of community end-user information from the text quoted in an escalation post.

The policy's response-writing tips say "Keep community end user information secure": the excerpt of
the original message and the escalator's note are copied into another channel, so personal and
secret data is replaced by a labelled placeholder first (``[email]``, ``[phone]``, ``[secret]``,
...; see ``redaction``). Links to the public sites the community escalates from (the allow-list
setting) stay, so responders can open the thread.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from escalations.app.domain.redaction import Label, redact_text

__all__ = [
    "DEFAULT_PUBLIC_DOMAINS",
    "Label",
    "Redaction",
    "parse_public_domains",
    "redact",
    "redact_counted",
]

# Input beyond this is dropped before detection (a post holds at most 16,383 characters).
MAX_INPUT_CHARS = 20_000
ELLIPSIS = "…"
DEFAULT_PUBLIC_DOMAINS = frozenset(
    ("github.com", "forum.mattermost.com", "docs.mattermost.com", "x.com", "twitter.com")
)


@dataclass(frozen=True)
class Redaction:
    text: str
    removed: int  # items replaced by a placeholder in ``text``


def redact_counted(
    text: str, max_chars: int, public_domains: frozenset[str] = DEFAULT_PUBLIC_DOMAINS
) -> Redaction:
    """``text`` with personal and secret data replaced by placeholders, cut to ``max_chars``
    characters (an ellipsis marks a cut; ``max_chars <= 0`` gives ``""``), and how many items
    the result had removed."""
    if max_chars <= 0 or not text:
        return Redaction("", 0)
    redacted = redact_text(text[:MAX_INPUT_CHARS], public_domains)
    out = redacted.text
    if len(out) <= max_chars:
        return Redaction(out, len(redacted.items))
    cut = max(0, max_chars - 1)
    for start, end in redacted.items:
        if start < cut < end:  # never leave half a placeholder behind
            cut = start
            break
    kept = out[:cut].rstrip()
    removed = sum(1 for _, end in redacted.items if end <= len(kept))
    return Redaction(kept + ELLIPSIS, removed)


def redact_note(text: str, public_domains: frozenset[str] = DEFAULT_PUBLIC_DOMAINS) -> Redaction:
    """The escalator's note, redacted like the excerpt and never cut."""
    return redact_counted(text, MAX_INPUT_CHARS, public_domains)


def removal_summary(from_excerpt: int, from_note: int, source: str = "excerpt") -> str:
    """The line that tells the escalator what redaction removed; ``source``: what the quoted
    text is called (``excerpt``, or ``summary`` for a link)."""
    if not from_excerpt and not from_note:
        return f"Redaction: no personal data or secrets found in the {source} or the note."
    return (
        f"Redaction: removed {_items(from_excerpt)} from the {source} and "
        f"{_items(from_note)} from the note."
    )


def _items(count: int) -> str:
    return f"{count} item" if count == 1 else f"{count} items"


def redact(
    text: str, max_chars: int, public_domains: frozenset[str] = DEFAULT_PUBLIC_DOMAINS
) -> str:
    return redact_counted(text, max_chars, public_domains).text


def parse_public_domains(setting: str | Iterable[str]) -> frozenset[str]:
    """The allow-list setting (domains separated by commas, spaces or new lines; ``https://``,
    ``*.`` and a trailing ``/`` are tolerated) as lower-case host names; entries that are not
    host names are ignored."""
    raw = setting.replace(",", " ").split() if isinstance(setting, str) else list(setting)
    hosts = set()
    for entry in raw:
        host = entry.strip().lower().removeprefix("https://").removeprefix("http://")
        host = host.removeprefix("*.").split("/", 1)[0].rstrip(".")
        labels = host.split(".")
        if len(labels) >= 2 and all(_is_label(label) for label in labels):
            hosts.add(host)
    return frozenset(hosts)


def _is_label(label: str) -> bool:
    return 0 < len(label) <= 63 and label.replace("-", "").isalnum() and label[0] != "-"
