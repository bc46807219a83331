"""The values the query engine takes and returns.

A :class:`CostQuery` is what a user asked (parsed by :mod:`bot.costs.grammar`),
a :class:`CostAnswer` is what the store says (computed by
:mod:`bot.costs.query`). Both are plain data so the CLI, Slack handlers and
scheduled jobs render them however they like.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
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

TAG_PREFIX = "tag:"
"""A filter or grouping field ``tag:KEY`` names the tag KEY, even where KEY is also a dimension.

Fields are typed by their spelling: a name in :data:`DIMENSIONS` (or ``currency``)
is the built-in column, ``tag:KEY`` is always the tag, and any other bare name
is a tag key (``team``). The parser writes ``tag:KEY`` only for a tag key that
clashes with a dimension, so ``team`` stays ``team`` in answers and JSON.
"""

RANKS = ("cost", "growth", "movers")
"""How grouped rows are ordered: by cost, by growth (largest increase first), or by movers
(largest absolute change first)."""


def is_tag_field(name: str) -> bool:
    """Tell whether a filter/grouping field names a tag key (not a built-in dimension)."""
    return name.startswith(TAG_PREFIX) or name not in (*DIMENSIONS, "currency")


def tag_key_of(name: str) -> str:
    """Return the tag key a tag field names (``tag:service`` -> ``service``)."""
    return name.removeprefix(TAG_PREFIX)


def tag_field(key: str) -> str:
    """Return the field for tag ``key``: bare, or ``tag:KEY`` where it clashes with a dimension."""
    return f"{TAG_PREFIX}{key}" if key in (*DIMENSIONS, "currency") else key


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

    ``filters`` pairs a field (a name from :data:`DIMENSIONS`, a canonical tag key
    such as ``team``, or ``tag:KEY``; see :data:`TAG_PREFIX`) with a value; a field
    given several times matches any of its values. ``excludes`` are pairs whose
    spend is left out. ``untagged`` holds the tag keys whose absence is asked
    about (None = not an untagged question; an empty tuple lets the engine fill in
    the configured allocation tags). ``rank`` orders the groups (:data:`RANKS`);
    ``compare`` replaces the default comparison period. ``notes`` are what the
    reader wants the user to know about its reading (a corrected typo, a value
    that differs only in case); they are not part of the question's identity.
    """

    filters: tuple[tuple[str, str], ...] = ()
    group_by: str | None = None
    period: PeriodSpec = field(default_factory=PeriodSpec)
    measure: str = "effective"
    untagged: tuple[str, ...] | None = None
    top: int = 10
    share: bool = False
    excludes: tuple[tuple[str, str], ...] = ()
    rank: str = "cost"
    compare: PeriodSpec | None = None
    notes: tuple[str, ...] = field(default=(), compare=False)

    def describe(self) -> str:
        """Restate the question as understood, e.g. ``team ai-research by service, last 30d``."""
        parts: list[str] = []
        if self.untagged is not None:
            parts.append("untagged " + ", ".join(self.untagged) if self.untagged else "untagged")
        parts += _filter_words(self.filters)
        parts += [f"not {k} {v}" for k, v in self.excludes]
        if self.group_by:
            parts.append(f"by {self.group_by}")
        if self.rank != "cost":
            parts.append({"growth": "grew the most", "movers": "biggest movers"}[self.rank])
        head = " ".join(parts) if parts else "all spend"
        tail = f" vs {self.compare.describe()}" if self.compare else ""
        return f"{head}, {self.period.describe()}{tail}"


def _filter_words(filters: tuple[tuple[str, str], ...]) -> list[str]:
    """Say filters, a field given several times once: ``team a or b`` (long lists cut)."""
    by_field: dict[str, list[str]] = {}
    for k, v in filters:
        by_field.setdefault(k, []).append(v)
    out = []
    for k, vs in by_field.items():
        shown = vs if len(vs) <= 4 else [*vs[:3], f"{len(vs) - 3} more"]
        out.append(f"{k} {' or '.join(shown)}")
    return out


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
    notes: tuple[str, ...] = ()  # what the reader and the engine want the user to know

    def reading(self) -> str:
        """Say how the question was read, e.g. ``team ai-research · 2026-11-16..2026-11-22``.

        The reading uses the resolved dates, so a misread period shows at once.
        """
        q = self.query
        parts: list[str] = []
        if q.untagged is not None:
            keys = self.untagged_keys or q.untagged
            parts.append("untagged " + " or ".join(keys) if keys else "untagged")
        parts += _filter_words(q.filters)
        parts += [f"not {k} {v}" for k, v in q.excludes]
        if q.group_by:
            by = f"by {q.group_by}"
            if q.rank != "cost":
                by += {"growth": ", largest growth first", "movers": ", biggest movers first"}[
                    q.rank
                ]
            elif q.top != 10:
                by += f", top {q.top}"
            parts.append(by)
        if not parts:
            parts.append("all spend")
        parts.append(_span(self.start, self.end))
        if q.compare is not None:
            parts.append(f"vs {_span(self.previous_start, self.previous_end)}")
        if q.measure != "effective":
            parts.append(f"{q.measure} cost")
        return " · ".join(parts)

    def to_json(self) -> dict[str, Any]:
        """Return the documented ``--json`` shape (see README, "JSON output").

        A field asked about with several values (``team a or b``) has a list as its
        value; everything else is the original shape, plus ``reading`` and ``notes``
        and, when some spend was left out, ``excluded``.
        """
        filters: dict[str, Any] = {}
        for k, v in self.query.filters:
            if k in filters:
                prev = filters[k]
                filters[k] = [*prev, v] if isinstance(prev, list) else [prev, v]
            else:
                filters[k] = v
        if self.query.untagged is not None:
            filters["untagged"] = ",".join(self.untagged_keys or self.query.untagged)
        extra: dict[str, Any] = {"reading": self.reading(), "notes": list(self.notes)}
        if self.query.excludes:
            excluded: dict[str, list[str]] = {}
            for k, v in self.query.excludes:
                excluded.setdefault(k, []).append(v)
            extra["excluded"] = excluded
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
            **extra,
        }


def _span(start: date, end: date) -> str:
    return start.isoformat() if start == end else f"{start.isoformat()}..{end.isoformat()}"


def complete_through(data_through: datetime | None) -> str:
    """Say how fresh the data is: ``complete through 2026-11-28`` (the last whole day loaded).

    ``data_through`` is the exclusive end (midnight after the last day), which
    read as "data through 2026-11-29 00:00 UTC" suggested the 29th was included;
    a time after midnight means that day is partial, so the day before is the
    last complete one either way.
    """
    if data_through is None:
        return "no data yet"
    last = data_through.date() - timedelta(days=1)
    return f"complete through {last.isoformat()}"
