"""Benchmark: signed `/cost team X last 30d` in, reply at the emulator's response_url out.

Real HTTP on 127.0.0.1 both ways: the Slack test harness signs and posts the
command to costbot's HTTP server, Bolt acknowledges and the lazy listener
answers through the emulator's response_url. Measured: the acknowledgement and
the whole round trip, on the bench store; then, in the same run, DuckDB answering
the same question from the bench org's Parquet (bench/bench_queries.py's query), so
the issue 18 ratio (end to end >= 8x faster than DuckDB, at p95) compares figures taken
under the same load. Everything it reads is in the repository (the Slack Web API spec
is vendored under tests/harness/specs) or generated under bench/data.
"""

from __future__ import annotations

import json
import os
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from harness.slack_emulator import DEFAULT_BOT_TOKEN, SlackEmulator  # noqa: E402
from harness.slack_requests import DEFAULT_SIGNING_SECRET, SlackClientSim  # noqa: E402

from bench.bench_queries import team_last_30d_sql  # noqa: E402
from bench.common import DATA, record, summary_ms  # noqa: E402
from bench.dataset import END, ensure_bench_org  # noqa: E402
from bot.http_server import SlackHTTPServer  # noqa: E402
from bot.services import build_services  # noqa: E402
from bot.settings import Settings  # noqa: E402
from bot.slack_app import build_app  # noqa: E402

RUNS = 50
DUCKDB_RUNS = 20  # about a quarter of a second each
NOW = datetime(END.year, END.month, END.day, 12, tzinfo=UTC)


def _duckdb_ms(team: str) -> dict[str, float]:
    """Time DuckDB answering `team TEAM last 30d` from the Parquet (after one warm-up)."""
    import duckdb

    con = duckdb.connect()
    sql = team_last_30d_sql(ensure_bench_org(), team)
    con.execute(sql).fetchall()
    times = []
    for _ in range(DUCKDB_RUNS):
        t = time.perf_counter()
        con.execute(sql).fetchall()
        times.append(time.perf_counter() - t)
    con.close()
    return summary_ms(times)


def main() -> dict[str, object]:
    """Run the round-trip benchmark and DuckDB's answer to the same question; record both."""
    load_before = os.getloadavg()[0]
    db = DATA / "bench.db"
    if not db.exists():
        from bench.bench_ingest import main as ingest_main

        ingest_main()
    with SlackEmulator() as emulator:
        settings = Settings(
            db_path=db,
            slack_bot_token=DEFAULT_BOT_TOKEN,
            slack_signing_secret=DEFAULT_SIGNING_SECRET,
            slack_api_url=emulator.base_url,
            allocation_tags=("team", "project", "environment"),
        )
        services = build_services(settings, clock=lambda: NOW)
        teams = services.engine.vocabulary().tag_values.get("team", ["ai-research"])
        team = "ai-research" if "ai-research" in teams else teams[0]
        question = f"team {team} last 30d"
        server = SlackHTTPServer(build_app(services), services, host="127.0.0.1", port=0)
        server.start()
        url = f"http://127.0.0.1:{server.port}/slack/events"
        sim = SlackClientSim(response_urls=emulator.new_response_url)
        rounds, acks = [], []
        try:
            for i in range(RUNS + 3):
                response_url = emulator.new_response_url()
                request = sim.command_request(question, response_url=response_url)
                t = time.perf_counter()
                resp = sim.post(url, request)
                ack = time.perf_counter() - t
                assert resp.status_code == 200, resp.text
                emulator.wait_for_response(response_url, timeout=10)
                total = time.perf_counter() - t
                if i >= 3:  # warm-up
                    rounds.append(total)
                    acks.append(ack)
            emulator.assert_no_invalid_calls()
        finally:
            sim.close()
            server.stop()
            services.close()
    slack, duck = summary_ms(rounds), _duckdb_ms(team)
    result = {
        "question": question,
        "ms": slack,
        "ack_ms": summary_ms(acks),
        "duckdb_parquet_ms": duck,
        "times_faster_than_duckdb_p95": round(duck["p95"] / slack["p95"], 2),
        "load_average": [round(load_before, 2), round(os.getloadavg()[0], 2)],
    }
    record("slack", result)
    print(json.dumps(result, indent=2))
    return result


if __name__ == "__main__":
    main()
