"""What costbot remembers to speak first: the run ledger, subscriptions, budgets, alerts.

All of it lives in the store file, so a restart keeps every schedule, and every
"post once" promise is a UNIQUE key that SQLite enforces across processes:

* ``run_ledger`` — one row per (job, slot): a scheduled run is *claimed* by
  inserting its row; a second process (or a restarted one) finds the row and
  does not run the slot again. In-flight runs are marked ``interrupted`` on
  shutdown and may be re-claimed within the grace window; a row left
  ``running`` by a crashed process is re-claimable once its lease has expired.
* ``subscriptions`` — digests a channel asked for.
* ``budgets`` and ``budget_alerts`` — a budget alert is sent once per
  (budget, period, threshold): ``finding_id`` ``budget:<id>:<period>:<threshold>``.
* ``anomaly_alerts`` and ``anomaly_feedback`` — one Slack alert per anomaly id,
  with its thread, snoozes, acknowledgement and the feedback the detector uses.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

migrations = Migrations("costbot.scheduling")

LEASE = timedelta(minutes=15)
"""A ``running`` claim older than this belongs to a process that died: it may be re-claimed."""


@migrations()
def m001_scheduling(db: Database) -> None:
    """Create the ledger, subscriptions, budgets and alert tables."""
    db.executescript(
        """
CREATE TABLE run_ledger (
  job TEXT NOT NULL,
  slot TEXT NOT NULL,
  status TEXT NOT NULL,
  owner TEXT NOT NULL,
  started_at TEXT NOT NULL,
  finished_at TEXT,
  detail TEXT NOT NULL DEFAULT '{}',
  PRIMARY KEY (job, slot)
);
CREATE TABLE subscriptions (
  id INTEGER PRIMARY KEY,
  channel TEXT NOT NULL,
  cadence TEXT NOT NULL,
  filters TEXT NOT NULL,
  at TEXT NOT NULL,
  weekday INTEGER,
  tz TEXT NOT NULL,
  created_by TEXT,
  created_at TEXT NOT NULL
);
CREATE TABLE budgets (
  id INTEGER PRIMARY KEY,
  filters TEXT NOT NULL,
  amount INTEGER NOT NULL,
  period TEXT NOT NULL,
  thresholds TEXT NOT NULL,
  channel TEXT,
  created_by TEXT,
  created_at TEXT NOT NULL
);
CREATE TABLE budget_alerts (
  finding_id TEXT PRIMARY KEY,
  budget_id INTEGER NOT NULL,
  period TEXT NOT NULL,
  threshold TEXT NOT NULL,
  channel TEXT NOT NULL,
  ts TEXT,
  created_at TEXT NOT NULL
);
CREATE TABLE anomaly_alerts (
  anomaly_id TEXT PRIMARY KEY,
  channel TEXT NOT NULL,
  ts TEXT,
  dimension TEXT NOT NULL,
  value TEXT NOT NULL,
  start_day TEXT NOT NULL,
  last_day TEXT NOT NULL,
  impact INTEGER NOT NULL,
  state TEXT NOT NULL DEFAULT 'open',
  snoozed_until TEXT,
  acknowledged_by TEXT,
  closed_note_ts TEXT,
  created_at TEXT NOT NULL
);
CREATE TABLE anomaly_followups (
  anomaly_id TEXT NOT NULL,
  day TEXT NOT NULL,
  ts TEXT,
  PRIMARY KEY (anomaly_id, day)
);
CREATE TABLE anomaly_feedback (
  anomaly_id TEXT PRIMARY KEY,
  dimension TEXT NOT NULL,
  value TEXT NOT NULL,
  start_day TEXT NOT NULL,
  verdict TEXT NOT NULL,
  impact INTEGER NOT NULL,
  user_id TEXT,
  created_at TEXT NOT NULL
);
"""
    )


def _iso(when: datetime) -> str:
    return when.astimezone(UTC).isoformat(timespec="seconds")


@contextmanager
def _tx(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """Run statements in one IMMEDIATE transaction (the write lock is taken up front)."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


