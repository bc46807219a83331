# ruff: noqa: F811  (test arguments name the fixtures imported from sync_fixtures)
"""Athena sync: the SQL proven in DuckDB, the API flow against moto behind the stand-in.

The generated query (Athena's dialect) is transpiled with sqlglot and run by
DuckDB over the sample org written as CUR 2.0 and FOCUS Parquet; its aggregates,
written through the sync path, must answer like file ingestion of the same
files, to the nano. The same aggregates are then injected into moto as Athena
results to drive the real flow: start, poll, page, fail.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import boto3
import duckdb
import pyarrow as pa
import pytest
import sqlglot
from harness.aws_standin import AwsStandIn
from sync_fixtures import services_for, standin, truth  # noqa: F401  (fixtures, see there)
from sync_support import NOW

from bot.aws.athena import AthenaError
from bot.costs.ask import ask as ask_engine
from bot.costs.exports import write_cur2, write_focus
from bot.costs.grammar import HelpRequest
from bot.costs.ingest import ingest
from bot.costs.query import CostQueryEngine
from bot.costs.resolution import ResolutionError, athena_format
from bot.costs.store import CostStore
from bot.services import Services
from bot.settings import DEFAULT_ALIASES
from bot.state.sync import athena_spend_nanos, ledger_for
from bot.sync.athena_sql import AthenaQuery, AthenaSqlError, build_query, rows_to_lines
from bot.sync.run import sync_source
from bot.sync.write import write_lines

TAGS = ("team", "project", "environment")
DETAIL_FROM = date(2024, 10, 1)
PERIODS = ["2024-09", "2024-10"]


def exported(
    truth: pa.Table, tmp: Path, export: str
) -> tuple[list[str], duckdb.DuckDBPyConnection]:
    """Write the org as an export; return its files and DuckDB with it as ``costs.data``.

    The view adds the ``billing_period`` partition column AWS Data Exports give the
    Glue table, and (FOCUS) reads ``Tags`` as the map Athena's table declares.
    """
    con = duckdb.connect()
    con.execute("CREATE SCHEMA costs")
    if export == "cur2":
        files = [str(f) for f in write_cur2(truth, tmp / "cur2")]
        con.execute(
            "CREATE VIEW costs.data AS SELECT *, strftime(bill_billing_period_start_date, "
            f"'%Y-%m') AS billing_period FROM read_parquet({files!r})"
        )
    else:
        files = [str(write_focus(truth, tmp / "focus.parquet", version="1.2"))]
        con.execute(
            "CREATE VIEW costs.data AS SELECT * REPLACE (CAST(json(Tags) AS MAP(VARCHAR, "
            "VARCHAR)) AS Tags), strftime(BillingPeriodStart, '%Y-%m') AS billing_period "
            f"FROM read_parquet({files!r})"
        )
    return files, con


def query_for(export: str) -> AthenaQuery:
    return build_query(
        export,
        database="costs",
        table="data",
        periods=PERIODS,
        detail_from=DETAIL_FROM,
        allocation_tags=TAGS,
        aliases=DEFAULT_ALIASES,
    )


def run_in_duckdb(con: duckdb.DuckDBPyConnection, query: AthenaQuery) -> list[list[str | None]]:
    """Transpile the Athena SQL to DuckDB and run it; return rows as Athena's text."""
    (sql,) = sqlglot.transpile(query.sql, read="athena", write="duckdb")
    rows = con.execute(sql, list(query.parameters)).fetchall()
    return [[None if v is None else str(v) for v in row] for row in rows]


def engine(store: CostStore) -> CostQueryEngine:
    return CostQueryEngine(store, allocation_tags=TAGS, clock=lambda: NOW)


def ask(store: CostStore, words: str) -> dict[str, Any]:
    answer = ask_engine(engine(store), words)
    assert not isinstance(answer, HelpRequest)
    out = answer.to_json()
    del out["data_through"]
    return out


QUESTIONS = [
    "2024-09",
    "2024-09 measure billed",
    "2024-09 measure list",
    "mtd",
    "by service 2024-09 top 50",
    "by account 2024-09 top 50",
    "by region mtd top 50",
    "by team 2024-09",
    "by environment last month",
    "team ai-research by account 2024-09 top 50",
    "untagged 2024-09",
    "untagged team by service mtd top 50",
    "by pricing 2024-09",
    "by charge 2024-09",
    "by resource 2024-10-11..2024-10-20 top 50",
    "by sku 2024-10-11..2024-10-20 top 50",
]


