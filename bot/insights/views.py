"""What the jobs, the CLI and Slack share: scan the store, budget status, a digest.

Thin compositions of the pure insights with what the store remembers (budgets,
anomaly feedback), so `/cost budgets`, `costbot budget list`, the App Home tab
and the scheduled checks compute the same figures the same way.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from bot.costs.query import CostQueryEngine
from bot.errors import CostbotError
from bot.insights.anomalies import Anomaly, DetectorSettings, FeedbackRule, detect
from bot.insights.budgets import BudgetStatus, budget_status
from bot.insights.digest import Digest, build_digest
from bot.insights.series import load_series
from bot.money import format_money
from bot.state.scheduling import AnomalyAlerts, Budget, Budgets


@dataclass(frozen=True)
class InsightSettings:
    """The settings the insights need (from :class:`bot.settings.Settings`)."""

    measure: str = "effective"
    allocation_tags: tuple[str, ...] = ("team", "project", "environment")
    min_impact: float = 100.0
    min_percent: float = 20.0

    @property
    def detector(self) -> DetectorSettings:
        """Return the detector thresholds."""
        return DetectorSettings(min_impact=self.min_impact, min_percent=self.min_percent)


def feedback_rules(engine: CostQueryEngine) -> list[FeedbackRule]:
    """Return the stored anomaly feedback as the detector's rules."""
    return [
        FeedbackRule(f.dimension, f.value, date.fromisoformat(f.start_day), f.verdict, f.impact)
        for f in AnomalyAlerts(engine.store).feedback()
    ]


def scan_store(
    engine: CostQueryEngine, settings: InsightSettings, *, start: date | None = None
) -> list[Anomaly]:
    """Run the detector over the total, allocation tags, services and accounts."""
    cube = set(engine.store.cube_tags())
    series = load_series(
        engine.store,
        tag_keys=[k for k in settings.allocation_tags if k in cube],
        measure=settings.measure,
        start=start,
    )
    if series is None:
        return []
    return detect(series, settings.detector, feedback=feedback_rules(engine))


def budget_status_of(
    engine: CostQueryEngine, budget: Budget, through: date, *, measure: str = "effective"
) -> BudgetStatus:
    """Compute one stored budget's status as of ``through``."""
    return budget_status(
        engine,
        budget_id=budget.id,
        filters=budget.filters,
        amount=budget.amount,
        thresholds=budget.thresholds,
        through=through,
        measure=measure,
    )


def budget_statuses(
    engine: CostQueryEngine, *, measure: str = "effective"
) -> list[BudgetStatus | str]:
    """Return each budget's status, or a line saying why it has none yet."""
    through = engine.last_data_day()
    out: list[BudgetStatus | str] = []
    for b in Budgets(engine.store).all():
        if through is None:
            out.append(f"#{b.id} {b.scope()}: {format_money(b.amount)} monthly (no data yet)")
            continue
        try:
            out.append(budget_status_of(engine, b, through, measure=measure))
        except CostbotError as exc:
            out.append(f"#{b.id} {b.scope()}: {exc}")
    return out


def digest_of(
    engine: CostQueryEngine, filters: Sequence[tuple[str, str]], settings: InsightSettings
) -> Digest | None:
    """Build the digest of a slice, with the budget of the same slice if there is one."""
    from bot.insights.digest_sections import register_digest_sections  # idle GPUs, API spend

    register_digest_sections()
    key = sorted(filters)
    budgets = [b for b in Budgets(engine.store).all() if sorted(b.filters) == key]

    def budget(through: date) -> BudgetStatus | None:
        if not budgets:
            return None
        return budget_status_of(engine, budgets[0], through, measure=settings.measure)

    return build_digest(
        engine,
        filters,
        measure=settings.measure,
        budget=budget,
        detector=settings.detector,
        feedback=feedback_rules(engine),
    )