# -- run ledger -----------------------------------------------------------------------------


class _StoreTables:
    """Tables of the store read and written through this thread's connection."""

    def __init__(self, conn_source: Any) -> None:
        self._source = conn_source  # a CostStore (its .conn is per thread)

    @property
    def conn(self) -> sqlite3.Connection:
        """This thread's connection to the store."""
        conn: sqlite3.Connection = self._source.conn
        return conn


@dataclass(frozen=True)
class LedgerRow:
    """One recorded run of a job for a slot."""

    job: str
    slot: datetime
    status: str  # running | done | failed | skipped | interrupted
    owner: str
    started_at: datetime
    finished_at: datetime | None
    detail: dict[str, Any]


class RunLedger(_StoreTables):
    """Claim, finish and list job runs; the (job, slot) key makes each slot run once."""

    def claim(self, job: str, slot: datetime, owner: str, now: datetime) -> LedgerRow | None:
        """Claim (job, slot) for ``owner``; return the row, or None if it is taken or done.

        A slot is claimable when it has no row, when its run was ``interrupted`` by a
        shutdown, or when a ``running`` claim's lease has expired (its process died).
        """
        key = (job, _iso(slot))
        with _tx(self.conn) as c:
            row = c.execute(
                "SELECT status, started_at, detail FROM run_ledger WHERE job = ? AND slot = ?", key
            ).fetchone()
            if row is None:
                c.execute(
                    "INSERT INTO run_ledger (job, slot, status, owner, started_at) "
                    "VALUES (?, ?, 'running', ?, ?)",
                    (*key, owner, _iso(now)),
                )
                detail: dict[str, Any] = {}
            else:
                status, started, detail_text = row
                stale = status == "running" and datetime.fromisoformat(started) + LEASE <= now
                if status != "interrupted" and not stale:
                    return None
                c.execute(
                    "UPDATE run_ledger SET status = 'running', owner = ?, started_at = ?, "
                    "finished_at = NULL WHERE job = ? AND slot = ?",
                    (owner, _iso(now), *key),
                )
                detail = json.loads(detail_text)
        return LedgerRow(job, slot, "running", owner, now, None, detail)

    def record_skip(self, job: str, slot: datetime, owner: str, now: datetime, reason: str) -> bool:
        """Record that a slot was missed beyond the grace window; True if newly recorded."""
        try:
            self.conn.execute(
                "INSERT INTO run_ledger (job, slot, status, owner, started_at, finished_at, "
                "detail) VALUES (?, ?, 'skipped', ?, ?, ?, ?)",
                (job, _iso(slot), owner, _iso(now), _iso(now), json.dumps({"reason": reason})),
            )
        except sqlite3.IntegrityError:
            return False
        return True

    def save_detail(self, job: str, slot: datetime, detail: dict[str, Any]) -> None:
        """Remember progress inside a run (e.g. the ts of a posted message)."""
        self.conn.execute(
            "UPDATE run_ledger SET detail = ? WHERE job = ? AND slot = ?",
            (json.dumps(detail, sort_keys=True), job, _iso(slot)),
        )

    def finish(
        self,
        job: str,
        slot: datetime,
        owner: str,
        status: str,
        now: datetime,
        detail: dict[str, Any] | None = None,
    ) -> None:
        """Record the outcome of a claimed run (only the owner's claim is updated)."""
        sets = "status = ?, finished_at = ?"
        params: list[object] = [status, _iso(now)]
        if detail is not None:
            sets += ", detail = ?"
            params.append(json.dumps(detail, sort_keys=True, default=str))
        self.conn.execute(
            f"UPDATE run_ledger SET {sets} WHERE job = ? AND slot = ? AND owner = ? "
            "AND status = 'running'",
            [*params, job, _iso(slot), owner],
        )

    def interrupt_owner(self, owner: str, now: datetime) -> int:
        """Mark every run ``owner`` still has in flight as ``interrupted`` (on shutdown)."""
        cur = self.conn.execute(
            "UPDATE run_ledger SET status = 'interrupted', finished_at = ? "
            "WHERE owner = ? AND status = 'running'",
            (_iso(now), owner),
        )
        return cur.rowcount

    def rows(self, job: str | None = None) -> list[LedgerRow]:
        """Return the ledger, newest slot first (optionally for one job)."""
        sql = "SELECT job, slot, status, owner, started_at, finished_at, detail FROM run_ledger"
        params: list[object] = []
        if job:
            sql += " WHERE job = ?"
            params.append(job)
        return [_ledger_row(r) for r in self.conn.execute(sql + " ORDER BY slot DESC", params)]

    def known_slots(self, job: str, since: datetime) -> dict[datetime, str]:
        """Return {slot: status} of a job's rows from ``since`` on."""
        return {
            datetime.fromisoformat(slot): status
            for slot, status in self.conn.execute(
                "SELECT slot, status FROM run_ledger WHERE job = ? AND slot >= ?",
                (job, _iso(since)),
            )
        }

    def last(self, job: str) -> LedgerRow | None:
        """Return the job's latest recorded run."""
        row = self.conn.execute(
            "SELECT job, slot, status, owner, started_at, finished_at, detail FROM run_ledger "
            "WHERE job = ? ORDER BY slot DESC LIMIT 1",
            (job,),
        ).fetchone()
        return _ledger_row(row) if row else None


