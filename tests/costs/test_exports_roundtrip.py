"""Every export layout the sample can be written as reconciles with the truth, to the nano.

The sample generator's canonical table is the truth; the writers produce real
export files (FOCUS 1.0/1.1/1.2 as CSV, CSV.gz and Parquet, CUR 2.0 Parquet,
legacy CUR CSV.gz); costbot's readers ingest them; the store must answer with
exactly the truth's sums, overall, per billing period and per team.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from bot.costs.exports import write_cur2, write_cur_legacy, write_focus
from bot.costs.ingest import ingest
from bot.costs.query import CostQueryEngine
from bot.costs.sample import generate_org
from bot.costs.store import CostStore
from bot.settings import DEFAULT_ALIASES

END = date(2024, 10, 20)


@pytest.fixture(scope="module")
def truth() -> pa.Table:
    """95 days of the sample org, daily."""
    return generate_org(END, 95, seed=11)


def sums_by_period(table: pa.Table) -> dict[str, tuple[int, int, int]]:
    """Sum the truth per billing period, in exact int64."""
    out = {}
    for period in sorted(set(table.column("billing_period").to_pylist())):
        part = table.filter(pc.equal(table.column("billing_period"), period))
        out[period] = tuple(
            int(np.sum(part.column(c).to_numpy())) for c in ("billed", "effective", "list")
        )
    return out


def team_of(tags: list[tuple[str, str]] | None) -> str | None:
    for k, v in tags or []:
        if k.lower() in ("team", "team_name") and v:
            return v
    return None


WRITERS: dict[str, Callable[[pa.Table, Path], object]] = {
    "focus-1.0-csv": lambda t, d: write_focus(t, d / "f.csv", version="1.0"),
    "focus-1.1-csv.gz": lambda t, d: write_focus(t, d / "f.csv.gz", version="1.1"),
    "focus-1.2-parquet": lambda t, d: write_focus(t, d / "f.parquet", version="1.2"),
    "focus-1.2-quirks": lambda t, d: write_focus(t, d / "q.csv", version="1.2", quirks=True),
    "cur2-parquet": lambda t, d: write_cur2(t, d / "cur2"),
    "legacy-cur-csv.gz": lambda t, d: write_cur_legacy(t, d / "cur.csv.gz"),
}


@pytest.mark.parametrize("layout", list(WRITERS))
def test_each_layout_reconciles_with_the_truth(
    truth: pa.Table, tmp_path: Path, store: CostStore, layout: str
) -> None:
    out = tmp_path / "export"
    out.mkdir()
    WRITERS[layout](truth, out)
    result = ingest(store, [str(out)], allocation_tags=("team", "project"), aliases=DEFAULT_ALIASES)
    assert result.rows_skipped == 0, result.files[0].bad_rows[:3]
    got = {d.billing_period: (d.billed, d.effective, d.list) for d in result.deliveries}
    assert got == sums_by_period(truth)


def test_team_totals_match_the_truth_whatever_the_tag_spelling(
    truth: pa.Table, tmp_path: Path, store: CostStore
) -> None:
    write_cur2(truth, tmp_path / "cur2")
    ingest(
        store,
        [str(tmp_path / "cur2")],
        allocation_tags=("team", "project"),
        aliases=DEFAULT_ALIASES,
    )
    engine = CostQueryEngine(
        store, allocation_tags=("team", "project"), clock=lambda: datetime(2024, 10, 21, tzinfo=UTC)
    )
    from bot.costs.grammar import parse

    query = parse(
        f"by team top 50 {truth.column('billing_period')[0]}-01..{END}", engine.vocabulary()
    )
    expected: dict[str, int] = {}
    teams = [team_of(t) for t in truth.column("tags").to_pylist()]
    for team, cost in zip(teams, truth.column("effective").to_pylist(), strict=True):
        key = team or "(no team tag)"
        expected[key] = expected.get(key, 0) + cost
    answer = engine.answer(query)  # type: ignore[arg-type]
    assert {g.key: g.cost for g in answer.groups} == {k: v for k, v in expected.items() if v}


@pytest.mark.parametrize("layout", ["focus-1.2-parquet", "cur2-parquet", "legacy-cur-csv.gz"])
def test_charge_and_pricing_categories_match_the_truth(
    truth: pa.Table, tmp_path: Path, store: CostStore, layout: str
) -> None:
    out = tmp_path / "export"
    out.mkdir()
    WRITERS[layout](truth, out)
    ingest(store, [str(out)], allocation_tags=("team",), aliases=DEFAULT_ALIASES)
    for column, dim in (("charge_category", "charge"), ("pricing_category", "pricing")):
        expected: dict[str, int] = {}
        for key, cost in zip(
            truth.column(column).to_pylist(), truth.column("billed").to_pylist(), strict=True
        ):
            name = key or "(none)"
            expected[name] = expected.get(name, 0) + cost
        rows = store.conn.execute(
            f"SELECT g.{column}, SUM(d.billed) FROM daily_group_costs d "
            "JOIN cost_groups g ON g.id = d.group_id GROUP BY 1"
        ).fetchall()
        got = {(k or "(none)"): int(v) for k, v in rows}
        assert got == expected, dim
