"""Idempotency keys: an action runs once however often it is asked for, across restarts.

``claim`` is one ``INSERT OR IGNORE`` on a primary key, so of any number of concurrent
clicks (threads, processes, a bot restarted mid-way) exactly one wins. A claim still
``pending`` after :data:`STALE_AFTER` (the winner died mid-way) may be taken over; the
action re-checks the resource before it acts, so a takeover never acts twice.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

from bot.costs.store import CostStore

migrations = Migrations("costbot.idempotency")
STALE_AFTER = timedelta(minutes=10)


@migrations()
def m001_idempotency_keys(db: Database) -> None:
    """Create the idempotency key table."""
    db.execute(
        """
CREATE TABLE idempotency_keys (
  key TEXT PRIMARY KEY,
  owner TEXT NOT NULL,
  created_at TEXT NOT NULL,
  status TEXT NOT NULL,
  result TEXT
)"""
    )


@dataclass(frozen=True)
class Claim:
    """Who holds a key, and what came of it."""

    key: str
    won: bool
    owner: str
    created_at: datetime
    status: str  # pending | done
    result: dict[str, Any] | None


def _read(store: CostStore, key: str, won: bool) -> Claim:
    row = store.conn.execute(
        "SELECT owner, created_at, status, result FROM idempotency_keys WHERE key = ?", (key,)
    ).fetchone()
    owner, created, status, result = row
    return Claim(
        key,
        won,
        owner,
        datetime.fromisoformat(created),
        status,
        json.loads(result) if result else None,
    )


def claim(store: CostStore, key: str, owner: str, now: datetime) -> Claim:
    """Try to take ``key`` for ``owner``; ``won`` says whether this caller runs the action."""
    conn = store.conn
    inserted = conn.execute(
        "INSERT OR IGNORE INTO idempotency_keys (key, owner, created_at, status) "
        "VALUES (?, ?, ?, 'pending')",
        (key, owner, now.isoformat()),
    ).rowcount
    if not inserted:
        inserted = conn.execute(
            "UPDATE idempotency_keys SET owner = ?, created_at = ? "
            "WHERE key = ? AND status = 'pending' AND created_at < ?",
            (owner, now.isoformat(), key, (now - STALE_AFTER).isoformat()),
        ).rowcount
    return _read(store, key, bool(inserted))


def held(store: CostStore, key: str) -> Claim | None:
    """Return who holds ``key`` (pending or done), or None when nobody does."""
    row = store.conn.execute("SELECT 1 FROM idempotency_keys WHERE key = ?", (key,)).fetchone()
    return _read(store, key, False) if row else None


def complete(store: CostStore, key: str, result: dict[str, Any]) -> None:
    """Mark the key's action done, with its result (what later duplicates are told)."""
    store.conn.execute(
        "UPDATE idempotency_keys SET status = 'done', result = ? WHERE key = ?",
        (json.dumps(result), key),
    )


def release(store: CostStore, key: str) -> None:
    """Give the key back: the action did not happen and may be asked for again."""
    store.conn.execute("DELETE FROM idempotency_keys WHERE key = ? AND status = 'pending'", (key,))
