"""Open CSV(.gz) and Parquet files as a stream of pyarrow batches.

Both are read in bounded blocks so a year of hourly lines never has to fit in
memory at once; CSV columns are all read as text (the readers validate and
convert them, reporting bad rows instead of failing the file).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from bot.costs.readers.common import BadRow, BadRows, IngestError, LineBatch, ReadReport, strip_bom

CSV_BLOCK_BYTES = 32 << 20
# Lines decoded at a time: a quarter of a million keeps a reader's memory near 100 MB
# even for CUR's wide map columns, at about the speed of whole row groups.
PARQUET_BATCH_ROWS = 1 << 18


def is_parquet(path: Path) -> bool:
    """Tell Parquet from CSV by the file's magic bytes, not its name."""
    with open(path, "rb") as fh:
        return fh.read(4) == b"PAR1"


def column_names(path: Path) -> list[str]:
    """Return a file's column names (header row or Parquet schema)."""
    try:
        if is_parquet(path):
            return list(pq.read_schema(path).names)
        reader = _header_reader(path)
    except (pa.ArrowException, OSError, EOFError) as exc:
        raise IngestError(f"cannot read as CSV or Parquet ({_first_line(exc)})") from exc
    names = [strip_bom(n) for n in reader.schema.names]
    reader.close()
    return names


def read_lines(
    path: Path,
    display: str,
    report: ReadReport,
    *,
    strict: bool,
    columns: list[str],
    convert: Callable[[pa.Table, BadRows], pa.Table | LineBatch],
    row_groups: Sequence[int] | None = None,
    row_offset: int = 0,
) -> Iterator[LineBatch]:
    """Read a file batch by batch, convert each, and drop (and report) the bad rows.

    The one loop every reader shares: CSV lines with the wrong number of fields,
    and rows a converter marks bad, are counted, listed with their record number
    (1 = the first record after the header) and skipped, or stop the read under
    ``strict``. ``row_groups`` reads only those Parquet row groups, the first
    of which starts at record ``row_offset + 1`` of the file (an ingest unit,
    :mod:`bot.costs.units`).
    """
    offset = row_offset
    skipped: list[int] = []
    pending: list[BadRow] = []

    def on_invalid(line: int | None, reason: str) -> None:
        record = (line - 1) if line else 0  # the header is line 1
        skipped.append(record)
        pending.append(BadRow(display, record, "*", reason))

    for table in iter_batches(path, columns, on_invalid, display, row_groups):
        if pending:
            report.rows_read += len(pending)
            report.reject(pending, len(pending), strict)
            pending.clear()
        n = table.num_rows
        report.rows_read += n
        bad = BadRows(n, display, offset, skipped)
        out = convert(table, bad)
        batch = out if isinstance(out, LineBatch) else LineBatch(out)
        report.reject(bad.rows(), int(bad.bad.sum()), strict)
        offset += n
        if bad.bad.any():
            batch = batch.keep(~bad.bad)
        if batch.num_lines:
            yield batch
    if pending:
        report.rows_read += len(pending)
        report.reject(pending, len(pending), strict)


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]


def iter_batches(
    path: Path,
    columns: list[str] | None = None,
    on_invalid_row: Callable[[int | None, str], None] | None = None,
    display: str | None = None,
    row_groups: Sequence[int] | None = None,
) -> Iterator[pa.Table]:
    """Yield tables of at most about a million rows, header names cleaned of BOMs.

    A CSV line with the wrong number of fields is passed to ``on_invalid_row``
    (line number, reason) and skipped instead of failing the whole file. A file
    that cannot be decoded at all (truncated Parquet, broken gzip) raises
    :class:`IngestError` naming it (``display``, default the path).
    """
    try:
        yield from _batches(path, columns, on_invalid_row, row_groups)
    except (pa.ArrowException, OSError, EOFError) as exc:
        raise IngestError(f"{display or path}: unreadable ({_first_line(exc)})") from exc


