"""FOCUS ingestion: exact totals, quirks of real exports, bad input, idempotence."""

from __future__ import annotations

import sqlite3
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from builders import decimal_column_sum, focus_row, write_csv
from conftest import FOCUS_EXAMPLES

from bot.costs.ingest import ingest
from bot.costs.readers.common import IngestError
from bot.costs.store import CostStore
from bot.money import from_nanos

SCENARIOS = sorted((FOCUS_EXAMPLES / "commitment_discount_scenarios").glob("*.csv")) + sorted(
    (FOCUS_EXAMPLES / "commitment_discount_flexibility").glob("*.csv")
)
SAAS = sorted((FOCUS_EXAMPLES / "saas_examples").rglob("*.csv"))


def run(store: CostStore, *paths: Path, **kw: object) -> object:
    return ingest(store, [str(p) for p in paths], allocation_tags=("team",), aliases={}, **kw)


def stored_totals(store: CostStore) -> tuple[Decimal, Decimal, Decimal]:
    row = store.conn.execute(
        "SELECT SUM(billed_total), SUM(effective_total), SUM(list_total) FROM charges"
    ).fetchone()
    return tuple(from_nanos(int(v or 0)) for v in row)  # type: ignore[return-value]


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_commitment_scenarios_reconcile_billed_and_effective_to_the_cent(
    store: CostStore, path: Path
) -> None:
    run(store, path)
    billed, effective, _ = stored_totals(store)
    assert billed == decimal_column_sum(path, "BilledCost")
    assert effective == decimal_column_sum(path, "EffectiveCost")


def test_commitment_purchase_is_billed_but_amortized_to_zero_effective(store: CostStore) -> None:
    run(
        store,
        FOCUS_EXAMPLES
        / "commitment_discount_scenarios"
        / "commitment_discount_purchase_scenario_1.csv",
    )
    billed, effective, _ = stored_totals(store)
    assert (billed, effective) == (Decimal("8760.00"), Decimal(0))


def test_the_cube_and_the_detail_hold_the_same_amounts(store: CostStore) -> None:
    run(store, *SCENARIOS[:3])
    detail = store.conn.execute(
        "SELECT SUM(billed_total), SUM(effective_total) FROM charges"
    ).fetchone()
    cube = store.conn.execute(
        "SELECT SUM(billed), SUM(effective) FROM daily_group_costs"
    ).fetchone()
    assert detail == cube


@pytest.mark.parametrize("path", SAAS, ids=lambda p: p.stem)
def test_spreadsheet_formatted_exports_get_a_clear_error_not_a_guess(
    store: CostStore, path: Path
) -> None:
    with pytest.raises(IngestError) as err:
        run(store, path)
    text = str(err.value)
    assert path.name in text
    assert "spreadsheet" in text
    assert "row 1" in text
    assert store.conn.execute("SELECT COUNT(*) FROM charges").fetchone()[0] == 0


def test_dollar_amounts_are_named_with_file_row_and_column(
    tmp_path: Path, store: CostStore
) -> None:
    path = write_csv(
        tmp_path / "bill.csv",
        [
            focus_row("2024-09-01", "10.00"),
            focus_row("2024-09-02", "$1,000.00"),
            focus_row("2024-09-03", "2.50"),
        ],
    )
    result = run(store, path)
    assert result.rows_skipped == 1
    (bad,) = result.files[0].bad_rows
    assert (bad.file, bad.row, bad.column) == (str(path), 2, "BilledCost")
    assert "spreadsheet-formatted" in bad.reason
    assert stored_totals(store)[0] == Decimal("12.50")


def test_strict_stops_at_the_first_bad_row_and_leaves_the_store_as_it_was(
    tmp_path: Path, store: CostStore
) -> None:
    good = write_csv(tmp_path / "good.csv", [focus_row("2024-08-01", "5.00")])
    run(store, good)
    bad = write_csv(
        tmp_path / "bad.csv",
        [
            focus_row("2024-08-01", "7.00"),
            focus_row("2024-08-02", "seven"),
        ],
    )
    with pytest.raises(IngestError, match=r"bad.csv: row 2, column BilledCost"):
        run(store, bad, strict=True)
    assert stored_totals(store)[0] == Decimal("5.00")


def test_a_failure_mid_run_rolls_everything_back(tmp_path: Path, store: CostStore) -> None:
    first = write_csv(tmp_path / "a.csv", [focus_row("2024-08-01", "5.00")])
    run(store, first)
    newer = write_csv(tmp_path / "b.csv", [focus_row("2024-08-01", "9.00")])
    unreadable = tmp_path / "c.csv"
    unreadable.write_text("just,some\n1,2\n")
    with pytest.raises(IngestError, match="unknown layout"):
        run(store, newer, unreadable)
    assert stored_totals(store)[0] == Decimal("5.00")


def test_unknown_layout_names_the_expected_columns(tmp_path: Path, store: CostStore) -> None:
    path = tmp_path / "x.csv"
    path.write_text("date,amount\n2024-01-01,3\n")
    with pytest.raises(IngestError) as err:
        run(store, path)
    msg = str(err.value)
    assert "x.csv" in msg and "BilledCost" in msg and "line_item_unblended_cost" in msg


def test_missing_required_focus_column_is_named(tmp_path: Path, store: CostStore) -> None:
    path = tmp_path / "f.csv"
    path.write_text("BilledCost,ChargePeriodStart\n1,2024-01-01T00:00:00Z\n")
    with pytest.raises(IngestError, match="EffectiveCost"):
        run(store, path)


