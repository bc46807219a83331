"""Deliveries: manifests choose the current one, exports that share a payer coexist.

Regression tests for issue 11 items 1, 2, 5 and the first two of 8: re-delivered
exports were added together, a sibling S3 prefix was taken as part of the
export, one export's delivery overwrote another's under the same payer, a map
typed FOCUS ``Tags`` column crashed, ``1e20`` crashed, and an AWS status file
beside the data aborted the run.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import boto3
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from builders import FOCUS_HEADER, focus_row, write_csv
from moto.server import ThreadedMotoServer

from bot.aws.s3_exports import S3ExportSource
from bot.costs.exports import write_cur2, write_cur2_delivery, write_cur_legacy_delivery
from bot.costs.ingest import IngestResult, RemoteFiles, ingest
from bot.costs.readers.common import IngestError
from bot.costs.schema import SCHEMA_VERSION, migrations
from bot.costs.store import CostStore
from bot.money import from_nanos, to_nanos

PAYER = "111111111111"


def lines(*rows: tuple[str, str, str], payer: str = PAYER) -> pa.Table:
    """A canonical table of (day, usage account, amount) usage lines."""
    n = len(rows)
    return pa.table(
        {
            "charge_start": pa.array(
                [datetime.fromisoformat(d).replace(tzinfo=UTC) for d, _, _ in rows],
                pa.timestamp("us", tz="UTC"),
            ),
            "billing_period": [d[:7] for d, _, _ in rows],
            "provider": ["AWS"] * n,
            "billing_account": [payer] * n,
            "sub_account": [a for _, a, _ in rows],
            "sub_account_name": [f"acct-{a[-3:]}" for _, a, _ in rows],
            "service": ["Amazon Elastic Compute Cloud"] * n,
            "service_code": ["AmazonEC2"] * n,
            "service_category": ["Compute"] * n,
            "region": ["us-east-1"] * n,
            "resource_id": [f"i-{a[-3:]}" for _, a, _ in rows],
            "resource_type": ["p4d.24xlarge"] * n,
            "sku": ["USE1-BoxUsage:p4d.24xlarge"] * n,
            "charge_category": ["Usage"] * n,
            "pricing_category": ["Standard"] * n,
            "billed": [to_nanos(Decimal(x)) for _, _, x in rows],
            "effective": [to_nanos(Decimal(x)) for _, _, x in rows],
            "list": [to_nanos(Decimal(x)) for _, _, x in rows],
            "currency": ["USD"] * n,
            "tags": pa.array([[("team", "ml")]] * n, pa.map_(pa.string(), pa.string())),
        }
    )


def run(store: CostStore, *inputs: Path | str, remote: RemoteFiles | None = None) -> IngestResult:
    return ingest(
        store,
        [str(i) for i in inputs],
        allocation_tags=("team",),
        aliases={},
        remote=remote,
    )


def total(store: CostStore) -> Decimal:
    return from_nanos(
        store.conn.execute("SELECT COALESCE(SUM(billed_total), 0) FROM charges").fetchone()[0]
    )


def by_account(store: CostStore) -> dict[str, Decimal]:
    """What `by account` sums: the cube's groups per usage account (plain SQL)."""
    rows = store.conn.execute(
        "SELECT g.sub_account, SUM(d.billed) FROM daily_group_costs d "
        "JOIN cost_groups g ON g.id = d.group_id GROUP BY 1"
    ).fetchall()
    return {account: from_nanos(nanos) for account, nanos in rows}


def by_tag(store: CostStore, key: str) -> dict[str, Decimal]:
    """Detail spend per value of one tag (untagged spend under "")."""
    rows = store.conn.execute(
        "SELECT COALESCE(t.value, ''), SUM(c.billed_total) FROM charges c "
        "LEFT JOIN tags t ON t.tagset_id = c.tagset_id AND t.key = ? GROUP BY 1",
        (key,),
    ).fetchall()
    return {value: from_nanos(nanos) for value, nanos in rows}


