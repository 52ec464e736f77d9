"""Host emulator: a test-side stand-in for the Mattermost server that runs a Python plugin.

``Host(plugin_dir)`` starts the plugin the way the server does, serves an in-memory ``PluginAPI``
over real gRPC on loopback, and drives the plugin (HTTP, buttons, slash commands, dialogs).
See ``host.py`` for the lifecycle and ``errors.py`` for the error tree and the per-RPC error
conventions. Not shipped in the plugin bundle.
"""

from __future__ import annotations

from hostemu.errors import (
    CONVENTIONS,
    AppError,
    Convention,
    HostEmuError,
    PluginActivationError,
    PluginNotRunningError,
    ScenarioError,
)
from hostemu.host import Host, StopResult
from hostemu.interactions import ClickResult, CommandResult, DialogResult, HttpResponse
from hostemu.kv import KVStore
from hostemu.model import (
    Bot,
    Channel,
    ChannelMember,
    Command,
    LogEntry,
    OpenedDialog,
    Post,
    Team,
    User,
    WebSocketEvent,
    new_id,
)
from hostemu.state import ServerState

__all__ = [
    "CONVENTIONS",
    "AppError",
    "Bot",
    "Channel",
    "ChannelMember",
    "ClickResult",
    "Command",
    "CommandResult",
    "Convention",
    "DialogResult",
    "Host",
    "HostEmuError",
    "HttpResponse",
    "KVStore",
    "LogEntry",
    "OpenedDialog",
    "PluginActivationError",
    "PluginNotRunningError",
    "Post",
    "ScenarioError",
    "ServerState",
    "StopResult",
    "Team",
    "User",
    "WebSocketEvent",
    "new_id",
]
