"""``EscalationsPlugin``: the product's ``Plugin`` subclass, wiring activation, the HTTP API, the
slash command and the workflow together.

State held in memory is only what activation derives from the settings and the server (the active
policy, the escalations team/channel, the bot id); it is rebuilt on every node by ``on_activate``
and ``on_configuration_change``, swapped atomically under a lock. Escalations themselves live in
the KV store only, so any node can serve any request.
"""

from __future__ import annotations

import logging
import threading
import time

from escalations.app.adapters.host import ClientKV, RuntimeHost
from escalations.app.domain import identity
from escalations.app.domain.active_policy import ActivePolicy
from escalations.app.presentation import commands, routes
from escalations.app.workflow import channel
from escalations.app.workflow.activation import Activated, Activator, PolicyStatus, Settings
from escalations.app.workflow.afterwards import Afterwards
from escalations.app.workflow.excerpt import IsolatedRedactor
from escalations.app.workflow.fanout import Fanout
from escalations.app.workflow.gate import Gate
from escalations.app.workflow.official import OfficialResponses
from escalations.app.workflow.reminders import Reminders, ScheduleSettings
from escalations.app.workflow.reports import Reports
from escalations.app.workflow.responses import ResponseLog
from escalations.app.workflow.scheduler import Scheduler
from escalations.app.workflow.service import Environment, Workflow
from escalations.app.workflow.store import KVStore
from escalations.app.workflow.templates import TemplateBook
from escalations.runtime.api import PluginAPIClient
from escalations.runtime.http import Request, Response
from escalations.runtime.models import ChannelMember, CommandArgs, CommandResponse
from escalations.runtime.plugin import Manifest, Plugin

log = logging.getLogger(__name__)

# How long a deactivating plugin waits for the work its requests still owe.
AFTERWARDS_GRACE_SECONDS = 5.0


def _now_ms() -> int:
    return int(time.time() * 1000)


class EscalationsPlugin(Plugin):
    max_request_body = routes.BODY_MAX_BYTES

    def __init__(self, api: PluginAPIClient, manifest: Manifest) -> None:
        super().__init__(api, manifest)
        self._lock = threading.Lock()
        self._activated: Activated | None = None
        self.host = RuntimeHost(api)
        self.kv = ClientKV(api)
        fanout = Fanout()
        # One pool for what requests owe after answering: the store's index updates and the
        # workflow's messages, so a read that waits for one waits for both.
        self.afterwards = Afterwards()
        store = KVStore(self.kv, fanout=fanout, afterwards=self.afterwards)
        book, responses = TemplateBook(self.kv), ResponseLog(self.kv)
        self.redactor = IsolatedRedactor()
        self.workflow = Workflow(
            store,
            self.host,
            self._environment,
            self._policy,
            _now_ms,
            lambda: self._status().unavailable,
            gate=Gate(self.host, self.kv, _now_ms),
            redactor=self.redactor,
            book=book,
            responses=responses,
            fanout=fanout,
            afterwards=self.afterwards,
        )
        self.reports = Reports(store, self.host, self.workflow, _now_ms)
        self.router = routes.build_router(self.workflow, self.reports)
        official = OfficialResponses(
            self.workflow, self.host, book, responses, self._environment, _now_ms
        )
        self.commands = commands.CommandContext(
            self.workflow,
            self.host,
            self._status,
            _now_ms,
            self,
            official=official,
            reports=self.reports,
        )
        reminders = Reminders(store, self.host, _now_ms)
        self.scheduler = Scheduler(
            self.kv, store, reminders, self._environment, self._reminder_settings, _now_ms
        )

    # --- hooks -------------------------------------------------------------------------------

    def on_activate(self) -> None:
        self._configure()
        self.scheduler.start()

    def on_deactivate(self) -> None:
        self.scheduler.stop()
        self.afterwards.close(AFTERWARDS_GRACE_SECONDS)

    def on_configuration_change(self) -> None:
        self._configure()

    def serve_http(self, request: Request) -> Response:
        return self.router.dispatch(request)

    def execute_command(self, args: CommandArgs) -> CommandResponse:
        return commands.execute(self.commands, args)

    def user_has_joined_channel(self, member: ChannelMember, actor_id: str) -> None:
        self.workflow.member_joined(member.channel_id, member.user_id, actor_id)

    # --- system admin decisions (``commands.AdminOps``); each re-runs activation --------------

    def repin(self, username: str) -> str:
        text = identity.repin(self.host, self.kv, username)
        self._configure()
        return text

    def adopt_channel(self) -> str:
        return self._channel_decision(channel.adopt)

    def forget_channel(self) -> str:
        return self._channel_decision(lambda host, kv, team, name: channel.forget(kv, team, name))

    def _channel_decision(self, decide: commands.ChannelDecision) -> str:
        settings = Settings.from_config(self.host.plugin_settings())
        team = self.host.get_team_by_name(settings.team_name) if settings.team_name else None
        if team is None:
            return "Set the escalations team in the plugin settings first."
        text = decide(self.host, self.kv, team, settings.channel_name)
        self._configure()
        return text

    # --- state -------------------------------------------------------------------------------

    def _configure(self) -> None:
        settings = Settings.from_config(self.host.plugin_settings())
        current = self._policy()
        activated = Activator(self.host, self.kv).activate(settings, current, self._publish)
        self._publish(activated)
        log.info(
            "active policy %s (%s); escalations channel %s",
            activated.policy.policy.version,
            activated.policy.origin,
            activated.environment.channel.name if activated.environment else "not configured",
        )

    def _publish(self, activated: Activated) -> None:
        with self._lock:
            self._activated = activated

    def _environment(self) -> Environment | None:
        with self._lock:
            return self._activated.environment if self._activated else None

    def _policy(self) -> ActivePolicy | None:
        with self._lock:
            return self._activated.policy if self._activated else None

    def _reminder_settings(self) -> ScheduleSettings:
        with self._lock:
            return self._activated.reminders if self._activated else ScheduleSettings()

    def _status(self) -> PolicyStatus:
        with self._lock:
            return self._activated.status if self._activated else PolicyStatus()
