"""The detector on series that do what real bills do (pure: matrices in, anomalies out)."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pytest

from bot.insights.anomalies import (
    DetectorSettings,
    FeedbackRule,
    anomaly_id,
    detect,
    group_related,
)
from bot.insights.series import SeriesSet

NANO = 10**9
START = date(2024, 1, 1)  # a Monday
DAYS = 140


def series(values: np.ndarray, name: str = "ai-research") -> SeriesSet:
    return SeriesSet((("team", name),), START, np.round(values * NANO).astype(np.int64)[None, :])


def base(
    level: float = 1000.0, weekend: float = 0.6, noise: float = 0.03, seed: int = 1
) -> np.ndarray:
    rng = np.random.default_rng(seed)
    weekday = np.array([(START + timedelta(days=i)).weekday() for i in range(DAYS)])
    x = level * np.where(weekday >= 5, weekend, 1.0)
    return x * (1 + noise * rng.standard_normal(DAYS))


def test_a_quiet_bill_with_a_weekly_rhythm_has_no_anomaly() -> None:
    assert detect(series(base())) == []


def test_a_spike_is_found_on_its_day_with_its_impact() -> None:
    x = base()
    x[100] += 2500
    (a,) = detect(series(x))
    assert a.date == START + timedelta(days=100)
    assert a.id == anomaly_id("team", "ai-research", a.date)
    assert 2300 * NANO < a.impact < 2700 * NANO
    assert a.severity == "high"
    assert a.status == "ended" and a.days == 1


@pytest.mark.parametrize(
    ("trap", "change"),
    [
        ("drop: a stopped endpoint", lambda x: x.__setitem__(slice(90, None), x[90:] * 0.2)),
        ("credit", lambda x: x.__setitem__(95, -3000.0)),
        ("steady growth of 0.3 % a day", lambda x: x.__imul__(1.003 ** np.arange(DAYS))),
        (
            "month-start fee (support, RI, Savings Plan)",
            lambda x: [
                x.__setitem__(i, x[i] + 5000)
                for i in range(DAYS)
                if (START + timedelta(days=i)).day == 1
            ],
        ),
    ],
)
def test_the_traps_of_real_bills_do_not_alert(trap: str, change: object) -> None:
    x = base()
    change(x)  # type: ignore[operator]
    found = [a for a in detect(series(x)) if a.date >= START + timedelta(days=60)]
    assert found == [], trap


def test_a_level_shift_alerts_on_the_first_day_then_learns_the_new_level() -> None:
    x = base()
    x[80:] += 800  # a forgotten cluster
    found = detect(series(x))
    (a,) = found
    assert a.date == START + timedelta(days=80)
    assert a.status == "new_level"


def test_a_slow_creep_is_found_before_it_ends() -> None:
    x = base()
    creep = np.ones(DAYS)
    creep[70:100] = 1.04 ** np.arange(30)
    creep[100:] = creep[99]
    x *= creep
    found = detect(series(x))
    assert found and START + timedelta(days=70) <= found[0].date <= START + timedelta(days=99)


def test_minimum_impact_in_dollars_and_percent_is_configurable() -> None:
    x = base()
    x[100] += 300
    assert detect(series(x), DetectorSettings(min_impact=100, min_percent=20)) != []
    assert detect(series(x), DetectorSettings(min_impact=500, min_percent=20)) == []
    assert detect(series(x), DetectorSettings(min_impact=100, min_percent=50)) == []


def test_expected_feedback_learns_the_new_level_at_once() -> None:
    x = base()
    x[80:] += 800
    (a,) = detect(series(x))
    rule = FeedbackRule("team", "ai-research", a.date, "expected", a.impact)
    (again,) = detect(series(x), feedback=[rule])
    assert again.id == a.id and again.status == "expected"


def test_not_a_problem_raises_the_bar_for_that_series() -> None:
    x = base()
    x[70] += 1500
    x[110] += 2000
    first, second = detect(series(x))
    rule = FeedbackRule("team", "ai-research", first.date, "not_a_problem", first.impact)
    assert [a.id for a in detect(series(x), feedback=[rule])] == [first.id]
    x[110] += 2000  # twice the dismissed rise alerts again
    assert len(detect(series(x), feedback=[rule])) == 2
    assert second.date == START + timedelta(days=110)


def test_no_look_ahead_scanning_history_equals_running_every_day() -> None:
    x = base()
    x[100] += 2500
    x[120:] += 900
    full = {(a.id, a.date) for a in detect(series(x))}
    daily = set()
    for end in range(40, DAYS):
        daily |= {(a.id, a.date) for a in detect(series(x[: end + 1]))}
    assert full == daily


def test_one_event_in_several_dimensions_is_one_group_led_by_a_tag() -> None:
    x = base()
    x[100] += 2500
    keys = (("total", "all"), ("service", "Amazon SageMaker"), ("team", "ai-research"))
    matrix = np.round(np.vstack([x + 500, x, x]) * NANO).astype(np.int64)
    found = detect(SeriesSet(keys, START, matrix))
    (group,) = group_related(found)
    assert [a.dimension for a in group] == ["team", "service", "total"]
