# ruff: noqa: F811  (test arguments name the fixtures imported from sync_fixtures)
"""S3 export sync against moto behind the stand-in: only deliveries not seen are ingested."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import boto3
import pyarrow as pa
import pyarrow.compute as pc
import pytest
from harness.aws_standin import AwsStandIn
from sync_fixtures import services_for, standin, truth  # noqa: F401  (fixtures, see there)

from bot.costs.exports import write_cur2_delivery
from bot.services import Services
from bot.state.sync import ledger_for
from bot.sync.run import delivery_folder, sync_source

SOURCE = "s3://billing/exports/cur2/"


def upload(standin: AwsStandIn, tmp: Path, table: pa.Table, execution: str) -> None:
    """Deliver one Data Exports execution (data files, then manifests) to the bucket."""
    s3 = boto3.session.Session().client(
        "s3", region_name="us-east-1", endpoint_url=standin.moto_url
    )
    if not s3.list_buckets()["Buckets"]:
        s3.create_bucket(Bucket="billing")
    root = tmp / execution
    write_cur2_delivery(table, root, export_name="cur2", execution_id=execution, create_new=True)
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        s3.upload_file(str(path), "billing", f"exports/{path.relative_to(root).as_posix()}")


def effective_by_period(services: Services) -> dict[str, int]:
    return {str(r["billing_period"]): int(str(r["effective"])) for r in services.store.deliveries()}


def truth_sums(table: pa.Table) -> dict[str, int]:
    out = {}
    for period in sorted(set(table.column("billing_period").to_pylist())):
        part = table.filter(pc.equal(table.column("billing_period"), period))
        out[period] = int(pc.sum(part.column("effective")).as_py())
    return out


def test_an_unchanged_bucket_costs_one_list_and_a_new_delivery_only_its_period(
    tmp_path: Path,
    standin: AwsStandIn,
    services_for: Callable[..., Services],
    truth: pa.Table,
) -> None:
    upload(standin, tmp_path, truth, "exec-1")
    services = services_for(aws_endpoint_url=standin.url, sources=(SOURCE,))
    run = sync_source(services, SOURCE)
    assert run.periods == ["2024-09", "2024-10"]
    assert effective_by_period(services) == truth_sums(truth)

    standin.received.clear()
    again = sync_source(services, SOURCE)
    assert again.ok and again.rows == 0 and "unchanged" in again.detail
    (listed,) = standin.received  # one LIST, nothing more
    assert listed[0].startswith("GET /billing?list-type=2")

    # October is re-delivered with restated amounts; September is left alone.
    october = truth.filter(pc.equal(truth.column("billing_period"), "2024-10"))
    restated = october
    for column in ("billed", "effective", "list"):
        restated = restated.set_column(
            restated.schema.get_field_index(column),
            column,
            pc.multiply(restated.column(column), 2),
        )
    upload(standin, tmp_path, restated, "exec-2")
    standin.received.clear()
    third = sync_source(services, SOURCE)
    assert third.periods == ["2024-10"]  # only the delivery not seen before is read
    downloads = standin.rest_calls("GET /billing/exports/cur2/data/")
    assert downloads and all("BILLING_PERIOD%3D2024-10/exec-2/" in c for c in downloads)
    assert effective_by_period(services) == {
        "2024-09": truth_sums(truth)["2024-09"],
        "2024-10": 2 * truth_sums(truth)["2024-10"],
    }
    seen = ledger_for(services.store.conn).s3_seen(SOURCE)
    assert len(seen) == 6  # each execution's data files and manifest
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
