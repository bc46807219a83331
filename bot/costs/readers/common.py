"""What every reader shares: the batch shape, bad-row reports, exact conversions.

All conversions are vectorised over pyarrow arrays (the bench ingests millions of
rows a second) and exact: decimal text goes through decimal128, Parquet doubles
are rounded to the nearest nano-unit, which recovers the exporter's decimal
value for every amount below ~$9 million with at most 9 decimals.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation

import numpy as np

# pyarrow converts Python values (``pa.scalar``, ``fill_null(x, "")``) through its pandas shim,
# which imports pandas on first use: about 0.9 s here. Imported with the readers, so that a
# reader thread does not import it while the others wait on the import lock mid-ingest.
import pandas  # noqa: F401
import pyarrow as pa
import pyarrow.compute as pc

from bot.costs.schema import KEY_COLUMNS
from bot.errors import CostbotError
from bot.money import MoneyFormatError, parse_decimal, to_nanos

BATCH_COLUMNS = ("day", "billing_period", *KEY_COLUMNS, "billed", "effective", "list")
TAG_PREFIX = "tag:"
MAX_LISTED_BAD_ROWS = 20
_EPOCH = date(1970, 1, 1)

_DECIMAL_RE = r"^\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*$"
_TIMESTAMP_RE = (
    r"^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?\s*(Z|z|UTC|[+-]00:?00|\+00)?$"
)
_ISO_ANY_ZONE_RE = (
    r"^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?\s*(Z|z|UTC|[+-]\d{2}(:?\d{2})?)?$"
)
_WORKING_DECIMAL = pa.decimal128(38, 18)
MAX_LINE_NANOS = 9_200_000_000 * 1_000_000_000  # ±$9.2 billion a line; sums are checked too
_MAX_LINE = Decimal(MAX_LINE_NANOS).scaleb(-9)
_NANO_DECIMAL = pa.decimal128(38, 9)


class IngestError(CostbotError):
    """A file cannot be ingested (unknown layout, unreadable, or a bad row under --strict)."""


@dataclass(frozen=True)
class BadRow:
    """One rejected row: where it is and why, in words a person can act on."""

    file: str
    row: int  # 1-based record number after the header
    column: str
    reason: str

    def __str__(self) -> str:
        return f"{self.file}: row {self.row}, column {self.column}: {self.reason}"


@dataclass
class ReadReport:
    """What a reader saw in one file."""

    file: str
    format: str
    rows_read: int = 0
    rows_skipped: int = 0
    bad_rows: list[BadRow] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def reject(self, bad: Sequence[BadRow], total_bad: int, strict: bool) -> None:
        """Record rejected rows; under ``strict`` stop at the first one."""
        if not total_bad:
            return
        if strict:
            raise IngestError(f"{bad[0]} (--strict stops at the first bad row)")
        self.rows_skipped += total_bad
        room = MAX_LISTED_BAD_ROWS - len(self.bad_rows)
        self.bad_rows.extend(bad[: max(room, 0)])

    def note(self, text: str) -> None:
        """Record a normalisation the reader applied, once."""
        if text not in self.notes:
            self.notes.append(text)


@dataclass
class Lines:
    """Each line's row of a compact batch's dimension table, its UTC day and amounts."""

    row: np.ndarray  # int64: row of LineBatch.table
    day: np.ndarray  # int32: days since 1970-01-01
    billed: np.ndarray  # int64 nano-units, like the two below
    effective: np.ndarray
    list: np.ndarray

    def __len__(self) -> int:
        return len(self.row)


@dataclass
class LineBatch:
    """Canonical lines, plain or compact.

    Plain (``lines`` is None): ``table`` holds BATCH_COLUMNS plus ``tag:<key>``
    columns, one row per line. Compact: ``table`` holds the dimension columns
    (BATCH_COLUMNS but the day and amounts, plus tags) once per distinct
    combination, and ``lines`` holds each line's row of it, day and amounts.
    Text is then cleaned and mapped once per combination instead of once per
    line: the CUR reader's half a million lines a batch come from a few tens of
    thousands of combinations.
    """

    table: pa.Table
    lines: Lines | None = None

    @property
    def num_lines(self) -> int:
        """Return how many billing lines the batch holds."""
        return self.table.num_rows if self.lines is None else len(self.lines)

    def compacted(self) -> LineBatch:
        """Return the batch in compact form (a plain one: one dimension row per line)."""
        if self.lines is not None:
            return self
        t = self.table
        amounts = [
            np.asarray(t.column(name).to_numpy(), dtype=np.int64)
            for name in ("billed", "effective", "list")
        ]
        return LineBatch(
            t.drop_columns(["day", "billed", "effective", "list"]),
            Lines(
                np.arange(t.num_rows, dtype=np.int64),
                np.asarray(t.column("day").to_numpy(), dtype=np.int32),
                *amounts,
            ),
        )

    def keep(self, mask: np.ndarray) -> LineBatch:
        """Return the batch with only the lines where ``mask`` holds (bad rows dropped).

        A compact batch also drops the combinations no line is left in, so that
        nothing downstream sees an account or period only bad rows mentioned.
        """
        if self.lines is None:
            return LineBatch(self.table.filter(pa.array(mask)))
        lines = self.lines
        row = lines.row[mask]
        used = np.bincount(row, minlength=self.table.num_rows) > 0
        table = self.table
        if not used.all():
            table = table.filter(pa.array(used))
            row = (np.cumsum(used) - 1)[row]
        return LineBatch(
            table,
            Lines(
                row,
                lines.day[mask],
                lines.billed[mask],
                lines.effective[mask],
                lines.list[mask],
            ),
        )


class BadRows:
    """Accumulate which rows of a batch are bad, with the first reason found for each.

    Reasons are kept per row as an index into a short list, so the first bad rows
    *in file order* can be listed whatever column they failed on, and row numbers
    account for lines the CSV parser already skipped (``skipped_before``: record
    numbers of earlier skipped lines).
    """

    def __init__(
        self, n: int, file: str, row_offset: int, skipped_before: Sequence[int] = ()
    ) -> None:
        self.bad = np.zeros(n, dtype=bool)
        self.file = file
        self.row_offset = row_offset
        self.skipped_before = sorted(skipped_before)
        self._reason_of = np.full(n, -1, dtype=np.int32)
        self._reasons: list[tuple[str, pa.Array | None, str]] = []

    def add(
        self, mask: pa.Array | np.ndarray, column: str, values: pa.Array | None, reason: str
    ) -> None:
        """Mark rows in ``mask`` bad because of ``column`` (``{value}`` in reason is filled in)."""
        if isinstance(mask, pa.Array | pa.ChunkedArray):
            mask = pc.fill_null(mask, False).to_numpy(zero_copy_only=False)
        new = np.asarray(mask, dtype=bool) & ~self.bad
        if not new.any():
            return
        self._reason_of[new] = len(self._reasons)
        self._reasons.append((column, values, reason))
        self.bad |= new

    def mark(self, index: int, column: str, values: pa.Array, reason: str) -> None:
        """Mark the single row ``index`` bad."""
        one = np.zeros(len(self.bad), dtype=bool)
        one[index] = True
        self.add(one, column, values, reason)

    def add_expanded(self, distinct: BadRows, row_of: np.ndarray) -> None:
        """Mark bad every row whose distinct combination ``distinct`` found bad (same reasons).

        ``row_of`` gives each row of this batch its row in ``distinct``'s table:
        a combination checked once stands for every line that holds it.
        """
        if not distinct.bad.any():
            return
        reasons = distinct._reason_of[row_of]
        for j, (column, values, reason) in enumerate(distinct._reasons):
            mask = reasons == j
            if mask.any():
                taken = None if values is None else values.take(pa.array(row_of))
                self.add(mask, column, taken, reason)

    def record_number(self, index: int) -> int:
        """Return the 1-based record number (after the header) of batch row ``index``."""
        number = self.row_offset + index + 1
        for skipped in self.skipped_before:
            if skipped <= number:
                number += 1
        return number

    def rows(self, limit: int = MAX_LISTED_BAD_ROWS) -> list[BadRow]:
        """Return the first ``limit`` bad rows in file order."""
        out = []
        for i in np.flatnonzero(self.bad)[:limit].tolist():
            column, values, reason = self._reasons[int(self._reason_of[i])]
            v = values[i].as_py() if values is not None else None
            out.append(BadRow(self.file, self.record_number(i), column, reason.format(value=v)))
        return out


def decode(arr: pa.Array | pa.ChunkedArray) -> pa.Array:
    """Return a plain (non-dictionary, single-chunk) array."""
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks() if arr.num_chunks != 1 else arr.chunk(0)
    if pa.types.is_dictionary(arr.type):
        arr = arr.dictionary_decode()
    return arr


def _clean_values(values: pa.Array) -> pa.Array:
    """Trim text and blank out the exporters' ``NULL``/``null`` spellings (no nulls remain)."""
    if not pa.types.is_string(values.type) and not pa.types.is_large_string(values.type):
        values = pc.cast(values, pa.string())
    values = pc.utf8_trim_whitespace(values)
    is_null_word = pc.fill_null(pc.match_substring_regex(values, r"^(?i:null|none|nan)$"), False)
    values = pc.if_else(is_null_word, pa.scalar("", pa.string()), values)
    return pc.fill_null(values, "")


