"""Optimisation hints from the bill: what to change, and the $ per month it saves.

Every hint is computed from charges over a recent window (30 days by default)
and says how: the evidence (what in the bill shows it), the source of each rate
it assumes, and a confidence. ``monthly_saving`` is the window's saving scaled
to a 730-hour month. Hints from data this module does not read come in as
plain values: endpoint invocations (:mod:`bot.aws.endpoint_metrics`), GPU
utilisation and idle findings (the GPU area's detectors, see :func:`rank_hints`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction

import numpy as np

from bot.insights.charge_totals import ChargeTotal
from bot.insights.gpu_catalog import (
    CATALOG,
    PRICE_SOURCE,
    UPGRADES,
    family,
    is_gpu,
    smallest_fitting,
)
from bot.money import decimal_text, format_money

HOURS_PER_MONTH = 730
TRAINING_FAMILIES = (
    "p2",
    "p3",
    "p3dn",
    "p4d",
    "p4de",
    "p5",
    "p5e",
    "p5en",
    "trn1",
    "trn1n",
    "trn2",
    "dl1",
)
CHECKPOINT_TAGS = ("checkpointing", "checkpoint", "interruptible", "spot-ok")
TRUTHY = ("true", "yes", "1", "enabled", "on")
# When the bill has no Spot usage of the type to learn from: AWS's Spot Instance Advisor
# shows GPU instances saving 50–70 % on average; the low end is assumed.
ASSUMED_SPOT_SHARE = Fraction(1, 2)
# When the bill has no Savings Plan of the kind to learn from (AWS pricing pages, 1 year,
# no upfront, us-east-1, GPU instances).
ASSUMED_PLAN_DISCOUNT = {
    "compute": (
        Fraction(28, 100),
        "Compute Savings Plan 1 year no upfront: about 28 % off GPU instances "
        "(AWS Savings Plans pricing)",
    ),
    "sagemaker": (
        Fraction(20, 100),
        "SageMaker Savings Plan 1 year no upfront: about 20 % off ml.* hosting "
        "(AWS SageMaker pricing)",
    ),
}
S3_STANDARD_GB_MONTH = Fraction(23, 1000)
S3_INFREQUENT_GB_MONTH = Fraction(125, 10000)
GROWTH_MIN = Fraction(3, 100)  # storage must grow at least 3 % over the window
FLAT_REQUESTS = Fraction(10, 100)  # requests within ±10 % count as flat
STEADY_MIN = Fraction(95, 100)  # every day at least 95 % of the busiest: 24/7 steady


@dataclass(frozen=True)
class Hint:
    """One recommendation: what to do, what it saves per month, and why we think so."""

    kind: str  # spot | commitment | storage-tiering | old-generation | rightsizing | idle
    title: str
    team: str | None
    monthly_saving: int  # nano-units per 730-hour month
    confidence: str  # high | medium | low
    evidence: tuple[str, ...]
    source: str
    resources: tuple[str, ...] = ()
    details: Mapping[str, str] = field(default_factory=dict)

    def to_json(self) -> dict[str, object]:
        """Return the hint for ``--json`` (amounts as decimal strings)."""
        return {
            "kind": self.kind,
            "title": self.title,
            "team": self.team,
            "monthly_saving": decimal_text(self.monthly_saving),
            "confidence": self.confidence,
            "evidence": list(self.evidence),
            "source": self.source,
            "resources": list(self.resources),
            "details": dict(self.details),
        }


def _monthly(nanos: Fraction | int, days: int) -> int:
    """Scale an amount over ``days`` days to a 730-hour month (rounded to a nano)."""
    return round(Fraction(nanos) * HOURS_PER_MONTH / (24 * days))


def _usd(nanos: Fraction | int) -> str:
    return format_money(round(nanos))


def _team(charges: Iterable[ChargeTotal], key: str) -> str | None:
    teams = {c.tags.get(key) for c in charges}
    return teams.pop() if len(teams) == 1 else None


def _is_on_demand_box(c: ChargeTotal) -> bool:
    return (
        c.service_code == "AmazonEC2"
        and c.pricing_category in ("Standard", "OnDemand", "")
        and c.charge_category == "Usage"
        and c.usage_type.startswith("BoxUsage")
        and bool(c.resource_type)
    )


def _runs(daily: np.ndarray) -> int:
    """Count the separate stretches of days with spend."""
    on = daily > 0
    return int(on[0]) + int(np.count_nonzero(on[1:] & ~on[:-1])) if len(on) else 0


# --- spot ------------------------------------------------------------------------------


def spot_hints(charges: Sequence[ChargeTotal], *, team_key: str = "team") -> list[Hint]:
    """On-demand GPU training instances that start and stop (or say they checkpoint) → Spot."""
    days = len(charges[0].daily) if charges else 0
    fleets: dict[tuple[str | None, str], list[tuple[ChargeTotal, int, bool]]] = {}
    for c in charges:
        if not _is_on_demand_box(c) or not is_gpu(c.resource_type) or c.amount <= 0:
            continue
        checkpoints = any(c.tags.get(t, "").lower() in TRUTHY for t in CHECKPOINT_TAGS)
        runs = _runs(c.daily)
        if not checkpoints and (family(c.resource_type) not in TRAINING_FAMILIES or runs < 2):
            continue
        fleets.setdefault((c.tags.get(team_key), c.resource_type), []).append(
            (c, runs, checkpoints)
        )
    hints = []
    for (team, itype), members in sorted(fleets.items(), key=lambda kv: (kv[0][0] or "", kv[0][1])):
        share, source = _spot_share(charges, itype)
        cost = sum(c.amount for c, _, _ in members)
        saving = Fraction(cost) * (1 - share)
        idle_days = [int(np.count_nonzero(c.daily == 0)) for c, _, _ in members]
        run_counts = [r for _, r, _ in members]
        tagged = sum(1 for _, _, ck in members if ck)
        evidence = [
            f"{len(members)} on-demand {itype} cost {_usd(cost)} in {days} days",
            f"they start and stop: {min(run_counts)}–{max(run_counts)} separate runs each, "
            f"idle {min(idle_days)}–{max(idle_days)} of {days} days",
        ]
        if tagged:
            evidence.append(f"{tagged} carry a checkpointing tag")
        observed = source.startswith("observed")
        confidence = "high" if tagged and observed else ("medium" if observed or tagged else "low")
        hints.append(
            Hint(
                "spot",
                f"Run {team or 'untagged'} {itype} training on Spot",
                team,
                _monthly(saving, days),
                confidence,
                tuple(evidence),
                source,
                tuple(sorted(c.resource_id for c, _, _ in members)),
                {"instance_type": itype, "spot_share_of_on_demand": f"{float(share):.2f}"},
            )
        )
    return hints


def _spot_share(charges: Sequence[ChargeTotal], itype: str) -> tuple[Fraction, str]:
    """Return Spot ÷ on-demand for ``itype``: observed in the bill, else the assumed share."""
    spot = [
        c
        for c in charges
        if c.resource_type == itype
        and c.pricing_category in ("Dynamic", "Spot")
        and c.usage_type.startswith("SpotUsage")
        and c.list_amount > 0
    ]
    paid, listed = sum(c.amount for c in spot), sum(c.list_amount for c in spot)
    if listed > 0 and 0 < paid < listed:
        share = Fraction(paid, listed)
        return share, (
            f"observed: your {itype} Spot usage in the same window cost "
            f"{float(share) * 100:.0f} % of on demand ({len(spot)} instances)"
        )
    return ASSUMED_SPOT_SHARE, (
        f"assumed: Spot at {float(ASSUMED_SPOT_SHARE) * 100:.0f} % of on demand "
        "(AWS Spot Instance Advisor: GPU instances save 50–70 %); no Spot usage of this type "
        "in the bill to learn from"
    )


# --- commitments ------------------------------------------------------------------------


def _plan_kind(c: ChargeTotal) -> str | None:
    if c.charge_category != "Usage" or not c.resource_type:
        return None
    if c.service_code == "AmazonEC2" and c.usage_type.startswith("BoxUsage"):
        return "compute"
    if c.service_code == "AmazonSageMaker" and "Host:" in c.usage_type:
        return "sagemaker"
    return None


def commitment_hints(charges: Sequence[ChargeTotal], *, team_key: str = "team") -> list[Hint]:
    """Steady 24/7 on-demand compute for the whole window → a Savings Plan commitment ($/h)."""
    days = len(charges[0].daily) if charges else 0
    if days < 28:
        return []
    steady: dict[tuple[str, str | None], list[ChargeTotal]] = {}
    eligible: dict[str, int] = {}
    committed: dict[str, int] = {}
    committed_list: dict[str, int] = {}
    for c in charges:
        kind = _plan_kind(c)
        if kind is None:
            continue
        if c.pricing_category == "Committed":
            committed[kind] = committed.get(kind, 0) + c.amount
            committed_list[kind] = committed_list.get(kind, 0) + c.list_amount
            eligible[kind] = eligible.get(kind, 0) + c.list_amount
            continue
        if c.pricing_category not in ("Standard", "OnDemand", ""):
            continue
        eligible[kind] = eligible.get(kind, 0) + c.amount
        if not _around_the_clock(c):
            continue
        top = int(c.daily.max())
        if top > 0 and int(c.daily.min()) * 100 >= top * 95:
            steady.setdefault((kind, c.tags.get(team_key)), []).append(c)
    hints = []
    for (kind, team), members in sorted(steady.items(), key=lambda kv: (kv[0][0], kv[0][1] or "")):
        discount, source = _plan_discount(kind, committed.get(kind, 0), committed_list.get(kind, 0))
        baseline = sum(int(c.daily.min()) for c in members)  # per day, the steady floor
        hourly_on_demand = Fraction(baseline, 24)
        commitment = hourly_on_demand * (1 - discount)
        saving_window = hourly_on_demand * discount * 24 * days
        coverage = (
            Fraction(committed_list.get(kind, 0), eligible[kind])
            if eligible.get(kind)
            else Fraction(0)
        )
        plan = "Compute Savings Plan" if kind == "compute" else "SageMaker Savings Plan"
        names = sorted({_short(c.resource_id) for c in members})
        hints.append(
            Hint(
                "commitment",
                f"Commit {_usd(commitment)}/h to a {plan} for {team or 'untagged'} steady usage",
                team,
                _monthly(saving_window, days),
                "high",
                (
                    f"{len(members)} on-demand "
                    f"{'instances' if kind == 'compute' else 'endpoint instances'} "
                    f"ran every hour of the last {days} days, steady within 5 %: "
                    f"{', '.join(names[:4])}{' …' if len(names) > 4 else ''}",
                    f"steady on-demand rate {_usd(hourly_on_demand)}/h; commitment at "
                    f"{float(discount) * 100:.0f} % off: {_usd(commitment)}/h",
                    f"coverage today: {float(coverage) * 100:.0f} % of {plan.split()[0]} usage "
                    "(at on-demand prices) runs on a plan",
                ),
                source,
                tuple(sorted(c.resource_id for c in members)),
                {
                    "plan": plan,
                    "commitment_per_hour": decimal_text(round(commitment)),
                    "current_coverage": f"{float(coverage):.3f}",
                },
            )
        )
    return hints


def _around_the_clock(c: ChargeTotal) -> bool:
    """Say whether a charge ran ~24 hours every day (list cost ÷ catalogue price per hour).

    Daily amounts alone cannot tell a 24/7 host from a nightly 5-hour job that
    costs the same each day; without a catalogue price the charge is not judged.
    Integer arithmetic: list ≥ 23.5 h × days × price.
    """
    item = CATALOG.get(c.resource_type)
    if item is None or c.list_amount <= 0:
        return False
    price_nanos = int(item.price * 10**9)
    return c.list_amount * 10 >= 235 * len(c.daily) * price_nanos


def _plan_discount(kind: str, paid: int, listed: int) -> tuple[Fraction, str]:
    if listed > 0 and 0 < paid < listed:
        discount = 1 - Fraction(paid, listed)
        return discount, (
            f"observed: your existing plan's usage cost {float(1 - discount) * 100:.0f} % of on "
            f"demand ({float(discount) * 100:.0f} % off)"
        )
    discount, text = ASSUMED_PLAN_DISCOUNT[kind]
    return discount, f"published: {text}"


def _short(resource_id: str) -> str:
    return (
        resource_id.rsplit("/", 2)[-2]
        if "/variant-" in resource_id
        else resource_id.rsplit("/", 1)[-1]
    )


# --- storage ------------------------------------------------------------------------------


def storage_hints(charges: Sequence[ChargeTotal], *, team_key: str = "team") -> list[Hint]:
    """S3 Standard storage growing while its requests stay flat → Intelligent-Tiering."""
    days = len(charges[0].daily) if charges else 0
    if days < 14:
        return []
    week = 7
    storage: dict[str, list[ChargeTotal]] = {}
    requests: dict[str, list[ChargeTotal]] = {}
    for c in charges:
        if c.service_code != "AmazonS3" or not c.resource_id:
            continue
        if c.usage_type == "TimedStorage-ByteHrs":
            storage.setdefault(c.resource_id, []).append(c)
        elif "Requests-Tier" in c.usage_type:
            requests.setdefault(c.resource_id, []).append(c)
    hints = []
    for bucket, parts in sorted(storage.items()):
        daily = sum((c.daily for c in parts), start=np.zeros(days, dtype=np.int64))
        first, last = int(daily[:week].sum()), int(daily[-week:].sum())
        if first <= 0 or Fraction(last - first, first) < GROWTH_MIN:
            continue
        req = sum((c.daily for c in requests.get(bucket, [])), start=np.zeros(days, dtype=np.int64))
        r_first, r_last = int(req[:week].sum()), int(req[-week:].sum())
        if r_first > 0 and abs(Fraction(r_last - r_first, r_first)) > FLAT_REQUESTS:
            continue
        if r_first == 0 and r_last > 0:
            continue
        cost = sum(c.amount for c in parts)
        cold = Fraction(first, last)  # what was there a window ago, not read more since
        saving = Fraction(cost) * cold * (1 - S3_INFREQUENT_GB_MONTH / S3_STANDARD_GB_MONTH)
        growth = Fraction(last - first, first)
        evidence = [
            f"Standard storage cost grew {float(growth) * 100:.0f} % in {days} days "
            f"({_usd(cost)} over the window)",
            (
                "request charges stayed flat "
                f"({float(Fraction(r_last - r_first, r_first or 1)) * 100:+.0f} %)"
                if r_first
                else "no request charges at all: nothing reads it"
            ),
            f"assumes the {float(cold) * 100:.0f} % that existed {days} days ago is cold; "
            "Intelligent-Tiering adds $0.0025 per 1,000 objects monitored",
        ]
        hints.append(
            Hint(
                "storage-tiering",
                f"Move s3://{bucket} to Intelligent-Tiering (or a lifecycle rule to Standard-IA)",
                _team(parts, team_key),
                _monthly(saving, days),
                "medium" if requests.get(bucket) else "low",
                tuple(evidence),
                "S3 Standard $0.023 vs Infrequent Access tier $0.0125 per GB-month "
                "(AWS S3 pricing, us-east-1)",
                (bucket,),
            )
        )
    return hints


# --- generations and rightsizing ----------------------------------------------------------


def old_generation_hints(charges: Sequence[ChargeTotal], *, team_key: str = "team") -> list[Hint]:
    """Older GPU generations where a newer one does the same work for less (price ÷ throughput)."""
    days = len(charges[0].daily) if charges else 0
    groups: dict[tuple[str | None, str], list[ChargeTotal]] = {}
    for c in charges:
        if _is_on_demand_box(c) and c.resource_type in UPGRADES and c.amount > 0:
            groups.setdefault((c.tags.get(team_key), c.resource_type), []).append(c)
    hints = []
    for (team, itype), members in sorted(groups.items(), key=lambda kv: (kv[0][0] or "", kv[0][1])):
        up = UPGRADES[itype]
        old, new = CATALOG[itype], CATALOG[up.new]
        relative_cost = Fraction(new.price / old.price) / Fraction(up.relative_throughput)
        if relative_cost >= Fraction(9, 10):
            continue  # not favoured by price/performance
        cost = sum(c.amount for c in members)
        saving = Fraction(cost) * (1 - relative_cost)
        hints.append(
            Hint(
                "old-generation",
                f"Move {team or 'untagged'} {itype} ({old.gpu}) to {new.name} ({new.gpu})",
                team,
                _monthly(saving, days),
                "medium",
                (
                    f"{len(members)} {itype} cost {_usd(cost)} in {days} days",
                    f"{new.name} costs {float(new.price / old.price) * 100:.0f} % "
                    f"of {itype} per hour "
                    f"for about {up.relative_throughput}x the work ({up.source})",
                ),
                PRICE_SOURCE,
                tuple(sorted(c.resource_id for c in members)),
            )
        )
    return hints


@dataclass(frozen=True)
class GpuUtilisation:
    """Average GPU utilisation of one instance over the days observed (from CloudWatch)."""

    resource_id: str
    average_percent: float
    days: int


def rightsizing_hints(
    charges: Sequence[ChargeTotal],
    utilisation: Mapping[str, GpuUtilisation],
    *,
    threshold: float = 30.0,
    target: float = 70.0,
    min_days: int = 14,
    team_key: str = "team",
) -> list[Hint]:
    """Instances whose GPUs stay under ``threshold`` % for ``min_days`` → fewer GPUs.

    ``utilisation`` comes from the GPU area's CloudWatch reader
    (:func:`bot.gpu_utilisation.gpu_rightsizing_hints`), keyed by instance id. The size
    suggested is the cheapest of the family with enough GPUs to run the same work at
    ``target`` % utilisation; a p4d (one size only) moves to the cheapest 8-GPU g5 if the
    work fits its GPUs. The price ratio is taken exactly (fractions of the catalogue's
    decimals), like every amount here.
    """
    days = len(charges[0].daily) if charges else 0
    by_resource: dict[str, list[ChargeTotal]] = {}
    for c in charges:
        if (
            c.resource_id in utilisation
            and c.charge_category == "Usage"
            and c.resource_type in CATALOG
        ):
            by_resource.setdefault(c.resource_id, []).append(c)
    hints = []
    for rid, parts in sorted(by_resource.items()):
        u = utilisation[rid]
        if u.days < min_days or u.average_percent >= threshold:
            continue
        itype = parts[0].resource_type
        current = CATALOG[itype]
        needed = max(1, int(np.ceil(current.gpus * u.average_percent / target)))
        option = smallest_fitting(itype, needed)
        if option is None or option.price >= current.price:
            alt = "ml.g5.48xlarge" if itype.startswith("ml.") else "g5.48xlarge"
            option = CATALOG[alt] if current.gpus >= 8 and alt != itype else None
        if option is None or option.price >= current.price:
            continue
        cost = sum(c.amount for c in parts)
        saving = Fraction(cost) * (1 - Fraction(option.price) / Fraction(current.price))
        hints.append(
            Hint(
                "rightsizing",
                f"Right-size {_short(rid)} from {itype} to {option.name}",
                _team(parts, team_key),
                _monthly(saving, days),
                "medium",
                (
                    f"GPU utilisation averaged {u.average_percent:.0f} % over {u.days} days "
                    f"(threshold {threshold:.0f} %)",
                    f"{current.gpus}x {current.gpu} → {option.gpus}x {option.gpu}: "
                    f"{needed} {current.gpu} GPU(s) at {target:.0f} % carry the same work"
                    + (
                        f"; {option.gpu} is another GPU: check the model's memory and speed fit"
                        if option.gpu != current.gpu
                        else ""
                    ),
                    f"cost {_usd(cost)} in {days} days",
                ),
                f"{PRICE_SOURCE}; GPU utilisation from the CloudWatch agent "
                "(CWAgent nvidia_smi_utilization_gpu, daily averages)",
                (rid,),
            )
        )
    return hints


def endpoint_rightsizing_hints(
    charges: Sequence[ChargeTotal],
    invocations: Mapping[str, int],
    *,
    target_per_inference: Decimal,
    team_key: str = "team",
) -> list[Hint]:
    """Under-used big-GPU SageMaker endpoints (cost per inference over target) → a smaller host."""
    from bot.insights.unit_costs import endpoint_costs

    days = len(charges[0].daily) if charges else 0
    hints = []
    for ep in endpoint_costs(charges, team_key=team_key):
        calls = invocations.get(ep.name)
        if calls is None or not ep.instance_type or ep.instance_type not in CATALOG:
            continue
        per = Fraction(ep.cost, max(calls, 1))
        if per <= Fraction(target_per_inference) * 10**9:
            continue
        current = CATALOG[ep.instance_type]
        option = smallest_fitting(ep.instance_type, 1)
        if current.gpus >= 8:
            option = CATALOG.get("ml.g5.12xlarge")
        if option is None or option.price >= current.price:
            continue
        saving = Fraction(ep.cost) * (1 - Fraction(option.price) / Fraction(current.price))
        hints.append(
            Hint(
                "rightsizing",
                f"Right-size endpoint {ep.name} from {ep.instance_type} to {option.name}",
                ep.team,
                _monthly(saving, days),
                "medium",
                (
                    f"{calls:,} invocations in {days} days for {_usd(ep.cost)}: "
                    f"{_usd(per * 1000)} per 1,000 "
                    f"(target {_usd(Fraction(target_per_inference) * 10**12)})",
                    f"{current.gpus}x {current.gpu} busy serving "
                    f"{calls / (24 * days):,.0f} requests an hour",
                ),
                f"{PRICE_SOURCE}; invocations from CloudWatch AWS/SageMaker",
                tuple(ep.resources),
            )
        )
    return hints


def rank_hints(*groups: Iterable[Hint], team: str | None = None) -> list[Hint]:
    """Merge hint lists (idle findings from the GPU area fold in here) by $ saved per month."""
    merged = [h for g in groups for h in g if team is None or h.team == team]
    return sorted(merged, key=lambda h: (-h.monthly_saving, h.kind, h.title))


def bill_hints(charges: Sequence[ChargeTotal], *, team_key: str = "team") -> list[Hint]:
    """Every hint the bill alone supports (no CloudWatch needed)."""
    return rank_hints(
        spot_hints(charges, team_key=team_key),
        commitment_hints(charges, team_key=team_key),
        storage_hints(charges, team_key=team_key),
        old_generation_hints(charges, team_key=team_key),
    )
