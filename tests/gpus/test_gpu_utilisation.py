"""GPU utilisation over a window feeds unit costs' busy vs paid GPU-hours (issue 16's seam)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from conftest import make_services
from gpu_world import World

from bot.gpu_utilisation import cloudwatch_gpu_utilisation


def test_mean_gpu_utilisation_per_instance_from_the_agent_metrics(
    tmp_path: Path, world: World
) -> None:
    services = make_services(tmp_path, world, endpoint_metrics=True)
    day = world.now.date()

    used = cloudwatch_gpu_utilisation(services, day - timedelta(days=1), day)

    ids = world.ids
    assert used[ids["busy"]] == pytest.approx(0.85)
    assert used[ids["half"]] == pytest.approx(0.23)  # one GPU of four at 92 %
    assert used[ids["idle"]] == 0.0
    assert ids["noagent"] not in used and ids["cpu"] not in used
    services.close()


def test_nothing_is_read_unless_cloudwatch_reads_are_on(tmp_path: Path, world: World) -> None:
    services = make_services(tmp_path, world)  # COSTBOT_ENDPOINT_METRICS off (the default)
    day = world.now.date()
    assert cloudwatch_gpu_utilisation(services, day - timedelta(days=1), day) == {}
    services.close()
