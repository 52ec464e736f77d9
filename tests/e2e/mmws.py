"""A minimal WebSocket client for Mattermost's event stream (standard library only).

Connects to ``/api/v4/websocket`` with a session token in the ``Authorization`` header and yields
the JSON events the server pushes. Only what the suite needs of RFC 6455: the upgrade handshake,
unmasked server frames (text, ping, close, continuation), masked pong/close replies. A reader thread
collects events so a test can wait for one with a deadline.
"""

from __future__ import annotations

import base64
import json
import os
import socket
import struct
import threading
import time
import urllib.parse
from collections.abc import Callable
from typing import Any

OP_CONT, OP_TEXT, OP_BINARY, OP_CLOSE, OP_PING, OP_PONG = 0x0, 0x1, 0x2, 0x8, 0x9, 0xA


class EventStream:
    def __init__(self, base_url: str, token: str) -> None:
        url = urllib.parse.urlparse(base_url)
        host, port = url.hostname or "127.0.0.1", url.port or 80
        self._sock = socket.create_connection((host, port), timeout=10)
        key = base64.b64encode(os.urandom(16)).decode()
        request = (
            "GET /api/v4/websocket HTTP/1.1\r\n"
            f"Host: {host}:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
            f"Authorization: Bearer {token}\r\n\r\n"
        )
        self._sock.sendall(request.encode())
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = self._sock.recv(1)
            if not chunk:
                raise ConnectionError("websocket upgrade: connection closed")
            head += chunk
        status = head.split(b"\r\n", 1)[0]
        if b" 101 " not in status:
            raise ConnectionError(f"websocket upgrade refused: {status!r}")
        self._sock.settimeout(None)
        self.events: list[dict[str, Any]] = []
        self._cond = threading.Condition()
        self._closed = False
        self._lock = threading.Lock()
        threading.Thread(target=self._read_loop, daemon=True).start()

    def _recv_exact(self, n: int) -> bytes:
        data = b""
        while len(data) < n:
            chunk = self._sock.recv(n - len(data))
            if not chunk:
                raise ConnectionError("closed")
            data += chunk
        return data

    def _send(self, opcode: int, payload: bytes = b"") -> None:
        mask = os.urandom(4)
        header = bytes([0x80 | opcode])
        n = len(payload)
        if n < 126:
            header += bytes([0x80 | n])
        elif n < 1 << 16:
            header += bytes([0x80 | 126]) + struct.pack("!H", n)
        else:
            header += bytes([0x80 | 127]) + struct.pack("!Q", n)
        masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        with self._lock:
            self._sock.sendall(header + mask + masked)

    def _read_loop(self) -> None:
        message = b""
        try:
            while True:
                b0, b1 = self._recv_exact(2)
                opcode, n = b0 & 0x0F, b1 & 0x7F
                if n == 126:
                    n = struct.unpack("!H", self._recv_exact(2))[0]
                elif n == 127:
                    n = struct.unpack("!Q", self._recv_exact(8))[0]
                payload = self._recv_exact(n)
                if opcode == OP_PING:
                    self._send(OP_PONG, payload)
                elif opcode == OP_CLOSE:
                    break
                elif opcode in (OP_TEXT, OP_BINARY, OP_CONT):
                    message += payload
                    if b0 & 0x80:
                        self._deliver(message)
                        message = b""
        except (OSError, ConnectionError):
            pass
        finally:
            with self._cond:
                self._closed = True
                self._cond.notify_all()

    def _deliver(self, raw: bytes) -> None:
        try:
            event = json.loads(raw)
        except ValueError:
            return
        with self._cond:
            self.events.append(event)
            self._cond.notify_all()

    def wait_for(
        self, match: Callable[[dict[str, Any]], bool], timeout: float = 15.0
    ) -> dict[str, Any]:
        """The first event (seen so far or arriving before ``timeout``) that ``match`` accepts."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                for event in self.events:
                    if match(event):
                        return event
                left = deadline - time.monotonic()
                if left <= 0 or self._closed:
                    seen = [e.get("event") for e in self.events]
                    raise AssertionError(f"no matching websocket event; saw {seen}")
                self._cond.wait(left)

    def close(self) -> None:
        try:
            self._send(OP_CLOSE, struct.pack("!H", 1000))
        except OSError:
            pass
        self._sock.close()
