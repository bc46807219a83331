"""The store's schema, as sqlite-utils migrations (see docs/store.md).

Layout, in short: ``charges`` holds each distinct charge (source, billing
period, account, service, region, resource, SKU, categories, currency, tag set)
once, with its daily amounts as vectors of exact int64 nano-units (one element
per UTC day from ``first_day``): resource-level daily detail at one row per
resource and month, which is what makes a year of 20 000 resources load in
seconds. ``cost_groups`` / ``daily_group_costs`` hold the same amounts rolled
up without the resource, with only the allocation tags, one plain row per group
and day: a small cube that answers the common questions (by team, untagged …)
in milliseconds with plain SQL. Tags live normalised in ``tagsets`` / ``tags``,
so tag filters are index look-ups, never JSON scans.
"""

from __future__ import annotations

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

from bot.costs.columns import GROUP_COLUMNS, KEY_COLUMNS

__all__ = ["GROUP_COLUMNS", "KEY_COLUMNS", "SCHEMA_VERSION", "migrations"]  # columns: re-exported

migrations = Migrations("costbot")

SCHEMA_VERSION = 3


@migrations()
def m001_initial(db: Database) -> None:
    """Create the first version of the store."""
    group_cols = ",\n  ".join(f"{c} TEXT NOT NULL DEFAULT ''" for c in GROUP_COLUMNS)
    db.executescript(
        f"""
CREATE TABLE sources (
  id INTEGER PRIMARY KEY,
  provider TEXT NOT NULL,
  billing_account TEXT NOT NULL,
  UNIQUE (provider, billing_account)
);
CREATE TABLE deliveries (
  id INTEGER PRIMARY KEY,
  source_id INTEGER NOT NULL REFERENCES sources(id),
  billing_period TEXT NOT NULL,
  format TEXT NOT NULL,
  files TEXT NOT NULL,
  rows_read INTEGER NOT NULL,
  rows_skipped INTEGER NOT NULL,
  billed INTEGER NOT NULL,
  effective INTEGER NOT NULL,
  list INTEGER NOT NULL,
  first_day INTEGER,
  last_day INTEGER,
  ingested_at TEXT NOT NULL,
  UNIQUE (source_id, billing_period)
);
CREATE TABLE tagsets (
  id INTEGER PRIMARY KEY,
  tags TEXT NOT NULL UNIQUE
);
CREATE TABLE tags (
  key TEXT NOT NULL,
  value TEXT NOT NULL,
  tagset_id INTEGER NOT NULL REFERENCES tagsets(id),
  PRIMARY KEY (key, value, tagset_id)
) WITHOUT ROWID;
CREATE INDEX tags_by_tagset ON tags (tagset_id, key);
CREATE TABLE charges (
  id INTEGER PRIMARY KEY,
  source_id INTEGER NOT NULL REFERENCES sources(id),
  billing_period TEXT NOT NULL,
  group_id INTEGER NOT NULL REFERENCES cost_groups(id),
  resource_id TEXT NOT NULL DEFAULT '',
  resource_type TEXT NOT NULL DEFAULT '',
  sku TEXT NOT NULL DEFAULT '',
  tagset_id INTEGER NOT NULL REFERENCES tagsets(id),
  first_day INTEGER NOT NULL,
  last_day INTEGER NOT NULL,
  days INTEGER NOT NULL,
  lines INTEGER NOT NULL,
  billed_total INTEGER NOT NULL,
  effective_total INTEGER NOT NULL,
  list_total INTEGER NOT NULL,
  billed BLOB NOT NULL,
  effective BLOB,  -- NULL: same as billed
  list BLOB  -- NULL: same as billed
);
CREATE INDEX charges_by_period ON charges (source_id, billing_period);
CREATE INDEX charges_by_resource ON charges (resource_id);
CREATE INDEX charges_by_last_day ON charges (last_day);
CREATE TABLE cost_groups (
  id INTEGER PRIMARY KEY,
  source_id INTEGER NOT NULL REFERENCES sources(id),
  billing_period TEXT NOT NULL,
  {group_cols},
  tagset_id INTEGER NOT NULL REFERENCES tagsets(id)
);
CREATE INDEX cost_groups_by_period ON cost_groups (billing_period, source_id);
CREATE TABLE daily_group_costs (
  group_id INTEGER NOT NULL,
  day INTEGER NOT NULL,
  billed INTEGER NOT NULL,
  effective INTEGER NOT NULL,
  list INTEGER NOT NULL,
  PRIMARY KEY (group_id, day)
) WITHOUT ROWID;
CREATE TABLE meta (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL
);
"""
    )


@migrations()
def m002_deliveries_by_export(db: Database) -> None:
    """Key deliveries by export, so exports that share a payer account coexist.

    A delivery becomes (export, source, billing period); charges and cost groups
    point to the delivery that brought them, so a new delivery replaces only
    what its own export delivered before. Rows from before this migration keep
    export ``''``; the next delivery of their source and period replaces them.
    """
    db.executescript(
        """
CREATE TABLE deliveries_v2 (
  id INTEGER PRIMARY KEY,
  export TEXT NOT NULL DEFAULT '',
  source_id INTEGER NOT NULL REFERENCES sources(id),
  billing_period TEXT NOT NULL,
  format TEXT NOT NULL,
  files TEXT NOT NULL,
  rows_read INTEGER NOT NULL,
  rows_skipped INTEGER NOT NULL,
  billed INTEGER NOT NULL,
  effective INTEGER NOT NULL,
  list INTEGER NOT NULL,
  first_day INTEGER,
  last_day INTEGER,
  ingested_at TEXT NOT NULL,
  execution_id TEXT NOT NULL DEFAULT '',
  manifest TEXT NOT NULL DEFAULT '',
  etags TEXT NOT NULL DEFAULT '{}',
  UNIQUE (export, source_id, billing_period)
);
INSERT INTO deliveries_v2 (id, source_id, billing_period, format, files, rows_read,
  rows_skipped, billed, effective, list, first_day, last_day, ingested_at)
SELECT id, source_id, billing_period, format, files, rows_read, rows_skipped, billed,
  effective, list, first_day, last_day, ingested_at FROM deliveries;
DROP TABLE deliveries;
ALTER TABLE deliveries_v2 RENAME TO deliveries;
CREATE INDEX deliveries_by_period ON deliveries (source_id, billing_period);
ALTER TABLE charges ADD COLUMN delivery_id INTEGER NOT NULL DEFAULT 0;
ALTER TABLE cost_groups ADD COLUMN delivery_id INTEGER NOT NULL DEFAULT 0;
UPDATE charges SET delivery_id = COALESCE((SELECT d.id FROM deliveries d
  WHERE d.source_id = charges.source_id AND d.billing_period = charges.billing_period), 0);
UPDATE cost_groups SET delivery_id = COALESCE((SELECT d.id FROM deliveries d
  WHERE d.source_id = cost_groups.source_id
  AND d.billing_period = cost_groups.billing_period), 0);
CREATE INDEX charges_by_delivery ON charges (delivery_id);
CREATE INDEX cost_groups_by_delivery ON cost_groups (delivery_id);
"""
    )


@migrations()
def m003_drop_unused_charges_index(db: Database) -> None:
    """Drop ``charges_by_period``: since m002 nothing looks charges up by (source, period).

    Deliveries are found in ``deliveries`` and their charges by ``delivery_id``; the
    index only cost every ingest its upkeep (about a tenth of writing the charges).
    """
    db.execute("DROP INDEX IF EXISTS charges_by_period")
