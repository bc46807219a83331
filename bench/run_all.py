"""Run every benchmark and write docs/benchmarks.md from bench/results.json."""

from __future__ import annotations

import json
import re
import sys
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import DOC, RESULTS, machine


def render(data: dict[str, object]) -> str:
    """Render results as the benchmarks page."""
    out = [
        "# Benchmarks",
        "",
        f"Machine: {data.get('machine', machine())}.",
        f"Written: {datetime.now(UTC).date().isoformat()} by `make bench` "
        "(`bench/run_all.py`; raw figures in `bench/results.json`).",
        "",
        "Data: the bench org, `generate_bench_org()`: 1 year x 20 000 resources of daily lines "
        "written as CUR 2.0 Parquet by `write_cur2()`.",
        "",
    ]
    out += _issue18(data)
    ing = data.get("ingest")
    if isinstance(ing, dict):
        target = "met" if ing["rows_per_second"] >= 1_000_000 else "NOT met"
        gigabytes = ing["peak_rss_mb"] * 2**20 / 1e9
        rss = "met" if gigabytes <= 2.0 else "NOT met"
        out += [
            "## Ingest (issue 2: >= 1 M rows/s, peak RSS <= 2 GB)",
            "",
            "| figure | value |",
            "|---|---|",
            f"| rows | {ing['rows']:,} |",
            f"| seconds | {ing['seconds']:.2f} |",
            f"| rows/s | {ing['rows_per_second']:,} ({target}) |",
            "| peak RSS of the ingest, all its processes | "
            f"{ing['peak_rss_mb']:.0f} MiB = {gigabytes:.2f} GB "
            f"({rss}) |",
            "| DuckDB, same daily GROUP BY over the same Parquet | "
            f"{ing['duckdb_seconds']:.2f} s |",
            f"| ratio costbot / DuckDB | {ing['ratio_to_duckdb']} |",
            f"| Parquet in / store out | {ing['parquet_mb']} MB / {ing['store_mb']} MB |",
            f"| charges rows / cube rows | {ing['charges']:,} / {ing['cube_rows']:,} |",
            f"| measured at | {ing['measured_at']} |",
            "",
        ]
    q = data.get("queries")
    if isinstance(q, dict):
        out += [
            "## Queries from the store (issue 2: p95 <= 100 ms each)",
            "",
            "| question | costbot p50 | costbot p95 | DuckDB on Parquet p95 | ratio p95 |",
            "|---|---|---|---|---|",
        ]
        for name, r in q.items():
            if not isinstance(r, dict) or "costbot_ms" not in r:
                continue
            out.append(
                f"| `cost {name}` | {r['costbot_ms']['p50']} ms | {r['costbot_ms']['p95']} ms | "
                f"{r['duckdb_parquet_ms']['p95']} ms | {r['ratio_p95']} |"
            )
        out.append("")
    s = data.get("slack")
    if isinstance(s, dict):
        out += [
            "## Slack end to end (issue 3: p95 <= 300 ms)",
            "",
            f"Measured {str(s.get('measured_at', ''))[:10]}.",
            "",
            "From sending a signed `/cost` request to the reply arriving at the Slack emulator's "
            "`response_url`, over real HTTP on 127.0.0.1, on the bench store.",
            "",
            "| question | p50 | p95 | max | n |",
            "|---|---|---|---|---|",
            f"| `/cost {s['question']}` | {s['ms']['p50']} ms | {s['ms']['p95']} ms | "
            f"{s['ms']['max']} ms | {s['ms']['n']} |",
            f"| acknowledgement only | {s['ack_ms']['p50']} ms | {s['ack_ms']['p95']} ms | "
            f"{s['ack_ms']['max']} ms | {s['ack_ms']['n']} |",
        ]
        duck = s.get("duckdb_parquet_ms")
        if isinstance(duck, dict):
            out += [
                f"| DuckDB on the Parquet, same question, same run | {duck['p50']} ms | "
                f"{duck['p95']} ms | {duck['max']} ms | {duck['n']} |",
                f"| DuckDB p95 / end-to-end p95 (issue 18: >= 8) | | "
                f"{s['times_faster_than_duckdb_p95']} | | |",
            ]
        load = s.get("load_average")
        if isinstance(load, list):
            out += ["", f"Load average (1 min) before and after: {load[0]}, {load[1]}."]
        out.append("")
    from bench.render_insights import render_insights  # anomalies and forecast (issue 12)

    out += render_insights(data)
    phrasing = data.get("phrasing")
    if isinstance(phrasing, dict) and "parse_cpu_ms" in phrasing:
        from bench.bench_phrasing import render_section

        out += render_section(phrasing)
    out += ["## Notes", ""] + [f"- {n}" for n in NOTES] + [""]
    return "\n".join(out)


