"""Fixtures for the GPU features: a moto server with a seeded fleet, services wired to it."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import pytest
import requests
from gpu_world import REGION, World, seed, wall_now_plus
from harness.slack_emulator import DEFAULT_BOT_TOKEN, SlackEmulator
from harness.slack_requests import DEFAULT_SIGNING_SECRET
from moto.server import ThreadedMotoServer

from bot.http_server import SlackHTTPServer
from bot.services import Services, build_services
from bot.settings import GpuSettings, Settings
from bot.slack_app import build_app

logging.getLogger("werkzeug").setLevel(logging.ERROR)  # moto's request log


@pytest.fixture(scope="session")
def moto_url() -> Iterator[str]:
    """A moto server on 127.0.0.1:<free port> for the whole session (reset per test)."""
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def world(moto_url: str) -> World:
    """A fresh seeded fleet (moto reset first)."""
    requests.post(f"{moto_url}/moto-api/reset", timeout=5)
    return seed(moto_url, wall_now_plus())


GPU_SETTINGS = GpuSettings(
    regions=(REGION,),
    stop_users=("U0ADMIN", "S0GPUOPS"),
    team_channels={"ai-research": "C0AIRES", "search": "C0SEARCH"},
    default_channel="C0COSTS",
    idle_lookback_hours=3,
    metrics_period_seconds=1800,  # the seeded step: moto's GetMetricData is slow per period
)


def make_services(tmp_path: Path, world: World, **settings: object) -> Services:
    """Build services against the moto server with the world's clock."""
    base = Settings(
        db_path=tmp_path / "costbot.db",
        aws_endpoint_url=world.url,
        aws_region=REGION,
        gpus=GPU_SETTINGS,
    )
    return build_services(replace(base, **settings), clock=lambda: world.now)  # type: ignore[arg-type]


@pytest.fixture
def services(tmp_path: Path, world: World) -> Iterator[Services]:
    """Services wired to the seeded moto world and a fresh store."""
    s = make_services(tmp_path, world)
    yield s
    s.close()


@dataclass
class GpuApp:
    """The running Slack app over the seeded world."""

    url: str
    services: Services
    world: World


@pytest.fixture
def gpu_app(tmp_path: Path, world: World, slack_emulator: SlackEmulator) -> Iterator[GpuApp]:
    """The costbot Slack app on 127.0.0.1, its Web API client pointed at the emulator."""
    slack_emulator.set_response("usergroups.users.list", {"users": ["U0GROUPIE"]})
    services = make_services(
        tmp_path,
        world,
        slack_bot_token=DEFAULT_BOT_TOKEN,
        slack_signing_secret=DEFAULT_SIGNING_SECRET,
        slack_api_url=slack_emulator.base_url,
    )
    app = build_app(services)
    server = SlackHTTPServer(app, services, host="127.0.0.1", port=0)
    server.start()
    yield GpuApp(f"http://127.0.0.1:{server.port}/slack/events", services, world)
    server.stop()
    services.close()