def files_store(tmp: Path, files: list[str]) -> CostStore:
    store = CostStore(tmp / "files.db")
    ingest(store, files, allocation_tags=TAGS, aliases=DEFAULT_ALIASES)
    return store


@pytest.mark.parametrize("export", ["cur2", "focus"])
def test_the_athena_query_in_duckdb_matches_file_ingestion_to_the_nano(
    tmp_path: Path, truth: pa.Table, export: str
) -> None:
    files, con = exported(truth, tmp_path, export)
    query = query_for(export)
    rows = run_in_duckdb(con, query)
    assert len(rows) < truth.num_rows  # only aggregates come back
    synced = CostStore(tmp_path / "athena.db")
    write_lines(
        synced,
        [rows_to_lines(query, rows)],
        export="athena:costs.data",
        fmt=athena_format(export, DETAIL_FROM),
        allocation_tags=TAGS,
    )
    reference = files_store(tmp_path, files)
    for words in QUESTIONS:
        assert ask(synced, words) == ask(reference, words), words
    with pytest.raises(ResolutionError, match="resources, SKUs and types only from 2024-10-01"):
        ask(synced, "by resource 2024-09")


def test_only_billing_periods_asked_for_are_read_and_user_values_are_parameters() -> None:
    query = build_query(
        "cur2",
        database="cur",
        table="data",
        periods=["2024-10"],
        detail_from=DETAIL_FROM,
        allocation_tags=("team",),
        aliases={},
    )
    assert "WHERE billing_period IN (?)" in query.sql
    assert query.parameters == ("2024-10-01", "2024-10")
    assert query.athena_parameters() == ["'2024-10-01'", "'2024-10'"]
    assert "2024-10" not in query.sql


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"table": "data; DROP TABLE x"}, "not a plain identifier"),
        ({"database": 'cur"'}, "not a plain identifier"),
        ({"allocation_tags": ("team') OR 1=1 --",)}, "will not put in a query"),
        ({"periods": ["2024-10' OR '1'='1"]}, "not YYYY-MM"),
        ({"export": "cur3"}, "choose cur2 or focus"),
    ],
)
def test_values_that_could_change_the_sql_are_refused(kwargs: dict[str, Any], message: str) -> None:
    args: dict[str, Any] = {
        "export": "cur2",
        "database": "cur",
        "table": "data",
        "periods": ["2024-10"],
        "detail_from": DETAIL_FROM,
        "allocation_tags": ("team",),
        "aliases": {},
    }
    args.update(kwargs)
    export = args.pop("export")
    with pytest.raises(AthenaSqlError, match=message):
        build_query(export, **args)


# -- the API flow: moto with injected results, behind the stand-in ---------------------


def inject_results(standin: AwsStandIn, rows: list[list[str | None]]) -> None:
    """Queue one query's results in moto, header row first, as Athena returns a SELECT."""
    names = [
        "usage_day",
        *(f"c{i}" for i in range(len(rows[0]) - 5)),
        "billed",
        "effective",
        "list",
        "lines",
    ]
    payload = {
        "results": [
            {
                "rows": [
                    {"Data": [{"VarCharValue": n} for n in names]},
                    *({"Data": [{"VarCharValue": v} for v in row]} for row in rows),
                ],
                "column_info": [{"Name": n, "Type": "varchar"} for n in names],
            }
        ]
    }
    standin.inject("static/athena/query-results", payload)


def page_results(action: str, body: dict[str, Any], out: dict[str, Any]) -> dict[str, Any]:
    """Page GetQueryResults by MaxResults and NextToken, as Athena does (moto returns all)."""
    if action != "GetQueryResults":
        return out
    rows = out["ResultSet"]["Rows"]
    start = int(body.get("NextToken") or 0)
    size = int(body.get("MaxResults", 1000))
    out["ResultSet"]["Rows"] = rows[start : start + size]
    if start + size < len(rows):
        out["NextToken"] = str(start + size)
    return out


