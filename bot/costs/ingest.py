"""Ingest billing exports: find files, detect their layout, read, roll up, replace.

One call of :func:`ingest` is one transaction: every (source, billing period)
found in the given files replaces what the store held for it, or nothing
changes at all. Files (or runs of their Parquet row groups) are read and rolled
up as units (:mod:`bot.costs.units`), in reader threads or in the writing one, and
merged here in a fixed order; one billing period is held and written at a time.
"""

from __future__ import annotations

import itertools
import os
import time
from collections import Counter, deque
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext, suppress
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from bot.costs.allocator import bulk_work
from bot.costs.deliveries import (
    DataFile,
    FoundFile,
    Selection,
    is_data_name,
    not_data_reason,
    select,
)
from bot.costs.readers.common import MAX_LISTED_BAD_ROWS, IngestError, ReadReport
from bot.costs.rollup import PartRollup
from bot.costs.store import CostStore, DeliveryInfo, DeliveryStats
from bot.costs.units import (
    MIN_UNIT_ROWS,
    Unit,
    UnitResult,
    detect_format,
    plan_units,
    read_file,
    read_unit,
)

if TYPE_CHECKING:
    from concurrent.futures import Future

__all__ = ["IngestResult", "detect_format", "discover", "discover_files", "ingest", "read_file"]

# Lines held before a write. Each write stores a charge met again as a further row, so
# a small budget trades store size for memory: 1 M lines cut the x4 org's peak RSS by
# 185 MiB but doubled its store; 4 M keeps a month of up to ~100 000 resources whole.
ROWS_PER_WRITE = 4 << 20

# Below this much local Parquet a reader thread beside the writer gains nothing measurable:
# only inputs this large use one unless asked for.
POOL_MIN_BYTES = 64 << 20
# What an automatic pool may use altogether (COSTBOT_INGEST_MEMORY_MB).
MEMORY_MB = 1024
# The writing thread leaves the last units to the readers (these and the few they already
# hold): it then catches up with its writes and builds the deferred indexes while they read,
# instead of ending with a second and a half of writing alone after them (issue 18's
# timeline of the bench org). Two since the writer takes back queued units: nine alternating
# pairs on the bench org, 5.77 s vs 6.02 s with one (and less CPU); three was slower.
LAST_UNITS_FOR_READERS = 2
# A one-unit part of at most this many lines gets its charge vectors from its reader: all
# at once, so bounded (a CUR 2.0 month of 20 000 resources is about 615 000 lines).
VECTOR_UNIT_ROWS = 1 << 20


class RemoteFiles(Protocol):
    """Where ``s3://`` inputs come from (an adapter built at the composition root)."""

    def list_objects(self, uri: str) -> list[FoundFile]: ...

    def read_text(self, uri: str) -> str: ...

    def download(self, uri: str) -> AbstractContextManager[Path]: ...


@dataclass
class IngestResult:
    """What one ingest did: per-file reports, per-delivery totals, and what was skipped."""

    files: list[ReadReport] = field(default_factory=list)
    deliveries: list[DeliveryStats] = field(default_factory=list)
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)
    workers: int = 0  # reader threads used (0: read in the writing thread only)
    unit_cpu_seconds: float = 0.0  # CPU time spent reading and rolling up, wherever it ran

    @property
    def rows_read(self) -> int:
        """Rows read from all files."""
        return sum(f.rows_read for f in self.files)

    @property
    def rows_skipped(self) -> int:
        """Bad rows skipped in all files."""
        return sum(f.rows_skipped for f in self.files)


def _local_found(path: Path) -> FoundFile:
    st = path.stat()
    return FoundFile(path.resolve().as_posix(), f"{st.st_size}-{st.st_mtime_ns}", st.st_mtime)


