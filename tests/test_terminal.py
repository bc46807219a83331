"""Terminal output: aligned tables whatever the header width, rich on a terminal, plain when
piped, and ingest progress that covers the SQLite write."""

from __future__ import annotations

import io
import re
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from rich.console import Console
from tests_support import focus_bill

sys.path.insert(0, str(Path(__file__).parent / "blocks"))

from answer_factory import dollars, make_answer
from builders import focus_row, write_csv

from bot.cli import main
from bot.costs.model import CostQuery, GroupCost, PeriodSpec
from bot.terminal import IngestProgress, stdout_tables, table_renderer
from bot.text_report import answer_text, plain_table

MONEY = re.compile(r"\$[\d,]+\.\d\d")


def by(dimension: str, *keys: str) -> object:
    groups = tuple(GroupCost(k, dollars("1234.50") // (i + 1)) for i, k in enumerate(keys))
    query = CostQuery(group_by=dimension, period=PeriodSpec("last_month"))
    return make_answer(query, total=sum(g.cost for g in groups), groups=groups)


def right_edges(text: str, header: str) -> set[int]:
    """Where the cost column ends on the header line and on every row below it."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.lstrip().startswith(header))
    edges = {lines[start].index("cost") + len("cost")}
    for line in lines[start + 1 :]:
        if not line.strip():
            break
        found = MONEY.search(line)
        if found:
            edges.add(found.end())
    return edges


@pytest.mark.parametrize(
    ("dimension", "keys"),
    [
        ("pricing", ("OD", "SP", "RI")),  # header wider than every key: shifted before
        ("team", ("ai-research", "ml-platform-with-a-long-name")),
        ("resource", ("i-0123456789abcdef0" * 4,)),  # cut at 60 characters
    ],
)
def test_group_columns_stay_aligned_whatever_the_header_width(
    dimension: str, keys: tuple[str, ...]
) -> None:
    text = answer_text(by(dimension, *keys))  # type: ignore[arg-type]
    assert len(right_edges(text, dimension)) == 1, text


def test_on_a_terminal_rich_draws_the_table_aligned() -> None:
    console = Console(file=io.StringIO(), force_terminal=True, width=120, color_system=None)
    render = table_renderer(console)
    assert render is not plain_table
    text = answer_text(by("pricing", "OD", "Savings Plan"), render)  # type: ignore[arg-type]
    assert "Savings Plan" in text and len(right_edges(text, "pricing")) == 1, text


def test_not_on_a_terminal_the_table_is_plain_text() -> None:
    console = Console(file=io.StringIO())
    assert table_renderer(console) is plain_table
    text = answer_text(by("pricing", "OD"), table_renderer(console))  # type: ignore[arg-type]
    assert "\x1b[" not in text


def test_ingest_reports_every_phase_including_the_store_write_when_piped(
    tmp_path: Path,
) -> None:
    bill = focus_bill(tmp_path / "bill.csv")
    result = CliRunner().invoke(main, ["ingest", "--db", str(tmp_path / "s.db"), str(bill)])
    assert result.exit_code == 0, result.output
    phases = result.stderr.splitlines()
    assert phases == ["reading the exports", "rolling up by day and group", "writing to the store"]
    assert "\x1b[" not in result.output + result.stderr  # plain text: no terminal codes


def test_ingest_progress_on_a_terminal_is_live_and_quiet_means_silent() -> None:
    out = io.StringIO()
    console = Console(file=out, force_terminal=True, width=100, color_system=None)
    with IngestProgress(console) as shown:
        shown.rows(1_000, 0.5)
        shown.phase("writing to the store")
    assert out.getvalue()  # drawn (and cleared: transient)
    silent = io.StringIO()
    with IngestProgress(Console(file=silent), quiet=True) as shown:
        shown.phase("writing to the store")
    assert silent.getvalue() == ""


def test_status_columns_stay_aligned_whatever_the_account_id_length(tmp_path: Path) -> None:
    db = str(tmp_path / "s.db")
    for account in ("111111111111", "a-management-account-with-a-long-name"):
        bill = write_csv(
            tmp_path / f"{account}.csv",
            [focus_row("2024-10-01", "1234.50", account=account, resource=f"i-{account}")],
        )
        assert CliRunner().invoke(main, ["ingest", "--db", db, "-q", str(bill)]).exit_code == 0
    result = CliRunner().invoke(main, ["status", "--db", db])
    assert result.exit_code == 0, result.output
    edges = {m.end() for line in result.output.splitlines() if (m := MONEY.search(line))}
    assert len(edges) == 1, result.output  # before: the long account pushed the figure right


class _Stdout(io.StringIO):
    def __init__(self, tty: bool) -> None:
        super().__init__()
        self.tty = tty

    def isatty(self) -> bool:
        return self.tty


def test_standard_output_gets_plain_text_unless_it_is_a_terminal(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(sys, "stdout", _Stdout(tty=False))
    assert stdout_tables() is plain_table  # rich is not asked (nor imported, tests/test_startup)
    monkeypatch.setattr(sys, "stdout", _Stdout(tty=True))
    for var in ("TTY_COMPATIBLE", "FORCE_COLOR"):
        monkeypatch.delenv(var, raising=False)
    assert stdout_tables() is not plain_table
