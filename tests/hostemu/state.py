"""The whole in-memory server state one emulated Mattermost holds for one plugin.

It outlives plugin processes (``Host.restart_plugin`` keeps it), like the server's database.
``lock`` (re-entrant) guards the directory, posts and the small registries here; the KV store has
its own lock. Never hold ``lock`` while calling into the plugin.

Config (docs/protocol.md §9): ``GetConfig`` returns the server config as JSON bytes; the plugin's
own settings live under ``PluginSettings.Plugins[<id>]`` and travel as a Struct (numbers become
doubles). The server stores plugin setting keys as sent (verified on 11.4.0, REST and
``SavePluginConfig``); the System Console lower-cases them before sending, so
``set_plugin_config(..., as_console=True)`` (the ``Host`` default) does the same. Nothing fills in
``settings_schema`` defaults, so a plugin must supply its own.
"""

from __future__ import annotations

import copy
import threading
from typing import Any

from hostemu.directory import Directory
from hostemu.errors import AppError, bad_request
from hostemu.kv import KVStore
from hostemu.model import Clock, Command, LogEntry, OpenedDialog, WebSocketEvent, new_id
from hostemu.posts import PostStore

DEFAULT_SITE_URL = "http://localhost:8065"


def default_server_config(site_url: str) -> dict[str, Any]:
    return {
        "ServiceSettings": {
            "SiteURL": site_url,
            "ListenAddress": ":8065",
            "EnablePostUsernameOverride": False,
            "EnablePostIconOverride": False,
            "OutgoingIntegrationRequestsTimeout": 30,
        },
        "TeamSettings": {"SiteName": "Mattermost", "MaxUsersPerTeam": 50},
        "PluginSettings": {"Enable": True, "Plugins": {}, "PluginStates": {}},
    }


class ServerState:
    def __init__(self, plugin_id: str, site_url: str = DEFAULT_SITE_URL) -> None:
        self.plugin_id = plugin_id
        self.clock = Clock()
        self.lock = threading.RLock()
        self.kv = KVStore(self.clock.now_ms)
        self.directory = Directory(self.clock, self.lock)
        self.posts = PostStore(self.directory, self.clock, self.lock)
        self.commands: dict[tuple[str, str], Command] = {}
        self.triggers: dict[str, tuple[str, int]] = {}
        self.dialogs: list[OpenedDialog] = []
        self.ws_events: list[WebSocketEvent] = []
        self.logs: list[LogEntry] = []
        self.server_config = default_server_config(site_url)
        self.server_config["PluginSettings"]["Plugins"][plugin_id] = {}

    @property
    def site_url(self) -> str:
        return str(self.server_config["ServiceSettings"]["SiteURL"])

    # -- config -------------------------------------------------------------------------------
    def plugin_config(self) -> dict[str, Any]:
        with self.lock:
            return copy.deepcopy(self.server_config["PluginSettings"]["Plugins"][self.plugin_id])

    def set_plugin_config(self, settings: dict[str, Any], as_console: bool = True) -> None:
        stored = {(k.lower() if as_console else k): v for k, v in settings.items()}
        with self.lock:
            self.server_config["PluginSettings"]["Plugins"][self.plugin_id] = copy.deepcopy(stored)

    def config_snapshot(self) -> dict[str, Any]:
        with self.lock:
            return copy.deepcopy(self.server_config)

    # -- commands -----------------------------------------------------------------------------
    def register_command(self, command: Command) -> None:
        """``RegisterPluginCommand``: trigger required, lower-cased, one per (team, trigger).

        Verified on 11.4.0: only an empty trigger is refused, with a plain Go error (gRPC
        INTERNAL ``"invalid command"``, no AppError id); ``/x`` or ``a b`` are accepted as is.
        """
        trigger = command.trigger.lower()
        if not trigger:
            raise AppError("", "invalid command", 500)
        with self.lock:
            self.commands[(command.team_id, trigger)] = Command(
                **{**command.__dict__, "trigger": trigger, "plugin_id": self.plugin_id}
            )

    def unregister_command(self, team_id: str, trigger: str) -> None:
        with self.lock:
            self.commands.pop((team_id, trigger.lower()), None)

    def command_for(self, team_id: str, trigger: str) -> Command | None:
        with self.lock:
            key = trigger.lower()
            return self.commands.get((team_id, key)) or self.commands.get(("", key))

    # -- trigger ids and dialogs --------------------------------------------------------------
    def new_trigger(self, user_id: str) -> str:
        trigger_id = new_id() + new_id()
        with self.lock:
            self.triggers[trigger_id] = (user_id, self.clock.now_ms())
        return trigger_id

    def open_dialog(self, trigger_id: str, url: str, dialog: dict[str, Any]) -> OpenedDialog:
        """``OpenInteractiveDialog``: a known, unexpired trigger id; a URL; a title."""
        with self.lock:
            known = self.triggers.get(trigger_id)
            if known is None:
                raise bad_request(
                    "interactive_message.decode_trigger_id.base64_decode_failed",
                    "Failed to decode base64 for trigger ID for interactive dialog.",
                )
            user_id, created = known
            # Upstream verifies trigger ids against the outgoing-integration timeout (30 s by
            # default) rather than a fixed 3 s in current versions.
            timeout_s = self.server_config["ServiceSettings"]["OutgoingIntegrationRequestsTimeout"]
            if self.clock.now_ms() - created > int(timeout_s) * 1000:
                raise bad_request(
                    "interactive_message.decode_trigger_id.expired",
                    "Trigger ID for interactive dialog is expired.",
                )
            if not url or not dialog.get("title"):
                raise bad_request("model.dialog.is_valid.app_error", "Invalid dialog.")
            opened = OpenedDialog(
                trigger_id, user_id, url, copy.deepcopy(dialog), self.clock.now_ms()
            )
            self.dialogs.append(opened)
            return opened

    # -- recordings ---------------------------------------------------------------------------
    def record_ws(self, event: str, payload: dict[str, Any], broadcast: dict[str, Any]) -> None:
        with self.lock:
            self.ws_events.append(
                WebSocketEvent(
                    f"custom_{self.plugin_id}_{event}",
                    event,
                    payload,
                    broadcast,
                    self.clock.now_ms(),
                )
            )

    def record_log(self, level: str, message: str, fields: dict[str, Any]) -> None:
        with self.lock:
            self.logs.append(LogEntry(level, message, fields, self.clock.now_ms()))
