"""``grpc.health.v1.Health`` servicer: go-plugin pings service ``"plugin"``; we also answer ``""``.

Statuses are changed with :meth:`HealthServicer.set`; ``Watch`` streams changes until the caller
goes away or :meth:`HealthServicer.shutdown` is called.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import TypeAlias

import grpc

from escalations.runtime.pb import health_pb2, health_pb2_grpc

ServingStatus: TypeAlias = health_pb2.HealthCheckResponse.ServingStatus.ValueType
SERVING = health_pb2.HealthCheckResponse.SERVING
NOT_SERVING = health_pb2.HealthCheckResponse.NOT_SERVING
SERVICE_UNKNOWN = health_pb2.HealthCheckResponse.SERVICE_UNKNOWN
PLUGIN_SERVICES = ("plugin", "")


class HealthServicer(health_pb2_grpc.HealthServicer):
    """Thread-safe map of service name -> serving status."""

    def __init__(self) -> None:
        self._statuses: dict[str, ServingStatus] = {}
        self._changed = threading.Condition()
        self._closed = False

    def set(self, service: str, status: ServingStatus) -> None:
        with self._changed:
            self._statuses[service] = status
            self._changed.notify_all()

    def set_all(self, status: ServingStatus, services: tuple[str, ...] = PLUGIN_SERVICES) -> None:
        for service in services:
            self.set(service, status)

    def shutdown(self) -> None:
        """Mark everything NOT_SERVING and end every ``Watch`` stream."""
        with self._changed:
            for service in self._statuses:
                self._statuses[service] = NOT_SERVING
            self._closed = True
            self._changed.notify_all()

    def status(self, service: str) -> ServingStatus | None:
        with self._changed:
            return self._statuses.get(service)

    def Check(
        self, request: health_pb2.HealthCheckRequest, context: grpc.ServicerContext
    ) -> health_pb2.HealthCheckResponse:
        status = self.status(request.service)
        if status is None:
            context.abort(grpc.StatusCode.NOT_FOUND, f"unknown service {request.service!r}")
        return health_pb2.HealthCheckResponse(status=status)

    def Watch(
        self, request: health_pb2.HealthCheckRequest, context: grpc.ServicerContext
    ) -> Iterator[health_pb2.HealthCheckResponse]:
        last: ServingStatus | None = None
        while context.is_active():
            with self._changed:
                current = self._statuses.get(request.service, SERVICE_UNKNOWN)
                if current == last:
                    if self._closed:
                        return
                    # Wake up periodically to notice a departed caller.
                    self._changed.wait(timeout=1.0)
                    continue
            last = current
            yield health_pb2.HealthCheckResponse(status=current)