def discover_files(inputs: Sequence[str], remote: RemoteFiles | None) -> Selection:
    """Expand paths, directories (recursively) and ``s3://`` prefixes into the files to read.

    A prefix is a folder: ``…/cur2`` never takes ``…/cur2-hourly/``. Under a
    directory or prefix, manifests choose the current delivery of each export
    and billing period (:mod:`bot.costs.deliveries`); a file named on its own is
    read as it is.
    """
    walked: dict[str, FoundFile] = {}
    named: dict[str, FoundFile] = {}
    for item in inputs:
        if item.startswith("s3://"):
            if remote is None:
                raise IngestError(f"{item}: S3 is not configured")
            objects = remote.list_objects(item)
            if len(objects) == 1 and objects[0].name == item:
                named.setdefault(item, objects[0])
            for obj in objects:
                walked.setdefault(obj.name, obj)
            continue
        path = Path(item)
        if path.is_dir():
            files = [p for p in path.rglob("*") if p.is_file()]
            if not any(is_data_name(p.name) for p in files):
                raise IngestError(f"{item}: no .csv, .csv.gz or .parquet files in this directory")
            for p in files:
                found = _local_found(p)
                walked.setdefault(found.name, found)
        elif path.is_file():
            found = _local_found(path)
            named.setdefault(found.name, found)
        else:
            raise IngestError(f"{item}: no such file or directory")
    for name in named:
        walked.pop(name, None)

    def read_text(name: str) -> str:
        if name.startswith("s3://"):
            assert remote is not None
            return remote.read_text(name)
        return Path(name).read_text(encoding="utf-8-sig")

    selection = select(list(walked.values()), read_text)
    chosen = {f.name for f in selection.files}
    for found in named.values():
        reason = not_data_reason(found.name)
        if reason is not None:
            selection.notes.append(f"skipped {found.name}: {reason}, not billing data")
        elif found.name not in chosen:
            parent = found.name.rsplit("/", 1)[0]
            selection.files.append(DataFile(found.name, parent, version=found.version))
    selection.files.sort(key=lambda d: d.name)
    return selection


def discover(inputs: Sequence[str], remote: RemoteFiles | None) -> list[str]:
    """Return the names of the data files :func:`discover_files` would read."""
    return [f.name for f in discover_files(inputs, remote).files]


@bulk_work
def ingest(
    store: CostStore,
    inputs: Sequence[str],
    *,
    allocation_tags: Sequence[str],
    aliases: Mapping[str, str],
    fmt: str | None = None,
    strict: bool = False,
    remote: RemoteFiles | None = None,
    progress: Callable[[int, float], None] | None = None,
    rows_per_write: int = ROWS_PER_WRITE,
    phase: Callable[[str], None] | None = None,
    keep: Callable[[DataFile], bool] | None = None,
    workers: int | None = None,
    memory_mb: int = MEMORY_MB,
) -> IngestResult:
    """Read every input and replace the deliveries they contain, atomically.

    Files are read in parts, one billing period's files at a time where the
    files say which period they hold (Parquet statistics, manifests): each part
    is rolled up and written before the next is read, so memory holds one
    month, not the whole bill, and the store's write transaction spans them
    all. Files whose period is unknown before reading (CSV) form one part. A
    part is also written whenever it holds ``rows_per_write`` daily sums, so
    peak memory does not grow with the size of a month.

    Each file, or run of Parquet row groups, is a unit (:mod:`bot.costs.units`)
    read and rolled up by ``workers`` reader threads while this one writes, and
    by this one when it would otherwise wait (``None``: as many as the cores
    and ``memory_mb`` allow, when the local input is large enough to gain from
    them; 0: everything in this thread). Units are merged in their own order,
    so the store is the same whatever the number of workers.

    ``progress`` hears rows read so far; ``phase`` hears each later step by name
    (once per part).
    ``keep`` narrows the files chosen (the S3 sync keeps only deliveries it has not seen).
    """
    started = time.perf_counter()
    result = IngestResult()
    # The summary cube keeps the tags it was first built with, so every billing period in
    # it agrees; queries on other tags read the detail (same figures, slower).
    cube_tags = store.cube_tags() or tuple(allocation_tags)
    selection = discover_files(inputs, remote)
    if keep is not None:
        selection.files = [f for f in selection.files if keep(f)]
    result.notes.extend(selection.notes)
    layouts: dict[tuple[str, str, str], tuple[set[str], set[str]]] = {}
    stats: list[DeliveryStats] = []
    any_rows = False
    split = parts(selection.files)
    options = _UnitOptions(
        fmt,
        strict,
        tuple(sorted(aliases.items())),
        tuple(cube_tags),
        min(MIN_UNIT_ROWS, rows_per_write),  # a write never waits for more than one unit
    )
    remote_files = remote is not None and any(f.name.startswith("s3://") for f in selection.files)
    planned = [] if remote_files else _plan_local(split, options)
    result.workers = 0 if remote_files else _pool_size(workers, planned, memory_mb)
    with (
        store.writing(),
        _unit_runner(result.workers, idle=store.build_deferred_indexes) as run,
    ):
        for number, (_, units) in enumerate(
            _parts_in_units(split, planned, run, options, remote if remote_files else None)
        ):
            if number and number == len(split) - 1:
                store.build_deferred_indexes()  # while the last period is still being read
            for rollup, delivery_files in _read_part(
                units, rows_per_write, result, started, progress
            ):
                _check_one_layout(delivery_files, layouts)
                if not rollup.keys:
                    continue
                any_rows = True
                if phase:
                    phase("rolling up by day and group")
                daily, cube = rollup.finish()
                if phase:
                    phase("writing to the store")
                stats += store.replace(
                    keys=rollup.keys,
                    daily=daily,
                    groups=rollup.groups,
                    cube=cube,
                    key_group=rollup.key_group,
                    cube_tags=cube_tags,
                    vectors=rollup.vectors,
                    file_info={
                        d: DeliveryInfo(
                            format=" + ".join(sorted(formats)),
                            files=tuple(sorted(files)),
                            rows_read=sum(r.rows_read for r in reports),
                            rows_skipped=sum(r.rows_skipped for r in reports),
                            execution=" + ".join(
                                sorted({f.execution for f in files.values() if f.execution})
                            ),
                            manifest=" + ".join(
                                sorted({f.manifest for f in files.values() if f.manifest})
                            ),
                            etags={n: f.version for n, f in sorted(files.items())},
                        )
                        for d, (formats, files, reports) in delivery_files.items()
                    },
                )
                del rollup, daily, cube  # one part at a time
        if not any_rows:
            skipped = result.rows_skipped
            listed = [str(b) for f in result.files for b in f.bad_rows][:5]
            raise IngestError(
                "no cost rows to store"
                + (f": all {skipped} rows were bad" if skipped else "")
                + "; the store is unchanged"
                + "".join(f"\n  {b}" for b in listed)
            )
    result.deliveries = _merge_stats(stats)
    result.seconds = time.perf_counter() - started
    return result


