"""Roll canonical line batches up to one row per charge key and UTC day.

Each distinct combination of billing period, dimensions and tag set becomes a
*charge key*; amounts are summed per key and day in exact int64 arithmetic. The
same pass derives the small cube (keys without the resource, with only the
allocation tags) that answers the common questions quickly. Everything is
vectorised: Python only touches distinct keys, never rows.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from bot.costs.readers.common import TAG_PREFIX
from bot.costs.schema import GROUP_COLUMNS, KEY_COLUMNS

KEY_FIELDS = ("billing_period", *KEY_COLUMNS)
_GROUP_POSITIONS = tuple(KEY_FIELDS.index(c) for c in ("billing_period", *GROUP_COLUMNS))
_LIMIT = 1 << 62


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


@dataclass
class Rollup:
    """Accumulate batches; :meth:`finish` returns keys, groups and their daily amounts."""

    allocation_tags: Sequence[str]
    keys: list[tuple[str, ...]] = field(default_factory=list)  # KEY_FIELDS + (tagset json,)
    _key_index: dict[tuple[str, ...], int] = field(default_factory=dict)
    _parts: list[tuple[np.ndarray, ...]] = field(default_factory=list)

    def add(self, table: pa.Table) -> set[tuple[str, str, str]]:
        """Add one canonical batch; return the (provider, account, period) deliveries in it."""
        if table.num_rows == 0:
            return set()
        tag_names = sorted(c for c in table.column_names if c.startswith(TAG_PREFIX))
        names = [*KEY_FIELDS, *tag_names]
        codes, dictionaries = [], []
        for name in names:
            enc = pc.dictionary_encode(table.column(name)).combine_chunks()
            codes.append(pc.fill_null(enc.indices, -1).to_numpy(zero_copy_only=False))
            dictionaries.append(enc.dictionary.to_pylist())
        row_codes, first = _factorize(codes)
        local_to_global = np.empty(len(first), dtype=np.int64)
        for local, row in enumerate(first):
            values = [d[c[row]] if c[row] >= 0 else None
                      for d, c in zip(dictionaries, codes, strict=True)]
            tags = {
                name[len(TAG_PREFIX):]: v
                for name, v in zip(tag_names, values[len(KEY_FIELDS):], strict=True)
                if v
            }
            key = (*(v or "" for v in values[: len(KEY_FIELDS)]), tagset_json(tags))
            idx = self._key_index.get(key)
            if idx is None:
                idx = self._key_index[key] = len(self.keys)
                self.keys.append(key)
            local_to_global[local] = idx
        pi, ai = KEY_FIELDS.index("provider"), KEY_FIELDS.index("billing_account")
        seen = {(self.keys[i][pi], self.keys[i][ai], self.keys[i][0]) for i in set(local_to_global.tolist())}
        self._parts.append(
            (
                local_to_global[row_codes],
                _np(table, "day", np.int32),
                _np(table, "billed", np.int64),
                _np(table, "effective", np.int64),
                _np(table, "list", np.int64),
            )
        )
        return seen

    def finish(self) -> tuple[DailyAmounts, list[tuple[str, ...]], np.ndarray]:
        """Return per-key daily amounts, the cube's group tuples and the key→group map."""
        if not self._parts:
            empty = np.zeros(0, dtype=np.int64)
            return DailyAmounts(empty, empty.astype(np.int32), empty, empty, empty, empty), [], empty
        cols = [np.concatenate([p[i] for p in self._parts]) for i in range(5)]
        self._parts.clear()
        daily = _sum_by_index_day(cols[0], cols[1], cols[2:], np.ones(len(cols[0]), np.int64))
        groups, key_to_group = self._groups()
        return daily, groups, key_to_group

    def cube(self, daily: DailyAmounts, key_to_group: np.ndarray) -> DailyAmounts:
        """Roll per-key daily amounts up to per-group daily amounts."""
        return _sum_by_index_day(
            key_to_group[daily.index], daily.day,
            [daily.billed, daily.effective, daily.list], daily.lines,
        )

    def _groups(self) -> tuple[list[tuple[str, ...]], np.ndarray]:
        allocation = set(self.allocation_tags)
        index: dict[tuple[str, ...], int] = {}
        groups: list[tuple[str, ...]] = []
        key_to_group = np.empty(len(self.keys), dtype=np.int64)
        tag_cache: dict[str, str] = {}
        for i, key in enumerate(self.keys):
            tags_text = key[-1]
            restricted = tag_cache.get(tags_text)
            if restricted is None:
                tags = json.loads(tags_text)
                restricted = tag_cache[tags_text] = tagset_json(
                    {k: v for k, v in tags.items() if k in allocation}
                )
            group = (*(key[p] for p in _GROUP_POSITIONS), restricted)
            g = index.get(group)
            if g is None:
                g = index[group] = len(groups)
                groups.append(group)
            key_to_group[i] = g
        return groups, key_to_group


def _np(table: pa.Table, name: str, dtype: type) -> np.ndarray:
    return np.asarray(table.column(name).to_numpy(), dtype=dtype)


def _factorize(codes: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Give each distinct row of integer code columns a dense id; return ids and first rows.

    Columns are folded into one int64 by mixed radix, re-densified with
    ``pandas.factorize`` whenever the radix product would overflow.
    """
    combined = np.zeros(len(codes[0]), dtype=np.int64)
    span = 1
    for c in codes:
        card = int(c.max(initial=-1)) + 2  # +1 for the -1 null code
        if span * card >= _LIMIT:
            combined, uniques = pd.factorize(combined)
            span = len(uniques)
        combined = combined * card + (c.astype(np.int64) + 1)
        span *= card
    ids, uniques = pd.factorize(combined)
    first = np.full(len(uniques), -1, dtype=np.int64)
    first[ids[::-1]] = np.arange(len(ids) - 1, -1, -1)
    return ids.astype(np.int64), first


def _sum_by_index_day(
    index: np.ndarray, day: np.ndarray, amounts: list[np.ndarray], lines: np.ndarray
) -> DailyAmounts:
    """Sort by (index, day) and sum duplicates exactly (int64 ``add.reduceat``)."""
    combined = index.astype(np.int64) << 24 | (day.astype(np.int64) & 0xFFFFFF)
    if len(combined) > 1 and not bool(np.all(combined[1:] > combined[:-1])):
        order = np.argsort(combined, kind="stable")
        combined = combined[order]
        amounts = [a[order] for a in amounts]
        lines = lines[order]
    if len(combined) > 1 and not bool(np.all(combined[1:] != combined[:-1])):
        starts = np.flatnonzero(np.r_[True, combined[1:] != combined[:-1]])
        combined = combined[starts]
        amounts = [np.add.reduceat(a, starts) for a in amounts]
        lines = np.add.reduceat(lines, starts)
    return DailyAmounts(
        index=combined >> 24,
        day=(combined & 0xFFFFFF).astype(np.int32),
        billed=amounts[0],
        effective=amounts[1],
        list=amounts[2],
        lines=lines,
    )
