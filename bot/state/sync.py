"""What the bot remembers about its syncs: every run, its API spend, and the S3 objects seen.

``sync_runs`` holds one row per sync of one source (Cost Explorer, Athena or an
S3 prefix), successful or not, with what it cost: Cost Explorer requests at
$0.01 each (every page is a request) and Athena bytes scanned at $5 per TB.
The per-day Cost Explorer cap, ``/healthz``, ``/metrics``, ``costbot status``
and the digest footer all read it. ``sync_s3_objects`` is the ETag ledger that
lets an unchanged bucket cost one LIST.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

migrations = Migrations("costbot.sync")

CE_REQUEST_NANOS = 10_000_000  # $0.01 per GetCostAndUsage request, every page included
ATHENA_NANOS_PER_TB = 5_000_000_000  # $5 per TB scanned
ATHENA_MIN_BYTES = 10 * 1_000_000  # Athena bills at least 10 MB per query, in whole MB


@migrations()
def m001_sync_runs(db: Database) -> None:
    """Create the sync run ledger and the S3 object ledger."""
    db.executescript(
        """
CREATE TABLE sync_runs (
  id INTEGER PRIMARY KEY,
  source TEXT NOT NULL,        -- 'ce', 'athena' or 's3://bucket/prefix'
  started_at TEXT NOT NULL,    -- ISO UTC
  day INTEGER NOT NULL,        -- UTC day number the run started (for the daily cap)
  finished_at TEXT NOT NULL,
  ok INTEGER NOT NULL,
  rows INTEGER NOT NULL,       -- rows written to the store (0 on failure)
  seconds REAL NOT NULL,
  requests INTEGER NOT NULL,   -- Cost Explorer requests (pages) made
  bytes_scanned INTEGER NOT NULL,
  spend INTEGER NOT NULL,      -- what the run's API calls cost, nano-USD
  periods TEXT NOT NULL,       -- JSON list of billing periods replaced
  detail TEXT NOT NULL         -- one line: what happened, or the error
);
CREATE INDEX sync_runs_by_source ON sync_runs (source, id);
CREATE INDEX sync_runs_by_day ON sync_runs (day);
CREATE TABLE sync_s3_objects (
  source TEXT NOT NULL,
  uri TEXT NOT NULL,
  etag TEXT NOT NULL,
  size INTEGER NOT NULL,
  ingested_at TEXT NOT NULL,
  PRIMARY KEY (source, uri)
) WITHOUT ROWID;
"""
    )


def athena_spend_nanos(bytes_scanned: int) -> int:
    """Return what Athena bills for one query: $5/TB, whole MB, at least 10 MB."""
    if bytes_scanned <= 0:
        return 0
    billed = max(ATHENA_MIN_BYTES, -(-bytes_scanned // 1_000_000) * 1_000_000)
    return billed * ATHENA_NANOS_PER_TB // 1_000_000_000_000


@dataclass
class SyncRun:
    """One sync of one source, as recorded."""

    source: str
    started_at: datetime
    finished_at: datetime
    ok: bool
    rows: int = 0
    requests: int = 0
    bytes_scanned: int = 0
    spend: int = 0  # nano-USD
    periods: list[str] = field(default_factory=list)
    detail: str = ""

    @property
    def seconds(self) -> float:
        """How long the run took."""
        return (self.finished_at - self.started_at).total_seconds()


@dataclass(frozen=True)
class ApiSpend:
    """What the bot's own AWS API calls cost over a span of days (nano-USD)."""

    since: date
    ce_requests: int
    athena_bytes: int
    spend: int


