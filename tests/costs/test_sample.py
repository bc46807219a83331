"""The sample org has what the demo promises, and the writers' files add up to it exactly.

Files are read back with plain pyarrow and DuckDB only (never costbot's
readers), so a mistake in a writer cannot be hidden by the same mistake in a
reader.
"""

from __future__ import annotations

import csv
import gzip
import json
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest
from vendored import SPECS

from bot.costs.exports import (
    CUR2_SCHEMA,
    decimal_texts,
    focus_columns,
    write_cur2,
    write_cur_legacy,
    write_focus,
)
from bot.costs.lines import LINE_SCHEMA
from bot.costs.sample import (
    GPU_INSTANCE_TYPES,
    PRICES,
    generate_bench_org,
    generate_org,
    iter_bench_org,
)
from bot.money import decimal_text, from_nanos, to_nanos

END = date(2024, 10, 20)
DAYS = 120
TEAM_KEYS = ("team", "Team", "team_name")
AMORTIZED = """
CASE line_item_line_item_type
  WHEN 'SavingsPlanCoveredUsage' THEN savings_plan_savings_plan_effective_cost
  WHEN 'SavingsPlanRecurringFee'
    THEN savings_plan_total_commitment_to_date - savings_plan_used_commitment
  WHEN 'SavingsPlanNegation' THEN 0
  WHEN 'SavingsPlanUpfrontFee' THEN 0
  WHEN 'DiscountedUsage' THEN reservation_effective_cost
  WHEN 'RIFee' THEN reservation_unused_amortized_upfront_fee_for_billing_period
                    + reservation_unused_recurring_fee
  WHEN 'Fee' THEN CASE WHEN reservation_reservation_a_r_n <> '' THEN 0
                       ELSE line_item_unblended_cost END
  ELSE line_item_unblended_cost END
"""


@pytest.fixture(scope="module")
def org() -> pa.Table:
    """The demo's org, daily."""
    return generate_org(END, DAYS)


@pytest.fixture(scope="module")
def df(org: pa.Table) -> pd.DataFrame:
    """The org as pandas, with a day column and the team tag under any spelling."""
    frame = org.to_pandas()
    frame["day"] = frame["charge_start"].dt.date
    frame["team"] = frame["tags"].map(
        lambda tags: next((v for k, v in tags if k in TEAM_KEYS), None)
    )
    return frame


def total(table: pa.Table, column: str) -> int:
    """Sum an amount column exactly."""
    return int(np.sum(table.column(column).to_numpy(), dtype=np.int64))


# --- what the demo promises -------------------------------------------------------------


def test_the_table_is_exactly_the_canonical_schema_with_int64_amounts(org: pa.Table) -> None:
    assert org.schema.equals(LINE_SCHEMA)
    for column in ("billed", "effective", "list"):
        assert pc.max(pc.abs(org.column(column))).as_py() < 9_000_000 * 10**9  # doubles stay exact


def test_it_covers_at_least_90_days_ending_with_end(df: pd.DataFrame) -> None:
    days = sorted(df["day"].unique())
    assert days[-1] == END
    assert len(days) == DAYS >= 90
    assert set(df["billing_period"]) == {d.strftime("%Y-%m") for d in days}


def test_the_org_has_its_accounts_teams_regions_and_tag_spellings(df: pd.DataFrame) -> None:
    assert set(df["billing_account"]) == {"111111111111"}
    assert {"222222222222", "333333333333", "444444444444"} <= set(df["sub_account"])
    names = dict(zip(df["sub_account"], df["sub_account_name"], strict=True))
    assert names["222222222222"] == "ai-research-prod"
    assert {"ai-research", "ml-platform", "data-eng"} <= set(df["team"].dropna())
    keys = Counter(k for tags in df["tags"] for k, _ in tags)
    assert {"team", "project", "environment", "owner", "Team", "team_name"} <= set(keys)
    assert {"us-east-1", "us-west-2", "eu-west-1"} <= set(df["region"])
    assert set(df["provider"]) == {"AWS"} and set(df["currency"]) == {"USD"}


