"""Unit economics: $ per 1,000 inferences, $ per training run, GPU-hours and $ per GPU-hour.

Costs come from the bill; counts come from elsewhere and are passed in
(endpoint invocations from CloudWatch, :mod:`bot.aws.endpoint_metrics`).
GPU-hours are derived from the bill too: a charge's list cost (the public
on-demand price × hours, whatever was actually paid) divided by the instance's
on-demand price (:mod:`bot.insights.gpu_catalog`) gives its instance-hours,
times its GPUs. That is exact for on-demand, Spot and plan-covered usage billed
at the catalogue's (us-east-1) rates and an estimate elsewhere; it is labelled so.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

from bot.insights.charge_totals import ChargeTotal
from bot.insights.gpu_catalog import CATALOG
from bot.money import decimal_text

NANOS = 10**9


@dataclass(frozen=True)
class EndpointCost:
    """A SageMaker endpoint's spend over the window."""

    name: str
    team: str | None
    instance_type: str
    cost: int  # nanos
    instance_hours: Fraction
    resources: tuple[str, ...]


@dataclass(frozen=True)
class EndpointUnitCost:
    """An endpoint's cost per inference, against the target."""

    endpoint: EndpointCost
    invocations: int | None  # None: no CloudWatch figure
    target_per_inference: Decimal

    @property
    def per_1000(self) -> int | None:
        """Return nanos per 1,000 inferences (None without invocations; cost if zero calls)."""
        if self.invocations is None:
            return None
        return round(Fraction(self.endpoint.cost * 1000, max(self.invocations, 1)))

    @property
    def over_target(self) -> bool:
        """Say whether one inference costs more than the target."""
        per = self.per_1000
        return per is not None and Fraction(per, 1000) > Fraction(self.target_per_inference) * NANOS

    def to_json(self) -> dict[str, object]:
        """Return the endpoint's unit cost for ``--json``."""
        per = self.per_1000
        return {
            "endpoint": self.endpoint.name,
            "team": self.endpoint.team,
            "instance_type": self.endpoint.instance_type or None,
            "cost": decimal_text(self.endpoint.cost),
            "invocations": self.invocations,
            "cost_per_1000": None if per is None else decimal_text(per),
            "target_per_1000": f"{self.target_per_inference * 1000:f}",
            "over_target": self.over_target,
        }


@dataclass(frozen=True)
class GpuSpend:
    """Spend of a run, an experiment or a team with the GPU-hours it bought."""

    kind: str  # the run tag key, "training-job", or "team"
    name: str
    team: str | None
    cost: int  # nanos
    gpu_hours: Fraction
    resources: tuple[str, ...]

    @property
    def per_gpu_hour(self) -> int | None:
        """Return nanos per GPU-hour (None when no GPU-hours)."""
        return round(Fraction(self.cost) / self.gpu_hours) if self.gpu_hours else None

    def to_json(self) -> dict[str, object]:
        """Return the figures for ``--json``."""
        per = self.per_gpu_hour
        return {
            "kind": self.kind,
            "name": self.name,
            "team": self.team,
            "cost": decimal_text(self.cost),
            "gpu_hours": f"{float(self.gpu_hours):.2f}",
            "cost_per_gpu_hour": None if per is None else decimal_text(per),
        }


def endpoint_name(resource_id: str) -> str | None:
    """Return the endpoint of ``arn:aws:sagemaker:…:endpoint/NAME[/variant]`` (else None)."""
    marker = ":endpoint/"
    if marker not in resource_id:
        return None
    return resource_id.split(marker, 1)[1].split("/", 1)[0] or None


def training_job_name(resource_id: str) -> str | None:
    """Return the job of ``arn:aws:sagemaker:…:training-job/NAME`` (else None)."""
    marker = ":training-job/"
    if marker not in resource_id:
        return None
    return resource_id.split(marker, 1)[1].split("/", 1)[0] or None


def instance_hours(c: ChargeTotal) -> Fraction:
    """Return the instance-hours a charge paid for: list cost ÷ on-demand price."""
    item = CATALOG.get(c.resource_type)
    if item is None or c.charge_category != "Usage" or c.list_amount <= 0:
        return Fraction(0)
    return Fraction(c.list_amount) / (Fraction(item.price) * NANOS)


def gpu_hours(c: ChargeTotal) -> Fraction:
    """Return the GPU-hours a charge paid for."""
    item = CATALOG.get(c.resource_type)
    return instance_hours(c) * item.gpus if item else Fraction(0)


def _team(charges: Iterable[ChargeTotal], key: str) -> str | None:
    teams = {c.tags.get(key) for c in charges}
    return teams.pop() if len(teams) == 1 else None


def endpoint_costs(charges: Sequence[ChargeTotal], *, team_key: str = "team") -> list[EndpointCost]:
    """Group SageMaker endpoint charges by endpoint name."""
    groups: dict[str, list[ChargeTotal]] = {}
    for c in charges:
        name = endpoint_name(c.resource_id) if c.service_code == "AmazonSageMaker" else None
        if name:
            groups.setdefault(name, []).append(c)
    out = []
    for name, parts in sorted(groups.items()):
        types = sorted({c.resource_type for c in parts if c.resource_type})
        out.append(
            EndpointCost(
                name,
                _team(parts, team_key),
                types[0] if len(types) == 1 else ",".join(types),
                sum(c.amount for c in parts),
                sum((instance_hours(c) for c in parts), start=Fraction(0)),
                tuple(sorted({c.resource_id for c in parts})),
            )
        )
    return out