def _ledger_row(r: Sequence[Any]) -> LedgerRow:
    return LedgerRow(
        job=r[0],
        slot=datetime.fromisoformat(r[1]),
        status=r[2],
        owner=r[3],
        started_at=datetime.fromisoformat(r[4]),
        finished_at=datetime.fromisoformat(r[5]) if r[5] else None,
        detail=json.loads(r[6] or "{}"),
    )


# -- subscriptions --------------------------------------------------------------------------


@dataclass(frozen=True)
class Subscription:
    """A channel's digest: daily or weekly, at a local time in a time zone."""

    id: int
    channel: str
    cadence: str  # daily | weekly
    filters: tuple[tuple[str, str], ...]
    at: str  # HH:MM local
    weekday: int | None  # 0 = Monday (weekly only)
    tz: str
    created_by: str | None = None
    created_at: datetime | None = None

    @property
    def job(self) -> str:
        """Name this subscription's job in the run ledger."""
        return f"post_digests:{self.id}"

    def describe(self) -> str:
        """Say it the way it was asked: ``daily team ai-research at 09:00 tz Europe/Berlin``."""
        parts = [self.cadence]
        if self.cadence == "weekly" and self.weekday is not None:
            parts.append(f"on {WEEKDAYS[self.weekday]}")
        parts += [f"{k} {_quote(v)}" for k, v in self.filters]
        parts.append(f"at {self.at}")
        parts.append(f"tz {self.tz}")
        return " ".join(parts)


WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


def _quote(value: str) -> str:
    return f'"{value}"' if any(c.isspace() for c in value) else value


