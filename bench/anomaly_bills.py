"""A labelled benchmark for anomaly detection: realistic daily bills with known anomalies.

Each bill is a set of daily cost series (teams, services, accounts of an AI
org) over a year, with what real bills do and what must NOT alert (the traps):

* weekday seasonality (weekends at 40–90 % of weekdays) and steady growth
  (up to +0.3 % a day, about +9 % a month);
* month-start recurring charges (support, RI / Savings Plan fees on day 1);
* credits and refunds (a negative day now and then);
* drops (a stopped endpoint: the level falls and stays down);
* multiplicative noise of 3–12 %;

and the labelled anomalies that MUST alert (each with the window in which a
detection counts):

* spikes: one to three days at +60 % to +400 % (window: the first 2 days);
* forgotten clusters: a new, permanent level (+40 % to +300 %; window: 3 days);
* slow creeps: +3 % to +6 % a day compounding for 20–40 days, then holding
  (window: the whole creep).

Every anomaly's first-day impact is at least $250, 30 % of the series' level and six
times its noise (smaller rises are indistinguishable from noise for any detector);
"meaningful" is defined the same way for both detectors.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np

NANOS = 1_000_000_000
START = date(2025, 11, 1)
DAYS = 365
WARMUP = 49  # the first weeks are history for both detectors; no labels there


@dataclass(frozen=True)
class Label:
    """One injected anomaly: series row, kind, and the columns where detecting it counts."""

    row: int
    kind: str  # spike | cluster | creep
    start: int
    window_end: int


@dataclass(frozen=True)
class Bill:
    """A labelled bill: (series × day) amounts in nano-units, the labels and the traps used."""

    seed: int
    first_day: date
    values: np.ndarray
    labels: tuple[Label, ...]
    traps: dict[str, int]


def make_bill(seed: int, series: int = 120, days: int = DAYS) -> Bill:
    """Generate one labelled bill."""
    rng = np.random.default_rng(seed)
    t = np.arange(days)
    dates = [START + timedelta(days=int(i)) for i in t]
    weekday = np.array([d.weekday() for d in dates])
    dom = np.array([d.day for d in dates])
    values = np.zeros((series, days))
    labels: list[Label] = []
    traps = {"growth": 0, "month_start_fee": 0, "credit": 0, "drop": 0, "weekly": 0}
    for r in range(series):
        level = float(np.exp(rng.uniform(np.log(300), np.log(20_000))))
        weekend = rng.uniform(0.4, 0.9) if rng.random() < 0.6 else 1.0
        traps["weekly"] += weekend < 1.0
        growth = rng.uniform(0.0, 0.003) if rng.random() < 0.5 else 0.0
        traps["growth"] += growth > 0
        noise = rng.uniform(0.03, 0.12)
        base = level * (1 + growth) ** t * np.where(weekday >= 5, weekend, 1.0)
        x = base * (1 + noise * rng.standard_normal(days))
        if rng.random() < 0.3:  # support / RI / Savings Plan fee on the 1st
            x[dom == 1] += level * rng.uniform(2, 10)
            traps["month_start_fee"] += 1
        if rng.random() < 0.3:  # a credit or refund
            for c in rng.choice(
                np.arange(WARMUP, days), size=int(rng.integers(1, 3)), replace=False
            ):
                x[c] -= level * rng.uniform(0.5, 3)
            traps["credit"] += 1
        if rng.random() < 0.15:  # a stopped endpoint
            d0 = int(rng.integers(WARMUP, days - 10))
            x[d0:] *= rng.uniform(0.05, 0.5)
            traps["drop"] += 1
        busy = np.zeros(days, dtype=bool)
        for _ in range(int(rng.integers(0, 3))):
            kind = str(rng.choice(["spike", "spike", "cluster", "creep"]))
            d0 = int(rng.integers(WARMUP, days - 5))
            span = {"spike": 5, "cluster": 60, "creep": 60}[kind]
            if busy[max(d0 - 40, 0) : d0 + span].any():
                continue
            floor = max(0.5, 8 * noise, 250.0 / base[d0])
            if kind == "spike":
                length = int(rng.integers(1, 4))
                bump = base[d0] * max(rng.uniform(0.6, 4.0), floor)
                x[d0 : d0 + length] += bump
                labels.append(Label(r, kind, d0, min(d0 + 1, days - 1)))
            elif kind == "cluster":
                bump = base[d0] * max(rng.uniform(0.4, 3.0), floor)
                x[d0:] += bump * (1 + noise * rng.standard_normal(days - d0))
                labels.append(Label(r, kind, d0, min(d0 + 2, days - 1)))
            else:
                rate = rng.uniform(0.03, 0.06)
                length = int(rng.integers(20, 41))
                end = min(d0 + length, days)
                factor = np.ones(days - d0)
                steps = np.arange(end - d0)
                factor[: end - d0] = (1 + rate) ** steps
                factor[end - d0 :] = factor[end - d0 - 1]
                if base[d0] * (factor[-1] - 1) < 250:
                    continue
                x[d0:] *= factor
                labels.append(Label(r, kind, d0, end - 1))
            busy[max(d0 - 40, 0) : d0 + span] = True
        values[r] = x
    nanos = np.round(values * NANOS).astype(np.int64)
    return Bill(seed, START, nanos, tuple(labels), traps)


def episodes_from_flags(flags: np.ndarray, gap: int = 3) -> list[tuple[int, int]]:
    """Turn flagged days into (row, first day) episodes: flags < ``gap`` days apart merge."""
    out = []
    for row in np.flatnonzero(flags.any(axis=1)):
        last = -(10**9)
        for c in np.flatnonzero(flags[row]):
            if c - last > gap:
                out.append((int(row), int(c)))
            last = int(c)
    return out


def rule_flags(values: np.ndarray) -> np.ndarray:
    """The seeds' rule: daily cost above the 7-day rolling mean + 2 standard deviations."""
    x = values.astype(np.float64)
    n, days = x.shape
    flags = np.zeros((n, days), dtype=bool)
    for c in range(7, days):
        window = x[:, c - 7 : c]
        flags[:, c] = x[:, c] > window.mean(axis=1) + 2 * window.std(axis=1)
    return flags


def score(bill: Bill, detected: list[tuple[int, int]]) -> dict[str, float]:
    """Precision, recall and F1 of detected (row, first day) episodes against the labels."""
    detected = [(r, c) for r, c in detected if c >= WARMUP]
    matched_labels: set[int] = set()
    true_positive = 0
    for r, c in detected:
        hit = next(
            (
                i
                for i, lab in enumerate(bill.labels)
                if lab.row == r and lab.start <= c <= lab.window_end and i not in matched_labels
            ),
            None,
        )
        if hit is not None:
            matched_labels.add(hit)
            true_positive += 1
    precision = true_positive / len(detected) if detected else 1.0
    recall = len(matched_labels) / len(bill.labels) if bill.labels else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {
        "precision": precision,
        "recall": recall,
        "f1": f1,
        "detected": len(detected),
        "labels": len(bill.labels),
    }