def endpoint_unit_costs(
    charges: Sequence[ChargeTotal],
    invocations: Mapping[str, int],
    *,
    target_per_inference: Decimal,
    team_key: str = "team",
) -> list[EndpointUnitCost]:
    """Return each endpoint's $ per 1,000 inferences, the most expensive first."""
    units = [
        EndpointUnitCost(ep, invocations.get(ep.name), target_per_inference)
        for ep in endpoint_costs(charges, team_key=team_key)
    ]
    return sorted(
        units, key=lambda u: (-(u.per_1000 if u.per_1000 is not None else -1), u.endpoint.name)
    )


def run_costs(
    charges: Sequence[ChargeTotal], run_tags: Sequence[str], *, team_key: str = "team"
) -> list[GpuSpend]:
    """Group spend by run/experiment tag (each key in ``run_tags``) and SageMaker training job."""
    groups: dict[tuple[str, str], list[ChargeTotal]] = {}
    for c in charges:
        for key in run_tags:
            value = c.tags.get(key)
            if value:
                groups.setdefault((key, value), []).append(c)
        job = training_job_name(c.resource_id) if c.service_code == "AmazonSageMaker" else None
        if job:
            groups.setdefault(("training-job", job), []).append(c)
    out = [
        GpuSpend(
            kind,
            name,
            _team(parts, team_key),
            sum(c.amount for c in parts),
            sum((gpu_hours(c) for c in parts), start=Fraction(0)),
            tuple(sorted({c.resource_id for c in parts})),
        )
        for (kind, name), parts in groups.items()
    ]
    return sorted(out, key=lambda r: (-r.cost, r.kind, r.name))


def team_gpu_spend(charges: Sequence[ChargeTotal], *, team_key: str = "team") -> list[GpuSpend]:
    """Return each team's GPU spend, GPU-hours and $ per GPU-hour (GPU instances only).

    Hook for GPU efficiency: busy GPU-hours and "idle $" need utilisation from
    the GPU area's CloudWatch reader; multiply a team's ``gpu_hours`` by its
    measured busy share to get them.
    """
    groups: dict[str | None, list[ChargeTotal]] = {}
    for c in charges:
        if c.resource_type in CATALOG and c.charge_category == "Usage":
            groups.setdefault(c.tags.get(team_key), []).append(c)
    out = [
        GpuSpend(
            "team",
            team or "(untagged)",
            team,
            sum(c.amount for c in parts),
            sum((gpu_hours(c) for c in parts), start=Fraction(0)),
            (),
        )
        for team, parts in groups.items()
    ]
    return sorted(out, key=lambda r: (-r.cost, r.name))


@dataclass(frozen=True)
class GpuEfficiency:
    """A team's paid vs busy GPU-hours and the spend on GPUs doing nothing."""

    team: str | None
    paid_gpu_hours: Fraction
    busy_gpu_hours: Fraction
    cost: int  # nanos, GPU instances with a utilisation figure
    idle_cost: int  # nanos: cost × (1 − utilisation), per instance

    @property
    def busy_share(self) -> Fraction:
        """Return busy ÷ paid GPU-hours (0 when nothing was paid)."""
        return self.busy_gpu_hours / self.paid_gpu_hours if self.paid_gpu_hours else Fraction(0)

    def to_json(self) -> dict[str, object]:
        """Return the figures for ``--json``."""
        return {
            "team": self.team,
            "paid_gpu_hours": f"{float(self.paid_gpu_hours):.2f}",
            "busy_gpu_hours": f"{float(self.busy_gpu_hours):.2f}",
            "cost": decimal_text(self.cost),
            "idle_cost": decimal_text(self.idle_cost),
        }


def gpu_efficiency(
    charges: Sequence[ChargeTotal],
    utilisation: Mapping[str, float],
    *,
    team_key: str = "team",
) -> list[GpuEfficiency]:
    """Return busy vs paid GPU-hours and "idle $" per team.

    ``utilisation`` maps an instance id to its average GPU utilisation over the
    window as a fraction 0–1 (the GPU area's CloudWatch reader supplies it).
    Instances without a figure are left out rather than guessed.
    """
    paid: dict[str | None, Fraction] = {}
    busy: dict[str | None, Fraction] = {}
    cost: dict[str | None, int] = {}
    idle: dict[str | None, Fraction] = {}
    for c in charges:
        if c.resource_id not in utilisation or c.resource_type not in CATALOG:
            continue
        if c.charge_category != "Usage":
            continue
        share = Fraction(min(max(utilisation[c.resource_id], 0.0), 1.0))
        team = c.tags.get(team_key)
        hours = gpu_hours(c)
        paid[team] = paid.get(team, Fraction(0)) + hours
        busy[team] = busy.get(team, Fraction(0)) + hours * share
        cost[team] = cost.get(team, 0) + c.amount
        idle[team] = idle.get(team, Fraction(0)) + c.amount * (1 - share)
    out = [
        GpuEfficiency(team, paid[team], busy[team], cost[team], round(idle[team])) for team in paid
    ]
    return sorted(out, key=lambda e: (-e.idle_cost, e.team or ""))
