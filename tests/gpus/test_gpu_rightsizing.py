"""GPU right-sizing from the CloudWatch agent's utilisation (issue 16): a p4d.24xlarge whose
GPUs stay under 30 % for 14+ days of the hint window gets a smaller host, with its $ figure.

The bill is written here as FOCUS rows and the agent's daily GPU metrics are seeded on the
moto server of tests/gpus (three p4d.24xlarge: under-used for 20 days, busy, and under-used
for only 10 days). The expected saving is computed from the rows written here and the
catalogue's prices with fractions, never with costbot's readers or hint rules.
"""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from fractions import Fraction
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from conftest import make_services
from gpu_world import AMI, REGION, World
from harness.aws_standin import aws_standin
from tests_support import focus_row, write_csv

from bot.cli import main
from bot.costs.ingest import ingest
from bot.economics import HINT_SOURCES, gather_hints, gather_unit
from bot.gpu_utilisation import gpu_rightsizing_hints
from bot.insights.gpu_catalog import CATALOG
from bot.services import build_services

WINDOW_DAYS = 30  # the hint window
GPUS = 8  # a p4d.24xlarge's A100s


@dataclass
class Fleet:
    """The three seeded p4d instances, the bill's last day and the rows written for each."""

    ids: dict[str, str]
    last_day: date
    rows: list[dict[str, str]]

    def window_cost_nanos(self, role: str) -> int:
        """Sum the role's EffectiveCost inside the 30-day window, as exact nano-units."""
        first = self.last_day - timedelta(days=WINDOW_DAYS - 1)
        total = sum(
            Decimal(r["EffectiveCost"])
            for r in self.rows
            if r["ResourceId"] == self.ids[role]
            and first <= date.fromisoformat(r["ChargePeriodStart"][:10]) <= self.last_day
        )
        return int(total * 10**9)


def _launch(world: World, team: str) -> str:
    spec = [{"ResourceType": "instance", "Tags": [{"Key": "team", "Value": team}]}]
    answer = world.client("ec2").run_instances(
        ImageId=AMI, MinCount=1, MaxCount=1, InstanceType="p4d.24xlarge", TagSpecifications=spec
    )
    return str(answer["Instances"][0]["InstanceId"])


def _daily_gpu_metrics(world: World, instance_id: str, days: list[date], low: float) -> None:
    """Seed two agent points a day per GPU (06:00 and 18:00 UTC) averaging ``low + 6`` a day.

    GPU ``i`` reads ``low + 6 - i/2`` in the morning and ``low + 6 + i/2`` in the evening,
    so every GPU's daily average, and the instance's mean, is exactly ``low + 6``.
    """
    data: list[dict[str, Any]] = []
    for day in days:
        for index in range(GPUS):
            dims = [
                {"Name": "InstanceId", "Value": instance_id},
                {"Name": "index", "Value": str(index)},
                {"Name": "name", "Value": "NVIDIA A100-SXM4-40GB"},
            ]
            for hour, sign in ((6, -1), (18, 1)):
                data.append(
                    {
                        "MetricName": "nvidia_smi_utilization_gpu",
                        "Dimensions": dims,
                        "Timestamp": datetime.combine(day, time(hour), UTC),
                        "Value": low + 6 + sign * index / 2,
                        "Unit": "Percent",
                    }
                )
    cw = world.client("cloudwatch")
    for start in range(0, len(data), 500):
        cw.put_metric_data(Namespace="CWAgent", MetricData=data[start : start + 500])


def _bill(path: Path, ids: dict[str, str], last_day: date) -> list[dict[str, str]]:
    """Write 31 days of on-demand p4d.24xlarge usage per instance (the first outside the window).

    Hours vary 22–24 a day, so the cost is not a round multiple of the price.
    """
    price = CATALOG["p4d.24xlarge"].price
    teams = {"underused": "ai-research", "busy": "ml-platform", "short": "search"}
    rows = []
    for offset in range(WINDOW_DAYS + 1):
        day = last_day - timedelta(days=offset)
        for role, instance_id in ids.items():
            rows.append(
                focus_row(
                    day.isoformat(),
                    str(price * (24 - (offset + len(role)) % 3)),
                    resource=instance_id,
                    tags=json.dumps({"team": teams[role]}),
                )
            )
    write_csv(path, rows)
    return rows


@pytest.fixture
def fleet(tmp_path: Path, world: World) -> Fleet:
    """Seed the three p4d, their metrics, and a store holding their bill (tmp_path/costbot.db)."""
    ids = {
        "underused": _launch(world, "ai-research"),
        "busy": _launch(world, "ml-platform"),
        "short": _launch(world, "search"),
    }
    last_day = world.now.date() - timedelta(days=1)
    window = [last_day - timedelta(days=d) for d in range(WINDOW_DAYS)]
    _daily_gpu_metrics(world, ids["underused"], window[:20], low=6.0)  # 12 % for 20 days
    _daily_gpu_metrics(world, ids["busy"], window, low=79.0)  # 85 % for 30 days
    _daily_gpu_metrics(world, ids["short"], window[:10], low=4.0)  # 10 %, only 10 days
    rows = _bill(tmp_path / "bill.csv", ids, last_day)
    services = make_services(tmp_path, world)
    s = services.settings
    ingest(
        services.store,
        [str(tmp_path / "bill.csv")],
        allocation_tags=s.allocation_tags,
        aliases=s.tag_aliases,
    )
    services.close()
    return Fleet(ids, last_day, rows)


