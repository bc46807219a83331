"""Build the Bolt app and run it: Socket Mode with an app token, HTTP mode otherwise.

Settings are checked before anything connects, and every problem is reported
by the name of the variable to fix, never as a traceback.
"""

from __future__ import annotations

import logging
import signal
from functools import partial

from slack_bolt import App
from slack_bolt.error import BoltError
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
)

from bot.errors import SettingsError
from bot.http_server import SlackHTTPServer
from bot.metrics import Metrics, parse_iso
from bot.services import Services, build_services
from bot.settings import Settings

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
) -> App:
    """Build the Bolt app with costbot's listeners (no transport).

    ``process_before_response`` runs lazy listeners before the HTTP response, as
    on FaaS platforms; a long-running server leaves it off so acks are immediate.
    """
    from handlers import register

    settings = services.settings
    try:
        app = App(
            client=client or web_client(settings),
            signing_secret=settings.slack_signing_secret or "socket-mode-has-no-secret",
            process_before_response=process_before_response,
        )
    except BoltError as exc:
        raise SettingsError(f"Slack rejected SLACK_BOT_TOKEN: {exc}") from exc
    register(app, services)
    return app


def sync_metrics_text(services: Services) -> str:
    """Render the sync figures (last success, rows, duration, API spend) for ``/metrics``."""
    from bot.sync.report import render_samples, sync_samples

    return render_samples(sync_samples(services.store, services.clock().date()))


def serve(settings: Settings) -> None:
    """Run the bot and its scheduler until interrupted."""
    from scheduler import build_scheduler

    mode = check_slack_settings(settings)
    services = build_services(settings)
    try:
        services_client = web_client(settings)
        services_client.auth_test()
    except SlackApiError as exc:
        raise SettingsError(
            f"Slack rejected SLACK_BOT_TOKEN ({exc.response.get('error')}); check the token."
        ) from exc
    app = build_app(services, client=services_client)
    metrics = Metrics(services.store.data_through)
    metrics.last_sync = parse_iso(services.store.meta("last_ingest_at"))
    metrics.extra.append(partial(sync_metrics_text, services))
    scheduler = build_scheduler(services, metrics)
    scheduler.start()
    try:
        if mode == "socket":
            from slack_bolt.adapter.socket_mode import SocketModeHandler

            log.info("costbot: Socket Mode")
            SocketModeHandler(app, settings.slack_app_token).start()
        else:
            server = SlackHTTPServer(app, services, metrics, port=settings.port)
            log.info("costbot: HTTP mode on :%d (/slack/events, /healthz, /metrics)", server.port)
            signal.signal(signal.SIGTERM, lambda *_: server.stop())
            server.serve_forever()
    finally:
        scheduler.shutdown(wait=False)
        services.close()
