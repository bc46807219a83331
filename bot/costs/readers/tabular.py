"""Open CSV(.gz) and Parquet files as a stream of pyarrow batches.

Both are read in bounded blocks so a year of hourly lines never has to fit in
memory at once; CSV columns are all read as text (the readers validate and
convert them, reporting bad rows instead of failing the file).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from bot.costs.readers.common import IngestError, strip_bom

CSV_BLOCK_BYTES = 32 << 20
PARQUET_BATCH_ROWS = 1 << 20


def is_parquet(path: Path) -> bool:
    """Tell Parquet from CSV by the file's magic bytes, not its name."""
    with open(path, "rb") as fh:
        return fh.read(4) == b"PAR1"


def column_names(path: Path) -> list[str]:
    """Return a file's column names (header row or Parquet schema)."""
    if is_parquet(path):
        return list(pq.read_schema(path).names)
    try:
        reader = pacsv.open_csv(path, read_options=pacsv.ReadOptions(block_size=1 << 16))
    except (pa.ArrowInvalid, OSError) as exc:
        raise IngestError(f"{path}: cannot read as CSV or Parquet ({exc})") from exc
    names = [strip_bom(n) for n in reader.schema.names]
    reader.close()
    return names


def iter_batches(
    path: Path,
    columns: list[str] | None = None,
    on_invalid_row: Callable[[int | None, str], None] | None = None,
) -> Iterator[pa.Table]:
    """Yield tables of at most about a million rows, header names cleaned of BOMs.

    A CSV line with the wrong number of fields is passed to ``on_invalid_row``
    (line number, reason) and skipped instead of failing the whole file.
    """
    if is_parquet(path):
        pf = pq.ParquetFile(path)
        names = set(pf.schema_arrow.names)
        wanted = [c for c in columns if c in names] if columns else None
        dict_cols = [
            f.name
            for f in pf.schema_arrow
            if pa.types.is_string(f.type) and (wanted is None or f.name in wanted)
        ]
        pf = pq.ParquetFile(path, read_dictionary=dict_cols)
        for batch in pf.iter_batches(batch_size=PARQUET_BATCH_ROWS, columns=wanted):
            yield pa.Table.from_batches([batch])
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
        read_options=pacsv.ReadOptions(block_size=CSV_BLOCK_BYTES),
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
    try:
        for batch in reader:
            table = pa.Table.from_batches([batch])
            yield table.rename_columns([strip_bom(n) for n in table.column_names])
    except pa.ArrowInvalid as exc:
        raise IngestError(f"{path}: malformed CSV ({exc})") from exc


def _raw_csv_names(path: Path) -> list[str]:
    reader = pacsv.open_csv(path, read_options=pacsv.ReadOptions(block_size=1 << 16))
    names = list(reader.schema.names)
    reader.close()
    return names
