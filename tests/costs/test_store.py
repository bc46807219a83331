"""The store file: versioned schema, reopening, and what a fresh store says."""

from __future__ import annotations

from pathlib import Path

from bot.costs.schema import SCHEMA_VERSION
from bot.costs.store import CostStore


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
