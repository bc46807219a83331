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
