"""AWS Cost and Usage Reports: CUR 2.0 (Data Exports, Parquet or CSV) and legacy CUR CSV.

Both carry the same facts under different names (``line_item_unblended_cost``
vs ``lineItem/UnblendedCost``); one converter serves both. Amounts:

* billed = ``line_item_unblended_cost`` (what the invoice shows, unblended)
* effective = the amortized cost as AWS's Cloud Intelligence Dashboards compute
  it (Savings Plan and RI usage at their effective rates, unused commitment as
  the fee, negations and upfront fees as zero)
* list = ``pricing_public_on_demand_cost``
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from bot.costs.readers.common import (
    BadRows,
    LineBatch,
    Lines,
    ReadReport,
    as_dictionary,
    clean_strings,
    clean_text,
    coalesce_text,
    constant,
    decimal_text_to_nanos,
    decode,
    dictionary_codes,
    float_to_nanos,
    map_to_tag_columns,
    map_values,
    missing_columns_error,
    period_from_day,
    tag_columns,
    text_to_day,
    text_to_period,
    timestamp_to_day,
    value_mask,
)
from bot.costs.readers.distinct import factorize_rows, map_row_codes
from bot.costs.readers.tabular import read_lines
from bot.costs.tags import canonical_tag_key

# canonical name -> (CUR 2.0 column, legacy CUR column)
COLUMNS: dict[str, tuple[str, str]] = {
    "usage_start": ("line_item_usage_start_date", "lineItem/UsageStartDate"),
    "period_start": ("bill_billing_period_start_date", "bill/BillingPeriodStartDate"),
    "payer": ("bill_payer_account_id", "bill/PayerAccountId"),
    "account": ("line_item_usage_account_id", "lineItem/UsageAccountId"),
    "account_name": ("line_item_usage_account_name", "lineItem/UsageAccountName"),
    "product_code": ("line_item_product_code", "lineItem/ProductCode"),
    "product_name": ("product_product_name", "product/ProductName"),
    "region": ("product_region_code", "product/regionCode"),
    "resource_id": ("line_item_resource_id", "lineItem/ResourceId"),
    "instance_type": ("product_instance_type", "product/instanceType"),
    "usage_type": ("line_item_usage_type", "lineItem/UsageType"),
    "line_type": ("line_item_line_item_type", "lineItem/LineItemType"),
    "currency": ("line_item_currency_code", "lineItem/CurrencyCode"),
    "unblended": ("line_item_unblended_cost", "lineItem/UnblendedCost"),
    "public_cost": ("pricing_public_on_demand_cost", "pricing/publicOnDemandCost"),
    "sp_effective": (
        "savings_plan_savings_plan_effective_cost",
        "savingsPlan/SavingsPlanEffectiveCost",
    ),
    "sp_commitment": ("savings_plan_total_commitment_to_date", "savingsPlan/TotalCommitmentToDate"),
    "sp_used": ("savings_plan_used_commitment", "savingsPlan/UsedCommitment"),
    "ri_effective": ("reservation_effective_cost", "reservation/EffectiveCost"),
    "ri_unused_upfront": (
        "reservation_unused_amortized_upfront_fee_for_billing_period",
        "reservation/UnusedAmortizedUpfrontFeeForBillingPeriod",
    ),
    "ri_unused_recurring": ("reservation_unused_recurring_fee", "reservation/UnusedRecurringFee"),
    "ri_arn": ("reservation_reservation_a_r_n", "reservation/ReservationARN"),
    "product_map": ("product", ""),
    "tags_map": ("resource_tags", ""),
}
REQUIRED = ("usage_start", "period_start", "line_type", "unblended")
AMOUNTS = (
    "unblended",
    "public_cost",
    "sp_effective",
    "sp_commitment",
    "sp_used",
    "ri_effective",
    "ri_unused_upfront",
    "ri_unused_recurring",
)

CHARGE_CATEGORY = {
    "Usage": "Usage",
    "DiscountedUsage": "Usage",
    "SavingsPlanCoveredUsage": "Usage",
    "SavingsPlanNegation": "Usage",
    "Fee": "Purchase",
    "RIFee": "Purchase",
    "SavingsPlanRecurringFee": "Purchase",
    "SavingsPlanUpfrontFee": "Purchase",
    "Tax": "Tax",
    "Credit": "Credit",
    "Refund": "Adjustment",
    "BundledDiscount": "Adjustment",
    "Discount": "Adjustment",
    "EdpDiscount": "Adjustment",
    "PrivateRateDiscount": "Adjustment",
    "SppDiscount": "Adjustment",
    "DistributorDiscount": "Adjustment",
}
# Service categories of the FOCUS spec for the AWS product codes seen in AI/GPU bills.
SERVICE_CATEGORY = {
    "AmazonEC2": "Compute",
    "AmazonECS": "Compute",
    "AmazonEKS": "Compute",
    "AWSLambda": "Compute",
    "ComputeSavingsPlans": "Compute",
    "SavingsPlans": "Compute",
    "AmazonSageMaker": "AI and Machine Learning",
    "AmazonBedrock": "AI and Machine Learning",
    "AmazonS3": "Storage",
    "AmazonEFS": "Storage",
    "AmazonFSx": "Storage",
    "AWSDataTransfer": "Networking",
    "AmazonVPC": "Networking",
    "AmazonCloudFront": "Networking",
    "AmazonCloudWatch": "Management and Governance",
    "AWSCloudTrail": "Management and Governance",
    "AmazonRDS": "Databases",
    "AmazonDynamoDB": "Databases",
    "AmazonAthena": "Analytics",
    "AWSGlue": "Analytics",
    "AWSSupportBusiness": "Other",
    "AWSSupportEnterprise": "Other",
}


def is_cur2(columns: list[str]) -> bool:
    """Tell a CUR 2.0 file by its snake_case line item columns."""
    return "line_item_unblended_cost" in columns


def is_legacy_cur(columns: list[str]) -> bool:
    """Tell a legacy CUR file by its ``lineItem/...`` headers."""
    return "lineItem/UnblendedCost" in columns


def read_cur(
    path: Path,
    display_name: str,
    report: ReadReport,
    *,
    strict: bool,
    aliases: Mapping[str, str],
    columns: list[str],
    legacy: bool,
    row_groups: Sequence[int] | None = None,
    row_offset: int = 0,
) -> Iterator[LineBatch]:
    """Yield canonical batches from a CUR 2.0 or legacy CUR file."""
    pick = 1 if legacy else 0
    names = {k: v[pick] for k, v in COLUMNS.items() if v[pick]}
    missing = [names[k] for k in REQUIRED if names[k] not in columns]
    fmt = "legacy CUR" if legacy else "CUR 2.0"
    if missing:
        raise missing_columns_error(display_name, fmt, missing, [names[k] for k in REQUIRED])
    tag_cols = [c for c in columns if c.startswith(("resourceTags/", "resource_tags_"))]
    wanted = [c for c in names.values() if c in columns] + tag_cols
    yield from read_lines(
        path,
        display_name,
        report,
        strict=strict,
        columns=wanted,
        convert=lambda table, bad: _convert(table, names, tag_cols, bad, report, aliases),
        row_groups=row_groups,
        row_offset=row_offset,
    )


def _col(table: pa.Table, names: Mapping[str, str], key: str) -> pa.ChunkedArray | None:
    name = names.get(key)
    # the schema's field indices, not ``in table.column_names``: that builds the list of names
    # at every call (35 us; a batch asks about two dozen columns, several times)
    return table.column(name) if name and table.schema.get_all_field_indices(name) else None


def _text(table: pa.Table, names: Mapping[str, str], key: str) -> pa.DictionaryArray:
    col = _col(table, names, key)
    if col is None:
        return constant("", table.num_rows)
    return clean_strings(col)


def _nanos(table: pa.Table, names: Mapping[str, str], key: str, bad: BadRows) -> np.ndarray:
    col = _col(table, names, key)
    if col is None:
        return np.zeros(table.num_rows, dtype=np.int64)
    if pa.types.is_string(col.type) or pa.types.is_dictionary(col.type):
        return decimal_text_to_nanos(decode(col), names[key], bad, required=key == "unblended")
    return float_to_nanos(col, names[key], bad, required=key == "unblended")


def _period(table: pa.Table, names: Mapping[str, str], bad: BadRows) -> pa.DictionaryArray:
    col = table.column(names["period_start"])
    if pa.types.is_timestamp(col.type) or pa.types.is_date(col.type):
        return period_from_day(timestamp_to_day(col, names["period_start"], bad))
    return text_to_period(decode(col), names["period_start"], bad)


def _day(table: pa.Table, names: Mapping[str, str], key: str, bad: BadRows) -> np.ndarray:
    col = table.column(names[key])
    if pa.types.is_timestamp(col.type) or pa.types.is_date(col.type):
        return timestamp_to_day(col, names[key], bad)
    return text_to_day(decode(col), names[key], bad)


# The raw columns a line's dimensions are made from, besides its billing period and tags:
# lines that agree on all of them (a resource's usage type, day after day) get the same
# dimensions, so those are made once per distinct combination, not once per line.
DIMENSION_SOURCES = (
    "payer",
    "account",
    "account_name",
    "product_code",
    "product_name",
    "region",
    "resource_id",
    "instance_type",
    "usage_type",
    "line_type",
    "currency",
)


def _convert(
    table: pa.Table,
    names: Mapping[str, str],
    tag_cols: list[str],
    bad: BadRows,
    report: ReadReport,
    aliases: Mapping[str, str],
) -> LineBatch:
    """Convert raw CUR lines to a compact batch.

    What differs line by line (amounts, the day, the billing period, bad rows)
    is computed per line; the dimensions once per distinct combination of the
    raw columns they come from (:func:`_dimensions`).
    """
    line_type = _text(table, names, "line_type")
    amounts = {k: _nanos(table, names, k, bad) for k in AMOUNTS}
    unknown = {v for v in line_type.dictionary.to_pylist() if v not in CHARGE_CATEGORY}
    if unknown:
        bad.add(
            value_mask(line_type, lambda v: v in unknown),
            names["line_type"],
            decode(line_type),
            "unknown line item type {value!r}",
        )
    effective = _effective(table, names, line_type, amounts)
    day = _day(table, names, "usage_start", bad)
    period = _period(table, names, bad)
    row_of, first = _distinct_sources(table, names, tag_cols, period)
    taken = pa.array(first)
    present = set(table.column_names)
    sources = [
        c
        for c in (
            *(names.get(k, "") for k in (*DIMENSION_SOURCES, "product_map", "tags_map")),
            *tag_cols,
        )
        if c and c in present
    ]
    distinct_bad = BadRows(len(first), bad.file, 0)
    dimensions = _dimensions(
        table.select(sources).take(taken),
        period.take(taken),
        names,
        tag_cols,
        distinct_bad,
        report,
        aliases,
    )
    bad.add_expanded(distinct_bad, row_of)
    return LineBatch(
        dimensions, Lines(row_of, day, amounts["unblended"], effective, amounts["public_cost"])
    )


def _distinct_sources(
    table: pa.Table, names: Mapping[str, str], tag_cols: list[str], period: pa.DictionaryArray
) -> tuple[np.ndarray, np.ndarray]:
    """Number each line's combination of dimension sources; return the numbers and the
    first line of each (:func:`bot.costs.readers.distinct.factorize_rows`)."""

    def codes() -> Iterator[np.ndarray]:
        yield dictionary_codes(period)
        for key in DIMENSION_SOURCES:
            col = _col(table, names, key)
            if col is not None:
                yield dictionary_codes(as_dictionary(col))
        tags = _col(table, names, "tags_map")
        if tags is not None and pa.types.is_map(tags.type):
            yield from map_row_codes(tags)
        elif tags is not None:
            yield dictionary_codes(as_dictionary(tags))  # CSV: JSON text
        product = _col(table, names, "product_map")
        if (
            product is not None
            and pa.types.is_map(product.type)
            and names["region"] not in table.column_names
        ):
            yield from map_row_codes(product)  # each line's region comes from its map then
        for col_name in tag_cols:
            yield dictionary_codes(as_dictionary(table.column(col_name)))

    return factorize_rows(codes())


# How a line item type's effective (amortized) cost is made; other types: the unblended cost.
_EFFECTIVE_KINDS = {
    "SavingsPlanCoveredUsage": 1,  # the Savings Plan's effective cost
    "SavingsPlanRecurringFee": 2,  # the unused commitment
    "SavingsPlanNegation": 3,  # zero: the covered usage carries the cost
    "SavingsPlanUpfrontFee": 3,
    "DiscountedUsage": 4,  # the reservation's effective cost
    "RIFee": 5,  # the unused reservation
    "Fee": 6,  # zero when it is a reservation's upfront fee (amortized instead)
}


def _effective(
    table: pa.Table,
    names: Mapping[str, str],
    line_type: pa.DictionaryArray,
    amounts: Mapping[str, np.ndarray],
) -> np.ndarray:
    """Return each line's effective (amortized) cost in nano-units, by its line item type.

    The type is looked up once per distinct value; lines are touched only for the
    kinds the batch holds (most bills: usage and Savings Plan covered usage).
    """
    kinds = np.array(
        [*(_EFFECTIVE_KINDS.get(v or "", 0) for v in line_type.dictionary.to_pylist()), 0],
        dtype=np.int8,
    )[dictionary_codes(line_type)]  # a null type (code -1) reads the trailing 0
    out = amounts["unblended"].copy()
    for kind in np.unique(kinds).tolist():
        if kind == 0:
            continue
        rows = kinds == kind
        if kind == 1:
            out[rows] = amounts["sp_effective"][rows]
        elif kind == 2:
            out[rows] = (amounts["sp_commitment"] - amounts["sp_used"])[rows]
        elif kind == 3:
            out[rows] = 0
        elif kind == 4:
            out[rows] = amounts["ri_effective"][rows]
        elif kind == 5:
            out[rows] = (amounts["ri_unused_upfront"] + amounts["ri_unused_recurring"])[rows]
        else:  # a fee: a reservation's upfront fee is amortized, so zero here
            arn = value_mask(_text(table, names, "ri_arn"), lambda v: v != "")
            out[rows & arn] = 0
    return out


def _dimensions(
    table: pa.Table,
    period: pa.DictionaryArray,
    names: Mapping[str, str],
    tag_cols: list[str],
    bad: BadRows,
    report: ReadReport,
    aliases: Mapping[str, str],
) -> pa.Table:
    """Make the canonical dimension columns (and tags) of distinct source combinations."""
    n = table.num_rows
    line_type = _text(table, names, "line_type")
    charge_category = map_values(line_type, lambda v: CHARGE_CATEGORY.get(v, ""))
    usage_type = _text(table, names, "usage_type")

    def is_type(*kinds: str) -> np.ndarray:
        return value_mask(line_type, lambda v: v in kinds)

    covered = is_type("SavingsPlanCoveredUsage", "DiscountedUsage", "SavingsPlanNegation")
    spot = value_mask(usage_type, lambda v: "SpotUsage" in v)
    # FOCUS: usage at the public rate and purchases (fees, commitments) are Standard.
    plain = is_type("Usage", "Fee", "RIFee", "SavingsPlanRecurringFee", "SavingsPlanUpfrontFee")
    pricing_codes = np.where(covered, 1, np.where(spot, 2, np.where(plain, 3, 0))).astype(np.int32)
    pricing = pa.DictionaryArray.from_arrays(
        pa.array(pricing_codes), pa.array(["", "Committed", "Dynamic", "Standard"])
    )

    product_code = _text(table, names, "product_code")
    service = _text(table, names, "product_name")
    region = _text(table, names, "region")
    product_map = _col(table, names, "product_map")
    if product_map is not None and pa.types.is_map(product_map.type):
        service = coalesce_text(service, _product_names(product_code, product_map))
        if names["region"] not in table.column_names:
            product = map_to_tag_columns(product_map)
            if "region_code" in product:
                region = coalesce_text(region, clean_strings(product["region_code"]))
    service = coalesce_text(service, product_code)
    category = map_values(product_code, lambda v: SERVICE_CATEGORY.get(v, "Other"))
    if names.get("currency") not in table.column_names:
        report.note("no currency column: amounts taken as USD")
    currency = map_values(_text(table, names, "currency"), lambda v: v or "USD")

    cols: dict[str, pa.Array] = {
        "billing_period": period,
        "provider": constant("AWS", n),
        "billing_account": _text(table, names, "payer"),
        "sub_account": _text(table, names, "account"),
        "sub_account_name": _text(table, names, "account_name"),
        "service": service,
        "service_code": product_code,
        "service_category": category,
        "region": region,
        "resource_id": _text(table, names, "resource_id"),
        "resource_type": _text(table, names, "instance_type"),
        "sku": usage_type,
        "charge_category": charge_category,
        "pricing_category": pricing,
        "currency": currency,
    }
    return pa.table({**cols, **tag_columns(_tags(table, names, tag_cols, bad, aliases))})


def _product_names(
    product_code: pa.DictionaryArray, product_map: pa.ChunkedArray
) -> pa.DictionaryArray:
    """Name each product code from ``product['product_name']`` of its first line.

    A product's name depends only on its code, so reading the map for one line per
    code (instead of for millions of lines) gives the same column.
    """
    codes = product_code.indices.to_numpy(zero_copy_only=False)
    first_row = np.full(len(product_code.dictionary), -1, dtype=np.int64)
    first_row[codes[::-1]] = np.arange(len(codes) - 1, -1, -1)  # first line of each code
    distinct = np.flatnonzero(first_row >= 0)
    sample = map_to_tag_columns(product_map.take(pa.array(first_row[distinct])))
    found = sample.get("product_name")
    dictionary = product_code.dictionary.to_pylist()
    named = {
        dictionary[int(code)]: (found[i].as_py() or "") if found is not None else ""
        for i, code in enumerate(distinct)
    }
    return map_values(product_code, lambda code: named.get(code, ""))


def _tags(
    table: pa.Table,
    names: Mapping[str, str],
    tag_cols: list[str],
    bad: BadRows,
    aliases: Mapping[str, str],
) -> dict[str, pa.Array]:
    """Collect tag columns: a CUR 2.0 map (or its JSON text in CSV) or legacy per-key columns."""
    raw: list[tuple[str, pa.Array, bool]] = []
    tags_map = _col(table, names, "tags_map")
    if tags_map is not None and pa.types.is_map(tags_map.type):
        raw.extend((k, v, True) for k, v in map_to_tag_columns(tags_map).items())
    elif tags_map is not None:
        raw.extend(_json_tag_columns(clean_text(tags_map), names["tags_map"], bad))
    for col in tag_cols:
        raw.append((col, clean_strings(table.column(col)), not col.startswith("resourceTags/")))
    by_key: dict[str, list[pa.Array]] = {}
    for key, values, cur2 in sorted(raw, key=lambda r: r[0]):
        canon = canonical_tag_key(key.removeprefix("resource_tags_"), aliases, cur2=cur2)
        by_key.setdefault(canon, []).append(values)
    merged: dict[str, pa.Array] = {}
    for canon, columns in by_key.items():
        merged[canon] = columns[0] if len(columns) == 1 else _first_non_empty(columns)
    return merged


def _first_non_empty(columns: list[pa.Array]) -> pa.Array:
    """Merge columns of one canonical tag: the first non-empty value per row wins."""
    out = as_dictionary(columns[0])
    for col in columns[1:]:
        out = coalesce_text(out, as_dictionary(col))
    return out


def _json_tag_columns(
    text: pa.Array, column: str, bad: BadRows
) -> list[tuple[str, pa.Array, bool]]:
    """Spread CUR 2.0 CSV ``resource_tags`` JSON text into one column per raw key."""
    enc = pc.dictionary_encode(text)
    parsed: list[dict[str, str] | None] = []
    for raw in enc.dictionary.to_pylist():
        try:
            obj = json.loads(raw) if raw not in ("", "{}") else {}
            parsed.append(
                {str(k): str(v) for k, v in obj.items() if v is not None}
                if isinstance(obj, dict)
                else None
            )
        except ValueError:
            parsed.append(None)
    invalid = [i for i, p in enumerate(parsed) if p is None]
    if invalid:
        mask = pc.is_in(enc.indices, value_set=pa.array(invalid, enc.indices.type))
        bad.add(mask, column, text, "{value!r} is not a JSON object")
    keys = sorted({k for p in parsed if p for k in p})
    return [
        (
            k,
            pc.take(pa.array([(p or {}).get(k, "") for p in parsed], pa.string()), enc.indices),
            True,
        )
        for k in keys
    ]
