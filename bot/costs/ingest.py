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

from bot.costs.readers.common import IngestError, LineBatch, ReadReport
from bot.costs.readers.cur import is_cur2, is_legacy_cur, read_cur
from bot.costs.readers.focus import focus_version, read_focus
from bot.costs.readers.tabular import column_names
from bot.costs.rollup import Rollup
from bot.costs.store import CostStore, DeliveryStats

FORMATS = ("focus", "cur2", "cur")
DATA_SUFFIXES = (".parquet", ".csv", ".gz")


class RemoteFiles(Protocol):
    """Where ``s3://`` inputs come from (an adapter built at the composition root)."""

    def list_files(self, uri: str) -> list[str]: ...

    def download(self, uri: str) -> AbstractContextManager[Path]: ...


@dataclass
class IngestResult:
    """What one ingest did: per-file reports and per-delivery totals."""

    files: list[ReadReport] = field(default_factory=list)
    deliveries: list[DeliveryStats] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def rows_read(self) -> int:
        """Rows read from all files."""
        return sum(f.rows_read for f in self.files)

    @property
    def rows_skipped(self) -> int:
        """Bad rows skipped in all files."""
        return sum(f.rows_skipped for f in self.files)


def discover(inputs: Sequence[str], remote: RemoteFiles | None) -> list[str]:
    """Expand paths, directories (recursively) and ``s3://`` prefixes into files."""
    out: list[str] = []
    for item in inputs:
        if item.startswith("s3://"):
            if remote is None:
                raise IngestError(f"{item}: S3 is not configured")
            out.extend(remote.list_files(item))
            continue
        path = Path(item)
        if path.is_dir():
            found = sorted(
                p for p in path.rglob("*") if p.is_file() and p.name.lower().endswith(DATA_SUFFIXES)
            )
            if not found:
                raise IngestError(f"{item}: no .csv, .csv.gz or .parquet files in this directory")
            out.extend(str(p) for p in found)
        elif path.is_file():
            out.append(str(path))
        else:
            raise IngestError(f"{item}: no such file or directory")
    # A file named twice (a directory and a file in it) is read once.
    seen: set[str] = set()
    unique = []
    for name in out:
        key = name if name.startswith("s3://") else str(Path(name).resolve())
        if key not in seen:
            seen.add(key)
            unique.append(name)
    return unique


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
) -> IngestResult:
    """Read every input and replace the deliveries they contain, atomically.

    ``progress`` hears rows read so far; ``phase`` hears each later step by name.
    """
    started = time.perf_counter()
    result = IngestResult()
    # The summary cube keeps the tags it was first built with, so every billing period in
    # it agrees; queries on other tags read the detail (same figures, slower).
    cube_tags = store.cube_tags() or tuple(allocation_tags)
    rollup = Rollup(cube_tags)
    delivery_files: dict[tuple[str, str, str], tuple[set[str], set[str], list[ReadReport]]] = {}
    for name in discover(inputs, remote):
        opener: AbstractContextManager[Path] = (
            remote.download(name)
            if name.startswith("s3://") and remote
            else nullcontext(Path(name))
        )
        with opener as path:
            report, batches = read_file(path, name, fmt=fmt, strict=strict, aliases=aliases)
            result.files.append(report)
            for batch in batches:
                for delivery in rollup.add(batch.table):
                    formats, files, reports = delivery_files.setdefault(
                        delivery, (set(), set(), [])
                    )
                    formats.add(report.format)
                    if name not in files:
                        files.add(name)
                        reports.append(report)
                if progress:
                    progress(result.rows_read, time.perf_counter() - started)
    for (provider, account, period), (formats, files, _) in delivery_files.items():
        families = {f.split()[0] for f in formats}  # "FOCUS 1.2" and "FOCUS 1.1" are one
        if len(families) > 1:
            raise IngestError(
                f"{provider} account {account}, {period}: this run holds the same bill in "
                f"several layouts ({', '.join(sorted(formats))}: {', '.join(sorted(files))}); "
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
        d: (
            " + ".join(sorted(formats)),
            tuple(sorted(files)),
            sum(r.rows_read for r in reports),
            sum(r.rows_skipped for r in reports),
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
