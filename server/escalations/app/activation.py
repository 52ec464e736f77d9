"""Activation: settings -> policy, bot, escalations channel, slash command.

Runs on every node, on ``OnActivate`` and on every ``OnConfigurationChange``; every step is
idempotent. The steps that create or change shared things (bot, channel, channel members, the
last-good policy record) run under the KV lock ``activate`` so two nodes do not both create the
channel; if the lock cannot be had in time the steps run anyway (they are idempotent, the lock
only avoids duplicate work and "already exists" noise).

Policy rule: an override (the ``PolicyOverride`` setting) replaces the bundled default only when
it validates. An invalid override never replaces the last good policy — the one active in this
process, or after a restart the last valid override stored in KV, else the bundled default — and
its errors are logged and shown by ``/escalation policy``.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from escalations.policy import Policy, bundled_policy_path, load_policy_file, load_policy_text
from escalations.runtime.errors import PluginAPIError

from . import active_policy, gate, keys
from .active_policy import ActivePolicy
from .excerpt import MAX_EXCERPT_CHARS
from .kv import KV
from .lock import KVLock, LockTimeout
from .ports import Host
from .redact import DEFAULT_PUBLIC_DOMAINS, parse_public_domains
from .reminders import ScheduleSettings
from .service import Environment

log = logging.getLogger(__name__)

BOT_USERNAME = "community-escalations"
BOT_DISPLAY_NAME = "Community Escalations"
BOT_DESCRIPTION = "Routes sensitive community topics to their approved responders."
COMMAND_TRIGGER = "escalation"
COMMAND_HINT = "[list | mine | show <id> | policy | new <permalink> | help]"
COMMAND_DESCRIPTION = "Community escalations: list, mine, show, policy, new, help"
DEFAULT_CHANNEL = "community-escalations"
DEFAULT_EXCERPT_CHARS = 500
OVERRIDE_SOURCE = "PolicyOverride"


@dataclass(frozen=True)
class Settings:
    team_name: str = ""
    channel_name: str = DEFAULT_CHANNEL
    policy_override: str = ""
    excerpt_max_chars: int = DEFAULT_EXCERPT_CHARS
    public_domains: frozenset[str] = DEFAULT_PUBLIC_DOMAINS
    who_may_escalate: str = gate.WHO_TEAM
    escalations_per_hour: int = gate.DEFAULT_PER_HOUR
    reminders: ScheduleSettings = ScheduleSettings()

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> Settings:
        """From ``GetPluginConfig``: keys in any case (the server lowercases them), numbers as
        floats or strings."""
        lowered = {str(k).lower(): v for k, v in config.items()}

        def text(key: str, default: str = "") -> str:
            value = lowered.get(key.lower())
            return value.strip() if isinstance(value, str) and value.strip() else default

        def number(key: str, default: int, highest: int) -> int:
            raw = lowered.get(key.lower())
            try:
                value = int(float(raw)) if raw not in (None, "") else default
            except (TypeError, ValueError, OverflowError):
                value = default
            return min(max(0, value), highest)

        def amount(key: str, default: float) -> float:
            """A non-negative number; anything else (text, negative, NaN) is the default."""
            raw = lowered.get(key.lower())
            try:
                value = (
                    float(raw) if raw not in (None, "") and not isinstance(raw, bool) else default
                )
            except (TypeError, ValueError):
                return default
            return value if 0 <= value < 1e9 else default

        who = text("WhoMayEscalate", gate.WHO_TEAM).lower()
        defaults = ScheduleSettings()
        return cls(
            team_name=text("TeamName").lower(),
            channel_name=text("ChannelName", DEFAULT_CHANNEL).lower(),
            policy_override=text("PolicyOverride"),
            excerpt_max_chars=number("ExcerptMaxChars", DEFAULT_EXCERPT_CHARS, MAX_EXCERPT_CHARS),
            public_domains=_public_domains(lowered.get("publicdomains")),
            # An unknown value falls back to the narrower choice.
            who_may_escalate=who if who in gate.WHO_CHOICES else gate.WHO_TEAM,
            escalations_per_hour=number(
                "EscalationsPerHour", gate.DEFAULT_PER_HOUR, gate.MAX_PER_HOUR
            ),
            reminders=ScheduleSettings(
                ack_minutes=amount("ReminderMinutes", defaults.ack_minutes),
                next_minutes=amount("NextResponderMinutes", defaults.next_minutes),
                stale_days=amount("StaleDays", defaults.stale_days),
                retention_days=amount("RetentionDays", defaults.retention_days),
            ),
        )


def _public_domains(raw: object) -> frozenset[str]:
    """The allow-list setting: absent means the default list, blank means no link is kept."""
    if raw is None:
        return DEFAULT_PUBLIC_DOMAINS
    return parse_public_domains(raw) if isinstance(raw, str) else DEFAULT_PUBLIC_DOMAINS


@dataclass(frozen=True)
class PolicyStatus:
    """What ``/escalation policy`` reports besides the active policy itself."""

    rejected_override: tuple[str, ...] = ()  # errors of an override that was kept out
    setup_problems: tuple[str, ...] = ()  # e.g. the team does not exist


@dataclass(frozen=True)
class Activated:
    environment: Environment | None
    policy: ActivePolicy
    status: PolicyStatus
    reminders: ScheduleSettings = ScheduleSettings()


class Activator:
    def __init__(self, host: Host, kv: KV) -> None:
        self._host = host
        self._kv = kv

    def activate(self, settings: Settings, current: ActivePolicy | None) -> Activated:
        """Run every step; ``current`` is the policy active in this process (if any)."""
        lock = KVLock(self._kv, "activate")
        try:
            lock.acquire()
        except LockTimeout:
            log.warning("activation lock busy; continuing without it (steps are idempotent)")
        try:
            return self._steps(settings, current)
        finally:
            lock.release()

    def _steps(self, settings: Settings, current: ActivePolicy | None) -> Activated:
        policy, rejected = self._choose_policy(settings, current)
        bot_id = self._host.ensure_bot(BOT_USERNAME, BOT_DISPLAY_NAME, BOT_DESCRIPTION)
        self._host.register_command(
            COMMAND_TRIGGER, COMMAND_DESCRIPTION, COMMAND_HINT, BOT_DISPLAY_NAME
        )
        environment, problems = self._environment(settings, policy, bot_id)
        for problem in problems:
            log.warning("setup: %s", problem)
        return Activated(environment, policy, PolicyStatus(rejected, problems), settings.reminders)

    # --- policy ------------------------------------------------------------------------------

    def _choose_policy(
        self, settings: Settings, current: ActivePolicy | None
    ) -> tuple[ActivePolicy, tuple[str, ...]]:
        if not settings.policy_override:
            self._kv.delete(keys.last_good_policy())
            return self._bundled(), ()
        result = load_policy_text(settings.policy_override, source=OVERRIDE_SOURCE)
        if result.ok and result.policy is not None:
            self._remember(settings.policy_override)
            warnings = tuple(str(w) for w in result.warnings)
            return self._build(result.policy, "override", warnings), ()
        rejected = tuple(str(e) for e in result.errors) or ("the override is not a policy",)
        for error in rejected:
            log.error("policy override rejected: %s", error)
        if current is not None:
            return current, rejected
        return self._last_good() or self._bundled(), rejected

    def _bundled(self) -> ActivePolicy:
        path = bundled_policy_path()
        result = load_policy_file(path, source=f"{path.parent.name}/{path.name}")
        if not result.ok or result.policy is None:  # a packaging defect, not a runtime state
            raise RuntimeError(
                "bundled policy invalid: " + "; ".join(str(e) for e in result.errors)
            )
        return self._build(result.policy, "bundled default", tuple(map(str, result.warnings)))

    def _last_good(self) -> ActivePolicy | None:
        raw = self._kv.get(keys.last_good_policy())
        if not raw:
            return None
        result = load_policy_text(raw.decode("utf-8", "replace"), source="last good override")
        if not result.ok or result.policy is None:
            return None
        return self._build(result.policy, "last good override", tuple(map(str, result.warnings)))

    def _remember(self, text: str) -> None:
        raw = text.encode()
        if self._kv.get(keys.last_good_policy()) != raw:
            # Plain last-writer-wins is right here: every node writes the same setting's text.
            old = self._kv.get(keys.last_good_policy())
            self._kv.compare_and_set(keys.last_good_policy(), old, raw)

    def _build(self, policy: Policy, origin: str, warnings: tuple[str, ...]) -> ActivePolicy:
        return active_policy.build(policy, origin, self._user_status, warnings)

    def _user_status(self, usernames: Iterable[str]) -> dict[str, str]:
        wanted = list(usernames)
        found = {u.username: u for u in self._host.get_users_by_usernames(wanted)}
        status: dict[str, str] = {}
        for name in wanted:
            user = found.get(name)
            status[name] = "unknown" if user is None else "active" if user.active else "deactivated"
        return status

    # --- team and channel --------------------------------------------------------------------

    def _environment(
        self, settings: Settings, policy: ActivePolicy, bot_id: str
    ) -> tuple[Environment | None, tuple[str, ...]]:
        if not settings.team_name:
            return None, ("the escalations team (TeamName) is not set",)
        team = self._host.get_team_by_name(settings.team_name)
        if team is None:
            return None, (f"the team {settings.team_name!r} does not exist",)
        channel = self._host.get_channel_by_name(team.id, settings.channel_name)
        if channel is None:
            try:
                channel = self._host.create_private_channel(
                    team.id, settings.channel_name, _display_name(settings.channel_name)
                )
            except PluginAPIError as exc:  # e.g. an archived channel holds the name
                return None, (f"cannot create the channel {settings.channel_name!r}: {exc}",)
            log.info("created the escalations channel %s", settings.channel_name)
        problems = self._add_members(channel.id, policy)
        env = Environment(
            bot_user_id=bot_id,
            team_id=team.id,
            team_name=team.name,
            channel=channel,
            site_url=self._host.site_url(),
            excerpt_max_chars=settings.excerpt_max_chars,
            public_domains=settings.public_domains,
            who_may_escalate=settings.who_may_escalate,
            escalations_per_hour=settings.escalations_per_hour,
        )
        return env, problems

    def _add_members(self, channel_id: str, policy: ActivePolicy) -> tuple[str, ...]:
        """Add every approved responder and loop-in of every topic (those who resolve), so their
        mentions in a private channel reach them. The bot needs no membership: plugin posts are
        not permission-checked. Returns the people who could not be added (e.g. not in the
        team), for ``/escalation policy``."""
        usernames: dict[str, None] = {}
        for topic in policy.topics:
            for person in (*topic.responders, *topic.loop_in):
                usernames.setdefault(person.username, None)
        problems: list[str] = []
        for user in self._host.get_users_by_usernames(list(usernames)):
            if not user.active or self._host.is_channel_member(channel_id, user.id):
                continue
            try:
                self._host.add_channel_member(channel_id, user.id)
            except PluginAPIError as exc:
                problems.append(f"@{user.username} could not be added to the channel ({exc})")
        return tuple(problems)


def _display_name(slug: str) -> str:
    return " ".join(part.capitalize() for part in slug.replace("_", "-").split("-")) or slug
