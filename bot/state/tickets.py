"""Ticket requests: one row per finding, the store-backed idempotency of the ticket flow.

A row is written when someone clicks "Open Jira ticket" (``draft``, with where the
Slack message is), and claimed atomically when a ticket is filed (``filing``):
one ``UPDATE … WHERE status IN (…)`` decides, so Slack retries, double submits,
two people clicking and the terminal all file ONE ticket. The request (the
fields the person chose) is kept, so a failure (``failed``) loses nothing and
Retry re-sends it. ``open`` rows hold the ticket's key; ``done`` rows are
tickets the poll found resolved.

A ``filing`` claim older than :data:`STALE_CLAIM` (a process that died
mid-request) may be claimed again; the JQL search on the finding's label then
keeps that from filing a second ticket.
"""

from __future__ import annotations

import json
import sqlite3
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

migrations = Migrations("costbot.tickets")

STALE_CLAIM = timedelta(minutes=10)
DRAFT, FILING, OPEN, FAILED, DONE = "draft", "filing", "open", "failed", "done"
CLAIMABLE = (DRAFT, FAILED, DONE)


@migrations()
def m001_ticket_requests(db: Database) -> None:
    """Create the ticket requests table."""
    db.executescript(
        """
CREATE TABLE ticket_requests (
  finding_id TEXT PRIMARY KEY,
  ref TEXT NOT NULL,                 -- what the button or terminal gave (e.g. the question)
  status TEXT NOT NULL,              -- draft | filing | open | failed | done
  fields TEXT,                       -- JSON: the ticket request as submitted
  ticket_key TEXT,
  ticket_url TEXT,
  created INTEGER,                   -- 1: costbot filed it; 0: an open ticket existed
  error TEXT,                        -- the last failure, fit for the user (no secrets)
  attempts INTEGER NOT NULL DEFAULT 0,
  requested_by TEXT,                 -- who clicked last (response_url is theirs)
  channel_id TEXT,
  message_ts TEXT,
  ephemeral INTEGER NOT NULL DEFAULT 0,
  response_url TEXT,
  message TEXT,                      -- JSON: the Slack message's text and blocks at the click
  permalink TEXT,
  claim TEXT,
  claimed_at TEXT,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
);
CREATE INDEX ticket_requests_by_status ON ticket_requests (status);
"""
    )


@dataclass(frozen=True)
class SlackLocation:
    """Where the finding's Slack message is, so it can be updated with the ticket."""

    channel_id: str | None = None
    message_ts: str | None = None
    ephemeral: bool = False
    response_url: str | None = None
    message: dict[str, Any] | None = None
    permalink: str | None = None


@dataclass(frozen=True)
class TicketRequest:
    """One row of ``ticket_requests``."""

    finding_id: str
    ref: str
    status: str
    fields: dict[str, Any] | None
    ticket_key: str | None
    ticket_url: str | None
    created: bool | None
    error: str | None
    attempts: int
    requested_by: str | None
    slack: SlackLocation
    claim: str | None


