"""Cost anomalies: a robust, weekday-aware detector that knows what real bills do.

For each series (the total, each tag value, service and account) and each day
``t`` the detector uses only days before ``t`` (no look-ahead), so scanning a
whole history equals running it every day:

* **expected** = the median of the same weekday over the four previous weeks
  (weekday seasonality; one odd day in those weeks does not move a median),
  corrected for steady growth measured between the last two weeks and the two
  before (clipped to ±1 %/day, so slow creeps are not absorbed);
* **scale** = 1.4826 × the median absolute deviation of the last 21 residuals;
* a day is anomalous when actual − expected exceeds ``k`` × scale, the minimum
  impact in dollars and the minimum impact in percent of expected. Only rises
  count: drops and credits (a stopped endpoint, a refund) are not cost problems;
* **recurring charges**: a rise the same day of the previous month also had
  (month-start support, RI and Savings Plan fees) is expected, not anomalous;
* **episodes**: an anomaly lasts while days stay at least half as far above
  expected; flagged days less than four days apart are one anomaly, whose
  ``id`` is a hash of (dimension, value, first day): stable across runs;
* **level shifts**: an episode that lasts seven days is a new level: it closes
  ("new level learned") and days near that level are not flagged again while the
  baseline catches up; a rise within four weeks of an episode, when spend never
  went back to what was expected before it (a creep outrunning its baseline),
  continues that anomaly instead of starting a new one.
* **feedback**: "Expected" learns the new level from the first day; "Not a
  problem" raises that series' bar to twice the dismissed impact.

Everything is vectorised over a (series × days) matrix; the per-episode pass only
visits flagged days. Amounts stay exact int64 nano-units in what is reported.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from typing import Any

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from bot.costs.model import CostQuery, PeriodSpec
from bot.costs.query import CostQueryEngine
from bot.insights.series import TOTAL, SeriesSet
from bot.money import NANOS_PER_UNIT, decimal_text

Day = date  # the Anomaly field `date` shadows the type inside the class
WEEKS = 4
SCALE_WINDOW = 42
STEP = 7  # growth and scale are recomputed weekly
SCALE_LAG = 7  # the scale ignores the last days, so a creep does not hide in its own noise
MERGE_GAP = 3  # days between flags that still belong to one episode
LEVEL_DAYS = 7  # an episode this long is a new level
LEARN_DAYS = 35  # how long a learned level keeps absorbing flags
RELATED_DAYS = 28  # a new rise this soon after an episode, never back to normal, continues it
MAX_GROWTH = 0.01  # per day, for the growth correction
SCALE_FLOOR = 0.03  # the scale is at least this share of expected (no bill is that flat)


@dataclass(frozen=True)
class DetectorSettings:
    """Thresholds: minimum impact in currency units and in percent, and the MAD multiple."""

    min_impact: float = 100.0
    min_percent: float = 20.0
    k: float = 5.0


@dataclass(frozen=True)
class RootCause:
    """One part of an anomaly's delta: a service, resource or usage type and its amount."""

    dimension: str  # service | resource | usage_type
    value: str
    delta: int  # nano-units, the day against the daily mean of the four weeks before

    def to_json(self) -> dict[str, str]:
        """Return ``{"dimension", "value", "delta"}`` (delta as an exact decimal string)."""
        return {"dimension": self.dimension, "value": self.value, "delta": decimal_text(self.delta)}


@dataclass(frozen=True)
class Anomaly:
    """One anomaly episode of one series; ``date`` is its first day."""

    id: str
    dimension: str
    value: str
    date: date
    actual: int  # nano-units on the first day
    expected: int
    impact: int  # actual − expected on the first day
    severity: str  # low | medium | high
    last_day: Day  # last anomalous day so far
    days: int  # anomalous days in the episode
    total_impact: int  # sum of (actual − expected) over the anomalous days
    status: str  # ongoing | ended | new_level | expected
    root_cause: tuple[RootCause, ...] = ()

    def to_json(self) -> dict[str, Any]:
        """Return the documented ``costbot anomalies --json`` item."""
        return {
            "id": self.id,
            "dimension": self.dimension,
            "value": self.value,
            "date": self.date.isoformat(),
            "actual": decimal_text(self.actual),
            "expected": decimal_text(self.expected),
            "impact": decimal_text(self.impact),
            "severity": self.severity,
            "root_cause": [c.to_json() for c in self.root_cause],
        }

    def scope(self) -> str:
        """Say which spend this is: ``team ai-research`` or ``total spend``."""
        return "total spend" if self.dimension == TOTAL else f"{self.dimension} {self.value}"


@dataclass(frozen=True)
class FeedbackRule:
    """Feedback the detector applies: ``expected`` or ``not_a_problem`` on an anomaly."""

    dimension: str
    value: str
    start: date
    verdict: str
    impact: int


