"""Idle and idle-held GPU capacity: the rules, and the findings they produce.

- **idle**: every GPU's utilisation stayed at or below the threshold over the whole
  window (default 2 h). Without GPU metrics (no CloudWatch agent) CPU and network decide,
  and the finding says ``confidence: low``.
- **idle-held**: compute idle, but GPU memory held (a notebook kernel, a stuck job): the
  recommended action is to ask the owner first.
- **endpoint-idle**: a real-time endpoint served no invocation over the window.
- **notebook-idle**: a notebook instance idle by its agent metrics.

A finding's ``id`` is ``idle:<account>:<region>:<resource-id>`` (``resource-id`` is the
instance id, ``endpoint/<name>`` or ``notebook/<name>``): stable across sweeps, so it is
posted once, can be snoozed, and other features (tickets) can refer to it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from bot.insights.fleet import (
    UNTAGGED,
    Fleet,
    GpuFleet,
    Instance,
    SageMakerResource,
    Series,
    Utilisation,
)
from bot.insights.prices import PriceTable
from bot.money import decimal_text, format_money

KINDS = ("idle", "idle-held", "endpoint-idle", "notebook-idle")
DEFAULT_LOOKBACK = timedelta(hours=24)


@dataclass(frozen=True)
class IdleRules:
    """Thresholds and protection, all configurable (see the README's settings)."""

    window: timedelta = timedelta(hours=2)
    history: timedelta = DEFAULT_LOOKBACK  # how far back "idle since" is looked for
    gpu_percent: float = 5.0
    held_memory_mib: float = 1024.0
    cpu_percent: float = 5.0
    network_mb_per_hour: float = 50.0
    protect_tag: str = "costbot:protect"
    protected_environments: tuple[str, ...] = ("prod", "production")

    @property
    def lookback(self) -> timedelta:
        """How far back metrics are read to date "idle since"."""
        return max(self.history, self.window + timedelta(hours=1))


@dataclass(frozen=True)
class Verdict:
    """What the metrics say about one resource."""

    kind: str
    since: datetime
    confidence: str  # high | low


def _after_last_busy(
    series: Iterable[Series], busy: float, period: timedelta
) -> tuple[datetime | None, datetime | None]:
    """Return (first point, end of the last period above ``busy``) over all series."""
    first: datetime | None = None
    last_busy: datetime | None = None
    for s in series:
        for when, value in s.points:
            first = when if first is None or when < first else first
            if value > busy and (last_busy is None or when + period > last_busy):
                last_busy = when + period
    return first, last_busy


def classify(
    util: Utilisation | None, rules: IdleRules, now: datetime, started: datetime
) -> Verdict | None:
    """Return the idle verdict for one instance's activity, or None (busy or unknown).

    The resource is idle from the end of its last busy period (or from the first data
    point, or from its start if later), and only counts when that is a full window ago.
    """
    if util is None:
        return None
    period = timedelta(seconds=util.period_seconds)
    compute = [s for s in util.gpu_compute.values() if s]
    if compute:
        first, last_busy = _after_last_busy(compute, rules.gpu_percent, period)
        confidence = "high"
    elif util.cpu:
        per_period = rules.network_mb_per_hour * 1e6 * util.period_seconds / 3600
        first, busy_cpu = _after_last_busy([util.cpu], rules.cpu_percent, period)
        _, busy_net = _after_last_busy([util.network], per_period, period)
        last_busy = max((t for t in (busy_cpu, busy_net) if t is not None), default=None)
        confidence = "low"
    else:
        return None
    assert first is not None
    since = max(t for t in (first, last_busy, started) if t is not None)
    if since > now - rules.window:
        return None
    kind = "idle"
    if compute:
        # Held means held now: the latest memory reading of any GPU is above the threshold.
        held = any(s.points[-1][1] >= rules.held_memory_mib for s in util.gpu_memory.values() if s)
        kind = "idle-held" if held else "idle"
    return Verdict(kind, since, confidence)


def classify_endpoint(
    invocations: Series | None,
    rules: IdleRules,
    now: datetime,
    started: datetime,
    period: timedelta = timedelta(minutes=5),
) -> Verdict | None:
    """Return an endpoint-idle verdict when it served nothing over the window."""
    points = invocations.points if invocations else ()
    _, last_busy = _after_last_busy([Series(points)], 0.0, period)
    lookback_start = now - rules.lookback
    since = max(t for t in (last_busy, started, lookback_start) if t is not None)
    if since > now - rules.window:
        return None
    return Verdict("endpoint-idle", since, "high" if points else "low")


@dataclass(frozen=True)
class Finding:
    """One idle resource, with what it costs and what to do about it."""

    id: str
    kind: str
    resource_id: str
    account: str
    region: str
    instance_type: str
    gpus: int
    gpu_model: str
    team: str | None
    owner: str | None
    environment: str | None
    idle_since: datetime
    hourly: int | None  # nano-USD per hour; None = price unknown
    burned: int | None  # nano-USD since idle_since
    confidence: str
    protected: bool
    action: str  # stop | ask-owner | review | report
    stoppable: bool
    explanation: str
    lifecycle: str = "on-demand"
    count: int = 1
    launch_time: datetime | None = None
    extra: Mapping[str, str] = field(default_factory=dict)

    @property
    def daily(self) -> int | None:
        """Return nano-USD per day if left running."""
        return None if self.hourly is None else self.hourly * 24

    @property
    def service(self) -> str:
        """Return ``ec2`` or ``sagemaker``."""
        return "ec2" if self.kind in ("idle", "idle-held") else "sagemaker"

    @property
    def episode(self) -> str:
        """Identify this run of the resource: a stopped and restarted instance is a new one."""
        started = self.launch_time or self.idle_since
        return f"{self.id}@{started.isoformat()}"

    def hourly_text(self) -> str:
        """Say the hourly price for people: ``$32.77/h`` or ``price unknown``."""
        return "price unknown" if self.hourly is None else f"{format_money(self.hourly)}/h"

    def to_json(self) -> dict[str, Any]:
        """Return the ``costbot idle --json`` shape of this finding (exact keys)."""
        return {
            "id": self.id,
            "resource_id": self.resource_id,
            "kind": self.kind,
            "region": self.region,
            "instance_type": self.instance_type,
            "gpus": self.gpus,
            "team": self.team,
            "owner": self.owner,
            "idle_since": self.idle_since.isoformat(),
            "hourly_cost": None if self.hourly is None else decimal_text(self.hourly),
            "burned": None if self.burned is None else decimal_text(self.burned),
            "confidence": self.confidence,
            "protected": self.protected,
            "action": self.action,
        }

    def to_record(self) -> dict[str, Any]:
        """Return every field as JSON-safe data (what the store keeps)."""
        data = asdict(self)
        data["idle_since"] = self.idle_since.isoformat()
        data["launch_time"] = self.launch_time.isoformat() if self.launch_time else None
        data["extra"] = dict(self.extra)
        return data

    @classmethod
    def from_record(cls, data: Mapping[str, Any]) -> Finding:
        """Rebuild a finding from :meth:`to_record` data."""
        values = dict(data)
        values["idle_since"] = datetime.fromisoformat(values["idle_since"])
        if values.get("launch_time"):
            values["launch_time"] = datetime.fromisoformat(values["launch_time"])
        return cls(**values)


def finding_id(account: str, region: str, resource_id: str) -> str:
    """Return the stable id of a finding: ``idle:<account>:<region>:<resource-id>``."""
    return f"idle:{account}:{region}:{resource_id}"


def protection(tags: Mapping[str, str], rules: IdleRules) -> str | None:
    """Say why a resource is protected (tag or environment), or None."""
    if str(tags.get(rules.protect_tag.lower(), "")).strip().lower() == "true":
        return f"tagged {rules.protect_tag}=true"
    env = (tags.get("environment") or "").strip().lower()
    if env and env in rules.protected_environments:
        return f"in the protected environment {env}"
    return None


def burned(hourly: int | None, since: datetime, now: datetime, count: int = 1) -> int | None:
    """Return nano-USD spent from ``since`` to ``now`` at ``hourly`` (exact integer maths)."""
    if hourly is None:
        return None
    seconds = max(0, int((now - since).total_seconds()))
    return hourly * count * seconds // 3600


def instance_finding(
    instance: Instance, verdict: Verdict, prices: PriceTable, rules: IdleRules, now: datetime
) -> Finding:
    """Build the finding for an idle EC2 instance, with its action and why."""
    hourly = prices.hourly(instance.region, instance.instance_type)
    protected = protection(instance.tags, rules)
    accel = instance.accelerators
    stoppable = False
    if protected:
        action, explanation = "report", f"Protected ({protected}): reported, never stopped."
    elif instance.lifecycle == "spot":
        action, explanation = (
            "review",
            "Spot instance: EC2 cannot stop it, only terminate it. Terminate it in the "
            "console if nobody needs it; costbot does not terminate.",
        )
    elif instance.root_device_type == "instance-store":
        action, explanation = (
            "review",
            "Instance-store root volume: it cannot be stopped, and terminating it loses its "
            "disk. Ask the owner.",
        )
    elif verdict.kind == "idle-held":
        stoppable = True
        action, explanation = (
            "ask-owner",
            "GPU memory is held while compute is idle (a notebook kernel or a stuck job?). "
            "Ask the owner before stopping: whatever holds it is lost.",
        )
    else:
        stoppable = True
        action, explanation = "stop", "Idle: stopping it keeps its EBS volumes and saves the rest."
    if verdict.confidence == "low":
        explanation += " No GPU metrics (CloudWatch agent): judged on CPU and network only."
    return Finding(
        id=finding_id(instance.account, instance.region, instance.id),
        kind=verdict.kind,
        resource_id=instance.id,
        account=instance.account,
        region=instance.region,
        instance_type=instance.instance_type,
        gpus=accel.count if accel else 0,
        gpu_model=accel.label() if accel else "",
        team=instance.team,
        owner=instance.owner,
        environment=instance.environment,
        idle_since=verdict.since,
        hourly=hourly,
        burned=burned(hourly, verdict.since, now),
        confidence=verdict.confidence,
        protected=protected is not None,
        action=action,
        stoppable=stoppable,
        explanation=explanation,
        lifecycle=instance.lifecycle,
        launch_time=instance.launch_time,
    )


def sagemaker_finding(
    resource: SageMakerResource,
    verdict: Verdict,
    prices: PriceTable,
    rules: IdleRules,
    now: datetime,
) -> Finding:
    """Build the finding for an idle endpoint or notebook."""
    unit = prices.hourly(resource.region, resource.instance_type)
    hourly = None if unit is None else unit * resource.count
    protected = protection(resource.tags, rules)
    stoppable = False
    if protected:
        action, explanation = "report", f"Protected ({protected}): reported, never stopped."
    elif resource.kind == "endpoint":
        action, explanation = (
            "review",
            "No invocations over the window. Delete the endpoint or scale it down if nobody "
            "calls it; deleting an endpoint is not a one-click action.",
        )
    else:
        stoppable = True
        action, explanation = "stop", "Idle notebook: stopping it keeps its ML storage volume."
    return Finding(
        id=finding_id(resource.account, resource.region, resource.resource_id),
        kind=verdict.kind,
        resource_id=resource.resource_id,
        account=resource.account,
        region=resource.region,
        instance_type=resource.instance_type,
        gpus=0,
        gpu_model="",
        team=resource.team,
        owner=resource.owner,
        environment=resource.environment,
        idle_since=verdict.since,
        hourly=hourly,
        burned=burned(hourly, verdict.since, now),
        confidence=verdict.confidence,
        protected=protected is not None,
        action=action,
        stoppable=stoppable,
        explanation=explanation,
        count=resource.count,
        launch_time=resource.since,
    )


@dataclass(frozen=True)
class IdleSweep:
    """One sweep: what runs, and what of it is idle."""

    fleet: Fleet
    findings: tuple[Finding, ...]
    as_of: datetime


def find_idle(
    fleet_api: GpuFleet,
    prices: PriceTable,
    rules: IdleRules,
    now: datetime,
    fleet: Fleet | None = None,
) -> IdleSweep:
    """Read the inventory (unless given) and its metrics, and return the idle findings."""
    fleet = fleet or fleet_api.inventory()
    start = now - rules.lookback
    findings: list[Finding] = []
    utilisation = fleet_api.utilisation(fleet.instances, start, now)
    for instance in fleet.instances:
        verdict = classify(utilisation.get(instance.id), rules, now, instance.launch_time)
        if verdict:
            findings.append(instance_finding(instance, verdict, prices, rules, now))
    endpoints = tuple(r for r in fleet.sagemaker if r.kind == "endpoint")
    notebooks = tuple(r for r in fleet.sagemaker if r.kind == "notebook")
    invocations = fleet_api.endpoint_invocations(endpoints, start, now) if endpoints else {}
    for resource in _merge_variants(endpoints):
        verdict = classify_endpoint(
            invocations.get(resource.resource_id), rules, now, resource.since
        )
        if verdict:
            findings.append(sagemaker_finding(resource, verdict, prices, rules, now))
    activity = fleet_api.notebook_utilisation(notebooks, start, now) if notebooks else {}
    for resource in notebooks:
        verdict = classify(activity.get(resource.resource_id), rules, now, resource.since)
        if verdict:
            verdict = replace(verdict, kind="notebook-idle")
            findings.append(sagemaker_finding(resource, verdict, prices, rules, now))
    findings.sort(key=lambda f: (-(f.hourly or 0), f.id))
    return IdleSweep(fleet, tuple(findings), now)


def _merge_variants(endpoints: tuple[SageMakerResource, ...]) -> list[SageMakerResource]:
    """One endpoint with several production variants is one finding (priced by its first type)."""
    merged: dict[str, SageMakerResource] = {}
    for e in endpoints:
        if e.resource_id in merged:
            m = merged[e.resource_id]
            merged[e.resource_id] = replace(m, variants=m.variants + e.variants)
        else:
            merged[e.resource_id] = e
    return list(merged.values())


@dataclass(frozen=True)
class IdleSummary:
    """What the digest's "Idle GPUs" section shows."""

    count: int
    hourly: int  # nano-USD per hour over the priced findings
    unpriced: int
    by_team: tuple[tuple[str, int, int], ...]  # (team, findings, nano-USD per hour)
    top: tuple[Finding, ...]


def idle_summary(findings: Iterable[Finding], top: int = 5) -> IdleSummary:
    """Summarise findings for a digest section: count, $/h, per team, the costliest few."""
    items = list(findings)
    teams: dict[str, list[int]] = {}
    for f in items:
        entry = teams.setdefault(f.team or UNTAGGED, [0, 0])
        entry[0] += 1
        entry[1] += f.hourly or 0
    ranked = sorted(items, key=lambda f: (-(f.hourly or 0), f.id))
    return IdleSummary(
        count=len(items),
        hourly=sum(f.hourly or 0 for f in items),
        unpriced=sum(1 for f in items if f.hourly is None),
        by_team=tuple(
            sorted(((t, n, h) for t, (n, h) in teams.items()), key=lambda r: (-r[2], r[0]))
        ),
        top=tuple(ranked[:top]),
    )
