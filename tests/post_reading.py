"""Reading the escalation post the way a person does: its lines, the labelled ones, who is
mentioned where. Shared by the host-emulator tests (``tests/app``) and the real-server suite
(``tests/e2e``), so both assert the same layout.
"""

from __future__ import annotations

import re
from typing import Any

# An open post is at most this many message lines above the buttons.
OPEN_POST_MAX_LINES = 8
SEPARATOR = " · "
_MENTION = re.compile(r"(?<![`\w])@([a-z0-9._-]+[a-z0-9])(?!`)")


def lines(message: str) -> list[str]:
    return message.splitlines()


def headline(message: str) -> str:
    """The first line: topic, state, owner."""
    return lines(message)[0]


def labelled(message: str, label: str) -> str | None:
    """The text after ``**label:**`` on the line that starts with it, or ``None``."""
    for line in lines(message):
        if line.startswith(f"**{label}:**"):
            return line.split(":**", 1)[1].strip()
    return None


def mentioned(text: str | None) -> list[str]:
    """Usernames mentioned (``@name`` outside code spans), in order."""
    return _MENTION.findall(text or "")


def live_mentions(message: str, username: str) -> int:
    """How often ``username`` is mentioned, not counting quiet (code-span) names."""
    return mentioned(message).count(username)


def attachment_text(props: dict[str, Any]) -> str:
    """The text of the post's attachment (where a resolved post shows its outcome)."""
    attachments = props.get("attachments") or [{}]
    return str(attachments[0].get("text") or "")


def with_roles(text: str | None) -> dict[str, str]:
    """``@a (Role 1, Role 2) · Role 3: nobody in this role`` as {"a": "Role 1, Role 2",
    "Role 3": "nobody in this role"} (names with or without the quiet code span)."""
    found: dict[str, str] = {}
    for part in (text or "").split(SEPARATOR):
        part = part.strip()
        person = re.fullmatch(r"`?@([^\s`]+)`? \((.+)\)", part)
        if person:
            found[person.group(1)] = person.group(2)
        elif ": " in part:
            role, what = part.split(": ", 1)
            found[role] = what
    return found
