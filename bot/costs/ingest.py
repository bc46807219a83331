"""Ingest billing exports: find files, detect their layout, read, roll up, replace.

One call of :func:`ingest` is one transaction: every (source, billing period)
found in the given files replaces what the store held for it, or nothing
changes at all. Files are read one at a time in bounded batches.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from bot.costs.deliveries import (
    DataFile,
    FoundFile,
    Selection,
    is_data_name,
    not_data_reason,
    select,
)
from bot.costs.readers.common import IngestError, LineBatch, ReadReport
from bot.costs.readers.cur import is_cur2, is_legacy_cur, read_cur
from bot.costs.readers.focus import focus_version, read_focus
from bot.costs.readers.tabular import column_names
from bot.costs.rollup import Rollup
from bot.costs.store import CostStore, DeliveryInfo, DeliveryStats

FORMATS = ("focus", "cur2", "cur")


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
) -> tuple[ReadReport, Iterator[LineBatch]]:
    """Open one file with the right reader; return its report and batch iterator."""
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
    if kind == "focus":
        report = ReadReport(display, f"FOCUS {focus_version(columns)}")
        return report, read_focus(
            path, display, report, strict=strict, aliases=aliases, columns=columns
        )
    if kind in ("cur2", "cur"):
        report = ReadReport(display, "CUR 2.0" if kind == "cur2" else "legacy CUR")
        return report, read_cur(
            path,
            display,
            report,
            strict=strict,
            aliases=aliases,
            columns=columns,
            legacy=kind == "cur",
        )
    raise IngestError(f"unknown --format {kind!r}; choose one of {', '.join(FORMATS)}")


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
    phase: Callable[[str], None] | None = None,
    keep: Callable[[DataFile], bool] | None = None,
) -> IngestResult:
    """Read every input and replace the deliveries they contain, atomically.

    ``progress`` hears rows read so far; ``phase`` hears each later step by name.
    ``keep`` narrows the files chosen (the S3 sync keeps only deliveries it has not seen).
    """
    started = time.perf_counter()
    result = IngestResult()
    # The summary cube keeps the tags it was first built with, so every billing period in
    # it agrees; queries on other tags read the detail (same figures, slower).
    cube_tags = store.cube_tags() or tuple(allocation_tags)
    rollup = Rollup(cube_tags)
    selection = discover_files(inputs, remote)
    if keep is not None:
        selection.files = [f for f in selection.files if keep(f)]
    result.notes.extend(selection.notes)
    # (export, provider, account, period) -> formats, files read, their reports
    delivery_files: dict[
        tuple[str, str, str, str], tuple[set[str], dict[str, DataFile], list[ReadReport]]
    ] = {}
    for data_file in selection.files:
        name = data_file.name
        opener: AbstractContextManager[Path] = (
            remote.download(name)
            if name.startswith("s3://") and remote
            else nullcontext(Path(name))
        )
        with opener as path:
            report, batches = read_file(path, name, fmt=fmt, strict=strict, aliases=aliases)
            result.files.append(report)
            for batch in batches:
                for provider, account, period in rollup.add(batch.table, data_file.export):
                    formats, files, reports = delivery_files.setdefault(
                        (data_file.export, provider, account, period), (set(), {}, [])
                    )
                    formats.add(report.format)
                    if name not in files:
                        files[name] = data_file
                        reports.append(report)
                if progress:
                    progress(result.rows_read, time.perf_counter() - started)
    layouts: dict[tuple[str, str, str], tuple[set[str], set[str]]] = {}
    for (_, provider, account, period), (formats, files, _) in delivery_files.items():
        seen_formats, seen_files = layouts.setdefault((provider, account, period), (set(), set()))
        seen_formats |= formats
        seen_files |= set(files)
    for (provider, account, period), (formats, names) in layouts.items():
        families = {f.split()[0] for f in formats}  # "FOCUS 1.2" and "FOCUS 1.1" are one
        if len(families) > 1:
            raise IngestError(
                f"{provider} account {account}, {period}: this run holds the same bill in "
                f"several layouts ({', '.join(sorted(formats))}: {', '.join(sorted(names))}); "
                "adding them up would double count. Ingest one layout per run (a later run "
                "replaces the period); the store is unchanged."
            )
    if not rollup.keys:
        skipped = result.rows_skipped
        listed = [str(b) for f in result.files for b in f.bad_rows][:5]
        raise IngestError(
            "no cost rows to store"
            + (f": all {skipped} rows were bad" if skipped else "")
            + "; the store is unchanged"
            + "".join(f"\n  {b}" for b in listed)
        )
    if phase:
        phase("rolling up by day and group")
    daily, cube = rollup.finish()
    file_info = {
        d: DeliveryInfo(
            format=" + ".join(sorted(formats)),
            files=tuple(sorted(files)),
            rows_read=sum(r.rows_read for r in reports),
            rows_skipped=sum(r.rows_skipped for r in reports),
            execution=" + ".join(sorted({f.execution for f in files.values() if f.execution})),
            manifest=" + ".join(sorted({f.manifest for f in files.values() if f.manifest})),
            etags={n: f.version for n, f in sorted(files.items())},
        )
        for d, (formats, files, reports) in delivery_files.items()
    }
    if phase:
        phase("writing to the store")
    result.deliveries = store.replace(
        keys=rollup.keys,
        daily=daily,
        groups=rollup.groups,
        cube=cube,
        key_group=rollup.key_group,
        cube_tags=cube_tags,
        file_info=file_info,
    )
    result.seconds = time.perf_counter() - started
    return result
