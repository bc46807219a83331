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
from bot.costs.vectors import decode

MEASURES = ("billed", "effective", "list")


@dataclass(slots=True, eq=False)
class ChargeTotal:
    """One charge of the bill and what it cost over the window (nano-units; read-only by use)."""

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
    daily: np.ndarray = field(repr=False)  # nanos per day of the window

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
    column = "k.billed" if measure == "billed" else f"COALESCE(k.{measure}, k.billed)"
    rows = store.conn.execute(
        "SELECT g.sub_account, g.sub_account_name, g.service, g.service_code, "
        "g.service_category, g.region, "
        "k.resource_id, k.resource_type, k.sku, g.charge_category, g.pricing_category, "
        f"g.currency, ts.tags, k.first_day, {column}, COALESCE(k.list, k.billed), k.days "
        "FROM charges k JOIN cost_groups g ON g.id = k.group_id "
        "JOIN tagsets ts ON ts.id = k.tagset_id "
        "WHERE k.last_day >= ? AND k.first_day <= ?",
        [lo, hi],
    ).fetchall()
    span = hi - lo + 1
    if not rows:
        return []
    n = len(rows)
    firsts = np.fromiter((r[13] for r in rows), dtype=np.int64, count=n)
    days = np.fromiter((r[16] for r in rows), dtype=np.int64, count=n)
    daily_all = _dense([r[14] for r in rows], firsts, days, lo, span)
    list_all = _dense([r[15] for r in rows], firsts, days, lo, span)
    # A resource running across months is one charge per billing period in the store:
    # merge them, so a month boundary never splits a daily pattern.
    group: dict[tuple[object, ...], int] = {}
    group_of = np.fromiter(
        (group.setdefault(tuple(r[:13]), len(group)) for r in rows), dtype=np.int64, count=n
    )
    keys = list(group)
    if len(keys) < n:
        daily_g = np.zeros((len(keys), span), dtype=np.int64)
        list_g = np.zeros((len(keys), span), dtype=np.int64)
        np.add.at(daily_g, group_of, daily_all)
        np.add.at(list_g, group_of, list_all)
        daily_all, list_all = daily_g, list_g
    amounts = daily_all.sum(axis=1).tolist()
    list_amounts = list_all.sum(axis=1).tolist()
    nonzero = (daily_all != 0).any(axis=1).tolist()
    tag_cache: dict[str, dict[str, str]] = {}
    out: list[ChargeTotal] = []
    for i, key in enumerate(keys):
        if not amounts[i] and not list_amounts[i] and not nonzero[i]:
            continue
        tags_json = str(key[12] or "")
        tags = tag_cache.get(tags_json)
        if tags is None:
            tags = tag_cache[tags_json] = dict(json.loads(tags_json)) if tags_json else {}
        texts = key[:12]  # TEXT NOT NULL columns: already strings
        amount, listed = int(amounts[i]), int(list_amounts[i])
        out.append(ChargeTotal(*texts, tags, amount, listed, daily_all[i]))  # type: ignore[arg-type, call-arg]
    return out


def _dense(
    blobs: list[bytes], firsts: np.ndarray, lengths: np.ndarray, lo: int, span: int
) -> np.ndarray:
    """Lay daily vectors (``lengths`` days from ``firsts``) into rows of [lo, lo + span)."""
    n = len(blobs)
    flat = decode(blobs, lengths)
    row_of = np.repeat(np.arange(n), lengths)
    starts = np.r_[0, np.cumsum(lengths)[:-1]].astype(np.int64)
    day = firsts[row_of] + (np.arange(len(flat), dtype=np.int64) - starts[row_of]) - lo
    keep = (day >= 0) & (day < span)
    out = np.zeros((n, span), dtype=np.int64)
    out[row_of[keep], day[keep]] = flat[keep]
    return out
