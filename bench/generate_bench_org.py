"""Write the bench org (20 000 resources × 365 days ≈ 7.3 M daily lines) as CUR 2.0 Parquet.

Run as ``python bench/generate_bench_org.py OUTDIR [--resources 20000 --days 365]``.
The org is generated month by month and streamed into the CUR 2.0 writer, so
memory stays at about one month of lines however large the org is; prints the
rows, files, bytes, seconds and peak RSS.
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.costs.exports import write_cur2
from bot.costs.sample import iter_bench_org

DEFAULT_END = date(2026, 10, 31)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Read the command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("outdir", type=Path, help="directory for the Parquet files")
    parser.add_argument("--resources", type=int, default=20_000)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--end", type=date.fromisoformat, default=DEFAULT_END, help="last day")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--rows-per-file", type=int, default=None)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> dict[str, object]:
    """Generate and write the bench org; print and return what was written."""
    args = parse_args(argv)
    t = time.perf_counter()
    rows = 0

    def counted() -> object:
        nonlocal rows
        for table in iter_bench_org(args.days, args.resources, end=args.end, seed=args.seed):
            rows += table.num_rows
            yield table

    files = write_cur2(counted(), args.outdir, rows_per_file=args.rows_per_file)  # type: ignore[arg-type]
    seconds = time.perf_counter() - t
    size = sum(f.stat().st_size for f in files)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    result: dict[str, object] = {
        "rows": rows,
        "files": len(files),
        "bytes": size,
        "seconds": round(seconds, 2),
        "peak_rss_mb": round(peak),
    }
    print(
        f"rows {rows:,}  files {len(files)}  bytes {size:,} ({size / 2**20:.0f} MiB)  "
        f"seconds {seconds:.1f}  peak RSS {peak:.0f} MiB  -> {args.outdir}"
    )
    return result


if __name__ == "__main__":
    main()
