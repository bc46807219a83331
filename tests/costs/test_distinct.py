"""Distinct rows of code columns: what the CUR reader and the roll-up group lines by.

If two lines with different raw values were given one number, the reader would give
one of them the other's account, resource or tags, and its cost would land in the
wrong place; so every fast path is checked against a plain Python reference.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.costs.readers.common import LineBatch, Lines
from bot.costs.readers.distinct import factorize_rows, map_row_codes


def reference(columns: list[list[int]]) -> tuple[list[int], list[int]]:
    """Ids by first appearance and each id's first row, row by row."""
    seen: dict[tuple[int, ...], int] = {}
    ids, first = [], []
    for row, values in enumerate(zip(*columns, strict=True)):
        if values not in seen:
            seen[values] = len(seen)
            first.append(row)
        ids.append(seen[values])
    return ids, first


@st.composite
def code_columns(draw: st.DrawFn) -> list[list[int]]:
    rows = draw(st.integers(1, 60))
    # Cardinalities up to 2**40 make the mixed radix overflow and re-densify.
    cards = draw(
        st.lists(st.sampled_from([1, 2, 3, 1000, 1 << 20, 1 << 40]), min_size=1, max_size=8)
    )
    return [
        draw(st.lists(st.integers(-1, card - 1), min_size=rows, max_size=rows)) for card in cards
    ]


@settings(max_examples=300, deadline=None)
@given(code_columns())
def test_factorize_rows_numbers_rows_like_the_reference(columns: list[list[int]]) -> None:
    ids, first = factorize_rows(np.array(c, dtype=np.int64) for c in columns)
    want_ids, want_first = reference(columns)
    assert ids.tolist() == want_ids
    assert first.tolist() == want_first


def tag_maps(rows: list[list[tuple[str, str | None]] | None]) -> pa.Array:
    return pa.array(rows, pa.map_(pa.string(), pa.string()))


tag_rows = st.lists(
    st.one_of(
        st.none(),
        st.lists(
            st.tuples(
                st.sampled_from(["team", "project", "env"]), st.sampled_from(["a", "b", None])
            ),
            max_size=3,
            unique_by=lambda kv: kv[0],
        ),
    ),
    min_size=1,
    max_size=40,
)


@settings(max_examples=300, deadline=None)
@given(tag_rows, st.booleans())
def test_map_rows_are_equal_exactly_when_their_entries_are(
    rows: list[list[tuple[str, str | None]] | None], dictionary: bool
) -> None:
    column = tag_maps(rows)
    if dictionary:  # as Parquet gives it: keys and values dictionary-encoded
        column = pa.MapArray.from_arrays(
            column.offsets,
            column.keys.dictionary_encode(),
            column.items.dictionary_encode(),
            mask=column.is_null(),
        )
    ids, _ = factorize_rows(map_row_codes(column))
    as_tuples = [tuple(r) if r else () for r in rows]  # a null map holds no tags, like {}
    seen: dict[tuple[tuple[str, str | None], ...], int] = {}
    want = [seen.setdefault(t, len(seen)) for t in as_tuples]
    assert ids.tolist() == want


def test_map_rows_of_a_sliced_column_read_their_own_entries() -> None:
    column = tag_maps([[("team", "a")], [("team", "b")], [("team", "a")], []]).slice(1)
    ids, first = factorize_rows(map_row_codes(column))
    assert ids.tolist() == [0, 1, 2]
    assert first.tolist() == [0, 1, 2]


def test_keeping_lines_drops_combinations_only_bad_lines_held() -> None:
    """An account seen only on bad lines must not reach the store (it would be replaced by
    nothing), so a compact batch forgets the dimension rows no kept line points to."""
    table = pa.table({"sub_account": ["111", "222", "333"]})
    lines = Lines(
        row=np.array([0, 1, 2, 0]),
        day=np.array([1, 1, 1, 2], dtype=np.int32),
        billed=np.array([10, 20, 30, 40]),
        effective=np.array([1, 2, 3, 4]),
        list=np.array([5, 6, 7, 8]),
    )
    kept = LineBatch(table, lines).keep(np.array([True, False, True, True]))
    assert kept.table.column("sub_account").to_pylist() == ["111", "333"]
    assert kept.lines is not None
    assert kept.table.take(pa.array(kept.lines.row)).column("sub_account").to_pylist() == [
        "111",
        "333",
        "111",
    ]
    assert kept.lines.billed.tolist() == [10, 30, 40]
    assert kept.num_lines == 3
