"""The columns that key a charge and a cost group in the store (see :mod:`bot.costs.schema`).

Plain data in a module of its own: the store's read path needs the names but not the
migrations that create the tables, which would import sqlite-utils (issue 18: a question
opens the store with plain sqlite3).
"""

from __future__ import annotations

KEY_COLUMNS = (
    "provider",
    "billing_account",
    "sub_account",
    "sub_account_name",
    "service",
    "service_code",
    "service_category",
    "region",
    "resource_id",
    "resource_type",
    "sku",
    "charge_category",
    "pricing_category",
    "currency",
)
GROUP_COLUMNS = tuple(c for c in KEY_COLUMNS if c not in ("resource_id", "resource_type", "sku"))
