"""The roll-up's building blocks (issue 18 rebuilt them for speed): exact sums, keys, tags.

Every figure the bot shows is a sum made here, so each fast path is checked against
a plain Python reference: the dense (charge, day) grid and the sorted path must give
the same exact int64 sums, a value written twice in a dictionary is still one charge,
and a tag map spreads into the columns a row by row reading would give.
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import bot.costs.rollup as rollup_module
from bot.costs.readers.common import coalesce_text, map_to_tag_columns
from bot.costs.rollup import KEY_FIELDS, CellSums, Rollup, sum_by_day

BIG = 1 << 58  # amounts this large still sum exactly (a few thousand of them stay below 2**63)

cells = st.lists(
    st.tuples(
        st.integers(0, 40),  # index
        st.integers(19_000, 19_060),  # day
        st.integers(-BIG, BIG),  # amount
    ),
    min_size=1,
    max_size=300,
)


def reference(rows: list[tuple[int, int, int]]) -> dict[tuple[int, int], tuple[int, int]]:
    """(index, day) -> (exact sum, lines), the slow way."""
    out: dict[tuple[int, int], list[int]] = defaultdict(lambda: [0, 0])
    for index, day, amount in rows:
        out[(index, day)][0] += amount
        out[(index, day)][1] += 1
    return {k: (v[0], v[1]) for k, v in out.items()}


@pytest.mark.parametrize("slack", [1 << 30, -(1 << 30)], ids=["dense grid", "sorted"])
@settings(max_examples=60, deadline=None)
@given(rows=cells)
def test_cell_sums_are_exact_and_ordered_on_either_path(
    rows: list[tuple[int, int, int]], slack: int
) -> None:
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(rollup_module, "DENSE_SLACK", slack)  # forces one path or the other
        index = np.array([r[0] for r in rows], dtype=np.int32)
        day = np.array([r[1] for r in rows], dtype=np.int32)
        amount = np.array([r[2] for r in rows], dtype=np.int64)
        sums = CellSums(index, day)
        assert (sums.grid is not None) == (slack > 0)
        got = {
            (int(i), int(d)): (int(s), int(n))
            for i, d, s, n in zip(
                sums.index, sums.day, sums.total(amount), sums.count(), strict=True
            )
        }
    assert got == reference(rows)
    order = list(zip(sums.index.tolist(), sums.day.tolist(), strict=True))
    assert order == sorted(order)  # sorted by (index, day), as the store's writer expects


def test_sum_by_day_weighs_rows_by_their_lines_when_sums_are_merged() -> None:
    index = np.array([3, 3, 1], dtype=np.int32)
    day = np.array([10, 10, 11], dtype=np.int32)
    amounts = [np.array([5, 7, 1], dtype=np.int64)] * 3
    merged = sum_by_day(index, day, amounts, lines=np.array([2, 4, 1], dtype=np.int64))
    assert merged.index.tolist() == [1, 3] and merged.day.tolist() == [11, 10]
    assert merged.billed.tolist() == [1, 12] and merged.lines.tolist() == [1, 6]


def canonical_batch(resources: pa.DictionaryArray, team: pa.Array, billed: list[int]) -> pa.Table:
    """A canonical batch: every key column constant except the resource id, one tag."""
    n = len(billed)
    columns: dict[str, pa.Array] = {name: pa.array(["x"] * n) for name in KEY_FIELDS}
    columns["billing_period"] = pa.array(["2026-10"] * n)
    columns["resource_id"] = resources
    columns["tag:team"] = team
    columns["day"] = pa.array([20_000] * n, pa.int32())
    for amount in ("billed", "effective", "list"):
        columns[amount] = pa.array(billed, pa.int64())
    return pa.table(columns)


def test_a_value_written_twice_in_a_dictionary_is_one_charge() -> None:
    """Coalescing text on dictionary codes can leave a value twice in a dictionary."""
    resources = pa.DictionaryArray.from_arrays(
        pa.array([0, 1, 2], pa.int32()), pa.array(["i-1", "i-1", "i-2"])
    )
    rollup = Rollup(["team"])
    rollup.add(canonical_batch(resources, pa.array(["ml", "ml", "ml"]), [5, 7, 11]), "export")
    daily, cube = rollup.finish()
    by_resource = {
        rollup.keys[k][KEY_FIELDS.index("resource_id")]: int(b)
        for k, b in zip(daily.index, daily.billed, strict=True)
    }
    assert by_resource == {"i-1": 12, "i-2": 11}
    assert len(rollup.groups) == 1 and cube.billed.tolist() == [23]


def test_charges_met_again_in_a_later_batch_keep_their_key() -> None:
    rollup = Rollup(["team"])
    first = pa.DictionaryArray.from_arrays(pa.array([0, 1], pa.int32()), pa.array(["i-1", "i-2"]))
    later = pa.DictionaryArray.from_arrays(pa.array([0, 1], pa.int32()), pa.array(["i-3", "i-1"]))
    rollup.add(canonical_batch(first, pa.array(["ml", "web"]), [1, 2]), "export")
    rollup.add(canonical_batch(later, pa.array(["ml", "ml"]), [4, 8]), "export")
    daily, _ = rollup.finish()
    resource = KEY_FIELDS.index("resource_id")
    sums = {
        (rollup.keys[k][resource], rollup.keys[k][-1]): int(b)
        for k, b in zip(daily.index, daily.billed, strict=True)
    }
    assert sums == {
        ("i-1", '{"team":"ml"}'): 9,
        ("i-2", '{"team":"web"}'): 2,
        ("i-3", '{"team":"ml"}'): 4,
    }
    assert len(rollup.keys) == 3  # i-1 with team ml is one charge across both batches
    teams = {rollup.groups[g][-1] for g in rollup.key_group.tolist()}
    assert teams == {'{"team":"ml"}', '{"team":"web"}'}


def test_coalesce_takes_the_first_non_empty_value_row_by_row() -> None:
    first = pa.DictionaryArray.from_arrays(
        pa.array([0, 1, None, 0], pa.int32()), pa.array(["ml", ""])
    )
    fallback = pa.DictionaryArray.from_arrays(
        pa.array([0, 1, 1, None], pa.int32()), pa.array(["web", "data"])
    )
    merged = coalesce_text(first, fallback)
    assert merged.to_pylist() == ["ml", "data", "data", "ml"]


def test_a_tag_map_spreads_into_one_column_per_key() -> None:
    rows = [
        [("team", "ml"), ("owner", "ana")],
        [],
        None,
        [("owner", "bo")],
        [("team", "web")],
    ]
    tags = pa.array(rows, pa.map_(pa.string(), pa.string()))
    columns = map_to_tag_columns(tags)
    expected = {key: [dict(r).get(key) if r else None for r in rows] for key in ("team", "owner")}
    assert {k: v.to_pylist() for k, v in columns.items()} == expected