class Subscriptions(_StoreTables):
    """Add, list and remove digest subscriptions."""

    def add(
        self,
        *,
        channel: str,
        cadence: str,
        filters: Sequence[tuple[str, str]],
        at: str,
        weekday: int | None,
        tz: str,
        created_by: str | None,
        now: datetime,
    ) -> Subscription:
        """Store a subscription and return it with its number."""
        cur = self.conn.execute(
            "INSERT INTO subscriptions (channel, cadence, filters, at, weekday, tz, created_by, "
            "created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                channel,
                cadence,
                json.dumps([list(f) for f in filters]),
                at,
                weekday,
                tz,
                created_by,
                _iso(now),
            ),
        )
        found = self.get(int(cur.lastrowid or 0))
        assert found is not None
        return found

    def get(self, sub_id: int) -> Subscription | None:
        """Return one subscription by number."""
        rows = self._select("WHERE id = ?", [sub_id])
        return rows[0] if rows else None

    def all(self, channel: str | None = None) -> list[Subscription]:
        """Return every subscription (of one channel), oldest first."""
        if channel:
            return self._select("WHERE channel = ? ORDER BY id", [channel])
        return self._select("ORDER BY id", [])

    def delete(self, sub_id: int, channel: str | None = None) -> bool:
        """Remove a subscription (only from ``channel`` when given); True if one was removed."""
        sql, params = "DELETE FROM subscriptions WHERE id = ?", [sub_id]
        if channel:
            sql += " AND channel = ?"
            params.append(channel)  # type: ignore[arg-type]
        return self.conn.execute(sql, params).rowcount > 0

    def _select(self, where: str, params: list[object]) -> list[Subscription]:
        out = []
        for r in self.conn.execute(
            "SELECT id, channel, cadence, filters, at, weekday, tz, created_by, created_at "
            f"FROM subscriptions {where}",
            params,
        ):
            out.append(
                Subscription(
                    id=r[0],
                    channel=r[1],
                    cadence=r[2],
                    filters=tuple((k, v) for k, v in json.loads(r[3])),
                    at=r[4],
                    weekday=r[5],
                    tz=r[6],
                    created_by=r[7],
                    created_at=datetime.fromisoformat(r[8]),
                )
            )
        return out


# -- budgets --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Budget:
    """A monthly budget for a slice of spend, with its alert thresholds (percent)."""

    id: int
    filters: tuple[tuple[str, str], ...]
    amount: int  # nano-units per period
    period: str  # monthly
    thresholds: tuple[int, ...]
    channel: str | None
    created_by: str | None = None
    created_at: datetime | None = None

    def scope(self) -> str:
        """Say what the budget covers: ``team ai-research`` or ``all spend``."""
        return " ".join(f"{k} {_quote(v)}" for k, v in self.filters) or "all spend"


class Budgets(_StoreTables):
    """Add, list and remove budgets; remember which alerts went out."""

    def add(
        self,
        *,
        filters: Sequence[tuple[str, str]],
        amount: int,
        period: str,
        thresholds: Sequence[int],
        channel: str | None,
        created_by: str | None,
        now: datetime,
    ) -> Budget:
        """Store a budget and return it with its number."""
        cur = self.conn.execute(
            "INSERT INTO budgets (filters, amount, period, thresholds, channel, created_by, "
            "created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                json.dumps([list(f) for f in filters]),
                amount,
                period,
                json.dumps(list(thresholds)),
                channel,
                created_by,
                _iso(now),
            ),
        )
        found = self.get(int(cur.lastrowid or 0))
        assert found is not None
        return found

    def get(self, budget_id: int) -> Budget | None:
        """Return one budget by number."""
        rows = self._select("WHERE id = ?", [budget_id])
        return rows[0] if rows else None

    def all(self) -> list[Budget]:
        """Return every budget, oldest first."""
        return self._select("ORDER BY id", [])

    def delete(self, budget_id: int) -> bool:
        """Remove a budget; True if one was removed."""
        return self.conn.execute("DELETE FROM budgets WHERE id = ?", (budget_id,)).rowcount > 0

    def claim_alert(
        self,
        finding_id: str,
        budget_id: int,
        period: str,
        threshold: str,
        channel: str,
        now: datetime,
    ) -> bool:
        """Claim the right to send one budget alert; False if it was sent (or is being sent)."""
        try:
            self.conn.execute(
                "INSERT INTO budget_alerts (finding_id, budget_id, period, threshold, channel, "
                "created_at) VALUES (?, ?, ?, ?, ?, ?)",
                (finding_id, budget_id, period, threshold, channel, _iso(now)),
            )
        except sqlite3.IntegrityError:
            # Claimed but never posted (the run was interrupted): it may be sent again.
            row = self.conn.execute(
                "SELECT ts FROM budget_alerts WHERE finding_id = ?", (finding_id,)
            ).fetchone()
            return row is not None and row[0] is None
        return True

    def alert_sent(self, finding_id: str, ts: str) -> None:
        """Record the message of a posted budget alert."""
        self.conn.execute("UPDATE budget_alerts SET ts = ? WHERE finding_id = ?", (ts, finding_id))

    def alerts(self) -> list[dict[str, Any]]:
        """Return the sent budget alerts."""
        cur = self.conn.execute(
            "SELECT finding_id, budget_id, period, threshold, channel, ts FROM budget_alerts "
            "ORDER BY created_at"
        )
        cols = [d[0] for d in cur.description]
        return [dict(zip(cols, r, strict=True)) for r in cur]

    def _select(self, where: str, params: list[object]) -> list[Budget]:
        out = []
        for r in self.conn.execute(
            "SELECT id, filters, amount, period, thresholds, channel, created_by, created_at "
            f"FROM budgets {where}",
            params,
        ):
            out.append(
                Budget(
                    id=r[0],
                    filters=tuple((k, v) for k, v in json.loads(r[1])),
                    amount=int(r[2]),
                    period=r[3],
                    thresholds=tuple(int(t) for t in json.loads(r[4])),
                    channel=r[5],
                    created_by=r[6],
                    created_at=datetime.fromisoformat(r[7]),
                )
            )
        return out