def clean_text(arr: pa.Array | pa.ChunkedArray) -> pa.Array:
    """Return cleaned plain text (for amounts and timestamps, where values rarely repeat)."""
    return _clean_values(decode(arr))


def clean_strings(arr: pa.Array | pa.ChunkedArray) -> pa.DictionaryArray:
    """Return a cleaned, dictionary-encoded text column (nulls become empty text).

    Dimension columns repeat a few values millions of times, so they are kept
    dictionary-encoded end to end: cleaning and mapping touch the dictionary,
    not the rows, and the roll-up reads the integer codes directly.
    """
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks() if arr.num_chunks != 1 else arr.chunk(0)
    if not pa.types.is_dictionary(arr.type):
        if not pa.types.is_string(arr.type) and not pa.types.is_large_string(arr.type):
            arr = pc.cast(arr, pa.string())
        arr = pc.dictionary_encode(arr)
    dictionary = _clean_values(arr.dictionary)
    indices = arr.indices
    if indices.null_count:
        dictionary = pa.concat_arrays([dictionary, pa.array([""], dictionary.type)])
        indices = pc.fill_null(indices, pa.scalar(len(dictionary) - 1, indices.type))
    return pa.DictionaryArray.from_arrays(indices, dictionary)


def constant(value: str, n: int) -> pa.DictionaryArray:
    """A text column holding one value n times, without materialising n strings."""
    return pa.DictionaryArray.from_arrays(
        pa.array(np.zeros(n, dtype=np.int32)), pa.array([value], pa.string())
    )


