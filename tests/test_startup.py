"""Start-up stays light: `costbot --help` and a question import only what they use.

Issue 18: process start was about half a second before any work: pandas, pyarrow, numpy and
boto3 imported by modules that did not need them, then prometheus_client (the metrics of
every command), sqlite-utils (opening an up-to-date store), rich (tables into a pipe) and
every command's domain module. Timings are never asserted; which modules a command loads is,
in a fresh process.
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from tests_support import focus_bill

from bot.cli import main

# Neither listing the commands nor answering a question into a pipe needs any of these: data
# and AWS libraries, the Slack app and its scheduler, Jira, the metrics endpoint, rich (plain
# text tables), sqlite-utils (an up-to-date store opens with plain sqlite3).
NOT_LOADED = (
    "pandas",
    "pyarrow",
    "numpy",
    "boto3",
    "botocore",
    "duckdb",
    "matplotlib",
    "prometheus_client",
    "rich",
    "jira",
    "slack_bolt",
    "slack_sdk",
    "apscheduler",
    "sqlite_utils",
)
PROBE = f"""
import json, sys
from click.testing import CliRunner
from bot.cli import main
result = CliRunner().invoke(main, sys.argv[1:])
print(json.dumps({{"exit": result.exit_code, "output": result.output,
                  "loaded": [m for m in {NOT_LOADED!r} if m in sys.modules]}}))
"""


def run_in_fresh_process(*args: str) -> dict[str, object]:
    """Invoke ``costbot ARGS`` in a new interpreter; return its exit code, output, and loads."""
    out = subprocess.run(
        [sys.executable, "-c", PROBE, *args], capture_output=True, text=True, check=True
    )
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


@pytest.fixture
def bill_db(tmp_path: Path) -> str:
    """A store holding a small FOCUS bill (Sept–Oct 2024), every migration applied."""
    path = str(tmp_path / "costbot.db")
    bill = focus_bill(tmp_path / "bill.csv")
    result = CliRunner().invoke(main, ["ingest", "--db", path, "-q", str(bill)])
    assert result.exit_code == 0, result.output
    return path


def test_help_imports_no_heavy_or_unrelated_library() -> None:
    result = run_in_fresh_process("--help")
    assert result["exit"] == 0 and "Commands:" in str(result["output"])
    assert result["loaded"] == []


def test_a_question_answered_into_a_pipe_loads_none_of_them(bill_db: str) -> None:
    result = run_in_fresh_process("cost", "--db", bill_db, "by", "team", "2024-09")
    assert result["exit"] == 0, result["output"]
    assert "ai-research" in str(result["output"])  # the table was printed, as plain text
    assert result["loaded"] == []


def test_a_question_on_an_empty_store_loads_none_of_them(tmp_path: Path) -> None:
    from bot.costs.store import CostStore

    CostStore(tmp_path / "c.db").close()
    result = run_in_fresh_process("cost", "--db", str(tmp_path / "c.db"), "by", "service")
    assert result["loaded"] == []


def _opens(path: Path) -> tuple[bool, list[str]]:
    """Open the store at ``path`` in a fresh process: was sqlite-utils imported, and tables."""
    out = subprocess.run(
        [
            sys.executable,
            "-c",
            "import json, sys; from bot.costs.store import CostStore; "
            f"s = CostStore({str(path)!r}); "
            'tables = [r[0] for r in s.conn.execute("SELECT name FROM sqlite_master")]; '
            "print(json.dumps(['sqlite_utils' in sys.modules, tables]))",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    imported, tables = json.loads(out.stdout)
    return imported, tables


def test_an_up_to_date_store_opens_without_sqlite_utils(tmp_path: Path) -> None:
    from bot.costs.store import CostStore

    CostStore(tmp_path / "c.db").close()
    imported, tables = _opens(tmp_path / "c.db")
    assert not imported and "charges" in tables


def test_a_store_missing_a_migration_gets_it_when_opened(tmp_path: Path) -> None:
    from bot.costs.store import CostStore

    CostStore(tmp_path / "c.db").close()
    conn = sqlite3.connect(tmp_path / "c.db")
    conn.execute("DROP TABLE instance_prices")
    conn.execute("DELETE FROM _sqlite_migrations WHERE migration_set = 'costbot.prices'")
    conn.commit()
    conn.close()
    imported, tables = _opens(tmp_path / "c.db")
    assert imported and "instance_prices" in tables
    assert _opens(tmp_path / "c.db") == (False, tables)  # and the next open is the quick one


def test_sqlite_utils_works_without_pandas_for_the_store(tmp_path: Path) -> None:
    out = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys; from bot.costs.store import CostStore; "
            f"s = CostStore({str(tmp_path / 'x.db')!r}); "
            "s.db['t'].insert({'a': 1}); print(s.db['t'].count, 'pandas' in sys.modules)",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout.split() == ["1", "False"]
