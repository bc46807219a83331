"""Daily vectors: how a charge's amounts per day are kept in a ``charges`` BLOB.

A vector covers ``days`` days from the charge's ``first_day``, one little-endian
int64 of nano-units a day (zero on days without a charge). A vector whose every
day holds the same amount, the usual shape of an instance or endpoint left
running all month, is kept as that one amount: 8 bytes instead of 8 a day. The
two are told apart by the BLOB's length against ``days`` (a one-day vector is
both). Pure numpy, no Slack or SQL here: the writer and every reader share it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from bot.errors import StoreError

if TYPE_CHECKING:
    from bot.costs.rollup import DailyAmounts

WIDTH = 8  # bytes an amount


def encode(flat: np.ndarray, offsets: np.ndarray, wanted: np.ndarray) -> list[object]:
    """Cut ``flat`` (every key's days, one after another from ``offsets``) into BLOBs.

    Returns one ``bytes`` per key, or None where not ``wanted`` (a vector equal to
    the billed one is stored as NULL). Keys of equal span are cut together: a 2-D
    take viewed as one fixed-size void per row turns into ``bytes`` in C, never
    one Python slice per key.
    """
    starts = offsets[:-1]
    span = np.diff(offsets)
    out = np.full(len(span), None, dtype=object)
    if not len(span):
        return []
    first = flat[starts]
    varies = np.add.reduceat((flat != np.repeat(first, span)).astype(np.int64), starts) > 0
    constant = wanted & ~varies
    if constant.any():
        out[constant] = np.ascontiguousarray(first[constant], dtype="<i8").view("V8").tolist()
    rest = wanted & varies
    for days in np.unique(span[rest]).tolist():
        rows = np.flatnonzero(rest & (span == days))
        block = np.ascontiguousarray(flat[starts[rows][:, None] + np.arange(days)], dtype="<i8")
        out[rows] = block.view(f"V{WIDTH * days}").ravel().tolist()
    return list(out.tolist())


def decode(blobs: Sequence[bytes], days: Sequence[int] | np.ndarray) -> np.ndarray:
    """Return the vectors' amounts one after another: ``days[i]`` int64 for BLOB ``i``.

    A BLOB of one amount covering several days is that amount on each of them.
    """
    days = np.asarray(days, dtype=np.int64)
    joined = np.frombuffer(b"".join(blobs), dtype="<i8").astype(np.int64)
    amounts = np.fromiter(map(len, blobs), dtype=np.int64, count=len(blobs)) // WIDTH
    if np.array_equal(amounts, days):
        return joined
    compact = amounts != days
    if not bool(np.all(amounts[compact] == 1)):
        raise StoreError("a daily vector in the store does not match its number of days")
    return np.repeat(joined, np.repeat(np.where(compact, days, 1), amounts))


class DailyVectors:
    """Per-key daily amounts as dense int64 vectors (little-endian bytes for SQLite BLOBs).

    The effective and list vectors are stored as NULL when they equal the billed
    one (on-demand usage, most of a bill), which halves what is written.
    """

    def __init__(self, daily: DailyAmounts) -> None:
        idx = daily.index
        n = len(idx)
        starts = np.flatnonzero(np.r_[True, idx[1:] != idx[:-1]]) if n else np.zeros(0, np.int64)
        ends = np.r_[starts[1:], n].astype(np.int64)
        self.keys = idx[starts]
        first = daily.day[starts].astype(np.int64)
        span = daily.day[ends - 1].astype(np.int64) - first + 1
        offsets = np.r_[0, np.cumsum(span)].astype(np.int64)
        row_key = np.repeat(np.arange(len(starts)), ends - starts)
        position = offsets[row_key] + (daily.day - first[row_key])
        columns: list[list[object]] = [first.tolist(), (first + span - 1).tolist(), span.tolist()]
        columns.append(np.add.reduceat(daily.lines, starts).tolist() if n else [])
        billed_flat: np.ndarray | None = None
        blobs: list[list[object]] = []
        for amounts in (daily.billed, daily.effective, daily.list):
            columns.append(np.add.reduceat(amounts, starts).tolist() if n else [])
            flat = np.zeros(int(offsets[-1]), dtype="<i8")
            flat[position] = amounts
            if billed_flat is None:
                billed_flat = flat
                blobs.append(encode(flat, offsets, np.ones(len(starts), dtype=bool)))
                continue
            differs = (
                np.add.reduceat((flat != billed_flat).astype(np.int64), offsets[:-1]) != 0
                if len(starts)
                else np.zeros(0, bool)
            )
            blobs.append(encode(flat, offsets, differs))  # most equal the billed one
        self.columns = columns + blobs
