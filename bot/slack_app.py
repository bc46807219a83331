"""Build the Bolt app and run it: Socket Mode with an app token, HTTP mode otherwise.

Settings are checked before anything connects, and every problem is reported
by the name of the variable to fix, never as a traceback.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Executor, ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any

from slack_bolt import App
from slack_bolt.error import BoltError
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
)

from bot.errors import SettingsError, StoreLocked
from bot.http_server import WebServer
from bot.metrics import parse_iso
from bot.services import Services, build_services
from bot.settings import Settings
from bot.web import WSGIApp, wsgi_app

log = logging.getLogger("costbot")
DEFAULT_API_URL = "https://slack.com/api/"


def check_slack_settings(settings: Settings) -> str:
    """Validate the Slack settings and return the mode: ``socket`` or ``http``."""
    token = settings.slack_bot_token
    if not token:
        raise SettingsError(
            "SLACK_BOT_TOKEN is not set: copy the Bot User OAuth Token (xoxb-…) from your app's "
            "OAuth & Permissions page."
        )
    if not token.startswith("xoxb-"):
        raise SettingsError("SLACK_BOT_TOKEN must be a bot token starting with xoxb-.")
    if settings.slack_app_token:
        if not settings.slack_app_token.startswith("xapp-"):
            raise SettingsError(
                "SLACK_APP_TOKEN must be an app-level token starting with xapp- (Basic "
                "Information → App-Level Tokens, scope connections:write)."
            )
        return "socket"
    if not settings.slack_signing_secret:
        raise SettingsError(
            "SLACK_SIGNING_SECRET is not set: HTTP mode needs it to verify Slack's requests "
            "(Basic Information → Signing Secret). Or set SLACK_APP_TOKEN for Socket Mode."
        )
    return "http"


def web_client(settings: Settings) -> WebClient:
    """Build the Web API client: custom base URL, retries on rate limits and connection drops."""
    base = settings.slack_api_url or DEFAULT_API_URL
    return WebClient(
        token=settings.slack_bot_token,
        base_url=base if base.endswith("/") else base + "/",
        retry_handlers=[
            RateLimitErrorRetryHandler(max_retry_count=2),
            ConnectionErrorRetryHandler(max_retry_count=1),
        ],
    )


def build_app(
    services: Services,
    *,
    client: WebClient | None = None,
    process_before_response: bool = False,
    listener_executor: Executor | None = None,
) -> App:
    """Build the Bolt app with costbot's listeners (no transport).

    ``process_before_response`` runs lazy listeners before the HTTP response, as
    on FaaS platforms; a long-running server leaves it off so acks are immediate.
    """
    from handlers import register
    from handlers.observe import ObservedApp

    settings = services.settings
    try:
        app = ObservedApp(
            client=client or web_client(settings),
            signing_secret=settings.slack_signing_secret or "socket-mode-has-no-secret",
            process_before_response=process_before_response,
            listener_executor=listener_executor,
        )
    except BoltError as exc:
        raise SettingsError(f"Slack rejected SLACK_BOT_TOKEN: {exc}") from exc
    app.metrics = services.metrics
    register(app, services)
    return app


def serve(
    settings: Settings,
    *,
    stop: threading.Event | None = None,
    on_ready: Callable[[Runtime], None] | None = None,
) -> None:
    """Run the bot, its probes and its scheduler until SIGTERM, SIGINT or ``stop`` is set.

    Stopping takes a few seconds at most: the servers stop accepting, requests and answers in
    flight get ``DRAIN_SECONDS``, the scheduler is shut down without waiting, and the store is
    closed. ``on_ready`` receives the running :class:`Runtime` (ports, mode) once serving.
    """
    mode = check_slack_settings(settings)
    services = _services_once_the_store_opens(settings, stop)
    if services is None:
        return  # stopped while waiting
    try:
        client = web_client(settings)
        try:
            client.auth_test()
        except SlackApiError as exc:
            raise SettingsError(
                f"Slack rejected SLACK_BOT_TOKEN ({exc.response.get('error')}); check the token."
            ) from exc
        runtime = Runtime(mode, settings, services, client)
        with _stop_on_signals(stop or threading.Event()) as event:
            runtime.run(event, on_ready)
    finally:
        services.close()
        log.info("costbot stopped; store closed")


DRAIN_SECONDS = 1.5  # answers in flight when stopping get this long to finish
# How long a bot starting beside another process's first ingest waits for it (a first load
# of the bench org x4, 30 M lines, takes about a minute) before it gives up.
STORE_WAIT_SECONDS = 15 * 60
STORE_RETRY_SECONDS = 1.0  # between attempts (each also waits the store's busy timeout)


def _services_once_the_store_opens(
    settings: Settings, stop: threading.Event | None
) -> Services | None:
    """Build the serving services, waiting while another process's first ingest holds the
    store to itself; None if ``stop`` is set meanwhile.

    A bot started, or restarted by its supervisor, while `costbot ingest` loads an empty
    store would otherwise stop at once; the load takes minutes at most, and the store has
    nothing to answer from before it ends. Any other store error stops start-up as before.
    """
    deadline = time.monotonic() + STORE_WAIT_SECONDS
    told = 0.0
    while True:
        try:
            return build_services(settings, serving=True)
        except StoreLocked as exc:
            now = time.monotonic()
            if now >= deadline:
                raise
            if now - told >= 60:  # say so at once, then once a minute
                log.warning(
                    "%s; waiting for it before serving (up to %d minutes)",
                    exc,
                    STORE_WAIT_SECONDS // 60,
                )
                told = now
        if stop is not None:
            if stop.wait(STORE_RETRY_SECONDS):
                return None
        else:
            time.sleep(STORE_RETRY_SECONDS)


class Runtime:
    """What ``serve`` runs: the Bolt app, its transport, the web servers and the scheduler."""

    def __init__(
        self, mode: str, settings: Settings, services: Services, client: WebClient
    ) -> None:
        from scheduler import build_scheduler

        self.mode = mode
        self.settings = settings
        self.services = services
        self.executor = ThreadPoolExecutor(max_workers=8, thread_name_prefix="costbot-answer")
        self.app = build_app(services, client=client, listener_executor=self.executor)
        services.metrics.last_sync = parse_iso(services.store.meta("last_ingest_at"))
        self.scheduler = build_scheduler(services, services.metrics, client=client)
        self.servers: list[WebServer] = []
        self.socket_mode: Any = None

    @property
    def port(self) -> int:
        """The port of /healthz (and /slack/events in HTTP mode)."""
        return self.servers[0].port

    @property
    def metrics_port(self) -> int:
        """The port of /metrics."""
        return self.servers[-1].port

    def start(self) -> None:
        """Start the scheduler, the web servers and (Socket Mode) the Slack connection."""
        settings, services = self.settings, self.services
        separate = settings.metrics_port is not None
        self.scheduler.start()
        slack = self.app if self.mode == "http" else None
        main = wsgi_app(services, slack=slack, metrics=not separate)
        self.servers.append(_listen(main, settings.port, "PORT (--port)"))
        if separate:
            only_metrics = wsgi_app(services, healthz=False)
            variable = "COSTBOT_METRICS_PORT (--metrics-port)"
            self.servers.append(_listen(only_metrics, settings.metrics_port or 0, variable))
        for server in self.servers:
            server.start()
        if self.mode == "socket":
            from slack_bolt.adapter.socket_mode import SocketModeHandler

            self.socket_mode = SocketModeHandler(self.app, settings.slack_app_token)
            try:
                self.socket_mode.connect()
            except SlackApiError as exc:
                raise SettingsError(
                    f"Slack rejected SLACK_APP_TOKEN ({exc.response.get('error')}): it must be "
                    "an app-level token with the connections:write scope."
                ) from exc

    def run(self, stop: threading.Event, on_ready: Callable[[Runtime], None] | None) -> None:
        """Start, log the start-up line, wait for ``stop``, then stop everything."""
        try:
            self.start()
            self._log_start()
            if on_ready is not None:
                on_ready(self)
            while not stop.wait(0.5):
                pass
        finally:
            self.shutdown()

    def shutdown(self) -> None:
        """Stop taking requests, let answers in flight finish briefly, stop the scheduler."""
        log.info("costbot stopping", extra={"mode": self.mode})
        if self.socket_mode is not None:
            self.socket_mode.close()
        for server in self.servers:
            server.stop(timeout=DRAIN_SECONDS)
        self.scheduler.shutdown(wait=False)
        self.executor.shutdown(wait=False, cancel_futures=True)
        deadline = time.monotonic() + DRAIN_SECONDS
        for thread in list(getattr(self.executor, "_threads", ())):
            thread.join(max(0.0, deadline - time.monotonic()))
        busy = sum(t.is_alive() for t in getattr(self.executor, "_threads", ()))
        if busy:
            log.warning("%d answer(s) still running at shutdown are abandoned", busy)

    def _log_start(self) -> None:
        through = self.services.store.data_through()
        age = (self.services.clock() - through).total_seconds() / 3600 if through else None
        fresh = (
            f"data through {through:%Y-%m-%d %H:%M} UTC ({age:.0f} h old)"
            if through and age is not None
            else "no data yet (run `costbot ingest PATH`)"
        )
        routes = "/slack/events, /healthz" if self.mode == "http" else "/healthz"
        log.info(
            "costbot serving in %s: %s on :%d, /metrics on :%d; %s",
            "Socket Mode" if self.mode == "socket" else "HTTP mode",
            routes,
            self.port,
            self.metrics_port,
            fresh,
            extra={
                "event": "start",
                "mode": self.mode,
                "port": self.port,
                "metrics_port": self.metrics_port,
                "data_through": through.isoformat() if through else None,
                "data_age_hours": round(age, 1) if age is not None else None,
            },
        )


def _listen(app: WSGIApp, port: int, variable: str) -> WebServer:
    """Bind a server; a port that cannot be had is a settings error naming the variable."""
    try:
        return WebServer(app, port=port)
    except OSError as exc:
        raise SettingsError(
            f"cannot listen on port {port} ({exc.strerror}); set {variable}"
        ) from exc


@contextmanager
def _stop_on_signals(event: threading.Event) -> Iterator[threading.Event]:
    """Set ``event`` on SIGTERM or SIGINT (a second signal exits at once)."""
    if threading.current_thread() is not threading.main_thread():
        yield event
        return

    def handler(signum: int, _frame: object) -> None:
        if event.is_set():
            os._exit(128 + signum)
        log.info("received %s", signal.Signals(signum).name, extra={"signal": signum})
        event.set()

    previous = {sig: signal.signal(sig, handler) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield event
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)
