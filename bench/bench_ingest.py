"""Benchmark: ingest the bench org's CUR 2.0 Parquet; compare with DuckDB's GROUP BY.

Run as ``python bench/bench_ingest.py``. The ingest runs in a fresh child process
so its peak RSS is its own; DuckDB then runs the equivalent daily roll-up
(GROUP BY every dimension and the day, amortized formula included) over the
same files into a table, in the same run.
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import DATA, record
from bench.dataset import RESOURCES, ensure_bench_org

CHILD = """
import json, os, resource, sys, threading, time
from bot.costs.ingest import ingest
from bot.costs.store import CostStore

def tree():
    # this process and every process below it (the ingest reads in threads today, so this
    # is one process; a child process it ever starts would count too)
    parents = {}
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                with open(f"/proc/{name}/stat") as fh:
                    parents[int(name)] = int(fh.read().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                pass
    mine, grew = {os.getpid()}, True
    while grew:
        more = {p for p, pp in parents.items() if pp in mine} - mine
        grew = bool(more)
        mine |= more
    return mine

PAGE_KB = os.sysconf("SC_PAGE_SIZE") // 1024

def rss_mb(pids):
    # /proc/PID/statm is cheap to read: sampled often
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/statm") as fh:
                total += int(fh.read().split()[1]) * PAGE_KB
        except (OSError, IndexError, ValueError):
            pass
    return total / 1024

def pss_mb(pids):
    # smaps_rollup walks the page tables (1.5 % of the ingest's CPU when read every half
    # second, perf): sampled every two seconds
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/smaps_rollup") as fh:
                for line in fh:
                    if line.startswith("Pss:"):
                        total += int(line.split()[1])
        except OSError:
            pass
    return total / 1024

peak = {"rss": 0.0, "pss": 0.0, "processes": 1}
stop = threading.Event()

def sample():
    pids, n = tree(), 0
    while not stop.is_set():
        if n % 40 == 0:
            pids = tree()
            peak["pss"] = max(peak["pss"], pss_mb(pids))
        peak["rss"] = max(peak["rss"], rss_mb(pids))
        peak["processes"] = max(peak["processes"], len(pids))
        n += 1
        stop.wait(0.05)

def own_peak_mb():
    # VmHWM is this process image's own peak; ru_maxrss also counts the parent's memory
    # at fork time (Linux keeps it across exec), e.g. a parent that just generated the org.
    try:
        for line in open("/proc/self/status"):
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

if __name__ == "__main__":
    store = CostStore(sys.argv[1])
    workers = None if sys.argv[3] == "auto" else int(sys.argv[3])
    watcher = threading.Thread(target=sample, daemon=True)
    watcher.start()
    t, cpu = time.perf_counter(), time.process_time()
    r = ingest(store, [sys.argv[2]], allocation_tags=("team", "project", "environment"),
               aliases={}, workers=workers)
    s, cpu = time.perf_counter() - t, time.process_time() - cpu
    stop.set()
    watcher.join()
    print(json.dumps({"rows": r.rows_read, "seconds": s, "workers": r.workers,
                      "writer_cpu_seconds": round(cpu, 2),
                      "unit_cpu_seconds": round(r.unit_cpu_seconds, 2),
                      "peak_rss_mb": round(peak["rss"]), "peak_pss_mb": round(peak["pss"]),
                      "processes": peak["processes"], "writer_peak_rss_mb": round(own_peak_mb()),
                      "charges": store.conn.execute("SELECT COUNT(*) FROM charges").fetchone()[0],
                      "cube_rows": store.conn.execute(
                          "SELECT COUNT(*) FROM daily_group_costs").fetchone()[0]}))
"""

DUCKDB_ROLLUP = """
CREATE OR REPLACE TABLE rollup AS
SELECT bill_billing_period_start_date, bill_payer_account_id, line_item_usage_account_id,
       line_item_product_code, product_region_code, line_item_resource_id,
       product_instance_type, line_item_usage_type, line_item_line_item_type, resource_tags,
       CAST(line_item_usage_start_date AS DATE) AS day,
       SUM(line_item_unblended_cost) AS billed,
       SUM(CASE line_item_line_item_type
             WHEN 'SavingsPlanCoveredUsage' THEN savings_plan_savings_plan_effective_cost
             WHEN 'SavingsPlanRecurringFee'
               THEN savings_plan_total_commitment_to_date - savings_plan_used_commitment
             WHEN 'SavingsPlanNegation' THEN 0 WHEN 'SavingsPlanUpfrontFee' THEN 0
             ELSE line_item_unblended_cost END) AS effective,
       SUM(pricing_public_on_demand_cost) AS list
FROM read_parquet('{glob}')
GROUP BY ALL
"""


def main(
    scale: int = 1,
    *,
    duckdb: bool = True,
    workers: str = "auto",
    section: str | None = None,
    repeats: int = 1,
) -> dict[str, object]:
    """Run the ingest benchmark on the bench org x ``scale`` and record it.

    ``scale`` multiplies the resources (4: 80 000 resources, about 29 M lines),
    generated month by month, never held whole. Results go to section
    ``ingest`` (scale 1) or ``ingest_x<scale>``. The ingest runs as ``costbot ingest``
    does (``workers="auto"``: reader threads within the memory budget); its peak memory
    is the largest sum, sampled every 50 ms, over the ingesting process and any process
    under it (RSS; PSS, which shares out library pages, every two seconds: reading it
    walks the page tables, which cost the ingest 1.5 % of its CPU at every half second).
    """
    files = ensure_bench_org(resources=RESOURCES * scale)
    name = section or ("bench" if scale == 1 else f"bench-x{scale}")
    store = DATA / ("bench.db" if name == "ingest" else f"{name}.db")
    child = DATA / "ingest_child.py"  # a file: the ingest runs in a fresh process of its own
    child.write_text(CHILD)
    # With ``repeats`` > 1 the ingest and DuckDB take turns (this machine's speed drifts by
    # up to a quarter from one minute to the next: alternating puts both under the same
    # drift), and the median of each is reported, every run listed beside it.
    runs: list[dict[str, object]] = []
    duck_runs: list[float] = []
    duck_rows = None
    for _ in range(repeats):
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(str(store) + suffix).unlink(missing_ok=True)
        out = subprocess.run(
            [sys.executable, str(child), str(store), str(files), workers],
            capture_output=True,
            text=True,
            check=True,
            cwd=Path(__file__).resolve().parents[1],
        )
        runs.append(json.loads(out.stdout.strip().splitlines()[-1]))
        if duckdb:
            import duckdb as duck

            con = duck.connect()
            t = time.perf_counter()
            con.execute(DUCKDB_ROLLUP.format(glob=f"{files}/*.parquet"))
            duck_runs.append(time.perf_counter() - t)
            duck_rows = con.execute("SELECT COUNT(*) FROM rollup").fetchone()[0]  # type: ignore[index]
            con.close()
    costbot = sorted(runs, key=lambda r: float(r["seconds"]))[len(runs) // 2]  # type: ignore[arg-type]
    result: dict[str, object] = {
        **costbot,
        "scale": scale,
        "rows_per_second": round(costbot["rows"] / costbot["seconds"]),  # type: ignore[operator]
        "parquet_mb": round(sum(p.stat().st_size for p in files.glob("*.parquet")) / 2**20, 1),
        "store_mb": round(store.stat().st_size / 2**20, 1),
        "runs": len(runs),
        "runs_seconds": [round(float(r["seconds"]), 2) for r in runs],  # type: ignore[arg-type]
        "runs_peak_rss_mb": [r["peak_rss_mb"] for r in runs],
    }
    if duckdb:
        duck_s = sorted(duck_runs)[len(duck_runs) // 2]
        result["duckdb_seconds"] = round(duck_s, 3)
        result["duckdb_runs_seconds"] = [round(d, 2) for d in duck_runs]
        result["duckdb_rollup_rows"] = duck_rows
        result["ratio_to_duckdb"] = round(float(costbot["seconds"]) / duck_s, 2)  # type: ignore[arg-type]
    result["bench_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    record(section or ("ingest" if scale == 1 else f"ingest_x{scale}"), result)
    print(json.dumps(result, indent=2))
    return result


if __name__ == "__main__":
    args = sys.argv[1:]
    main(
        int(args[args.index("--scale") + 1]) if "--scale" in args else 1,
        duckdb="--no-duckdb" not in args,
        workers=args[args.index("--workers") + 1] if "--workers" in args else "auto",
        repeats=int(args[args.index("--repeats") + 1]) if "--repeats" in args else 1,
    )
