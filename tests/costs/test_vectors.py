"""Daily vectors in the store: an all-month constant amount is kept as one amount.

What a user relies on: every figure read back from a charge's BLOB is the amount
that was written, day by day, whichever way the vector was kept.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.costs.vectors import decode, encode
from bot.errors import StoreError

vectors = st.lists(
    st.one_of(
        # the same amount every day (an instance left running), or any amounts
        st.tuples(st.integers(-(1 << 60), 1 << 60), st.integers(1, 31)).map(
            lambda t: [t[0]] * t[1]
        ),
        st.lists(st.integers(-(1 << 60), 1 << 60), min_size=1, max_size=31),
    ),
    min_size=1,
    max_size=40,
)


@settings(max_examples=80, deadline=None)
@given(vectors=vectors, data=st.data())
def test_what_is_written_reads_back_day_by_day(
    vectors: list[list[int]], data: st.DataObject
) -> None:
    days = np.array([len(v) for v in vectors], dtype=np.int64)
    offsets = np.r_[0, np.cumsum(days)].astype(np.int64)
    flat = np.array([a for v in vectors for a in v], dtype=np.int64)
    wanted = np.array(
        data.draw(st.lists(st.booleans(), min_size=len(vectors), max_size=len(vectors)))
    )
    blobs = encode(flat, offsets, wanted)
    assert [b is not None for b in blobs] == wanted.tolist()
    kept = [i for i in range(len(vectors)) if wanted[i]]
    read = decode([blobs[i] for i in kept], days[kept])  # type: ignore[misc]
    assert read.tolist() == [a for i in kept for a in vectors[i]]


def test_a_constant_month_is_one_amount_and_a_varying_one_every_day() -> None:
    flat = np.array([7] * 30 + [7, 8, 7], dtype=np.int64)
    blobs = encode(flat, np.array([0, 30, 33]), np.array([True, True]))
    assert [len(b) for b in blobs] == [8, 24]  # type: ignore[arg-type]


def test_a_blob_that_fits_neither_shape_is_refused() -> None:
    with pytest.raises(StoreError, match="does not match its number of days"):
        decode([b"\x00" * 16], [3])
