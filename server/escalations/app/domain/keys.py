"""Every KV key the workflow uses, built here and nowhere else.

Shape: ``ce1:<kind>:<part>`` — ``ce`` for community-escalations, ``1`` the key schema version (bump
it, and migrate, if a key's meaning changes). Rules enforced by ``_key``: 1..150 runes (the
Mattermost limit), never the reserved ``mmi_`` / ``mutex_`` prefixes, and unbounded input (lock
names, free text) hashed so a key can never grow past the limit.
"""

from __future__ import annotations

import hashlib

PREFIX = "ce1:"
MAX_KEY_RUNES = 150
_RESERVED = ("mmi_", "mutex_")

# Kinds. Stored names: changing one orphans existing data.
ESCALATION = "esc"
LOCK = "lock"
LAST_GOOD_POLICY = "policy:last-good"
RATE = "rate"
PIN = "pin"
CHANNEL = "channel"
OPEN_INDEX = "open"
ESCALATED_BY = "by"
LEASE = "lease"
RESPONSES = "responses"
TEMPLATES = "templates"
LEDGER = "ledger"


def escalation(escalation_id: str) -> str:
    """The record of one escalation (value: ``model.Escalation`` JSON)."""
    return _key(f"{ESCALATION}:{_bounded(escalation_id)}")


def escalation_prefix() -> str:
    """Prefix shared by all escalation records (for listing)."""
    return f"{PREFIX}{ESCALATION}:"


def lock(name: str) -> str:
    """A KV lock for a one-off step (value: holder token, with a TTL)."""
    return _key(f"{LOCK}:{_bounded(name)}")


def rate(user_id: str) -> str:
    """One user's recent escalation times (value: JSON list of ms timestamps, with a TTL)."""
    return _key(f"{RATE}:{_bounded(user_id)}")


def open_index(shard: int) -> str:
    """One shard of the open-escalations index (value: JSON map id -> summary)."""
    return _key(f"{OPEN_INDEX}:{int(shard)}")


def escalated_by(user_id: str) -> str:
    """The ids of the escalations one user raised, newest last (value: JSON list)."""
    return _key(f"{ESCALATED_BY}:{_bounded(user_id)}")


def lease(name: str) -> str:
    """A lease held by one node at a time for a scheduled job (value: holder token, TTL)."""
    return _key(f"{LEASE}:{_bounded(name)}")


def responses(topic: str) -> str:
    """One topic's response history, newest last (value: JSON list, ``responses.ResponseLog``)."""
    return _key(f"{RESPONSES}:{_bounded(topic)}")


def templates() -> str:
    """Every topic's proposed and approved template (value: JSON, ``templates.TemplateBook``)."""
    return _key(TEMPLATES)


def ledger(month: str, shard: int) -> str:
    """One shard of one month's ledger rows (value: JSON map id -> row; ``ledger.Ledger``).
    ``month`` is ``YYYYMM``."""
    return _key(f"{LEDGER}:{_bounded(month)}:{int(shard)}")


def ledger_months() -> str:
    """The months that have ledger rows (value: JSON list of ``YYYYMM``)."""
    return _key(f"{LEDGER}:months")


def last_good_policy() -> str:
    """The text of the last policy override that validated (survives restarts)."""
    return _key(LAST_GOOD_POLICY)


def pin(username: str) -> str:
    """The user id a policy (or allow-list) username was first resolved to (value: the id)."""
    return _key(f"{PIN}:{_bounded(username.lower())}")


def channel(team_id: str, channel_name: str) -> str:
    """The id of the escalations channel the plugin created or a system admin adopted, for one
    (team, channel setting) pair (value: the channel id)."""
    return _key(f"{CHANNEL}:{_bounded(team_id)}:{_bounded(channel_name.lower())}")


def _bounded(part: str, limit: int = 64) -> str:
    """``part`` itself if short and plain, otherwise a stable hash of it."""
    if 0 < len(part) <= limit and all(c.isalnum() or c in "-_." for c in part):
        return part
    return "h" + hashlib.sha256(part.encode()).hexdigest()[:40]


def _key(body: str) -> str:
    key = PREFIX + body
    if not 0 < len(key) <= MAX_KEY_RUNES:
        raise ValueError(f"KV key length {len(key)} outside 1..{MAX_KEY_RUNES}")
    if key.startswith(_RESERVED):
        raise ValueError(f"KV key {key!r} uses a reserved prefix")
    return key
