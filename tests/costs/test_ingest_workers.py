"""Ingest in units and in reader threads: the same input gives the same store.

Issue 18 reads files and runs of Parquet row groups in reader threads (and in
the writing thread when it would otherwise wait) and merges them in order. What
a user relies on: the figures do not depend on the number of workers (nor on
how files are cut), bad rows are still named by their file and record,
``--strict`` still stops the ingest, and a failed ingest still leaves the store
as it was.
"""

from __future__ import annotations

import gc
import sqlite3
import threading
import time
import weakref
from datetime import date
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

import bot.costs.ingest as ingest_module
import bot.costs.readers.tabular as tabular_module
import bot.costs.store as store_module
import bot.costs.units as units_module
from bot.cli import main
from bot.costs.exports import write_cur2
from bot.costs.ingest import ingest
from bot.costs.readers.common import IngestError, ReadReport
from bot.costs.sample import generate_org
from bot.costs.store import CostStore
from bot.errors import SettingsError
from bot.money import from_nanos
from bot.settings import Settings

END = date(2026, 10, 31)
TAGS = ("team", "project", "environment")
# Every table that holds cost data, in a fixed order (ids included: they must agree too).
TABLES = {
    "sources": "SELECT * FROM sources ORDER BY id",
    "tagsets": "SELECT * FROM tagsets ORDER BY id",
    "tags": "SELECT * FROM tags ORDER BY tagset_id, key, value",
    "cost_groups": "SELECT * FROM cost_groups ORDER BY id",
    "daily_group_costs": "SELECT * FROM daily_group_costs ORDER BY group_id, day",
    "charges": "SELECT * FROM charges ORDER BY id",
    "deliveries": (
        "SELECT id, export, source_id, billing_period, format, files, rows_read, rows_skipped, "
        "billed, effective, list, first_day, last_day FROM deliveries ORDER BY id"
    ),
}


@pytest.fixture(scope="module")
def bill() -> pa.Table:
    """The sample org's daily bill: 62 days over three billing periods."""
    return generate_org(END, 62)