NOTES = [
    "Measured on 2026-11-29 on an otherwise quiet machine (load average about 1 before each "
    "run; the benchmark's own processes are the load). Earlier figures on this page were "
    "taken while other sessions shared the two cores and were several times slower.",
    "Ingest (issue 18) cuts every file into units: the file, or a run of its Parquet row "
    "groups of at least 256k lines (bot/costs/units.py). A unit is decoded 256k lines at a "
    "time, converted, and rolled up half a million canonical lines at a time to its distinct "
    "charges with their (charge, day) and (group, day) sums; the writing thread merges the "
    "units of each billing period in their planned order and writes it, all in one "
    "transaction. Units are read by reader threads when there are 64 MB of local Parquet or "
    "more, as many as the cores and COSTBOT_INGEST_MEMORY_MB (1 GB) allow by an estimate from "
    "the Parquet footers, and by the writing thread whenever the next result is not ready: on "
    "the bench org that is one reader beside the writer; at x4 (a month of 2.5 M lines in "
    "1 M-line row groups) none. `--workers N` asks for N. The store is the same, row for row "
    "and id for id, with any number of readers (tests/costs/test_ingest_workers.py).",
    "What changed in the ingest this round (17 s -> about 9 s at x1, 98 s -> 74-80 s at x4): "
    "reader threads instead of worker processes (decoding, the array work and SQLite's "
    "inserts release the GIL; two reader threads read 1.65x as fast as one, and no second "
    "copy of the libraries or pickling of each unit's sums is needed: 0.77 GB instead of "
    "1.1 GB with one reader); the writing thread reads the next unit itself instead of "
    "waiting; the roll-up gives each column's values a code once per batch and interns a "
    "batch's charges as rows of codes (vectorised), deriving a charge's group once when it "
    "is new; daily sums are added into the (charge, day) grid with np.add.at in int64 (fast "
    "in NumPy 2) instead of sorted; a tag map is spread into columns in one scatter; text is "
    "coalesced on dictionary codes; amount columns the bill leaves empty are skipped; the "
    "writer builds its rows column by column with numpy takes; a first ingest builds the "
    "charges indexes once over the loaded rows, before the last billing period, instead of "
    "row by row; and a daily vector whose days all hold one amount (80 % of the bench org's, "
    "the shape of anything left running) is stored as that amount, so the store went from "
    "117 MB to 62 MB. A unit of 615k lines now takes about 0.6 s of CPU (Parquet decoding "
    "0.15 s, conversion 0.16 s, roll-up 0.27 s), against 1.2 s before.",
    "Why the ingest is not 1.5 M rows/s (5 s) or 0.7x DuckDB: on one thread the bench org "
    "needs about 12 s of CPU, 7.7 s reading and rolling up and about 4.5 s writing. The "
    "writing is serial (SQLite has one writer): inserting 240 000 charge rows takes 1.8 s "
    "(binding 18 values a row), building their indexes 0.75 s and the commit 0.8 s (most of "
    "it the WAL checkpoint), plus about 1 s of Python building the rows. The commit comes "
    "after the last unit is read, when the other core has nothing left to do, and about a "
    "third of the readers' time holds the GIL: two threads keep 1.4-1.5 cores busy. More "
    "readers do not help (two: 8.9-10.1 s in four runs, 1.0-1.1 GB). Run to run, the same "
    "ingest varies by about 10 % on this machine, and DuckDB too: four full runs on "
    "2026-11-29 gave 9.2 s vs 9.7 s, 8.9 s vs 10.6 s, 9.3 s vs 9.4 s and, with the compact "
    "vectors, 9.1 s vs 9.6 s (0.95x, 0.84x, 0.98x, 0.94x); paired runs put the compact "
    "vectors at about 1 s faster. What is left is mostly Python holding the GIL; reaching "
    "5 s needs the readers' and the writer's per-batch work out of Python altogether.",
    "Memory is the peak RSS of the ingesting process (one process now), sampled every 50 ms, "
    "with PSS every half second. It grows with the largest billing period (the writer merges "
    "one at a time) and with each unit read at once, not with the bill: 0.80-0.81 GB with "
    "one reader at x1 and 0.83-0.87 GB with none at x4 over four runs; one reader at x4 "
    "reached about 1.16 GB, which is why the default takes none there.",
    "Resource-level questions read an in-memory copy of the charges' daily amounts as int64 "
    "prefix sums (bot/costs/detail.py), built on the first such question after an ingest "
    "and costing about 16 bytes per charge-day per measure used. Cube questions loop over "
    "the matching cost groups first and read their days by primary key (a CROSS JOIN fixes "
    "that order): `team ai-research last 30d` went from about 28 ms to about 15 ms.",
    "The Slack end-to-end benchmark reads only the repository (the Slack Web API spec is "
    "vendored under tests/harness/specs) and times DuckDB answering the same question from "
    "the Parquet in the same run, so the issue 18 ratio compares p95s taken under the same "
    "load. DuckDB is much faster on a quiet machine than on a loaded one, so the ratio is "
    "lower here than under load.",
    "Start-up: `costbot --help` used 1.3-1.4 s of CPU at first (pandas, pyarrow, numpy and "
    "boto3 imported at start). Now neither `--help` nor `costbot cost` imports "
    "prometheus_client (the metrics are built on first use, by the server), sqlite-utils (an "
    "up-to-date store opens with plain sqlite3), rich (tables into a pipe are plain text) or "
    "any command's domain modules (tests/test_startup.py). What remains is Python, click and "
    "costbot's own modules, which this machine (PYTHONDONTWRITEBYTECODE=1) compiles from "
    "source at every start: the rows `bytecode compiled` are the same processes with "
    "bytecode, as an installed wheel runs them.",
    "`costbot cost team ai-research last 30d` as a whole command is dominated by reading the "
    "store's vocabulary (every distinct tag value and dimension value, to read the question), "
    "about half a second on the bench store, once per process; the Slack app caches it until "
    "the next ingest.",
    "The bench generator streams the org a month at a time: at x4 a month is about 2.5 M "
    "lines, and the generating process peaked at about 2 GB.",
    "DuckDB's figure is the same daily GROUP BY (every dimension, the tag map, the amortized "
    "formula) over the same files into an in-memory table, on both cores; it writes no "
    "SQLite file.",
    "Query times are the whole answer as the bot computes it (current and previous period, "
    "daily series, groups, currency check), from the summary cube; DuckDB answers the same "
    "question from the raw Parquet each time.",
    "Tests never assert timings; these figures come only from `make bench`.",
]


