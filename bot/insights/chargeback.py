"""Chargeback / showback: who pays for a month, with shared spend split by the rules.

How a month is allocated (:func:`chargeback`):

1. Every charge of the month goes to exactly one place: the first shared rule
   that matches it, else the team its ``by`` tag names (direct), else the
   untagged pool (its own row, or split like a shared rule).
2. Shared pools are split exactly (as fractions of a nano-unit) in proportion
   to each team's direct spend (teams with none, or negative, weigh 0; if no team
   has any, evenly), evenly, or by fixed percentages.
3. Rounding to cents, which never loses or invents a cent: the month's total is
   rounded once (half to even, as every answer shows it); the largest-remainder
   method (:mod:`bot.insights.apportion`) first gives each column (direct, each
   rule) its cents so the columns add up to that total, then gives each team
   its cents of each column so the column adds up. So rows, columns and the
   total all reconcile to the cent, and no figure is more than a cent from its
   exact value. **Who absorbs the remainder:** within each column, the cents left
   after flooring go to the teams whose exact share was cut most by the
   flooring (a leftover cent goes where it is "most owed"); equal remainders go
   to the team first in alphabetical order, the untagged row last. Deterministic,
   and independent of the order of the bill.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from fractions import Fraction
from pathlib import Path

from bot.costs.store import CostStore
from bot.errors import CostbotError
from bot.insights.allocation_rules import UNTAGGED_COLUMN, AllocationRules, SharedRule
from bot.insights.apportion import NANOS_PER_CENT, apportion, nanos_to_cents, proportional_quotas
from bot.insights.charge_totals import ChargeTotal, charge_totals
from bot.money import decimal_text

_LAST = "\uffff"  # sorts after every team name: the untagged row takes ties last


class ChargebackError(CostbotError):
    """The month cannot be charged back as asked (no data, several currencies)."""


@dataclass(frozen=True)
class ChargebackRow:
    """One team's bill: direct spend, a share per shared rule, the total (all in cents)."""

    team: str | None
    direct: int
    shared: dict[str, int]
    total: int


@dataclass(frozen=True)
class Chargeback:
    """A month allocated to teams; every amount in whole cents, reconciled to the total."""

    month: str
    start: date
    end: date
    currency: str
    measure: str
    by: str
    columns: tuple[str, ...]  # the shared columns, in rule order
    rows: tuple[ChargebackRow, ...]
    total: int  # cents
    exact_total: int  # nanos: the bill as stored
    pools: dict[str, int]  # nanos per shared column, before splitting
    untagged_mode: str
    rules_source: str
    complete: bool  # the whole month is in the store

    def to_json(self) -> dict[str, object]:
        """Return the ``--json`` shape: decimal strings, ``total`` == Σ row totals."""
        return {
            "month": self.month,
            "currency": self.currency,
            "measure": self.measure,
            "total": cents_text(self.total),
            "rows": [
                {
                    "team": r.team,
                    "direct": cents_text(r.direct),
                    "shared": {name: cents_text(r.shared[name]) for name in self.columns},
                    "total": cents_text(r.total),
                }
                for r in self.rows
            ],
        }

    def csv_text(self) -> str:
        """Return the table as CSV: team, direct, one column per rule, total (decimal text)."""
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow([self.by, "direct", *self.columns, "total"])
        for r in self.rows:
            writer.writerow(
                [
                    "(untagged)" if r.team is None else r.team,
                    cents_text(r.direct),
                    *(cents_text(r.shared[c]) for c in self.columns),
                    cents_text(r.total),
                ]
            )
        writer.writerow(
            [
                "TOTAL",
                cents_text(sum(r.direct for r in self.rows)),
                *(cents_text(sum(r.shared[c] for r in self.rows)) for c in self.columns),
                cents_text(self.total),
            ]
        )
        return out.getvalue()

    def write_parquet(self, path: Path) -> None:
        """Write the rows as Parquet with exact decimal(18, 2) amounts."""
        import decimal

        import pyarrow as pa
        import pyarrow.parquet as pq

        money = pa.decimal128(18, 2)

        def col(values: Sequence[int]) -> pa.Array:
            return pa.array([decimal.Decimal(v).scaleb(-2) for v in values], money)

        table = pa.table(
            {
                self.by: pa.array([r.team for r in self.rows], pa.string()),
                "direct": col([r.direct for r in self.rows]),
                **{c: col([r.shared[c] for r in self.rows]) for c in self.columns},
                "total": col([r.total for r in self.rows]),
            }
        )
        pq.write_table(table, path)


def cents_text(cents: int) -> str:
    """Render whole cents as a decimal string: ``123456`` → ``"1234.56"``."""
    return decimal_text(cents * NANOS_PER_CENT)


