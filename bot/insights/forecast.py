"""Month-end forecast from the daily history: weekday-aware, robust, with a p10–p90 range.

The month's spend so far is known exactly; only the remaining days are
forecast. Each remaining day is ``level × weekday factor × growth``:

* weekday factors: the median of each weekday over the last eight weeks, over
  the median of all those days (1.0 where the bill has no weekly rhythm);
* level: the median of the last 14 days, each divided by its weekday factor,
  so a one-off spike or a month-start fee (support, RI / Savings Plan fees) does
  not leak into every remaining day as it does in a linear run-rate;
* growth: the median of the last two weeks against the two weeks a month
  before, clipped to ±1 % a day;
* range: the median absolute deviation of the deseasonalised days gives a daily
  spread; the remaining days' sum gets that spread over √days plus the
  uncertainty of the level and of the growth (a normal approximation: p10/p90 =
  ∓1.28 σ).
"""

from __future__ import annotations

import calendar
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np

Z90 = 1.2816
HISTORY_DAYS = 56
LEVEL_DAYS = 14


@dataclass(frozen=True)
class Forecast:
    """Month-end spend for one month: the point forecast and its p10–p90 range (nano-units)."""

    month_start: date
    through: date  # last day with data
    month_to_date: int
    point: int
    p10: int
    p90: int
    daily: tuple[tuple[date, int], ...]  # the forecast of each remaining day


def month_end(d: date) -> date:
    """Return the last day of ``d``'s month."""
    return d.replace(day=calendar.monthrange(d.year, d.month)[1])


def run_rate(month_to_date: int, through: date) -> int:
    """Return the linear run-rate: MTD ÷ days elapsed × days in month."""
    elapsed = through.day
    return month_to_date * month_end(through).day // elapsed


def forecast_month(daily: Sequence[tuple[date, int]], through: date) -> Forecast:
    """Forecast the month of ``through`` from the daily amounts up to ``through``.

    ``daily`` may start before the month (up to 8 weeks are used) and may skip
    days without spend (they count as zero).
    """
    start = through.replace(day=1)
    end = month_end(through)
    first = through - timedelta(days=HISTORY_DAYS - 1)
    amounts = {d: v for d, v in daily if first <= d <= through}
    x = np.array(
        [amounts.get(first + timedelta(days=i), 0) for i in range(HISTORY_DAYS)], dtype=np.float64
    )
    mtd = sum(v for d, v in daily if start <= d <= through)
    remaining = [through + timedelta(days=i) for i in range(1, (end - through).days + 1)]
    if not remaining:
        return Forecast(start, through, mtd, mtd, mtd, mtd, ())
    days = [first + timedelta(days=i) for i in range(HISTORY_DAYS)]
    weekday = np.array([d.weekday() for d in days])
    known = np.array([d >= min((d0 for d0, _ in daily), default=through) for d in days])
    overall = float(np.median(x[known])) if known.any() else 0.0
    factors = np.ones(7)
    if overall > 0:
        for w in range(7):
            sel = known & (weekday == w)
            if sel.sum() >= 2:
                factors[w] = max(float(np.median(x[sel])) / overall, 0.0)
    factors = np.where(factors > 0, factors, 1.0)
    deseason = x / factors[weekday]
    recent = deseason[-LEVEL_DAYS:][known[-LEVEL_DAYS:]]
    level = float(np.median(recent)) if recent.size else 0.0
    growth = 1.0
    recent_half = deseason[-14:][known[-14:]]
    month_ago = deseason[-42:-28][known[-42:-28]]
    if recent_half.size >= 7 and month_ago.size >= 7:
        a, b = float(np.median(recent_half)), float(np.median(month_ago))
        if a > 0 and b > 0:
            growth = float(np.clip((a / b) ** (1 / 28), 0.99, 1.01))
    per_day = [
        max(level * factors[d.weekday()] * growth ** ((d - through).days), 0.0) for d in remaining
    ]
    rest = float(sum(per_day))
    used = deseason[-28:][known[-28:]]
    spread = 0.0
    if used.size >= 7 and level > 0:
        relative = used / level - 1.0
        sigma = 1.4826 * float(np.median(np.abs(relative - np.median(relative))))
        k = len(remaining)
        level_sigma = 1.2533 * sigma / np.sqrt(min(used.size, LEVEL_DAYS))
        growth_sigma = 1.2533 * sigma * np.sqrt(2 / 14) / 28  # per day
        trend = growth_sigma * (k + 1) / 2
        spread = rest * float(np.sqrt(sigma**2 / k + level_sigma**2 + trend**2))
    point = mtd + round(rest)
    return Forecast(
        month_start=start,
        through=through,
        month_to_date=mtd,
        point=point,
        p10=mtd + round(max(rest - Z90 * spread, 0.0)),
        p90=mtd + round(rest + Z90 * spread),
        daily=tuple((d, round(v)) for d, v in zip(remaining, per_day, strict=True)),
    )
