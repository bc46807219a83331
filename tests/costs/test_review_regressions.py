"""Regressions found in review: each test reproduces a bug that once lost or doubled money."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from builders import FOCUS_HEADER, focus_row, write_csv

from bot.costs.exports import write_cur2, write_cur_legacy
from bot.costs.grammar import QueryParseError, Vocabulary, parse
from bot.costs.ingest import ingest
from bot.costs.model import PeriodSpec
from bot.costs.periods import resolve
from bot.costs.query import CostQueryEngine
from bot.costs.readers.common import IngestError
from bot.costs.sample import generate_org
from bot.costs.store import CostStore
from bot.money import to_nanos


def run(store: CostStore, *paths: Path | str) -> object:
    return ingest(store, [str(p) for p in paths], allocation_tags=("team",), aliases={})


def billed_by_period(store: CostStore) -> dict[str, int]:
    return dict(
        store.conn.execute(
            "SELECT billing_period, SUM(billed_total) FROM charges GROUP BY 1"
        ).fetchall()
    )


def test_the_same_bill_in_two_layouts_in_one_run_is_refused(
    tmp_path: Path, store: CostStore
) -> None:
    truth = generate_org(date(2024, 10, 20), 30)
    write_cur2(truth, tmp_path / "bill")
    write_cur_legacy(truth, tmp_path / "bill" / "legacy.csv.gz")
    with pytest.raises(IngestError, match="several layouts"):
        run(store, tmp_path / "bill")
    assert billed_by_period(store) == {}


def test_a_file_named_twice_is_read_once(tmp_path: Path, store: CostStore) -> None:
    (tmp_path / "d").mkdir()
    path = write_csv(tmp_path / "d" / "a.csv", [focus_row("2024-09-01", "100.00")])
    run(store, tmp_path / "d", path)
    assert billed_by_period(store) == {"2024-09": to_nanos(Decimal("100"))}


def test_a_billing_period_start_with_an_offset_is_the_month_as_written(
    tmp_path: Path, store: CostStore
) -> None:
    run(store, write_csv(tmp_path / "sep.csv", [focus_row("2024-09-10", "100.00")]))
    october = focus_row("2024-10-02", "5.00")
    october["BillingPeriodStart"] = "2024-10-01T00:00:00+02:00"
    run(store, write_csv(tmp_path / "oct.csv", [october]))
    assert billed_by_period(store) == {
        "2024-09": to_nanos(Decimal(100)),
        "2024-10": to_nanos(Decimal(5)),
    }


def test_null_timestamps_and_amounts_in_parquet_are_bad_rows(
    tmp_path: Path, store: CostStore
) -> None:
    rows = [
        focus_row("2024-09-01", "1.00"),
        focus_row("2024-09-02", "2.00"),
        focus_row("2024-09-03", "4.00"),
    ]
    table = pa.table({c: [r[c] for r in rows] for c in FOCUS_HEADER})
    starts = pa.array(
        [datetime(2024, 9, 1, tzinfo=UTC), None, datetime(2024, 9, 3, tzinfo=UTC)],
        pa.timestamp("us", tz="UTC"),
    )
    billed = pa.array([1.0, 2.0, None])
    table = table.set_column(
        table.column_names.index("ChargePeriodStart"), "ChargePeriodStart", starts
    )
    table = table.set_column(table.column_names.index("BilledCost"), "BilledCost", billed)
    pq.write_table(table, tmp_path / "f.parquet")
    result = run(store, tmp_path / "f.parquet")
    reasons = sorted(b.reason for b in result.files[0].bad_rows)  # type: ignore[attr-defined]
    assert reasons == ["missing amount", "missing timestamp"]
    assert billed_by_period(store) == {"2024-09": to_nanos(Decimal(1))}


def test_amounts_too_large_to_sum_exactly_are_refused_not_wrapped(
    tmp_path: Path, store: CostStore
) -> None:
    huge = [focus_row("2024-09-01", "9000000000"), focus_row("2024-09-01", "9000000000")]
    with pytest.raises(IngestError, match="sum exactly"):
        run(store, write_csv(tmp_path / "h.csv", huge))
    beyond = [focus_row("2024-09-01", "12345678901.5"), focus_row("2024-09-02", "1.00")]
    result = run(store, write_csv(tmp_path / "b.csv", beyond))
    (bad,) = result.files[0].bad_rows  # type: ignore[attr-defined]
    assert bad.row == 1 and "9.2 billion" in bad.reason


def test_month_to_date_before_any_data_this_month_compares_nothing() -> None:
    window = resolve(PeriodSpec("mtd"), date(2024, 10, 1), date(2024, 9, 30))
    assert (window.start, window.end) == (date(2024, 10, 1), date(2024, 10, 1))
    assert window.previous_end < window.previous_start  # an empty comparison, not a whole day


def test_one_account_is_one_group_even_when_some_lines_lack_its_name(
    tmp_path: Path, store: CostStore
) -> None:
    tax = focus_row("2024-09-01", "14.00", category="Tax")
    tax["SubAccountName"] = ""
    run(store, write_csv(tmp_path / "a.csv", [focus_row("2024-09-01", "140.00"), tax]))
    for use_cube in (True, False):
        engine = CostQueryEngine(
            store,
            allocation_tags=("team",),
            use_cube=use_cube,
            clock=lambda: datetime(2024, 9, 2, tzinfo=UTC),
        )
        answer = engine.answer(parse("by account 2024-09", engine.vocabulary()))  # type: ignore[arg-type]
        assert [(g.key, g.cost) for g in answer.groups] == [
            ("research (222222222222)", to_nanos(Decimal(154)))
        ]


@pytest.mark.parametrize("text", ["0001-01", "0001-01-01..0001-01-02", "9999-12"])
def test_years_out_of_range_are_a_parse_error(text: str) -> None:
    with pytest.raises(QueryParseError, match="years from"):
        parse(text, Vocabulary())


def test_the_vocabulary_follows_every_ingest(tmp_path: Path, store: CostStore) -> None:
    engine = CostQueryEngine(store, allocation_tags=("team",))
    run(store, write_csv(tmp_path / "a.csv", [focus_row("2024-09-01", "1", tags='{"team":"a"}')]))
    assert engine.vocabulary().tag_values["team"] == ["a"]
    run(store, write_csv(tmp_path / "b.csv", [focus_row("2024-09-01", "1", tags='{"team":"b"}')]))
    assert engine.vocabulary().tag_values["team"] == ["b"]


def test_bad_rows_are_numbered_as_records_in_the_file(tmp_path: Path, store: CostStore) -> None:
    rows = [focus_row(f"2024-09-0{d}", "1.00") for d in range(1, 6)]
    rows[3]["BilledCost"] = "lots"  # record 4 in the file once the short line is back
    path = write_csv(tmp_path / "n.csv", rows[:1] + rows[1:])
    lines = path.read_text().splitlines()
    lines.insert(2, "short,line")  # record 2
    path.write_text("\n".join(lines) + "\n")
    result = run(store, path)
    got = [(b.row, b.column) for b in result.files[0].bad_rows]  # type: ignore[attr-defined]
    assert got == [(2, "*"), (5, "BilledCost")]


def test_strict_names_the_first_bad_row_of_the_file(tmp_path: Path, store: CostStore) -> None:
    rows = [focus_row("2024-09-01", "oops")] + [focus_row("2024-09-02", "1.00")] * 3
    for r in rows[1:]:
        r["ChargePeriodStart"] = "yesterday"
    with pytest.raises(IngestError, match=r"row 1, column BilledCost"):
        ingest(
            store,
            [str(write_csv(tmp_path / "s.csv", rows))],
            allocation_tags=("team",),
            aliases={},
            strict=True,
        )
