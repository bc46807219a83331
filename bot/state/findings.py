"""Idle GPU findings across sweeps: what was posted where, snoozes, "keep running" and stops.

One row per finding id (``idle:<account>:<region>:<resource-id>``). A finding is posted
once per *episode* (one run of the resource: a stopped and restarted instance is a new
episode); snoozing hides it until a time; "keep running" hides it for the episode.
Also holds the run-rate alert state, so a team over its limit is alerted once per crossing.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

from bot.costs.store import CostStore
from bot.insights.idle import Finding

migrations = Migrations("costbot.gpus")


@migrations()
def m001_findings(db: Database) -> None:
    """Create the findings and run-rate alert tables."""
    db.executescript(
        """
CREATE TABLE gpu_findings (
  id TEXT PRIMARY KEY,
  kind TEXT NOT NULL,
  resource_id TEXT NOT NULL,
  account TEXT NOT NULL,
  region TEXT NOT NULL,
  team TEXT,
  data TEXT NOT NULL,
  episode TEXT NOT NULL,
  first_seen TEXT NOT NULL,
  last_seen TEXT NOT NULL,
  status TEXT NOT NULL DEFAULT 'open',
  posted_episode TEXT,
  posted_channel TEXT,
  posted_ts TEXT,
  snoozed_until TEXT,
  snoozed_by TEXT,
  kept_episode TEXT,
  kept_reason TEXT,
  kept_by TEXT
);
CREATE TABLE run_rate_alerts (
  team TEXT PRIMARY KEY,
  alerted_at TEXT NOT NULL,
  hourly INTEGER NOT NULL
);
"""
    )


@dataclass(frozen=True)
class StoredFinding:
    """A finding as the store remembers it."""

    finding: Finding
    status: str  # open | gone | stopped
    last_seen: datetime
    posted_channel: str | None
    posted_ts: str | None
    snoozed_until: datetime | None
    kept_reason: str | None
    kept_by: str | None

    def hidden(self, now: datetime) -> bool:
        """Tell whether a snooze or "keep running" hides the finding now."""
        return (self.snoozed_until is not None and self.snoozed_until > now) or (
            self.kept_reason is not None
        )


_COLUMNS = (
    "data, status, last_seen, posted_channel, posted_ts, snoozed_until, kept_reason, kept_by, "
    "episode, kept_episode"
)


def _stored(row: tuple[object, ...]) -> StoredFinding:
    data, status, last_seen, channel, ts, snoozed, reason, kept_by, episode, kept_episode = row
    kept = reason if kept_episode == episode else None
    return StoredFinding(
        finding=Finding.from_record(json.loads(str(data))),
        status=str(status),
        last_seen=datetime.fromisoformat(str(last_seen)),
        posted_channel=str(channel) if channel else None,
        posted_ts=str(ts) if ts else None,
        snoozed_until=datetime.fromisoformat(str(snoozed)) if snoozed else None,
        kept_reason=str(kept) if kept else None,
        kept_by=str(kept_by) if kept and kept_by else None,
    )


def get_finding(store: CostStore, finding_id: str) -> StoredFinding | None:
    """Look a finding up by its id (for buttons, tickets and the CLI)."""
    row = store.conn.execute(
        f"SELECT {_COLUMNS} FROM gpu_findings WHERE id = ?", (finding_id,)
    ).fetchone()
    return _stored(row) if row else None


def open_findings(store: CostStore) -> list[StoredFinding]:
    """Return the findings of the last sweep that are still open."""
    rows = store.conn.execute(
        f"SELECT {_COLUMNS} FROM gpu_findings WHERE status = 'open' ORDER BY id"
    ).fetchall()
    return [_stored(r) for r in rows]


def record_sweep(store: CostStore, findings: list[Finding], now: datetime) -> list[Finding]:
    """Store a sweep's findings; return those to post (new episode, not hidden, not posted).

    Findings of earlier sweeps that this one no longer sees become ``gone``.
    """
    conn = store.conn
    stamp = now.isoformat()
    to_post: list[Finding] = []
    conn.execute("BEGIN IMMEDIATE")
    try:
        for f in findings:
            conn.execute(
                "INSERT INTO gpu_findings (id, kind, resource_id, account, region, team, data, "
                "episode, first_seen, last_seen, status) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, "
                "'open') ON CONFLICT (id) DO UPDATE SET kind = excluded.kind, "
                "team = excluded.team, "
                "data = excluded.data, episode = excluded.episode, last_seen = excluded.last_seen, "
                "status = CASE WHEN gpu_findings.status = 'stopped' AND gpu_findings.episode = "
                "excluded.episode THEN 'stopped' ELSE 'open' END, "
                "first_seen = CASE WHEN gpu_findings.episode = excluded.episode "
                "THEN gpu_findings.first_seen ELSE excluded.first_seen END",
                (
                    f.id,
                    f.kind,
                    f.resource_id,
                    f.account,
                    f.region,
                    f.team,
                    json.dumps(f.to_record()),
                    f.episode,
                    stamp,
                    stamp,
                ),
            )
            row = conn.execute(
                "SELECT posted_episode, snoozed_until, kept_episode, status FROM gpu_findings "
                "WHERE id = ?",
                (f.id,),
            ).fetchone()
            posted, snoozed, kept, status = row
            hidden = (snoozed and datetime.fromisoformat(snoozed) > now) or kept == f.episode
            if posted != f.episode and not hidden and status == "open":
                to_post.append(f)
        seen = [f.id for f in findings]
        marks = ",".join("?" * len(seen))
        conn.execute(
            f"UPDATE gpu_findings SET status = 'gone' WHERE status = 'open' "
            f"AND id NOT IN ({marks or 'NULL'})",
            seen,
        )
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    return to_post


def mark_posted(store: CostStore, finding: Finding, channel: str, ts: str) -> None:
    """Remember where a finding's message is (its buttons update it in place)."""
    store.conn.execute(
        "UPDATE gpu_findings SET posted_episode = ?, posted_channel = ?, posted_ts = ? "
        "WHERE id = ?",
        (finding.episode, channel, ts, finding.id),
    )