@dataclass
class _Episode:
    start: int
    last: int
    days: list[int] = field(default_factory=list)
    status: str = "ongoing"


def anomaly_id(dimension: str, value: str, start: date) -> str:
    """Return the stable id of an anomaly: 12 hex digits of sha1(dimension, value, first day)."""
    text = f"{dimension}\x1f{value}\x1f{start.isoformat()}"
    return hashlib.sha1(text.encode()).hexdigest()[:12]


def severity_of(impact: int, expected: int, settings: DetectorSettings) -> str:
    """Grade an anomaly by its first-day impact: high, medium or low."""
    dollars = impact / NANOS_PER_UNIT
    pct = 100.0 * impact / expected if expected > 0 else float("inf")
    if dollars >= 10 * settings.min_impact or (pct >= 200 and dollars >= 3 * settings.min_impact):
        return "high"
    if dollars >= 3 * settings.min_impact or pct >= 100:
        return "medium"
    return "low"


def baselines(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Return (expected, scale) for every series and day, using only earlier days.

    Columns without four weeks of history have NaN expectations (nothing is flagged).
    Growth and scale move slowly, so they are computed once a week and held for the
    week (which is what keeps a scan of 10 000 series x 365 days within seconds).
    """
    x = values.astype(np.float64)
    n, t = x.shape
    expected = np.full((n, t), np.nan)
    first = 7 * WEEKS  # the first day with an expectation
    if t <= first:
        return expected, np.full((n, t), np.nan)
    a, b, c, d = (x[:, first - 7 * w : t - 7 * w] for w in range(1, WEEKS + 1))
    high = np.maximum(np.maximum(a, b), np.maximum(c, d))
    low = np.minimum(np.minimum(a, b), np.minimum(c, d))
    med = 0.5 * (a + b + c + d - high - low)  # the median of four
    # Growth: the (upper) median of the last 14 days against the 14 before.
    cols = np.arange(first, t, STEP)
    win = sliding_window_view(x.astype(np.float32), 14, axis=1)  # win[:, j] = x[:, j : j + 14]
    recent = np.partition(win[:, cols - 14], 7, axis=2)[:, :, 7].astype(np.float64)
    old = np.partition(win[:, cols - 28], 7, axis=2)[:, :, 7].astype(np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where((old > 0) & (recent > 0), recent / old, 1.0)
    growth = np.clip(ratio ** (1.0 / 14.0), 1 - MAX_GROWTH, 1 + MAX_GROWTH)
    expected[:, first:] = med * _hold_steps(growth, t - first) ** 17.5
    residual = x - expected
    scale = np.full((n, t), np.nan)
    lo = first + SCALE_WINDOW + SCALE_LAG
    if t > lo:
        cols = np.arange(lo, t, STEP)
        r = residual[:, first:].astype(np.float32)
        win_r = sliding_window_view(r, SCALE_WINDOW, axis=1)  # days c-LAG-W .. c-LAG-1
        scale[:, lo:] = _hold_steps(_mad(win_r[:, cols - lo]), t - lo)
    for col in range(first + 7 + SCALE_LAG, min(lo, t), STEP):  # young series: what there is
        young = _mad(residual[:, first : col - SCALE_LAG][:, None, :].astype(np.float32))
        scale[:, col : min(col + STEP, lo, t)] = young
    return expected, scale


def _hold_steps(values: np.ndarray, width: int) -> np.ndarray:
    """Repeat weekly values (one column per STEP days) to ``width`` daily columns."""
    return np.repeat(values, STEP, axis=1)[:, :width]


def _mad(windows: np.ndarray) -> np.ndarray:
    """Return 1.4826 × the median absolute deviation from the median along the last axis.

    Centred, so a level that moved (a drop, a creep) does not pass for noise.
    """
    k = windows.shape[-1] // 2
    middle = np.partition(windows, k, axis=-1)[..., k]
    spread = np.abs(windows - middle[..., None])
    return 1.4826 * np.partition(spread, k, axis=-1)[..., k]


def flag_days(
    values: np.ndarray, first_day: date, settings: DetectorSettings
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Return (flags, weak, expected, residual): the days whose rise is an anomaly.

    ``weak`` marks days at least half as far above expected: they keep an episode open.
    """
    expected, scale = baselines(values)
    x = values.astype(np.float64)
    residual = x - expected
    floor = settings.min_impact * NANOS_PER_UNIT
    with np.errstate(invalid="ignore"):
        bar = np.maximum(
            np.maximum(settings.k * np.maximum(scale, SCALE_FLOOR * np.abs(expected)), floor),
            settings.min_percent / 100.0 * np.maximum(expected, 0),
        )
        flags = residual >= bar
        weak = residual >= 0.5 * bar
    # Recurring monthly charges: the same day of the previous month rose as much.
    t = values.shape[1]
    prev = _previous_month_index(first_day, t)
    has_prev = prev >= 0
    if has_prev.any():
        cols = np.flatnonzero(has_prev)
        then = residual[:, prev[cols]]
        now = residual[:, cols]
        with np.errstate(invalid="ignore", divide="ignore"):
            # The same day last month rose as much, or what is left after taking off last
            # month's rise is no anomaly.
            recurring = (then >= 0.5 * now) | ((then > 0) & (now - then < bar[:, cols]))
            # … or rose as much relative to its level (fees that are a share of spend).
            then_rel = then / np.abs(expected[:, prev[cols]])
            now_rel = now / np.abs(expected[:, cols])
            recurring |= (then_rel >= settings.min_percent / 100.0) & (then_rel >= 0.5 * now_rel)
        flags[:, cols] &= ~np.nan_to_num(recurring, nan=0).astype(bool)
    return flags, weak, expected, residual


def _previous_month_index(first_day: date, width: int) -> np.ndarray:
    """For each column, the column of the same day of the previous month (−1 if none)."""
    out = np.full(width, -1, dtype=np.int64)
    for i in range(width):
        d = first_day + timedelta(days=i)
        y, m = (d.year, d.month - 1) if d.month > 1 else (d.year - 1, 12)
        try:
            p = d.replace(year=y, month=m)
        except ValueError:
            continue  # the 31st has no day in a 30-day month
        j = (p - first_day).days
        if j >= 0:
            out[i] = j
    return out


def detect(
    series: SeriesSet,
    settings: DetectorSettings | None = None,
    *,
    feedback: Iterable[FeedbackRule] = (),
) -> list[Anomaly]:
    """Find every anomaly episode in the series, oldest first (root causes not filled in)."""
    settings = settings or DetectorSettings()
    flags, weak, expected, residual = flag_days(series.values, series.first_day, settings)
    rules: dict[tuple[str, str], list[FeedbackRule]] = {}
    for rule in feedback:
        rules.setdefault((rule.dimension, rule.value), []).append(rule)
    out: list[Anomaly] = []
    for row in np.flatnonzero(flags.any(axis=1)):
        dimension, value = series.keys[row]
        out += _episodes(
            series,
            int(row),
            np.flatnonzero(flags[row]),
            weak[row],
            expected[row],
            residual[row],
            settings,
            rules.get((dimension, value), []),
        )
    out.sort(key=lambda a: (a.date, a.dimension, a.value))
    return out


def _episodes(
    series: SeriesSet,
    row: int,
    flagged: np.ndarray,
    weak: np.ndarray,
    expected: np.ndarray,
    residual: np.ndarray,
    settings: DetectorSettings,
    rules: Sequence[FeedbackRule],
) -> list[Anomaly]:
    dimension, value = series.keys[row]
    x = series.values[row]
    episodes: list[_Episode] = []
    learned_level: float | None = None
    learned_until = -1
    current: _Episode | None = None
    expected_starts = {r.start for r in rules if r.verdict == "expected"}
    dismissed = [r for r in rules if r.verdict == "not_a_problem"]
    for t in flagged.tolist():
        if (
            learned_level is not None
            and t <= learned_until
            and x[t] <= learned_level * (1 + settings.min_percent / 100.0)
        ):
            continue  # part of a level already learned
        if current is not None and current.status == "ongoing" and t - current.last <= MERGE_GAP:
            current.days.append(t)
            current.last = _hold(weak, t)
            if current.last - current.start + 1 >= LEVEL_DAYS:
                current.status = "new_level"
                learned_level = float(np.median(x[current.start : current.last + 1]))
                learned_until = current.last + LEARN_DAYS
            continue
        if current is not None and _still_elevated(x, expected, current, t):
            # The rise goes on (a creep outrunning its baseline): the same anomaly.
            current.days.append(t)
            current.last = _hold(weak, t)
            if current.status != "expected":
                current.status = "new_level"
                learned_level = float(np.median(x[t : current.last + 1]))
                learned_until = current.last + LEARN_DAYS
            continue
        day = series.day(t)
        bar = max((2 * r.impact for r in dismissed if r.start < day), default=0)
        if residual[t] < bar:
            continue
        current = _Episode(start=t, last=_hold(weak, t), days=[t])
        if day in expected_starts:
            current.status = "expected"
            learned_level = float(x[t])
            learned_until = t + LEARN_DAYS
        elif current.last - current.start + 1 >= LEVEL_DAYS:
            current.status = "new_level"
            learned_level = float(np.median(x[current.start : current.last + 1]))
            learned_until = current.last + LEARN_DAYS
        episodes.append(current)
    last_col = series.days - 1
    out = []
    for ep in episodes:
        if ep.status == "ongoing" and last_col - ep.last > MERGE_GAP:
            ep.status = "ended"
        start = series.day(ep.start)
        exp = _cents(float(expected[ep.start]))
        actual = int(x[ep.start])
        impact = actual - exp
        total = int(sum(int(x[d]) - _cents(float(expected[d])) for d in ep.days))
        out.append(
            Anomaly(
                id=anomaly_id(dimension, value, start),
                dimension=dimension,
                value=value,
                date=start,
                actual=actual,
                expected=exp,
                impact=impact,
                severity=severity_of(impact, exp, settings),
                last_day=series.day(ep.last),
                days=len(ep.days),
                total_impact=total,
                status=ep.status,
            )
        )
    return out


def _still_elevated(x: np.ndarray, expected: np.ndarray, episode: _Episode, t: int) -> bool:
    """Tell whether the days since an episode stayed well above what was expected at its start."""
    if t - episode.last > RELATED_DAYS:
        return False
    before = float(expected[episode.start])
    rise = float(x[episode.start]) - before
    between = x[episode.last + 1 : t]
    if rise <= 0 or between.size == 0:
        return t - episode.last <= MERGE_GAP
    return float(np.median(between)) >= before + 0.5 * rise


def _cents(nanos: float) -> int:
    """Round an expected amount (an estimate) to whole cents, in nano-units."""
    cent = NANOS_PER_UNIT // 100
    return round(nanos / cent) * cent


def _hold(weak: np.ndarray, t: int) -> int:
    """Return the last day of the run of elevated days that starts at ``t``."""
    end = t
    while end + 1 < len(weak) and weak[end + 1]:
        end += 1
    return end


def root_cause(
    engine: CostQueryEngine, anomaly: Anomaly, *, measure: str = "effective", limit: int = 3
) -> tuple[RootCause, ...]:
    """Explain an anomaly's delta by service, resource and usage type, largest first.

    Each part is the first day's cost against its daily mean over the four weeks
    before, so the parts of one dimension add up to (about) the anomaly's impact.
    """
    filters = () if anomaly.dimension == TOTAL else ((anomaly.dimension, anomaly.value),)
    day = anomaly.date
    before = PeriodSpec("range", start=day - timedelta(days=7 * WEEKS), end=day - timedelta(days=1))
    causes: list[RootCause] = []
    for dim, label in (("service", "service"), ("resource", "resource"), ("sku", "usage_type")):
        base = CostQuery(filters=filters, group_by=dim, measure=measure, top=50)
        today = engine.answer(replace(base, period=PeriodSpec("range", start=day, end=day)))
        history = engine.answer(replace(base, period=before))
        days = 7 * WEEKS
        mean = {g.key: g.cost // days for g in history.groups if not g.is_other}
        now = {g.key: g.cost for g in today.groups if not g.is_other}
        deltas = [
            (k, now.get(k, 0) - mean.get(k, 0))
            for k in set(now) | set(mean)
            if not (k.startswith("(no ") or k == "(none)")
        ]
        deltas.sort(key=lambda kv: (-kv[1], kv[0]))
        floor = max(anomaly.impact // 20, 0)
        causes += [RootCause(label, k, d) for k, d in deltas[:limit] if d > floor]
    return tuple(causes)


def with_root_causes(
    engine: CostQueryEngine, anomalies: Iterable[Anomaly], *, measure: str = "effective"
) -> list[Anomaly]:
    """Fill in the root cause of each anomaly."""
    return [replace(a, root_cause=root_cause(engine, a, measure=measure)) for a in anomalies]


DIMENSION_ORDER = ("tag", "service", "account", TOTAL)


def _specificity(a: Anomaly) -> int:
    """Rank dimensions for the lead of a group: a tag first, then service, account, total."""
    kind = a.dimension if a.dimension in ("service", "account", TOTAL) else "tag"
    return DIMENSION_ORDER.index(kind)


def group_related(anomalies: Iterable[Anomaly]) -> list[list[Anomaly]]:
    """Group anomalies that are one event seen in several dimensions (one alert each group).

    Anomalies of the same first day join a group when no member has their dimension
    and their impact is within a factor of two of the group's lead; the lead (first)
    is the most specific: a tag value, then a service, an account, the total.
    """
    groups: list[list[Anomaly]] = []
    ordered = sorted(anomalies, key=lambda a: (a.date, _specificity(a), -a.impact, a.id))
    for a in ordered:
        for group in groups:
            lead = group[0]
            if (
                lead.date == a.date
                and all(m.dimension != a.dimension for m in group)
                and min(lead.impact, a.impact) * 2 >= max(lead.impact, a.impact)
            ):
                group.append(a)
                break
        else:
            groups.append([a])
    return groups


def anomalies_json(anomalies: Iterable[Anomaly]) -> dict[str, Any]:
    """Return ``{"anomalies": [...]}``, the documented ``--json`` shape."""
    return {"anomalies": [a.to_json() for a in anomalies]}