def map_values(arr: pa.DictionaryArray, fn: Callable[[str], str]) -> pa.DictionaryArray:
    """Apply a function to each distinct value of a dictionary column."""
    mapped = pa.array([fn(v) for v in arr.dictionary.to_pylist()], pa.string())
    return pa.DictionaryArray.from_arrays(arr.indices, mapped)


def value_mask(arr: pa.DictionaryArray, predicate: Callable[[str], bool]) -> np.ndarray:
    """Return a row mask of the values for which ``predicate`` holds (evaluated per distinct)."""
    hits = np.array([predicate(v) for v in arr.dictionary.to_pylist()] or [False], dtype=bool)
    return hits[arr.indices.to_numpy(zero_copy_only=False)]


def coalesce_text(first: pa.DictionaryArray, fallback: pa.DictionaryArray) -> pa.DictionaryArray:
    """Take ``first`` where it is neither empty nor null, else ``fallback``.

    Works on the codes: the result's dictionary is both dictionaries one after
    the other (a value may appear twice; readers and the roll-up go by value),
    so no row's text is ever materialised. Null stays null only where both are.
    """
    first_codes = dictionary_codes(first)
    blank = [v is None or v == "" for v in first.dictionary.to_pylist()]
    empty = np.array([*blank, True], dtype=bool)[first_codes]  # code -1 (null) is empty
    if not empty.any():
        return first
    fallback_codes = dictionary_codes(fallback)
    shift = len(first.dictionary)
    codes = np.where(
        empty, np.where(fallback_codes >= 0, fallback_codes + shift, -1), first_codes
    ).astype(np.int32)
    dictionary = pa.concat_arrays(
        [first.dictionary.cast(pa.string()), fallback.dictionary.cast(pa.string())]
    )
    indices = pa.array(codes, mask=codes < 0) if (codes < 0).any() else pa.array(codes)
    return pa.DictionaryArray.from_arrays(indices, dictionary)


