"""CUR 2.0 Parquet and legacy CUR CSV: amortized cost, categories, one tag however spelled."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import boto3
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from builders import write_csv
from moto.server import ThreadedMotoServer

from bot.aws.s3_exports import S3ExportSource, S3ReadError
from bot.costs.grammar import parse
from bot.costs.ingest import ingest
from bot.costs.query import CostQueryEngine
from bot.costs.store import CostStore
from bot.money import from_nanos, to_nanos

# (line type, usage type, unblended, sp effective, sp commitment, sp used, public, tags)
LINES = [
    (
        "Usage",
        "USE1-BoxUsage:p4d.24xlarge",
        "32.7726",
        None,
        None,
        None,
        "32.7726",
        {"user_team": "ai-research"},
    ),
    (
        "Usage",
        "USE1-SpotUsage:g5.xlarge",
        "0.3018",
        None,
        None,
        None,
        "1.006",
        {"user_Team": "ml-platform"},
    ),
    (
        "SavingsPlanCoveredUsage",
        "USE1-BoxUsage:p5.48xlarge",
        "98.32",
        "61.95",
        None,
        None,
        "98.32",
        {"user_team": "ai-research", "user_project": "llm-training"},
    ),
    (
        "SavingsPlanNegation",
        "USE1-BoxUsage:p5.48xlarge",
        "-98.32",
        None,
        None,
        None,
        None,
        {"user_team": "ai-research"},
    ),
    (
        "SavingsPlanRecurringFee",
        "ComputeSP:1yrNoUpfront",
        "70.00",
        None,
        "70.00",
        "61.95",
        None,
        {},
    ),
    ("Tax", "Tax", "12.34", None, None, None, None, {}),
    ("Credit", "Credit", "-5.00", None, None, None, None, {}),
]


def expected(kind: str) -> Decimal:
    """Compute the expected total independently, with Decimal and the CID amortized formula."""
    total = Decimal(0)
    for lt, _, unblended, sp_eff, sp_commit, sp_used, public, _ in LINES:
        if kind == "billed":
            total += Decimal(unblended)
        elif kind == "list":
            total += Decimal(public or 0)
        elif lt == "SavingsPlanCoveredUsage":
            total += Decimal(sp_eff or 0)
        elif lt == "SavingsPlanRecurringFee":
            total += Decimal(sp_commit or 0) - Decimal(sp_used or 0)
        elif lt == "SavingsPlanNegation":
            pass
        else:
            total += Decimal(unblended)
    return total


def write_cur2(path: Path) -> Path:
    def f(v: str | None) -> float | None:
        return float(v) if v is not None else None

    ts = datetime(2024, 9, 3, 10, tzinfo=UTC)
    table = pa.table(
        {
            "bill_billing_period_start_date": [datetime(2024, 9, 1, tzinfo=UTC)] * len(LINES),
            "bill_payer_account_id": ["111111111111"] * len(LINES),
            "line_item_usage_account_id": ["222222222222"] * len(LINES),
            "line_item_usage_start_date": [ts] * len(LINES),
            "line_item_line_item_type": [r[0] for r in LINES],
            "line_item_usage_type": [r[1] for r in LINES],
            "line_item_product_code": ["AmazonEC2"] * 5 + ["AmazonEC2", "AWSCredits"],
            "line_item_resource_id": [f"i-{i}" for i in range(len(LINES))],
            "line_item_unblended_cost": [f(r[2]) for r in LINES],
            "savings_plan_savings_plan_effective_cost": [f(r[3]) for r in LINES],
            "savings_plan_total_commitment_to_date": [f(r[4]) for r in LINES],
            "savings_plan_used_commitment": [f(r[5]) for r in LINES],
            "pricing_public_on_demand_cost": [f(r[6]) for r in LINES],
            "product": pa.array(
                [[("product_name", "Amazon Elastic Compute Cloud"), ("region_code", "us-east-1")]]
                * len(LINES),
                pa.map_(pa.string(), pa.string()),
            ),
            "resource_tags": pa.array(
                [list(r[7].items()) for r in LINES], pa.map_(pa.string(), pa.string())
            ),
        }
    )
    pq.write_table(table, path)
    return path


LEGACY_HEADER = (
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
    "product/regionCode",
    "resourceTags/user:team",
    "resourceTags/user:Team",
    "resourceTags/user:project",
)


def write_legacy(path: Path) -> Path:
    rows = []
    for i, (lt, usage, unblended, sp_eff, commit, used, public, tags) in enumerate(LINES):
        rows.append(
            {
                "bill/PayerAccountId": "111111111111",
                "bill/BillingPeriodStartDate": "2024-09-01T00:00:00Z",
                "lineItem/UsageAccountId": "222222222222",
                "lineItem/LineItemType": lt,
                "lineItem/UsageStartDate": "2024-09-03T10:00:00Z",
                "lineItem/ProductCode": "AmazonEC2",
                "lineItem/UsageType": usage,
                "lineItem/ResourceId": f"i-{i}",
                "lineItem/UnblendedCost": unblended,
                "lineItem/CurrencyCode": "USD",
                "pricing/publicOnDemandCost": public or "",
                "savingsPlan/SavingsPlanEffectiveCost": sp_eff or "",
                "savingsPlan/TotalCommitmentToDate": commit or "",
                "savingsPlan/UsedCommitment": used or "",
                "product/ProductName": "Amazon Elastic Compute Cloud",
                "product/regionCode": "us-east-1",
                "resourceTags/user:team": tags.get("user_team", ""),
                "resourceTags/user:Team": tags.get("user_Team", ""),
                "resourceTags/user:project": tags.get("user_project", ""),
            }
        )
    return write_csv(path, rows, LEGACY_HEADER)


def totals(store: CostStore) -> dict[str, Decimal]:
    b, e, l_ = store.conn.execute(
        "SELECT SUM(billed_total), SUM(effective_total), SUM(list_total) FROM charges"
    ).fetchone()
    return {"billed": from_nanos(b), "effective": from_nanos(e), "list": from_nanos(l_)}


def run(store: CostStore, *paths: str, **kw: object) -> object:
    return ingest(store, list(paths), allocation_tags=("team", "project"), aliases={}, **kw)


@pytest.mark.parametrize("writer", [write_cur2, write_legacy], ids=["cur2", "legacy"])
def test_billed_effective_and_list_reconcile_with_the_amortized_formula(
    tmp_path: Path, store: CostStore, writer: object
) -> None:
    path = writer(tmp_path / ("bill.parquet" if writer is write_cur2 else "bill.csv"))  # type: ignore[operator]
    run(store, str(path))
    assert totals(store) == {k: expected(k) for k in ("billed", "effective", "list")}


@pytest.mark.parametrize("writer", [write_cur2, write_legacy], ids=["cur2", "legacy"])
def test_line_item_types_become_focus_charge_and_pricing_categories(
    tmp_path: Path, store: CostStore, writer: object
) -> None:
    path = writer(tmp_path / ("bill.parquet" if writer is write_cur2 else "bill.csv"))  # type: ignore[operator]
    run(store, str(path))
    got = dict(
        store.conn.execute(
            "SELECT k.sku, g.charge_category || '/' || g.pricing_category FROM charges k "
            "JOIN cost_groups g ON g.id = k.group_id"
        ).fetchall()
    )
    assert got["USE1-BoxUsage:p4d.24xlarge"] == "Usage/Standard"
    assert got["USE1-SpotUsage:g5.xlarge"] == "Usage/Dynamic"
    assert got["ComputeSP:1yrNoUpfront"] == "Purchase/Standard"
    assert got["Tax"] == "Tax/"
    assert got["Credit"] == "Credit/"


@pytest.mark.parametrize("writer", [write_cur2, write_legacy], ids=["cur2", "legacy"])
def test_team_is_one_tag_whatever_the_export_calls_it(
    tmp_path: Path, store: CostStore, writer: object
) -> None:
    path = writer(tmp_path / ("bill.parquet" if writer is write_cur2 else "bill.csv"))  # type: ignore[operator]
    run(store, str(path))
    engine = CostQueryEngine(
        store, allocation_tags=("team",), clock=lambda: datetime(2024, 9, 10, tzinfo=UTC)
    )
    vocab = engine.vocabulary()
    assert vocab.tag_values["team"] == ["ai-research", "ml-platform"]
    answer = engine.answer(parse("by team 2024-09 measure billed", vocab))  # type: ignore[arg-type]
    groups = {g.key: g.cost for g in answer.groups}
    assert groups["ml-platform"] == to_nanos(Decimal("0.3018"))
    assert groups["ai-research"] == to_nanos(
        Decimal("32.7726") + Decimal("98.32") - Decimal("98.32")
    )


def test_the_same_bill_as_cur2_and_legacy_cur_is_one_source_not_two(
    tmp_path: Path, store: CostStore
) -> None:
    run(store, str(write_cur2(tmp_path / "a.parquet")))
    run(store, str(write_legacy(tmp_path / "b.csv")))
    assert totals(store)["billed"] == expected("billed")


def test_unknown_line_item_type_is_a_bad_row(tmp_path: Path, store: CostStore) -> None:
    path = write_legacy(tmp_path / "bill.csv")
    text = path.read_text()
    assert ",222222222222,Tax," in text
    path.write_text(text.replace(",222222222222,Tax,", ",222222222222,Taxx,"))
    result = run(store, str(path))
    (bad,) = result.files[0].bad_rows
    assert bad.column == "lineItem/LineItemType" and "Taxx" in bad.reason


def test_parquet_amounts_too_large_are_bad_rows_and_nan_or_infinite_ones_count_nothing(
    tmp_path: Path, store: CostStore
) -> None:
    """Doubles are converted in place (issue 18): a $10 billion line is a bad row naming
    the limit, NaN and infinities add nothing, and the rest reconcile to the cent."""
    unblended = [1.5, float("nan"), float("inf"), 1e10, -2.25, float("-inf")]
    n = len(unblended)
    table = pa.table(
        {
            "bill_billing_period_start_date": [datetime(2024, 9, 1, tzinfo=UTC)] * n,
            "bill_payer_account_id": ["111111111111"] * n,
            "line_item_usage_account_id": ["222222222222"] * n,
            "line_item_usage_start_date": [datetime(2024, 9, 3, tzinfo=UTC)] * n,
            "line_item_line_item_type": ["Usage"] * n,
            "line_item_resource_id": [f"i-{i}" for i in range(n)],
            "line_item_unblended_cost": unblended,
        }
    )
    pq.write_table(table, tmp_path / "bill.parquet")
    result = run(store, str(tmp_path / "bill.parquet"))
    (bad,) = result.files[0].bad_rows  # type: ignore[attr-defined]
    assert bad.row == 4 and "9.2 billion" in bad.reason
    assert totals(store)["billed"] == Decimal("-0.75")


def test_an_account_only_bad_lines_mention_gets_no_delivery(
    tmp_path: Path, store: CostStore
) -> None:
    """Lines are converted once per distinct combination (issue 18); a combination whose
    lines were all bad must vanish with them, or its account's stored month would be
    replaced by nothing."""
    table = pa.table(
        {
            "bill_billing_period_start_date": [datetime(2024, 9, 1, tzinfo=UTC)] * 3,
            "bill_payer_account_id": ["111111111111", "111111111111", "999999999999"],
            "line_item_usage_account_id": ["222222222222", "222222222222", "333333333333"],
            "line_item_usage_start_date": [datetime(2024, 9, 3, tzinfo=UTC)] * 3,
            "line_item_line_item_type": ["Usage", "Usage", "Usage"],
            "line_item_resource_id": ["i-1", "i-2", "i-3"],
            "line_item_unblended_cost": [1.0, 2.0, None],  # the third: missing amount
        }
    )
    pq.write_table(table, tmp_path / "bill.parquet")
    result = run(store, str(tmp_path / "bill.parquet"))
    assert [d.billing_account for d in result.deliveries] == ["111111111111"]  # type: ignore[attr-defined]
    (bad,) = result.files[0].bad_rows  # type: ignore[attr-defined]
    assert bad.row == 3 and bad.reason == "missing amount"
    assert store.conn.execute("SELECT billing_account FROM sources").fetchall() == [
        ("111111111111",)
    ]


# -- S3, through a moto server on 127.0.0.1 ------------------------------------------------


@pytest.fixture
def moto_s3() -> Iterator[object]:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    client = boto3.session.Session().client(
        "s3", region_name="us-east-1", endpoint_url=f"http://{host}:{port}"
    )
    yield client
    server.stop()


def test_exports_are_read_from_an_s3_prefix(
    tmp_path: Path, store: CostStore, moto_s3: object
) -> None:
    s3 = moto_s3
    s3.create_bucket(Bucket="billing")  # type: ignore[attr-defined]
    path = write_cur2(tmp_path / "part-0.parquet")
    s3.upload_file(str(path), "billing", "cur2/data/BILLING_PERIOD=2024-09/part-0.parquet")  # type: ignore[attr-defined]
    s3.put_object(Bucket="billing", Key="cur2/metadata/manifest.json", Body=b"{}")  # type: ignore[attr-defined]
    result = run(store, "s3://billing/cur2/", remote=S3ExportSource(s3))
    assert [f.file for f in result.files] == [
        "s3://billing/cur2/data/BILLING_PERIOD=2024-09/part-0.parquet"
    ]
    assert totals(store)["effective"] == expected("effective")


def test_a_missing_bucket_says_what_failed_and_what_to_retry(
    moto_s3: object, store: CostStore
) -> None:
    with pytest.raises(S3ReadError, match=r"cannot list s3://nope/x.*NoSuchBucket.*retry"):
        run(store, "s3://nope/x", remote=S3ExportSource(moto_s3))


def test_an_empty_prefix_is_an_error_not_an_empty_success(
    moto_s3: object, store: CostStore
) -> None:
    moto_s3.create_bucket(Bucket="empty")  # type: ignore[attr-defined]
    with pytest.raises(S3ReadError, match=r"no \.parquet"):
        run(store, "s3://empty/cur2", remote=S3ExportSource(moto_s3))
