"""Anomaly detection quality and speed, and the month-end forecast's error (issue 12).

* Quality: precision, recall and F1 on labelled bills (bench/anomaly_bills.py), for
  costbot's detector and for the seeds' rule ("daily cost above the 7-day rolling
  mean + 2 standard deviations"), on the same bills, counted the same way.
* Speed: one scan of 10 000 series x 365 days (the detector on the matrix).
* Forecast: MAPE of the month-end forecast made on days 5, 10, 15, 20 and 25 of each
  month, against the linear run-rate (MTD / days elapsed x days in month), on the
  bench org (its total and each service) and on the labelled bills' series.

Run: ``python bench/bench_insights.py`` (about a minute; writes bench/results.json).
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from datetime import date, timedelta
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.anomaly_bills import episodes_from_flags, make_bill, rule_flags, score
from bench.common import record
from bot.insights.anomalies import detect
from bot.insights.forecast import forecast_month, month_end, run_rate
from bot.insights.series import SeriesSet

SEEDS = range(1, 11)
CHECK_DAYS = (5, 10, 15, 20, 25)


def quality() -> dict[str, object]:
    """Score both detectors on every labelled bill."""
    rows = []
    for seed in SEEDS:
        bill = make_bill(seed)
        keys = tuple(("series", str(i)) for i in range(bill.values.shape[0]))
        found = detect(SeriesSet(keys, bill.first_day, bill.values))
        ours = score(bill, [(int(a.value), (a.date - bill.first_day).days) for a in found])
        rule = score(bill, episodes_from_flags(rule_flags(bill.values)))
        # The rule with costbot's minimum impact ($100 and 20 %), to be fair to it.
        x = bill.values.astype(np.float64)
        mean7 = np.full_like(x, np.nan)
        for c in range(7, x.shape[1]):
            mean7[:, c] = x[:, c - 7 : c].mean(axis=1)
        with np.errstate(invalid="ignore"):
            floor = (x - mean7 >= 100e9) & (x - mean7 >= 0.2 * np.abs(mean7))
        rule_floor = score(bill, episodes_from_flags(rule_flags(bill.values) & floor))
        rows.append(
            {
                "seed": seed,
                "series": int(bill.values.shape[0]),
                "labels": len(bill.labels),
                "kinds": {
                    k: sum(lab.kind == k for lab in bill.labels)
                    for k in ("spike", "cluster", "creep")
                },
                "traps": bill.traps,
                "costbot": ours,
                "rule": rule,
                "rule_with_floor": rule_floor,
            }
        )
    return {"bills": rows}


def scan_speed(series: int = 10_000, days: int = 365, runs: int = 3) -> dict[str, object]:
    """Time one scan of ``series`` x ``days`` (the labelled generator's series)."""
    bill = make_bill(99, series=series, days=days)
    keys = tuple(("series", str(i)) for i in range(series))
    matrix = SeriesSet(keys, bill.first_day, bill.values)
    seconds, cpu = [], []
    for _ in range(runs):
        t, c = time.perf_counter(), time.process_time()
        found = detect(matrix)
        seconds.append(time.perf_counter() - t)
        cpu.append(time.process_time() - c)
    return {
        "series": series,
        "days": days,
        "seconds": [round(s, 3) for s in seconds],
        "median_seconds": round(statistics.median(seconds), 3),
        "cpu_seconds": [round(s, 3) for s in cpu],
        "median_cpu_seconds": round(statistics.median(cpu), 3),
        "load_average": [round(v, 1) for v in os.getloadavg()],
        "anomalies": len(found),
    }


def _backtest(daily: list[tuple[date, int]]) -> tuple[list[float], list[float]]:
    """Return absolute percentage errors (forecast, run-rate) over the check days."""
    by_day = dict(daily)
    first, last = daily[0][0], daily[-1][0]
    ours, naive = [], []
    month = first.replace(day=1)
    while month <= last:
        end = month_end(month)
        if end <= last and month - timedelta(days=56) >= first:
            truth = sum(by_day.get(month + timedelta(days=i), 0) for i in range(end.day))
            if truth > 0:
                for day in CHECK_DAYS:
                    through = month.replace(day=day)
                    history = [(d, v) for d, v in daily if d <= through]
                    f = forecast_month(history, through)
                    ours.append(abs(f.point - truth) / truth)
                    naive.append(abs(run_rate(f.month_to_date, through) - truth) / truth)
        month = end + timedelta(days=1)
    return ours, naive


def _bench_org_series() -> dict[str, list[tuple[date, int]]]:
    """Return the bench org's daily effective cost: its total and each service."""
    import pyarrow.compute as pc

    from bench.dataset import END
    from bot.costs.sample import iter_bench_org

    totals: dict[str, dict[date, int]] = {"total": {}}
    for table in iter_bench_org(days=365, resources=20_000, end=END):
        day = pc.cast(table.column("charge_start"), "date32")
        grouped = (
            table.append_column("day", day)
            .group_by(["day", "service"])
            .aggregate([("effective", "sum")])
            .to_pylist()
        )
        for row in grouped:
            d, service, amount = row["day"], row["service"], int(row["effective_sum"])
            totals["total"][d] = totals["total"].get(d, 0) + amount
            totals.setdefault(service, {})
            totals[service][d] = totals[service].get(d, 0) + amount
    return {k: sorted(v.items()) for k, v in totals.items()}


def forecast_error() -> dict[str, object]:
    """MAPE of the forecast and of the run-rate on the bench org and the labelled bills."""
    org = _bench_org_series()
    org_ours: list[float] = []
    org_naive: list[float] = []
    per_series = {}
    for name, daily in org.items():
        ours, naive = _backtest(daily)
        if not ours:
            continue
        per_series[name] = {
            "forecast_mape": round(100 * statistics.mean(ours), 2),
            "run_rate_mape": round(100 * statistics.mean(naive), 2),
            "checks": len(ours),
        }
        org_ours += ours
        org_naive += naive
    bills_ours: list[float] = []
    bills_naive: list[float] = []
    for seed in (1, 2, 3):
        bill = make_bill(seed)
        for row in bill.values:
            daily = [
                (bill.first_day + timedelta(days=i), int(v)) for i, v in enumerate(row.tolist())
            ]
            ours, naive = _backtest(daily)
            bills_ours += ours
            bills_naive += naive
    return {
        "bench_org": {
            "forecast_mape": round(100 * statistics.mean(org_ours), 2),
            "run_rate_mape": round(100 * statistics.mean(org_naive), 2),
            "checks": len(org_ours),
            "series": per_series,
        },
        "labelled_bills": {
            "forecast_mape": round(100 * statistics.mean(bills_ours), 2),
            "run_rate_mape": round(100 * statistics.mean(bills_naive), 2),
            "forecast_median_ape": round(100 * statistics.median(bills_ours), 2),
            "run_rate_median_ape": round(100 * statistics.median(bills_naive), 2),
            "checks": len(bills_ours),
        },
    }


def main() -> dict[str, object]:
    """Run the three measurements and record them."""
    anomalies = {**quality(), "scan": scan_speed()}
    record("anomalies", anomalies)
    forecast = forecast_error()
    record("forecast", forecast)
    return {"anomalies": anomalies, "forecast": forecast}


if __name__ == "__main__":
    import json

    if sys.argv[1:] == ["--forecast"]:
        record("forecast", forecast_error())
    else:
        main()
    print(
        json.dumps(json.loads(Path(__file__).with_name("results.json").read_text()), indent=1)[
            -3000:
        ]
    )
