"""HTTP mode: Slack's requests at ``POST /slack/events``, plus ``/healthz`` and ``/metrics``.

A plain ``ThreadingHTTPServer`` hands each Slack request to Bolt's
``App.dispatch`` (which verifies the signature and acknowledges); the transport
knows nothing of costs. Lazy listeners finish their work after the response.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from slack_bolt import App, BoltRequest

from bot.metrics import Metrics
from bot.services import Services
from bot.sync.report import sync_health

log = logging.getLogger(__name__)
MAX_BODY = 1 << 20
STALE_AFTER_HOURS = 48


def _kind(body: str, content_type: str) -> str:
    if "command=" in body:
        return "command"
    if body.startswith("payload="):
        return "interaction"
    if "application/json" in content_type:
        return "event"
    return "other"


def health(services: Services) -> tuple[int, dict[str, Any]]:
    """Report whether the store answers and how fresh its data is."""
    try:
        services.store.conn.execute("SELECT 1").fetchone()
        through = services.store.data_through()
    except Exception as exc:  # any database failure means unhealthy, whatever its class
        return 503, {"ok": False, "store": f"unreachable: {exc}"}
    age = (services.clock() - through).total_seconds() / 3600 if through else None
    return 200, {
        "ok": True,
        "store": str(services.settings.db_path),
        "data_through": through.isoformat() if through else None,
        "data_age_hours": round(age, 1) if age is not None else None,
        "stale": age is None or age > STALE_AFTER_HOURS,
        "sync": sync_health(services.store, services.clock().date()),
    }


class SlackHTTPServer:
    """Serve a Bolt app over HTTP on ``host:port`` (port 0 picks a free one)."""

    def __init__(
        self,
        app: App,
        services: Services,
        metrics: Metrics,
        host: str = "0.0.0.0",
        port: int = 3000,
    ) -> None:
        handler = self._handler_class(app, services, metrics)
        self.httpd = ThreadingHTTPServer((host, port), handler)
        self.httpd.daemon_threads = True
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        """The port actually bound."""
        return int(self.httpd.server_address[1])

    def start(self) -> None:
        """Serve in a background thread."""
        self._thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self._thread.start()

    def serve_forever(self) -> None:
        """Serve in this thread until interrupted."""
        self.httpd.serve_forever()

    def stop(self) -> None:
        """Stop serving and close the socket."""
        self.httpd.shutdown()
        self.httpd.server_close()

    @staticmethod
    def _handler_class(app: App, services: Services, metrics: Metrics) -> type:
        class Handler(BaseHTTPRequestHandler):
            server_version = "costbot"

            def log_message(self, fmt: str, *args: Any) -> None:
                log.debug("http: " + fmt, *args)

            def _send(
                self,
                status: int,
                body: bytes,
                content_type: str,
                headers: dict[str, Any] | None = None,
            ) -> None:
                self.send_response(status)
                for k, v in (headers or {}).items():
                    for item in v if isinstance(v, list | tuple) else [v]:
                        self.send_header(k, str(item))
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self) -> None:
                if self.path == "/healthz":
                    status, payload = health(services)
                    self._send(status, json.dumps(payload).encode(), "application/json")
                elif self.path == "/metrics":
                    self._send(200, metrics.render().encode(), "text/plain; version=0.0.4")
                else:
                    self._send(404, b"not found", "text/plain")

            def do_POST(self) -> None:
                if self.path.split("?")[0] != "/slack/events":
                    self._send(404, b"not found", "text/plain")
                    return
                length = int(self.headers.get("Content-Length") or 0)
                if length > MAX_BODY:
                    self._send(413, b"too large", "text/plain")
                    return
                body = self.rfile.read(length).decode("utf-8", errors="replace")
                started = time.perf_counter()
                headers: dict[str, str | Sequence[str]] = {
                    k.lower(): [v] for k, v in self.headers.items()
                }
                kind = _kind(body, self.headers.get("Content-Type", ""))
                resp = app.dispatch(BoltRequest(body=body, headers=headers))
                metrics.observe(kind, time.perf_counter() - started, ok=resp.status < 500)
                self._send(
                    resp.status,
                    resp.body.encode(),
                    resp.headers.get("content-type", ["text/plain"])[0],
                    {k: v for k, v in resp.headers.items() if k != "content-type"},
                )

        return Handler
