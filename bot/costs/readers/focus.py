"""FOCUS 1.0, 1.1 and 1.2 exports (CSV, CSV.gz, Parquet).

Column meanings are the FinOps Foundation's (``../shared/specs/focus``):
BilledCost is what the invoice says, EffectiveCost the amortized cost after
commitment discounts, ListCost the public price. The reader accepts the quirks
of real exports (``NULL`` strings, zone-less timestamps, enum casing, JSON
``Tags``) and says what it normalised; spreadsheet-formatted amounts and dates
(``$10,000.00``, ``5/1/25``) are bad rows, never guesses.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from bot.costs.lines import CHARGE_CATEGORIES, PRICING_CATEGORIES
from bot.costs.readers.common import (
    BadRows,
    LineBatch,
    ReadReport,
    clean_strings,
    clean_text,
    constant,
    decimal_text_to_nanos,
    decode,
    float_to_nanos,
    map_to_tag_columns,
    map_values,
    missing_columns_error,
    normalise_enum,
    period_from_day,
    tag_columns,
    text_to_day,
    text_to_period,
    timestamp_to_day,
)
from bot.costs.readers.tabular import read_lines
from bot.costs.tags import canonical_tag_key, merge_tags

REQUIRED = (
    "ChargePeriodStart",
    "BillingPeriodStart",
    "ChargeCategory",
    "BilledCost",
    "EffectiveCost",
)
# canonical column <- FOCUS column(s), first present wins
TEXT_COLUMNS: dict[str, tuple[str, ...]] = {
    "provider": ("ProviderName", "ServiceProviderName", "Provider"),
    "billing_account": ("BillingAccountId",),
    "sub_account": ("SubAccountId",),
    "sub_account_name": ("SubAccountName",),
    "service": ("ServiceName",),
    "service_code": ("x_ServiceCode",),
    "service_category": ("ServiceCategory",),
    "region": ("RegionId", "Region"),
    "resource_id": ("ResourceId",),
    "resource_type": ("ResourceType",),
    "sku": ("x_UsageType", "SkuMeter", "SkuId"),
    "currency": ("BillingCurrency",),
}
# What a missing or empty column means (said in the ingest report).
DEFAULTS = {"provider": "unknown", "billing_account": "unknown", "currency": "USD"}
FOCUS_COLUMNS = (
    *REQUIRED,
    "ListCost",
    "PricingCategory",
    "Tags",
    *(c for cols in TEXT_COLUMNS.values() for c in cols),
)


def focus_version(columns: list[str]) -> str:
    """Guess the FOCUS version from the columns each version introduced."""
    cols = set(columns)
    if cols & {"InvoiceId", "PricingCurrency", "BillingAccountType", "SubAccountType"}:
        return "1.2"
    if cols & {
        "ServiceSubcategory",
        "CapacityReservationId",
        "SkuMeter",
        "SkuPriceDetails",
        "CommitmentDiscountQuantity",
        "CommitmentDiscountUnit",
    }:
        return "1.1"
    return "1.0"


def read_focus(
    path: Path,
    display_name: str,
    report: ReadReport,
    *,
    strict: bool,
    aliases: Mapping[str, str],
    columns: list[str],
    row_groups: Sequence[int] | None = None,
    row_offset: int = 0,
) -> Iterator[LineBatch]:
    """Yield canonical batches from one FOCUS file (or some of its Parquet row groups)."""
    missing = [c for c in REQUIRED if c not in columns]
    if missing:
        raise missing_columns_error(display_name, "FOCUS", missing, REQUIRED)
    for canon, default in DEFAULTS.items():
        if not any(s in columns for s in TEXT_COLUMNS[canon]):
            report.note(f"no {TEXT_COLUMNS[canon][0]} column: {canon} taken as {default!r}")
    if "ListCost" not in columns:
        report.note("no ListCost column: list cost taken as 0")

    wanted = [c for c in FOCUS_COLUMNS if c in columns]
    yield from read_lines(
        path,
        display_name,
        report,
        strict=strict,
        columns=wanted,
        convert=lambda table, bad: _convert(table, bad, report, aliases),
        row_groups=row_groups,
        row_offset=row_offset,
    )


def _amount(table: pa.Table, name: str, bad: BadRows, *, required: bool) -> np.ndarray:
    if name not in table.column_names:
        return np.zeros(table.num_rows, dtype=np.int64)
    col = table.column(name)
    if pa.types.is_string(col.type) or pa.types.is_dictionary(col.type):
        return decimal_text_to_nanos(col.combine_chunks(), name, bad, required=required)
    return float_to_nanos(col, name, bad, required=required)


def _period(table: pa.Table, name: str, bad: BadRows) -> pa.DictionaryArray:
    col = table.column(name)
    if pa.types.is_timestamp(col.type) or pa.types.is_date(col.type):
        return period_from_day(timestamp_to_day(col, name, bad))
    return text_to_period(col.combine_chunks(), name, bad)


def _day(table: pa.Table, name: str, bad: BadRows) -> np.ndarray:
    col = table.column(name)
    if pa.types.is_timestamp(col.type) or pa.types.is_date(col.type):
        return timestamp_to_day(col, name, bad)
    return text_to_day(col.combine_chunks(), name, bad)


def _convert(
    table: pa.Table, bad: BadRows, report: ReadReport, aliases: Mapping[str, str]
) -> pa.Table:
    n = table.num_rows
    cols: dict[str, pa.Array | np.ndarray] = {}
    cols["day"] = _day(table, "ChargePeriodStart", bad)
    cols["billing_period"] = _period(table, "BillingPeriodStart", bad)
    for canon, sources in TEXT_COLUMNS.items():
        src = next((s for s in sources if s in table.column_names), None)
        default = DEFAULTS.get(canon, "")
        if src is None:
            cols[canon] = constant(default, n)
        elif default:
            column = clean_strings(table.column(src))
            if "" in column.dictionary.to_pylist():
                report.note(f"empty {src} taken as {default!r}")
            cols[canon] = map_values(column, _or(default))
        else:
            cols[canon] = clean_strings(table.column(src))
    cols["charge_category"] = normalise_enum(
        table.column("ChargeCategory"),
        CHARGE_CATEGORIES,
        "ChargeCategory",
        bad,
        report,
        required=True,
    )
    if "PricingCategory" in table.column_names:
        cols["pricing_category"] = normalise_enum(
            table.column("PricingCategory"),
            PRICING_CATEGORIES,
            "PricingCategory",
            bad,
            report,
            required=False,
        )
    else:
        cols["pricing_category"] = constant("", n)
    cols["billed"] = _amount(table, "BilledCost", bad, required=True)
    cols["effective"] = _amount(table, "EffectiveCost", bad, required=True)
    cols["list"] = _amount(table, "ListCost", bad, required=False)
    tags = _tags(table, bad, aliases) if "Tags" in table.column_names else {}
    return pa.table({**cols, **tag_columns(tags)})


def _or(default: str) -> Callable[[str], str]:
    """Return a mapping that replaces empty text with ``default``."""
    return lambda value: value or default


def _tags(table: pa.Table, bad: BadRows, aliases: Mapping[str, str]) -> dict[str, pa.Array]:
    """Parse the JSON ``Tags`` column once per distinct value, then spread it per row.

    FOCUS Parquet exports may type ``Tags`` as ``map<string, string>``: that is
    spread key by key without any text round trip.
    """
    column = table.column("Tags")
    if pa.types.is_map(column.type):
        return _map_tags(column, aliases)
    text = clean_text(column)
    enc = pc.dictionary_encode(text)
    parsed: list[dict[str, str] | None] = []
    for raw in enc.dictionary.to_pylist():
        if raw in ("", "{}"):
            parsed.append({})
            continue
        try:
            obj = json.loads(raw)
            if not isinstance(obj, dict):
                raise ValueError
            parsed.append(merge_tags(((str(k), v) for k, v in obj.items()), aliases))
        except ValueError:
            parsed.append(None)
    invalid = [i for i, p in enumerate(parsed) if p is None]
    if invalid:
        mask = pc.is_in(enc.indices, value_set=pa.array(invalid, enc.indices.type))
        bad.add(mask, "Tags", text, "{value!r} is not a JSON object")
    keys = sorted({k for p in parsed if p for k in p})
    out: dict[str, pa.Array] = {}
    for key in keys:
        per_value = pa.array([(p or {}).get(key) for p in parsed], pa.string())
        out[key] = pc.take(per_value, enc.indices)
    return out


def _map_tags(column: pa.ChunkedArray, aliases: Mapping[str, str]) -> dict[str, pa.Array]:
    """Spread a map-typed ``Tags`` column into one column per canonical tag key.

    Raw keys that fold to one canonical key (``Team``, ``team``) merge as
    :func:`~bot.costs.tags.merge_tags` does: the first non-empty value in sorted
    raw-key order wins.
    """
    by_key: dict[str, list[pa.Array]] = {}
    for raw, values in sorted(map_to_tag_columns(column).items()):
        by_key.setdefault(canonical_tag_key(raw, aliases), []).append(values)
    out: dict[str, pa.Array] = {}
    for key, columns in by_key.items():
        merged = decode(columns[0])
        for other in columns[1:]:
            missing = pc.fill_null(pc.or_kleene(pc.is_null(merged), pc.equal(merged, "")), True)
            merged = pc.if_else(missing, decode(other), merged)
        out[key] = merged
    return out
