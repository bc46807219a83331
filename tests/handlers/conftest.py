"""A running costbot Slack app over real HTTP, wired to the Slack emulator."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from harness.slack_emulator import DEFAULT_BOT_TOKEN, SlackEmulator
from harness.slack_requests import DEFAULT_SIGNING_SECRET
from prometheus_client.parser import text_string_to_metric_families
from tests_support import focus_bill

from bot.costs.ingest import ingest
from bot.http_server import CHANNEL_TIMEOUT, SlackHTTPServer
from bot.metrics import Metrics
from bot.services import Services, build_services
from bot.settings import Settings
from bot.slack_app import build_app

NOW = datetime(2024, 10, 15, 9, 30, tzinfo=UTC)


@dataclass
class AppUnderTest:
    """The app's URL and its services."""

    url: str
    base: str
    services: Services
    metrics: Metrics


def start_app(
    tmp_path: Path,
    emulator: SlackEmulator,
    *,
    bill: bool = True,
    process_before_response: bool = False,
    wrap_services: Callable[[Services], None] | None = None,
    channel_timeout: int = CHANNEL_TIMEOUT,
) -> tuple[AppUnderTest, SlackHTTPServer]:
    """Build settings, services and the Bolt app, and serve it on 127.0.0.1:<free port>."""
    settings = Settings(
        db_path=tmp_path / "costbot.db",
        slack_bot_token=DEFAULT_BOT_TOKEN,
        slack_signing_secret=DEFAULT_SIGNING_SECRET,
        slack_api_url=emulator.base_url,
        allocation_tags=("team", "project"),
    )
    services = build_services(settings, clock=lambda: NOW)
    if bill:
        ingest(
            services.store,
            [str(focus_bill(tmp_path / "bill.csv"))],
            allocation_tags=settings.allocation_tags,
            aliases=settings.tag_aliases,
        )
    if wrap_services:
        wrap_services(services)
    app = build_app(services, process_before_response=process_before_response)
    server = SlackHTTPServer(
        app, services, host="127.0.0.1", port=0, channel_timeout=channel_timeout
    )
    server.start()
    base = f"http://127.0.0.1:{server.port}"
    return AppUnderTest(f"{base}/slack/events", base, services, services.metrics), server


def metric_samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Parse Prometheus text: ``{(name, sorted labels): value}``."""
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


@pytest.fixture
def costbot_app(tmp_path: Path, slack_emulator: SlackEmulator) -> Iterator[AppUnderTest]:
    """A running app over a small bill (Sept 1 – Oct 14, 2024), 'now' = Oct 15 2024."""
    app, server = start_app(tmp_path, slack_emulator)
    yield app
    server.stop()
    app.services.close()