def test_gpu_instances_sagemaker_storage_and_transfer_are_billed(df: pd.DataFrame) -> None:
    usage = df[df["charge_category"] == "Usage"]
    ec2 = usage[usage["service_code"] == "AmazonEC2"]
    assert {"p4d.24xlarge", "p5.48xlarge", "g5.xlarge", "g5.12xlarge"} <= set(ec2["resource_type"])
    assert ec2["sku"].str.contains("SpotUsage:p4d.24xlarge").any()
    assert ec2["sku"].str.contains("BoxUsage:p5.48xlarge").any()
    sagemaker = usage[usage["service"] == "Amazon SageMaker"]
    assert (sagemaker["service_category"] == "AI and Machine Learning").all()
    assert sagemaker["resource_id"].str.startswith("arn:aws:sagemaker:").all()
    assert {"Storage", "Networking", "Management and Governance"} <= set(usage["service_category"])
    assert usage["sku"].str.endswith("DataTransfer-Out-Bytes").any()
    assert usage["sku"].str.endswith("EBS:VolumeUsage.gp3").any()


def test_prices_are_aws_on_demand_rates() -> None:
    hourly = generate_org(END, 30, granularity="hourly").to_pandas()
    box = hourly[
        (hourly["pricing_category"] == "Standard") & hourly["sku"].str.contains("BoxUsage")
    ]
    for itype, price in PRICES.items():
        if itype in set(box["resource_type"]):
            rows = box[box["resource_type"] == itype]
            assert set(rows["billed"]) <= {
                to_nanos(price),
                to_nanos(PRICES.get(f"{itype}@eu-west-1", price)),
            }


def test_training_is_heavier_on_weekdays(df: pd.DataFrame) -> None:
    training = df[(df["resource_type"] == "p4d.24xlarge") & (df["pricing_category"] == "Standard")]
    per_day = training.groupby("day")["billed"].sum()
    all_days = [END - timedelta(days=i) for i in range(DAYS)]
    per_day = per_day.reindex(all_days, fill_value=0)
    weekday = per_day[[d.weekday() < 5 for d in per_day.index]].mean()
    weekend = per_day[[d.weekday() >= 5 for d in per_day.index]].mean()
    assert weekday > 1.5 * weekend > 0


def test_support_fee_lands_on_the_first_of_every_month(df: pd.DataFrame) -> None:
    support = df[
        (df["service"] == "AWS Support (Business)") & (df["charge_category"] == "Purchase")
    ]
    firsts = sorted(d for d in set(df["day"]) if d.day == 1)
    assert len(firsts) >= 3
    assert sorted(support["day"]) == firsts
    assert (support["pricing_category"] == "Standard").all()
    assert (support["charge_start"].dt.hour == 0).all()
    assert (support["billed"] >= to_nanos(Decimal(100))).all()


def test_tax_is_monthly_and_credits_are_negative(df: pd.DataFrame) -> None:
    tax = df[df["charge_category"] == "Tax"]
    credits = df[df["charge_category"] == "Credit"]
    assert len(tax) > 0 and {d.day for d in tax["day"]} == {1}
    assert (tax["pricing_category"] == "").all()
    assert len(credits) > 0
    assert (credits["billed"] < 0).all() and (credits["effective"] < 0).all()


def test_untagged_usage_is_between_3_and_15_percent(df: pd.DataFrame) -> None:
    usage = df[df["charge_category"] == "Usage"]
    share = usage[usage["team"].isna()]["effective"].sum() / usage["effective"].sum()
    assert 0.03 <= share <= 0.15


def test_one_gpu_instance_idles_at_a_flat_24_hours_a_day(df: pd.DataFrame) -> None:
    last14 = {END - timedelta(days=i) for i in range(14)}
    gpu = df[
        df["resource_type"].isin(GPU_INSTANCE_TYPES)
        & (df["service_code"] == "AmazonEC2")
        & (df["pricing_category"] == "Standard")
    ]
    idle = []
    for rid, rows in gpu.groupby("resource_id"):
        recent = rows[rows["day"].isin(last14)]
        full_day = 24 * to_nanos(PRICES[rows["resource_type"].iloc[0]])
        if len(recent) == 14 and (recent["billed"] == full_day).all():
            idle.append((rid, rows))
    assert len(idle) == 1
    _, rows = idle[0]
    assert rows["team"].iloc[0] == "ml-platform"
    assert rows["day"].min() >= END - timedelta(days=28)  # started recently: an anomaly


