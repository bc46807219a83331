"""The costbot command line, through click's CliRunner on a real store file."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from tests_support import focus_bill

from bot.cli import main

README = Path(__file__).resolve().parents[1] / "README.md"


@pytest.fixture
def db(tmp_path: Path) -> str:
    """A store holding a small FOCUS bill (Sept–Oct 2024)."""
    path = str(tmp_path / "costbot.db")
    bill = focus_bill(tmp_path / "bill.csv")
    result = CliRunner().invoke(main, ["ingest", "--db", path, "-q", str(bill)])
    assert result.exit_code == 0, result.output
    return path


def test_ingest_prints_a_summary_per_period_and_provider(tmp_path: Path) -> None:
    bill = focus_bill(tmp_path / "bill.csv", bad_row=True)
    result = CliRunner().invoke(main, ["ingest", "--db", str(tmp_path / "s.db"), "-q", str(bill)])
    assert result.exit_code == 0, result.output
    assert "2024-09  AWS" in result.output and "2024-10  AWS" in result.output
    assert "1 bad row(s) skipped" in result.output
    assert "row 3, column BilledCost" in result.output
    assert "rows/s" in result.output


def test_cost_prints_a_readable_table(db: str) -> None:
    result = CliRunner().invoke(main, ["cost", "--db", db, "by", "team", "2024-09"])
    assert result.exit_code == 0, result.output
    assert "ai-research" in result.output
    assert "$3,000.00" in result.output  # 30 days x $100.00
    assert "effective (amortized) cost" in result.output


def test_cost_json_is_the_documented_shape(db: str) -> None:
    result = CliRunner().invoke(
        main,
        ["cost", "--db", db, "--json", "team", "ai-research", "2024-09", "--measure", "billed"],
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["total"] == "3000.00" and data["measure"] == "billed"
    assert data["filters"] == {"team": "ai-research"}
    assert data["previous"] == {"start": "2024-08-01", "end": "2024-08-31", "total": "0.00"}


def test_a_typo_gets_usage_and_did_you_mean_with_exit_2_and_no_traceback(db: str) -> None:
    result = CliRunner().invoke(main, ["cost", "--db", db, "team", "ai-rsrch"])
    assert result.exit_code == 2
    assert "Did you mean: team ai-research" in result.output
    assert "usage: costbot cost" in result.output
    assert "Traceback" not in result.output


def test_help_shows_examples_from_the_users_own_tags(db: str) -> None:
    result = CliRunner().invoke(main, ["cost", "--db", db, "help"])
    assert result.exit_code == 0
    assert "costbot cost team ai-research" in result.output


def test_asking_before_any_ingest_says_what_to_do(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["cost", "--db", str(tmp_path / "none.db"), "by", "team"])
    assert result.exit_code == 1
    assert "run `costbot ingest` first" in result.output


def test_a_bad_input_path_is_a_one_line_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["ingest", "--db", str(tmp_path / "s.db"), "nope.csv"])
    assert result.exit_code == 1
    assert "nope.csv: no such file or directory" in result.output


def test_status_lists_deliveries_and_freshness(db: str) -> None:
    result = CliRunner().invoke(main, ["status", "--db", db])
    assert result.exit_code == 0
    assert "2024-09" in result.output and "complete through 2024-10-14" in result.output


def test_serve_without_a_token_names_the_variable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for var in ("SLACK_BOT_TOKEN", "SLACK_APP_TOKEN", "SLACK_SIGNING_SECRET"):
        monkeypatch.delenv(var, raising=False)
    result = CliRunner().invoke(main, ["serve", "--db", str(tmp_path / "s.db")])
    assert result.exit_code == 1
    assert "SLACK_BOT_TOKEN is not set" in result.output
    assert "Traceback" not in result.output


def test_every_command_is_documented_in_the_readme() -> None:
    readme = README.read_text()
    for name in main.commands:  # type: ignore[attr-defined]
        assert f"costbot {name}" in readme, f"`costbot {name}` is missing from the README"


def test_costbot_help_runs_as_an_installed_console_script() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "bot.cli", "--help"], capture_output=True, text=True, check=True
    )
    assert "ingest" in out.stdout and "cost" in out.stdout


def test_sample_writes_one_folder_per_layout_that_ingest_takes(tmp_path: Path) -> None:
    out = tmp_path / "sample"
    result = CliRunner().invoke(main, ["sample", str(out), "--days", "30", "--end", "2024-10-20"])
    assert result.exit_code == 0, result.output
    db = str(tmp_path / "s.db")
    totals = []
    for layout in ("focus", "cur2"):
        r = CliRunner().invoke(main, ["ingest", "--db", db, "-q", str(out / layout)])
        assert r.exit_code == 0, r.output
        answer = CliRunner().invoke(main, ["cost", "--db", db, "--json", "2024-10"])
        totals.append(json.loads(answer.output)["total"])
    assert totals[0] == totals[1]  # the same bill, replaced, not added
    both = CliRunner().invoke(main, ["ingest", "--db", db, "-q", str(out)])
    assert both.exit_code == 1 and "double count" in both.output
