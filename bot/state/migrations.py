"""Every migration set of the store, applied in order when a store is opened.

The cost tables have their own set (:mod:`bot.costs.schema`); each state
module beside this one declares ``migrations = Migrations("costbot.<area>")``
and is listed here, so areas never have to order their migrations against
each other.
"""

from __future__ import annotations

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

from bot.costs.schema import migrations as cost_migrations
from bot.state import audit, findings, idempotency, prices, scheduling, tickets
from bot.state import sync as sync_state

MIGRATION_SETS: tuple[Migrations, ...] = (
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


def apply_migrations(db: Database) -> None:
    """Bring every table set of the store up to date."""
    for migration_set in MIGRATION_SETS:
        migration_set.apply(db)
