"""A local stand-in for Slack's Socket Mode WebSocket endpoint (RFC 6455, text frames).

Point the emulator's ``apps.connections.open`` at :attr:`SocketModeStandIn.url`; the app's
Socket Mode client then connects here over real TCP. The stand-in answers the handshake,
greets with ``hello`` like Slack, answers pings, can push an envelope (a slash command, say)
and records what the app sends back (acknowledgements).
"""

from __future__ import annotations

import base64
import hashlib
import json
import socket
import struct
import threading
import uuid
from typing import Any

GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
TEXT, CLOSE, PING, PONG = 0x1, 0x8, 0x9, 0xA


def _frame(opcode: int, payload: bytes) -> bytes:
    """An unmasked server frame."""
    head = bytes([0x80 | opcode])
    n = len(payload)
    if n < 126:
        return head + bytes([n]) + payload
    if n < 1 << 16:
        return head + bytes([126]) + struct.pack("!H", n) + payload
    return head + bytes([127]) + struct.pack("!Q", n) + payload


def _read_exact(conn: socket.socket, n: int) -> bytes:
    data = b""
    while len(data) < n:
        chunk = conn.recv(n - len(data))
        if not chunk:
            raise ConnectionError("closed")
        data += chunk
    return data


def _read_frame(conn: socket.socket) -> tuple[int, bytes]:
    b0, b1 = _read_exact(conn, 2)
    n = b1 & 0x7F
    if n == 126:
        (n,) = struct.unpack("!H", _read_exact(conn, 2))
    elif n == 127:
        (n,) = struct.unpack("!Q", _read_exact(conn, 8))
    mask = _read_exact(conn, 4) if b1 & 0x80 else b"\0\0\0\0"
    data = bytes(c ^ mask[i % 4] for i, c in enumerate(_read_exact(conn, n)))
    return b0 & 0x0F, data


class SocketModeStandIn:
    """Accept Socket Mode connections on 127.0.0.1:<free port> in daemon threads."""

    def __init__(self) -> None:
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"ws://127.0.0.1:{self._listener.getsockname()[1]}/link/?ticket=test"
        self.received: list[dict[str, Any]] = []
        self.connections: list[socket.socket] = []
        self.closed_by_app = threading.Event()
        self._cond = threading.Condition()
        self._thread = threading.Thread(target=self._accept, daemon=True)

    def start(self) -> SocketModeStandIn:
        """Start accepting."""
        self._thread.start()
        return self

    def stop(self) -> None:
        """Close the listener and every connection."""
        self._listener.close()
        for conn in self.connections:
            conn.close()

    def __enter__(self) -> SocketModeStandIn:
        return self

    def __exit__(self, *_: object) -> None:
        self.stop()

    def wait_connected(self, timeout: float = 10) -> None:
        """Block until the app has connected and been greeted."""
        with self._cond:
            if not self._cond.wait_for(lambda: self.connections, timeout):
                raise AssertionError("the app never opened a Socket Mode connection")

    def push(self, payload: dict[str, Any], kind: str = "slash_commands") -> str:
        """Send an envelope to the newest connection; return its envelope id."""
        envelope_id = str(uuid.uuid4())
        message = {
            "envelope_id": envelope_id,
            "type": kind,
            "payload": payload,
            "accepts_response_payload": True,
            "retry_attempt": 0,
            "retry_reason": "",
        }
        self.connections[-1].sendall(_frame(TEXT, json.dumps(message).encode()))
        return envelope_id

    def wait_for_ack(self, envelope_id: str, timeout: float = 10) -> dict[str, Any]:
        """Block until the app acknowledges ``envelope_id``."""

        def found() -> dict[str, Any] | None:
            return next((m for m in self.received if m.get("envelope_id") == envelope_id), None)

        with self._cond:
            if not self._cond.wait_for(lambda: found() is not None, timeout):
                raise AssertionError(f"no acknowledgement of {envelope_id}")
            return found()  # type: ignore[return-value]

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self._listener.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        try:
            request = b""
            while b"\r\n\r\n" not in request:
                request += conn.recv(4096) or b"\r\n\r\n"
            headers = dict(
                line.split(": ", 1)
                for line in request.decode("latin-1").split("\r\n")[1:]
                if ": " in line
            )
            key = {k.lower(): v for k, v in headers.items()}["sec-websocket-key"].strip()
            accept = base64.b64encode(hashlib.sha1((key + GUID).encode()).digest()).decode()
            conn.sendall(
                (
                    "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                    f"Connection: Upgrade\r\nSec-WebSocket-Accept: {accept}\r\n\r\n"
                ).encode()
            )
            hello = {"type": "hello", "num_connections": 1, "debug_info": {"host": "stand-in"}}
            conn.sendall(_frame(TEXT, json.dumps(hello).encode()))
            with self._cond:
                self.connections.append(conn)
                self._cond.notify_all()
            while True:
                opcode, data = _read_frame(conn)
                if opcode == PING:
                    conn.sendall(_frame(PONG, data))
                elif opcode == CLOSE:
                    self.closed_by_app.set()
                    conn.sendall(_frame(CLOSE, data[:2]))
                    return
                elif opcode == TEXT:
                    with self._cond:
                        self.received.append(json.loads(data))
                        self._cond.notify_all()
        except (ConnectionError, OSError, KeyError, ValueError):
            return
        finally:
            conn.close()
