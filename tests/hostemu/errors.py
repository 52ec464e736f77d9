"""Errors of the host emulator, and the one table saying how each PluginAPI RPC reports failure.

Tree::

    HostEmuError                  anything the emulator raises at the test author
    ├── PluginActivationError     the plugin did not come up the way the server needs (crash,
    │                             timeout, junk before the handshake, health, Implemented,
    │                             OnActivate)
    ├── PluginNotRunningError     a drive helper was used while no plugin process is active
    └── ScenarioError             the test asked for something the server state cannot do
                                  (unknown user/post/action, a command nobody registered, ...)

    AppError                      a Mattermost ``model.AppError`` raised *inside* the emulated
                                  server; the API server turns it into the RPC's upstream
                                  convention (``CONVENTIONS``), drive helpers put it on results.

``CONVENTIONS`` is the single place that says which convention each RPC follows
(docs/protocol.md §4.1 and §5): ``EMBEDDED`` = response ``error`` field with gRPC status OK;
``STATUS`` = gRPC status whose message is ``"<id>: <message>"`` and whose code is mapped from
``status_code`` (``grpc_code_for``); ``NEVER`` = the Go API returns no error, so failures are
swallowed and an empty response is returned.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass

import grpc


class HostEmuError(Exception):
    """Base class of everything the emulator raises at the test author."""


class PluginActivationError(HostEmuError):
    """The plugin failed to start or activate; the message ends with its stderr tail."""

    def __init__(self, reason: str, stderr_tail: str = "") -> None:
        self.reason = reason
        self.stderr_tail = stderr_tail
        text = reason
        if stderr_tail:
            text += "\n--- plugin stderr (tail) ---\n" + stderr_tail
        super().__init__(text)


class PluginNotRunningError(HostEmuError):
    """A hook was to be called but no plugin process is active."""


class ScenarioError(HostEmuError):
    """The scenario asked for something the emulated server cannot do."""


@dataclass(frozen=True)
class AppError(Exception):
    """A Mattermost ``model.AppError`` (``common.proto`` AppError fields)."""

    id: str
    message: str
    status_code: int = 500
    where: str = ""
    detailed_error: str = ""

    def __str__(self) -> str:
        return f"{self.id}: {self.message}"


class Convention(enum.Enum):
    EMBEDDED = "E"
    STATUS = "S"
    NEVER = "-"


_E, _S, _N = Convention.EMBEDDED, Convention.STATUS, Convention.NEVER

# docs/protocol.md §4.1, column "failure arrives as". RPCs missing here default to STATUS
# (handlers_*.go style).
CONVENTIONS: Mapping[str, Convention] = {
    **dict.fromkeys(
        (
            "KVSet",
            "KVGet",
            "KVDelete",
            "KVDeleteAll",
            "KVSetWithOptions",
            "KVSetWithExpiry",
            "KVCompareAndSet",
            "KVCompareAndDelete",
            "KVList",
            "CreatePost",
            "UpdatePost",
            "GetPost",
            "DeletePost",
            "GetPostThread",
            "GetPostsSince",
        ),
        _E,
    ),
    **dict.fromkeys(
        (
            "SendEphemeralPost",
            "UpdateEphemeralPost",
            "DeleteEphemeralPost",
            "PublishWebSocketEvent",
            "HasPermissionTo",
            "HasPermissionToTeam",
            "HasPermissionToChannel",
            "LogDebug",
            "LogInfo",
            "LogWarn",
            "LogError",
            "GetServerVersion",
        ),
        _N,
    ),
    **dict.fromkeys(
        (
            "GetUser",
            "GetUserByUsername",
            "GetUsersByUsernames",
            "GetUsersByIds",
            "GetUserByEmail",
            "GetChannel",
            "GetChannelByName",
            "GetChannelByNameForTeamName",
            "GetDirectChannel",
            "CreateChannel",
            "AddChannelMember",
            "AddUserToChannel",
            "GetChannelMember",
            "GetChannelMembers",
            "DeleteChannelMember",
            "GetTeam",
            "GetTeamByName",
            "EnsureBotUser",
            "OpenInteractiveDialog",
            "RegisterCommand",
            "UnregisterCommand",
            "GetConfig",
            "GetPluginConfig",
            "LoadPluginConfiguration",
            "SavePluginConfig",
            "GetBundlePath",
        ),
        _S,
    ),
}


def convention_of(rpc: str) -> Convention:
    return CONVENTIONS.get(rpc, Convention.STATUS)


# AppErrorToStatus (docs/protocol.md §5).
_STATUS_TO_CODE: Mapping[int, grpc.StatusCode] = {
    400: grpc.StatusCode.INVALID_ARGUMENT,
    401: grpc.StatusCode.UNAUTHENTICATED,
    403: grpc.StatusCode.PERMISSION_DENIED,
    404: grpc.StatusCode.NOT_FOUND,
    409: grpc.StatusCode.ALREADY_EXISTS,
    413: grpc.StatusCode.RESOURCE_EXHAUSTED,
    429: grpc.StatusCode.RESOURCE_EXHAUSTED,
    501: grpc.StatusCode.UNIMPLEMENTED,
    503: grpc.StatusCode.UNAVAILABLE,
}


def grpc_code_for(status_code: int) -> grpc.StatusCode:
    """The gRPC code upstream's ``AppErrorToStatus`` uses for an AppError status code."""
    return _STATUS_TO_CODE.get(status_code, grpc.StatusCode.INTERNAL)


def status_message(err: AppError) -> str:
    """The gRPC status message upstream sends: ``"<id>: <message>"`` (docs/protocol.md §5); a plain
    Go error (no AppError, e.g. RegisterCommand's ``"invalid command"``) is just its text."""
    return f"{err.id}: {err.message}" if err.id else err.message


# Shorthands for the handful of errors the state raises; ids follow upstream i18n ids where the
# docs/protocol.md or upstream naming makes them known, otherwise they are descriptive.
def not_found(err_id: str, message: str, where: str = "") -> AppError:
    return AppError(err_id, message, 404, where)


def bad_request(err_id: str, message: str, where: str = "") -> AppError:
    return AppError(err_id, message, 400, where)


def forbidden(err_id: str, message: str, where: str = "") -> AppError:
    return AppError(err_id, message, 403, where)
