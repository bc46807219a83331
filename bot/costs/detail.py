"""The charges' daily amounts held in memory as prefix sums, for resource-level answers.

A question about resources (``by resource last 30d``, ``team X by resource``)
must read the per-charge daily vectors: tens of thousands of rows a window.
Fetching them from SQLite and slicing them in Python took 0.3-0.7 s. The
serving process instead keeps, per measure, every charge's days as one flat
int64 array with its running sum, and answers a window's sum of any charge with
two look-ups, vectorised over all charges (milliseconds). The arrays are built
on first use and rebuilt after an ingest (the store's ``ingest_id`` changes).

Exact as the store: int64 nano-units, never floats. If a measure's absolute
total could overflow a running int64 sum, the cache declines and the caller
reads the store as before.
"""

from __future__ import annotations

import bisect
import threading
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from bot.costs.store import CostStore
from bot.costs.vectors import decode

_SAFE = 9.0e18


@dataclass
class _Measure:
    """One measure's flat daily amounts, their running sum (``running[0] = 0``), day totals."""

    flat: np.ndarray
    running: np.ndarray
    first_day: int  # of ``day_total``
    day_total: np.ndarray  # per currency code and day: every charge's amount that day
    has_day: np.ndarray  # bool, same shape: some charge has that day


@dataclass
class _Charges:
    """Per charge (sorted by id): day span, offset into the flat arrays, resource, currency."""

    ids: np.ndarray
    first: np.ndarray
    last: np.ndarray
    offset: np.ndarray
    resource: np.ndarray  # code into ``resources`` (sorted names: code order = name order)
    currency: np.ndarray  # code into ``currencies``
    group: np.ndarray  # cost_groups id
    tagset: np.ndarray  # the charge's full tag set id
    resources: list[str]
    currencies: list[str]
    measures: dict[str, _Measure | None]


@dataclass
class WindowSums:
    """What the query engine needs from the detail for one question."""

    by_day: dict[tuple[str, int], int]
    # per resource code with any spend: (current, previous) sums
    resource: np.ndarray
    current: np.ndarray
    previous: np.ndarray
    names: list[str]