def test_reingesting_the_same_file_does_not_double_count(tmp_path: Path, store: CostStore) -> None:
    path = write_csv(tmp_path / "bill.csv", [focus_row("2024-09-01", "10.00")])
    run(store, path)
    second = run(store, path)
    assert stored_totals(store)[0] == Decimal("10.00")
    assert second.deliveries[0].replaced


def test_a_newer_delivery_replaces_the_whole_billing_period(
    tmp_path: Path, store: CostStore
) -> None:
    old = write_csv(
        tmp_path / "v1.csv",
        [
            focus_row("2024-09-01", "10.00"),
            focus_row("2024-09-02", "10.00"),
            focus_row("2024-10-01", "1.00"),
        ],
    )
    run(store, old)
    restated = write_csv(tmp_path / "v2.csv", [focus_row("2024-09-01", "12.34")])
    run(store, restated)
    rows = dict(
        store.conn.execute(
            "SELECT billing_period, SUM(billed_total) FROM charges GROUP BY 1"
        ).fetchall()
    )
    assert rows == {"2024-09": 12_340_000_000, "2024-10": 1_000_000_000}


def test_hourly_rows_roll_up_to_one_row_per_resource_day(tmp_path: Path, store: CostStore) -> None:
    rows = []
    for hour in range(24):
        r = focus_row("2024-09-01", "0.333333333")
        r["ChargePeriodStart"] = f"2024-09-01T{hour:02d}:00:00Z"
        rows.append(r)
    run(store, write_csv(tmp_path / "hourly.csv", rows))
    assert store.conn.execute(
        "SELECT COUNT(*), days, billed_total, lines FROM charges"
    ).fetchone() == (
        1,
        1,
        24 * 333_333_333,
        24,
    )


def test_real_export_quirks_are_normalised_and_reported(tmp_path: Path, store: CostStore) -> None:
    r = focus_row("2024-09-01", "1.10", tags='{"Team": "ai-research"}')
    r.update(
        ChargePeriodStart="2024-09-01 05:00:00",
        ChargeCategory="usage",
        PricingCategory="NULL",
        ResourceId="NULL",
    )
    result = run(store, write_csv(tmp_path / "q.csv", [r]))
    notes = " ".join(result.files[0].notes)
    assert "'usage' read as 'Usage'" in notes
    row = store.conn.execute(
        "SELECT g.charge_category, g.pricing_category, k.resource_id FROM charges k "
        "JOIN cost_groups g ON g.id = k.group_id"
    ).fetchone()
    assert row == ("Usage", "", "")
    assert store.conn.execute("SELECT key, value FROM tags").fetchall() == [("team", "ai-research")]


def test_tag_values_never_reach_sql_text(tmp_path: Path, store: CostStore) -> None:
    evil = "x'); DROP TABLE charges; --"
    run(
        store,
        write_csv(
            tmp_path / "e.csv",
            [
                focus_row(
                    "2024-09-01", "1.00", tags='{"team": "' + evil.replace('"', '\\"') + '"}'
                ),
            ],
        ),
    )
    assert store.conn.execute("SELECT value FROM tags").fetchone()[0] == evil
    assert store.conn.execute("SELECT COUNT(*) FROM charges").fetchone()[0] == 1


def test_opening_something_that_is_not_a_store_is_a_clear_error(tmp_path: Path) -> None:
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"definitely not sqlite" * 100)
    from bot.errors import StoreError

    with pytest.raises(StoreError, match="not a costbot store"):
        CostStore(junk)
    assert isinstance(sqlite3.sqlite_version, str)


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("truncated.parquet", b"PAR1" + b"\x00" * 64),
        ("broken.csv.gz", b"\x1f\x8b\x08\x00garbage-not-gzip"),
        ("empty.csv", b""),
    ],
)
def test_an_undecodable_file_is_named_in_a_clear_error(
    tmp_path: Path, store: CostStore, name: str, content: bytes
) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(IngestError) as err:
        run(store, path)
    assert name in str(err.value)


def test_a_header_only_file_stores_nothing_and_says_so(tmp_path: Path, store: CostStore) -> None:
    path = write_csv(tmp_path / "header.csv", [])
    with pytest.raises(IngestError, match="no cost rows"):
        run(store, path)


def test_a_short_csv_line_is_a_bad_row_not_a_failed_file(tmp_path: Path, store: CostStore) -> None:
    path = write_csv(
        tmp_path / "b.csv", [focus_row("2024-09-01", "1.00"), focus_row("2024-09-02", "2.00")]
    )
    lines = path.read_text().splitlines()
    lines.insert(2, "2024,short,line")
    path.write_text("\n".join(lines) + "\n")
    result = run(store, path)
    assert result.rows_skipped == 1
    assert "expected" in result.files[0].bad_rows[0].reason
    assert stored_totals(store)[0] == Decimal("3.00")


def test_offsets_and_impossible_dates_are_handled(tmp_path: Path, store: CostStore) -> None:
    late = focus_row("2024-09-01", "1.00")
    late["ChargePeriodStart"] = "2024-09-01T23:30:00-02:00"  # 01:30 UTC on Sept 2
    impossible = focus_row("2024-09-01", "5.00")
    impossible["ChargePeriodStart"] = "2024-02-30T00:00:00Z"
    result = run(store, write_csv(tmp_path / "t.csv", [late, impossible]))
    (bad,) = result.files[0].bad_rows
    assert "2024-02-30" in bad.reason
    row = store.conn.execute("SELECT first_day FROM charges").fetchone()
    assert row[0] == (date(2024, 9, 2) - date(1970, 1, 1)).days