def scanned(bytes_: int, state: str | None = None) -> Callable[..., dict[str, Any]]:
    """Report bytes scanned (moto says 0) and optionally end the query in ``state``."""

    def rewrite(action: str, body: dict[str, Any], out: dict[str, Any]) -> dict[str, Any]:
        if action == "GetQueryExecution":
            out["QueryExecution"]["Statistics"]["DataScannedInBytes"] = bytes_
            if state and out["QueryExecution"]["Status"]["State"] == "SUCCEEDED":
                out["QueryExecution"]["Status"]["State"] = state
                out["QueryExecution"]["Status"]["StateChangeReason"] = "HIVE_BAD_DATA: x"
        return out

    return rewrite


@pytest.fixture
def athena_services(
    services_for: Callable[..., Services], standin: AwsStandIn
) -> Callable[[], Services]:
    def build() -> Services:
        # QUEUED -> RUNNING -> SUCCEEDED, each after two polls: the sync has to wait.
        standin.inject(
            "state-manager/set-transition",
            {
                "model_name": "athena::execution",
                "transition": {"progression": "manual", "times": 2},
            },
        )
        boto3.session.Session().client(
            "athena", region_name="us-east-1", endpoint_url=standin.moto_url
        ).create_work_group(Name="finops")
        return services_for(
            allocation_tags=TAGS,
            athena_database="costs",
            athena_table="data",
            athena_workgroup="finops",
            athena_output="s3://athena-results/costbot/",
            athena_export="cur2",
            athena_resource_days=20,  # 2024-10-01 from NOW
        )

    return build


def test_athena_sync_polls_pages_and_fills_the_store_like_files(
    tmp_path: Path,
    truth: pa.Table,
    standin: AwsStandIn,
    athena_services: Callable[[], Services],
) -> None:
    files, con = exported(truth, tmp_path, "cur2")
    rows = run_in_duckdb(con, query_for("cur2"))
    assert len(rows) > 1000  # more than one page of GetQueryResults
    inject_results(standin, rows)
    standin.rewrites += [page_results, scanned(123_456_789)]
    services = athena_services()
    sleeps: list[float] = []
    run = sync_source(services, "athena", sleep=sleeps.append)

    (start,) = standin.called("StartQueryExecution")
    assert start["ExecutionParameters"] == ["'2024-10-01'", "'2024-09'", "'2024-10'"]
    assert start["WorkGroup"] == "finops"
    assert start["QueryExecutionContext"] == {"Database": "costs"}
    assert start["ResultConfiguration"] == {"OutputLocation": "s3://athena-results/costbot/"}
    assert sleeps and len(standin.called("GetQueryExecution")) == len(sleeps) + 1
    pages = [None, *(str(n) for n in range(1000, len(rows) + 1, 1000))]  # + the header row
    assert [b.get("NextToken") for b in standin.called("GetQueryResults")] == pages
    assert run.ok and run.periods == PERIODS and run.rows == len(rows)
    assert run.bytes_scanned == 123_456_789
    assert (
        run.spend == athena_spend_nanos(123_456_789) == 620_000
    )  # 124 MB (whole MB) at $5 per TB: $0.00062
    reference = files_store(tmp_path, files)
    for words in QUESTIONS:
        assert ask(services.store, words) == ask(reference, words), words


@pytest.mark.parametrize("state", ["FAILED", "CANCELLED"])
def test_a_query_that_fails_leaves_the_store_as_it_was_and_its_scan_is_paid(
    tmp_path: Path,
    truth: pa.Table,
    standin: AwsStandIn,
    athena_services: Callable[[], Services],
    state: str,
) -> None:
    _, con = exported(truth, tmp_path, "cur2")
    rows = run_in_duckdb(con, query_for("cur2"))
    inject_results(standin, rows)
    standin.rewrites.append(page_results)
    services = athena_services()
    sync_source(services, "athena", sleep=lambda _: None)
    before = ask(services.store, "by team 2024-09")
    standin.rewrites.append(scanned(50_000_000, state))
    with pytest.raises(AthenaError, match=f"{state.lower()}: HIVE_BAD_DATA"):
        sync_source(services, "athena", sleep=lambda _: None)
    assert ask(services.store, "by team 2024-09") == before
    last = ledger_for(services.store.conn).last_runs()[0]["last"]
    assert last["ok"] is False and last["bytes_scanned"] == 50_000_000
    assert last["spend"] == 250_000  # 50 MB: $0.00025