class DetailCache:
    """Hold the charges' amounts of one store in memory, keyed on its ``ingest_id``."""

    def __init__(self, store: CostStore) -> None:
        self.store = store
        self._lock = threading.Lock()
        self._stamp: str | None = None
        self._charges: _Charges | None = None

    def _load(self) -> _Charges:
        stamp = self.store.meta("ingest_id")
        with self._lock:
            if self._charges is not None and self._stamp == stamp:
                return self._charges
            conn = self.store.conn
            rows = conn.execute(
                "SELECT k.id, k.first_day, k.days, k.resource_id, g.currency, k.group_id, "
                "k.tagset_id "
                "FROM charges k JOIN cost_groups g ON g.id = k.group_id ORDER BY k.id"
            ).fetchall()
            ids, first, days, resources, currencies, groups, tagsets = (
                zip(*rows, strict=True) if rows else ((), (), (), (), (), (), ())
            )
            names = sorted(set(resources))
            currency_names = sorted(set(currencies))
            code = {n: i for i, n in enumerate(names)}
            cur_code = {n: i for i, n in enumerate(currency_names)}
            length = np.asarray(days, dtype=np.int64)
            first_a = np.asarray(first, dtype=np.int64)
            self._charges = _Charges(
                ids=np.asarray(ids, dtype=np.int64),
                first=first_a,
                last=first_a + length - 1,
                offset=np.r_[0, np.cumsum(length)].astype(np.int64),
                resource=np.fromiter((code[r] for r in resources), np.int64, len(rows)),
                currency=np.fromiter((cur_code[c] for c in currencies), np.int64, len(rows)),
                group=np.asarray(groups, dtype=np.int64),
                tagset=np.asarray(tagsets, dtype=np.int64),
                resources=names,
                currencies=currency_names,
                measures={},
            )
            self._stamp = stamp
            return self._charges

    def _measure(self, charges: _Charges, measure: str) -> _Measure | None:
        with self._lock:
            if measure in charges.measures:
                return charges.measures[measure]
            column = "billed" if measure == "billed" else f"COALESCE({measure}, billed)"
            blobs = [
                r[0] for r in self.store.conn.execute(f"SELECT {column} FROM charges ORDER BY id")
            ]
            flat = decode(blobs, np.diff(charges.offset))
            result: _Measure | None = None
            if len(flat) == int(charges.offset[-1]) and (
                float(np.abs(flat).sum(dtype=np.float64)) < _SAFE
            ):
                length = np.diff(charges.offset)
                owner = np.repeat(np.arange(len(length)), length)
                day = charges.first[owner] + (np.arange(len(flat)) - charges.offset[owner])
                lo = int(day.min()) if len(day) else 0
                span = (int(day.max()) - lo + 1) if len(day) else 1
                cell = charges.currency[owner] * span + (day - lo)
                total = np.zeros(len(charges.currencies) * span, dtype=np.int64)
                np.add.at(total, cell, flat)
                has = np.zeros(len(charges.currencies) * span, dtype=bool)
                has[cell] = True
                result = _Measure(
                    flat,
                    np.r_[0, np.cumsum(flat)].astype(np.int64),
                    lo,
                    total.reshape(-1, span),
                    has.reshape(-1, span),
                )
            charges.measures[measure] = result
            return result

    def window_sums(
        self,
        measure: str,
        lo: int,
        hi: int,
        current: tuple[int, int],
        previous: tuple[int, int],
        ids: np.ndarray | None,
        *,
        days: bool = True,
        groups: Sequence[set[int]] = (),
        tagsets: Sequence[tuple[set[int], bool]] = (),
        resources: Sequence[tuple[set[str], bool]] = (),
    ) -> WindowSums | None:
        """Sum charges ``ids`` (None: all) per day over [lo, hi] and per resource per window.

        Without ``ids``, charges are chosen here: those whose group is in every
        set of ``groups`` (cost_groups ids), whose tag set is in (or, excluded,
        not in) each of ``tagsets``, and whose resource is (not) one of ``resources``.
        ``days=False`` skips the per-day sums (the caller has them from the cube).
        Returns None when the cache cannot answer exactly (the store changed
        under it, or a running sum could overflow); the caller then reads the store.
        """
        charges = self._load()
        m = self._measure(charges, measure)
        if m is None:
            return None
        filtered = bool(groups or tagsets or resources)
        if ids is None:
            mask = (charges.last >= lo) & (charges.first <= hi)
            for wanted in groups:
                mask &= np.isin(charges.group, np.fromiter(wanted, np.int64, len(wanted)))
            for wanted, excluded in tagsets:
                hit = np.isin(charges.tagset, np.fromiter(wanted, np.int64, len(wanted)))
                mask &= ~hit if excluded else hit
            for names, excluded in resources:
                codes = [bisect.bisect_left(charges.resources, n) for n in names]
                known = [
                    c
                    for c, n in zip(codes, names, strict=True)
                    if c < len(charges.resources) and charges.resources[c] == n
                ]
                hit = np.isin(charges.resource, np.asarray(known, dtype=np.int64))
                mask &= ~hit if excluded else hit
            pick = np.flatnonzero(mask)
        else:
            pick = np.searchsorted(charges.ids, ids)
            if len(pick) and (
                int(pick.max()) >= len(charges.ids) or not np.array_equal(charges.ids[pick], ids)
            ):
                return None  # an ingest since the cache was built
        if len(pick) == 0:
            empty = np.zeros(0, dtype=np.int64)
            return WindowSums({}, empty, empty, empty, charges.resources)
        first, last, offset = charges.first[pick], charges.last[pick], charges.offset[pick]

        def span_sum(a: int, b: int) -> np.ndarray:
            start = np.clip(a, first, last + 1)
            end = np.clip(b, first - 1, last)
            valid = end >= start
            out = np.zeros(len(pick), dtype=np.int64)
            s, e, o, f = start[valid], end[valid], offset[valid], first[valid]
            out[valid] = m.running[o + (e - f) + 1] - m.running[o + (s - f)]
            return out

        cur = span_sum(*current)
        prev = span_sum(*previous)
        resource = charges.resource[pick]
        n = len(charges.resources)
        cur_r = np.bincount(resource, weights=None, minlength=n).astype(bool)
        cur_sum = np.zeros(n, dtype=np.int64)
        prev_sum = np.zeros(n, dtype=np.int64)
        np.add.at(cur_sum, resource, cur)
        np.add.at(prev_sum, resource, prev)
        used = np.flatnonzero(cur_r)
        if not days:
            return WindowSums({}, used, cur_sum[used], prev_sum[used], charges.resources)
        if ids is None and not filtered:
            return WindowSums(
                _whole_days(m, charges, lo, hi, pick),
                used,
                cur_sum[used],
                prev_sum[used],
                charges.resources,
            )
        # Per day and currency over [lo, hi]: every element of the picked charges in range.
        start = np.clip(lo, first, last + 1)
        end = np.clip(hi, first - 1, last)
        count = np.maximum(end - start + 1, 0)
        owner = np.repeat(np.arange(len(pick)), count)
        within = np.arange(int(count.sum()), dtype=np.int64) - np.repeat(
            np.r_[0, np.cumsum(count)[:-1]].astype(np.int64), count
        )
        day = start[owner] + within
        values = m.flat[offset[owner] + (day - first[owner])]
        currency = charges.currency[pick][owner]
        by_day: dict[tuple[str, int], int] = {}
        span = hi - lo + 1
        for c, name in enumerate(charges.currencies):
            mine = currency == c
            if not mine.any() and not (charges.currency[pick] == c).any():
                continue
            grid = np.zeros(span, dtype=np.int64)
            np.add.at(grid, day[mine] - lo, values[mine])
            seen = np.zeros(span, dtype=bool)
            seen[day[mine] - lo] = True
            for i in np.flatnonzero(seen).tolist():
                by_day[(name, lo + i)] = int(grid[i])
            if not seen.any():
                by_day[(name, hi)] = 0  # the currency is there even if nothing is due
        return WindowSums(
            by_day=by_day,
            resource=used,
            current=cur_sum[used],
            previous=prev_sum[used],
            names=charges.resources,
        )


def _whole_days(
    m: _Measure, charges: _Charges, lo: int, hi: int, pick: np.ndarray
) -> dict[tuple[str, int], int]:
    """Per currency and day over [lo, hi] for every charge: from the precomputed totals."""
    out: dict[tuple[str, int], int] = {}
    present = set(charges.currency[pick].tolist())
    for c, name in enumerate(charges.currencies):
        if c not in present:
            continue
        a, b = max(lo, m.first_day), min(hi, m.first_day + m.day_total.shape[1] - 1)
        seen = False
        for day in range(a, b + 1):
            if m.has_day[c, day - m.first_day]:
                out[(name, day)] = int(m.day_total[c, day - m.first_day])
                seen = True
        if not seen:
            out[(name, hi)] = 0  # the currency is there even if nothing is due
    return out