@dataclass(frozen=True)
class _UnitOptions:
    fmt: str | None
    strict: bool
    aliases: tuple[tuple[str, str], ...]
    cube_tags: tuple[str, ...]
    unit_rows: int


def pool_memory_mb(workers: int, unit_rows: int, part_rows: int) -> float:
    """Estimate the peak memory (MB) of an ingest with ``workers`` reader threads.

    Fitted to the bench org at x1 and x4 with 0, 1 and 2 readers
    (docs/benchmarks.md): the process and the part being merged hold about
    100 MB and 190 bytes per line of the largest billing period; each unit being
    read about 260 MB (a decoded batch and its canonical lines) and 45 bytes per
    line of the largest unit. With readers, the writing thread reads too while
    it would otherwise wait: ``workers + 1`` units at once.
    """
    return 100 + 190e-6 * part_rows + (workers + 1) * (260 + 45e-6 * unit_rows)


def _pool_size(workers: int | None, planned: Sequence[_Planned], memory_mb: int) -> int:
    """Return how many reader threads to use (0: read in the writing thread only).

    Asked for a number, that number. Otherwise readers are worth it for 64 MB
    of files or more, one per core as long as the estimated memory
    (:func:`pool_memory_mb`) stays within ``memory_mb``; a CSV's lines are unknown
    before reading it, so CSV inputs are read in the writing thread.
    """
    if workers is not None:
        return max(workers, 0)
    if not planned or any(u.rows == 0 for _, _, u in planned):
        return 0
    size = 0
    for name in {f.name for _, f, _ in planned}:
        with suppress(OSError):
            size += Path(name).stat().st_size
    if size < POOL_MIN_BYTES:
        return 0
    unit_rows = max(u.rows for _, _, u in planned)
    part_rows = max(
        sum(u.rows for _, _, u in group)
        for _, group in itertools.groupby(planned, key=lambda p: p[0])
    )
    fits = [
        n
        for n in range(1, (os.cpu_count() or 1) + 1)
        if pool_memory_mb(n, unit_rows, part_rows) <= memory_mb
    ]
    return max(fits, default=0)