def _met(ok: bool) -> str:
    return "met" if ok else "**not met**"


def _workers(run: dict[str, object]) -> str:
    n = run.get("workers", 0)
    if not n:
        return "one thread"
    return f"{n} reader thread{'s' if n != 1 else ''} + the writing thread, one process"


def _rss_row(label: str, run: dict[str, object]) -> str:
    """Peak memory of an ingest: its whole process tree, summed at each 50 ms sample."""
    mb = float(run["peak_rss_mb"])  # type: ignore[arg-type]
    pss = run.get("peak_pss_mb")
    extra = f", PSS {pss} MiB" if pss is not None else ""
    return (
        f"| peak RSS of {label} | <= 1 GB | {mb:.0f} MiB = {mb * 2**20 / 1e9:.2f} GB "
        f"({_workers(run)}{extra}; {float(run['seconds']):.0f} s) "  # type: ignore[arg-type]
        f"| {_met(mb * 2**20 <= 1e9)} |"
    )


def _issue18(data: dict[str, object]) -> list[str]:
    """The issue 18 targets side by side with what this run measured."""
    rows: list[str] = []
    ing, x4 = data.get("ingest"), data.get("ingest_x4")
    q, s, st = data.get("queries"), data.get("slack"), data.get("startup")
    pool = data.get("ingest_workers2")
    if isinstance(ing, dict):
        duck = ing.get("duckdb_seconds")
        runs = [("`costbot ingest` (default)", ing)]
        if isinstance(pool, dict):
            runs.append(("`costbot ingest --workers 2`", pool))
        for label, run in runs:
            rate = run["rows_per_second"]
            ratio = round(run["seconds"] / duck, 2) if duck else None
            rows.append(
                f"| ingest of the bench org's CUR 2.0 Parquet, {label}, "
                f"{_workers(run)} | >= 1.5 M rows/s and <= 0.7x DuckDB "
                f"| {rate:,} rows/s, {ratio}x DuckDB ({run['seconds']:.1f} s vs "
                f"{duck or 0:.1f} s, same run) "
                f"| {_met(rate >= 1_500_000 and ratio is not None and ratio <= 0.7)} |"
            )
        for label, run in runs:
            rows.append(_rss_row(f"{label}, {run['rows']:,} rows", run))
    if isinstance(x4, dict):
        rows.append(_rss_row(f"`costbot ingest` (default), org x4: {x4['rows']:,} rows", x4))
    if isinstance(q, dict):
        for name, r in q.items():
            if isinstance(r, dict) and "resource" in name:
                p95 = r["costbot_ms"]["p95"]
                rows.append(
                    f"| `cost {name}`, warm, in process | p95 <= 100 ms | p95 {p95} ms "
                    f"(p50 {r['costbot_ms']['p50']} ms) | {_met(p95 <= 100)} |"
                )
    if isinstance(s, dict) and isinstance(s.get("duckdb_parquet_ms"), dict):
        duck_p95 = s["duckdb_parquet_ms"]["p95"]
        times = s["times_faster_than_duckdb_p95"]
        rows.append(
            f"| signed `/cost {s['question']}` end to end | >= 8x faster than DuckDB "
            f"| p95 {s['ms']['p95']} ms vs DuckDB p95 {duck_p95} ms (same run): {times}x "
            f"| {_met(times >= 8)} |"
        )
    elif isinstance(s, dict) and isinstance(q, dict):
        duck = next(
            (r for n, r in q.items() if isinstance(r, dict) and n == s.get("question")), None
        )
        same_run = str(s.get("measured_at", ""))[:10] == str(q.get("measured_at", ""))[:10]
        if duck and not same_run:
            rows.append(
                f"| signed `/cost {s['question']}` end to end | >= 8x faster than DuckDB "
                f"| not measured in this run (last: p95 {s['ms']['p95']} ms on "
                f"{str(s.get('measured_at', ''))[:10]}) | not measured |"
            )
        elif duck:
            times = duck["duckdb_parquet_ms"]["p95"] / s["ms"]["p95"]
            rows.append(
                f"| signed `/cost {s['question']}` end to end | >= 8x faster than DuckDB "
                f"| p95 {s['ms']['p95']} ms vs DuckDB p95 {duck['duckdb_parquet_ms']['p95']} ms:"
                f" {times:.1f}x | {_met(times >= 8)} |"
            )
    if isinstance(st, dict):
        for name, r in st.items():
            if isinstance(r, dict) and "floor" not in name and "whole" not in name:
                cpu, wall = r["cpu_ms"]["p50"], r["wall_ms"]["p50"]
                wall_note = "" if wall <= 200 else "; wall time not"
                rows.append(
                    f"| `{name}` | <= 0.2 s | CPU p50 {cpu} ms, wall p50 {wall} ms "
                    f"| {_met(cpu <= 200)} (CPU){wall_note} |"
                )
    if not rows:
        return []
    return [
        "## Issue 18 targets (this run, side by side)",
        "",
        "| figure | target | measured | |",
        "|---|---|---|---|",
        *rows,
        "",
    ]


