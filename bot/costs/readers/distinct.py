"""Find the distinct rows of integer code columns, vectorised (no Python per row).

Readers and the roll-up both ask "which rows are the same?" of half a million
lines at a time: the CUR reader of its raw dimension columns (so text is
converted once per distinct combination, :mod:`bot.costs.readers.cur`), the
roll-up of the canonical ones (the distinct charges). Columns are dictionary
codes; a ``map`` column (CUR 2.0 tags) is compared entry by entry.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from bot.costs.readers.common import as_dictionary, dictionary_codes

_LIMIT = 1 << 62


def factorize_rows(codes: Iterable[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Give each distinct row of integer code columns a dense id; return ids and first rows.

    Ids follow the order in which rows first appear. Columns (codes >= -1) are
    folded into one int64 by mixed radix, re-densified (:func:`_dense`) whenever the
    radix product would overflow; a column holding one value
    throughout distinguishes nothing and is skipped.
    """
    combined: np.ndarray | None = None
    span = 1
    for c in codes:
        if combined is None:
            combined = np.zeros(len(c), dtype=np.int64)
        low, high = int(c.min(initial=0)), int(c.max(initial=-1))
        if low == high:
            continue
        shift = 1 if low < 0 else 0  # the -1 null code becomes 0
        card = high + 1 + shift
        if span * card >= _LIMIT:
            combined, span = _dense(combined)
        combined *= card  # in place: no temporary arrays per column
        combined += c
        if shift:
            combined += shift
        span *= card
    if combined is None:
        raise ValueError("factorize_rows needs at least one column")
    ids, distinct = _dense(combined)
    first = np.full(distinct, -1, dtype=np.int64)
    first[ids[::-1]] = np.arange(len(ids) - 1, -1, -1)
    return ids, first


def _dense(values: np.ndarray) -> tuple[np.ndarray, int]:
    """Number distinct int64 values 0, 1, ... in order of first appearance; return the
    numbers and how many there are (Arrow's hash encoding: no GIL held, no pandas)."""
    encoded = pc.dictionary_encode(pa.array(values))
    return encoded.indices.to_numpy().astype(np.int64), len(encoded.dictionary)


def map_row_codes(column: pa.Array | pa.ChunkedArray) -> Iterator[np.ndarray]:
    """Return code columns that tell rows of a ``map`` column apart by their entries.

    Column ``p`` holds each row's ``p``-th (key, value) entry as one code (-1:
    the row has fewer entries). Rows with the same entries in the same order get
    equal codes; the same tags in another order are merged later, once their text
    is canonical. A null map and an empty one are alike (neither holds a tag).
    Columns are made one at a time, as :func:`factorize_rows` folds them in.
    """
    if isinstance(column, pa.ChunkedArray):
        column = column.combine_chunks() if column.num_chunks != 1 else column.chunk(0)
    n = len(column)
    if n == 0:
        yield np.zeros(0, dtype=np.int64)
        return
    offsets = column.offsets.to_numpy(zero_copy_only=False).astype(np.int64)
    lengths = np.diff(offsets)
    if column.null_count:
        lengths = np.where(column.is_null().to_numpy(zero_copy_only=False), 0, lengths)
    start, stop = int(offsets[0]), int(offsets[-1])
    keys = dictionary_codes(as_dictionary(column.keys.slice(start, stop - start)))
    items = as_dictionary(column.items.slice(start, stop - start))
    values = dictionary_codes(items).astype(np.int64) + 1
    entry = keys.astype(np.int64) * (len(items.dictionary) + 1) + values
    longest = int(lengths.max(initial=0))
    if longest == 0:
        yield np.zeros(n, dtype=np.int64)
        return
    # Gathers, not boolean masks: each row's p-th entry is at its offset + p; rows with
    # fewer entries read the padding and are set to -1.
    padded = np.concatenate([entry, np.full(longest, -1, dtype=np.int64)])
    where = offsets[:-1] - start
    if column.null_count:
        where = np.where(lengths > 0, where, len(entry))  # a null row reads the padding
    for position in range(longest):
        codes = padded.take(where + position)
        codes[lengths <= position] = -1
        yield codes
