"""Every migration set of the store, applied in order when a store is opened.

The cost tables have their own set (:mod:`bot.costs.schema`); each state
module beside this one declares ``migrations = Migrations("costbot.<area>")``
and is listed here, so areas never have to order their migrations against
each other.

Opening a store that is up to date must stay cheap: a question in the terminal opens it,
and importing sqlite-utils and every state module only to find nothing to do was a sixth
of costbot's start-up (issue 18). So :data:`DECLARED` names every migration, and
:func:`up_to_date` checks with plain sqlite3 that the store has recorded them all; the sets
(and sqlite-utils) are imported only when something is missing.
``tests/state/test_migrations.py`` keeps :data:`DECLARED` in step with the sets.
"""

from __future__ import annotations

import sqlite3
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sqlite_utils import Database
    from sqlite_utils.migrations import Migrations

# Where sqlite-utils' Migrations records what it applied: one row per (migration_set, name),
# with id and applied_at (sqlite_utils/migrations.py, Migrations.migrations_table).
MIGRATIONS_TABLE = "_sqlite_migrations"

# Each set's migrations by name, in the order the sets are applied: a new migration adds
# its name here too (the test above fails until it does).
DECLARED: dict[str, tuple[str, ...]] = {
    "costbot": ("m001_initial", "m002_deliveries_by_export", "m003_drop_unused_charges_index"),
    "costbot.scheduling": ("m001_scheduling",),
    "costbot.gpus": ("m001_findings",),
    "costbot.audit": ("m001_audit_log",),
    "costbot.idempotency": ("m001_idempotency_keys",),
    "costbot.prices": ("m001_instance_prices",),
    "costbot.sync": ("m001_sync_runs",),
    "costbot.tickets": ("m001_ticket_requests",),
}


def migration_sets() -> tuple[Migrations, ...]:
    """Return every migration set, in the order they are applied."""
    from bot.costs.schema import migrations as cost_migrations
    from bot.state import audit, findings, idempotency, prices, scheduling, tickets
    from bot.state import sync as sync_state

    return (
        cost_migrations,
        scheduling.migrations,  # scheduler: run ledger, subscriptions, budgets, anomaly alerts
        findings.migrations,  # gpus: idle findings and run-rate alerts
        audit.migrations,  # gpus: the audit log of actions
        idempotency.migrations,  # gpus: exactly-once action keys
        prices.migrations,  # gpus: refreshed instance prices
        sync_state.migrations,  # sync: runs, API spend and S3 ETags
        tickets.migrations,
        # one line per area, e.g. `scheduler_state.migrations,`
    )


def up_to_date(conn: sqlite3.Connection) -> bool:
    """Return whether the store has recorded every migration in :data:`DECLARED`."""
    table = conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (MIGRATIONS_TABLE,)
    ).fetchone()
    if table is None:
        return False
    recorded = set(conn.execute(f"SELECT migration_set, name FROM {MIGRATIONS_TABLE}"))
    return all((area, name) in recorded for area, names in DECLARED.items() for name in names)


def apply_migrations(db: Database) -> None:
    """Bring every table set of the store up to date."""
    for migration_set in migration_sets():
        migration_set.apply(db)
