"""Benchmark: what an Athena sync of the bench org would scan, and file ingestion beside it.

Run as ``python bench/bench_athena.py``. Two months (one sync's window) of the
bench org (20 000 resources, daily lines) are written as CUR 2.0 Parquet. Athena
bills the bytes it reads; for Parquet that is the compressed column chunks of
the columns a query names, in the partitions it does not prune. This sums
exactly those from the files' metadata, runs the generated query (transpiled
to DuckDB) to count and time the aggregates it returns, writes them through the
sync path, and ingests the same files from disk for comparison. The result is
written between markers in docs/benchmarks.md.
"""

from __future__ import annotations

import json
import re
import resource
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import duckdb
import pyarrow.parquet as pq
import sqlglot

from bench.common import DOC, machine
from bench.dataset import END, ensure_bench_org
from bot.costs.ingest import ingest
from bot.costs.resolution import athena_format
from bot.costs.store import CostStore
from bot.settings import DEFAULT_ALIASES
from bot.state.sync import athena_spend_nanos
from bot.sync.athena_sql import build_query, rows_to_lines
from bot.sync.write import write_lines

TAGS = ("team", "project", "environment")
DAYS = 61  # 2026-09-01..2026-10-31: this month and last, the default window
BEGIN, FINISH = "<!-- sync:athena -->", "<!-- /sync:athena -->"


def main() -> dict[str, object]:
    """Measure and return the figures."""
    folder = ensure_bench_org(days=DAYS)
    files = sorted(str(p) for p in folder.glob("*.parquet"))
    periods = ["2026-09", "2026-10"]
    query = build_query(
        "cur2",
        database="costs",
        table="data",
        periods=periods,
        detail_from=END - timedelta(days=14),
        allocation_tags=TAGS,
        aliases=DEFAULT_ALIASES,
    )
    words = set(re.findall(r"[a-z_]+", query.sql))
    scanned = rows = 0
    file_bytes = 0
    for f in files:
        meta = pq.ParquetFile(f).metadata
        rows += meta.num_rows
        file_bytes += Path(f).stat().st_size
        for g in range(meta.num_row_groups):
            group = meta.row_group(g)
            for c in range(group.num_columns):
                column = group.column(c)
                if column.path_in_schema.split(".")[0] in words:
                    scanned += column.total_compressed_size
    con = duckdb.connect()
    con.execute("CREATE SCHEMA costs")
    con.execute(
        "CREATE VIEW costs.data AS SELECT *, strftime(bill_billing_period_start_date, '%Y-%m') "
        f"AS billing_period FROM read_parquet({files!r})"
    )
    (sql,) = sqlglot.transpile(query.sql, read="athena", write="duckdb")
    t = time.perf_counter()
    result = con.execute(sql, list(query.parameters)).fetchall()
    duck_seconds = time.perf_counter() - t
    text_rows = [[None if v is None else str(v) for v in r] for r in result]
    with tempfile.TemporaryDirectory() as tmp:
        synced = CostStore(Path(tmp) / "athena.db")
        t = time.perf_counter()
        write_lines(
            synced,
            [rows_to_lines(query, text_rows)],
            export="athena:costs.data",
            fmt=athena_format("CUR 2.0", END - timedelta(days=14)),
            allocation_tags=TAGS,
        )
        write_seconds = time.perf_counter() - t
        from_files = CostStore(Path(tmp) / "files.db")
        t = time.perf_counter()
        ingest(from_files, files, allocation_tags=TAGS, aliases=DEFAULT_ALIASES)
        ingest_seconds = time.perf_counter() - t
        same = [d["effective"] for d in synced.deliveries()] == [
            d["effective"] for d in from_files.deliveries()
        ]
    return {
        "lines": rows,
        "parquet_bytes": file_bytes,
        "athena_bytes_scanned": scanned,
        "athena_usd_per_sync": athena_spend_nanos(scanned) / 1e9,
        "aggregate_rows_returned": len(result),
        "duckdb_seconds": round(duck_seconds, 2),
        "store_write_seconds": round(write_seconds, 2),
        "file_ingest_seconds": round(ingest_seconds, 2),
        "same_totals": same,
        "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024,
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }


def write_doc(r: dict[str, object]) -> None:
    """Put the figures in docs/benchmarks.md between the sync markers."""
    lines = [
        BEGIN,
        "## Athena sync (issue 15)",
        "",
        f"Machine: {machine()}; other work ran on the machine at the same time.",
        f"Data: two months (one sync's window) of the bench org, {r['lines']:,} daily CUR 2.0 "
        f"lines in {int(r['parquet_bytes']) / 1e6:.1f} MB of Parquet.",
        "",
        "| figure | value |",
        "|---|---|",
        f"| bytes Athena scans per sync (compressed chunks of the columns the query names) "
        f"| {int(r['athena_bytes_scanned']) / 1e6:.1f} MB |",
        f"| Athena cost per sync at $5/TB | ${r['athena_usd_per_sync']:.5f} |",
        f"| aggregate rows returned (of {r['lines']:,} lines) | {r['aggregate_rows_returned']:,} |",
        f"| the same query in DuckDB on this machine | {r['duckdb_seconds']} s |",
        f"| writing the aggregates to the store | {r['store_write_seconds']} s |",
        f"| ingesting the same files instead | {r['file_ingest_seconds']} s |",
        f"| store totals equal to file ingestion | {r['same_totals']} |",
        f"| measured at | {r['measured_at']} |",
        "",
        "Run with `python bench/bench_athena.py` (not part of `make bench`). The bytes are exact "
        "for the files (Parquet metadata, not timed); seconds vary with what else runs on the "
        "machine. Writing the aggregates includes turning the rows of text Athena's API returns "
        "into columns in Python; most rows are the resource detail "
        "(`COSTBOT_ATHENA_RESOURCE_DAYS`, 14).",
        FINISH,
    ]
    text = DOC.read_text()
    if BEGIN in text:
        head, _, rest = text.partition(BEGIN)
        _, _, tail = rest.partition(FINISH)
        text = head + "\n".join(lines) + tail
    else:
        text = text.rstrip() + "\n\n" + "\n".join(lines) + "\n"
    DOC.write_text(text)


if __name__ == "__main__":
    figures = main()
    print(json.dumps(figures, indent=2))
    write_doc(figures)
