"""Roll canonical line batches up to one row per charge key and UTC day.

Each distinct combination of billing period, dimensions and tag set becomes a
*charge key*; amounts are summed per key and day in exact int64 arithmetic. The
same pass derives the small cube (keys without the resource, with only the
allocation tags) that answers the common questions quickly. Everything is
vectorised: Python only touches distinct keys, never rows.
"""

from __future__ import annotations

import itertools
import json
import sys
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from bot.costs.readers.common import (
    TAG_PREFIX,
    IngestError,
    LineBatch,
    as_dictionary,
    dictionary_codes,
)
from bot.costs.readers.distinct import factorize_rows
from bot.costs.schema import GROUP_COLUMNS, KEY_COLUMNS
from bot.costs.vectors import DailyVectors

KEY_FIELDS = ("billing_period", *KEY_COLUMNS)
_GROUP_POSITIONS = tuple(KEY_FIELDS.index(c) for c in ("billing_period", *GROUP_COLUMNS))
SAFE_SUM_NANOS = 9.0e18  # below int64's 9.22e18: no partial sum can wrap


def tagset_json(tags: dict[str, str]) -> str:
    """Serialise a tag set canonically (sorted keys, compact), so equal sets are equal text."""
    return json.dumps(dict(sorted(tags.items())), separators=(",", ":"), ensure_ascii=False)


@dataclass
class DailyAmounts:
    """Sorted, unique (index, day) rows with their summed amounts and input line counts."""

    index: np.ndarray  # int64: key or group index
    day: np.ndarray  # int32: days since 1970-01-01
    billed: np.ndarray
    effective: np.ndarray
    list: np.ndarray
    lines: np.ndarray


class _Values:
    """Global codes for the values of one text column, in order of first appearance."""

    def __init__(self) -> None:
        self.values: list[str] = []
        self._index: dict[str, int] = {}
        self._last: tuple[pa.Array, np.ndarray] | None = None

    def codes(self, dictionary: pa.Array | Sequence[str | None]) -> np.ndarray:
        """Return the global code of each dictionary entry, then of "" (for code -1, null).

        Batches of one Parquet row group share their dictionaries: a dictionary
        equal to the last one (compared in Arrow) reuses its codes.
        """
        if isinstance(dictionary, pa.Array):
            if self._last is not None and self._last[0].equals(dictionary):
                return self._last[1]
            filled = pc.fill_null(dictionary.cast(pa.string()), "")
            out = self._listed_codes(filled.to_pylist())
            self._last = (dictionary, out)
            return out
        return self._listed_codes([v or "" for v in dictionary])

    def _listed_codes(self, dictionary: list[str]) -> np.ndarray:
        """Codes of these values (and of ""), new values numbered in order of first appearance.

        Every step is a C-level map over the values (a file brings tens of thousands of
        resource ids): no Python bytecode runs per value.
        """
        texts = list(map(sys.intern, dictionary))  # units' keys then compare by identity
        texts.append("")
        index, values = self._index, self.values
        new = list(itertools.filterfalse(index.__contains__, dict.fromkeys(texts)))
        if new:
            index.update(zip(new, range(len(values), len(values) + len(new)), strict=True))
            values.extend(new)
        return np.fromiter(map(index.__getitem__, texts), np.int32, len(texts))

    def texts(self, codes: np.ndarray) -> np.ndarray:
        """Return the values of global codes (an object array)."""
        return np.asarray(self.values, dtype=object)[codes]


