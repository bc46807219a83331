"""Wire the economics together for the CLI, Slack and the jobs: store + CloudWatch → insights.

The insights are pure functions of charges and counts; this module picks the
window (the last N days with data), reads the charges, asks CloudWatch for
endpoint invocations when asked to, and says what it could not read instead of
failing (a hint list without CloudWatch is still a hint list).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, timedelta

from bot.aws.endpoint_metrics import EndpointMetricsError
from bot.errors import CostbotError
from bot.insights.charge_totals import ChargeTotal, charge_totals
from bot.insights.hints import Hint, bill_hints, endpoint_rightsizing_hints, rank_hints
from bot.insights.unit_costs import (
    EndpointUnitCost,
    GpuEfficiency,
    GpuSpend,
    endpoint_costs,
    endpoint_unit_costs,
    gpu_efficiency,
    run_costs,
    team_gpu_spend,
)
from bot.services import Services

DEFAULT_DAYS = 30

HintSource = Callable[[Services, Sequence[ChargeTotal], date, date], Sequence[Hint]]
HINT_SOURCES: list[HintSource] = []
"""More hint sources, folded into the ranked list (the GPU area registers idle findings here)."""


UtilisationSource = Callable[[Services, date, date], Mapping[str, float]]
UTILISATION_SOURCES: list[UtilisationSource] = []
"""Average GPU utilisation (0–1) per instance id over a window: the GPU area registers its
CloudWatch reader here; unit costs then show busy vs paid GPU-hours and idle $ per team."""


def register_utilisation_source(source: UtilisationSource) -> UtilisationSource:
    """Add a source of GPU utilisation per instance; usable as a decorator."""
    if source not in UTILISATION_SOURCES:
        UTILISATION_SOURCES.append(source)
    return source


def register_hint_source(source: HintSource) -> HintSource:
    """Add a source of hints (e.g. idle / idle-held GPUs); usable as a decorator."""
    if source not in HINT_SOURCES:
        HINT_SOURCES.append(source)
    return source


class NoDataError(CostbotError):
    """The store holds no spend for the window asked."""


def recent_window(services: Services, days: int = DEFAULT_DAYS) -> tuple[date, date]:
    """Return the last ``days`` days that have data (ending at the last day with data)."""
    last = services.engine.last_data_day()
    if last is None:
        raise NoDataError("the store is empty; run `costbot ingest` first")
    return last - timedelta(days=days - 1), last


def _charges(services: Services, days: int) -> tuple[list[ChargeTotal], date, date]:
    start, end = recent_window(services, days)
    return charge_totals(services.store, start, end, services.settings.measure), start, end


@dataclass
class HintReport:
    """Ranked hints and what could not be looked at."""

    hints: list[Hint]
    start: date
    end: date
    notes: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, object]:
        """Return the ``costbot hints --json`` shape."""
        return {
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "hints": [h.to_json() for h in self.hints],
            "notes": self.notes,
        }


def gather_hints(
    services: Services, *, team: str | None = None, use_metrics: bool | None = None
) -> HintReport:
    """Rank every hint the bill (and CloudWatch, when enabled) supports.

    ``use_metrics`` (``--cloudwatch`` / ``--no-cloudwatch``) overrides
    ``COSTBOT_ENDPOINT_METRICS`` for this report, for the registered sources too: they
    see it as ``services.settings.endpoint_metrics``, so one switch decides every
    CloudWatch read and the note below stays true.
    """
    charges, start, end = _charges(services, DEFAULT_DAYS)
    notes: list[str] = []
    groups: list[Sequence[Hint]] = [bill_hints(charges)]
    metrics = services.settings.endpoint_metrics if use_metrics is None else use_metrics
    services = _with_metrics(services, metrics)
    if metrics:
        try:
            names = [e.name for e in endpoint_costs(charges)]
            calls = services.endpoint_metrics().invocations(names, start, end)
            groups.append(
                endpoint_rightsizing_hints(
                    charges, calls, target_per_inference=services.settings.inference_target
                )
            )
        except EndpointMetricsError as exc:
            notes.append(f"endpoint right-sizing skipped: {exc}")
    else:
        notes.append(
            "right-sizing needs CloudWatch (COSTBOT_ENDPOINT_METRICS=true or --cloudwatch): "
            "SageMaker endpoints by their invocations, GPU instances by the CloudWatch "
            "agent's GPU utilisation"
        )
    # The GPU area's hints arrive through register_hint_source: idle and idle-held findings
    # (bot.gpu_hints, from the store) and GPU utilisation right-sizing (bot.gpu_utilisation,
    # CloudWatch, only when metrics are on).
    for source in HINT_SOURCES:
        try:
            groups.append(source(services, charges, start, end))
        except CostbotError as exc:
            notes.append(f"{getattr(source, '__name__', 'a hint source')} skipped: {exc}")
    return HintReport(rank_hints(*groups, team=team), start, end, notes)


def _with_metrics(services: Services, on: bool) -> Services:
    """Return services whose settings say CloudWatch reads are ``on`` for one report.

    The copy shares the store, the engine and the SDK clients; only the switch differs.
    """
    if services.settings.endpoint_metrics == on:
        return services
    return replace(services, settings=replace(services.settings, endpoint_metrics=on))


@dataclass
class UnitReport:
    """Unit costs over a window: endpoints, runs and GPU spend per team."""

    start: date
    end: date
    endpoints: list[EndpointUnitCost]
    runs: list[GpuSpend]
    teams: list[GpuSpend]
    notes: list[str] = field(default_factory=list)
    efficiency: list[GpuEfficiency] = field(default_factory=list)

    def to_json(self) -> dict[str, object]:
        """Return the ``costbot unit --json`` shape."""
        return {
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "endpoints": [e.to_json() for e in self.endpoints],
            "runs": [r.to_json() for r in self.runs],
            "teams": [t.to_json() for t in self.teams],
            "efficiency": [e.to_json() for e in self.efficiency],
            "notes": self.notes,
        }


def gather_unit(
    services: Services,
    *,
    endpoint: str | None = None,
    team: str | None = None,
    days: int = DEFAULT_DAYS,
    use_metrics: bool = True,
) -> UnitReport:
    """Compute unit costs; ``endpoint`` or ``team`` narrow the answer."""
    charges, start, end = _charges(services, days)
    notes: list[str] = []
    names = [e.name for e in endpoint_costs(charges)]
    if endpoint is not None:
        if endpoint not in names:
            known = ", ".join(names) or "none"
            raise NoDataError(f"no endpoint {endpoint!r} in the bill (endpoints: {known})")
        names = [endpoint]
    calls: dict[str, int] = {}
    if use_metrics and names:
        try:
            calls = services.endpoint_metrics().invocations(names, start, end)
        except EndpointMetricsError as exc:
            notes.append(f"no invocations: {exc}")
    settings = services.settings
    units = endpoint_unit_costs(charges, calls, target_per_inference=settings.inference_target)
    units = [u for u in units if u.endpoint.name in names]
    runs = run_costs(charges, settings.run_tags)
    teams = team_gpu_spend(charges)
    if team is not None:
        units = [u for u in units if u.endpoint.team == team]
        runs = [r for r in runs if r.team == team]
        teams = [t for t in teams if t.team == team]
    efficiency: list[GpuEfficiency] = []
    utilisation: dict[str, float] = {}
    services = _with_metrics(services, use_metrics)  # the same switch for GPU utilisation
    for source in UTILISATION_SOURCES:
        try:
            utilisation.update(source(services, start, end))
        except CostbotError as exc:
            notes.append(f"GPU utilisation not read: {exc}")
    if utilisation:
        efficiency = gpu_efficiency(charges, utilisation)
        if team is not None:
            efficiency = [e for e in efficiency if e.team == team]
    else:
        notes.append("busy vs paid GPU-hours and idle $ need GPU utilisation (the GPU area)")
    if endpoint is not None:
        runs, teams, efficiency = [], [], []
    return UnitReport(start, end, units, runs, teams, notes, efficiency)


def team_unit_lines(services: Services, *, days: int = 7) -> dict[str, str]:
    """Return one line per team for the weekly digest: $ per 1,000 inferences, $ per GPU-hour.

    Invocations are read only when COSTBOT_ENDPOINT_METRICS is on; "idle GPU $"
    appears once a utilisation source is registered (the GPU area).
    """
    from bot.money import format_money

    report = gather_unit(services, days=days, use_metrics=services.settings.endpoint_metrics)
    parts: dict[str, list[str]] = {}
    for u in report.endpoints:
        if u.endpoint.team and u.per_1000 is not None:
            flag = " (over target)" if u.over_target else ""
            parts.setdefault(u.endpoint.team, []).append(
                f"{u.endpoint.name} {format_money(u.per_1000)}/1k inferences{flag}"
            )
    for t in report.teams:
        if t.team and t.per_gpu_hour is not None:
            parts.setdefault(t.team, []).append(
                f"GPU {format_money(t.per_gpu_hour)}/GPU-hour over {float(t.gpu_hours):,.0f} GPU-h"
            )
    for e in report.efficiency:
        if e.team:
            parts.setdefault(e.team, []).append(
                f"idle GPU {format_money(e.idle_cost)} ({float(e.busy_share) * 100:.0f} % busy)"
            )
    return {team: "; ".join(items) for team, items in sorted(parts.items())}
