"""The escalations channel: found by id once the plugin has it, never taken over from someone else.

Anyone in a team can create a channel, so a channel is not trusted for its name. The plugin uses
a channel only if it created it (its bot is the creator; channels created by older versions of
the plugin have no creator), or a system admin adopted it with ``/escalation channel adopt``; a
public channel is never used. Its id is stored per (team, channel setting) in the KV store
(insert-if-absent, so two nodes agree), and every activation checks the channel again: archived,
deleted or made public stops escalations with a message that says how to fix it; a renamed
channel keeps working and is reported.
"""

from __future__ import annotations

from dataclasses import dataclass

from escalations.app.domain import keys
from escalations.app.domain.errors import HostError
from escalations.app.domain.kv import KV
from escalations.app.domain.ports import CHANNEL_PRIVATE, ChannelRef, Host, TeamRef

ADOPT = "/escalation channel adopt"
FORGET = "/escalation channel forget"


@dataclass(frozen=True)
class ChannelCheck:
    channel: ChannelRef | None  # None: escalations cannot be posted
    problems: tuple[str, ...] = ()


def locate(host: Host, kv: KV, team: TeamRef, name: str, bot_id: str) -> ChannelCheck:
    """The channel to post escalations to (created if missing), with what is wrong with it."""
    raw = kv.get(keys.channel(team.id, name))
    if raw:
        return check(host.get_channel(raw.decode()), name)
    existing = host.get_channel_by_name(team.id, name)
    if existing is None:
        return _create(host, kv, team, name, bot_id)
    if existing.type != CHANNEL_PRIVATE or existing.creator_id not in (bot_id, ""):
        return ChannelCheck(None, (_refusal(existing, name),))
    return _store(host, kv, team, name, existing)


def check(channel: ChannelRef | None, name: str) -> ChannelCheck:
    """Re-check a channel the plugin already uses."""
    if channel is None:
        return ChannelCheck(
            None,
            (
                f"the escalations channel ~{name} was deleted: a system admin runs `{FORGET}` "
                "to create a new one",
            ),
        )
    if channel.delete_at:
        return ChannelCheck(
            None,
            (
                f"the escalations channel ~{channel.name} is archived, escalations are paused: "
                "unarchive it (System Console > User Management > Channels), or a system admin "
                f"runs `{FORGET}` and sets another channel name",
            ),
        )
    if channel.type != CHANNEL_PRIVATE:
        return ChannelCheck(
            None,
            (
                f"the escalations channel ~{channel.name} was made public, escalations are "
                "paused: convert it back to a private channel (System Console > User "
                "Management > Channels)",
            ),
        )
    if channel.name != name:
        return ChannelCheck(
            channel,
            (
                f"the escalations channel was renamed to ~{channel.name} (the setting says "
                f"{name!r}); it is still used. Rename it back, or set the channel setting to "
                "its new name",
            ),
        )
    return ChannelCheck(channel)


def adopt(host: Host, kv: KV, team: TeamRef, name: str) -> str:
    """A system admin's decision: use the existing private channel ``name``. Returns the text
    to show."""
    existing = host.get_channel_by_name(team.id, name)
    if existing is None:
        return f"There is no channel ~{name} in {team.name}; nothing was changed."
    if existing.type != CHANNEL_PRIVATE:
        return f"~{name} is public: make it private first; nothing was changed."
    key = keys.channel(team.id, name)
    for _ in range(3):
        old = kv.get(key)
        if kv.compare_and_set(key, old, existing.id.encode()):
            return (
                f"~{name} is now the escalations channel. Its members who are not in the policy, "
                "not system admins and not on the allow-list are removed."
            )
    return "The channel record changed meanwhile; try again."


def forget(kv: KV, team: TeamRef, name: str) -> str:
    """Stop using the stored channel, so the next activation looks the name up (or creates it)."""
    kv.delete(keys.channel(team.id, name))
    return (
        f"The plugin no longer uses its stored channel for ~{name}; a new private channel is "
        "created if the name is free."
    )


def _create(host: Host, kv: KV, team: TeamRef, name: str, bot_id: str) -> ChannelCheck:
    try:
        channel = host.create_private_channel(team.id, name, _display_name(name), bot_id)
    except HostError as exc:  # e.g. an archived channel holds the name
        return ChannelCheck(
            None,
            (f"cannot create the channel {name!r} ({exc}): choose another channel name",),
        )
    return _store(host, kv, team, name, channel)


def _store(host: Host, kv: KV, team: TeamRef, name: str, channel: ChannelRef) -> ChannelCheck:
    key = keys.channel(team.id, name)
    if kv.compare_and_set(key, None, channel.id.encode()):
        return ChannelCheck(channel)
    # Another node stored its channel first: use that one.
    raw = kv.get(key)
    return check(host.get_channel(raw.decode()) if raw else None, name)


def _refusal(channel: ChannelRef, name: str) -> str:
    kind = "a public channel" if channel.type != CHANNEL_PRIVATE else "a channel"
    return (
        f"~{name} is {kind} the plugin did not create, so escalations are not posted there. "
        f"Rename or archive it, or set another channel name; or, if it is the right private "
        f"channel, a system admin runs `{ADOPT}`"
    )


def _display_name(slug: str) -> str:
    return " ".join(part.capitalize() for part in slug.replace("_", "-").split("-")) or slug