@contextmanager
def _unit_runner(
    workers: int, idle: Callable[[], None] = lambda: None
) -> Iterator[Callable[[Sequence[Unit]], Iterator[UnitResult]]]:
    """Yield a function that runs units in order, in reader threads or in this thread.

    Threads, not processes: decoding Parquet, the roll-up's array work and
    SQLite's inserts release the GIL, so a reader thread and the writer share
    both cores without a second copy of pyarrow, pandas and numpy per reader
    (a worker process held about 400 MB) and without pickling every unit's
    sums across (issue 18 measured both). The readers run at most a few units
    ahead of the writer; when the next result is not ready, the writer reads a
    unit itself rather than wait (one queued for the readers that none has
    started, if any: its result is wanted sooner), except for the last few
    units: then it calls ``idle`` once (the ingest builds its deferred indexes
    there) and waits.
    """
    if workers < 1:
        yield lambda units: map(read_unit, units)
        return
    from concurrent.futures import ThreadPoolExecutor

    pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="costbot-ingest")

    def run(units: Sequence[Unit]) -> Iterator[UnitResult]:
        # (result, read here, unit); a unit the pool has not started may be taken back
        waiting: deque[tuple[Future[UnitResult], bool, Unit]] = deque()
        todo = iter(units)
        for unit in itertools.islice(todo, workers + 1):
            waiting.append((pool.submit(read_unit, unit), False, unit))
        given = len(waiting)  # units handed out so far
        idled = False
        while waiting:
            head = waiting[0][0]
            near_end = len(units) - given <= LAST_UNITS_FOR_READERS
            if not head.done() and not near_end and not any(here for _, here, _ in waiting):
                # The writer would only wait: it reads a unit itself meanwhile (holding at
                # most one such result, so memory stays bounded). Its error, if any, is
                # raised in unit order, like the readers'.
                # First choice: the earliest unit handed to the readers that none has
                # started (taken back from their queue, which gets the next one instead):
                # its result is wanted sooner than the next one's would be.
                taken = next(
                    (i for i, (f, here, _) in enumerate(waiting) if not here and f.cancel()),
                    None,
                )
                following = next(todo, None)
                if following is not None:
                    given += 1
                if taken is not None:
                    if following is not None:
                        waiting.append((pool.submit(read_unit, following), False, following))
                    unit = waiting[taken][2]
                    waiting[taken] = (_read_here(unit), True, unit)
                    continue
                if following is not None:
                    waiting.append((_read_here(following), True, following))
                    continue
            if near_end and not head.done() and not idled:
                idle()  # the writer would only wait: it does the work saved for the end
                idled = True
            first, here, _ = waiting.popleft()
            if not here:
                following = next(todo, None)  # the readers have room for one more unit
                if following is not None:
                    given += 1
                    waiting.append((pool.submit(read_unit, following), False, following))
            yield first.result()
            del first  # the future holds its result: not kept while the next unit is read

    try:
        yield run
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _read_here(unit: Unit) -> Future[UnitResult]:
    """Read a unit in this thread; its result or error, as a finished future."""
    from concurrent.futures import Future

    done: Future[UnitResult] = Future()
    try:
        done.set_result(read_unit(unit))
    except Exception as exc:
        done.set_exception(exc)
    return done


_Planned = tuple[int, DataFile, Unit]  # (part number, file, unit)


def _plan_local(split: Sequence[Sequence[DataFile]], options: _UnitOptions) -> list[_Planned]:
    """Cut every local file into units up front (Parquet footers only).

    A part read as a single unit of at most ``VECTOR_UNIT_ROWS`` lines (known from
    the Parquet footer) is marked so: its reader also makes the charge vectors the
    writer would otherwise make (issue 18: work off the writer's path). Larger or
    unknown (CSV) units leave them to the writer, which makes them a slice at a time
    so that memory stays flat.
    """
    planned = [
        (i, f, unit)
        for i, part in enumerate(split)
        for f in part
        for unit in _plan(f, Path(f.name), options)
    ]
    units_in = Counter(i for i, _, _ in planned)
    return [
        (
            i,
            f,
            replace(unit, whole_part=True)
            if units_in[i] == 1 and 0 < unit.rows <= VECTOR_UNIT_ROWS
            else unit,
        )
        for i, f, unit in planned
    ]


