"""`costbot chargeback | hints | unit` through click's CliRunner on the sample org's store."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from decimal import ROUND_HALF_EVEN, Decimal
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner
from economics_sample import SampleBill, build_sample_bill

from bot.cli import main


@pytest.fixture(scope="module")
def bill(tmp_path_factory: pytest.TempPathFactory) -> SampleBill:
    return build_sample_bill(tmp_path_factory.mktemp("sample"))


def run(bill: SampleBill, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, [*args, "--db", str(bill.store.path)])
    return result.exit_code, result.stdout, result.stderr


def month_total(bill: SampleBill, month: str, measure: str = "effective") -> Decimal:
    lines = bill.lines[bill.lines["month"] == month]
    exact = Decimal(sum(int(v) for v in lines[measure])).scaleb(-9)
    return exact.quantize(Decimal("0.01"), rounding=ROUND_HALF_EVEN)


def test_chargeback_json_is_exactly_the_documented_shape(bill: SampleBill) -> None:
    code, out, _ = run(bill, "chargeback", "2024-08", "--json")
    assert code == 0
    data = json.loads(out)
    assert list(data) == ["month", "currency", "measure", "total", "rows"]
    assert data["month"] == "2024-08" and data["currency"] == "USD"
    assert Decimal(data["total"]) == month_total(bill, "2024-08")
    assert sum(Decimal(r["total"]) for r in data["rows"]) == Decimal(data["total"])
    for row in data["rows"]:
        assert ",".join(row) == "team,direct,shared,total"
        assert Decimal(row["total"]) == Decimal(row["direct"]) + sum(
            Decimal(v) for v in row["shared"].values()
        )
    assert data["rows"][-1]["team"] is None


def test_chargeback_with_rules_writes_csv_and_parquet(bill: SampleBill, tmp_path: Path) -> None:
    rules = tmp_path / "rules.toml"
    rules.write_text(
        '[untagged]\nmode = "split"\n'
        '[[shared]]\nname = "platform"\nmatch = { account = "333333333333", untagged = true }\n'
        'split = "fixed"\npercentages = { ai-research = 70, ml-platform = 30 }\n'
    )
    out_csv = tmp_path / "cb.csv"
    code, out, _ = run(bill, "chargeback", "2024-09", "--rules", str(rules), "--csv", str(out_csv))
    assert code == 0, out
    assert "TOTAL" in out and "untagged spend is split" in out
    rows = list(csv.reader(out_csv.open()))
    assert rows[0] == ["team", "direct", "platform", "untagged", "total"]
    assert Decimal(rows[-1][-1]) == month_total(bill, "2024-09")
    shares = {r[0]: Decimal(r[2]) for r in rows[1:-1]}
    assert shares["data-eng"] == shares["web"] == 0  # the fixed split names two teams
    out_pq = tmp_path / "cb.parquet"
    code, _, _ = run(bill, "chargeback", "2024-09", "--rules", str(rules), "--parquet", str(out_pq))
    assert code == 0
    assert sum(pq.read_table(out_pq).column("total").to_pylist()) == month_total(bill, "2024-09")


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (("chargeback", "Sept"), 2, "MONTH must be YYYY-MM"),
        (("chargeback", "2024-09", "--csv", "a.csv", "--parquet", "b.pq"), 2, "not both"),
        (("chargeback", "2023-01"), 1, "no spend in the store for 2023-01"),
        (("chargeback", "2024-09", "--rules", "/nonexistent.toml"), 1, "not found"),
        (("unit", "sideways"), 2, "usage: unit"),
        (("chargeback", "2024-09", "--by", "colour"), 1, "tag keys in that month: environment"),
    ],
)
def test_mistakes_are_one_line_errors(
    bill: SampleBill, args: tuple[str, ...], code: int, message: str
) -> None:
    exit_code, _, err = run(bill, *args)
    assert exit_code == code
    assert message in err and "Traceback" not in err


def test_hints_json_ranks_by_saving_and_unit_json_has_runs(bill: SampleBill) -> None:
    code, out, _ = run(bill, "hints", "--json", "--no-cloudwatch")
    assert code == 0
    hints = json.loads(out)["hints"]
    savings = [Decimal(h["monthly_saving"]) for h in hints]
    assert savings == sorted(savings, reverse=True) and len(hints) >= 4
    assert {"spot", "commitment", "storage-tiering"} <= {h["kind"] for h in hints}
    assert all(h["evidence"] and h["confidence"] in ("high", "medium", "low") for h in hints)
    code, out, _ = run(bill, "unit", "team", "ai-research", "--json", "--no-cloudwatch")
    assert code == 0
    data = json.loads(out)
    assert {r["name"] for r in data["runs"]} >= {"ft-1008-c", "llama-ft", "llm-ft-1008-c"}
    assert [t["name"] for t in data["teams"]] == ["ai-research"]


FRESH = """
import json, sys
from click.testing import CliRunner
from bot.cli import main
from bot import economics
result = CliRunner().invoke(main, sys.argv[1:])
print(json.dumps({"exit": result.exit_code,
                  "hints": [s.__name__ for s in economics.HINT_SOURCES],
                  "utilisation": [s.__name__ for s in economics.UTILISATION_SOURCES]}))
"""


@pytest.mark.parametrize("command", ["hints", "unit"])
def test_the_cli_registers_the_gpu_sources_in_a_fresh_process(
    bill: SampleBill, command: str
) -> None:
    """The Slack app loads them with bot.gpu_ops; a `costbot hints` process must load them too."""
    out = subprocess.run(
        [
            sys.executable,
            "-c",
            FRESH,
            command,
            "--json",
            "--no-cloudwatch",
            "--db",
            str(bill.store.path),
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    seen = json.loads(out.stdout.strip().splitlines()[-1])
    assert seen["exit"] == 0
    assert {"idle_gpu_hints", "gpu_rightsizing_hints"} <= set(seen["hints"])
    assert seen["utilisation"] == ["cloudwatch_gpu_utilisation"]
