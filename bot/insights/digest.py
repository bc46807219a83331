"""The digest: what a channel should know about its spend this morning, as plain data.

Yesterday against the day before and the same weekday last week; month to date
against budget with the month-end forecast and its range; the top 5 groups and
top 5 movers of the last 7 days; open anomalies; the untagged share; and 30 days
of daily spend by the main group for the chart.

Other areas add sections (e.g. "Idle GPUs") with :func:`register_section`: a
provider gets the :class:`DigestInputs` and returns a :class:`DigestSection`
(or None to stay out). Slack and the terminal render every section the same way.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from bot.costs.model import CostQuery, GroupCost, PeriodSpec
from bot.costs.query import CostQueryEngine
from bot.insights.anomalies import (
    Anomaly,
    DetectorSettings,
    FeedbackRule,
    detect,
    group_related,
)
from bot.insights.budgets import BudgetStatus
from bot.insights.forecast import Forecast, forecast_month
from bot.insights.series import load_series
from bot.money import decimal_text

TOP = 5
CHART_DAYS = 30
CHART_GROUPS = 5


@dataclass(frozen=True)
class DigestInputs:
    """What a section provider may use: the engine, the digest's scope and its day."""

    engine: CostQueryEngine
    filters: tuple[tuple[str, str], ...]
    through: date  # the last day with data
    measure: str


@dataclass(frozen=True)
class DigestSection:
    """An extra part of the digest: a title and plain-text lines (rendered escaped)."""

    key: str
    title: str
    lines: tuple[str, ...]


SectionProvider = Callable[[DigestInputs], DigestSection | None]
SECTION_PROVIDERS: list[SectionProvider] = []


def register_section(provider: SectionProvider) -> SectionProvider:
    """Add a section to every digest (usable as a decorator)."""
    if provider not in SECTION_PROVIDERS:
        SECTION_PROVIDERS.append(provider)
    return provider


@dataclass(frozen=True)
class Digest:
    """One digest's content; amounts are nano-units."""

    scope: str
    filters: tuple[tuple[str, str], ...]
    measure: str
    currency: str
    through: date
    yesterday: int
    day_before: int
    week_ago: int
    month_to_date: int
    forecast: Forecast
    budget: BudgetStatus | None
    group_by: str
    top_groups: tuple[GroupCost, ...]  # last 7 days, previous = the 7 days before
    movers: tuple[GroupCost, ...]
    anomalies: tuple[Anomaly, ...]
    untagged: int  # month to date
    untagged_keys: tuple[str, ...]
    chart: dict[str, tuple[tuple[date, int], ...]] = field(default_factory=dict)
    sections: tuple[DigestSection, ...] = ()

    def to_json(self) -> dict[str, Any]:
        """Return the ``costbot digest --json`` shape (amounts as exact decimal strings)."""

        def group(g: GroupCost) -> dict[str, Any]:
            prev = g.previous or 0
            return {
                "key": g.key,
                "cost": decimal_text(g.cost),
                "previous": decimal_text(prev),
                "change": decimal_text(g.cost - prev),
            }

        return {
            "scope": dict(self.filters),
            "measure": self.measure,
            "currency": self.currency,
            "date": self.through.isoformat(),
            "yesterday": {
                "cost": decimal_text(self.yesterday),
                "day_before": decimal_text(self.day_before),
                "same_weekday_last_week": decimal_text(self.week_ago),
            },
            "month_to_date": {
                "cost": decimal_text(self.month_to_date),
                "budget": decimal_text(self.budget.amount) if self.budget else None,
                "forecast": decimal_text(self.forecast.point),
                "forecast_p10": decimal_text(self.forecast.p10),
                "forecast_p90": decimal_text(self.forecast.p90),
            },
            "group_by": self.group_by,
            "top_groups": [group(g) for g in self.top_groups],
            "top_movers": [group(g) for g in self.movers],
            "anomalies": [a.to_json() for a in self.anomalies],
            "untagged": {
                "keys": list(self.untagged_keys),
                "cost": decimal_text(self.untagged),
                "share_of": decimal_text(self.month_to_date),
            },
            "sections": [
                {"key": s.key, "title": s.title, "lines": list(s.lines)} for s in self.sections
            ],
        }


def main_group(engine: CostQueryEngine, filters: Sequence[tuple[str, str]]) -> str:
    """Pick the grouping of a digest: the first allocation tag not filtered on, else service."""
    used = {d for d, _ in filters}
    tags = engine.vocabulary().tag_values
    for key in engine.allocation_tags:
        if key not in used and tags.get(key):
            return key
    return "service" if "service" not in used else "account"