def csv_in(folder: Path, rows: list[dict[str, str]]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    return write_csv(folder / "bill.csv", rows)


def touch_later(*paths: Path) -> None:
    """Make files newer than the rest (a later delivery), without sleeping."""
    for i, p in enumerate(paths):
        stamp = datetime(2024, 11, 2 + i, tzinfo=UTC).timestamp()
        os.utime(p, (stamp, stamp))


# -- 1. re-delivered exports -----------------------------------------------------------


def test_create_new_cur2_deliveries_ingest_only_the_current_execution(
    tmp_path: Path, store: CostStore
) -> None:
    october = lines(("2024-10-01", "222222222222", "100.00"))
    restated = lines(("2024-10-01", "222222222222", "120.00"))
    first = write_cur2_delivery(october, tmp_path, execution_id="exec-1", create_new=True)
    write_cur2_delivery(restated, tmp_path, execution_id="exec-2", create_new=True)
    touch_later(first[-1])  # exec-1's manifest is older: exec-2 is the current delivery
    result = run(store, tmp_path)
    assert total(store) == Decimal("120.00")  # not 220.00
    assert [Path(f.file).parts[-2] for f in result.files] == ["exec-2"]
    assert any("exec-1" in n and "earlier" in n for n in result.notes)


def test_legacy_cur_assembly_folders_ingest_the_period_manifests_assembly(
    tmp_path: Path, store: CostStore
) -> None:
    write_cur_legacy_delivery(
        lines(("2024-10-03", "222222222222", "189038.16")), tmp_path, assembly_id="aaaa-1"
    )
    write_cur_legacy_delivery(
        lines(("2024-10-03", "222222222222", "189038.16")), tmp_path, assembly_id="bbbb-2"
    )
    result = run(store, tmp_path)
    assert total(store) == Decimal("189038.16")  # was 378076.32: both assemblies added
    assert len(result.files) == 1 and "bbbb-2" in result.files[0].file
    delivered = store.delivered(f"arn:aws:cur:us-east-1:{PAYER}:definition/cur", "2024-10")
    assert delivered is not None and delivered.execution_id == "bbbb-2"


def test_two_deliveries_of_a_period_without_a_manifest_are_refused_naming_both(
    tmp_path: Path, store: CostStore
) -> None:
    for assembly in ("aaaa-1", "bbbb-2"):
        write_cur_legacy_delivery(
            lines(("2024-10-03", "222222222222", "10.00")), tmp_path, assembly_id=assembly
        )
    for manifest in tmp_path.rglob("*-Manifest.json"):
        manifest.unlink()
    with pytest.raises(IngestError) as err:
        run(store, tmp_path)
    message = str(err.value)
    assert "aaaa-1" in message and "bbbb-2" in message and "manifest" in message
    assert total(store) == 0


def test_a_file_the_manifest_lists_but_is_missing_is_an_error(
    tmp_path: Path, store: CostStore
) -> None:
    files = write_cur2_delivery(
        lines(("2024-10-01", "222222222222", "5.00")), tmp_path, rows_per_file=None
    )
    files[0].unlink()
    other = tmp_path / "cur2" / "data" / "BILLING_PERIOD=2024-10" / "stray.parquet"
    write_cur2(lines(("2024-10-01", "222222222222", "5.00")), other)
    with pytest.raises(IngestError, match=r"cur2-00001\.snappy\.parquet.*incomplete"):
        run(store, tmp_path)


def test_a_local_prefix_is_a_folder_and_one_export_per_period_with_its_manifest(
    tmp_path: Path, store: CostStore
) -> None:
    write_cur2_delivery(
        lines(("2024-10-01", "222222222222", "7.00")), tmp_path / "exports", export_name="cur2"
    )
    write_cur2_delivery(
        lines(("2024-10-01", "222222222222", "7.00")),
        tmp_path / "exports",
        export_name="cur2-hourly",
    )
    run(store, tmp_path / "exports" / "cur2")
    assert total(store) == Decimal("7.00")


# -- 2. exports that share a payer -------------------------------------------------------


def test_member_exports_under_one_payer_coexist_and_each_replaces_only_itself(
    tmp_path: Path, store: CostStore
) -> None:
    a = csv_in(
        tmp_path / "member-a",
        [focus_row("2024-10-01", "100.00", account=PAYER) | {"SubAccountId": "222222222222"}],
    )
    b = csv_in(
        tmp_path / "member-b",
        [focus_row("2024-10-01", "40.00", account=PAYER) | {"SubAccountId": "333333333333"}],
    )
    run(store, a)
    second = run(store, b)
    assert not second.deliveries[0].replaced
    # was only B's $40, "(replaced)"
    assert by_account(store) == {"222222222222": Decimal("100"), "333333333333": Decimal("40")}
    restated = csv_in(
        tmp_path / "member-a",
        [focus_row("2024-10-01", "110.00", account=PAYER) | {"SubAccountId": "222222222222"}],
    )
    again = run(store, restated)
    assert again.deliveries[0].replaced
    assert by_account(store) == {"222222222222": Decimal("110"), "333333333333": Decimal("40")}
    assert total(store) == Decimal("150.00")


def test_manifest_exports_are_identified_by_their_arn(tmp_path: Path, store: CostStore) -> None:
    write_cur2_delivery(
        lines(("2024-10-01", "222222222222", "100.00")),
        tmp_path / "a",
        export_name="member-a",
        execution_id="e-a",
    )
    write_cur2_delivery(
        lines(("2024-10-01", "333333333333", "40.00")),
        tmp_path / "b",
        export_name="member-b",
        execution_id="e-b",
    )
    run(store, tmp_path / "a")
    result = run(store, tmp_path / "b")
    assert result.deliveries[0].export.startswith("arn:aws:bcm-data-exports:")
    assert total(store) == Decimal("140.00")
    rows = store.deliveries()
    assert len(rows) == 2 and {r["execution_id"] for r in rows} == {"e-a", "e-b"}


def test_delivered_records_execution_and_file_versions_for_a_later_sync(
    tmp_path: Path, store: CostStore
) -> None:
    files = write_cur2_delivery(
        lines(("2024-10-01", "222222222222", "1.00")), tmp_path, execution_id="exec-9"
    )
    result = run(store, tmp_path)
    export = result.deliveries[0].export
    record = store.delivered(export, "2024-10")
    assert record is not None
    assert record.execution_id == "exec-9"
    assert record.manifest.endswith("cur2-Manifest.json")
    data = files[0].resolve().as_posix()
    assert record.files == (data,)
    st = files[0].stat()
    assert record.etags == {data: f"{st.st_size}-{st.st_mtime_ns}"}
    assert store.delivered(export, "2024-09") is None
    assert store.delivered("arn:other", "2024-10") is None


def test_a_store_from_schema_1_migrates_and_its_rows_are_replaced_once(tmp_path: Path) -> None:
    db_path = tmp_path / "old.db"
    bill = csv_in(tmp_path / "x", [focus_row("2024-10-01", "10.00")])
    conn = sqlite3.connect(db_path)
    conn.executescript(
        "CREATE TABLE _sqlite_migrations (id INTEGER PRIMARY KEY, migration_set TEXT, "
        "name TEXT, applied_at TEXT);"
    )
    conn.close()
    from sqlite_utils import Database

    db = Database(db_path)
    from bot.costs.schema import m001_initial

    m001_initial(db)
    db["_sqlite_migrations"].insert(
        {"migration_set": "costbot", "name": "m001_initial", "applied_at": "2024-11-01"}
    )
    db.execute(
        "INSERT INTO sources (id, provider, billing_account) VALUES (1, 'AWS', '111111111111')"
    )
    db.execute(
        "INSERT INTO deliveries (source_id, billing_period, format, files, rows_read, "
        "rows_skipped, billed, effective, list, first_day, last_day, ingested_at) VALUES "
        "(1, '2024-10', 'FOCUS 1.2', '[]', 1, 0, 9000000000, 9000000000, 9000000000, "
        "20000, 20000, 'then')"
    )
    db.execute("INSERT INTO tagsets (id, tags) VALUES (1, '{}')")
    db.execute(
        "INSERT INTO cost_groups (id, source_id, billing_period, provider, billing_account, "
        "currency, tagset_id) VALUES (1, 1, '2024-10', 'AWS', '111111111111', 'USD', 1)"
    )
    db.execute(
        "INSERT INTO charges (source_id, billing_period, group_id, tagset_id, first_day, "
        "last_day, days, lines, billed_total, effective_total, list_total, billed) VALUES "
        "(1, '2024-10', 1, 1, 20000, 20000, 1, 1, 9000000000, 9000000000, 9000000000, x'00')"
    )
    db.conn.commit()
    db.conn.close()
    store = CostStore(db_path)
    try:
        assert store.schema_version() == SCHEMA_VERSION == len(list(migrations._migrations))
        assert store.deliveries()[0]["export"] == ""
        run(store, bill)
        assert total(store) == Decimal("10.00")  # the old $9 was replaced, not added
    finally:
        store.close()


# -- 5. FOCUS Parquet with a map-typed Tags column ----------------------------------------


def test_focus_parquet_with_map_typed_tags_is_read(tmp_path: Path, store: CostStore) -> None:
    rows = [
        focus_row("2024-10-01", "3.00"),
        focus_row("2024-10-02", "4.00"),
    ]
    columns: dict[str, pa.Array] = {
        name: pa.array([r[name] for r in rows], pa.string())
        for name in FOCUS_HEADER
        if name != "Tags"
    }
    columns["Tags"] = pa.array(
        [[("Team", "ml-research"), ("env", "prod")], [("team", "web"), ("cost-center", None)]],
        pa.map_(pa.string(), pa.string()),
    )
    path = tmp_path / "focus.parquet"
    pq.write_table(pa.table(columns), path)
    run(store, path)
    assert by_tag(store, "team") == {"ml-research": Decimal("3.00"), "web": Decimal("4.00")}
    assert by_tag(store, "env") == {"prod": Decimal("3.00"), "": Decimal("4.00")}
    assert by_tag(store, "cost-center") == {"": Decimal("7.00")}  # a null value is no tag


# -- 8. smaller ones ---------------------------------------------------------------------


def test_an_amount_like_1e20_is_a_bad_row_not_a_crash(tmp_path: Path, store: CostStore) -> None:
    path = write_csv(
        tmp_path / "bill.csv",
        [focus_row("2024-10-01", "1e20"), focus_row("2024-10-02", "2.50")],
    )
    result = run(store, path)
    assert result.rows_skipped == 1
    assert "1e20" in str(result.files[0].bad_rows[0])
    assert total(store) == Decimal("2.50")


def test_a_status_file_beside_the_data_is_skipped_with_a_note(
    tmp_path: Path, store: CostStore
) -> None:
    write_cur_legacy_delivery(lines(("2024-10-03", "222222222222", "12.00")), tmp_path)
    status = tmp_path / "cur" / "cost_and_usage_data_status" / "cost_and_usage_data_status.parquet"
    status.parent.mkdir(parents=True)
    pq.write_table(pa.table({"status": ["READY"]}), status)
    (tmp_path / "cur" / "20241001-20241101" / "cur-RedshiftManifest.json").write_text("{}")
    result = run(store, tmp_path)
    assert total(store) == Decimal("12.00")
    assert any("cost_and_usage_data_status" in n and "not billing data" in n for n in result.notes)


# -- S3, through a moto server on 127.0.0.1 ----------------------------------------------


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


def upload(client: object, root: Path, bucket: str, prefix: str) -> None:
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        key = f"{prefix}/{path.relative_to(root).as_posix()}"
        client.upload_file(str(path), bucket, key)  # type: ignore[attr-defined]


def test_s3_prefix_is_a_folder_and_manifests_pick_the_current_execution(
    tmp_path: Path, store: CostStore, moto_s3: object
) -> None:
    s3 = moto_s3
    s3.create_bucket(Bucket="billing")  # type: ignore[attr-defined]
    local = tmp_path / "bucket"
    write_cur2_delivery(
        lines(("2024-10-01", "222222222222", "50.00")),
        local,
        export_name="cur2",
        execution_id="exec-1",
        create_new=True,
    )
    upload(s3, local, "billing", "exports")
    shutil.rmtree(local)
    write_cur2_delivery(
        lines(("2024-10-01", "222222222222", "60.00")),
        local,
        export_name="cur2",
        execution_id="exec-2",
        create_new=True,
    )
    write_cur2_delivery(
        lines(("2024-10-01", "222222222222", "999.00")),
        local,
        export_name="cur2-hourly",
        execution_id="exec-h",
    )
    upload(s3, local, "billing", "exports")  # uploaded later: exec-2 is the newer manifest
    result = run(store, "s3://billing/exports/cur2", remote=S3ExportSource(s3))
    assert total(store) == Decimal("60.00")  # not 110 (both executions) nor 1059 (sibling)
    assert [f.file for f in result.files] == [
        "s3://billing/exports/cur2/data/BILLING_PERIOD=2024-10/exec-2/cur2-00001.snappy.parquet"
    ]
    record = store.delivered(result.deliveries[0].export, "2024-10")
    assert record is not None and record.execution_id == "exec-2"
    etag = s3.head_object(  # type: ignore[attr-defined]
        Bucket="billing",
        Key="exports/cur2/data/BILLING_PERIOD=2024-10/exec-2/cur2-00001.snappy.parquet",
    )["ETag"].strip('"')
    assert list(record.etags.values()) == [etag]


def test_s3_object_uri_reads_that_object(tmp_path: Path, store: CostStore, moto_s3: object) -> None:
    s3 = moto_s3
    s3.create_bucket(Bucket="billing")  # type: ignore[attr-defined]
    path = write_cur2(lines(("2024-10-01", "222222222222", "5.00")), tmp_path / "one.parquet")
    s3.upload_file(str(path[0]), "billing", "loose/one.parquet")  # type: ignore[attr-defined]
    run(store, "s3://billing/loose/one.parquet", remote=S3ExportSource(s3))
    assert total(store) == Decimal("5.00")


def test_manifest_text_is_json_the_writer_documents(tmp_path: Path) -> None:
    files = write_cur2_delivery(
        lines(("2024-10-01", "222222222222", "1.00")), tmp_path, bucket="b", prefix="p"
    )
    doc = json.loads(files[-1].read_text())
    assert doc["billingPeriod"]["start"] == "2024-10-01T00:00:00.000Z"
    assert doc["dataFiles"] == [
        "s3://b/p/cur2/data/BILLING_PERIOD=2024-10/cur2-00001.snappy.parquet"
    ]


def test_a_copy_of_the_same_bill_in_another_folder_replaces_rather_than_adds(
    tmp_path: Path, store: CostStore
) -> None:
    rows = [focus_row("2024-10-01", "30.00"), focus_row("2024-10-02", "5.00", resource="i-2")]
    run(store, csv_in(tmp_path / "downloads", rows))
    again = run(store, csv_in(tmp_path / "copy", rows))
    assert total(store) == Decimal("35.00")
    assert again.deliveries[0].replaced_exports == ((tmp_path / "downloads").resolve().as_posix(),)