def _parts_in_units(
    split: Sequence[Sequence[DataFile]],
    planned: Sequence[_Planned],
    run: Callable[[Sequence[Unit]], Iterator[UnitResult]],
    options: _UnitOptions,
    remote: RemoteFiles | None,
) -> Iterator[tuple[Sequence[DataFile], Iterator[tuple[DataFile, Unit, UnitResult]]]]:
    """Yield each part with its units' results, in order (the runner may read ahead).

    Local files are planned into units up front, so the readers keep reading
    into the next part while this thread writes the last one. With ``remote`` (the
    input holds S3 files) files are downloaded one at a time and read while
    their download exists.
    """
    if remote is not None:
        for part in split:
            yield part, _remote_units(part, options, remote)
        return
    results = run([u for _, _, u in planned])
    for i, in_part in itertools.groupby(planned, key=lambda p: p[0]):
        yield split[i], ((f, u, next(results)) for _, f, u in in_part)


def _remote_units(
    part: Sequence[DataFile], options: _UnitOptions, remote: RemoteFiles
) -> Iterator[tuple[DataFile, Unit, UnitResult]]:
    for data_file in part:
        opener: AbstractContextManager[Path] = (
            remote.download(data_file.name)
            if data_file.name.startswith("s3://")
            else nullcontext(Path(data_file.name))
        )
        with opener as path:
            for unit in _plan(data_file, path, options):
                yield data_file, unit, read_unit(unit)


def _plan(data_file: DataFile, path: Path, options: _UnitOptions) -> list[Unit]:
    return plan_units(
        data_file.name,
        path,
        export=data_file.export,
        fmt=options.fmt,
        strict=options.strict,
        aliases=dict(options.aliases),
        cube_tags=options.cube_tags,
        min_rows=options.unit_rows,
    )


DeliveryFiles = dict[
    tuple[str, str, str, str], tuple[set[str], dict[str, DataFile], list[ReadReport]]
]


def _read_part(
    units: Iterator[tuple[DataFile, Unit, UnitResult]],
    rows_per_write: int,
    result: IngestResult,
    started: float,
    progress: Callable[[int, float], None] | None,
) -> Iterator[tuple[PartRollup, DeliveryFiles]]:
    """Merge one part's unit results; yield a roll-up to write whenever it holds ``rows_per_write``.

    Bounding the sums held, not only the billing periods, keeps memory flat
    however large a month is: a charge met again after a write is stored as a
    further row of the same delivery (sums stay exact). A file's report goes
    with the write in which the file ends.
    """
    rollup = PartRollup()
    delivery_files: DeliveryFiles = {}
    reports: dict[str, ReadReport] = {}
    touched: dict[str, set[tuple[str, str, str, str]]] = {}
    for data_file, unit, done in units:
        if rollup.rows >= rows_per_write:
            yield rollup, delivery_files
            rollup, delivery_files = PartRollup(), {}
            touched = {name: set() for name in touched}
        report = reports.get(unit.name)
        if report is None:
            report = reports[unit.name] = done.report
            result.files.append(report)
        else:
            _merge_report(report, done.report)
        if done.daily is not None and done.cube is not None and done.key_group is not None:
            rollup.add(done.keys, done.groups, done.key_group, done.daily, done.cube, done.vectors)
        for provider, account, period in done.seen:
            key = (unit.export, provider, account, period)
            formats, files, _ = delivery_files.setdefault(key, (set(), {}, []))
            formats.add(report.format)
            files[unit.name] = data_file
            touched.setdefault(unit.name, set()).add(key)
        result.unit_cpu_seconds += done.cpu_seconds
        if progress:
            progress(result.rows_read, time.perf_counter() - started)
        if unit.last_of_file:
            for key in sorted(touched.pop(unit.name, set())):
                if key in delivery_files:
                    delivery_files[key][2].append(report)
    yield rollup, delivery_files


def _merge_report(into: ReadReport, more: ReadReport) -> None:
    """Add a later unit's report of the same file to the file's report."""
    into.rows_read += more.rows_read
    into.rows_skipped += more.rows_skipped
    into.bad_rows.extend(more.bad_rows[: max(MAX_LISTED_BAD_ROWS - len(into.bad_rows), 0)])
    for note in more.notes:
        into.note(note)