def month_bounds(month: str) -> tuple[date, date]:
    """Return the first and last day of ``YYYY-MM``."""
    try:
        year, mon = (int(p) for p in month.split("-"))
        first = date(year, mon, 1)
    except ValueError as exc:
        raise ChargebackError(f"not a month: {month!r} (use YYYY-MM, e.g. 2024-09)") from exc
    nxt = date(year + mon // 12, mon % 12 + 1, 1)
    return first, nxt - timedelta(days=1)


def previous_month(today: date) -> str:
    """Return ``YYYY-MM`` of the month before ``today``'s."""
    last = today.replace(day=1) - timedelta(days=1)
    return f"{last.year:04d}-{last.month:02d}"


def chargeback_from_store(
    store: CostStore,
    month: str,
    rules: AllocationRules,
    *,
    measure: str = "effective",
    by: str | None = None,
    last_data_day: date | None = None,
) -> Chargeback:
    """Allocate ``month`` (``YYYY-MM``) of the store's bill under ``rules``."""
    start, end = month_bounds(month)
    charges = charge_totals(store, start, end, measure)
    if not charges:
        raise ChargebackError(f"no spend in the store for {month}; ingest that month first")
    key = (by or rules.by).strip().lower()
    if not any(key in c.tags for c in charges):
        keys = sorted({k for c in charges for k in c.tags})
        raise ChargebackError(
            f"no spend in {month} is tagged {key!r}; tag keys in that month: "
            + (", ".join(keys[:12]) or "none")
        )
    complete = last_data_day is None or last_data_day >= end
    return chargeback(
        charges,
        rules,
        month=month,
        start=start,
        end=end,
        measure=measure,
        by=by,
        complete=complete,
    )


def chargeback(
    charges: Sequence[ChargeTotal],
    rules: AllocationRules,
    *,
    month: str,
    start: date,
    end: date,
    measure: str = "effective",
    by: str | None = None,
    complete: bool = True,
) -> Chargeback:
    """Allocate these charges to teams under ``rules`` (see the module docstring)."""
    key = (by or rules.by).strip().lower()
    currencies = {c.currency for c in charges if c.amount}
    if len(currencies) > 1:
        raise ChargebackError(
            f"{month} is billed in several currencies ({', '.join(sorted(currencies))}); "
            "a chargeback needs one"
        )
    currency = currencies.pop() if currencies else (charges[0].currency if charges else "USD")
    direct: dict[str, int] = {}
    pools: dict[str, int] = {r.name: 0 for r in rules.shared}
    untagged = 0
    for c in charges:
        team = c.tags.get(key) or None
        rule = next((r for r in rules.shared if r.matches(c, team)), None)
        if rule is not None:
            pools[rule.name] += c.amount
        elif team is not None:
            direct[team] = direct.get(team, 0) + c.amount
        else:
            untagged += c.amount
    split_untagged = rules.untagged_mode == "split"
    all_rules: list[SharedRule] = list(rules.shared)
    if split_untagged:
        all_rules.append(rules.untagged_split)
        pools[UNTAGGED_COLUMN] = untagged
    teams = set(direct)
    for r in all_rules:
        if r.split == "fixed":
            teams |= set(r.percentages)
    team_order = sorted(teams)
    has_untagged_row = (not split_untagged and untagged != 0) or not team_order
    row_keys: list[str | None] = [*team_order, *([None] if has_untagged_row else [])]
    tie_keys = [t if t is not None else _LAST for t in row_keys]

    exact_total = sum(c.amount for c in charges)
    total_cents = nanos_to_cents(exact_total)
    direct_exact = [direct.get(t, 0) if t is not None else untagged for t in row_keys]
    if split_untagged and None in row_keys:  # no team to split over: the pool stays a row
        direct_exact[row_keys.index(None)] = 0
    column_names = [r.name for r in all_rules]
    column_exact = [Fraction(sum(direct_exact), NANOS_PER_CENT)] + [
        Fraction(pools[n], NANOS_PER_CENT) for n in column_names
    ]
    if split_untagged and None in row_keys:
        column_exact[-1] = Fraction(untagged, NANOS_PER_CENT)
    column_cents = apportion(
        total_cents, column_exact, [f"{i:04d}" for i in range(len(column_exact))]
    )
    cells: list[list[int]] = [
        apportion(column_cents[0], [Fraction(d, NANOS_PER_CENT) for d in direct_exact], tie_keys)
    ]
    weights_direct = [
        max(d, 0) if t is not None else 0 for t, d in zip(row_keys, direct_exact, strict=True)
    ]
    for rule, exact, cents in zip(all_rules, column_exact[1:], column_cents[1:], strict=True):
        quotas = _quotas(rule, exact, row_keys, weights_direct)
        cells.append(apportion(cents, quotas, tie_keys))
    rows = []
    for i, team in enumerate(row_keys):
        shared = {name: cells[j + 1][i] for j, name in enumerate(column_names)}
        rows.append(ChargebackRow(team, cells[0][i], shared, cells[0][i] + sum(shared.values())))
    rows.sort(key=lambda r: (r.team is None, -r.total, r.team or ""))
    return Chargeback(
        month=month,
        start=start,
        end=end,
        currency=currency,
        measure=measure,
        by=key,
        columns=tuple(column_names),
        rows=tuple(rows),
        total=total_cents,
        exact_total=exact_total,
        pools={n: pools[n] for n in column_names},
        untagged_mode=rules.untagged_mode,
        rules_source=rules.source,
        complete=complete,
    )


def _quotas(
    rule: SharedRule, exact: Fraction, row_keys: Sequence[str | None], weights: Sequence[int]
) -> list[Fraction]:
    """Return each row's exact share (in cents) of one shared column."""
    teams = [t for t in row_keys if t is not None]
    if not teams:  # nobody to share with: the untagged row carries it
        return [exact if t is None else Fraction(0) for t in row_keys]
    if rule.split == "fixed":
        return [
            exact * Fraction(rule.percentages.get(t, 0)) / 100 if t is not None else Fraction(0)
            for t in row_keys
        ]
    eligible = [t is not None and (not rule.teams or t in rule.teams) for t in row_keys]
    if not any(eligible):
        eligible = [t is not None for t in row_keys]
    w = [wt if ok else 0 for wt, ok in zip(weights, eligible, strict=True)]
    if rule.split == "even" or sum(w) <= 0:
        w = [1 if ok else 0 for ok in eligible]
    return proportional_quotas(exact, w)