@pytest.fixture(scope="module")
def cut_export(bill: pa.Table, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bill as CUR 2.0, each period in two files of many small row groups."""
    folder = tmp_path_factory.mktemp("cut")
    files = write_cur2(bill, folder, rows_per_file=bill.num_rows // 5)
    for path in files:
        pq.write_table(pq.read_table(path), path, row_group_size=97)
    assert len(files) > len({p.name.split("-0")[0] for p in files})  # a period in several files
    return folder


def contents(path: Path) -> dict[str, list[tuple[object, ...]]]:
    conn = sqlite3.connect(path)
    try:
        return {name: conn.execute(sql).fetchall() for name, sql in TABLES.items()}
    finally:
        conn.close()


def ingest_into(path: Path, export: Path, **kw: object) -> ingest_module.IngestResult:
    store = CostStore(path)
    try:
        return ingest(store, [str(export)], allocation_tags=TAGS, aliases={}, **kw)  # type: ignore[arg-type]
    finally:
        store.close()


def test_workers_and_units_give_the_same_store_as_one_process(
    bill: pa.Table, cut_export: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    whole = ingest_into(tmp_path / "one.db", cut_export, workers=0)
    assert whole.workers == 0
    monkeypatch.setattr(ingest_module, "MIN_UNIT_ROWS", 150)  # many units per file
    pooled = ingest_into(tmp_path / "pool.db", cut_export, workers=2)
    assert pooled.workers == 2
    one, pool = contents(tmp_path / "one.db"), contents(tmp_path / "pool.db")
    for table in TABLES:
        assert pool[table] == one[table], table
    # …and both hold exactly the bill that was written, to the nano-dollar.
    billed = sum(
        r[0]
        for r in sqlite3.connect(tmp_path / "pool.db").execute(
            "SELECT SUM(billed_total) FROM charges"
        )
    )
    assert billed == pc.sum(bill.column("billed")).as_py()
    cube = (
        sqlite3.connect(tmp_path / "pool.db")
        .execute("SELECT SUM(billed), SUM(effective), SUM(list) FROM daily_group_costs")
        .fetchone()
    )
    assert cube == tuple(pc.sum(bill.column(c)).as_py() for c in ("billed", "effective", "list"))
    assert (
        pooled.rows_read
        == whole.rows_read
        == sum(pq.ParquetFile(p).metadata.num_rows for p in cut_export.glob("*.parquet"))
    )
    assert [(d.billing_period, d.billed, d.lines) for d in pooled.deliveries] == [
        (d.billing_period, d.billed, d.lines) for d in whole.deliveries
    ]


def test_charge_vectors_made_by_a_reader_for_a_whole_part_store_what_the_writer_would(
    bill: pa.Table, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A billing period in one file and one unit: its reader makes the charges' daily
    vectors instead of the writer (off the writer's path). The store must be the same as
    when the period is cut into many units and the writer makes them."""
    export = tmp_path / "by-period"
    files = write_cur2(bill, export)
    assert len(files) == 3  # one file a billing period
    for path in files:  # row groups small enough to cut a file into units below
        pq.write_table(pq.read_table(path), path, row_group_size=97)
    ready: list[bool] = []
    replace = CostStore._replace

    def spying(self: CostStore, *args: object) -> object:
        ready.append(args[-1] is not None)
        return replace(self, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(CostStore, "_replace", spying)
    for workers in (0, 1):
        ingest_into(tmp_path / f"whole{workers}.db", export, workers=workers)
    assert ready == [True] * 6
    ready.clear()
    monkeypatch.setattr(ingest_module, "MIN_UNIT_ROWS", 150)  # several units a period
    ingest_into(tmp_path / "cut.db", export, workers=1)
    assert ready[1:] == [False, False]  # (the first period holds a few days: one unit still)
    cut = contents(tmp_path / "cut.db")
    for workers in (0, 1):
        whole = contents(tmp_path / f"whole{workers}.db")
        for table in TABLES:
            assert whole[table] == cut[table], table


def _with_bad_amount(path: Path, row: int) -> None:
    """Put the text ``"oops"`` in ``line_item_unblended_cost`` on one line of the file."""
    table = pq.read_table(path)
    costs = table.column("line_item_unblended_cost").to_pylist()
    column = pa.array([str(v) for v in costs], pa.string())
    table = table.set_column(
        table.schema.get_field_index("line_item_unblended_cost"),
        "line_item_unblended_cost",
        pc.if_else(pc.equal(pa.array(range(len(costs))), row), pa.scalar("oops"), column),
    )
    pq.write_table(table, path, row_group_size=97)


@pytest.mark.parametrize("workers", [0, 2])
def test_a_bad_row_in_a_later_row_group_is_named_by_its_record_in_the_file(
    bill: pa.Table, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, workers: int
) -> None:
    folder, clean = tmp_path / "export", tmp_path / "clean"
    path = write_cur2(bill.slice(0, 1000), folder / "cur2.parquet")[0]
    lines = pq.read_table(path)
    keep = pa.array([i != 500 for i in range(lines.num_rows)])
    clean.mkdir()
    pq.write_table(lines.filter(keep), clean / "cur2.parquet")
    _with_bad_amount(path, 500)  # record 501: in the sixth row group of 97 lines
    monkeypatch.setattr(ingest_module, "MIN_UNIT_ROWS", 150)
    result = ingest_into(tmp_path / "s.db", folder, workers=workers)
    (report,) = result.files
    assert report.rows_read == lines.num_rows and report.rows_skipped == 1
    (bad,) = report.bad_rows
    assert bad.row == 501 and bad.file.endswith("cur2.parquet")
    assert bad.column == "line_item_unblended_cost"
    without = ingest_into(tmp_path / "clean.db", clean, workers=0)
    assert [d.billed for d in result.deliveries] == [d.billed for d in without.deliveries]


@pytest.mark.parametrize("workers", [0, 2])
def test_strict_stops_at_the_bad_row_and_leaves_the_store_as_it_was(
    bill: pa.Table, cut_export: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, workers: int
) -> None:
    db = tmp_path / "s.db"
    ingest_into(db, cut_export, workers=0)
    before = contents(db)
    folder = tmp_path / "broken"
    path = write_cur2(bill.slice(0, 1000), folder / "cur2.parquet")[0]
    _with_bad_amount(path, 700)
    monkeypatch.setattr(ingest_module, "MIN_UNIT_ROWS", 150)
    with pytest.raises(IngestError, match=r"cur2\.parquet: row 701, .*--strict"):
        ingest_into(db, folder, workers=workers, strict=True)
    assert contents(db) == before


def test_strict_names_the_first_bad_row_even_when_the_writer_read_a_later_unit_itself(
    bill: pa.Table, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The writer reads a later unit itself while the reader is busy with the first; that
    unit's bad row must not win over the first unit's, found later in time."""
    folder = tmp_path / "broken"
    path = write_cur2(bill.slice(0, 1000), folder / "cur2.parquet")[0]
    table = pq.read_table(path)
    costs = [str(v) for v in table.column("line_item_unblended_cost").to_pylist()]
    costs[50] = costs[250] = "oops"  # units of two row groups (194 lines): units 1 and 2
    i = table.schema.get_field_index("line_item_unblended_cost")
    table = table.set_column(i, "line_item_unblended_cost", pa.array(costs, pa.string()))
    pq.write_table(table, path, row_group_size=97)
    monkeypatch.setattr(ingest_module, "MIN_UNIT_ROWS", 150)
    read_by: dict[int, str] = {}
    plain = ingest_module.read_unit

    def slow_first(unit: units_module.Unit) -> units_module.UnitResult:
        read_by[unit.row_offset] = threading.current_thread().name
        if unit.row_offset == 0:
            time.sleep(0.5)  # the reader is busy: the writer reads ahead itself
        return plain(unit)

    monkeypatch.setattr(ingest_module, "read_unit", slow_first)
    with pytest.raises(IngestError, match=r"cur2\.parquet: row 51, .*--strict"):
        ingest_into(tmp_path / "s.db", folder, workers=1, strict=True)
    # Both units were handed to the reader first; the writer took one back from its queue
    # (usually unit 2; unit 1 when it got there before the reader started): the two bad rows
    # were found in different threads, the slow unit 1's last.
    assert read_by[0] != read_by[194]
    assert threading.main_thread().name in (read_by[0], read_by[194])


def test_the_writer_takes_back_the_unit_queued_for_a_busy_reader_and_the_store_is_the_same(
    cut_export: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Rather than wait for a busy reader, the writer reads the unit queued next for it (its
    result is the one wanted soonest); units are still merged in their order."""
    ingest_into(tmp_path / "one.db", cut_export, workers=0)
    monkeypatch.setattr(ingest_module, "MIN_UNIT_ROWS", 150)
    read_by: dict[tuple[str, int], str] = {}
    plain = ingest_module.read_unit
    order: list[tuple[str, int]] = []

    def slow_first(unit: units_module.Unit) -> units_module.UnitResult:
        read_by[(unit.name, unit.row_offset)] = threading.current_thread().name
        if not order:
            order.append((unit.name, unit.row_offset))
        if (unit.name, unit.row_offset) == order[0]:
            time.sleep(0.5)  # whoever reads the first unit is busy with it
        return plain(unit)

    monkeypatch.setattr(ingest_module, "read_unit", slow_first)
    ingest_into(tmp_path / "pool.db", cut_export, workers=1)
    units = sorted(read_by)  # files and offsets in unit order
    # The reader is handed the first two units; the writer, rather than wait, took one back
    # from its queue (the second, or the first when it got there before the reader started).
    assert {read_by[units[0]], read_by[units[1]]} == {
        "costbot-ingest_0",
        threading.main_thread().name,
    }
    assert contents(tmp_path / "pool.db") == contents(tmp_path / "one.db")


def _charge_indexes(path: Path) -> list[tuple[str, str]]:
    conn = sqlite3.connect(path)
    try:
        return conn.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'charges' "
            "ORDER BY name"
        ).fetchall()
    finally:
        conn.close()


def test_a_first_ingest_rebuilds_the_charge_indexes_it_dropped_and_a_failed_one_keeps_them(
    bill: pa.Table, cut_export: Path, tmp_path: Path
) -> None:
    """A first ingest builds the charge indexes after loading (before its last period);
    the store must end with the same indexes, consistent with the rows, either way."""
    db = tmp_path / "s.db"
    CostStore(db).close()
    declared = _charge_indexes(db)
    assert {name for name, _ in declared} >= {"charges_by_resource", "charges_by_delivery"}
    ingest_into(db, cut_export, workers=0)  # three billing periods: three parts
    assert _charge_indexes(db) == declared
    conn = sqlite3.connect(db)
    assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)  # indexes match rows
    plan = conn.execute(
        "EXPLAIN QUERY PLAN SELECT id FROM charges WHERE resource_id = ?", ("x",)
    ).fetchall()
    assert "charges_by_resource" in str(plan)
    conn.close()
    broken = tmp_path / "broken"
    path = write_cur2(bill.slice(0, 1000), broken / "cur2.parquet")[0]
    _with_bad_amount(path, 700)
    fresh = tmp_path / "f.db"
    with pytest.raises(IngestError):
        ingest_into(fresh, broken, workers=0, strict=True)
    assert _charge_indexes(fresh) == declared  # the rollback brought them back


def _journal_and_orphans(path: Path) -> tuple[str, list[tuple[object, ...]]]:
    conn = sqlite3.connect(path)
    try:
        mode = conn.execute("PRAGMA journal_mode").fetchone()[0]
        return mode, conn.execute("PRAGMA foreign_key_check").fetchall()
    finally:
        conn.close()


def _modes_while_writing(db: Path, export: Path, shared: bool = False) -> list[tuple[str, int]]:
    """Ingest ``export``; return the journal mode and foreign-key setting at each write."""
    store = CostStore(db, shared=shared)
    seen: list[tuple[str, int]] = []
    replace = store._replace

    def spying(*args: object) -> object:
        conn = store.conn
        seen.append(
            (
                conn.execute("PRAGMA journal_mode").fetchone()[0],
                conn.execute("PRAGMA foreign_keys").fetchone()[0],
            )
        )
        return replace(*args)  # type: ignore[arg-type]

    store._replace = spying  # type: ignore[method-assign]
    try:
        ingest(store, [str(export)], allocation_tags=TAGS, aliases={}, workers=0)
        assert store.conn.execute("PRAGMA foreign_keys").fetchone() == (1,)
    finally:
        store.close()
    return seen


def test_a_first_ingest_loads_without_the_wal_and_leaves_the_store_in_it_with_every_id_resolved(
    bill: pa.Table, cut_export: Path, tmp_path: Path
) -> None:
    """A first load runs with a rollback journal and no per-row foreign-key checks (the
    store to itself); after it, commit or rollback, the store is back in WAL (readers
    beside a writer) with checks on, and no row points at a parent that is not there."""
    db = tmp_path / "s.db"
    first = _modes_while_writing(db, cut_export)
    assert set(first) == {("delete", 0)}
    assert _journal_and_orphans(db) == ("wal", [])
    # A store that holds charges: a sync adds to it in the WAL, with the checks on.
    assert set(_modes_while_writing(db, cut_export)) == {("wal", 1)}
    assert _journal_and_orphans(db) == ("wal", [])
    # A serving bot's store (listeners may open connections at any moment): the WAL stays.
    served = tmp_path / "served.db"
    assert set(_modes_while_writing(served, cut_export, shared=True)) == {("wal", 0)}
    assert _journal_and_orphans(served) == ("wal", [])

    broken = tmp_path / "broken"
    path = write_cur2(bill.slice(0, 1000), broken / "cur2.parquet")[0]
    _with_bad_amount(path, 700)
    fresh = tmp_path / "f.db"
    store = CostStore(fresh)
    with pytest.raises(IngestError):
        ingest(store, [str(broken)], allocation_tags=TAGS, aliases={}, workers=0, strict=True)
    assert store.conn.execute("PRAGMA foreign_keys").fetchone() == (1,)  # rolled back: on
    store.close()
    assert _journal_and_orphans(fresh) == ("wal", [])
    conn = sqlite3.connect(fresh)
    assert conn.execute("SELECT count(*) FROM charges").fetchone() == (0,)
    conn.close()


def test_a_first_ingest_that_cannot_take_the_write_lock_leaves_the_connection_as_it_was(
    cut_export: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another writer holds the lock past the busy timeout: the ingest fails, and the
    store's connection has its foreign-key checks on again, in the WAL, able to write."""
    db = tmp_path / "s.db"
    monkeypatch.setattr(store_module, "_BUSY_TIMEOUT_MS", 50)
    store = CostStore(db)
    other = sqlite3.connect(db, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    with pytest.raises(sqlite3.OperationalError, match="locked"):
        ingest(store, [str(cut_export)], allocation_tags=TAGS, aliases={}, workers=0)
    other.execute("ROLLBACK")
    other.close()
    assert store.conn.execute("PRAGMA foreign_keys").fetchone() == (1,)
    assert store.conn.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    assert not store.conn.in_transaction
    ingest(store, [str(cut_export)], allocation_tags=TAGS, aliases={}, workers=0)
    store.close()
    assert _journal_and_orphans(db) == ("wal", [])


def test_a_store_loaded_by_another_writer_before_the_lock_is_written_as_a_sync(
    cut_export: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Empty when looked at, filled by another writer before the write lock: the ingest
    must not drop the filled table's indexes or write without checks."""
    db = tmp_path / "s.db"
    ingest_into(db, cut_export, workers=0)  # the other writer's load
    declared = _charge_indexes(db)
    looks = iter([True])  # the first look (before the lock) sees an empty store
    real = CostStore._holds_no_charges
    monkeypatch.setattr(
        CostStore, "_holds_no_charges", lambda self: next(looks, None) or real(self)
    )
    assert set(_modes_while_writing(db, cut_export)) == {("wal", 1)}
    assert _charge_indexes(db) == declared
    assert _journal_and_orphans(db) == ("wal", [])
    conn = sqlite3.connect(db)
    assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    conn.close()


def test_a_first_ingest_beside_another_connection_stays_in_the_wal_and_the_reader_reads(
    cut_export: Path, tmp_path: Path
) -> None:
    """With the store open elsewhere (a bot answering), the load cannot take the store to
    itself: it stays in the WAL, and the other connection reads while it writes."""
    db = tmp_path / "s.db"
    CostStore(db).close()
    reader = sqlite3.connect(db)
    reader.execute("SELECT count(*) FROM charges").fetchone()
    store = CostStore(db)
    seen: list[tuple[object, ...]] = []
    replace = store._replace

    def reading(*args: object) -> object:
        seen.append(reader.execute("SELECT count(*) FROM charges").fetchone())  # not blocked
        seen.append(store.conn.execute("PRAGMA journal_mode").fetchone())
        return replace(*args)  # type: ignore[arg-type]

    store._replace = reading  # type: ignore[method-assign]
    ingest(store, [str(cut_export)], allocation_tags=TAGS, aliases={}, workers=0)
    store.close()
    assert (0,) in seen and ("wal",) in seen and ("delete",) not in seen
    assert reader.execute("SELECT count(*) FROM charges").fetchone()[0] > 0
    reader.close()
    assert _journal_and_orphans(db) == ("wal", [])


def test_a_first_ingest_killed_midway_leaves_an_empty_store_that_opens_in_the_wal(
    cut_export: Path, tmp_path: Path
) -> None:
    """The process dies after writing a part of a first load (rollback journal): the next
    open rolls the hot journal back, so the store holds nothing of it, and is in the WAL
    again; a new ingest then loads the whole bill."""
    import subprocess
    import sys

    db = tmp_path / "s.db"
    script = (
        "import os, sys\n"
        "from bot.costs.ingest import ingest\n"
        "from bot.costs.store import CostStore\n"
        "store = CostStore(sys.argv[1])\n"
        "real = CostStore._replace\n"
        "calls = []\n"
        "def dying(self, *args):\n"
        "    calls.append(1)\n"
        "    if len(calls) == 2:\n"
        "        os._exit(3)  # the first part is written, uncommitted\n"
        "    return real(self, *args)\n"
        "CostStore._replace = dying\n"
        "ingest(store, [sys.argv[2]], allocation_tags=('team',), aliases={}, workers=0)\n"
    )
    died = subprocess.run(
        [sys.executable, "-c", script, str(db), str(cut_export)],
        capture_output=True,
        text=True,
        cwd=Path(__file__).resolve().parents[2],
    )
    assert died.returncode == 3, died.stderr
    assert Path(f"{db}-journal").exists()  # a hot journal: the load was in the rollback journal
    store = CostStore(db)
    assert store.conn.execute("SELECT count(*) FROM charges").fetchone() == (0,)
    assert store.conn.execute("SELECT count(*) FROM deliveries").fetchone() == (0,)
    assert store.conn.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    store.close()
    assert ingest_into(db, cut_export, workers=0).rows_read > 0
    assert _journal_and_orphans(db) == ("wal", [])


def test_a_small_local_input_is_read_in_this_process_and_a_large_one_in_a_pool(
    cut_export: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert ingest_into(tmp_path / "a.db", cut_export).workers == 0  # kilobytes: no pool
    monkeypatch.setattr(ingest_module, "POOL_MIN_BYTES", 1)
    monkeypatch.setattr(ingest_module.os, "cpu_count", lambda: 2)
    auto = ingest_into(tmp_path / "b.db", cut_export)
    assert auto.workers == 2
    assert contents(tmp_path / "a.db")["charges"] == contents(tmp_path / "b.db")["charges"]
    total = from_nanos(sum(d.billed for d in auto.deliveries))
    assert total > Decimal(0)


@pytest.mark.parametrize(("value", "expected"), [("auto", None), ("0", 0), ("2", 2), (" 3 ", 3)])
def test_costbot_ingest_workers_setting(value: str, expected: int | None) -> None:
    assert Settings.from_env({"COSTBOT_INGEST_WORKERS": value}).ingest_workers == expected


@pytest.mark.parametrize("value", ["-1", "65", "many"])
def test_a_bad_costbot_ingest_workers_is_refused_with_its_name(value: str) -> None:
    with pytest.raises(SettingsError, match="COSTBOT_INGEST_WORKERS must be auto or"):
        Settings.from_env({"COSTBOT_INGEST_WORKERS": value})


def test_the_cli_ingests_with_the_workers_asked_for(cut_export: Path, tmp_path: Path) -> None:
    stores = {}
    for workers in ("0", "2"):
        stores[workers] = db = tmp_path / f"cli-{workers}.db"
        out = CliRunner().invoke(
            main, ["ingest", "--db", str(db), "--workers", workers, "--quiet", str(cut_export)]
        )
        assert out.exit_code == 0, out.output
    assert contents(stores["0"]) == contents(stores["2"])


def test_charges_written_a_slice_at_a_time_are_the_same_charges(
    cut_export: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ingest_into(tmp_path / "whole.db", cut_export, workers=0)
    monkeypatch.setattr(store_module, "_CELLS_PER_CHUNK", 50)  # slices of a few charges
    ingest_into(tmp_path / "sliced.db", cut_export, workers=0)
    assert contents(tmp_path / "sliced.db") == contents(tmp_path / "whole.db")


def test_small_decode_batches_stacked_for_the_roll_up_give_the_same_store(
    cut_export: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ingest_into(tmp_path / "big.db", cut_export, workers=0)
    # Batches of 40 lines, rolled up 130 at a time: tags one batch lacks, text columns
    # plain in one batch and dictionary-encoded in the next, must all line up.
    monkeypatch.setattr(tabular_module, "PARQUET_BATCH_ROWS", 40)
    monkeypatch.setattr(units_module, "ROLLUP_LINES", 130)
    ingest_into(tmp_path / "small.db", cut_export, workers=0)
    assert contents(tmp_path / "small.db") == contents(tmp_path / "big.db")


def test_an_automatic_pool_stays_within_its_memory_budget(
    cut_export: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ingest_module, "POOL_MIN_BYTES", 1)
    monkeypatch.setattr(ingest_module.os, "cpu_count", lambda: 4)
    # Units here are whole files (their row groups are small); parts are billing periods.
    lines = {p.name: pq.ParquetFile(p).metadata.num_rows for p in cut_export.glob("*.parquet")}
    periods: dict[str, int] = {}
    for name, n in lines.items():
        periods[name[: len("cur2-YYYY-MM")]] = periods.get(name[: len("cur2-YYYY-MM")], 0) + n
    unit, part = max(lines.values()), max(periods.values())
    one, two = (ingest_module.pool_memory_mb(n, unit, part) for n in (1, 2))
    assert one < two
    within_one = int(one) + 1  # room for one worker, not for two
    assert ingest_into(tmp_path / "a.db", cut_export, memory_mb=within_one).workers == 1
    assert ingest_into(tmp_path / "b.db", cut_export, memory_mb=int(one) - 1).workers == 0
    assert ingest_into(tmp_path / "c.db", cut_export, memory_mb=100_000).workers == 4
    # Asked for, the number is taken as it is.
    assert ingest_into(tmp_path / "d.db", cut_export, workers=2, memory_mb=300).workers == 2
    assert contents(tmp_path / "a.db") == contents(tmp_path / "b.db") == contents(tmp_path / "d.db")


def test_costbot_ingest_memory_mb_setting() -> None:
    assert Settings().ingest_memory_mb == 1024
    assert Settings.from_env({"COSTBOT_INGEST_MEMORY_MB": "2048"}).ingest_memory_mb == 2048
    for bad in ("100", "lots", "-5"):
        with pytest.raises(SettingsError, match="COSTBOT_INGEST_MEMORY_MB"):
            Settings.from_env({"COSTBOT_INGEST_MEMORY_MB": bad})


def test_a_result_handed_on_is_not_kept_while_the_writer_reads_the_next_unit(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Memory stays bounded: once the writer has taken a unit's result (and written it), the
    runner holds no reference to it while it reads another unit itself."""
    handed: list[weakref.ref[units_module.UnitResult]] = []
    alive_when_read_here: list[int] = []

    def read(unit: units_module.Unit) -> units_module.UnitResult:
        if threading.current_thread() is threading.main_thread():
            gc.collect()
            alive_when_read_here.append(sum(ref() is not None for ref in handed))
        else:
            time.sleep(0.05)  # a slow reader: the writer reads units itself meanwhile
        return units_module.UnitResult(ReadReport(unit.name, "test"))

    monkeypatch.setattr(ingest_module, "read_unit", read)
    units = [units_module.Unit(f"u{i}", f"u{i}", "", None, False, (), ()) for i in range(12)]
    with ingest_module._unit_runner(1) as run:
        for result in run(units):
            assert result.report.file == units[len(handed)].name  # in unit order
            handed.append(weakref.ref(result))
            del result
    assert len(handed) == len(units)
    assert alive_when_read_here and not any(alive_when_read_here)
