"""Short, stable import path for the generated protobuf/gRPC modules.

The stubs are produced by ``make gen`` into ``escalations.runtime._pb`` (git-ignored), with typed
``.pyi`` stubs for mypy (mypy-protobuf): messages, enums, the ``PluginAPIStub`` and the servicer
base classes are checked like our own code. Import them from here::

    from escalations.runtime.pb import api_pb2, api_pb2_grpc, hooks_pb2, models_pb2

Run ``make gen`` after changing any ``.proto`` file under ``escalations/runtime/proto/``.
"""

from __future__ import annotations

try:
    from escalations.runtime._pb.grpc.health.v1 import health_pb2, health_pb2_grpc
    from escalations.runtime._pb.mattermost.pluginapi.v1 import (
        api_pb2,
        api_pb2_grpc,
        common_pb2,
        hooks_pb2,
        hooks_pb2_grpc,
        models_pb2,
    )
except ImportError as exc:  # pragma: no cover - only without generated stubs
    raise ImportError(
        "generated gRPC stubs are missing: run `make gen` (scripts/gen_protos.py)"
    ) from exc

__all__ = [
    "api_pb2",
    "api_pb2_grpc",
    "common_pb2",
    "health_pb2",
    "health_pb2_grpc",
    "hooks_pb2",
    "hooks_pb2_grpc",
    "models_pb2",
]
