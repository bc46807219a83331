"""The month-end forecast: weekday-aware, robust to month-start fees, with a range."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np

from bot.insights.forecast import forecast_month, run_rate

NANO = 10**9


def bill(days: int = 135, *, fee: float = 0.0, seed: int = 3) -> list[tuple[date, int]]:
    """A weekday-rhythm bill from Jan 1 2024, with a fee on each 1st."""
    rng = np.random.default_rng(seed)
    out = []
    for i in range(days):
        d = date(2024, 1, 1) + timedelta(days=i)
        v = (1000 if d.weekday() < 5 else 400) * (1 + 0.05 * rng.standard_normal())
        if d.day == 1:
            v += fee
        out.append((d, round(v * NANO)))
    return out


def actual_month(daily: list[tuple[date, int]], month: int) -> int:
    return sum(v for d, v in daily if d.month == month)


def test_the_forecast_beats_the_run_rate_when_the_month_starts_with_a_fee() -> None:
    daily = bill(fee=20_000)
    through = date(2024, 4, 10)
    f = forecast_month([p for p in daily if p[0] <= through], through)
    truth = actual_month(daily, 4)
    naive = run_rate(f.month_to_date, through)
    assert abs(f.point - truth) < abs(naive - truth) / 5
    assert f.p10 <= truth <= f.p90
    assert f.p10 < f.point < f.p90


def test_the_forecast_knows_the_weekend_rhythm() -> None:
    daily = bill()
    through = date(2024, 4, 19)  # a Friday: the naive rate counts no weekend yet
    f = forecast_month([p for p in daily if p[0] <= through], through)
    truth = actual_month(daily, 4)
    assert abs(f.point - truth) / truth < 0.02
    weekend = [v for d, v in f.daily if d.weekday() >= 5]
    weekdays = [v for d, v in f.daily if d.weekday() < 5]
    assert max(weekend) < min(weekdays)


def test_the_last_day_of_the_month_is_the_month_to_date() -> None:
    daily = bill()
    through = date(2024, 3, 31)
    f = forecast_month(daily, through)
    assert f.point == f.p10 == f.p90 == actual_month(daily, 3)