def _check_one_layout(
    delivery_files: DeliveryFiles,
    layouts: dict[tuple[str, str, str], tuple[set[str], set[str]]],
) -> None:
    """Refuse one bill in several layouts in one run (FOCUS and CUR would double count)."""
    for (_, provider, account, period), (formats, files, _) in delivery_files.items():
        seen_formats, seen_files = layouts.setdefault((provider, account, period), (set(), set()))
        seen_formats |= formats
        seen_files |= set(files)
        families = {f.split()[0] for f in seen_formats}  # "FOCUS 1.2" and "FOCUS 1.1" are one
        if len(families) > 1:
            raise IngestError(
                f"{provider} account {account}, {period}: this run holds the same bill in "
                f"several layouts ({', '.join(sorted(seen_formats))}: "
                f"{', '.join(sorted(seen_files))}); adding them up would double count. Ingest "
                "one layout per run (a later run replaces the period); the store is unchanged."
            )


def _merge_stats(stats: Sequence[DeliveryStats]) -> list[DeliveryStats]:
    """Fold the parts' figures of a delivery written in several parts into one."""
    merged: dict[tuple[str, str, str, str], DeliveryStats] = {}
    for st in stats:
        key = (st.export, st.provider, st.billing_account, st.billing_period)
        prev = merged.get(key)
        if prev is None:
            merged[key] = st
            continue
        days = [d for d in (prev.first_day, st.first_day, prev.last_day, st.last_day) if d]
        merged[key] = replace(
            prev,
            format=" + ".join(sorted({*prev.format.split(" + "), *st.format.split(" + ")})),
            files=tuple(sorted({*prev.files, *st.files})),
            rows_read=prev.rows_read + st.rows_read,
            rows_skipped=prev.rows_skipped + st.rows_skipped,
            lines=prev.lines + st.lines,
            billed=prev.billed + st.billed,
            effective=prev.effective + st.effective,
            list=prev.list + st.list,
            first_day=min(days) if days else None,
            last_day=max(days) if days else None,
        )
    return [merged[k] for k in sorted(merged)]


def parts(files: Sequence[DataFile]) -> list[list[DataFile]]:
    """Split the files into parts that share no billing period, in a fixed order.

    A file's periods come from its manifest or its Parquet statistics; files
    that share a period are in one part; files whose periods are unknown before
    reading (CSV, or Parquet without statistics) form one part of their own.
    The split depends only on the files, never on timing, so the store comes
    out the same however the files are read.
    """
    known: list[tuple[frozenset[str], DataFile]] = []
    unknown: list[DataFile] = []
    for f in files:
        periods = frozenset([f.period]) if f.period else _parquet_periods(f.name)
        if periods:
            known.append((periods, f))
        else:
            unknown.append(f)
    groups: list[tuple[set[str], list[DataFile]]] = []
    for periods, f in known:
        touching = [g for g in groups if g[0] & periods]
        merged_periods, merged_files = set(periods), [f]
        for g in touching:
            merged_periods |= g[0]
            merged_files += g[1]
            groups.remove(g)
        groups.append((merged_periods, merged_files))
    out = [sorted(g[1], key=lambda d: d.name) for g in sorted(groups, key=lambda g: min(g[0]))]
    if unknown:
        out.append(sorted(unknown, key=lambda d: d.name))
    return out


_PERIOD_COLUMNS = ("bill_billing_period_start_date", "BillingPeriodStart")


def _parquet_periods(name: str) -> frozenset[str]:
    """Read a local Parquet file's billing periods from its statistics (empty: unknown)."""
    if name.startswith("s3://") or not name.lower().endswith(".parquet"):
        return frozenset()
    import pyarrow.parquet as pq

    try:
        meta = pq.ParquetFile(name).metadata
    except (OSError, ValueError):
        return frozenset()
    names = [meta.schema.column(i).name for i in range(meta.num_columns)]
    column = next((names.index(c) for c in _PERIOD_COLUMNS if c in names), None)
    if column is None:
        return frozenset()
    out: set[str] = set()
    for rg in range(meta.num_row_groups):
        st = meta.row_group(rg).column(column).statistics
        if st is None or not st.has_min_max:
            return frozenset()
        low, high = (_month(v) for v in (st.min, st.max))
        if not low or low != high:
            return frozenset()  # a row group spanning months: read it with the rest
        out.add(low)
    return frozenset(out)


def _month(value: object) -> str:
    if isinstance(value, datetime | date):
        return f"{value.year:04d}-{value.month:02d}"
    text = value.decode() if isinstance(value, bytes) else str(value)
    return text[:7] if len(text) >= 7 and text[4] == "-" else ""
