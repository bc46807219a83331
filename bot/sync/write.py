"""Write canonical cost lines from a sync through ingestion's own store path.

A sync builds tables of canonical lines (the readers' batch shape:
``BATCH_COLUMNS`` plus ``tag:<key>`` columns), and this rolls them up and swaps
them into the store with :meth:`CostStore.replace`: one transaction, one
replacement per (source, billing period), so a failure leaves the store as it was.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import pyarrow as pa

from bot.costs.readers.common import IngestError
from bot.costs.rollup import Rollup
from bot.costs.store import CostStore, DeliveryInfo, DeliveryStats


def write_lines(
    store: CostStore,
    tables: Iterable[pa.Table],
    *,
    export: str,
    fmt: str,
    allocation_tags: Sequence[str],
    files: Sequence[str] = (),
    execution: str = "",
) -> list[DeliveryStats]:
    """Roll these canonical lines up and replace the (export, source, period) deliveries.

    ``export`` names where the rows come from (``ce``, ``athena:db.table``): a
    sync replaces what the same source delivered before, never a file export's rows.
    """
    cube_tags = store.cube_tags() or tuple(allocation_tags)
    rollup = Rollup(cube_tags)
    deliveries: set[tuple[str, str, str]] = set()
    rows = 0
    for table in tables:
        rows += table.num_rows
        deliveries |= rollup.add(table, export)
    if not rollup.keys:
        raise IngestError("the sync returned no cost rows; the store is unchanged")
    daily, cube = rollup.finish()
    file_info = {
        (export, *d): DeliveryInfo(
            format=fmt, files=tuple(files), rows_read=rows, rows_skipped=0, execution=execution
        )
        for d in deliveries
    }
    return store.replace(
        keys=rollup.keys,
        daily=daily,
        groups=rollup.groups,
        cube=cube,
        key_group=rollup.key_group,
        cube_tags=cube_tags,
        file_info=file_info,
    )
