"""The bench org: 1 year x 20 000 resources of daily CUR 2.0 lines (about 7.3 M), cached."""

from __future__ import annotations

import json
import time
from datetime import date
from pathlib import Path

from bench.common import DATA

RESOURCES = 20_000
DAYS = 365
END = date(2026, 10, 31)


def ensure_bench_org(resources: int = RESOURCES, days: int = DAYS) -> Path:
    """Generate the bench org's Parquet files once; return their directory."""
    out = DATA / f"cur2-{resources}x{days}"
    stamp = out / "generated.json"
    if stamp.exists():
        return out
    from bot.costs.exports import write_cur2
    from bot.costs.sample import iter_bench_org

    out.mkdir(parents=True, exist_ok=True)
    t = time.perf_counter()
    files = write_cur2(iter_bench_org(days=days, resources=resources, end=END), out)
    meta = {"files": len(files), "seconds": time.perf_counter() - t, "end": END.isoformat()}
    stamp.write_text(json.dumps(meta))
    return out
