"""Answer a :class:`~bot.costs.model.CostQuery` from the store, exactly.

Two paths hold the same amounts: the cube (``daily_group_costs``: no resource,
allocation tags only, one SQL row per group and day) answers most questions
with one SQL aggregate; questions about resources, SKUs or other tags read the
per-charge daily vectors (``charges``) and sum them with numpy. Both sum int64
nano-units, so the choice changes speed, never figures. Values never enter SQL
text: dimensions map to fixed column names and every value is bound.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING

from bot.costs.grammar import Vocabulary
from bot.costs.model import (
    CostAnswer,
    CostQuery,
    GroupCost,
    complete_through,
    is_tag_field,
    tag_key_of,
)
from bot.costs.periods import Window, resolve
from bot.costs.resolution import check_resolution
from bot.costs.store import CostStore, day_number
from bot.errors import CostbotError
from bot.money import format_money

if TYPE_CHECKING:
    from bot.costs.detail import DetailCache

# dimension -> columns it matches (the first is the one grouped by)
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


def _alias(dim: str) -> str:
    """Name the table a dimension lives in: ``k`` (charges) or ``g`` (cost_groups)."""
    return "k" if dim in FACT_ONLY else "g"


def _tag_alias(cube: bool) -> str:
    """Name whose tag set to test: the group's allocation tags, or the charge's full set."""
    return "g" if cube else "k"


class QueryError(CostbotError):
    """The store cannot answer this question as asked (e.g. mixed currencies)."""


class NoDataYet(QueryError):
    """The period asked about lies after the last day with data (or the store is empty)."""


class SeveralCurrencies(QueryError):
    """The spend asked about is in several currencies, which are never added together."""

    def __init__(self, message: str, currencies: Sequence[str]) -> None:
        super().__init__(message)
        self.currencies = list(currencies)


EMPTY_STORE = (
    "no billing data yet: load some with `costbot ingest PATH` (a CUR 2.0, legacy CUR or FOCUS "
    "export: files, a directory or an s3:// prefix), or try `costbot demo` for a sample bill."
)


@dataclass
class _Plan:
    """Where to read and which rows: the WHERE clause over alias ``g`` with bound values."""

    cube: bool
    where: list[str] = field(default_factory=list)
    params: list[object] = field(default_factory=list)


@dataclass
class _Sums:
    """Raw sums over [previous_start, end]: per currency and day, and per group."""

    by_day: dict[tuple[str, int], int] = field(default_factory=dict)
    groups: dict[tuple[object, object], list[int]] = field(
        default_factory=dict
    )  # key -> [cur, prev]
    top: tuple[tuple[GroupCost, ...], int] | None = None  # groups already ranked (detail cache)


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
        default_top: int = 10,
        week_start: int = 0,
        use_detail_cache: bool = True,
    ) -> None:
        self.store = store
        self.use_cube = use_cube
        self.default_top = default_top  # COSTBOT_TOP_N: rows before "other" when not asked
        self.week_start = week_start  # COSTBOT_WEEK_START: 0 = Monday … 6 = Sunday
        self.use_detail_cache = use_detail_cache
        self.allocation_tags = tuple(allocation_tags)
        self.tag_aliases = dict(tag_aliases or {})
        self.clock = clock or (lambda: datetime.now(UTC))
        self._lock = threading.Lock()
        self._vocab: tuple[str | None, Vocabulary] | None = None
        self._detail: DetailCache | None = None  # resource-level answers (issue 18)

    # -- vocabulary --------------------------------------------------------------------------

    def vocabulary(self) -> Vocabulary:
        """Return the keys and values in the store (cached until the next ingest)."""
        stamp = self.store.meta("ingest_id")
        with self._lock:
            if self._vocab and self._vocab[0] == stamp:
                return self._vocab[1]
            vocab = self._load_vocabulary()
            self._vocab = (stamp, vocab)
            return vocab

    def _load_vocabulary(self) -> Vocabulary:
        """Read every tag value and dimension value the store holds.

        ``charges`` is the big table: it is scanned once for its resource types, SKUs
        and tag sets together, and its resource ids are read from their index (a CLI
        question pays this at every start; it was three scans, about half a second on
        the bench store).
        """
        conn = self.store.conn
        fact: dict[str, set[str]] = {"resource_type": set(), "sku": set()}
        tagsets: set[int] = set()
        for resource_type, sku, tagset_id in conn.execute(
            "SELECT DISTINCT resource_type, sku, tagset_id FROM charges"
        ):
            fact["resource_type"].add(resource_type)
            fact["sku"].add(sku)
            tagsets.add(tagset_id)
        # The covering index charges_by_resource answers this without touching the rows.
        fact["resource"] = {r[0] for r in conn.execute("SELECT DISTINCT resource_id FROM charges")}
        tag_values: dict[str, list[str]] = {}
        for key, value in sorted(
            {
                (k, v)
                for k, v, t in conn.execute("SELECT key, value, tagset_id FROM tags")
                if t in tagsets
            }
        ):
            tag_values.setdefault(key, []).append(value)
        dims: dict[str, list[str]] = {}
        for dim, cols in DIMENSION_COLUMNS.items():
            if dim in FACT_ONLY:
                values = fact[dim]
            else:
                values = set()
                for col in cols:
                    values |= {
                        r[0] for r in conn.execute(f"SELECT DISTINCT {col} FROM cost_groups")
                    }
            dims[dim] = sorted((v for v in values if v), key=str.lower)
        return Vocabulary(
            tag_values=tag_values, dimension_values=dims, tag_aliases=self.tag_aliases
        )

    # -- answering ---------------------------------------------------------------------------

    def last_data_day(self) -> date | None:
        """Return the last day with data."""
        through = self.store.data_through()
        return (through - timedelta(days=1)).date() if through else None

    def today(self) -> date:
        """Return today's date (UTC) by the engine's clock."""
        return self.clock().astimezone(UTC).date()

    def window(self, query: CostQuery) -> Window:
        """Resolve the question's period and comparison; raise NoDataYet past the data."""
        last = self.last_data_day()
        if last is None:
            raise NoDataYet(EMPTY_STORE)
        window = resolve(query.period, self.today(), last, query.compare)
        if window.after_data:
            what = {"mtd": "this month"}.get(query.period.kind, query.period.describe())
            raise NoDataYet(
                f"no data yet for {what}; {complete_through(self.store.data_through())}."
            )
        return window

    def answer(self, query: CostQuery) -> CostAnswer:
        """Answer one question: totals, comparison, groups and the daily series."""
        window = self.window(query)
        untagged = query.untagged
        if untagged is not None and not untagged:
            untagged = self.allocation_tags  # the question keeps its words; the answer says which
        check_resolution(self.store, query, window.previous_start, window.end, untagged)
        sums = self._sums(query, self._plan(query, untagged), window)
        base: _Sums | None = None
        if untagged is not None:
            base = self._sums(
                replace(query, group_by=None), self._plan(query, None), window, only_current=True
            )
        # Never add across currencies: the untagged share's base counts as well as the subset.
        currencies = sorted({c for c, _ in sums.by_day} | {c for c, _ in (base or sums).by_day})
        if len(currencies) > 1:
            self._several_currencies(base or sums, currencies, window)
        currency = currencies[0] if currencies else "USD"
        cur_lo, prev_hi = day_number(window.start), day_number(window.previous_end)
        per_day = {d: v for (_, d), v in sums.by_day.items()}
        total = sum(v for d, v in per_day.items() if d >= cur_lo)
        previous_total = sum(v for d, v in per_day.items() if d <= prev_hi and d < cur_lo)
        series = tuple(
            (window.start + timedelta(days=i), per_day.get(cur_lo + i, 0))
            for i in range((window.end - window.start).days + 1)
        )
        groups, count = self._top_groups(query, sums)
        all_spend = total
        if base is not None:
            all_spend = sum(v for (_, d), v in base.by_day.items() if d >= cur_lo)
            if query.group_by is None:
                groups = (GroupCost("untagged", total), GroupCost("tagged", all_spend - total))
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
            untagged_keys=tuple(untagged or ()),
            notes=(*query.notes, *window.notes),
        )

    def _several_currencies(self, sums: _Sums, currencies: list[str], window: Window) -> None:
        cur_lo = day_number(window.start)
        per = {c: 0 for c in currencies}
        for (c, d), v in sums.by_day.items():
            if d >= cur_lo:
                per[c] += v
        amounts = " and ".join(f"{format_money(per[c], c)} ({c})" for c in currencies)
        raise SeveralCurrencies(
            f"this spend is in several currencies ({', '.join(currencies)}): {amounts}, "
            "which are never added together; "
            f"add e.g. `currency {currencies[0]}` to the question.",
            currencies,
        )

    def answer_per_currency(self, query: CostQuery) -> list[CostAnswer]:
        """Answer once per billing currency when the spend is in several (App Home, digests)."""
        try:
            return [self.answer(query)]
        except SeveralCurrencies as exc:
            return [
                self.answer(replace(query, filters=(*query.filters, ("currency", c))))
                for c in exc.currencies
            ]

    def _plan(self, query: CostQuery, untagged: Sequence[str] | None) -> _Plan:
        """Pick the cube or the charges and build the WHERE clause with bound values.

        Values of one field are alternatives (OR); fields combine with AND; excluded
        values are left out. Tag fields and dimensions are told apart by their type
        (:func:`~bot.costs.model.is_tag_field`), never by looking the value up.
        """
        fields = (
            {d for d, _ in query.filters}
            | {d for d, _ in query.excludes}
            | ({query.group_by} if query.group_by else set())
        )
        dims = {d for d in fields if not is_tag_field(d)}
        tag_keys = {tag_key_of(d) for d in fields if is_tag_field(d)} | set(untagged or ())
        cube_tags = set(self.store.cube_tags())
        plan = _Plan(cube=self.use_cube and not (dims & FACT_ONLY) and tag_keys <= cube_tags)
        for negate, pairs in ((False, query.filters), (True, query.excludes)):
            grouped: dict[str, list[str]] = {}
            for dim, value in pairs:
                grouped.setdefault(dim, []).append(value)
            for dim, values in grouped.items():
                clause, params = self._match(dim, values, plan.cube, negate=negate)
                plan.where.append(clause)
                plan.params += params
        tags = _tag_alias(plan.cube)
        if untagged:
            plan.where.append(
                "("
                + " OR ".join(
                    f"{tags}.tagset_id NOT IN (SELECT tagset_id FROM tags WHERE key = ?)"
                    for _ in untagged
                )
                + ")"
            )
            plan.params += list(untagged)
        return plan

    @staticmethod
    def _match(
        dim: str, values: Sequence[str], cube: bool, *, negate: bool
    ) -> tuple[str, list[object]]:
        """Build the clause matching any of ``values`` of one field (or none of them)."""
        marks = ", ".join("?" for _ in values)
        if is_tag_field(dim):
            sub = f"SELECT tagset_id FROM tags WHERE key = ? AND value IN ({marks})"
            op = "NOT IN" if negate else "IN"
            return f"{_tag_alias(cube)}.tagset_id {op} ({sub})", [tag_key_of(dim), *values]
        cols = DIMENSION_COLUMNS[dim]
        alias = _alias(dim)
        clause = "(" + " OR ".join(f"{alias}.{c} IN ({marks})" for c in cols) + ")"
        if negate:
            # NULL columns are not excluded values: COALESCE keeps those rows.
            clause = (
                "NOT (" + " OR ".join(f"COALESCE({alias}.{c}, '') IN ({marks})" for c in cols) + ")"
            )
        return clause, [v for _ in cols for v in values]

    def _group_sql(self, dim: str | None, cube: bool) -> tuple[str, str, str, list[object]]:
        """Return (key expression, label expression, join, join params) for a grouping."""
        if dim is None:
            return "NULL", "NULL", "", []
        if not is_tag_field(dim):
            label = "MAX(g.sub_account_name)" if dim == "account" else "NULL"
            return f"{_alias(dim)}.{DIMENSION_COLUMNS[dim][0]}", label, "", []
        return (
            "t.value",
            "NULL",
            f"LEFT JOIN tags t ON t.tagset_id = {_tag_alias(cube)}.tagset_id AND t.key = ?",
            [tag_key_of(dim)],
        )

    def _sums(
        self, query: CostQuery, plan: _Plan, window: Window, *, only_current: bool = False
    ) -> _Sums:
        lo = day_number(window.start if only_current else window.previous_start)
        hi, cur_lo = day_number(window.end), day_number(window.start)
        prev_lo, prev_hi = day_number(window.previous_start), day_number(window.previous_end)
        measure = MEASURE_COLUMNS[query.measure]
        key_expr, label_expr, join, join_params = self._group_sql(query.group_by, plan.cube)
        conn = self.store.conn
        sums = _Sums()
        where = " AND ".join(plan.where) or "1"
        if plan.cube:
            sql = (
                f"SELECT g.currency, d.day, {key_expr}, {label_expr}, SUM(d.{measure}) "
                # CROSS JOIN fixes the loop order: the few matching groups first, then their
                # days by primary key (group_id, day). Left to itself SQLite scanned every
                # daily row: 28 ms instead of 12 for `team X last 30d` on the bench store.
                f"FROM cost_groups g CROSS JOIN daily_group_costs d ON d.group_id = g.id {join} "
                f"WHERE d.day BETWEEN ? AND ? AND {where} "
                f"GROUP BY g.currency, d.day, {key_expr if query.group_by else 'NULL'}"
            )
            for currency, day, key, label, value in conn.execute(
                sql, [*join_params, lo, hi, *plan.params]
            ):
                v = int(value)
                sums.by_day[(currency, day)] = sums.by_day.get((currency, day), 0) + v
                if query.group_by is not None:
                    slot = sums.groups.setdefault((key, label), [0, 0])
                    if day >= cur_lo:
                        slot[0] += v
                    elif prev_lo <= day <= prev_hi:
                        slot[1] += v
            return sums
        if self.use_detail_cache and query.group_by in (None, "resource"):
            fast = self._detail_sums(query, plan, measure, lo, hi, window)
            if fast is not None:
                return fast
        # The charges: daily vectors, concatenated and summed with numpy in one pass.
        import numpy as np  # here, not at import: start-up stays fast (issue 18)

        label_col = "g.sub_account_name" if query.group_by == "account" else "NULL"
        amounts = "k.billed" if measure == "billed" else f"COALESCE(k.{measure}, k.billed)"
        rows = conn.execute(
            f"SELECT g.currency, {key_expr}, {label_col}, k.first_day, {amounts}, k.days "
            f"FROM charges k JOIN cost_groups g ON g.id = k.group_id {join} "
            f"WHERE k.last_day >= ? AND k.first_day <= ? AND {where}",
            [*join_params, lo, hi, *plan.params],
        ).fetchall()
        if not rows:
            return sums
        from bot.costs.vectors import decode

        currencies, keys, labels, firsts, blobs, days = zip(*rows, strict=True)
        flat = decode(blobs, days)
        if float(np.abs(flat).sum(dtype=np.float64)) >= 9.0e18:
            raise QueryError("these amounts add up to more than int64 can sum exactly")
        lengths = np.asarray(days, dtype=np.int64)
        row_of = np.repeat(np.arange(len(rows)), lengths)
        starts = np.r_[0, np.cumsum(lengths)[:-1]]
        day_of = np.asarray(firsts, dtype=np.int64)[row_of] + (
            np.arange(len(flat)) - starts[row_of]
        )
        keep = (day_of >= lo) & (day_of <= hi)
        currency_names = sorted(set(currencies))
        currency_code = np.array([currency_names.index(c) for c in currencies])[row_of]
        span = hi - lo + 1
        grid = np.zeros(len(currency_names) * span, dtype=np.int64)
        np.add.at(grid, currency_code[keep] * span + (day_of[keep] - lo), flat[keep])
        for c, name in enumerate(currency_names):
            seen = np.zeros(span, dtype=bool)
            seen[np.unique(day_of[keep & (currency_code == c)] - lo)] = True
            for i in np.flatnonzero(seen):
                sums.by_day[(name, lo + int(i))] = int(grid[c * span + i])
            if not seen.any():
                sums.by_day[(name, hi)] = 0  # the currency is there even if nothing is due
        if query.group_by is not None:
            group_names = list(dict.fromkeys(zip(keys, labels, strict=True)))
            position = {g: i for i, g in enumerate(group_names)}
            group_of = np.array([position[g] for g in zip(keys, labels, strict=True)])[row_of]
            current = keep & (day_of >= cur_lo)
            previous = keep & (day_of >= prev_lo) & (day_of <= prev_hi)
            cur_sum = np.zeros(len(group_names), dtype=np.int64)
            prev_sum = np.zeros(len(group_names), dtype=np.int64)
            np.add.at(cur_sum, group_of[current], flat[current])
            np.add.at(prev_sum, group_of[previous], flat[previous])
            for g, (c, p) in zip(
                group_names, zip(cur_sum.tolist(), prev_sum.tolist(), strict=True), strict=True
            ):
                sums.groups[g] = [c, p]
        return sums

    def _detail_sums(
        self, query: CostQuery, plan: _Plan, measure: str, lo: int, hi: int, window: Window
    ) -> _Sums | None:
        """Answer from the in-memory detail (bot/costs/detail.py): totals, or by resource."""
        import numpy as np

        from bot.costs.detail import DetailCache

        with self._lock:
            if self._detail is None:
                self._detail = DetailCache(self.store)
        ids = None
        groups: list[set[int]] = []  # cost_groups ids a charge's group must be in
        tagsets: list[tuple[set[int], bool]] = []  # (tag set ids, excluded)
        resources: list[tuple[set[str], bool]] = []  # (resource ids, excluded)
        conn = self.store.conn
        pairs_all = (*query.filters, *query.excludes)
        simple = query.untagged is None and not any(
            not is_tag_field(d) and d in ("resource_type", "sku") for d, _ in pairs_all
        )
        for negate, pairs in ((False, query.filters), (True, query.excludes)) if simple else ():
            by_field: dict[str, list[str]] = {}
            for dim, value in pairs:
                by_field.setdefault(dim, []).append(value)
            for dim, values in by_field.items():
                if is_tag_field(dim):
                    marks = ", ".join("?" for _ in values)
                    found = conn.execute(
                        f"SELECT tagset_id FROM tags WHERE key = ? AND value IN ({marks})",
                        [tag_key_of(dim), *values],
                    )
                    tagsets.append(({r[0] for r in found}, negate))
                elif dim == "resource":
                    resources.append((set(values), negate))
                else:  # a cost_groups column: the same clause the store path uses
                    clause, params = self._match(dim, values, True, negate=negate)
                    found = conn.execute(f"SELECT g.id FROM cost_groups g WHERE {clause}", params)
                    groups.append({r[0] for r in found})
        if plan.where and not simple:
            where = " AND ".join(plan.where)
            ids = np.asarray(
                [
                    r[0]
                    for r in self.store.conn.execute(
                        "SELECT k.id FROM charges k JOIN cost_groups g ON g.id = k.group_id "
                        f"WHERE k.last_day >= ? AND k.first_day <= ? AND {where} "
                        "ORDER BY k.id",
                        [lo, hi, *plan.params],
                    )
                ],
                dtype=np.int64,
            )
        current = (day_number(window.start), hi)
        previous = (day_number(window.previous_start), day_number(window.previous_end))
        # With filters the cube can answer (e.g. a team), the days come from the cube.
        whole = replace(query, group_by=None)
        filtered = ids is not None or bool(groups or tagsets or resources)
        cube_plan = self._plan(whole, None) if filtered and query.untagged is None else None
        days_from_cube = cube_plan is not None and cube_plan.cube
        got = self._detail.window_sums(
            measure,
            lo,
            hi,
            current,
            previous,
            ids,
            days=not days_from_cube,
            groups=groups,
            tagsets=tagsets,
            resources=resources,
        )
        if got is None:
            return None
        by_day = (
            self._sums(whole, cube_plan, window).by_day
            if days_from_cube and cube_plan is not None and len(got.resource)
            else got.by_day
        )
        sums = _Sums(by_day=by_day)
        if query.group_by == "resource" and query.rank != "cost":
            # growth / movers: rank in _top_groups, from every resource's two sums
            for c, cur_v, prev_v in zip(
                got.resource.tolist(), got.current.tolist(), got.previous.tolist(), strict=True
            ):
                sums.groups[(got.names[c], None)] = [cur_v, prev_v]
        elif query.group_by == "resource":
            nonzero = (got.current != 0) | (got.previous != 0)
            codes, cur, prev = got.resource[nonzero], got.current[nonzero], got.previous[nonzero]
            order = np.lexsort((codes, -cur))  # by cost, then name (codes follow name order)
            top = max(query.top, 1)
            names = [got.names[c] or "(none)" for c in codes[order[:top]].tolist()]
            items = [
                GroupCost(n, c, p)
                for n, c, p in zip(
                    names, cur[order[:top]].tolist(), prev[order[:top]].tolist(), strict=True
                )
            ]
            rest = order[top:]
            if len(rest):
                items.append(
                    GroupCost(
                        f"other ({len(rest)} more)",
                        int(cur[rest].sum()),
                        int(prev[rest].sum()),
                        is_other=True,
                        members=len(rest),
                    )
                )
            sums.top = (tuple(items), int(nonzero.sum()))
        return sums

    def _top_groups(self, query: CostQuery, sums: _Sums) -> tuple[tuple[GroupCost, ...], int]:
        dim = query.group_by
        if dim is None:
            return (), 0
        if sums.top is not None:
            return sums.top
        # Group by the key alone; a key's label (an account's name) is the largest one seen,
        # so a line without the name or a renamed account does not split the group.
        merged: dict[object, list[int]] = {}
        labels: dict[object, str] = {}
        for (key, label), (cur, prev) in sums.groups.items():
            slot = merged.setdefault(key or "", [0, 0])
            slot[0] += cur
            slot[1] += prev
            if label and str(label) > labels.get(key or "", ""):
                labels[key or ""] = str(label)
        items = []
        for key, (cur, prev) in merged.items():
            if not cur and not prev:
                continue
            if key == "":
                name = NO_TAG.format(key=tag_key_of(dim)) if is_tag_field(dim) else "(none)"
            else:
                label = labels.get(key, "")
                name = f"{label} ({key})" if label and label != key else str(key)
            items.append(GroupCost(name, cur, prev))
        if query.rank == "growth":
            items.sort(key=lambda g: (-(g.cost - (g.previous or 0)), -g.cost, g.key))
        elif query.rank == "movers":
            items.sort(key=lambda g: (-abs(g.cost - (g.previous or 0)), -g.cost, g.key))
        else:
            items.sort(key=lambda g: (-g.cost, g.key))
        count = len(items)
        top = max(query.top, 1)
        if count > top:
            rest = items[top:]
            items = [
                *items[:top],
                GroupCost(
                    f"other ({len(rest)} more)",
                    sum(g.cost for g in rest),
                    sum(g.previous or 0 for g in rest),
                    is_other=True,
                    members=len(rest),
                ),
            ]
        return tuple(items), count