def expected_saving(fleet: Fleet) -> int:
    """The under-used p4d's cost × (1 − g5.48xlarge ÷ p4d.24xlarge price), per 730-hour month."""
    ratio = Fraction(CATALOG["g5.48xlarge"].price) / Fraction(CATALOG["p4d.24xlarge"].price)
    month = Fraction(730, 24 * WINDOW_DAYS)
    return round(fleet.window_cost_nanos("underused") * (1 - ratio) * month)


def test_cli_hints_right_size_only_the_p4d_under_30_percent_for_14_days(
    fleet: Fleet, world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(
        "bot.commands.economics.build_services", partial(build_services, clock=lambda: world.now)
    )
    env = {
        "AWS_ENDPOINT_URL": world.url,
        "AWS_REGION": REGION,
        "COSTBOT_DB": str(tmp_path / "costbot.db"),
        "COSTBOT_REGIONS": REGION,
    }
    result = CliRunner().invoke(main, ["hints", "--cloudwatch", "--json"], env=env)

    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["end"] == fleet.last_day.isoformat()
    (hint,) = [h for h in report["hints"] if h["kind"] == "rightsizing"]
    assert hint["resources"] == [fleet.ids["underused"]]
    assert hint["title"] == f"Right-size {fleet.ids['underused']} from p4d.24xlarge to g5.48xlarge"
    assert hint["team"] == "ai-research"
    assert Decimal(hint["monthly_saving"]).scaleb(9) == expected_saving(fleet)
    assert hint["evidence"][0] == "GPU utilisation averaged 12 % over 20 days (threshold 30 %)"
    assert "CloudWatch agent" in hint["source"] and "price list" in hint["source"]
    mentioned = {r for h in report["hints"] for r in h["resources"]}
    assert fleet.ids["busy"] not in mentioned and fleet.ids["short"] not in mentioned
    assert not any("skipped" in n for n in report["notes"])


def test_cloudwatch_switch_decides_and_the_note_says_what_needs_it(
    fleet: Fleet, world: World, tmp_path: Path
) -> None:
    assert gpu_rightsizing_hints in HINT_SOURCES  # registered on import
    services = make_services(tmp_path, world)  # COSTBOT_ENDPOINT_METRICS off
    try:
        off = gather_hints(services)
        on = gather_hints(services, use_metrics=True)  # --cloudwatch for this report only
    finally:
        services.close()

    assert [h for h in off.hints if h.kind == "rightsizing"] == []
    assert any("right-sizing needs CloudWatch" in n and "GPU utilisation" in n for n in off.notes)
    (hint,) = [h for h in on.hints if h.kind == "rightsizing"]
    assert hint.resources == (fleet.ids["underused"],)
    assert hint.monthly_saving == expected_saving(fleet)
    assert not any("needs CloudWatch" in n for n in on.notes)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def denied_url(world: World) -> Iterator[str]:
    """moto behind a stand-in that answers every CloudWatch read with AccessDenied."""
    with aws_standin(world.url) as standin:
        standin.answers.append(
            lambda action, _: (
                (
                    403,
                    {
                        "__type": "AccessDenied",
                        "message": "User: arn:aws:sts::123456789012:assumed-role/costbot/bot "
                        f"is not authorized to perform: cloudwatch:{action}",
                    },
                )
                if action in ("ListMetrics", "GetMetricData")
                else None
            )
        )
        yield standin.url


@pytest.mark.parametrize("failure", ["access denied", "nothing listening"])
def test_a_cloudwatch_failure_is_a_note_not_a_crash(
    failure: str,
    fleet: Fleet,
    world: World,
    tmp_path: Path,
    request: pytest.FixtureRequest,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    if failure == "access denied":
        url, reason = request.getfixturevalue("denied_url"), "AccessDenied"
    else:
        monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")  # no retries against a closed port
        url, reason = f"http://127.0.0.1:{_free_port()}", "Could not connect"
    services = make_services(tmp_path, world, aws_endpoint_url=url, endpoint_metrics=True)
    try:
        hints = gather_hints(services)
        unit = gather_unit(services)
    finally:
        services.close()

    assert [h for h in hints.hints if h.kind == "rightsizing"] == []
    (note,) = [n for n in hints.notes if n.startswith("gpu_rightsizing_hints skipped")]
    assert "CloudWatch GPU metrics could not be read" in note and reason in note
    assert any(n.startswith("GPU utilisation not read") and reason in n for n in unit.notes)


def test_unit_costs_read_gpu_utilisation_only_when_cloudwatch_is_switched_on(
    fleet: Fleet, world: World, tmp_path: Path
) -> None:
    services = make_services(tmp_path, world)  # COSTBOT_ENDPOINT_METRICS off
    try:
        off = gather_unit(services, use_metrics=False)
        on = gather_unit(services, use_metrics=True)  # `costbot unit --cloudwatch`
    finally:
        services.close()

    assert off.efficiency == []
    assert any("need GPU utilisation" in n for n in off.notes)
    teams = {e.team for e in on.efficiency}
    assert {"ai-research", "ml-platform", "search"} <= teams
