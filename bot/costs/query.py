"""Answer a :class:`~bot.costs.model.CostQuery` from the store, exactly.

The engine chooses between the small cube (``daily_group_costs``: no resource,
only allocation tags) and the full table (``daily_costs``) per question; both
hold the same amounts, so the choice changes speed, never figures. Values never
enter SQL text: dimensions map to fixed column names and every value is bound.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from bot.costs.grammar import Vocabulary
from bot.costs.model import CostAnswer, CostQuery, GroupCost
from bot.costs.periods import Window, resolve
from bot.costs.store import CostStore, day_date, day_number
from bot.errors import CostbotError

# dimension -> columns it matches (first is the one grouped by)
DIMENSION_COLUMNS: dict[str, tuple[str, ...]] = {
    "service": ("service", "service_code"),
    "account": ("sub_account", "sub_account_name"),
    "provider": ("provider",),
    "region": ("region",),
    "resource": ("resource_id",),
    "resource_type": ("resource_type",),
    "sku": ("sku",),
    "service_category": ("service_category",),
    "charge_category": ("charge_category",),
    "pricing_category": ("pricing_category",),
    "billing_account": ("billing_account",),
    "currency": ("currency",),
}
FACT_ONLY = {"resource", "resource_type", "sku"}
NO_TAG = "(no {key} tag)"
MEASURE_COLUMNS = {"billed": "billed", "effective": "effective", "list": "list"}


class QueryError(CostbotError):
    """The store cannot answer this question as asked (e.g. mixed currencies)."""


@dataclass
class _Plan:
    table: str
    keys: str
    id_col: str
    where: list[str]
    params: list[object]


class CostQueryEngine:
    """Answer cost questions; build the grammar's vocabulary from the store."""

    def __init__(
        self,
        store: CostStore,
        *,
        allocation_tags: Sequence[str],
        tag_aliases: dict[str, str] | None = None,
        clock: Callable[[], datetime] | None = None,
        use_cube: bool = True,
    ) -> None:
        self.store = store
        self.use_cube = use_cube
        self.allocation_tags = tuple(allocation_tags)
        self.tag_aliases = dict(tag_aliases or {})
        self.clock = clock or (lambda: datetime.now(UTC))
        self._lock = threading.Lock()
        self._vocab: tuple[str | None, Vocabulary] | None = None

    # -- vocabulary --------------------------------------------------------------------------

    def vocabulary(self) -> Vocabulary:
        """Return the keys and values in the store (cached until the next ingest)."""
        stamp = self.store.meta("last_ingest_at")
        with self._lock:
            if self._vocab and self._vocab[0] == stamp:
                return self._vocab[1]
            vocab = self._load_vocabulary()
            self._vocab = (stamp, vocab)
            return vocab

    def _load_vocabulary(self) -> Vocabulary:
        conn = self.store.conn
        tag_values: dict[str, list[str]] = {}
        for key, value in conn.execute(
            "SELECT DISTINCT t.key, t.value FROM tags t WHERE t.tagset_id IN "
            "(SELECT tagset_id FROM charge_keys) ORDER BY t.key, t.value"
        ):
            tag_values.setdefault(key, []).append(value)
        dims: dict[str, list[str]] = {}
        for dim, cols in DIMENSION_COLUMNS.items():
            table = "charge_keys" if dim in FACT_ONLY else "cost_groups"
            values: set[str] = set()
            for col in cols:
                values |= {
                    r[0] for r in conn.execute(f"SELECT DISTINCT {col} FROM {table}") if r[0]
                }
            dims[dim] = sorted(values, key=str.lower)
        return Vocabulary(tag_values=tag_values, dimension_values=dims,
                          tag_aliases=self.tag_aliases)

    # -- answering ---------------------------------------------------------------------------

    def last_data_day(self) -> date | None:
        """Return the last day with data."""
        through = self.store.data_through()
        return (through - timedelta(days=1)).date() if through else None

    def answer(self, query: CostQuery) -> CostAnswer:
        """Answer one question: totals, comparison, groups and the daily series."""
        today = self.clock().astimezone(UTC).date()
        window = resolve(query.period, today, self.last_data_day())
        untagged = query.untagged
        if untagged is not None and not untagged:
            untagged = self.allocation_tags
            query = CostQuery(query.filters, query.group_by, query.period, query.measure,
                              untagged, query.top, query.share)
        plan = self._plan(query, untagged)
        measure = MEASURE_COLUMNS[query.measure]
        lo, hi = day_number(window.previous_start), day_number(window.end)
        cur_lo = day_number(window.start)
        where = " AND ".join(["d.day BETWEEN ? AND ?", *plan.where])
        conn = self.store.conn
        rows = conn.execute(
            f"SELECT g.currency, d.day, SUM(d.{measure}) FROM {plan.table} d "
            f"JOIN {plan.keys} g ON g.id = d.{plan.id_col} WHERE {where} "
            "GROUP BY g.currency, d.day ORDER BY d.day",
            [lo, hi, *plan.params],
        ).fetchall()
        currencies = sorted({r[0] for r in rows})
        if len(currencies) > 1:
            raise QueryError(
                f"this spend is in several currencies ({', '.join(currencies)}); "
                f"add e.g. `currency {currencies[0]}` to the question."
            )
        currency = currencies[0] if currencies else "USD"
        prev_hi = day_number(window.previous_end)
        daily = {day_date(d): int(v) for _, d, v in rows if d >= cur_lo}
        total = sum(daily.values())
        previous_total = sum(int(v) for _, d, v in rows if d <= prev_hi and d < cur_lo)
        series = tuple(
            (window.start + timedelta(days=i), daily.get(window.start + timedelta(days=i), 0))
            for i in range((window.end - window.start).days + 1)
        )
        groups, count = self._groups(query, untagged, plan, measure, window, total)
        all_spend = total
        if untagged is not None:
            base = self._plan(query, None)
            all_spend = int(conn.execute(
                f"SELECT COALESCE(SUM(d.{measure}), 0) FROM {base.table} d "
                f"JOIN {base.keys} g ON g.id = d.{base.id_col} "
                f"WHERE {' AND '.join(['d.day BETWEEN ? AND ?', *base.where])}",
                [cur_lo, hi, *base.params],
            ).fetchone()[0])
            if query.group_by is None:
                groups = (
                    GroupCost("untagged", total),
                    GroupCost("tagged", all_spend - total),
                )
                count = 2
        return CostAnswer(
            query=query,
            start=window.start,
            end=window.end,
            previous_start=window.previous_start,
            previous_end=window.previous_end,
            measure=query.measure,
            currency=currency,
            total=total,
            previous_total=previous_total,
            groups=groups,
            daily=series,
            data_through=self.store.data_through(),
            all_spend=all_spend,
            group_count=count,
        )

    def _plan(self, query: CostQuery, untagged: Sequence[str] | None) -> _Plan:
        """Pick the cube or the full table and build the WHERE clause with bound values."""
        dims = {d for d, _ in query.filters} | ({query.group_by} if query.group_by else set())
        tag_keys = {d for d in dims if d not in DIMENSION_COLUMNS} | set(untagged or ())
        cube_tags = set(json.loads(self.store.meta("cube_tags") or "[]"))
        use_cube = self.use_cube and not (dims & FACT_ONLY) and tag_keys <= cube_tags
        if use_cube:
            plan = _Plan("daily_group_costs", "cost_groups", "group_id", [], [])
        else:
            plan = _Plan("daily_costs", "charge_keys", "key_id", [], [])
        for dim, value in query.filters:
            if dim in DIMENSION_COLUMNS:
                cols = DIMENSION_COLUMNS[dim]
                plan.where.append("(" + " OR ".join(f"g.{c} = ?" for c in cols) + ")")
                plan.params += [value] * len(cols)
            else:
                plan.where.append(
                    "g.tagset_id IN (SELECT tagset_id FROM tags WHERE key = ? AND value = ?)"
                )
                plan.params += [dim, value]
        if untagged:
            plan.where.append(
                "(" + " OR ".join(
                    "g.tagset_id NOT IN (SELECT tagset_id FROM tags WHERE key = ?)" for _ in untagged
                ) + ")"
            )
            plan.params += list(untagged)
        return plan

    def _groups(
        self,
        query: CostQuery,
        untagged: Sequence[str] | None,
        plan: _Plan,
        measure: str,
        window: Window,
        total: int,
    ) -> tuple[tuple[GroupCost, ...], int]:
        dim = query.group_by
        if dim is None:
            return (), 0
        cur_lo, hi = day_number(window.start), day_number(window.end)
        prev_lo, prev_hi = day_number(window.previous_start), day_number(window.previous_end)
        params: list[object] = [cur_lo, measure, prev_lo, prev_hi]
        join = ""
        if dim in DIMENSION_COLUMNS:
            key_expr = f"g.{DIMENSION_COLUMNS[dim][0]}"
            label_expr = (
                "MAX(g.sub_account_name)" if dim == "account" else "NULL"
            )
        else:
            join = "LEFT JOIN tags t ON t.tagset_id = g.tagset_id AND t.key = ?"
            key_expr = "t.value"
            label_expr = "NULL"
        sql = (
            f"SELECT {key_expr} AS k, {label_expr}, "
            f"SUM(CASE WHEN d.day >= ? THEN d.{measure} ELSE 0 END), "
            f"SUM(CASE WHEN d.day BETWEEN ? AND ? THEN d.{measure} ELSE 0 END) "
            f"FROM {plan.table} d JOIN {plan.keys} g ON g.id = d.{plan.id_col} {join} "
            f"WHERE {' AND '.join(['d.day BETWEEN ? AND ?', *plan.where])} GROUP BY k"
        )
        params = [cur_lo, prev_lo, prev_hi]
        if join:
            params.append(dim)
        params += [prev_lo, hi, *plan.params]
        rows = self.store.conn.execute(sql, params).fetchall()
        items = []
        for key, label, cur, prev in rows:
            if key is None or key == "":
                name = NO_TAG.format(key=dim) if dim not in DIMENSION_COLUMNS else "(none)"
            else:
                name = f"{label} ({key})" if label and label != key else str(key)
            if int(cur) == 0 and int(prev) == 0:
                continue
            items.append(GroupCost(name, int(cur), int(prev)))
        items.sort(key=lambda g: (-g.cost, g.key))
        count = len(items)
        top = max(query.top, 1)
        if count > top:
            rest = items[top:]
            items = [*items[:top], GroupCost(
                f"other ({len(rest)} more)",
                sum(g.cost for g in rest),
                sum(g.previous or 0 for g in rest),
                is_other=True,
                members=len(rest),
            )]
        return tuple(items), count
