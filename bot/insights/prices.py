"""Hourly prices of GPU and accelerator instance types: the shipped table, refreshed ones on top.

The table ships with the package (``bot/data/gpu_prices.json``, with its date and source);
``costbot prices refresh`` stores current EC2 prices from the AWS Pricing API in the store,
and those win. A type in neither is "price unknown": :meth:`PriceTable.hourly` returns
None and every caller shows that, never $0.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from importlib import resources

from bot.money import to_nanos

SHIPPED = "gpu_prices.json"


@dataclass(frozen=True)
class PriceTable:
    """On-demand hourly prices in nano-USD, keyed by (region, instance type)."""

    as_of: str
    source: str
    prices: Mapping[tuple[str, str], int] = field(default_factory=dict)
    refreshed: Mapping[tuple[str, str], str] = field(default_factory=dict)  # key -> as_of

    def hourly(self, region: str, instance_type: str) -> int | None:
        """Return the hourly price in nano-USD, or None when the price is unknown."""
        return self.prices.get((region, instance_type))

    def with_overrides(self, rows: Mapping[tuple[str, str], tuple[int, str]]) -> PriceTable:
        """Return this table with refreshed prices (``(nanos, as_of)`` per key) on top."""
        if not rows:
            return self
        prices = dict(self.prices)
        refreshed = dict(self.refreshed)
        for key, (nanos, as_of) in rows.items():
            prices[key] = nanos
            refreshed[key] = as_of
        return PriceTable(self.as_of, self.source, prices, refreshed)

    def describe(self) -> str:
        """Say where the prices come from, for people."""
        text = f"shipped table of {self.as_of} ({len(self.prices) - len(self.refreshed)} prices)"
        if self.refreshed:
            newest = max(self.refreshed.values())
            text += f", {len(self.refreshed)} refreshed from the AWS Pricing API (newest {newest})"
        return text


def shipped_table() -> PriceTable:
    """Load the price table that ships with costbot."""
    raw = json.loads(resources.files("bot.data").joinpath(SHIPPED).read_text(encoding="utf-8"))
    prices = {
        (region, itype): to_nanos(Decimal(text))
        for region, types in raw["regions"].items()
        for itype, text in types.items()
    }
    return PriceTable(as_of=raw["as_of"], source=raw["source"], prices=prices)