def test_one_spike_day_costs_over_one_and_a_half_times_the_median(df: pd.DataFrame) -> None:
    usage = df[df["charge_category"] == "Usage"]
    per_day = usage.groupby("day")["billed"].sum()
    spike_day = per_day.idxmax()
    assert per_day.max() > 1.5 * per_day.median()
    assert END - timedelta(days=14) <= spike_day <= END - timedelta(days=7)
    p5 = usage[(usage["day"] == spike_day) & (usage["resource_type"] == "p5.48xlarge")]
    assert p5["billed"].sum() > 0.5 * per_day.max()


def test_a_full_month_costs_between_150k_and_400k(df: pd.DataFrame) -> None:
    months = df.groupby("billing_period")["billed"].sum() / 1e9
    full = [m for m in months.index if f"{m}-01" >= str(END - timedelta(days=DAYS - 1))]
    full = [m for m in full if m != END.strftime("%Y-%m")]
    assert full
    for m in full:
        assert 150_000 <= months[m] <= 400_000


def test_savings_plan_fee_and_covered_usage_reconcile_every_day(df: pd.DataFrame) -> None:
    plan = df[
        (df["pricing_category"] == "Committed")
        | (df["service_code"] == "ComputeSavingsPlans") & (df["charge_category"] == "Purchase")
    ]
    covered = plan[plan["charge_category"] == "Usage"]
    assert (covered["billed"] == 0).all()
    assert (covered["list"] > covered["effective"]).all()
    fee = plan[plan["charge_category"] == "Purchase"]
    assert (fee["effective"] < fee["billed"]).all()  # mostly used: unused part only
    daily = plan.groupby("day")[["billed", "effective"]].sum()
    assert (daily["billed"] == daily["effective"]).all()


def test_spot_is_billed_at_about_a_third_of_on_demand(df: pd.DataFrame) -> None:
    spot = df[df["pricing_category"] == "Dynamic"]
    assert spot["sku"].str.contains("SpotUsage").all()
    ratio = spot["billed"].sum() / spot["list"].sum()
    assert 0.28 <= ratio <= 0.42


def test_the_same_seed_gives_the_same_bill_and_another_seed_another(org: pa.Table) -> None:
    assert generate_org(END, DAYS).equals(org)
    assert not generate_org(END, DAYS, seed=8).equals(org)


def test_hourly_lines_add_up_to_the_daily_ones(org: pa.Table) -> None:
    hourly = generate_org(END, DAYS, granularity="hourly")
    assert org.num_rows < hourly.num_rows < 400_000
    for column in ("billed", "effective", "list"):
        assert total(hourly, column) == total(org, column)
    hours = pc.hour(hourly.column("charge_start"))
    assert pc.max(hours).as_py() == 23
    fees = hourly.filter(pc.is_in(hourly.column("charge_category"), pa.array(["Tax", "Credit"])))
    daily_fees = org.filter(pc.is_in(org.column("charge_category"), pa.array(["Tax", "Credit"])))
    assert fees.num_rows == daily_fees.num_rows  # single lines at their charge time


def test_a_too_short_window_or_unknown_granularity_is_refused() -> None:
    with pytest.raises(ValueError, match="28 days"):
        generate_org(END, 10)
    with pytest.raises(ValueError, match="granularity"):
        generate_org(END, 30, granularity="monthly")


# --- FOCUS files --------------------------------------------------------------------------


def focus_sums(path: Path) -> tuple[int, int, int]:
    """Sum BilledCost, EffectiveCost, ListCost of a FOCUS file exactly, with DuckDB."""
    if path.name.endswith(".parquet"):
        source = f"read_parquet('{path}')"
    else:
        source = f"read_csv('{path}', all_varchar=true, header=true)"
    row = (
        duckdb.connect()
        .execute(
            "SELECT "
            + ", ".join(
                f"SUM(CAST({c} AS DECIMAL(38, 10)))"
                for c in ("BilledCost", "EffectiveCost", "ListCost")
            )
            + f" FROM {source}"
        )
        .fetchone()
    )
    assert row is not None
    return tuple(to_nanos(Decimal(v)) for v in row)  # type: ignore[return-value]


@pytest.mark.parametrize("version", ["1.0", "1.1", "1.2"])
@pytest.mark.parametrize("fmt", ["csv", "csv.gz", "parquet"])
def test_focus_files_sum_to_the_truth_to_the_nano(
    org: pa.Table, tmp_path: Path, version: str, fmt: str
) -> None:
    path = write_focus(org, tmp_path / f"focus.{fmt}", version=version)
    assert focus_sums(path) == (total(org, "billed"), total(org, "effective"), total(org, "list"))
    names = pq.read_schema(path).names if fmt == "parquet" else _csv_header(path)
    assert names == focus_columns(version)
    if version == "1.0":
        assert not {"ServiceSubcategory", "InvoiceId", "SkuMeter", "PricingCurrency"} & set(names)
    if version == "1.2":
        assert {"InvoiceId", "PricingCurrency", "ServiceSubcategory"} <= set(names)