def dictionary_codes(arr: pa.DictionaryArray) -> np.ndarray:
    """Return a dictionary array's codes as int32, -1 where null."""
    indices = arr.indices
    if indices.null_count:
        indices = pc.fill_null(indices, pa.scalar(-1, indices.type))
    return indices.to_numpy(zero_copy_only=False).astype(np.int32, copy=False)


def decimal_text_to_nanos(
    arr: pa.Array, column: str, bad: BadRows, *, required: bool = True
) -> np.ndarray:
    """Convert decimal text to int64 nano-units exactly; mark malformed rows bad.

    Spreadsheet formatting (``$10,000.00``) is refused with a clear reason rather
    than guessed at.
    """
    text = clean_text(arr)
    empty = pc.equal(text, "")
    ok = pc.match_substring_regex(text, _DECIMAL_RE)
    looks_money = pc.match_substring_regex(text, r"[$€£]|\d,\d{3}")
    bad.add(
        pc.and_(looks_money, pc.invert(ok)),
        column,
        text,
        "{value!r} is spreadsheet-formatted money; export plain decimals (e.g. 10000.00)",
    )
    bad.add(
        pc.and_(pc.invert(ok), pc.invert(empty)),
        column,
        text,
        "{value!r} is not a decimal number",
    )
    if required:
        bad.add(empty, column, text, "missing amount")
    good = pc.if_else(pc.and_(ok, pc.invert(bad.bad)), text, pa.scalar("0"))
    good = pc.if_else(pc.equal(good, ""), pa.scalar("0"), good)
    try:
        as_dec = pc.cast(pc.utf8_trim_whitespace(good), _WORKING_DECIMAL)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        # Beyond 18 decimals or 20 integer digits: exact, row by row.
        out = np.zeros(len(good), dtype=np.int64)
        for i, v in enumerate(good.to_pylist()):
            try:
                value = parse_decimal(v or "0")
                # Check the size before quantizing: 1e20 at 9 places exceeds Decimal's
                # 28 digits and would raise InvalidOperation, not a bad row.
                if abs(value) >= _MAX_LINE:
                    raise OverflowError
                out[i] = to_nanos(value)
            except (MoneyFormatError, OverflowError, InvalidOperation):
                bad.mark(i, column, good, "{value!r} is beyond the store's ±$9.2 billion per line")
        return out
    return float_to_nanos(as_dec, column, bad)


def decimal_to_nanos(arr: pa.Array) -> np.ndarray:
    """Round a decimal128 array half-to-even to 9 places and return int64 nanos."""
    arr = decode(arr)
    rounded = pc.round(arr, 9, round_mode="half_to_even")
    nano = pc.cast(rounded, _NANO_DECIMAL)
    nano = pc.fill_null(nano, pa.scalar(Decimal(0), _NANO_DECIMAL))
    # decimal128 stores the unscaled integer as 16-byte two's complement: at scale 9
    # that integer *is* the nano count. Take the low word, check the high word.
    buf = nano.buffers()[1]
    words = np.frombuffer(buf, dtype=np.int64, count=2 * (len(nano) + nano.offset))
    words = words[2 * nano.offset :]
    low, high = words[0::2], words[1::2]
    if not np.array_equal(high, np.where(low < 0, -1, 0)):
        raise IngestError("an amount exceeds the store's range of ±$9.2 billion per line")
    return low.copy()


