"""Hints and unit costs on the sample org and moto-seeded CloudWatch, against sums made here.

The expected figures are computed from the generator's own lines with pandas
and fractions, never with costbot's readers or insights.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from fractions import Fraction

import boto3
import numpy as np
import pandas as pd
import pytest
from economics_sample import SampleBill, build_sample_bill
from moto.server import ThreadedMotoServer

from bot.aws.endpoint_metrics import SageMakerEndpointMetrics
from bot.costs.sample import PRICES
from bot.economics import gather_hints, gather_unit
from bot.insights.charge_totals import charge_totals
from bot.insights.hints import GpuUtilisation, old_generation_hints, rightsizing_hints
from bot.services import Services, build_services
from bot.settings import Settings

START, END = date(2024, 9, 21), date(2024, 10, 20)
MONTH = Fraction(730, 720)  # a 730-hour month over the 30-day window
DAILY_CALLS = {"llm-serving-prod": 5_000, "embeddings-prod": 3_000_000, "reranker-prod": 1_000_000}


@pytest.fixture(scope="module")
def bill(tmp_path_factory: pytest.TempPathFactory) -> SampleBill:
    return build_sample_bill(tmp_path_factory.mktemp("sample"))


def cloudwatch(url: str) -> object:
    """A CloudWatch client with fake credentials (module fixtures run before the autouse ones)."""
    return boto3.session.Session(
        aws_access_key_id="testing", aws_secret_access_key="testing"
    ).client("cloudwatch", region_name="us-east-1", endpoint_url=url)


@pytest.fixture(scope="module")
def cloudwatch_url() -> Iterator[str]:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    url = f"http://{host}:{port}"
    client = cloudwatch(url)
    for name, calls in DAILY_CALLS.items():
        data = []
        for d in range(-5, 31):  # five days before the window: must not be counted
            when = datetime(2024, 9, 21, 12, tzinfo=UTC) + timedelta(days=d)
            data.append(
                {
                    "MetricName": "Invocations",
                    "Dimensions": [
                        {"Name": "EndpointName", "Value": name},
                        {"Name": "VariantName", "Value": "AllTraffic"},
                    ],
                    "Timestamp": when,
                    "Value": float(calls),
                    "Unit": "None",
                }
            )
        client.put_metric_data(Namespace="AWS/SageMaker", MetricData=data)
    yield url
    server.stop()


@pytest.fixture
def services(bill: SampleBill, cloudwatch_url: str) -> Iterator[Services]:
    settings = Settings(
        db_path=bill.store.path, aws_endpoint_url=cloudwatch_url, endpoint_metrics=True
    )
    s = build_services(settings, clock=lambda: datetime(2024, 10, 21, 8, tzinfo=UTC))
    yield s
    s.close()


def window(bill: SampleBill) -> pd.DataFrame:
    lines = bill.lines
    return lines[(lines["day"] >= START) & (lines["day"] <= END)]


def total(frame: pd.DataFrame, column: str = "effective") -> int:
    return sum(int(v) for v in frame[column])


def nanos(value: Fraction) -> int:
    return round(value)


def test_the_adapter_sums_invocations_inside_the_window_only(cloudwatch_url: str) -> None:
    client = cloudwatch(cloudwatch_url)
    calls = SageMakerEndpointMetrics(client).invocations(
        ["llm-serving-prod", "embeddings-prod", "no-such-endpoint"], START, END
    )
    assert calls == {"llm-serving-prod": 5_000 * 30, "embeddings-prod": 3_000_000 * 30}


def test_hints_hold_the_samples_cases_each_with_its_dollar_figure(
    bill: SampleBill, services: Services
) -> None:
    report = gather_hints(services)
    by_title = {h.title: h for h in report.hints}
    lines = window(bill)
    savings = [h.monthly_saving for h in report.hints]
    assert savings == sorted(savings, reverse=True)  # ranked by $ per month

    # an idle-prone training fleet: the six on-demand p4d of ai-research → Spot
    spot = by_title["Run ai-research p4d.24xlarge training on Spot"]
    on_demand = lines[lines["sku"] == "USE1-BoxUsage:p4d.24xlarge"]
    assert len(spot.resources) == on_demand["resource_id"].nunique() == 6
    spot_lines = lines[lines["sku"] == "USE1-SpotUsage:p4d.24xlarge"]
    share = Fraction(total(spot_lines, "billed"), total(spot_lines, "list"))
    assert spot.monthly_saving == nanos(total(on_demand) * (1 - share) * MONTH)
    assert spot.source.startswith("observed")

    # a steady endpoint: SageMaker endpoints on demand 24/7 → a SageMaker Savings Plan
    plan = by_title["Commit $33.79/h to a SageMaker Savings Plan for ml-platform steady usage"]
    hourly = PRICES["ml.p4d.24xlarge"] + 3 * PRICES["ml.g5.2xlarge"]
    assert plan.monthly_saving == nanos(Fraction(hourly) * Fraction(20, 100) * 730 * 10**9)
    assert plan.details["current_coverage"] == "0.000"
    assert Decimal(plan.details["commitment_per_hour"]) == hourly * Decimal("0.8")

    # a growing S3 bucket whose requests stay flat → Intelligent-Tiering
    tiering = {h.resources[0]: h for h in report.hints if h.kind == "storage-tiering"}
    assert set(tiering) == {"acme-ai-training-datasets", "acme-ai-logs"}
    storage = lines[
        (lines["resource_id"] == "acme-ai-training-datasets")
        & (lines["sku"] == "USE1-TimedStorage-ByteHrs")
    ]
    daily = storage.groupby("day")["effective"].sum().sort_index()
    cold = Fraction(int(daily.iloc[:7].sum()), int(daily.iloc[-7:].sum()))
    expected = total(storage) * cold * (1 - Fraction(125, 230)) * MONTH
    assert tiering["acme-ai-training-datasets"].monthly_saving == nanos(expected)

    # an under-used p4d: llm-serving-prod serves 5,000 calls a day on 8 A100s
    (sized,) = [h for h in report.hints if h.kind == "rightsizing"]
    assert "llm-serving-prod" in sized.title and "ml.g5.12xlarge" in sized.title
    endpoint = lines[lines["resource_id"].str.endswith("endpoint/llm-serving-prod")]
    ratio = Fraction(Decimal("7.09") / PRICES["ml.p4d.24xlarge"])
    assert sized.monthly_saving == nanos(total(endpoint) * (1 - ratio) * MONTH)


def test_hints_for_one_team_only(services: Services) -> None:
    report = gather_hints(services, team="ml-platform")
    assert report.hints and {h.team for h in report.hints} == {"ml-platform"}


def test_unit_costs_per_endpoint_run_and_team(bill: SampleBill, services: Services) -> None:
    report = gather_unit(services)
    lines = window(bill)
    units = {u.endpoint.name: u for u in report.endpoints}
    for name, per_day in DAILY_CALLS.items():
        cost = total(lines[lines["resource_id"].str.contains(f"endpoint/{name}", regex=False)])
        calls = per_day * 30
        assert units[name].invocations == calls
        assert units[name].per_1000 == round(Fraction(cost * 1000, calls))
    assert units["llm-serving-prod"].over_target  # $0.18 an inference, target $0.001
    assert not units["embeddings-prod"].over_target
    assert report.endpoints[0].endpoint.name == "llm-serving-prod"  # dearest first

    runs = {(r.kind, r.name): r for r in report.runs}
    tagged = lines[lines["tags"].map(lambda t: ("run", "ft-1008-c") in list(t))]
    run = runs[("run", "ft-1008-c")]
    assert run.cost == total(tagged)
    assert run.gpu_hours == 9 * 4 * 8  # 9 hours, 4 instances, 8 GPUs each
    assert run.per_gpu_hour == round(Fraction(total(tagged), 9 * 4 * 8))
    experiment = lines[lines["tags"].map(lambda t: ("experiment", "llama-ft") in list(t))]
    assert runs[("experiment", "llama-ft")].cost == total(experiment)
    assert runs[("training-job", "llm-ft-1008-c")].cost == total(tagged)

    teams = {t.name: t for t in report.teams}
    gpu_types = {"p4d.24xlarge", "p5.48xlarge", "g5.xlarge", "g5.12xlarge"}
    ml = lines[
        (lines["team"] == "ml-platform")
        & (lines["charge_category"] == "Usage")
        & (
            lines["resource_type"].isin(
                gpu_types | {"ml.p4d.24xlarge", "ml.g5.2xlarge", "ml.g5.xlarge"}
            )
        )
    ]
    assert teams["ml-platform"].cost == total(ml)


def test_unit_for_one_endpoint_and_an_unknown_one(services: Services) -> None:
    from bot.economics import NoDataError

    report = gather_unit(services, endpoint="reranker-prod")
    assert [u.endpoint.name for u in report.endpoints] == ["reranker-prod"]
    assert report.runs == [] and report.teams == []
    with pytest.raises(NoDataError, match="no endpoint 'nope'"):
        gather_unit(services, endpoint="nope")


def test_gpu_utilisation_and_old_generations_from_plain_data(bill: SampleBill) -> None:
    charges = charge_totals(bill.store, START, END)
    p4d = sorted(c for c in {c.resource_id for c in charges if c.resource_type == "p4d.24xlarge"})[
        0
    ]
    hints = rightsizing_hints(charges, {p4d: GpuUtilisation(p4d, 12.0, 30)})
    (hint,) = hints
    cost = sum(c.amount for c in charges if c.resource_id == p4d)
    ratio = Fraction(Decimal("16.288") / Decimal("32.7726"))
    assert "g5.48xlarge" in hint.title
    assert hint.monthly_saving == round(Fraction(cost) * (1 - ratio) * MONTH)
    assert rightsizing_hints(charges, {p4d: GpuUtilisation(p4d, 55.0, 30)}) == []
    assert rightsizing_hints(charges, {p4d: GpuUtilisation(p4d, 12.0, 7)}) == []  # too few days
    # the sample runs no p3; p4d → p5 is not favoured by price per unit of work
    assert old_generation_hints(charges) == []
    p3 = [
        replace(c, resource_type="p3.8xlarge", sku="USE1-BoxUsage:p3.8xlarge")
        for c in charges
        if c.resource_type == "p4d.24xlarge" and c.usage_type.startswith("BoxUsage")
    ]
    (old,) = old_generation_hints(p3)
    cost = sum(c.amount for c in p3)
    assert old.monthly_saving == round(
        Fraction(cost) * (1 - Fraction(Decimal("5.672") / Decimal("12.24"))) * MONTH
    )
    assert np.all([len(c.daily) == 30 for c in charges])


def test_registered_hint_sources_fold_into_the_ranking(services: Services) -> None:
    from bot.economics import HINT_SOURCES, register_hint_source
    from bot.errors import CostbotError
    from bot.insights.hints import Hint

    def idle_gpus(*_: object) -> list[Hint]:
        return [
            Hint("idle", "Stop idle g5.12xlarge", "ml-platform", 10**15, "high", ("idle",), "x")
        ]

    def broken(*_: object) -> list[Hint]:
        raise CostbotError("CloudWatch said no")

    register_hint_source(idle_gpus)
    register_hint_source(broken)
    try:
        report = gather_hints(services)
    finally:
        HINT_SOURCES.remove(idle_gpus)
        HINT_SOURCES.remove(broken)
    assert report.hints[0].kind == "idle"
    assert any("broken skipped: CloudWatch said no" in n for n in report.notes)


def test_digest_lines_per_team(services: Services) -> None:
    from bot.economics import team_unit_lines

    lines = team_unit_lines(services)
    assert "llm-serving-prod" in lines["ml-platform"] and "over target" in lines["ml-platform"]
    assert "/GPU-hour" in lines["ai-research"]


def test_a_registered_utilisation_source_gives_idle_dollars(
    bill: SampleBill, services: Services
) -> None:
    from bot.economics import UTILISATION_SOURCES, register_utilisation_source
    from bot.economics_report import unit_text

    lines = window(bill)
    p4d = sorted(set(lines[lines["sku"] == "USE1-BoxUsage:p4d.24xlarge"]["resource_id"]))

    def quarter_busy(*_: object) -> dict[str, float]:
        return {rid: 0.25 for rid in p4d}

    register_utilisation_source(quarter_busy)
    try:
        report = gather_unit(services, team="ai-research")
    finally:
        UTILISATION_SOURCES.remove(quarter_busy)
    (eff,) = report.efficiency
    cost = total(lines[lines["resource_id"].isin(p4d)])
    assert eff.cost == cost and eff.idle_cost == round(Fraction(cost * 3, 4))
    assert eff.busy_share == Fraction(1, 4)
    assert "idle $" in unit_text(report)


def test_the_weekly_digest_gets_a_unit_cost_line_per_team(services: Services) -> None:
    from bot.economics import team_unit_lines
    from scheduler.insight_jobs import unit_cost_section

    everyone = unit_cost_section(services, ())
    platform = unit_cost_section(services, (("team", "ml-platform"),))

    assert everyone is not None and platform is not None
    lines = team_unit_lines(services, days=7)
    assert f"ml-platform: {lines['ml-platform']}" in everyone.lines
    assert platform.lines == (f"ml-platform: {lines['ml-platform']}",)
    assert unit_cost_section(services, (("team", "nobody"),)) is None
