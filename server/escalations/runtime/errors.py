"""The runtime layer's one exception tree, and the mapping of both upstream error conventions.

Tree::

    RuntimeLayerError                  anything raised by escalations.runtime
    ├── ManifestError                  plugin.json missing or unreadable (startup only)
    ├── HookError                      raised by plugin code to fail a hook with a clean AppError
    └── PluginAPIError                 a PluginAPI call failed (.rpc, .error_id, .status_code)
        ├── InvalidArgumentError       400 / INVALID_ARGUMENT, OUT_OF_RANGE, FAILED_PRECONDITION
        ├── UnauthenticatedError       401 / UNAUTHENTICATED
        ├── PermissionDeniedError      403 / PERMISSION_DENIED
        ├── NotFoundError              404 / NOT_FOUND
        ├── AlreadyExistsError         409 / ALREADY_EXISTS (also ABORTED)
        ├── ResourceExhaustedError     413, 429 / RESOURCE_EXHAUSTED
        ├── UnimplementedError         501 / UNIMPLEMENTED
        ├── UnavailableError           503 / UNAVAILABLE, CANCELLED (server gone or unreachable)
        ├── DeadlineError              the call's deadline passed (DEADLINE_EXCEEDED)
        └── InternalError              anything else (500 / INTERNAL, UNKNOWN, DATA_LOSS)

The Mattermost PluginAPI reports failures in two ways (docs/protocol.md §5), sometimes for
different RPCs of the same service:

1. *Embedded*: the response's ``error`` field (an ``AppError``) is set and the gRPC status is OK
   (KV and post RPCs). :func:`from_app_error` maps it by ``status_code``.
2. *gRPC status*: the call fails with a status code, the message being
   ``"<AppError.id>: <AppError.message>"`` (users, channels, teams, bots, commands, config).
   :func:`from_rpc_error` maps it by code and splits the id back out of the message.

Callers catch the classes above and never see a raw ``grpc.RpcError``.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import grpc

if TYPE_CHECKING:
    from escalations.runtime.pb import common_pb2


class RuntimeLayerError(Exception):
    """Base of every exception raised by ``escalations.runtime``."""


class ManifestError(RuntimeLayerError):
    """``plugin.json`` is missing, unreadable or has no usable ``id``."""


class HookError(RuntimeLayerError):
    """Raise from a hook to fail it with a chosen AppError (e.g. refuse activation).

    Args:
        message: text shown in the server log / to the user.
        error_id: AppError id; defaults to ``plugin.hook.error``.
        status_code: HTTP-like status carried in the AppError.
    """

    def __init__(
        self, message: str, *, error_id: str = "plugin.hook.error", status_code: int = 500
    ) -> None:
        super().__init__(message)
        self.message = message
        self.error_id = error_id
        self.status_code = status_code


class PluginAPIError(RuntimeLayerError):
    """A PluginAPI call failed.

    Attributes:
        rpc: the RPC name, e.g. ``"GetUser"``.
        error_id: the upstream AppError id (``""`` for transport failures).
        message: the human-readable message.
        status_code: the HTTP-like status (AppError ``status_code`` or derived from the gRPC code).
        detailed_error: extra detail when the server sent one (embedded convention only).
        grpc_code: the gRPC status code name when the failure came as a status, else ``None``.
    """

    default_status = 500

    def __init__(
        self,
        rpc: str,
        message: str,
        *,
        error_id: str = "",
        status_code: int | None = None,
        detailed_error: str = "",
        grpc_code: str | None = None,
    ) -> None:
        self.rpc = rpc
        self.error_id = error_id
        self.message = message
        self.status_code = self.default_status if status_code is None else status_code
        self.detailed_error = detailed_error
        self.grpc_code = grpc_code
        label = f"{error_id}: {message}" if error_id else message
        super().__init__(f"{rpc}: {label}")


class InvalidArgumentError(PluginAPIError):
    default_status = 400


class UnauthenticatedError(PluginAPIError):
    default_status = 401


class PermissionDeniedError(PluginAPIError):
    default_status = 403


class NotFoundError(PluginAPIError):
    default_status = 404


class AlreadyExistsError(PluginAPIError):
    default_status = 409


class ResourceExhaustedError(PluginAPIError):
    default_status = 429


class UnimplementedError(PluginAPIError):
    default_status = 501


class UnavailableError(PluginAPIError):
    default_status = 503


class DeadlineError(PluginAPIError):
    default_status = 504


class InternalError(PluginAPIError):
    default_status = 500


# AppError.status_code -> class (the inverse of upstream AppErrorToStatus).
_BY_STATUS: dict[int, type[PluginAPIError]] = {
    400: InvalidArgumentError,
    401: UnauthenticatedError,
    403: PermissionDeniedError,
    404: NotFoundError,
    409: AlreadyExistsError,
    413: ResourceExhaustedError,
    429: ResourceExhaustedError,
    501: UnimplementedError,
    503: UnavailableError,
    504: DeadlineError,
}

_BY_CODE: dict[grpc.StatusCode, type[PluginAPIError]] = {
    grpc.StatusCode.INVALID_ARGUMENT: InvalidArgumentError,
    grpc.StatusCode.OUT_OF_RANGE: InvalidArgumentError,
    grpc.StatusCode.FAILED_PRECONDITION: InvalidArgumentError,
    grpc.StatusCode.UNAUTHENTICATED: UnauthenticatedError,
    grpc.StatusCode.PERMISSION_DENIED: PermissionDeniedError,
    grpc.StatusCode.NOT_FOUND: NotFoundError,
    grpc.StatusCode.ALREADY_EXISTS: AlreadyExistsError,
    grpc.StatusCode.ABORTED: AlreadyExistsError,
    grpc.StatusCode.RESOURCE_EXHAUSTED: ResourceExhaustedError,
    grpc.StatusCode.UNIMPLEMENTED: UnimplementedError,
    grpc.StatusCode.UNAVAILABLE: UnavailableError,
    grpc.StatusCode.CANCELLED: UnavailableError,
    grpc.StatusCode.DEADLINE_EXCEEDED: DeadlineError,
}

# "<id>: <message>" where the id is a dotted Mattermost i18n id such as
# "app.user.get_by_username.app_error" (no spaces, at least one dot).
_ID_PREFIX = re.compile(r"^(?P<id>[A-Za-z0-9_\-]+(?:\.[A-Za-z0-9_\-]+)+): (?P<msg>.*)\Z", re.S)


def has_app_error(app_error: common_pb2.AppError) -> bool:
    """True if an ``AppError`` message (possibly default/empty) denotes a failure."""
    return bool(app_error.id or app_error.message or app_error.status_code)


def from_app_error(rpc: str, app_error: common_pb2.AppError) -> PluginAPIError:
    """Map an embedded ``AppError`` proto (convention 1) to our exception."""
    status = int(app_error.status_code)
    cls = _BY_STATUS.get(status, InternalError)
    return cls(
        rpc,
        str(app_error.message) or str(app_error.id),
        error_id=str(app_error.id),
        status_code=status or None,
        detailed_error=str(app_error.detailed_error),
    )


def split_status_message(details: str) -> tuple[str, str]:
    """Split ``"<id>: <message>"`` into ``(id, message)``; ``("", details)`` if there is no id."""
    match = _ID_PREFIX.match(details)
    if match is None:
        return "", details
    return match.group("id"), match.group("msg")


def from_rpc_error(rpc: str, exc: grpc.RpcError) -> PluginAPIError:
    """Map a failed gRPC call (convention 2, or a transport failure) to our exception."""
    code = exc.code() if isinstance(exc, grpc.Call) else grpc.StatusCode.UNKNOWN
    details = (exc.details() if isinstance(exc, grpc.Call) else None) or str(code.name)
    error_id, message = split_status_message(details)
    cls = _BY_CODE.get(code, InternalError)
    return cls(rpc, message, error_id=error_id, grpc_code=code.name)


def to_app_error_fields(exc: BaseException, hook: str) -> tuple[str, str, int]:
    """``(id, message, status_code)`` for a hook response, from an exception in plugin code."""
    if isinstance(exc, HookError):
        return exc.error_id, exc.message, exc.status_code
    if isinstance(exc, PluginAPIError):
        return exc.error_id or "plugin.api.error", str(exc), exc.status_code
    return f"plugin.{hook}.error", f"{type(exc).__name__}: {exc}", 500
