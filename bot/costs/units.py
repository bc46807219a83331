"""Units of ingest work: read part of one file and roll it up, in any thread.

Reading, converting and rolling up billing lines is most of an ingest's CPU, and
it is independent per file and per Parquet row group; writing the store is not
(SQLite has one writer). So an ingest cuts its files into :class:`Unit` s,
lets reader threads turn each into a small :class:`UnitResult` (the unit's
distinct charges and their daily sums), and merges those in the writing
thread in unit order (:class:`bot.costs.rollup.PartRollup`), whatever order
the readers finish in. A unit shares nothing with another: each has its own
roll-up and report, so readers need no locks.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from bot.costs.formats import FORMATS
from bot.costs.readers.common import IngestError, LineBatch, ReadReport
from bot.costs.readers.cur import is_cur2, is_legacy_cur, read_cur
from bot.costs.readers.focus import focus_version, read_focus
from bot.costs.readers.tabular import column_names, is_parquet

if TYPE_CHECKING:
    import numpy as np
    import pyarrow as pa

    from bot.costs.rollup import DailyAmounts
    from bot.costs.vectors import DailyVectors

# Lines rolled up at a time. Files are decoded in smaller batches (memory), but the roll-up
# does Python work per distinct charge of what it is given, so it is given bigger pieces:
# up to 2 M compact lines (36 bytes each: a whole CUR row group, one roll-up instead of
# three, about a fifth faster), or a quarter of that in plain lines (a column each).
ROLLUP_LINES = 1 << 21
PLAIN_LINE_WEIGHT = 4

# A unit holds whole Parquet row groups, at least this many lines (fewer, larger units
# pay less per-unit overhead: each sends its distinct charges back to the writer).
MIN_UNIT_ROWS = 256 << 10


def detect_format(columns: list[str]) -> str:
    """Name the layout of a file from its columns: ``focus``, ``cur2`` or ``cur``."""
    if is_cur2(columns):
        return "cur2"
    if is_legacy_cur(columns):
        return "cur"
    if "BilledCost" in columns:
        return "focus"
    shown = ", ".join(columns[:8]) + (" …" if len(columns) > 8 else "")
    raise IngestError(
        f"unknown layout (columns: {shown}). Expected FOCUS (BilledCost, EffectiveCost, "
        "ChargePeriodStart, BillingPeriodStart, ChargeCategory), CUR 2.0 "
        "(line_item_unblended_cost, line_item_usage_start_date, line_item_line_item_type, "
        "bill_billing_period_start_date) or legacy CUR (lineItem/UnblendedCost, "
        "lineItem/UsageStartDate, lineItem/LineItemType, bill/BillingPeriodStartDate)"
    )


def read_file(
    path: Path,
    display: str,
    *,
    fmt: str | None,
    strict: bool,
    aliases: Mapping[str, str],
    row_groups: Sequence[int] | None = None,
    row_offset: int = 0,
) -> tuple[ReadReport, Iterator[LineBatch]]:
    """Open one file (or some of its Parquet row groups) with the right reader.

    Returns its report and batch iterator; bad rows are numbered in the whole
    file (``row_offset`` records come before the first row group read).
    """
    try:
        columns = column_names(path)
    except IngestError as exc:
        raise IngestError(f"{display}: {exc}") from exc
    try:
        detected = detect_format(columns)
    except IngestError as exc:
        if fmt is None:
            raise IngestError(f"{display}: {exc}") from exc
        detected = fmt
    kind = fmt or detected
    reader: Callable[..., Iterator[LineBatch]]
    if kind == "focus":
        report = ReadReport(display, f"FOCUS {focus_version(columns)}")
        reader = read_focus
    elif kind in ("cur2", "cur"):
        report = ReadReport(display, "CUR 2.0" if kind == "cur2" else "legacy CUR")
        reader = partial(read_cur, legacy=kind == "cur")
    else:
        raise IngestError(f"unknown --format {kind!r}; choose one of {', '.join(FORMATS)}")
    return report, reader(
        path,
        display,
        report,
        strict=strict,
        aliases=aliases,
        columns=columns,
        row_groups=row_groups,
        row_offset=row_offset,
    )


@dataclass(frozen=True)
class Unit:
    """One file, or a run of its Parquet row groups, to read and roll up."""

    name: str  # the file as reports name it (a path or an s3:// URI)
    path: str  # where to read it now (local; a download for S3)
    export: str
    fmt: str | None
    strict: bool
    aliases: tuple[tuple[str, str], ...]
    cube_tags: tuple[str, ...]
    row_groups: tuple[int, ...] | None = None  # None: the whole file
    row_offset: int = 0  # records of the file before this unit's first row group
    last_of_file: bool = True  # the file's report is complete after this unit
    rows: int = 0  # lines in the unit from the Parquet footer (0: unknown until read, CSV)
    whole_part: bool = False  # the only unit of its part: its reader makes the charge vectors


@dataclass
class UnitResult:
    """What a unit held: its report, its distinct charges and their daily sums."""

    report: ReadReport
    seen: set[tuple[str, str, str]] = field(default_factory=set)  # provider, account, period
    keys: list[tuple[str, ...]] = field(default_factory=list)
    groups: list[tuple[str, ...]] = field(default_factory=list)
    key_group: np.ndarray | None = None
    daily: DailyAmounts | None = None
    cube: DailyAmounts | None = None  # the same sums by group and day (far fewer rows)
    vectors: DailyVectors | None = None  # the charges' daily vectors (a whole part's unit)
    cpu_seconds: float = 0.0  # CPU time the unit took where it ran (the benchmarks add it up)

    @property
    def cells(self) -> int:
        """Return how many (charge, day) sums the unit holds."""
        return 0 if self.daily is None else len(self.daily.index)


def plan_units(
    name: str,
    path: Path,
    *,
    export: str,
    fmt: str | None,
    strict: bool,
    aliases: Mapping[str, str],
    cube_tags: Sequence[str],
    min_rows: int = MIN_UNIT_ROWS,
) -> list[Unit]:
    """Cut one local file into units: runs of whole row groups of ``min_rows`` lines or more.

    A CSV file is one unit (its lines can only be found by reading it through).
    """
    base = Unit(
        name,
        str(path),
        export,
        fmt,
        strict,
        tuple(sorted(aliases.items())),
        tuple(cube_tags),
    )
    try:
        if not is_parquet(path):
            return [base]
        import pyarrow.parquet as pq

        meta = pq.ParquetFile(path).metadata
    except (OSError, ValueError):
        return [base]  # reading it will say what is wrong, naming the file
    sizes = [meta.row_group(g).num_rows for g in range(meta.num_row_groups)]
    runs: list[list[int]] = []
    held = min_rows
    for group, rows in enumerate(sizes):
        if held >= min_rows:
            runs.append([])
            held = 0
        runs[-1].append(group)
        held += rows
    if len(runs) <= 1:
        return [replace(base, rows=sum(sizes))]
    units, offset = [], 0
    for i, run in enumerate(runs):
        rows = sum(sizes[g] for g in run)
        units.append(
            replace(
                base,
                row_groups=tuple(run),
                row_offset=offset,
                last_of_file=i == len(runs) - 1,
                rows=rows,
            )
        )
        offset += rows
    return units


def stack_batches(batches: Sequence[LineBatch]) -> LineBatch:
    """Put line batches one after another (compact if any of them is)."""
    import numpy as np

    from bot.costs.readers.common import Lines

    if len(batches) == 1:
        return batches[0]
    if all(b.lines is None for b in batches):
        return LineBatch(stack([b.table for b in batches]))
    parts = [b.compacted() for b in batches]
    starts = np.cumsum([0, *(p.table.num_rows for p in parts[:-1])])
    lines = [p.lines for p in parts if p.lines is not None]
    return LineBatch(
        stack([p.table for p in parts]),
        Lines(
            np.concatenate([ln.row + start for ln, start in zip(lines, starts, strict=True)]),
            *(
                np.concatenate([getattr(ln, name) for ln in lines])
                for name in ("day", "billed", "effective", "list")
            ),
        ),
    )


def stack(tables: Sequence[pa.Table]) -> pa.Table:
    """Put canonical batches one after another (a tag one batch lacks is empty there).

    Text columns of different batches may be plain or dictionary-encoded: such a
    column is decoded to plain text in every batch so the chunks share one type.
    """
    import pyarrow as pa

    from bot.costs.readers.common import decode

    if len(tables) == 1:
        return tables[0]
    names = list(dict.fromkeys(n for t in tables for n in t.column_names))
    columns = []
    for name in names:
        chunks = [t.column(name) if name in t.column_names else None for t in tables]
        types = {c.type for c in chunks if c is not None}
        plain = len(types) > 1 or any(c is None for c in chunks)
        parts: list[pa.Array] = []
        for table, chunk in zip(tables, chunks, strict=True):
            if chunk is None:
                parts.append(pa.nulls(table.num_rows, pa.string()))
            else:
                parts.extend([decode(chunk).cast(pa.string())] if plain else chunk.chunks)
        columns.append(pa.chunked_array(parts))
    return pa.table(columns, names=names)


def read_unit(unit: Unit) -> UnitResult:
    """Read a unit and roll it up by charge and day (in a reader thread or the writer's)."""

    from bot.costs.rollup import Rollup

    started = time.thread_time()
    rollup = Rollup(unit.cube_tags)
    report, batches = read_file(
        Path(unit.path),
        unit.name,
        fmt=unit.fmt,
        strict=unit.strict,
        aliases=dict(unit.aliases),
        row_groups=unit.row_groups,
        row_offset=unit.row_offset,
    )
    result = UnitResult(report)
    pending: list[LineBatch] = []
    held = 0
    for batch in batches:
        pending.append(batch)
        held += batch.num_lines * (1 if batch.lines is not None else PLAIN_LINE_WEIGHT)
        if held >= ROLLUP_LINES:
            result.seen |= rollup.add(stack_batches(pending), unit.export)
            pending, held = [], 0
    if pending:
        result.seen |= rollup.add(stack_batches(pending), unit.export)
    if rollup.keys:
        result.daily, result.cube = rollup.finish()
        result.keys, result.groups, result.key_group = rollup.keys, rollup.groups, rollup.key_group
        if unit.whole_part:  # the writer will store these sums as they are: vectors made here
            from bot.costs.vectors import DailyVectors

            result.vectors = DailyVectors(result.daily)
    result.cpu_seconds = time.thread_time() - started
    return result
