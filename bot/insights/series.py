"""Daily cost series per dimension value, read from the store's cube in one SQL pass.

The anomaly scan looks at the total, each allocation tag (``team``, ``project``,
``environment`` …), each service and each account. All of those live in the
cube (``daily_group_costs`` joined to ``cost_groups``), so one aggregate gives
every series; pandas pivots them into a dense (series × day) int64 matrix.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import pandas as pd

from bot.costs.query import MEASURE_COLUMNS
from bot.costs.store import CostStore, day_date, day_number

TOTAL = "total"
TOTAL_VALUE = "all"


@dataclass(frozen=True)
class SeriesSet:
    """Daily amounts (int64 nano-units) of many series over the same consecutive days."""

    keys: tuple[tuple[str, str], ...]  # (dimension, value) per row
    first_day: date
    values: np.ndarray  # shape (len(keys), days), int64

    @property
    def days(self) -> int:
        """Return how many days each series spans."""
        return int(self.values.shape[1])

    def day(self, i: int) -> date:
        """Return the date of column ``i``."""
        return self.first_day + timedelta(days=i)

    def index(self, d: date) -> int:
        """Return the column of a date."""
        return (d - self.first_day).days

    def row(self, dimension: str, value: str) -> np.ndarray | None:
        """Return one series, or None if the store has no such series."""
        for i, key in enumerate(self.keys):
            if key == (dimension, value):
                return np.asarray(self.values[i])
        return None


def load_series(
    store: CostStore,
    *,
    tag_keys: Sequence[str],
    measure: str = "effective",
    start: date | None = None,
    end: date | None = None,
    dimensions: Sequence[str] = (TOTAL, "tags", "service", "account"),
) -> SeriesSet | None:
    """Read the daily series of the total, each tag value, service and account.

    ``tag_keys`` must be cube tags (the allocation tags); series of spend without a
    tag are left out (the total holds them). None when the store has no data.
    """
    column = MEASURE_COLUMNS[measure]
    where, params = "1", []
    if start:
        where += " AND d.day >= ?"
        params.append(day_number(start))
    if end:
        where += " AND d.day <= ?"
        params.append(day_number(end))
    rows = store.conn.execute(
        f"SELECT d.day, g.service, g.sub_account, g.tagset_id, SUM(d.{column}) "
        f"FROM daily_group_costs d JOIN cost_groups g ON g.id = d.group_id WHERE {where} "
        "GROUP BY d.day, g.service, g.sub_account, g.tagset_id",
        params,
    ).fetchall()
    if not rows:
        return None
    frame = pd.DataFrame(rows, columns=["day", "service", "account", "tagset", "amount"])
    frame["amount"] = frame["amount"].astype("int64")
    lo, hi = int(frame["day"].min()), int(frame["day"].max())
    if start:
        lo = min(lo, day_number(start))
    if end:
        hi = max(hi, day_number(end))
    width = hi - lo + 1
    keys: list[tuple[str, str]] = []
    blocks: list[np.ndarray] = []

    def add(dimension: str, by: pd.Series | None) -> None:
        if by is None:
            grouped = frame.groupby("day")["amount"].sum()
            matrix = np.zeros((1, width), dtype=np.int64)
            matrix[0, grouped.index.to_numpy() - lo] = grouped.to_numpy()
            keys.append((dimension, TOTAL_VALUE))
            blocks.append(matrix)
            return
        sub = frame.assign(key=by.to_numpy())
        sub = sub[sub["key"].notna() & (sub["key"] != "")]
        if sub.empty:
            return
        grouped = sub.groupby(["key", "day"])["amount"].sum()
        names, codes = np.unique(grouped.index.get_level_values(0).to_numpy(), return_inverse=True)
        matrix = np.zeros((len(names), width), dtype=np.int64)
        matrix[codes, grouped.index.get_level_values(1).to_numpy() - lo] = grouped.to_numpy()
        keys.extend((dimension, str(n)) for n in names)
        blocks.append(matrix)

    if TOTAL in dimensions:
        add(TOTAL, None)
    if "tags" in dimensions and tag_keys:
        tag_rows = store.conn.execute(
            "SELECT tagset_id, key, value FROM tags WHERE key IN "
            f"({','.join('?' * len(tag_keys))})",
            list(tag_keys),
        ).fetchall()
        tags = pd.DataFrame(tag_rows, columns=["tagset", "key", "value"])
        for key in tag_keys:
            mapping = dict(
                zip(
                    tags.loc[tags["key"] == key, "tagset"],
                    tags.loc[tags["key"] == key, "value"],
                    strict=True,
                )
            )
            add(key, frame["tagset"].map(mapping))
    if "service" in dimensions:
        add("service", frame["service"])
    if "account" in dimensions:
        add("account", frame["account"])
    return SeriesSet(tuple(keys), day_date(lo), np.vstack(blocks))
