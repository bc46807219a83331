"""Read each charge of the store with its amount over a window: the input of the economics.

Chargeback, hints and unit costs need the bill at charge level (resource, SKU,
all tags) for a window of days, not the cube. This reads the ``charges`` rows
that overlap the window and sums the part of each daily vector inside it, in
int64 nano-units, so every figure downstream starts exact.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date

import numpy as np

from bot.costs.store import CostStore, day_number

MEASURES = ("billed", "effective", "list")


@dataclass(frozen=True)
class ChargeTotal:
    """One charge of the bill and what it cost over the window (nano-units)."""

    sub_account: str
    sub_account_name: str
    service: str
    service_code: str
    service_category: str
    region: str
    resource_id: str
    resource_type: str
    sku: str
    charge_category: str
    pricing_category: str
    currency: str
    tags: Mapping[str, str]
    amount: int
    list_amount: int
    daily: np.ndarray = field(repr=False, compare=False)  # nanos per day of the window

    @property
    def usage_type(self) -> str:
        """Return the usage type without its region prefix (``BoxUsage:p4d.24xlarge``)."""
        return self.sku.split("-", 1)[1] if "-" in self.sku else self.sku


def charge_totals(
    store: CostStore, start: date, end: date, measure: str = "effective"
) -> list[ChargeTotal]:
    """Return every charge with a non-zero amount between ``start`` and ``end`` (inclusive)."""
    if measure not in MEASURES:
        raise ValueError(f"measure must be one of {MEASURES}")
    lo, hi = day_number(start), day_number(end)
    amounts = "k.billed" if measure == "billed" else f"COALESCE(k.{measure}, k.billed)"
    rows = store.conn.execute(
        "SELECT g.sub_account, g.sub_account_name, g.service, g.service_code, "
        "g.service_category, g.region, "
        "k.resource_id, k.resource_type, k.sku, g.charge_category, g.pricing_category, "
        f"g.currency, ts.tags, k.first_day, {amounts}, COALESCE(k.list, k.billed) "
        "FROM charges k JOIN cost_groups g ON g.id = k.group_id "
        "JOIN tagsets ts ON ts.id = k.tagset_id "
        "WHERE k.last_day >= ? AND k.first_day <= ?",
        [lo, hi],
    ).fetchall()
    span = hi - lo + 1
    # A resource running across months is one charge per billing period in the store:
    # merge them, so a month boundary never splits a daily pattern.
    merged: dict[tuple[object, ...], tuple[np.ndarray, np.ndarray]] = {}
    for row in rows:
        *dims, tags_json, first, blob, list_blob = row
        key = (*dims, tags_json)
        daily = _window(blob, first, lo, span)
        listed = _window(list_blob, first, lo, span)
        slot = merged.get(key)
        merged[key] = (daily, listed) if slot is None else (slot[0] + daily, slot[1] + listed)
    tag_cache: dict[str, dict[str, str]] = {}
    out: list[ChargeTotal] = []
    for key, (daily, listed) in merged.items():
        *dims, tags_json = key
        amount, list_amount = int(daily.sum()), int(listed.sum())
        if not amount and not list_amount and not daily.any():
            continue
        tags = tag_cache.get(str(tags_json))
        if tags is None:
            tags = tag_cache[str(tags_json)] = dict(json.loads(str(tags_json))) if tags_json else {}
        texts = [str(d or "") for d in dims]
        out.append(ChargeTotal(*texts, tags, amount, list_amount, daily))  # type: ignore[arg-type, call-arg]
    return out


def _window(blob: bytes, first: int, lo: int, span: int) -> np.ndarray:
    """Return the part of a daily vector inside [lo, lo + span) as a dense int64 array."""
    vec = np.frombuffer(blob, dtype="<i8")
    out = np.zeros(span, dtype=np.int64)
    a, b = max(first, lo), min(first + len(vec), lo + span)
    if a < b:
        out[a - lo : b - lo] = vec[a - first : b - first]
    return out
