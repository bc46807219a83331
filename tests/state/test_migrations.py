"""The list of migration names the quick open trusts is the list the sets declare."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

from bot.costs.store import CostStore
from bot.state.migrations import DECLARED, MIGRATIONS_TABLE, migration_sets, up_to_date


def test_declared_names_every_migration_of_every_set_in_order() -> None:
    empty = Database(memory=True)
    declared = [(s.name, tuple(m.name for m in s.pending(empty))) for s in migration_sets()]
    assert declared == list(DECLARED.items()), (
        "a migration was added, renamed or removed: update DECLARED in bot/state/migrations.py"
    )


def test_the_table_is_the_one_sqlite_utils_records_migrations_in() -> None:
    assert Migrations.migrations_table == MIGRATIONS_TABLE


def test_a_new_store_records_every_declared_migration(tmp_path: Path) -> None:
    CostStore(tmp_path / "c.db").close()
    conn = sqlite3.connect(tmp_path / "c.db")
    assert up_to_date(conn)
    recorded = set(conn.execute(f"SELECT migration_set, name FROM {MIGRATIONS_TABLE}"))
    assert recorded == {(area, name) for area, names in DECLARED.items() for name in names}


def test_a_file_without_the_table_or_missing_one_name_is_not_up_to_date(tmp_path: Path) -> None:
    assert not up_to_date(sqlite3.connect(":memory:"))
    CostStore(tmp_path / "c.db").close()
    conn = sqlite3.connect(tmp_path / "c.db")
    conn.execute(f"DELETE FROM {MIGRATIONS_TABLE} WHERE name = 'm002_deliveries_by_export'")
    assert not up_to_date(conn)