def float_to_nanos(
    arr: pa.Array | pa.ChunkedArray, column: str, bad: BadRows, *, required: bool = False
) -> np.ndarray:
    """Convert Parquet doubles (or decimals) to int64 nanos; out-of-range lines are bad rows.

    Nulls are 0 unless the amount is ``required`` (then the line is bad). Rounding
    a double to the nearest nano gives back the exporter's decimal for amounts up
    to about $1 million with 9 decimals; above that it may differ by one nano,
    far from a cent.
    """
    a = decode(arr)
    if required and a.null_count:
        bad.add(a.is_null(), column, a, "missing amount")
    elif a.null_count == len(a):  # a column the bill does not use (most SP/RI ones)
        return np.zeros(len(a), dtype=np.int64)
    if pa.types.is_decimal(a.type):
        too_big = pc.fill_null(pc.greater_equal(pc.abs(pc.cast(a, pa.float64())), 9.2e9), False)
        if too_big.true_count:
            bad.add(too_big, column, a, "{value} is beyond the store's ±$9.2 billion per line")
            a = pc.if_else(too_big, pa.scalar(0, pa.int64()).cast(a.type), a)
        return decimal_to_nanos(a)
    values = a.to_numpy(zero_copy_only=False).astype(np.float64, copy=False)
    if not values.flags.writeable:  # a view of Arrow's buffer: changed in place below
        values = values.copy()
    if a.null_count or not np.isfinite(values.min(initial=0.0) + values.max(initial=0.0)):
        np.nan_to_num(values, copy=False, nan=0.0, posinf=0.0, neginf=0.0)
    if values.max(initial=0.0) >= 9.2e9 or values.min(initial=0.0) <= -9.2e9:
        too_big = np.abs(values) >= 9.2e9
        bad.add(too_big, column, a, "{value} is beyond the store's ±$9.2 billion per line")
        values[too_big] = 0.0
    values *= 1e9  # in place: one array per column, not five
    return np.rint(values, out=values).astype(np.int64)


def text_to_day(arr: pa.Array, column: str, bad: BadRows, *, required: bool = True) -> np.ndarray:
    """Return the UTC day (days since 1970-01-01) of ISO-8601 timestamps given as text.

    Accepts ``2024-09-01T00:00:00Z``, zone-less ``2024-09-01 00:00:00`` (taken as
    UTC, as real FOCUS exports write it) and plain dates. Other offsets are
    converted to UTC. ``5/1/25``-style dates are refused: month and day order
    cannot be known.
    """
    text = clean_text(arr)
    empty = pc.equal(text, "")
    iso_utc = pc.match_substring_regex(text, _TIMESTAMP_RE)
    out = np.zeros(len(text), dtype=np.int32)
    slash = pc.match_substring_regex(text, r"^\d{1,2}/\d{1,2}/\d{2,4}")
    bad.add(
        slash,
        column,
        text,
        "{value!r} is a spreadsheet-style date; export ISO 8601 (YYYY-MM-DDTHH:MM:SSZ)",
    )
    if required:
        bad.add(empty, column, text, "missing timestamp")
    other = pc.and_(pc.invert(iso_utc), pc.invert(empty))
    # Timestamps with a real offset: convert row by row (rare in practice).
    for i in np.flatnonzero(pc.fill_null(other, False).to_numpy(zero_copy_only=False)).tolist():
        value = text[i].as_py()
        try:
            if bad.bad[i]:
                continue
            ts = datetime.fromisoformat(value.replace("Z", "+00:00"))
            if ts.tzinfo is None:
                ts = ts.replace(tzinfo=UTC)
            out[i] = (ts.astimezone(UTC).date() - _EPOCH).days
        except ValueError:
            bad.mark(i, column, text, "{value!r} is not an ISO 8601 timestamp")
    date_part = pc.utf8_slice_codeunits(pc.if_else(iso_utc, text, pa.scalar("1970-01-01")), 0, 10)
    try:
        dates = pc.cast(date_part, pa.date32())
    except pa.ArrowInvalid:
        # An impossible calendar date such as 2024-02-30: find it row by row.
        dates_list = []
        for j, v in enumerate(date_part.to_pylist()):
            try:
                dates_list.append(date.fromisoformat(v))
            except ValueError:
                bad.mark(j, column, text, "{value!r} is not a calendar date")
                dates_list.append(_EPOCH)
        dates = pa.array(dates_list, pa.date32())
    days = pc.cast(dates, pa.int32()).to_numpy(zero_copy_only=False)
    mask = iso_utc.to_numpy(zero_copy_only=False).astype(bool)
    out[mask] = days[mask]
    return out