class SyncLedger:
    """Read and write the sync tables of a store's database."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def record(self, run: SyncRun) -> None:
        """Record one finished run (successful or not)."""
        day = (run.started_at.astimezone(UTC).date() - date(1970, 1, 1)).days
        self.db.execute(
            "INSERT INTO sync_runs (source, started_at, day, finished_at, ok, rows, seconds, "
            "requests, bytes_scanned, spend, periods, detail) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                run.source,
                _iso(run.started_at),
                day,
                _iso(run.finished_at),
                int(run.ok),
                run.rows,
                run.seconds,
                run.requests,
                run.bytes_scanned,
                run.spend,
                json.dumps(run.periods),
                run.detail[:2000],
            ),
        )

    def ce_requests_on(self, day: date) -> int:
        """Return the Cost Explorer requests made by runs that started on this UTC day."""
        n = (day - date(1970, 1, 1)).days
        row = self.db.execute(
            "SELECT COALESCE(SUM(requests), 0) FROM sync_runs WHERE day = ? AND source = 'ce'",
            (n,),
        ).fetchone()
        return int(row[0])

    def spend_since(self, since: date) -> ApiSpend:
        """Return the API spend of every run since this UTC day (inclusive)."""
        n = (since - date(1970, 1, 1)).days
        row = self.db.execute(
            "SELECT COALESCE(SUM(requests), 0), COALESCE(SUM(bytes_scanned), 0), "
            "COALESCE(SUM(spend), 0) FROM sync_runs WHERE day >= ?",
            (n,),
        ).fetchone()
        return ApiSpend(since, int(row[0]), int(row[1]), int(row[2]))

    def last_runs(self) -> list[dict[str, Any]]:
        """Return, per source, its last run and its last successful run."""
        out = []
        sources = [
            r[0] for r in self.db.execute("SELECT DISTINCT source FROM sync_runs ORDER BY 1")
        ]
        for source in sources:
            last = self._run_row("WHERE source = ? ORDER BY id DESC LIMIT 1", source)
            ok = self._run_row("WHERE source = ? AND ok = 1 ORDER BY id DESC LIMIT 1", source)
            out.append({"source": source, "last": last, "last_success": ok})
        return out

    def _run_row(self, where: str, source: str) -> dict[str, Any] | None:
        cols = (
            "started_at",
            "finished_at",
            "ok",
            "rows",
            "seconds",
            "requests",
            "bytes_scanned",
            "spend",
            "periods",
            "detail",
        )
        row = self.db.execute(
            f"SELECT {', '.join(cols)} FROM sync_runs {where}", (source,)
        ).fetchone()
        if row is None:
            return None
        out = dict(zip(cols, row, strict=True))
        out["ok"] = bool(out["ok"])
        out["periods"] = json.loads(out["periods"])
        return out

    # -- the S3 ETag ledger --------------------------------------------------------------

    def s3_seen(self, source: str) -> dict[str, str]:
        """Return ``uri -> ETag`` of the objects last ingested from an S3 source."""
        return {
            uri: etag
            for uri, etag in self.db.execute(
                "SELECT uri, etag FROM sync_s3_objects WHERE source = ?", (source,)
            )
        }

    def s3_mark(self, source: str, objects: Iterable[tuple[str, str, int]], now: datetime) -> None:
        """Remember objects (uri, ETag, size) as ingested."""
        self.db.conn.executemany(
            "INSERT INTO sync_s3_objects (source, uri, etag, size, ingested_at) "
            "VALUES (?, ?, ?, ?, ?) ON CONFLICT(source, uri) DO UPDATE SET "
            "etag = excluded.etag, size = excluded.size, ingested_at = excluded.ingested_at",
            [(source, uri, etag, size, _iso(now)) for uri, etag, size in objects],
        )


def ledger_for(conn: Any) -> SyncLedger:
    """Return a ledger on this thread's store connection (``CostStore.conn``)."""
    return SyncLedger(Database(conn))


def spend_summary(ledger: SyncLedger, today: date) -> dict[str, Any]:
    """Return the bot's own API spend today and this month, for healthz/status/digest."""
    month = ledger.spend_since(today.replace(day=1))
    day = ledger.spend_since(today)
    return {
        "today": _spend_json(day),
        "month_to_date": _spend_json(month),
    }


def _spend_json(spend: ApiSpend) -> Mapping[str, Any]:
    from bot.money import decimal_text

    return {
        "since": spend.since.isoformat(),
        "ce_requests": spend.ce_requests,
        "athena_bytes_scanned": spend.athena_bytes,
        "usd": decimal_text(spend.spend),
    }


def _iso(ts: datetime) -> str:
    return ts.astimezone(UTC).isoformat(timespec="seconds")
