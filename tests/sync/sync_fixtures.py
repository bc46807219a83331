"""Fixtures for the sync tests (imported by each test module; no conftest, so `conftest` stays
unambiguous for other test folders): moto behind the AWS stand-in, services wired to it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pyarrow as pa
import pytest
import requests
from harness.aws_standin import AwsStandIn, aws_standin, moto_server
from sync_support import NOW, TRUTH_END

from bot.costs.sample import generate_org
from bot.services import Services, build_services
from bot.settings import Settings


@pytest.fixture(scope="module")
def truth() -> pa.Table:
    """50 days of the sample org (2024-09-01..2024-10-20), daily canonical lines."""
    return generate_org(TRUTH_END, 50, seed=11)


@pytest.fixture
def standin() -> Iterator[AwsStandIn]:
    """moto on 127.0.0.1 with the stand-in in front; moto's global state reset per test."""
    with moto_server() as url:
        requests.post(f"{url}/moto-api/reset", timeout=10)
        with aws_standin(url) as s:
            yield s
        requests.post(
            f"{url}/moto-api/state-manager/unset-transition",
            json={"model_name": "athena::execution"},
            timeout=10,
        )


@pytest.fixture
def services_for(tmp_path: Path, standin: AwsStandIn) -> Iterator[Callable[..., Services]]:
    """Build services on a fresh store whose AWS calls go to the stand-in."""
    built: list[Services] = []

    def build(name: str = "synced.db", **settings: object) -> Services:
        base: dict[str, object] = {
            "db_path": tmp_path / name,
            "aws_endpoint_url": standin.url,
            "allocation_tags": ("team", "project"),
            "aws_retry_mode": "standard",
            "aws_max_attempts": 3,
        }
        base.update(settings)
        services = build_services(Settings(**base), clock=lambda: NOW)  # type: ignore[arg-type]
        built.append(services)
        return services

    yield build
    for services in built:
        services.close()