def timestamp_to_day(arr: pa.Array | pa.ChunkedArray, column: str, bad: BadRows) -> np.ndarray:
    """Return the UTC day number of a timestamp column (zone-less means UTC); nulls are bad rows."""
    a = decode(arr)
    if a.null_count:
        bad.add(a.is_null(), column, a, "missing timestamp")
        a = pc.fill_null(a, pa.scalar(0, a.type))
    if pa.types.is_timestamp(a.type):
        if a.type.tz is not None and a.type.tz not in ("UTC", "utc", "+00:00", "Z"):
            a = pc.cast(a, pa.timestamp(a.type.unit, tz="UTC"))
        a = pc.cast(pc.cast(a, pa.timestamp(a.type.unit)), pa.date32())
    elif pa.types.is_date(a.type):
        a = pc.cast(a, pa.date32())
    else:
        raise IngestError(f"expected a timestamp column, found {a.type}")
    return pc.cast(a, pa.int32()).to_numpy(zero_copy_only=False)


def period_from_day(days: np.ndarray) -> pa.DictionaryArray:
    """Return ``YYYY-MM`` (billing periods are calendar months) for day numbers."""
    if len(days) == 0:
        return constant("", 0)
    lo = int(days.min())
    span = np.arange(lo, int(days.max()) + 1).astype("datetime64[D]").astype("datetime64[M]")
    labels, by_day = np.unique(span, return_inverse=True)
    codes = by_day.astype(np.int32)[days - lo]
    return pa.DictionaryArray.from_arrays(pa.array(codes), pa.array([str(m) for m in labels]))


def as_dictionary(arr: pa.Array | pa.ChunkedArray) -> pa.DictionaryArray:
    """Return ``arr`` dictionary-encoded (as read from Parquet, or encoded here)."""
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks() if arr.num_chunks != 1 else arr.chunk(0)
    return arr if pa.types.is_dictionary(arr.type) else pc.dictionary_encode(arr)


def text_to_period(arr: pa.Array, column: str, bad: BadRows) -> pa.DictionaryArray:
    """Return the billing period ``YYYY-MM`` of a billing-period start given as text.

    The month is read as written, never shifted through UTC: a start of
    ``2024-10-01T00:00:00+02:00`` is October's bill. Each distinct value is
    checked once (a file holds a handful).
    """
    text = clean_strings(arr)
    values = text.dictionary.to_pylist()
    periods: list[str] = []
    problems: dict[str, str] = {}
    for v in values:
        if not v:
            problems[v] = "missing billing period start"
        elif re.match(r"^\d{1,2}/\d{1,2}/\d{2,4}", v):
            problems[v] = "{value!r} is a spreadsheet-style date; export ISO 8601"
        elif not re.match(_ISO_ANY_ZONE_RE, v):
            problems[v] = "{value!r} is not an ISO 8601 timestamp"
        else:
            try:
                date.fromisoformat(v[:10])
            except ValueError:
                problems[v] = "{value!r} is not a calendar date"
        periods.append(v[:7] if v not in problems else "")
    codes = text.indices.to_numpy(zero_copy_only=False)
    for i, v in enumerate(values):
        if v in problems:
            bad.add(codes == i, column, decode(text), problems[v])
    return pa.DictionaryArray.from_arrays(text.indices, pa.array(periods, pa.string()))


