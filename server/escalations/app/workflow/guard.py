"""Who may be a member of the escalations channel, and removing everyone else.

Every escalation is readable by the channel's members, and any member of a private channel can
add others. So the channel's members are kept to the policy's people (approved responders and
loop-ins of every topic, by user id), system admins, the allow-list setting and the plugin's bot:
whoever else joins is removed at once (``UserHasJoinedChannel``) and whoever added them is told
why; at each activation the members the policy no longer names are removed too, unless the
``KeepUnlistedMembers`` setting keeps them.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from escalations.app.domain.errors import HostError
from escalations.app.domain.ports import Host

log = logging.getLogger(__name__)

# Members looked at by one activation sweep (the channel is small by design).
SWEEP_LIMIT = 2000


@dataclass(frozen=True)
class Membership:
    """What the guard needs to know about the channel."""

    channel_id: str
    channel_name: str
    bot_user_id: str
    trusted_ids: frozenset[str]  # the policy's people and the allow-list


def may_belong(host: Host, m: Membership, user_id: str) -> bool:
    return user_id == m.bot_user_id or user_id in m.trusted_ids or host.is_system_admin(user_id)


def on_join(host: Host, m: Membership, user_id: str, actor_id: str) -> bool:
    """Remove ``user_id`` if it may not belong; True if removed."""
    if may_belong(host, m, user_id):
        return False
    host.remove_channel_member(m.channel_id, user_id)
    log.warning(
        "removed %s from the escalations channel (added by %s)", user_id, actor_id or "self"
    )
    if actor_id and actor_id != user_id:
        user = host.get_user(user_id)
        who = f"@{user.username}" if user else "That person"
        host.send_ephemeral(
            actor_id,
            m.channel_id,
            f"{who} was removed from ~{m.channel_name}: only the people the escalation policy "
            "names, system admins and the plugin's allow-list may be members.",
            m.bot_user_id,
        )
    return True


def sweep(host: Host, m: Membership) -> tuple[str, ...]:
    """Remove every member who may not belong; returns problems (removals that failed)."""
    problems: list[str] = []
    for user_id in host.channel_member_ids(m.channel_id, SWEEP_LIMIT):
        if may_belong(host, m, user_id):
            continue
        try:
            host.remove_channel_member(m.channel_id, user_id)
            log.info("removed %s from the escalations channel: not in the policy", user_id)
        except HostError as exc:
            problems.append(f"could not remove a member the policy does not name ({exc})")
    return tuple(problems)
