"""Benchmark: the three everyday questions from the store, against DuckDB on the raw Parquet.

Each question is answered the way the bot answers it (current period, previous
period, daily series, groups); DuckDB answers the same question from the
export files with the amortized formula. Times are wall-clock per answer.
"""

from __future__ import annotations

import json
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import DATA, record, summary_ms
from bench.dataset import END, ensure_bench_org
from bot.costs.ask import ask
from bot.costs.query import CostQueryEngine
from bot.costs.store import CostStore

RUNS = 50
NOW = datetime(END.year, END.month, END.day, 12, tzinfo=UTC)
EFFECTIVE = """CASE line_item_line_item_type
  WHEN 'SavingsPlanCoveredUsage' THEN savings_plan_savings_plan_effective_cost
  WHEN 'SavingsPlanRecurringFee'
    THEN savings_plan_total_commitment_to_date - savings_plan_used_commitment
  WHEN 'SavingsPlanNegation' THEN 0 WHEN 'SavingsPlanUpfrontFee' THEN 0
  ELSE line_item_unblended_cost END"""
TEAM_TAG = "element_at(resource_tags, 'user_team')[1]"


def team_last_30d_sql(files: Path, team: str) -> str:
    """Return DuckDB's query for `team TEAM last 30d` on the Parquet: both periods, daily."""
    return (
        "SELECT CAST(line_item_usage_start_date AS DATE) d, SUM("
        f"{EFFECTIVE}) FROM read_parquet('{files}/*.parquet') "
        f"WHERE {TEAM_TAG} = '{team}' AND line_item_usage_start_date >= "
        f"DATE '{END - timedelta(days=59)}' "
        f"AND line_item_usage_start_date < DATE '{END + timedelta(days=1)}' GROUP BY d"
    )


def _time(fn: object, runs: int = RUNS) -> list[float]:
    fn()  # type: ignore[operator]  # warm-up
    out = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()  # type: ignore[operator]
        out.append(time.perf_counter() - t)
    return out


def main() -> dict[str, object]:
    """Run the query benchmark and record it."""
    files = ensure_bench_org()
    db = DATA / "bench.db"
    if not db.exists():
        from bench.bench_ingest import main as ingest_main

        ingest_main()
    store = CostStore(db)
    engine = CostQueryEngine(
        store, allocation_tags=("team", "project", "environment"), clock=lambda: NOW
    )
    teams = engine.vocabulary().tag_values.get("team", [])
    team = "ai-research" if "ai-research" in teams else teams[0]
    resource = store.conn.execute(
        "SELECT resource_id FROM charges WHERE resource_id <> '' AND last_day = "
        "(SELECT MAX(last_day) FROM charges) ORDER BY billed_total DESC LIMIT 1"
    ).fetchone()[0]
    questions = {
        f"team {team} last 30d": f"team {team} last 30d",
        "by team mtd": "by team mtd",
        "untagged": "untagged",
        # resource-level questions (issue 18): read the detail, not the cube
        "by resource last 30d": "by resource last 30d",
        "resource ID last 30d": f"resource {resource} last 30d",
        f"team {team} by resource last 30d": f"team {team} by resource last 30d",
    }
    import duckdb

    con = duckdb.connect()
    src = f"read_parquet('{files}/*.parquet')"
    tag = TEAM_TAG
    prev30 = END - timedelta(days=59)
    cur30 = END - timedelta(days=29)
    mtd = END.replace(day=1)
    prev_mtd = (mtd - timedelta(days=1)).replace(day=1)
    untagged_cond = " OR ".join(
        f"element_at(resource_tags, 'user_{k}')[1] IS NULL"
        for k in ("team", "project", "environment")
    )
    duck = {
        f"team {team} last 30d": team_last_30d_sql(files, team),
        "by team mtd": (
            f"SELECT {tag} t, CAST(line_item_usage_start_date AS DATE) >= DATE '{mtd}' cur, "
            f"SUM({EFFECTIVE}) FROM {src} WHERE (line_item_usage_start_date >= DATE '{mtd}' "
            f"AND line_item_usage_start_date < DATE '{END + timedelta(days=1)}') OR "
            f"(line_item_usage_start_date >= DATE '{prev_mtd}' AND line_item_usage_start_date "
            f"< DATE '{prev_mtd + (END - mtd) + timedelta(days=1)}') GROUP BY t, cur"
        ),
        "by resource last 30d": (
            f"SELECT line_item_resource_id r, line_item_usage_start_date >= DATE '{cur30}' cur, "
            f"SUM({EFFECTIVE}) FROM {src} WHERE line_item_usage_start_date >= DATE '{prev30}' "
            f"AND line_item_usage_start_date < DATE '{END + timedelta(days=1)}' GROUP BY r, cur"
        ),
        "resource ID last 30d": (
            f"SELECT CAST(line_item_usage_start_date AS DATE) d, SUM({EFFECTIVE}) FROM {src} "
            f"WHERE line_item_resource_id = '{resource}' AND line_item_usage_start_date >= "
            f"DATE '{prev30}' AND line_item_usage_start_date < DATE '{END + timedelta(days=1)}' "
            "GROUP BY d"
        ),
        f"team {team} by resource last 30d": (
            f"SELECT line_item_resource_id r, line_item_usage_start_date >= DATE '{cur30}' cur, "
            f"SUM({EFFECTIVE}) FROM {src} WHERE {tag} = '{team}' AND line_item_usage_start_date "
            f">= DATE '{prev30}' AND line_item_usage_start_date < DATE '{END + timedelta(days=1)}' "
            "GROUP BY r, cur"
        ),
        "untagged": (
            f"SELECT ({untagged_cond}) u, CAST(line_item_usage_start_date AS DATE) >= DATE '{mtd}' "
            f"cur, SUM({EFFECTIVE}) FROM {src} WHERE line_item_usage_start_date >= "
            f"DATE '{prev_mtd}' AND line_item_usage_start_date < DATE '{END + timedelta(days=1)}' "
            "GROUP BY u, cur"
        ),
    }
    results: dict[str, object] = {}
    for name, text in questions.items():
        answer = ask(engine, text)
        ours = summary_ms(_time(lambda t=text: ask(engine, t)))
        theirs = summary_ms(_time(lambda q=duck[name]: con.execute(q).fetchall(), runs=10))
        results[name] = {
            "costbot_ms": ours,
            "duckdb_parquet_ms": theirs,
            "ratio_p95": round(ours["p95"] / theirs["p95"], 3),
            "total": str(getattr(answer, "total", "")),
        }
    record("queries", results)
    print(json.dumps(results, indent=2))
    return results


if __name__ == "__main__":
    main()
