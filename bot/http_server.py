"""HTTP serving through waitress, a production WSGI server (no hand-written ``http.server``).

Waitress reads requests asynchronously and hands only complete ones to a bounded pool of
worker threads, so a slow or idle client costs a socket, not a thread. It refuses a body over
``MAX_BODY`` (413) and a ``Content-Length`` that is not a plain number (400) before any
application code runs, and it closes connections idle for ``CHANNEL_TIMEOUT`` seconds.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from slack_bolt import App
from waitress import create_server, wasyncore

from bot.services import Services
from bot.web import WSGIApp, health, wsgi_app

__all__ = ["MAX_BODY", "SlackHTTPServer", "WebServer", "health"]

log = logging.getLogger("costbot.http")

MAX_BODY = 1 << 20  # Slack's payloads are a few kB; 1 MiB is generous
MAX_HEADERS = 64 << 10
THREADS = 8  # requests served at once; Bolt acknowledges fast and answers on its own pool
CONNECTION_LIMIT = 100  # open sockets, slow or idle ones included
CHANNEL_TIMEOUT = 30  # seconds a connection may sit idle (Slack sends its request at once)
STOP_TIMEOUT = 2.0  # seconds given to requests in flight when stopping


class WebServer:
    """Serve a WSGI app on ``host:port`` (port 0 picks a free one) from a background thread."""

    def __init__(
        self,
        app: WSGIApp,
        host: str = "0.0.0.0",
        port: int = 3000,
        *,
        channel_timeout: int = CHANNEL_TIMEOUT,
    ) -> None:
        self._server: Any = create_server(
            app,
            host=host,
            port=port,
            threads=THREADS,
            connection_limit=CONNECTION_LIMIT,
            channel_timeout=channel_timeout,
            cleanup_interval=min(5, channel_timeout),
            max_request_body_size=MAX_BODY,
            max_request_header_size=MAX_HEADERS,
            ident="costbot",
            clear_untrusted_proxy_headers=True,
            expose_tracebacks=False,
        )
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        """The port actually bound."""
        return int(self._server.effective_port)

    def start(self) -> None:
        """Serve in a background (daemon) thread."""
        self._thread = threading.Thread(target=self._run, name=f"http:{self.port}", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            self._server.run()
        except Exception:  # sockets closed under the polling loop by stop(): nothing to do
            log.debug("http loop on :%d ended", self.port, exc_info=True)

    def stop(self, timeout: float = STOP_TIMEOUT) -> None:
        """Stop accepting, give requests in flight up to ``timeout`` s, close every socket."""
        self._server.task_dispatcher.shutdown(cancel_pending=True, timeout=timeout)
        try:
            self._server.close()
            wasyncore.close_all(self._server._map)
        except OSError:
            log.debug("closing :%d", self.port, exc_info=True)
        if self._thread is not None:  # the loop notices within its 1 s poll; no need to wait
            self._thread.join(0.1)


class SlackHTTPServer(WebServer):
    """HTTP mode: Slack's requests at ``/slack/events``, plus ``/healthz`` and ``/metrics``.

    ``metrics=False`` leaves ``/metrics`` to a separate :class:`WebServer` (``--metrics-port``).
    """

    def __init__(
        self,
        app: App,
        services: Services,
        host: str = "0.0.0.0",
        port: int = 3000,
        *,
        metrics: bool = True,
        channel_timeout: int = CHANNEL_TIMEOUT,
    ) -> None:
        super().__init__(
            wsgi_app(services, slack=app, metrics=metrics),
            host=host,
            port=port,
            channel_timeout=channel_timeout,
        )