def mark_stopped(store: CostStore, finding_id: str) -> None:
    """Record that the finding's resource was stopped (this episode is over)."""
    store.conn.execute("UPDATE gpu_findings SET status = 'stopped' WHERE id = ?", (finding_id,))


def snooze(store: CostStore, finding_id: str, until: datetime, user: str) -> None:
    """Hide the finding until ``until``."""
    store.conn.execute(
        "UPDATE gpu_findings SET snoozed_until = ?, snoozed_by = ? WHERE id = ?",
        (until.isoformat(), user, finding_id),
    )


def keep_running(store: CostStore, finding_id: str, reason: str, user: str) -> None:
    """Hide the finding for this episode, with the reason it should keep running."""
    store.conn.execute(
        "UPDATE gpu_findings SET kept_episode = episode, kept_reason = ?, kept_by = ? WHERE id = ?",
        (reason, user, finding_id),
    )


def run_rate_alert_due(store: CostStore, team: str, hourly: int, now: datetime) -> bool:
    """Record a team over its limit; True only on the first sweep of a crossing."""
    inserted = store.conn.execute(
        "INSERT OR IGNORE INTO run_rate_alerts (team, alerted_at, hourly) VALUES (?, ?, ?)",
        (team, now.isoformat(), hourly),
    ).rowcount
    return bool(inserted)


def clear_run_rate_alerts(store: CostStore, teams_over: set[str]) -> None:
    """Forget the crossings of teams now back under their limit (they may alert again)."""
    rows = store.conn.execute("SELECT team FROM run_rate_alerts").fetchall()
    for (team,) in rows:
        if team not in teams_over:
            store.conn.execute("DELETE FROM run_rate_alerts WHERE team = ?", (team,))


def forget_run_rate_alert(store: CostStore, team: str) -> None:
    """Forget one team's crossing (its alert could not be posted: try again next sweep)."""
    store.conn.execute("DELETE FROM run_rate_alerts WHERE team = ?", (team,))
