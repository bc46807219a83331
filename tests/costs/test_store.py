"""The store file: versioned schema, reopening, and what a fresh store says."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.costs.schema import SCHEMA_VERSION
from bot.costs.store import CostStore
from bot.errors import StoreError


def test_a_new_store_is_at_the_current_schema_and_reopening_changes_nothing(
    tmp_path: Path,
) -> None:
    first = CostStore(tmp_path / "s.db")
    assert first.schema_version() == SCHEMA_VERSION
    first.close()
    again = CostStore(tmp_path / "s.db")
    assert again.schema_version() == SCHEMA_VERSION
    names = {r[0] for r in again.conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert {
        "charges",
        "cost_groups",
        "daily_group_costs",
        "tags",
        "tagsets",
        "deliveries",
        "_sqlite_migrations",
    } <= names
    assert again.data_through() is None and again.deliveries() == []
    again.close()


def test_opening_a_store_another_process_has_locked_says_so_and_what_to_do(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """While a first ingest holds the store to itself (rollback journal, exclusive lock),
    opening it is refused with a message naming the cause, not called "not a store"."""
    import sqlite3

    import bot.costs.store as store_module

    db = tmp_path / "s.db"
    CostStore(db).close()
    holder = sqlite3.connect(db, isolation_level=None)
    assert holder.execute("PRAGMA journal_mode=DELETE").fetchone() == ("delete",)
    holder.execute("BEGIN EXCLUSIVE")
    monkeypatch.setattr(store_module, "_BUSY_TIMEOUT_MS", 50)
    with pytest.raises(StoreError, match=r"locked by another process.*try again"):
        CostStore(db)
    holder.execute("ROLLBACK")
    holder.close()
    CostStore(db).close()  # free again: it opens, and goes back to the WAL
    check = sqlite3.connect(db)
    assert check.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    check.close()


def test_charge_vectors_are_written_as_blobs_byte_for_byte_and_a_missing_one_as_null() -> None:
    """The writer binds BLOBs as bytearrays and None as an empty one turned into NULL in
    SQL: what is stored must still be the same bytes, and NULL, never an empty BLOB."""
    import sqlite3

    from bot.costs.store import _insert_columns

    conn = sqlite3.connect(":memory:", isolation_level=None)
    conn.execute("CREATE TABLE t (id INTEGER, name TEXT, a BLOB, b BLOB)")
    ids = list(range(130))  # more rows than one statement holds
    a = [i.to_bytes(8, "little", signed=True) * (1 + i % 3) for i in ids]
    b = [None if i % 4 else bytes([i]) for i in ids]
    _insert_columns(
        conn, "INSERT INTO t (id, name, a, b) VALUES ", [ids, ["x"] * 130, a, b], blobs=2
    )  # type: ignore[list-item]
    rows = conn.execute("SELECT id, name, a, b, typeof(a), typeof(b) FROM t ORDER BY id").fetchall()
    assert [r[2] for r in rows] == a
    assert [r[3] for r in rows] == b
    assert {r[4] for r in rows} == {"blob"}
    assert {r[5] for r in rows} == {"blob", "null"}


def test_the_serving_bot_builds_a_shared_store_and_the_cli_a_private_one(tmp_path: Path) -> None:
    """The bot's listeners open connections whenever questions come: its store is shared,
    so a first load there stays in the WAL; the CLI's ingest may take the store to itself."""
    from bot.services import build_services
    from bot.settings import Settings

    settings = Settings.from_env({"COSTBOT_DB": str(tmp_path / "s.db")})
    served = build_services(settings, serving=True)
    cli = build_services(settings)
    try:
        assert served.store.shared is True
        assert cli.store.shared is False
    finally:
        served.close()
        cli.close()


def test_serve_builds_its_services_for_serving(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import bot.slack_app as slack_app
    from bot.settings import Settings

    asked: list[dict[str, object]] = []

    class Built(Exception):
        pass

    def building(settings: object, **kwargs: object) -> object:
        asked.append(kwargs)
        raise Built  # stop here: only how the services are built is checked

    monkeypatch.setattr(slack_app, "build_services", building)
    settings = Settings.from_env(
        {
            "COSTBOT_DB": str(tmp_path / "s.db"),
            "SLACK_BOT_TOKEN": "xoxb-test",
            "SLACK_SIGNING_SECRET": "secret",
        }
    )
    with pytest.raises(Built):
        slack_app.serve(settings)
    assert asked == [{"serving": True}]
