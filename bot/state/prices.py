"""Refreshed instance prices (``costbot prices refresh``), which win over the shipped table."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

from bot.costs.store import CostStore

migrations = Migrations("costbot.prices")


@migrations()
def m001_instance_prices(db: Database) -> None:
    """Create the refreshed-prices table."""
    db.execute(
        """
CREATE TABLE instance_prices (
  region TEXT NOT NULL,
  instance_type TEXT NOT NULL,
  hourly INTEGER NOT NULL,
  currency TEXT NOT NULL,
  source TEXT NOT NULL,
  as_of TEXT NOT NULL,
  PRIMARY KEY (region, instance_type)
)"""
    )


def save_prices(
    store: CostStore, prices: Mapping[tuple[str, str], int], *, source: str, as_of: datetime
) -> int:
    """Store refreshed hourly prices (nano-USD); return how many were written."""
    rows = [
        (region, itype, nanos, "USD", source, as_of.isoformat(timespec="seconds"))
        for (region, itype), nanos in sorted(prices.items())
    ]
    conn = store.conn
    conn.execute("BEGIN IMMEDIATE")
    try:
        conn.executemany("INSERT OR REPLACE INTO instance_prices VALUES (?, ?, ?, ?, ?, ?)", rows)
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    return len(rows)


def stored_prices(store: CostStore) -> dict[tuple[str, str], tuple[int, str]]:
    """Return refreshed prices: ``(region, type) -> (nanos, as_of)``."""
    rows = store.conn.execute(
        "SELECT region, instance_type, hourly, as_of FROM instance_prices"
    ).fetchall()
    return {(r, t): (int(h), str(a)) for r, t, h, a in rows}