def write_doc(data: dict[str, object]) -> None:
    """Write the page, keeping the sections other scripts keep in it between markers.

    bench/bench_athena.py (not part of `make bench`) writes its section between
    ``<!-- sync:athena -->`` and ``<!-- /sync:athena -->``; re-rendering must not drop it.
    """
    old = DOC.read_text() if DOC.exists() else ""
    kept = [m.group(0) for m in re.finditer(r"<!-- ([\w:.-]+) -->.*?<!-- /\1 -->", old, re.S)]
    DOC.write_text("\n\n".join([render(data).rstrip("\n"), *kept]) + "\n")


def main(scale: int = 1) -> None:
    """Run all benchmarks (and the ingest of the org x ``scale`` when > 1), then write the page."""
    from bench import (
        bench_ingest,
        bench_insights,
        bench_phrasing,
        bench_queries,
        bench_slack,
        bench_startup,
    )

    bench_ingest.main()  # as `costbot ingest` runs: workers chosen within the memory budget
    bench_ingest.main(duckdb=False, workers="2", section="ingest_workers2")  # both cores
    bench_queries.main()
    bench_slack.main()
    bench_insights.main()
    bench_startup.main()
    if scale > 1:
        bench_ingest.main(scale, duckdb=False)  # RSS at scale; DuckDB's time at 1x is the ratio
    bench_phrasing.main([])
    write_doc(json.loads(RESULTS.read_text()))
    print(f"wrote {DOC}")


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--render":
        write_doc(json.loads(RESULTS.read_text()))
    else:
        main(int(sys.argv[sys.argv.index("--scale") + 1]) if "--scale" in sys.argv else 1)
