"""Activation: settings -> policy, bot, escalations channel, slash command.

Runs on every node, on ``OnActivate`` and on every ``OnConfigurationChange``; every step is
idempotent. The steps that create or change shared things (bot, channel, channel members, the
last-good policy record) run under the KV lock ``activate`` so two nodes do not both create the
channel; if the lock cannot be had in time the steps run anyway (they are idempotent, the lock
only avoids duplicate work and "already exists" noise).

Identity and channel rules: policy usernames resolve to the accounts they are pinned to
(``identity``); the channel is the one the plugin created or a system admin adopted
(``channel``); its members are kept to the policy's people, system admins and the allow-list
(``guard``).

Policy rule: an override (the ``PolicyOverride`` setting) replaces the bundled default only when
it validates. An invalid override never replaces the last good policy — the one active in this
process, or after a restart the last valid override stored in KV, else the bundled default — and
its errors are logged and shown by ``/escalation policy``.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from escalations.app.domain import active_policy, identity, keys
from escalations.app.domain.active_policy import ActivePolicy
from escalations.app.domain.errors import HostError
from escalations.app.domain.kv import KV
from escalations.app.domain.ports import Host
from escalations.app.domain.redact import DEFAULT_PUBLIC_DOMAINS, parse_public_domains
from escalations.app.workflow import channel, gate, guard
from escalations.app.workflow.excerpt import MAX_EXCERPT_CHARS
from escalations.app.workflow.lock import KVLock, LockTimeout
from escalations.app.workflow.reminders import ScheduleSettings
from escalations.app.workflow.service import NOT_CONFIGURED_TEXT as NOT_CONFIGURED
from escalations.app.workflow.service import Environment
from escalations.policy import Policy, bundled_policy_path, load_policy_file, load_policy_text

log = logging.getLogger(__name__)

BOT_USERNAME = "community-escalations"
BOT_DISPLAY_NAME = "Community Escalations"
BOT_DESCRIPTION = "Routes sensitive community topics to their approved responders."
COMMAND_TRIGGER = "escalation"
COMMAND_HINT = (
    "[list | mine | show <id> | policy | stats | export | new <permalink> | responses | template | "
    "route | channel | help]"
)
COMMAND_DESCRIPTION = (
    "Community escalations: list, mine, show, policy, stats, export, new, responses, templates, "
    "help"
)
DEFAULT_CHANNEL = "community-escalations"
DEFAULT_EXCERPT_CHARS = 500
OVERRIDE_SOURCE = "PolicyOverride"
PAUSED = (
    "Community Escalations is paused: its escalations channel needs a system admin "
    "(`/escalation policy` tells them why)."
)


@dataclass(frozen=True)
class Settings:
    team_name: str = ""
    channel_name: str = DEFAULT_CHANNEL
    policy_override: str = ""
    excerpt_max_chars: int = DEFAULT_EXCERPT_CHARS
    public_domains: frozenset[str] = DEFAULT_PUBLIC_DOMAINS
    who_may_escalate: str = gate.WHO_TEAM
    escalations_per_hour: int = gate.DEFAULT_PER_HOUR
    allow_list: tuple[str, ...] = ()  # usernames allowed in the channel besides the policy's
    keep_unlisted: bool = False  # keep members the policy no longer names
    template_approvers: tuple[str, ...] = ()  # policy role names whose people approve templates
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
        names = re.split(r"[\s,;]+", text("ChannelAllowList"))
        keep = lowered.get("keepunlistedmembers")
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
            allow_list=tuple(dict.fromkeys(n.removeprefix("@").lower() for n in names if n)),
            keep_unlisted=keep is True or str(keep).lower() == "true",
            template_approvers=tuple(
                dict.fromkeys(r.strip() for r in text("TemplateApprovers").split(",") if r.strip())
            ),
            reminders=ScheduleSettings(
                ack_minutes=amount("ReminderMinutes", defaults.ack_minutes),
                next_minutes=amount("NextResponderMinutes", defaults.next_minutes),
                stale_days=amount("StaleDays", defaults.stale_days),
                retention_days=amount("RetentionDays", defaults.retention_days),
            ),
        )


def _read_text(path: Path) -> str:
    """The bundled policy's text (for merging approved templates into it); empty if unreadable."""
    try:
        return path.read_text(encoding="utf-8-sig")
    except OSError:
        return ""


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
    unresolved_allow_list: tuple[str, ...] = ()  # allow-list names that cannot be used
    unavailable: str = NOT_CONFIGURED  # what users are told while there is no environment


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

    def activate(
        self,
        settings: Settings,
        current: ActivePolicy | None,
        publish: Callable[[Activated], None] = lambda _: None,
    ) -> Activated:
        """Run every step; ``current`` is the policy active in this process (if any).

        ``publish`` receives the new state before channel members are added or removed: the
        joins that causes run ``UserHasJoinedChannel``, which must already judge them by the
        new policy."""
        lock = KVLock(self._kv, "activate")
        try:
            lock.acquire()
        except LockTimeout:
            log.warning("activation lock busy; continuing without it (steps are idempotent)")
        try:
            return self._steps(settings, current, publish)
        finally:
            lock.release()

    def _steps(
        self,
        settings: Settings,
        current: ActivePolicy | None,
        publish: Callable[[Activated], None],
    ) -> Activated:
        policy, rejected = self._choose_policy(settings, current)
        bot_id = self._host.ensure_bot(BOT_USERNAME, BOT_DISPLAY_NAME, BOT_DESCRIPTION)
        self._host.register_command(
            COMMAND_TRIGGER, COMMAND_DESCRIPTION, COMMAND_HINT, BOT_DISPLAY_NAME
        )
        allowed = identity.resolve(self._host, self._kv, settings.allow_list)
        environment, problems = self._environment(settings, policy, bot_id, allowed.ids)
        unavailable = PAUSED if settings.team_name and problems else NOT_CONFIGURED
        status = PolicyStatus(rejected, problems, allowed.problems, unavailable)
        if environment is not None:
            publish(Activated(environment, policy, status, settings.reminders))
            problems += self._settle_members(settings, policy, environment)
            status = PolicyStatus(rejected, problems, allowed.problems, unavailable)
        for problem in problems:
            log.warning("setup: %s", problem)
        return Activated(environment, policy, status, settings.reminders)

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
            return self._build(result.policy, "override", warnings, settings.policy_override), ()
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
        warnings = tuple(map(str, result.warnings))
        return self._build(result.policy, "bundled default", warnings, _read_text(path))

    def _last_good(self) -> ActivePolicy | None:
        raw = self._kv.get(keys.last_good_policy())
        if not raw:
            return None
        text = raw.decode("utf-8", "replace")
        result = load_policy_text(text, source="last good override")
        if not result.ok or result.policy is None:
            return None
        warnings = tuple(map(str, result.warnings))
        return self._build(result.policy, "last good override", warnings, text)

    def _remember(self, text: str) -> None:
        raw = text.encode()
        if self._kv.get(keys.last_good_policy()) != raw:
            # Plain last-writer-wins is right here: every node writes the same setting's text.
            old = self._kv.get(keys.last_good_policy())
            self._kv.compare_and_set(keys.last_good_policy(), old, raw)

    def _build(
        self, policy: Policy, origin: str, warnings: tuple[str, ...], text: str = ""
    ) -> ActivePolicy:
        return active_policy.build(policy, origin, self._resolve, warnings, text)

    def _resolve(self, usernames: Iterable[str]) -> identity.Resolution:
        return identity.resolve(self._host, self._kv, usernames)

    # --- team and channel --------------------------------------------------------------------

    def _environment(
        self, settings: Settings, policy: ActivePolicy, bot_id: str, allowed: frozenset[str]
    ) -> tuple[Environment | None, tuple[str, ...]]:
        if not settings.team_name:
            return None, ("the escalations team (TeamName) is not set",)
        team = self._host.get_team_by_name(settings.team_name)
        if team is None:
            return None, (f"the team {settings.team_name!r} does not exist",)
        found = channel.locate(self._host, self._kv, team, settings.channel_name, bot_id)
        if found.channel is None:
            return None, found.problems
        env = Environment(
            bot_user_id=bot_id,
            team_id=team.id,
            team_name=team.name,
            channel=found.channel,
            site_url=self._host.site_url(),
            excerpt_max_chars=settings.excerpt_max_chars,
            public_domains=settings.public_domains,
            who_may_escalate=settings.who_may_escalate,
            escalations_per_hour=settings.escalations_per_hour,
            trusted_ids=policy.people_ids | allowed,
            template_approver_roles=settings.template_approvers,
        )
        return env, found.problems

    def _settle_members(
        self, settings: Settings, policy: ActivePolicy, env: Environment
    ) -> tuple[str, ...]:
        problems = self._add_members(env.channel.id, policy)
        if not settings.keep_unlisted:
            problems += guard.sweep(self._host, env.membership)
        return problems

    def _add_members(self, channel_id: str, policy: ActivePolicy) -> tuple[str, ...]:
        """Add every approved responder and loop-in of every topic (those who resolve), so their
        mentions in a private channel reach them. The bot needs no membership: plugin posts are
        not permission-checked. Returns the people who could not be added (e.g. not in the
        team), for ``/escalation policy``."""
        people: dict[str, str] = {}
        for topic in policy.topics:
            for person in (*topic.responders, *topic.loop_in):
                people.setdefault(person.user_id, person.username)
        problems: list[str] = []
        for user_id, username in people.items():
            if self._host.is_channel_member(channel_id, user_id):
                continue
            try:
                self._host.add_channel_member(channel_id, user_id)
            except HostError as exc:
                problems.append(f"@{username} could not be added to the channel ({exc})")
        return tuple(problems)