def map_to_tag_columns(tags: pa.Array | pa.ChunkedArray) -> dict[str, pa.DictionaryArray]:
    """Spread a ``map<string,string>`` column into one dictionary column per raw key.

    Works on the map's flattened keys and values (one pass, no per-row lookups):
    ``pyarrow.compute.map_lookup`` per key is an order of magnitude slower on
    millions of rows.
    """
    if isinstance(tags, pa.ChunkedArray):
        tags = tags.combine_chunks() if tags.num_chunks != 1 else tags.chunk(0)
    n = len(tags)
    if n == 0:
        return {}
    offsets = tags.offsets.to_numpy(zero_copy_only=False).astype(np.int64)
    lengths = np.diff(offsets)
    start, stop = int(offsets[0]), int(offsets[-1])
    if tags.null_count:
        lengths = np.where(tags.is_null().to_numpy(zero_copy_only=False), 0, lengths)
    rows = np.repeat(np.arange(n, dtype=np.int64), lengths)
    keys_enc = as_dictionary(tags.keys.slice(start, stop - start))
    values_enc = clean_strings(tags.items.slice(start, stop - start))
    key_codes = keys_enc.indices.to_numpy(zero_copy_only=False)
    value_codes = values_enc.indices.to_numpy(zero_copy_only=False)
    if int(lengths.sum()) != stop - start:  # null rows that still own entries: skip those
        first_of_row = np.cumsum(lengths) - lengths
        within = np.arange(len(rows), dtype=np.int64) - np.repeat(first_of_row, lengths)
        positions = offsets[:-1][rows] + within - start
        key_codes, value_codes = key_codes[positions], value_codes[positions]
    names = keys_enc.dictionary.to_pylist()
    # One scatter for all keys: row r's value of key k lands at grid[k, r] (-1: absent).
    grid = np.full((len(names), n), -1, dtype=np.int32)
    grid[key_codes, rows] = value_codes
    out: dict[str, pa.DictionaryArray] = {}
    for k, key in enumerate(names):
        if key is None:
            continue
        codes = grid[k]
        indices = pa.array(codes, mask=codes < 0)
        out[key] = pa.DictionaryArray.from_arrays(indices, values_enc.dictionary)
    return out


def normalise_enum(
    arr: pa.Array | pa.ChunkedArray,
    allowed: Sequence[str],
    column: str,
    bad: BadRows,
    report: ReadReport,
    *,
    required: bool,
) -> pa.DictionaryArray:
    """Map values case-insensitively onto the allowed spellings; unknown values are bad rows."""
    text = clean_strings(arr)
    lookup = {a.lower(): a for a in allowed}
    unknown: set[str] = set()

    def canon(v: str) -> str:
        found = lookup.get(v.lower().replace(" ", "").replace("-", ""), lookup.get(v.lower()))
        if found is None:
            if v == "" and not required:
                return ""
            unknown.add(v)
            return ""
        if found != v and v:
            report.note(f"{column}: {v!r} read as {found!r}")
        return found

    out = map_values(text, canon)
    if unknown:
        reason = (
            f"missing {column}"
            if unknown == {""}
            else "{value!r} is not one of " + ", ".join(allowed)
        )
        bad.add(value_mask(text, lambda v: v in unknown), column, decode(text), reason)
    return out


def tag_columns(tags: dict[str, pa.Array]) -> dict[str, pa.Array]:
    """Prefix canonical tag columns for a batch table."""
    return {TAG_PREFIX + k: v for k, v in tags.items()}


def missing_columns_error(
    file: str, fmt: str, missing: Sequence[str], expected: Sequence[str]
) -> IngestError:
    """Build the error for a file lacking required columns, naming what is expected."""
    return IngestError(
        f"{file}: looks like {fmt} but lacks required column(s) {', '.join(missing)}; "
        f"{fmt} files need at least: {', '.join(expected)}"
    )


def strip_bom(name: str) -> str:
    """Drop a UTF-8 byte-order mark spreadsheets put before the first header."""
    return name.lstrip("\ufeff").strip()
