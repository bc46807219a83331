"""S3 export sync against moto behind the stand-in: only deliveries not seen are ingested."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import boto3
import pyarrow as pa
import pyarrow.compute as pc
import pytest
from harness.aws_standin import AwsStandIn

from bot.costs.exports import write_cur2
from bot.services import Services
from bot.state.sync import ledger_for
from bot.sync.run import delivery_folder, sync_source

SOURCE = "s3://billing/cur2/"


def upload(standin: AwsStandIn, tmp: Path, table: pa.Table, name: str) -> None:
    """Write the table as CUR 2.0 and upload one file per period, as Data Exports lay it out."""
    s3 = boto3.session.Session().client(
        "s3", region_name="us-east-1", endpoint_url=standin.moto_url
    )
    if not s3.list_buckets()["Buckets"]:
        s3.create_bucket(Bucket="billing")
    for f in write_cur2(table, tmp / name):
        period = f.stem.split("-")[1] + "-" + f.stem.split("-")[2]
        key = f"cur2/data/BILLING_PERIOD={period}/{name}.parquet"
        s3.upload_file(str(f), "billing", key)
    s3.put_object(Bucket="billing", Key="cur2/metadata/manifest.json", Body=name.encode())


def effective_by_period(services: Services) -> dict[str, int]:
    return {str(r["billing_period"]): int(str(r["effective"])) for r in services.store.deliveries()}


def truth_sums(table: pa.Table) -> dict[str, int]:
    out = {}
    for period in sorted(set(table.column("billing_period").to_pylist())):
        part = table.filter(pc.equal(table.column("billing_period"), period))
        out[period] = int(pc.sum(part.column("effective")).as_py())
    return out


def test_an_unchanged_bucket_costs_one_list_and_a_new_delivery_is_ingested(
    tmp_path: Path,
    standin: AwsStandIn,
    services_for: Callable[..., Services],
    truth: pa.Table,
) -> None:
    upload(standin, tmp_path, truth, "part-00001")
    services = services_for(aws_endpoint_url=standin.url, sources=(SOURCE,))
    run = sync_source(services, SOURCE)
    assert run.periods == ["2024-09", "2024-10"]
    assert effective_by_period(services) == truth_sums(truth)

    standin.received.clear()
    again = sync_source(services, SOURCE)
    assert again.ok and again.rows == 0 and "unchanged" in again.detail
    assert standin.rest_calls("GET /billing?list-type=2") and len(standin.received) == 1

    # October is re-delivered with restated amounts; September is left alone.
    october = truth.filter(pc.equal(truth.column("billing_period"), "2024-10"))
    restated = october
    for column in ("billed", "effective", "list"):
        restated = restated.set_column(
            restated.schema.get_field_index(column),
            column,
            pc.multiply(restated.column(column), 2),
        )
    upload(standin, tmp_path, restated, "part-00001")
    standin.received.clear()
    third = sync_source(services, SOURCE)
    assert third.ok and "1 new or changed object(s)" in third.detail
    assert effective_by_period(services) == {
        "2024-09": truth_sums(truth)["2024-09"],
        "2024-10": 2 * truth_sums(truth)["2024-10"],
    }
    seen = ledger_for(services.store.conn).s3_seen(SOURCE)
    assert len(seen) == 3  # two data files and the marker object
    standin.received.clear()
    assert "unchanged" in sync_source(services, SOURCE).detail
    assert len(standin.received) == 1


@pytest.mark.parametrize(
    ("uri", "folder"),
    [
        (
            "s3://b/x/data/BILLING_PERIOD=2024-10/part-1.parquet",
            "s3://b/x/data/BILLING_PERIOD=2024-10",
        ),
        ("s3://b/cur/20241001-20241101/abc/cur-1.csv.gz", "s3://b/cur/20241001-20241101/"),
        ("s3://b/x/file.parquet", ""),
    ],
)
def test_a_delivery_is_the_billing_period_folder(uri: str, folder: str) -> None:
    assert delivery_folder(uri) == folder
