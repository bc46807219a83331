"""The values the query engine takes and returns.

A :class:`CostQuery` is what a user asked (parsed by :mod:`bot.costs.grammar`),
a :class:`CostAnswer` is what the store says (computed by
:mod:`bot.costs.query`). Both are plain data so the CLI, Slack handlers and
scheduled jobs render them however they like.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from bot.money import decimal_text

MEASURES = ("billed", "effective", "list")
MEASURE_LABELS = {
    "billed": "billed (unblended/invoiced) cost",
    "effective": "effective (amortized) cost",
    "list": "list (on-demand public price) cost",
}

# Dimensions that are columns of the store (everything else is a tag key).
DIMENSIONS = (
    "service",
    "account",
    "provider",
    "region",
    "resource",
    "resource_type",
    "sku",
    "service_category",
    "charge_category",
    "pricing_category",
    "billing_account",
)


@dataclass(frozen=True)
class PeriodSpec:
    """A period as the user said it, resolved against a clock by the engine.

    ``kind`` is one of ``today``, ``yesterday``, ``last_days`` (with ``days``),
    ``mtd``, ``last_month``, ``month`` (with ``start``), ``range`` (with
    ``start`` and ``end``, inclusive).
    """

    kind: str = "mtd"
    days: int | None = None
    start: date | None = None
    end: date | None = None

    def describe(self) -> str:
        """Say the period the way the user would."""
        if self.kind == "last_days":
            return f"last {self.days}d"
        if self.kind == "month" and self.start:
            return self.start.strftime("%Y-%m")
        if self.kind == "range" and self.start and self.end:
            return f"{self.start.isoformat()}..{self.end.isoformat()}"
        return {"mtd": "month to date", "last_month": "last month"}.get(self.kind, self.kind)


@dataclass(frozen=True)
class CostQuery:
    """One question: filters, an optional grouping, a period, a measure.

    ``filters`` pairs a dimension (a name from :data:`DIMENSIONS` or a canonical
    tag key such as ``team``) with a value. ``untagged`` holds the tag keys whose
    absence is asked about (empty tuple = not an untagged question; the engine
    fills in the configured allocation tags when the user gave none).
    """

    filters: tuple[tuple[str, str], ...] = ()
    group_by: str | None = None
    period: PeriodSpec = field(default_factory=PeriodSpec)
    measure: str = "effective"
    untagged: tuple[str, ...] | None = None
    top: int = 10
    share: bool = False

    def describe(self) -> str:
        """Restate the question as understood, e.g. ``team ai-research by service, last 30d``."""
        parts: list[str] = []
        if self.untagged is not None:
            parts.append("untagged " + ", ".join(self.untagged) if self.untagged else "untagged")
        parts += [f"{k} {v}" for k, v in self.filters]
        if self.group_by:
            parts.append(f"by {self.group_by}")
        head = " ".join(parts) if parts else "all spend"
        return f"{head}, {self.period.describe()}"


@dataclass(frozen=True)
class GroupCost:
    """One row of a grouped answer; ``is_other`` marks the rolled-up rest."""

    key: str
    cost: int  # nano-units
    previous: int | None = None  # nano-units in the previous period, when known
    is_other: bool = False
    members: int = 1  # how many keys an "other" row stands for


@dataclass(frozen=True)
class CostAnswer:
    """The store's answer to a :class:`CostQuery`. Amounts are integer nano-units."""

    query: CostQuery
    start: date
    end: date  # inclusive
    previous_start: date
    previous_end: date
    measure: str
    currency: str
    total: int
    previous_total: int
    groups: tuple[GroupCost, ...]
    daily: tuple[tuple[date, int], ...]
    data_through: datetime | None
    all_spend: int  # the whole bill in the period (the base of untagged shares)
    group_count: int = 0  # how many distinct keys the grouping had before top-N
    untagged_keys: tuple[str, ...] = ()  # the tag keys an untagged question checked

    def to_json(self) -> dict[str, Any]:
        """Return the documented ``--json`` shape (see README, "JSON output")."""
        filters: dict[str, str] = dict(self.query.filters)
        if self.query.untagged is not None:
            filters["untagged"] = ",".join(self.untagged_keys or self.query.untagged)
        return {
            "filters": filters,
            "group_by": self.query.group_by,
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "measure": self.measure,
            "currency": self.currency,
            "total": decimal_text(self.total),
            "previous": {
                "start": self.previous_start.isoformat(),
                "end": self.previous_end.isoformat(),
                "total": decimal_text(self.previous_total),
            },
            "groups": [{"key": g.key, "cost": decimal_text(g.cost)} for g in self.groups],
            "daily": [{"date": d.isoformat(), "cost": decimal_text(c)} for d, c in self.daily],
            "data_through": self.data_through.isoformat() if self.data_through else None,
        }
