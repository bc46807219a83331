"""The audit log: every action costbot takes or refuses, who asked, and what came of it."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

from bot.costs.store import CostStore

migrations = Migrations("costbot.audit")
RESULTS = ("ok", "refused", "failed")


@migrations()
def m001_audit_log(db: Database) -> None:
    """Create the audit log."""
    db.executescript(
        """
CREATE TABLE audit_log (
  id INTEGER PRIMARY KEY,
  at TEXT NOT NULL,
  user TEXT NOT NULL,
  action TEXT NOT NULL,
  resource_id TEXT NOT NULL,
  finding_id TEXT,
  parameters TEXT NOT NULL DEFAULT '{}',
  result TEXT NOT NULL,
  detail TEXT NOT NULL DEFAULT '',
  error TEXT
);
CREATE INDEX audit_log_at ON audit_log (at);
"""
    )


@dataclass(frozen=True)
class AuditEntry:
    """One audited action."""

    at: datetime
    user: str
    action: str
    resource_id: str
    result: str
    detail: str
    finding_id: str | None = None
    parameters: dict[str, Any] | None = None
    error: str | None = None

    def to_json(self) -> dict[str, Any]:
        """Return the ``costbot audit --json`` shape of the entry (exact keys)."""
        return {
            "at": self.at.isoformat(),
            "user": self.user,
            "action": self.action,
            "resource_id": self.resource_id,
            "result": self.result,
            "detail": self.detail,
        }


def record(
    store: CostStore,
    *,
    at: datetime,
    user: str,
    action: str,
    resource_id: str,
    result: str,
    detail: str = "",
    finding_id: str | None = None,
    parameters: dict[str, Any] | None = None,
    error: str | None = None,
) -> None:
    """Append one entry (``result``: ok, refused or failed)."""
    if result not in RESULTS:
        raise ValueError(f"audit result must be one of {RESULTS}, got {result!r}")
    store.conn.execute(
        "INSERT INTO audit_log (at, user, action, resource_id, finding_id, parameters, result, "
        "detail, error) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            at.isoformat(timespec="seconds"),
            user,
            action,
            resource_id,
            finding_id,
            json.dumps(parameters or {}, sort_keys=True),
            result,
            detail,
            error,
        ),
    )


def entries(store: CostStore, since: datetime | None = None) -> list[AuditEntry]:
    """Return the entries at or after ``since`` (all without), oldest first."""
    sql = (
        "SELECT at, user, action, resource_id, result, detail, finding_id, parameters, error "
        "FROM audit_log"
    )
    args: tuple[str, ...] = ()
    if since is not None:
        sql += " WHERE at >= ?"
        args = (since.isoformat(timespec="seconds"),)
    rows = store.conn.execute(sql + " ORDER BY at, id", args).fetchall()
    return [
        AuditEntry(
            datetime.fromisoformat(at),
            user,
            action,
            rid,
            result,
            detail,
            fid,
            json.loads(params),
            err,
        )
        for at, user, action, rid, result, detail, fid, params, err in rows
    ]
