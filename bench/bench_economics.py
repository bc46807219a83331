"""Time chargeback, hints and unit costs on the bench org (20 000 resources, 62 days).

Run: `.venv/bin/python -m bench.bench_economics` (prints the figures; not part of run_all,
which writes docs/benchmarks.md). Generates its own smaller slice of the bench org in a temp
directory: two months of daily CUR 2.0 lines (about 1.2 M), ingested into a temp store.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from datetime import date
from pathlib import Path

from bench.common import machine

END = date(2026, 10, 31)
DAYS = 61  # September and October
RESOURCES = 20_000


def main() -> None:
    """Generate, ingest, then time each economics question five times."""
    from bot.costs.exports import write_cur2
    from bot.costs.ingest import ingest
    from bot.costs.sample import iter_bench_org
    from bot.costs.store import CostStore
    from bot.insights.allocation_rules import DEFAULT_RULES
    from bot.insights.charge_totals import charge_totals
    from bot.insights.chargeback import chargeback_from_store
    from bot.insights.hints import bill_hints
    from bot.insights.unit_costs import run_costs, team_gpu_spend

    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        write_cur2(iter_bench_org(days=DAYS, resources=RESOURCES, end=END), out / "cur2")
        store = CostStore(out / "costbot.db")
        ingest(
            store,
            [str(out / "cur2")],
            allocation_tags=("team", "project", "environment"),
            aliases={},
        )

        def timed(fn: object) -> float:
            runs = []
            for _ in range(5):
                t = time.perf_counter()
                fn()  # type: ignore[operator]
                runs.append(time.perf_counter() - t)
            return statistics.median(runs) * 1000

        month = charge_totals(store, date(2026, 10, 1), END)
        window = charge_totals(store, date(2026, 10, 2), END)
        print(machine())
        print(f"{len(month):,} charges in October")
        cases = {
            "read a month of charges": lambda: charge_totals(store, date(2026, 10, 1), END),
            "chargeback (read + allocate)": lambda: chargeback_from_store(
                store, "2026-10", DEFAULT_RULES
            ),
            "hints over 30 days (after the read)": lambda: bill_hints(window),
            "unit costs (after the read)": lambda: (
                run_costs(window, ("run",)),
                team_gpu_spend(window),
            ),
        }
        for name, fn in cases.items():
            print(f"{name}: {timed(fn):.0f} ms (median of 5)")
        store.close()


if __name__ == "__main__":
    main()
