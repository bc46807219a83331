"""`costbot cost` and `status`: the reading, currencies, freshness wording, asking back, no data."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from tests_support import focus_bill

sys.path.insert(0, str(Path(__file__).parent / "costs"))
from builders import focus_row, write_csv

from bot.cli import main


def ingested(tmp_path: Path, bill: Path) -> str:
    path = str(tmp_path / "costbot.db")
    result = CliRunner().invoke(main, ["ingest", "--db", path, "-q", str(bill)])
    assert result.exit_code == 0, result.output
    return path


@pytest.fixture
def db(tmp_path: Path) -> str:
    return ingested(tmp_path, focus_bill(tmp_path / "bill.csv"))


@pytest.fixture
def euro_db(tmp_path: Path) -> str:
    rows = [focus_row("2024-10-01", "80.00", tags=json.dumps({"team": "web"}))]
    rows[0]["BillingCurrency"] = "EUR"
    return ingested(tmp_path, write_csv(tmp_path / "eur.csv", rows))


def test_the_text_answer_says_its_reading_and_complete_through(db: str) -> None:
    words = ["what", "did", "ai-research", "spend", "in", "September", "2024?"]
    result = CliRunner().invoke(main, ["cost", "--db", db, *words])
    assert result.exit_code == 0, result.output
    assert "I read this as: team ai-research · 2024-09-01..2024-09-30" in result.output
    assert "$3,000.00" in result.output
    assert "complete through 2024-10-14" in result.output
    assert "data through" not in result.output


def test_json_carries_the_reading_and_keeps_its_keys(db: str) -> None:
    result = CliRunner().invoke(main, ["cost", "--db", db, "--json", "EC2 costs in Sept 2024"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["reading"] == "service Amazon Elastic Compute Cloud · 2024-09-01..2024-09-30"
    assert data["filters"] == {"service": "Amazon Elastic Compute Cloud"}
    assert data["total"] == "3352.50"  # 30 days of the three teams' instances


def test_ingest_prints_the_deliverys_currency(tmp_path: Path) -> None:
    rows = [focus_row("2024-10-01", "80.00")]
    rows[0]["BillingCurrency"] = "EUR"
    bill = write_csv(tmp_path / "eur.csv", rows)
    result = CliRunner().invoke(main, ["ingest", "--db", str(tmp_path / "e.db"), "-q", str(bill)])
    assert result.exit_code == 0, result.output
    assert "€80.00" in result.output and "$" not in result.output  # was "$80.00"


def test_the_cli_prints_the_answers_currency(euro_db: str) -> None:
    cost = CliRunner().invoke(main, ["cost", "--db", euro_db, "2024-10"])
    assert cost.exit_code == 0, cost.output
    assert "€80.00" in cost.output and "$" not in cost.output
    status = CliRunner().invoke(main, ["status", "--db", euro_db])
    assert status.exit_code == 0, status.output
    assert "€80.00" in status.output and "$" not in status.output  # was "$80.00"
    assert "complete through 2024-10-01" in status.output


def test_a_question_with_two_readings_lists_them_and_exits_2(tmp_path: Path) -> None:
    rows = [
        focus_row("2024-10-01", "5.00", tags=json.dumps({"team": "vision"})),
        focus_row("2024-10-01", "3.00", tags=json.dumps({"project": "vision"}), resource="i-2"),
    ]
    db = ingested(tmp_path, write_csv(tmp_path / "b.csv", rows))
    result = CliRunner().invoke(main, ["cost", "--db", db, "vision", "2024-10"])
    assert result.exit_code == 2
    assert "costbot cost team vision 2024-10" in result.output
    assert "costbot cost project vision 2024-10" in result.output


def test_an_empty_store_says_how_to_load_data(tmp_path: Path) -> None:
    path = str(tmp_path / "empty.db")
    assert CliRunner().invoke(main, ["status", "--db", path]).exit_code in (0, 1)
    from bot.costs.store import CostStore

    CostStore(Path(path)).close()
    result = CliRunner().invoke(main, ["cost", "--db", path, "by", "team"])
    assert result.exit_code == 1
    assert "no billing data yet" in result.output and "costbot ingest" in result.output
    assert "Traceback" not in result.output