def _csv_header(path: Path) -> list[str]:
    opener = gzip.open if path.name.endswith(".gz") else open
    with opener(path, "rt", newline="") as fh:
        return next(csv.reader(fh))


@pytest.mark.parametrize("version", ["1.0", "1.1", "1.2"])
def test_focus_columns_follow_the_specification(version: str) -> None:
    order = {"0.5": 0, "1.0-preview": 1, "1.0": 2, "1.1": 3, "1.2": 4}
    with open(SPECS / "focus" / "columns.tsv", newline="") as fh:
        spec = {r["column"]: r["introduced"] for r in csv.DictReader(fh, delimiter="\t")}
    expected = [c for c, v in spec.items() if order[v] <= order[version]]
    assert [c for c in focus_columns(version) if not c.startswith("x_")] == expected


def test_focus_csv_has_exact_amounts_iso_times_and_json_tags(org: pa.Table, tmp_path: Path) -> None:
    path = write_focus(org, tmp_path / "focus.csv")
    rows = pacsv.read_csv(
        path,
        convert_options=pacsv.ConvertOptions(
            column_types=dict.fromkeys(focus_columns("1.2"), pa.string())
        ),
    ).to_pylist()
    first = rows[0]
    assert first["ChargePeriodStart"].endswith("T00:00:00Z")
    assert first["BillingPeriodStart"].endswith("-01T00:00:00Z")
    billed = [r["BilledCost"] for r in rows]
    assert billed == [decimal_text(v) for v in org.column("billed").to_pylist()]
    tags = [json.loads(r["Tags"]) for r in rows]
    keys = {k for t in tags for k in t}
    assert {"team", "project", "environment", "owner", "Team", "team_name"} <= keys
    assert {r["x_ServiceCode"] for r in rows} >= {"AmazonEC2", "AmazonSageMaker", "AmazonS3"}
    assert {r["ChargeFrequency"] for r in rows} == {"Usage-Based", "Recurring", "One-Time"}
    covered = [r for r in rows if r["PricingCategory"] == "Committed"]
    assert covered and all(
        r["CommitmentDiscountId"].startswith("arn:aws:savingsplans") for r in covered
    )
    tax = [r for r in rows if r["ChargeCategory"] == "Tax"]
    assert tax and all(r["PricingCategory"] in ("", None) for r in tax)


