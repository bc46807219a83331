"""The WSGI application: ``POST /slack/events`` (Bolt), ``GET /healthz``, ``GET /metrics``.

Bolt is served through its own WSGI adapter (``slack_bolt.adapter.wsgi``); the server in front
(waitress, :mod:`bot.http_server`) enforces body size, timeouts and the thread pool before any
byte reaches this code. Which routes an instance serves is chosen by :func:`wsgi_app`, so the
Slack endpoint, the probes and the metrics can sit on different ports.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl

from slack_bolt import App, BoltRequest, BoltResponse
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_bolt.adapter.wsgi.http_request import WsgiHttpRequest
from slack_bolt.context import BoltContext
from slack_bolt.request.internals import build_context

from bot.metrics import CONTENT_TYPE
from bot.services import Services
from bot.sync.report import sync_health

if TYPE_CHECKING:
    from wsgiref.types import StartResponse, WSGIEnvironment

log = logging.getLogger("costbot.http")
STALE_AFTER_HOURS = 48
SLACK_PATH = "/slack/events"

WSGIApp = Callable[["WSGIEnvironment", "StartResponse"], Iterable[bytes]]


def health(services: Services) -> tuple[int, dict[str, Any]]:
    """Report whether the store answers and how fresh its data is (never where it lives)."""
    try:
        services.store.conn.execute("SELECT 1").fetchone()
        through = services.store.data_through()
    except Exception:  # any database failure means unhealthy, whatever its class
        log.exception("health check: the store does not answer")
        return 503, {"ok": False, "store": "unreachable"}
    age = (services.clock() - through).total_seconds() / 3600 if through else None
    return 200, {
        "ok": True,
        "data_through": through.isoformat() if through else None,
        "data_age_hours": round(age, 1) if age is not None else None,
        "stale": age is None or age > STALE_AFTER_HOURS,
        "sync": sync_health(services.store, services.clock().date()),
    }


class FormBoltRequest(BoltRequest):
    """A Bolt request whose form body survives the word "payload" in a command's text.

    Bolt takes any form body that contains "payload" anywhere for an interactive payload and,
    finding no ``payload`` field, parses it as empty: `/cost team payload-api` would be dropped
    with a 404. A form body without a ``payload`` field is read as the plain form it is.
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if self.body or "payload" not in self.raw_body:
            return
        form = dict(parse_qsl(self.raw_body, keep_blank_values=True))
        if form and "payload" not in form:
            self.body = form
            self.context = build_context(BoltContext(dict(self.context)), form)

    def to_copyable(self) -> BoltRequest:
        """Copy for lazy listeners, keeping the form reading."""
        return FormBoltRequest(
            body=self.raw_body,
            query=self.query,
            headers=self.headers,
            context=self.context.to_copyable(),
            mode=self.mode,
        )


class _BoltHandler(SlackRequestHandler):
    """Bolt's WSGI adapter, reading form bodies with :class:`FormBoltRequest`.

    Each request is logged and counted once, around ``App.dispatch`` (handlers/observe.py).
    """

    def dispatch(self, request: WsgiHttpRequest) -> BoltResponse:
        """Hand the body to Bolt, which verifies the signature and acknowledges."""
        return self.app.dispatch(
            FormBoltRequest(
                body=request.get_body(),
                query=request.query_string,
                headers=request.get_headers(),
            )
        )


def wsgi_app(
    services: Services,
    *,
    slack: App | None = None,
    metrics: bool = True,
    healthz: bool = True,
) -> WSGIApp:
    """Build the WSGI app serving the Slack endpoint (if ``slack``), the probe and metrics."""
    bolt = _BoltHandler(slack, path=SLACK_PATH) if slack is not None else None

    def application(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        method = environ.get("REQUEST_METHOD", "GET")
        if bolt is not None and path == SLACK_PATH:
            if method != "POST":
                return _plain(start_response, "405 Method Not Allowed", b"POST only\n")
            return bolt(environ, start_response)
        if healthz and path == "/healthz" and method in ("GET", "HEAD"):
            status, payload = health(services)
            body = json.dumps(payload).encode()
            reason = "200 OK" if status == 200 else "503 Service Unavailable"
            start_response(
                reason,
                [("Content-Type", "application/json"), ("Content-Length", str(len(body)))],
            )
            return [body]
        if metrics and path == "/metrics" and method in ("GET", "HEAD"):
            body = services.metrics.render().encode()
            start_response(
                "200 OK", [("Content-Type", CONTENT_TYPE), ("Content-Length", str(len(body)))]
            )
            return [body]
        return _plain(start_response, "404 Not Found", b"not found\n")

    return application


def _plain(start_response: StartResponse, status: str, body: bytes) -> list[bytes]:
    start_response(
        status, [("Content-Type", "text/plain; charset=utf-8"), ("Content-Length", str(len(body)))]
    )
    return [body]