class _Interned:
    """Distinct rows of global codes, with their text tuples, ids by first appearance."""

    def __init__(self, columns: Sequence[_Values]) -> None:
        self.columns = columns
        self.tuples: list[tuple[str, ...]] = []
        self.matrix = np.zeros((0, len(columns)), dtype=np.int32)

    def ids(self, matrix: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Give each row of ``matrix`` its id, adding rows not seen before; return the ids and
        the positions in ``matrix`` of the rows that were new.

        The known rows and the new ones are factorised together (vectorised: Python
        touches only the new rows' text), so known rows keep their ids.
        """
        known = len(self.tuples)
        joined = np.concatenate([self.matrix, matrix]) if known else matrix
        dense, first = factorize_rows([joined[:, j] for j in range(joined.shape[1])])
        new = first[known:] - known  # rows of ``matrix`` bringing ids known, known + 1, ...
        if len(new):
            added = matrix[new]
            self.matrix = np.concatenate([self.matrix, added]) if known else added
            texts = [c.texts(added[:, j]) for j, c in enumerate(self.columns)]
            self.tuples.extend(zip(*texts, strict=True))
        return dense[known:], new


class Rollup:
    """Accumulate batches; :meth:`finish` returns keys, groups and their daily amounts.

    Each column's values get global codes (Python touches each distinct value of
    a batch once); a batch's distinct charges are found on integer codes, and
    interned as rows of global codes, so no per-charge Python work is repeated
    for charges an earlier batch already brought. A charge's group is derived
    once, when the charge is new.
    """

    def __init__(self, allocation_tags: Sequence[str]) -> None:
        self.allocation_tags = allocation_tags
        # KEY_FIELDS, export, tag set json (all tags)
        self._columns = [_Values() for _ in range(len(KEY_FIELDS) + 2)]
        self._restricted_values = _Values()  # tag set json (allocation tags only)
        self._restricted: dict[str, str] = {}
        self._keys = _Interned(self._columns)
        group_columns = [self._columns[p] for p in (*_GROUP_POSITIONS, len(KEY_FIELDS))]
        self._groups = _Interned([*group_columns, self._restricted_values])
        self.key_group = np.zeros(0, dtype=np.int64)
        self._parts: list[tuple[np.ndarray, ...]] = []

    @property
    def keys(self) -> list[tuple[str, ...]]:
        """KEY_FIELDS + (export, tag set json), by key id."""
        return self._keys.tuples

    @property
    def groups(self) -> list[tuple[str, ...]]:
        """Period, GROUP_COLUMNS, export, allocation tag set json, by group id."""
        return self._groups.tuples

    def add(self, batch: pa.Table | LineBatch, export: str = "") -> set[tuple[str, str, str]]:
        """Add one canonical batch of an export; return the (provider, account, period) in it.

        Charges of different exports stay apart (a delivery replaces only what
        its own export delivered), so the export is part of every key and group.
        A compact batch's dimension rows are matched to charges once each, then
        its lines through them.
        """
        compact = (batch if isinstance(batch, LineBatch) else LineBatch(batch)).compacted()
        table, lines = compact.table, compact.lines
        if lines is None or len(lines) == 0:
            return set()
        tag_names = sorted(c for c in table.column_names if c.startswith(TAG_PREFIX))
        tagset_codes, tagset_texts = _tagsets(table, tag_names)
        codes, dictionaries = zip(
            *(_codes(table.column(name), listed=False) for name in KEY_FIELDS), strict=True
        )
        row_key, first = factorize_rows([*codes, tagset_codes])  # the batch's distinct charges
        export_code = self._columns[len(KEY_FIELDS)].codes([export])[0]
        local = np.empty((len(first), len(self._columns)), dtype=np.int32)
        for j, (c, d) in enumerate(zip(codes, dictionaries, strict=True)):
            local[:, j] = self._columns[j].codes(d)[c[first]]
        local[:, -2] = export_code
        local[:, -1] = self._columns[-1].codes(tagset_texts)[:-1][tagset_codes[first]]
        key_ids, new = self._keys.ids(local)
        if len(new):
            self._add_groups(local[new])
        pi, ai = KEY_FIELDS.index("provider"), KEY_FIELDS.index("billing_account")
        _, one_each = factorize_rows([local[:, j] for j in (pi, ai, 0)])
        texts = [self._columns[j].texts(local[one_each, j]) for j in (pi, ai, 0)]
        self._parts.append(
            (
                # ids fit in 32 bits; halves what a year holds
                key_ids.astype(np.int32)[row_key][lines.row],
                lines.day.astype(np.int32, copy=False),
                lines.billed,
                lines.effective,
                lines.list,
            )
        )
        return set(zip(*texts, strict=True))

    def _add_groups(self, new_keys: np.ndarray) -> None:
        """Find the groups of charges met for the first time (a group is a function of the key)."""
        tagsets = self._columns[-1]
        restricted = np.empty(len(tagsets.values), dtype=np.int32)
        allocation = set(self.allocation_tags)
        for code, text in enumerate(tagsets.values):
            part = self._restricted.get(text)
            if part is None:
                tags = json.loads(text) if text else {}  # "" stands for null codes
                part = self._restricted[text] = tagset_json(
                    {k: v for k, v in tags.items() if k in allocation}
                )
            restricted[code] = self._restricted_values.codes([part])[0]
        matrix = np.column_stack(
            [new_keys[:, [*_GROUP_POSITIONS, len(KEY_FIELDS)]], restricted[new_keys[:, -1]]]
        ).astype(np.int32)
        group_ids, _ = self._groups.ids(matrix)
        self.key_group = np.concatenate([self.key_group, group_ids.astype(np.int64)])

    def finish(self) -> tuple[DailyAmounts, DailyAmounts]:
        """Return per-key and per-group daily amounts, sorted by (index, day)."""
        if not self._parts:
            return _empty(), _empty()
        cols = [np.concatenate([p[i] for p in self._parts]) for i in range(5)]
        self._parts.clear()
        check_exact(cols[2:])
        key_rows, day, amounts = cols[0], cols[1], cols[2:]
        group_rows = self.key_group[key_rows]
        return sum_by_day(key_rows, day, amounts), sum_by_day(group_rows, day, amounts)


class PartRollup:
    """Merge units' roll-ups into one part's keys, groups and daily sums, in unit order.

    Keys and groups get global ids in the order units are added, which is the
    order of the files and row groups, never the order workers finish in: the
    same input gives the same store with any number of workers. Each unit
    brings its own per-group sums too, so the cube is merged from small
    pieces instead of summed again from every charge-day.
    """

    def __init__(self) -> None:
        self.keys: list[tuple[str, ...]] = []
        self.groups: list[tuple[str, ...]] = []
        self._key_index: dict[tuple[str, ...], int] = {}
        self._group_index: dict[tuple[str, ...], int] = {}
        self._daily: list[DailyAmounts] = []
        self._cube: list[DailyAmounts] = []
        self._in_order = True  # every unit's keys were new, in order: nothing to re-sum
        self.key_group = np.zeros(0, dtype=np.int64)  # a key's group (a function of the key)
        # The only unit's charge vectors, made by its reader; None once a second unit adds.
        self.vectors: DailyVectors | None = None

    @property
    def rows(self) -> int:
        """Return how many (charge, day) sums the part holds so far."""
        return sum(len(d.index) for d in self._daily)

    def add(
        self,
        keys: Sequence[tuple[str, ...]],
        groups: Sequence[tuple[str, ...]],
        key_group: np.ndarray,
        daily: DailyAmounts,
        cube: DailyAmounts,
        vectors: DailyVectors | None = None,
    ) -> None:
        """Add one unit's roll-up (its local ids become this part's ids)."""
        first_new = len(self.keys)
        if not self.keys:  # the first unit (often the only one): its ids are the part's
            self.keys, self.groups = list(keys), list(groups)
            key_ids, group_ids = np.arange(len(keys)), np.arange(len(groups))
            self.vectors = vectors
        else:
            self.vectors = None  # the part's sums are merged: the writer makes its vectors
            if not self._key_index:  # a second unit: index what the first one brought
                self._key_index = {k: i for i, k in enumerate(self.keys)}
                self._group_index = {g: i for i, g in enumerate(self.groups)}
            key_ids = _global_ids(keys, self._key_index, self.keys)
            group_ids = _global_ids(groups, self._group_index, self.groups)
        self._in_order = self._in_order and bool(
            np.array_equal(key_ids, np.arange(first_new, first_new + len(keys)))
        )
        grown = np.zeros(len(self.keys), dtype=np.int64)
        grown[: len(self.key_group)] = self.key_group
        grown[key_ids] = group_ids[key_group]
        self.key_group = grown
        self._daily.append(_renumbered(daily, key_ids))
        self._cube.append(_renumbered(cube, group_ids))

    def finish(self) -> tuple[DailyAmounts, DailyAmounts]:
        """Return per-key and per-group daily amounts, sorted by (index, day)."""
        if not self._daily:
            return _empty(), _empty()
        daily_parts, self._daily = self._daily, []
        cube_parts, self._cube = self._cube, []
        return _merged(daily_parts, self._in_order), _merged(cube_parts, False)


def _renumbered(sums: DailyAmounts, ids: np.ndarray) -> DailyAmounts:
    return replace(sums, index=ids[sums.index].astype(np.int32))  # ids fit in 32 bits


def _merged(parts: list[DailyAmounts], in_order: bool) -> DailyAmounts:
    """Concatenate sums; add up the cells several parts share (unless none can).

    Takes ``parts`` over and sums one column at a time, dropping each from the
    parts once joined: a part's sums and their merge are never all held twice
    (at x4 a month holds 2.5 M charge-days).
    """
    columns = {f: [getattr(p, f) for p in parts] for f in ("index", "day", *SUMMED)}
    parts.clear()
    index, day = np.concatenate(columns.pop("index")), np.concatenate(columns.pop("day"))
    out: dict[str, np.ndarray] = {}
    cells = None if in_order else CellSums(index, day)  # in order: disjoint keys, already sums
    if cells is not None:
        index, day = cells.index, cells.day
    for name in SUMMED:
        joined = np.concatenate(columns.pop(name))
        if name != "lines":
            check_exact([joined])
        out[name] = joined if cells is None else cells.total(joined)
        del joined
    return DailyAmounts(index, day, out["billed"], out["effective"], out["list"], out["lines"])


AMOUNT_FIELDS = ("billed", "effective", "list")
SUMMED = (*AMOUNT_FIELDS, "lines")


def check_exact(amounts: Sequence[np.ndarray]) -> None:
    """Refuse sums that could wrap int64 (the float bound is far below the wrap)."""
    for a in amounts:
        if float(np.abs(a).sum(dtype=np.float64)) >= SAFE_SUM_NANOS:
            raise IngestError(
                "these lines add up to more than ±$9 billion: too much to sum exactly in "
                "one run; ingest fewer billing periods at a time"
            )


def _empty() -> DailyAmounts:
    empty = np.zeros(0, dtype=np.int64)
    return DailyAmounts(empty, empty.astype(np.int32), empty, empty, empty, empty)


def _global_ids(
    local: Sequence[tuple[str, ...]],
    index: dict[tuple[str, ...], int],
    table: list[tuple[str, ...]],
) -> np.ndarray:
    """Give each local key its id in ``table``, appending the keys not seen before."""
    found = list(map(index.get, local))  # one C-level pass; None for keys not seen yet
    for i in [i for i, known in enumerate(found) if known is None]:
        key = local[i]
        known = index.get(key)  # a key may repeat within ``local``
        if known is None:
            known = index[key] = len(table)
            table.append(key)
        found[i] = known
    return np.array(found, dtype=np.int64)


def _codes(column: pa.Array | pa.ChunkedArray, *, listed: bool = True) -> tuple[np.ndarray, Any]:
    """Return int32 codes (-1 for null) and the distinct values of a text column: a list,
    or the Arrow dictionary itself unless ``listed``."""
    encoded = as_dictionary(column)
    dictionary = encoded.dictionary.to_pylist() if listed else encoded.dictionary
    return dictionary_codes(encoded), dictionary  # 4 bytes a row


def _tagsets(table: pa.Table, tag_names: list[str]) -> tuple[np.ndarray, list[str]]:
    """Give each row the code of its tag set; return codes and the canonical JSON per code."""
    if not tag_names:
        return np.zeros(table.num_rows, dtype=np.int64), [tagset_json({})]
    codes, dictionaries = zip(*(_codes(table.column(n)) for n in tag_names), strict=True)
    ids, first = factorize_rows(list(codes))
    keys = [n[len(TAG_PREFIX) :] for n in tag_names]
    texts: list[str] = []
    canonical: dict[str, int] = {}
    remap = np.empty(len(first), dtype=np.int64)
    for i, row in enumerate(first):
        tags = {
            k: d[c[row]]
            for k, d, c in zip(keys, dictionaries, codes, strict=True)
            if c[row] >= 0 and d[c[row]]
        }
        text = tagset_json(tags)
        if text not in canonical:
            canonical[text] = len(texts)
            texts.append(text)
        remap[i] = canonical[text]
    return remap[ids], texts


DAY_BITS = 20  # a roll-up's days span far less than 2**20 (2 870 years)
# A grid of (index, day) cells up to twice the rows (plus this) is summed densely.
DENSE_SLACK = 1 << 16


class CellSums:
    """Sum rows by (index, day), exactly, into cells ordered by (index, day).

    Where the (index, day) grid is not much larger than the rows (a unit's
    charges over its month), each column is summed straight into the grid in
    int64 (exact, no sort): rows alone in their cell by plain assignment, rows
    sharing one with ``np.add.at``. Otherwise rows are sorted
    by one int64 made of the index and the day, and each run of equal cells is
    summed with ``np.add.reduceat``; input already in order (a unit's sums) is
    not sorted again. Each column is summed on its own (:meth:`total`), so a
    caller can hand them over one at a time and never hold them all twice.
    """

    def __init__(self, index: np.ndarray, day: np.ndarray) -> None:
        self.rows = len(index)
        self.order: np.ndarray | None = None
        self.grid: np.ndarray | None = None  # dense: each row's cell in the grid
        low = int(day.min()) if len(day) else 0
        span = int(day.max()) - low + 1 if len(day) else 1
        size = (int(index.max()) + 1) * span if len(index) else 0
        if 0 < size <= 2 * self.rows + DENSE_SLACK:
            self.grid = index.astype(np.int64) * span + (day.astype(np.int64) - low)
            counts = np.bincount(self.grid, minlength=size)
            self.present = np.flatnonzero(counts)
            self._counts = counts[self.present]
            self.index = self.present // span
            self.day = (self.present % span + low).astype(np.int32)
            self._size = size
            # Rows alone in their cell are placed by plain assignment (no GIL held, unlike
            # np.add.at, which a reader thread's roll-up otherwise holds it through); only
            # rows sharing a cell are added with np.add.at.
            self._shared: np.ndarray | None = None
            if len(self.present) < self.rows:
                shared = counts[self.grid] > 1
                self._shared = np.flatnonzero(shared)
                self._alone = np.flatnonzero(~shared)
            return
        cell = (index.astype(np.int64) << DAY_BITS) | (day.astype(np.int64) - low)
        steps = np.diff(cell)
        if not bool(np.all(steps >= 0)):
            self.order = np.argsort(cell, kind="stable")
            cell = cell[self.order]
            steps = np.diff(cell)
        self.starts = np.flatnonzero(np.r_[True, steps != 0]) if len(cell) else steps
        del steps
        first = cell[self.starts]
        self.index = first >> DAY_BITS
        self.day = ((first & ((1 << DAY_BITS) - 1)) + low).astype(np.int32)

    def total(self, values: np.ndarray) -> np.ndarray:
        """Sum one column (in row order) by cell."""
        if self.rows == 0:
            return np.zeros(0, dtype=np.int64)
        if self.grid is not None:
            sums = np.zeros(self._size, dtype=np.int64)
            values = values.astype(np.int64, copy=False)
            if self._shared is None:  # one row a cell
                sums[self.grid] = values
            else:
                sums[self.grid[self._alone]] = values[self._alone]
                np.add.at(sums, self.grid[self._shared], values[self._shared])
            return sums[self.present]
        ordered = values if self.order is None else values[self.order]
        return np.add.reduceat(ordered.astype(np.int64, copy=False), self.starts)

    def count(self) -> np.ndarray:
        """Rows per cell."""
        if self.grid is not None:
            return self._counts.astype(np.int64)
        return np.diff(np.r_[self.starts, self.rows]).astype(np.int64)


def sum_by_day(
    index: np.ndarray,
    day: np.ndarray,
    amounts: Sequence[np.ndarray],
    lines: np.ndarray | None = None,
) -> DailyAmounts:
    """Sum rows by (index, day) (see :class:`CellSums`); ``lines`` weighs each row (sums
    being merged), without it each row is one line."""
    if len(index) == 0:
        return _empty()
    cells = CellSums(index, day)
    return DailyAmounts(
        index=cells.index,
        day=cells.day,
        billed=cells.total(amounts[0]),
        effective=cells.total(amounts[1]),
        list=cells.total(amounts[2]),
        lines=cells.count() if lines is None else cells.total(lines),
    )