def _batches(
    path: Path,
    columns: list[str] | None,
    on_invalid_row: Callable[[int | None, str], None] | None,
    row_groups: Sequence[int] | None = None,
) -> Iterator[pa.Table]:
    if is_parquet(path):
        pf = pq.ParquetFile(path)
        names = set(pf.schema_arrow.names)
        wanted = [c for c in columns if c in names] if columns else None
        yield from _parquet_batches(path, pf, wanted, row_groups)
        return
    raw_names = _raw_csv_names(path)
    clean = [strip_bom(n) for n in raw_names]
    types = {n: pa.string() for n in raw_names}

    def handle(row: pacsv.InvalidRow) -> str:
        if on_invalid_row is None:
            return "error"
        on_invalid_row(
            row.number,
            f"expected {row.expected_columns} fields, found {row.actual_columns}",
        )
        return "skip"

    reader = pacsv.open_csv(
        path,
        # One thread, so that a skipped line's number is its line in the file.
        read_options=pacsv.ReadOptions(block_size=CSV_BLOCK_BYTES, use_threads=False),
        parse_options=pacsv.ParseOptions(invalid_row_handler=handle),
        convert_options=pacsv.ConvertOptions(
            column_types=types,
            strings_can_be_null=False,
            quoted_strings_can_be_null=False,
            include_columns=[
                r for r, c in zip(raw_names, clean, strict=True) if columns is None or c in columns
            ]
            or None,
        ),
    )
    for batch in reader:
        table = pa.Table.from_batches([batch])
        yield table.rename_columns([strip_bom(n) for n in table.column_names])


def _parquet_batches(
    path: Path,
    pf: pq.ParquetFile,
    wanted: list[str] | None,
    row_groups: Sequence[int] | None = None,
) -> Iterator[pa.Table]:
    """Read a Parquet file in batches of ``PARQUET_BATCH_ROWS``, text dictionary-encoded.

    Text repeats a few values millions of times, so it is read as dictionaries
    straight from Parquet's own encoding (no re-hashing), map keys and values
    included. Where Arrow cannot read a row group's nested dictionaries, the
    rest of it is read with plain map values instead. One thread: an ingest
    already runs a reader per core.
    """
    flat: list[str] = []
    nested: list[str] = []
    for f in pf.schema_arrow:
        if wanted is not None and f.name not in wanted:
            continue
        if pa.types.is_string(f.type):
            flat.append(f.name)
        elif pa.types.is_map(f.type) and pa.types.is_string(f.type.item_type):
            nested += [f"{f.name}.key_value.key", f"{f.name}.key_value.value"]
    encoded = pq.ParquetFile(path, read_dictionary=flat + nested)
    plain_maps = pq.ParquetFile(path, read_dictionary=flat)
    for group in range(pf.metadata.num_row_groups) if row_groups is None else row_groups:
        done = 0
        try:
            for batch in _group_batches(encoded, group, wanted):
                done += batch.num_rows
                yield batch
        except pa.ArrowNotImplementedError:
            # Read the rest of the row group with plain map values (skip what was yielded).
            skip = done
            for batch in _group_batches(plain_maps, group, wanted):
                if skip >= batch.num_rows:
                    skip -= batch.num_rows
                    continue
                yield batch.slice(skip)
                skip = 0


def _group_batches(pf: pq.ParquetFile, group: int, wanted: list[str] | None) -> Iterator[pa.Table]:
    for batch in pf.iter_batches(
        batch_size=PARQUET_BATCH_ROWS, row_groups=[group], columns=wanted, use_threads=False
    ):
        yield pa.Table.from_batches([batch])


def _header_reader(path: Path) -> pacsv.CSVStreamingReader:
    """Open a CSV just far enough to read its header (bad rows are the readers' business)."""
    return pacsv.open_csv(
        path,
        read_options=pacsv.ReadOptions(block_size=1 << 16),
        parse_options=pacsv.ParseOptions(invalid_row_handler=lambda _row: "skip"),
    )


def _raw_csv_names(path: Path) -> list[str]:
    reader = _header_reader(path)
    names = list(reader.schema.names)
    reader.close()
    return names
