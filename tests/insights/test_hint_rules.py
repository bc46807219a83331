"""The hint rules on small hand-made bills: what qualifies, what does not, and the assumed rates."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import numpy as np
import pytest

from bot.insights.charge_totals import ChargeTotal
from bot.insights.gpu_catalog import CATALOG
from bot.insights.hints import (
    ASSUMED_PLAN_DISCOUNT,
    commitment_hints,
    spot_hints,
    storage_hints,
)

DAYS = 30
P = 10**9


def charge(
    resource: str,
    itype: str,
    sku: str,
    daily: list[int],
    *,
    service: str = "AmazonEC2",
    tags: dict[str, str] | None = None,
    pricing: str = "Standard",
    list_daily: list[int] | None = None,
) -> ChargeTotal:
    d = np.array(daily, dtype=np.int64)
    listed = np.array(list_daily if list_daily is not None else daily, dtype=np.int64)
    return ChargeTotal(
        "1", "", service, service, "Compute", "us-east-1", resource, itype, f"USE1-{sku}",
        "Usage", pricing, "USD", tags or {"team": "t"}, int(d.sum()), int(listed.sum()), d,
    )  # fmt: skip


def test_a_checkpointing_tag_makes_any_gpu_a_spot_candidate_at_the_assumed_rate() -> None:
    day = int(Fraction("5.672") * 24 * P)
    c = charge(
        "i-1", "g5.12xlarge", "BoxUsage:g5.12xlarge", [day] * DAYS,
        tags={"team": "t", "checkpointing": "true"},
    )  # fmt: skip
    (hint,) = spot_hints([c])
    assert hint.source.startswith("assumed") and hint.confidence == "medium"
    assert hint.monthly_saving == round(Fraction(c.amount, 2) * Fraction(730, 720))
    assert spot_hints([charge("i-2", "g5.12xlarge", "BoxUsage:g5.12xlarge", [day] * DAYS)]) == []


def test_a_nightly_job_costing_the_same_every_day_is_not_24_7() -> None:
    five_hours = int(Fraction("5.672") * 5 * P)
    nightly = charge("i-3", "g5.12xlarge", "BoxUsage:g5.12xlarge", [five_hours] * DAYS)
    assert commitment_hints([nightly]) == []
    all_day = charge("i-4", "g5.12xlarge", "BoxUsage:g5.12xlarge", [five_hours * 24 // 5] * DAYS)
    (hint,) = commitment_hints([all_day])
    assert "Compute Savings Plan" in hint.title and hint.source.startswith("published")
    assert hint.monthly_saving == round(
        Fraction(five_hours * 24 // 5, 24) * Fraction(28, 100) * 730
    )


def test_storage_that_is_read_more_as_it_grows_is_left_alone() -> None:
    grow = [100 * P + i * P for i in range(DAYS)]
    storage = charge("b", "", "TimedStorage-ByteHrs", grow, service="AmazonS3")
    busy = charge(
        "b", "", "Requests-Tier2", [P + i * P // 10 for i in range(DAYS)], service="AmazonS3"
    )
    flat = charge("b", "", "Requests-Tier2", [P] * DAYS, service="AmazonS3")
    assert storage_hints([storage, busy]) == []
    (hint,) = storage_hints([storage, flat])
    assert hint.confidence == "medium" and hint.resources == ("b",)


def test_gpu_efficiency_counts_busy_and_idle_per_team() -> None:
    from bot.insights.unit_costs import gpu_efficiency

    hour = int(Fraction("32.7726") * P)
    a = charge("i-a", "p4d.24xlarge", "BoxUsage:p4d.24xlarge", [hour * 10] * DAYS)
    b = charge("i-b", "p4d.24xlarge", "BoxUsage:p4d.24xlarge", [hour * 20] * DAYS)
    other = charge("i-c", "p4d.24xlarge", "BoxUsage:p4d.24xlarge", [hour] * DAYS)
    (eff,) = gpu_efficiency([a, b, other], {"i-a": 0.25, "i-b": 0.5})  # i-c: no figure
    assert eff.paid_gpu_hours == (10 + 20) * DAYS * 8
    assert eff.busy_gpu_hours == 10 * DAYS * 8 * Fraction(1, 4) + 20 * DAYS * 8 * Fraction(1, 2)
    assert eff.idle_cost == round(a.amount * Fraction(3, 4) + b.amount * Fraction(1, 2))
    assert eff.cost == a.amount + b.amount


@pytest.mark.parametrize(
    ("kind", "service", "itype", "sku", "plan"),
    [
        ("compute", "AmazonEC2", "g5.12xlarge", "BoxUsage:g5.12xlarge", "Compute"),
        (
            "sagemaker",
            "AmazonSageMaker",
            "ml.g5.12xlarge",
            "Host:ml.g5.12xlarge",
            "SageMaker",
        ),
    ],
)
def test_a_plan_in_the_bill_sets_the_discount_instead_of_the_published_one(
    kind: str, service: str, itype: str, sku: str, plan: str
) -> None:
    hourly = int(CATALOG[itype].price * P)
    steady = charge("steady", itype, sku, [hourly * 24] * DAYS, service=service)
    # another host of the same kind already on a plan: it paid 64 % of its on-demand list cost
    covered = charge(
        "covered", itype, sku, [hourly * 24 * 64 // 100] * DAYS,
        service=service, pricing="Committed", list_daily=[hourly * 24] * DAYS,
    )  # fmt: skip
    (hint,) = commitment_hints([steady, covered])
    learned = 1 - Fraction(covered.amount, covered.list_amount)
    assert learned == Fraction(36, 100)
    assert hint.source.startswith("observed: your existing plan") and "36 % off" in hint.source
    assert "at 36 % off" in hint.evidence[1]
    assert hint.monthly_saving == round(Fraction(hourly) * learned * 730)
    assert Decimal(hint.details["commitment_per_hour"]) == Decimal(hourly * 64 // 100).scaleb(-9)
    assert hint.details["current_coverage"] == "0.500"  # half the usage's list cost is on a plan

    # without a plan of its own kind in the bill, the published figure and its source
    (alone,) = commitment_hints([steady])
    published, text = ASSUMED_PLAN_DISCOUNT[kind]
    assert alone.source == f"published: {text}"
    assert f"{plan} Savings Plan 1 year no upfront: about" in alone.source
    assert alone.monthly_saving == round(Fraction(hourly) * published * 730)


def test_a_compute_plan_does_not_set_the_sagemaker_discount() -> None:
    hourly = int(CATALOG["ml.g5.12xlarge"].price * P)
    endpoint = charge(
        "ep", "ml.g5.12xlarge", "Host:ml.g5.12xlarge", [hourly * 24] * DAYS,
        service="AmazonSageMaker",
    )  # fmt: skip
    ec2 = int(CATALOG["g5.12xlarge"].price * P) * 24
    compute_plan = charge(
        "i-covered", "g5.12xlarge", "BoxUsage:g5.12xlarge", [ec2 // 2] * DAYS,
        pricing="Committed", list_daily=[ec2] * DAYS,
    )  # fmt: skip
    (hint,) = commitment_hints([endpoint, compute_plan])
    assert hint.source.startswith("published: SageMaker Savings Plan")
    assert hint.monthly_saving == round(Fraction(hourly) * Fraction(20, 100) * 730)
