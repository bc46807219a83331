"""Budgets: how much of a monthly budget is spent, what the month will end at, what to alert.

A budget covers a slice of spend (filters in the ``/cost`` grammar) for a
calendar month. Alerts are due at each threshold of actual spend (default 80 and
100 %) and when the month-end forecast passes 100 %; each one has a stable
finding id, ``budget:<id>:<YYYY-MM>:<threshold>`` (threshold ``forecast`` for
the forecast alert), so it is sent once per period.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from bot.costs.model import CostQuery, PeriodSpec
from bot.costs.query import CostQueryEngine
from bot.insights.forecast import HISTORY_DAYS, Forecast, forecast_month
from bot.money import format_money

DEFAULT_THRESHOLDS = (80, 100)
FORECAST = "forecast"


@dataclass(frozen=True)
class BudgetStatus:
    """A budget against the month so far and the month-end forecast."""

    budget_id: int
    scope: str
    amount: int
    period: str  # YYYY-MM
    spent: int
    forecast: Forecast
    thresholds: tuple[int, ...]
    currency: str = "USD"

    @property
    def percent(self) -> Decimal:
        """Return the share of the budget spent, in percent."""
        return Decimal(self.spent * 100) / Decimal(self.amount) if self.amount else Decimal(0)

    @property
    def forecast_percent(self) -> Decimal:
        """Return the month-end forecast as a share of the budget, in percent."""
        if not self.amount:
            return Decimal(0)
        return Decimal(self.forecast.point * 100) / Decimal(self.amount)

    def due(self) -> list[str]:
        """Return the thresholds reached (as text, ``forecast`` last), lowest first."""
        out = [str(t) for t in sorted(self.thresholds) if self.percent >= t]
        if self.forecast_percent > 100:
            out.append(FORECAST)
        return out

    def finding_id(self, threshold: str) -> str:
        """Return the stable id of one alert: ``budget:<id>:<YYYY-MM>:<threshold>``."""
        return f"budget:{self.budget_id}:{self.period}:{threshold}"

    def summary(self) -> str:
        """Say it in one line: ``team ai-research: $41,000.00 of $50,000.00 (82.0 %) …``."""
        return (
            f"{self.scope}: {format_money(self.spent, self.currency)} of "
            f"{format_money(self.amount, self.currency)} "
            f"({self.percent.quantize(Decimal('0.1'))} %)"
            f" in {self.period}, forecast {format_money(self.forecast.point, self.currency)} "
            f"({format_money(self.forecast.p10, self.currency)}–"
            f"{format_money(self.forecast.p90, self.currency)})"
        )

    def __str__(self) -> str:
        return f"#{self.budget_id} {self.summary()}"


def daily_history(
    engine: CostQueryEngine,
    filters: Sequence[tuple[str, str]],
    through: date,
    *,
    measure: str = "effective",
) -> tuple[tuple[tuple[date, int], ...], str]:
    """Return the daily amounts of a slice for the 8 weeks up to ``through``, and the currency."""
    start = min(through - timedelta(days=HISTORY_DAYS - 1), through.replace(day=1))
    answer = engine.answer(
        CostQuery(
            filters=tuple(filters),
            period=PeriodSpec("range", start=start, end=through),
            measure=measure,
        )
    )
    return answer.daily, answer.currency


def budget_status(
    engine: CostQueryEngine,
    *,
    budget_id: int,
    filters: Sequence[tuple[str, str]],
    amount: int,
    thresholds: Sequence[int],
    through: date,
    measure: str = "effective",
) -> BudgetStatus:
    """Compute a budget's status for the month of ``through`` (the last day with data)."""
    daily, currency = daily_history(engine, filters, through, measure=measure)
    forecast = forecast_month(daily, through)
    scope = " ".join(f"{k} {v}" for k, v in filters) or "all spend"
    return BudgetStatus(
        budget_id=budget_id,
        scope=scope,
        amount=amount,
        period=through.strftime("%Y-%m"),
        spent=forecast.month_to_date,
        forecast=forecast,
        thresholds=tuple(thresholds),
        currency=currency,
    )