# -- anomaly alerts and feedback --------------------------------------------------------------


@dataclass
class AnomalyAlert:
    """The Slack alert of one anomaly (its thread carries the follow-ups)."""

    anomaly_id: str
    channel: str
    ts: str | None
    dimension: str
    value: str
    start_day: str
    last_day: str
    impact: int
    state: str  # open | acknowledged | closed
    snoozed_until: datetime | None
    acknowledged_by: str | None
    closed_note_ts: str | None
    followup_days: set[str] = field(default_factory=set)


@dataclass(frozen=True)
class Feedback:
    """What a person said about an anomaly: ``expected`` or ``not_a_problem``."""

    anomaly_id: str
    dimension: str
    value: str
    start_day: str
    verdict: str
    impact: int


class AnomalyAlerts(_StoreTables):
    """One alert per anomaly id, its follow-ups, snoozes, acknowledgements and feedback."""

    def claim(
        self,
        anomaly_id: str,
        *,
        channel: str,
        dimension: str,
        value: str,
        start_day: str,
        impact: int,
        now: datetime,
    ) -> bool:
        """Claim the alert of an anomaly; False if it exists and was posted."""
        try:
            self.conn.execute(
                "INSERT INTO anomaly_alerts (anomaly_id, channel, dimension, value, start_day, "
                "last_day, impact, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (anomaly_id, channel, dimension, value, start_day, start_day, impact, _iso(now)),
            )
        except sqlite3.IntegrityError:
            row = self.conn.execute(
                "SELECT ts FROM anomaly_alerts WHERE anomaly_id = ?", (anomaly_id,)
            ).fetchone()
            return row is not None and row[0] is None
        return True

    def posted(self, anomaly_id: str, ts: str) -> None:
        """Record the ts of the alert message (its thread)."""
        self.conn.execute("UPDATE anomaly_alerts SET ts = ? WHERE anomaly_id = ?", (ts, anomaly_id))

    def get(self, anomaly_id: str) -> AnomalyAlert | None:
        """Return one alert with the days it was followed up on."""
        found = self._select("WHERE anomaly_id = ?", [anomaly_id])
        return found[0] if found else None

    def open_alerts(self) -> list[AnomalyAlert]:
        """Return posted alerts whose anomaly has not closed."""
        return self._select("WHERE state != 'closed' AND ts IS NOT NULL", [])

    def all(self) -> list[AnomalyAlert]:
        """Return every alert, oldest first."""
        return self._select("", [])

    def claim_followup(self, anomaly_id: str, day: str) -> bool:
        """Claim the follow-up of one day; False if it was posted."""
        try:
            self.conn.execute(
                "INSERT INTO anomaly_followups (anomaly_id, day) VALUES (?, ?)", (anomaly_id, day)
            )
        except sqlite3.IntegrityError:
            row = self.conn.execute(
                "SELECT ts FROM anomaly_followups WHERE anomaly_id = ? AND day = ?",
                (anomaly_id, day),
            ).fetchone()
            return row is not None and row[0] is None
        return True

    def followup_posted(self, anomaly_id: str, day: str, ts: str, impact: int) -> None:
        """Record a posted follow-up and the episode's impact so far."""
        self.conn.execute(
            "UPDATE anomaly_followups SET ts = ? WHERE anomaly_id = ? AND day = ?",
            (ts, anomaly_id, day),
        )
        self.conn.execute(
            "UPDATE anomaly_alerts SET last_day = MAX(last_day, ?), impact = ? "
            "WHERE anomaly_id = ?",
            (day, impact, anomaly_id),
        )

    def close(self, anomaly_id: str, note_ts: str | None) -> None:
        """Mark the anomaly ended (its closing note posted)."""
        self.conn.execute(
            "UPDATE anomaly_alerts SET state = 'closed', closed_note_ts = ? WHERE anomaly_id = ?",
            (note_ts, anomaly_id),
        )

    def acknowledge(self, anomaly_id: str, user_id: str | None) -> None:
        """Record who acknowledged the alert."""
        self.conn.execute(
            "UPDATE anomaly_alerts SET acknowledged_by = ?, state = CASE WHEN state = 'open' "
            "THEN 'acknowledged' ELSE state END WHERE anomaly_id = ?",
            (user_id or "someone", anomaly_id),
        )

    def snooze(self, anomaly_id: str, until: datetime) -> None:
        """Silence the alert's follow-ups until ``until``."""
        self.conn.execute(
            "UPDATE anomaly_alerts SET snoozed_until = ? WHERE anomaly_id = ?",
            (_iso(until), anomaly_id),
        )

    def record_feedback(
        self,
        anomaly_id: str,
        verdict: str,
        user_id: str | None,
        now: datetime,
    ) -> Feedback | None:
        """Store ``expected`` / ``not_a_problem`` for an alerted anomaly (last word wins)."""
        alert = self.get(anomaly_id)
        if alert is None:
            return None
        self.conn.execute(
            "INSERT INTO anomaly_feedback (anomaly_id, dimension, value, start_day, verdict, "
            "impact, user_id, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT(anomaly_id) DO UPDATE SET verdict = excluded.verdict, "
            "user_id = excluded.user_id, created_at = excluded.created_at",
            (
                anomaly_id,
                alert.dimension,
                alert.value,
                alert.start_day,
                verdict,
                alert.impact,
                user_id,
                _iso(now),
            ),
        )
        return Feedback(
            anomaly_id, alert.dimension, alert.value, alert.start_day, verdict, alert.impact
        )

    def feedback(self) -> list[Feedback]:
        """Return every stored feedback (the detector's input)."""
        return [
            Feedback(*r)
            for r in self.conn.execute(
                "SELECT anomaly_id, dimension, value, start_day, verdict, impact "
                "FROM anomaly_feedback ORDER BY created_at"
            )
        ]

    def _select(self, where: str, params: list[object]) -> list[AnomalyAlert]:
        out = []
        for r in self.conn.execute(
            "SELECT anomaly_id, channel, ts, dimension, value, start_day, last_day, impact, "
            "state, snoozed_until, acknowledged_by, closed_note_ts FROM anomaly_alerts "
            f"{where} ORDER BY created_at, anomaly_id",
            params,
        ):
            days = {
                d
                for (d,) in self.conn.execute(
                    "SELECT day FROM anomaly_followups WHERE anomaly_id = ? AND ts IS NOT NULL",
                    (r[0],),
                )
            }
            out.append(
                AnomalyAlert(
                    anomaly_id=r[0],
                    channel=r[1],
                    ts=r[2],
                    dimension=r[3],
                    value=r[4],
                    start_day=r[5],
                    last_day=r[6],
                    impact=int(r[7]),
                    state=r[8],
                    snoozed_until=datetime.fromisoformat(r[9]) if r[9] else None,
                    acknowledged_by=r[10],
                    closed_note_ts=r[11],
                    followup_days=days,
                )
            )
        return out