def build_digest(
    engine: CostQueryEngine,
    filters: Sequence[tuple[str, str]],
    *,
    measure: str = "effective",
    budget: Callable[[date], BudgetStatus | None] | None = None,
    detector: DetectorSettings | None = None,
    feedback: Sequence[FeedbackRule] = (),
) -> Digest | None:
    """Build the digest for a slice of spend, as of the last day with data (None if none)."""
    through = engine.last_data_day()
    if through is None:
        return None
    filters = tuple(filters)
    base = CostQuery(filters=filters, measure=measure)

    def day_range(start: date, end: date, **kw: Any) -> Any:
        return engine.answer(
            CostQuery(
                filters=filters,
                measure=measure,
                period=PeriodSpec("range", start=start, end=end),
                **kw,
            )
        )

    history = day_range(through - timedelta(days=62), through)
    daily = dict(history.daily)
    forecast = forecast_month(history.daily, through)
    group_by = main_group(engine, filters)
    week = day_range(through - timedelta(days=6), through, group_by=group_by, top=50)
    groups = [g for g in week.groups if not g.is_other]
    movers = sorted(groups, key=lambda g: (-abs(g.cost - (g.previous or 0)), g.key))[:TOP]
    movers = [g for g in movers if g.cost != (g.previous or 0)]
    tags_in_bill = engine.vocabulary().tag_values
    untagged = engine.answer(
        CostQuery(
            filters=filters,
            measure=measure,
            period=PeriodSpec("range", start=through.replace(day=1), end=through),
            untagged=tuple(k for k in engine.allocation_tags if tags_in_bill.get(k)) or (),
        )
    )
    chart = _chart_series(engine, base, group_by, through, groups)
    anomalies = _open_anomalies(engine, filters, through, measure, detector, feedback)
    inputs = DigestInputs(engine, filters, through, measure)
    sections = tuple(s for s in (p(inputs) for p in SECTION_PROVIDERS) if s is not None)
    return Digest(
        scope=" ".join(f"{k} {v}" for k, v in filters) or "all spend",
        filters=filters,
        measure=measure,
        currency=history.currency,
        through=through,
        yesterday=daily.get(through, 0),
        day_before=daily.get(through - timedelta(days=1), 0),
        week_ago=daily.get(through - timedelta(days=7), 0),
        month_to_date=forecast.month_to_date,
        forecast=forecast,
        budget=budget(through) if budget else None,
        group_by=group_by,
        top_groups=tuple(groups[:TOP]),
        movers=tuple(movers),
        anomalies=anomalies,
        untagged=untagged.total,
        untagged_keys=untagged.untagged_keys,
        chart=chart,
        sections=sections,
    )


def _chart_series(
    engine: CostQueryEngine,
    base: CostQuery,
    group_by: str,
    through: date,
    groups: Sequence[GroupCost],
) -> dict[str, tuple[tuple[date, int], ...]]:
    """Return 30 days of daily spend for the top groups, plus "other" (the rest)."""
    start = through - timedelta(days=CHART_DAYS - 1)
    period = PeriodSpec("range", start=start, end=through)
    total = engine.answer(CostQuery(filters=base.filters, measure=base.measure, period=period))
    out: dict[str, tuple[tuple[date, int], ...]] = {}
    rest = dict(total.daily)
    for g in groups[:CHART_GROUPS]:
        if g.key.startswith("(no ") or g.key == "(none)":
            continue
        answer = engine.answer(
            CostQuery(
                filters=(*base.filters, (group_by, g.key)), measure=base.measure, period=period
            )
        )
        out[g.key] = answer.daily
        for d, v in answer.daily:
            rest[d] = rest.get(d, 0) - v
    if any(rest.values()) or not out:
        out["other"] = tuple(sorted(rest.items()))
    return out


def _open_anomalies(
    engine: CostQueryEngine,
    filters: tuple[tuple[str, str], ...],
    through: date,
    measure: str,
    detector: DetectorSettings | None,
    feedback: Sequence[FeedbackRule],
) -> tuple[Anomaly, ...]:
    """Return anomalies still going on in the digest's scope (last day within 2 days)."""
    series = load_series(
        engine.store,
        tag_keys=[k for k in engine.allocation_tags if k in engine.store.cube_tags()],
        measure=measure,
        start=through - timedelta(days=120),
        end=through,
    )
    if series is None:
        return ()
    found = [g[0] for g in group_related(detect(series, detector, feedback=feedback))]
    keys = set(filters)
    out = [
        a
        for a in found
        if a.status == "ongoing"
        and a.last_day >= through - timedelta(days=2)
        and (not keys or (a.dimension, a.value) in keys)
    ]
    return tuple(sorted(out, key=lambda a: -a.impact)[:TOP])