def test_focus_quirks_are_those_of_real_exports_and_still_sum_exactly(
    org: pa.Table, tmp_path: Path
) -> None:
    path = write_focus(org, tmp_path / "quirks.csv", quirks=True)
    text = path.read_text()
    assert '"NULL"' in text or ",NULL," in text
    with open(path, newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert " " in rows[0]["ChargePeriodStart"] and not rows[0]["ChargePeriodStart"].endswith("Z")
    assert {r["ChargeCategory"] for r in rows} == {"usage", "purchase", "tax", "credit"}
    assert sum(Decimal(r["BilledCost"]) for r in rows) == from_nanos(total(org, "billed"))


def test_focus_parquet_uses_decimal_amounts_and_utc_timestamps(
    org: pa.Table, tmp_path: Path
) -> None:
    schema = pq.read_schema(write_focus(org, tmp_path / "f.parquet"))
    assert pa.types.is_decimal(schema.field("BilledCost").type)
    assert schema.field("ChargePeriodStart").type == pa.timestamp("us", tz="UTC")


# --- CUR 2.0 ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def cur2_dir(org: pa.Table, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("cur2")
    write_cur2(org, out)
    return out


def test_cur2_files_use_the_cur2_column_names_and_types(cur2_dir: Path) -> None:
    files = sorted(cur2_dir.glob("*.parquet"))
    assert len(files) == len({f.name[5:12] for f in files}) >= 4  # one file per billing period
    schema = pq.read_schema(files[0])
    assert schema.equals(CUR2_SCHEMA)
    with open(SPECS / "cur2_columns.tsv", newline="") as fh:
        spec = {r["column"]: r["type"] for r in csv.DictReader(fh, delimiter="\t")}

    def athena(t: pa.DataType) -> str:
        if pa.types.is_map(t):
            return f"map<{athena(t.key_type)},{athena(t.item_type)}>"
        names = {pa.string(): "string", pa.float64(): "double", pa.timestamp("ms"): "timestamp"}
        return names[t]

    for field in schema:
        if field.name != "line_item_currency_code":  # a real CUR 2.0 column CID omits
            assert spec[field.name] == athena(field.type), field.name
    assert set(spec) - set(schema.names) == {"tags"}


def test_cur2_amortized_formula_gives_back_the_truth(org: pa.Table, cur2_dir: Path) -> None:
    glob = f"{cur2_dir}/*.parquet"
    exact = (
        duckdb.connect()
        .execute(
            f"""SELECT SUM(ROUND(line_item_unblended_cost * 1e9)::HUGEINT),
                   SUM(ROUND(({AMORTIZED}) * 1e9)::HUGEINT),
                   SUM(ROUND(COALESCE(pricing_public_on_demand_cost, 0) * 1e9)::HUGEINT),
                   ROUND(SUM({AMORTIZED}), 2)
            FROM read_parquet('{glob}')"""
        )
        .fetchone()
    )
    assert exact is not None
    billed, effective, lst, effective_float = exact
    assert (billed, effective, lst) == (
        total(org, "billed"),
        total(org, "effective"),
        total(org, "list"),
    )
    cents = from_nanos(total(org, "effective")).quantize(Decimal("0.01"))
    assert abs(Decimal(str(effective_float)) - cents) <= Decimal("0.01")


def test_cur2_line_types_negations_and_tags(org: pa.Table, cur2_dir: Path) -> None:
    con = duckdb.connect()
    glob = f"{cur2_dir}/*.parquet"
    kinds = dict(
        con.execute(
            f"SELECT line_item_line_item_type, COUNT(*) FROM read_parquet('{glob}') GROUP BY 1"
        ).fetchall()
    )
    committed = pc.sum(pc.equal(org.column("pricing_category"), "Committed")).as_py()
    assert kinds["SavingsPlanCoveredUsage"] == kinds["SavingsPlanNegation"] == committed
    assert {"Usage", "SavingsPlanRecurringFee", "Fee", "Tax", "Credit"} <= set(kinds)
    keys = {
        k
        for (k,) in con.execute(
            f"SELECT DISTINCT UNNEST(map_keys(resource_tags)) FROM read_parquet('{glob}')"
        ).fetchall()
    }
    assert {"user_team", "user_project", "user_Team", "user_team_name"} <= keys
    product = con.execute(
        f"""SELECT DISTINCT product['product_name'], line_item_product_code
            FROM read_parquet('{glob}') WHERE line_item_product_code = 'AmazonSageMaker'"""
    ).fetchall()
    assert product == [("Amazon SageMaker", "AmazonSageMaker")]
    spot = con.execute(
        f"""SELECT COUNT(*) FROM read_parquet('{glob}')
            WHERE line_item_usage_type LIKE '%SpotUsage%' AND line_item_line_item_type <> 'Usage'"""
    ).fetchone()
    assert spot == (0,)


def test_cur2_streams_many_tables_into_row_groups_and_files(tmp_path: Path) -> None:
    months = list(iter_bench_org(40, 300, end=date(2024, 3, 10), seed=3))
    files = write_cur2(iter(months), tmp_path / "cur2", rows_per_file=5_000)
    assert len(files) > len(months)  # split by period and by rows_per_file
    counts = [pq.ParquetFile(f).metadata.num_rows for f in files]
    assert max(counts) == 5_000
    rows = sum(counts)
    negations = sum(
        pc.sum(pc.equal(m.column("pricing_category"), "Committed")).as_py() or 0 for m in months
    )
    assert rows == sum(m.num_rows for m in months) + negations
    glob = f"{tmp_path}/cur2/*"
    query = f"SELECT SUM(ROUND(({AMORTIZED}) * 1e9)::HUGEINT) FROM read_parquet('{glob}')"
    got = duckdb.connect().execute(query).fetchone()
    assert got == (sum(total(m, "effective") for m in months),)
    single = write_cur2(months[0], tmp_path / "one.parquet")
    assert single == [tmp_path / "one.parquet"]


def test_cur2_refuses_lines_its_formula_cannot_express(org: pa.Table, tmp_path: Path) -> None:
    tax = org.filter(pc.equal(org.column("charge_category"), "Tax")).slice(0, 1)
    broken = tax.set_column(
        LINE_SCHEMA.get_field_index("effective"), "effective", pa.array([1], pa.int64())
    )
    with pytest.raises(ValueError, match="effective != billed"):
        write_cur2(broken, tmp_path / "x.parquet")


# --- legacy CUR ---------------------------------------------------------------------------


def test_legacy_cur_csv_sums_to_the_truth_with_per_key_tag_columns(
    org: pa.Table, tmp_path: Path
) -> None:
    path = write_cur_legacy(org, tmp_path / "cur.csv.gz")
    with gzip.open(path, "rt", newline="") as fh:
        rows = list(csv.DictReader(fh))
    header = set(rows[0])
    assert {
        "identity/LineItemId",
        "identity/TimeInterval",
        "bill/PayerAccountId",
        "bill/BillingPeriodStartDate",
        "lineItem/UsageAccountId",
        "lineItem/LineItemType",
        "lineItem/UsageStartDate",
        "lineItem/ProductCode",
        "lineItem/UsageType",
        "lineItem/ResourceId",
        "lineItem/UnblendedCost",
        "lineItem/CurrencyCode",
        "pricing/publicOnDemandCost",
        "savingsPlan/SavingsPlanEffectiveCost",
        "savingsPlan/TotalCommitmentToDate",
        "savingsPlan/UsedCommitment",
        "product/ProductName",
        "product/region",
        "product/instanceType",
        "resourceTags/user:team",
        "resourceTags/user:project",
        "resourceTags/user:Team",
        "resourceTags/user:team_name",
    } <= header

    def d(text: str) -> Decimal:
        return Decimal(text or "0")

    def amortized(r: dict[str, str]) -> Decimal:
        kind = r["lineItem/LineItemType"]
        if kind == "SavingsPlanCoveredUsage":
            return d(r["savingsPlan/SavingsPlanEffectiveCost"])
        if kind == "SavingsPlanRecurringFee":
            return d(r["savingsPlan/TotalCommitmentToDate"]) - d(r["savingsPlan/UsedCommitment"])
        return Decimal(0) if kind == "SavingsPlanNegation" else d(r["lineItem/UnblendedCost"])

    assert sum(d(r["lineItem/UnblendedCost"]) for r in rows) == from_nanos(total(org, "billed"))
    assert sum(amortized(r) for r in rows) == from_nanos(total(org, "effective"))
    assert sum(d(r["pricing/publicOnDemandCost"]) for r in rows) == from_nanos(total(org, "list"))
    interval = rows[0]["identity/TimeInterval"]
    start, end = interval.split("/")
    assert start == rows[0]["lineItem/UsageStartDate"] and end.endswith("T00:00:00Z")


def test_decimal_texts_render_nanos_as_money_does() -> None:
    values = [0, 1, -1, 123, 10**9, -(10**9), 1_234_500_000_000, 32_772_600_000, -5 * 10**8]
    values += list(np.random.default_rng(1).integers(-(10**15), 10**15, size=200))
    got = decimal_texts(np.array(values, dtype=np.int64)).to_pylist()
    assert got == [decimal_text(int(v)) for v in values]


# --- the bench org ------------------------------------------------------------------------


def test_bench_org_is_vectorised_canonical_and_mostly_tagged() -> None:
    end = date(2024, 6, 30)
    table = generate_bench_org(days=60, resources=500, end=end, seed=5)
    assert table.schema.equals(LINE_SCHEMA)
    usage = table.filter(pc.equal(table.column("charge_category"), "Usage"))
    assert usage.num_rows == 500 * 60
    ids = usage.column("resource_id")
    assert pc.count_distinct(ids).as_py() == 500
    tag_sets = {tuple(t) for t in usage.column("tags").to_pylist()}
    assert len(tag_sets) <= 30
    untagged = (
        pc.sum(
            pc.equal(
                pc.list_value_length(
                    usage.column("tags").cast(
                        pa.list_(pa.struct([("key", pa.string()), ("value", pa.string())]))
                    )
                ),
                0,
            )
        ).as_py()
        / usage.num_rows
    )
    assert 0.03 <= untagged <= 0.15
    starts = usage.column("charge_start")
    assert pc.max(starts).as_py() == datetime(2024, 6, 30, tzinfo=UTC)
    assert generate_bench_org(days=60, resources=500, end=end, seed=5).equals(table)