class TicketRequests:
    """Read and write ticket requests in the store's SQLite file.

    ``conn`` returns the calling thread's connection (autocommit), as
    :attr:`bot.costs.store.CostStore.conn` does.
    """

    def __init__(self, conn: Callable[[], sqlite3.Connection], clock: Callable[[], datetime]):
        self._conn = conn
        self._clock = clock

    def _now(self) -> str:
        return self._clock().isoformat()

    def ensure(self, finding_id: str, ref: str) -> None:
        """Create the row as a draft if the finding has none."""
        now = self._now()
        self._conn().execute(
            "INSERT INTO ticket_requests (finding_id, ref, status, created_at, updated_at) "
            "VALUES (?, ?, ?, ?, ?) ON CONFLICT(finding_id) DO NOTHING",
            (finding_id, ref, DRAFT, now, now),
        )

    def record_slack(self, finding_id: str, ref: str, where: SlackLocation, user: str) -> None:
        """Remember the Slack message a click came from (the last click wins)."""
        self.ensure(finding_id, ref)
        self._conn().execute(
            "UPDATE ticket_requests SET ref = ?, channel_id = ?, message_ts = ?, ephemeral = ?, "
            "response_url = ?, message = ?, requested_by = ?, "
            "permalink = coalesce(?, permalink), updated_at = ? WHERE finding_id = ?",
            (
                ref,
                where.channel_id,
                where.message_ts,
                int(where.ephemeral),
                where.response_url,
                json.dumps(where.message) if where.message is not None else None,
                user,
                where.permalink,
                self._now(),
                finding_id,
            ),
        )

    def set_permalink(self, finding_id: str, permalink: str) -> None:
        """Store the Slack permalink of the finding's message."""
        self._conn().execute(
            "UPDATE ticket_requests SET permalink = ?, updated_at = ? WHERE finding_id = ?",
            (permalink, self._now(), finding_id),
        )

    def get(self, finding_id: str) -> TicketRequest | None:
        """Return the finding's request, if any."""
        cur = self._conn().execute(
            "SELECT * FROM ticket_requests WHERE finding_id = ?", (finding_id,)
        )
        row = cur.fetchone()
        if row is None:
            return None
        return _request(dict(zip([c[0] for c in cur.description], row, strict=True)))

    def claim(self, finding_id: str, fields: dict[str, Any] | None) -> str | None:
        """Atomically take the right to file the finding's ticket; None if someone has it.

        ``fields`` (the request) replaces the stored one when given; None keeps it (Retry).
        """
        token = uuid.uuid4().hex
        now = self._clock()
        stale = (now - STALE_CLAIM).isoformat()
        cur = self._conn().execute(
            "UPDATE ticket_requests SET status = ?, claim = ?, claimed_at = ?, "
            "fields = coalesce(?, fields), attempts = attempts + 1, updated_at = ? "
            "WHERE finding_id = ? AND (status IN (?, ?, ?) OR (status = ? AND claimed_at < ?))",
            (
                FILING,
                token,
                now.isoformat(),
                json.dumps(fields) if fields is not None else None,
                now.isoformat(),
                finding_id,
                *CLAIMABLE,
                FILING,
                stale,
            ),
        )
        return token if cur.rowcount == 1 else None

    def mark_open(self, finding_id: str, claim: str, key: str, url: str, *, created: bool) -> None:
        """Record the ticket that now tracks the finding."""
        self._conn().execute(
            "UPDATE ticket_requests SET status = ?, ticket_key = ?, ticket_url = ?, created = ?, "
            "error = NULL, claim = NULL, updated_at = ? WHERE finding_id = ? AND claim = ?",
            (OPEN, key, url, int(created), self._now(), finding_id, claim),
        )

    def mark_failed(self, finding_id: str, claim: str, error: str) -> None:
        """Record a failed attempt; the request stays for Retry."""
        self._conn().execute(
            "UPDATE ticket_requests SET status = ?, error = ?, claim = NULL, updated_at = ? "
            "WHERE finding_id = ? AND claim = ?",
            (FAILED, error, self._now(), finding_id, claim),
        )

    def mark_done(self, finding_id: str) -> bool:
        """Record that the finding's ticket is resolved; False if it was not open."""
        cur = self._conn().execute(
            "UPDATE ticket_requests SET status = ?, updated_at = ? "
            "WHERE finding_id = ? AND status = ?",
            (DONE, self._now(), finding_id, OPEN),
        )
        return cur.rowcount == 1

    def open_tickets(self) -> list[TicketRequest]:
        """Return every request whose ticket is open (for the poll)."""
        cur = self._conn().execute(
            "SELECT * FROM ticket_requests WHERE status = ? ORDER BY updated_at", (OPEN,)
        )
        names = [c[0] for c in cur.description]
        return [_request(dict(zip(names, row, strict=True))) for row in cur.fetchall()]

    def failed(self) -> list[TicketRequest]:
        """Return every request whose last attempt failed."""
        cur = self._conn().execute(
            "SELECT * FROM ticket_requests WHERE status = ? ORDER BY updated_at", (FAILED,)
        )
        names = [c[0] for c in cur.description]
        return [_request(dict(zip(names, row, strict=True))) for row in cur.fetchall()]


def _request(row: dict[str, Any]) -> TicketRequest:
    return TicketRequest(
        finding_id=row["finding_id"],
        ref=row["ref"],
        status=row["status"],
        fields=json.loads(row["fields"]) if row["fields"] else None,
        ticket_key=row["ticket_key"],
        ticket_url=row["ticket_url"],
        created=None if row["created"] is None else bool(row["created"]),
        error=row["error"],
        attempts=int(row["attempts"]),
        requested_by=row["requested_by"],
        slack=SlackLocation(
            channel_id=row["channel_id"],
            message_ts=row["message_ts"],
            ephemeral=bool(row["ephemeral"]),
            response_url=row["response_url"],
            message=json.loads(row["message"]) if row["message"] else None,
            permalink=row["permalink"],
        ),
        claim=row["claim"],
    )
