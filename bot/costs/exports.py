"""Write a canonical line-item table as the export files AWS and FOCUS deliver.

Ingestion has to be tested against the formats users actually have, so these
writers produce real files from the canonical "truth" (see :mod:`bot.costs.sample`):

* :func:`write_focus` – FOCUS 1.0 / 1.1 / 1.2 as CSV, CSV.gz or Parquet, with
  only the columns the chosen version has, and optionally the quirks of real
  exports (``NULL`` strings, zone-less timestamps, lower-case enum values).
* :func:`write_cur2` – AWS CUR 2.0 (Data Exports) Parquet, vectorised for the
  benchmark's 7.3 M lines: row groups of about a million rows, one or more files
  per billing period.
* :func:`write_cur_legacy` – the legacy CUR CSV with ``lineItem/...`` headers
  and one ``resourceTags/user:<key>`` column per tag key.

Amounts are exact everywhere but in CUR 2.0, where AWS itself writes doubles:
there a nano amount ``n`` is written as ``n / 1e9`` and ``round(x * 1e9)``
gives ``n`` back for any line below about $9 million.

The canonical schema has no charge period end and no usage quantity, so the
writers derive the end as ``charge_start`` + the table's granularity (an hour if
any line starts off midnight, else a day) and leave quantities empty.
"""

from __future__ import annotations

import base64
import functools
import gzip
import hashlib
import json
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from bot.costs.lines import LINE_SCHEMA

HOUR_US = 3_600_000_000
DAY_US = 24 * HOUR_US
NANOS = 1_000_000_000
ROW_GROUP_ROWS = 1 << 20
FOCUS_VERSIONS = ("1.0", "1.1", "1.2")
FOCUS_FORMATS = ("csv", "csv.gz", "parquet")
FOCUS_DECIMAL = pa.decimal128(38, 10)
SAVINGS_PLAN_CODE = "ComputeSavingsPlans"

REGION_NAMES = {
    "us-east-1": "US East (N. Virginia)",
    "us-east-2": "US East (Ohio)",
    "us-west-1": "US West (N. California)",
    "us-west-2": "US West (Oregon)",
    "ca-central-1": "Canada (Central)",
    "eu-west-1": "Europe (Ireland)",
    "eu-west-2": "Europe (London)",
    "eu-central-1": "Europe (Frankfurt)",
    "eu-north-1": "Europe (Stockholm)",
    "ap-northeast-1": "Asia Pacific (Tokyo)",
    "ap-southeast-1": "Asia Pacific (Singapore)",
    "ap-southeast-2": "Asia Pacific (Sydney)",
    "ap-south-1": "Asia Pacific (Mumbai)",
    "sa-east-1": "South America (Sao Paulo)",
}


# --- small vectorised helpers -------------------------------------------------------------


def _combined(col: pa.Array | pa.ChunkedArray) -> pa.Array:
    """Return one contiguous array (a table slice may be chunked)."""
    if isinstance(col, pa.ChunkedArray):
        return col.combine_chunks() if col.num_chunks != 1 else col.chunk(0)
    return col


def _text(col: pa.Array | pa.ChunkedArray) -> pa.Array:
    """Return plain strings with nulls as empty text."""
    arr = _combined(col)
    if pa.types.is_dictionary(arr.type):
        arr = arr.cast(arr.type.value_type)
    return pc.fill_null(arr, "")


def _ints(col: pa.Array | pa.ChunkedArray) -> np.ndarray:
    """Return an int64 column as numpy (nulls as 0)."""
    return np.asarray(pc.fill_null(_combined(col), 0).to_numpy(zero_copy_only=False), np.int64)


def _micros(col: pa.Array | pa.ChunkedArray) -> np.ndarray:
    """Return a timestamp column as int64 microseconds since the epoch (UTC)."""
    arr = _combined(col)
    arr = arr.cast(pa.timestamp("us", tz=arr.type.tz)).cast(pa.int64())
    return np.asarray(arr.to_numpy(zero_copy_only=False), np.int64)


def _is(arr: pa.Array, value: str) -> np.ndarray:
    """Return a numpy mask of the rows equal to ``value``."""
    return np.asarray(pc.equal(arr, value).to_numpy(zero_copy_only=False), bool)


def _null_if_empty(arr: pa.Array) -> pa.Array:
    """Turn empty text into nulls (exports leave unknown values empty, not blank)."""
    return pc.if_else(pc.equal(arr, ""), pa.scalar(None, pa.string()), arr)


def _codes(arr: pa.Array) -> tuple[np.ndarray, int]:
    """Dictionary-encode an array; return its codes and the number of distinct values."""
    enc = pc.dictionary_encode(arr)
    indices = pc.fill_null(enc.indices, -1).to_numpy(zero_copy_only=False)
    return np.asarray(indices, np.int64) + 1, len(enc.dictionary) + 1


def unique_rows(*columns: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """Group rows by the values of ``columns``; return (group per row, first row per group)."""
    key = np.zeros(len(columns[0]), dtype=np.int64)
    bound = 1
    for col in columns:
        codes, count = _codes(col)
        if bound * count >= 1 << 62:  # renumber before the combined key could overflow
            _, key = np.unique(key, return_inverse=True)
            key, bound = key.ravel().astype(np.int64), int(key.max(initial=0)) + 1
        key = key * count + codes
        bound *= count
    _, first, inverse = np.unique(key, return_index=True, return_inverse=True)
    return inverse.ravel(), first


def per_group(
    columns: Sequence[pa.Array],
    make: Callable[..., object],
    type_: pa.DataType,
    *,
    dictionary: bool = False,
) -> pa.Array:
    """Compute ``make(*values)`` once per distinct combination of ``columns``, then per row.

    Billing columns repeat a few values millions of times: descriptions, ids
    and maps are built per distinct combination and taken per row, or with
    ``dictionary`` kept dictionary-encoded (Parquet stores them so anyway).
    """
    if len(columns[0]) == 0:
        return pa.array([], type_)
    inverse, first = unique_rows(*columns)
    firsts = [c.take(pa.array(first)).to_pylist() for c in columns]
    values = pa.array([make(*row) for row in zip(*firsts, strict=True)], type_)
    if dictionary:
        return pa.DictionaryArray.from_arrays(pa.array(inverse, pa.int32()), values)
    return values.take(pa.array(inverse))


def constant(value: str, n: int) -> pa.DictionaryArray:
    """Return ``n`` times ``value`` as a dictionary array (four bytes a row)."""
    return pa.DictionaryArray.from_arrays(
        pa.array(np.zeros(n, dtype=np.int32)), pa.array([value], pa.string())
    )


@functools.lru_cache(maxsize=1 << 17)
def stable_id(*parts: object, length: int = 26) -> str:
    """Return a deterministic base32 id for ``parts`` (AWS line item ids look like this).

    Cached: a bench org's resources recur in every slice.
    """
    digest = hashlib.blake2b("\x1f".join(map(str, parts)).encode(), digest_size=20).digest()
    return base64.b32encode(digest).decode()[:length].lower()


def _time_labels(micros: np.ndarray, quirks: bool) -> list[str]:
    text = np.datetime_as_string(micros.astype("datetime64[us]").astype("datetime64[s]"))
    return [t.replace("T", " ") if quirks else t + "Z" for t in text.tolist()]


def format_times(micros: np.ndarray, *, quirks: bool = False) -> pa.Array:
    """Render timestamps as ``2024-09-01T00:00:00Z`` (or ``2024-09-01 00:00:00`` with quirks)."""
    if len(micros) == 0:
        return pa.array([], pa.string())
    uniq, inverse = np.unique(micros, return_inverse=True)
    return pa.array(_time_labels(uniq, quirks), pa.string()).take(pa.array(inverse.ravel()))


def time_intervals(starts: np.ndarray, step_us: int) -> pa.DictionaryArray:
    """Return CUR's ``identity_time_interval`` (``start/end``), dictionary-encoded."""
    uniq, inverse = np.unique(starts, return_inverse=True)
    ends = _time_labels(uniq + step_us, False)
    labels = [f"{a}/{b}" for a, b in zip(_time_labels(uniq, False), ends, strict=True)]
    return pa.DictionaryArray.from_arrays(
        pa.array(inverse.ravel(), pa.int32()), pa.array(labels, pa.string())
    )


def decimal_texts(nanos: np.ndarray, valid: np.ndarray | None = None) -> pa.Array:
    """Render nano amounts as exact plain decimals: ``1234.50``, ``0.000000123``, ``-2.00``.

    Same digits as :func:`bot.money.decimal_text` (cents kept, further trailing
    zeros dropped), computed for millions of rows without a Python loop.
    """
    magnitude = np.abs(nanos)
    whole = pc.cast(pa.array(magnitude // NANOS), pa.string())
    frac = pc.utf8_lpad(pc.cast(pa.array(magnitude % NANOS), pa.string()), 9, "0")
    text = pc.binary_join_element_wise(whole, frac, ".")
    text = pc.replace_substring_regex(text, r"^(\d+\.\d\d\d*?)0+$", r"\1")
    signed = pc.binary_join_element_wise(pa.scalar("-"), text, "")
    text = pc.if_else(pa.array(nanos < 0), signed, text)
    if valid is not None:
        text = pc.if_else(pa.array(valid), text, pa.scalar(None, pa.string()))
    return text


def decimals(nanos: np.ndarray, type_: pa.DataType = FOCUS_DECIMAL) -> pa.Array:
    """Return nano amounts as an exact decimal128 array (built from the integers, no floats)."""
    words = np.empty(2 * len(nanos), dtype=np.int64)
    words[0::2] = nanos
    words[1::2] = np.where(nanos < 0, -1, 0)
    exact = pa.Array.from_buffers(pa.decimal128(38, 9), len(nanos), [None, pa.py_buffer(words)])
    return exact.cast(type_)


def doubles(nanos: np.ndarray, valid: np.ndarray | None = None) -> pa.Array:
    """Return nano amounts as doubles in currency units, as AWS writes CUR 2.0 costs."""
    values = nanos / 1e9
    return pa.array(values, pa.float64(), mask=None if valid is None else ~valid)


def _mix(x: np.ndarray) -> np.ndarray:
    """Scramble 64-bit integers (splitmix64) so that sums of them identify sets."""
    z = x.astype(np.uint64) + np.uint64(0x9E3779B97F4A7C15)
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


def tag_sets(tags: pa.Array | pa.ChunkedArray) -> tuple[np.ndarray, list[dict[str, str]]]:
    """Find the distinct tag maps of a column; return (set per row, the sets).

    Billing data has millions of rows but few distinct tag sets, so each set is
    rendered once (JSON, CUR 2.0 map, legacy columns) and taken per row. A set is
    identified by the sum of a 64-bit hash of each (key, value) pair, which does
    not depend on the order of the entries.
    """
    arr = _combined(tags)
    n = len(arr)
    entry = pa.struct([pa.field("key", pa.string(), nullable=False), ("value", pa.string())])
    lists = arr.cast(pa.list_(entry))
    lengths = np.asarray(pc.fill_null(pc.list_value_length(lists), 0).to_numpy(), np.int64)
    flat = pc.list_flatten(lists)
    keys, values = flat.field("key"), pc.fill_null(flat.field("value"), "")
    key_codes, _ = _codes(keys)
    value_codes, n_values = _codes(values)
    pair_hash = _mix(key_codes * n_values + value_codes)
    signature = np.zeros(n, dtype=np.uint64)
    nonempty = lengths > 0
    offsets = np.concatenate([[0], np.cumsum(lengths)])
    if nonempty.any():
        signature[nonempty] = np.add.reduceat(pair_hash, offsets[:-1][nonempty])
    _, first, inverse = np.unique(signature, return_index=True, return_inverse=True)
    picked = [np.arange(offsets[i], offsets[i + 1]) for i in first.tolist()]
    entries = pa.array(np.concatenate(picked) if picked else np.zeros(0, np.int64))
    key_list, value_list = keys.take(entries).to_pylist(), values.take(entries).to_pylist()
    sets, at = [], 0
    for rows in picked:
        end = at + len(rows)
        sets.append(dict(zip(key_list[at:end], value_list[at:end], strict=True)))
        at = end
    return inverse.ravel(), sets


def _granularity_us(starts: np.ndarray, granularity: str | None) -> int:
    """Return the length of a charge period: given, or an hour if any line starts off midnight."""
    if granularity is not None:
        if granularity not in ("hourly", "daily"):
            raise ValueError(f"granularity must be 'hourly' or 'daily', not {granularity!r}")
        return HOUR_US if granularity == "hourly" else DAY_US
    return HOUR_US if len(starts) and bool((starts % DAY_US != 0).any()) else DAY_US


def _period_bounds(periods: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """Return billing period start and end (microseconds) for ``YYYY-MM`` labels."""
    enc = pc.dictionary_encode(periods)
    labels = enc.dictionary.to_pylist()
    months = np.array([np.datetime64(p or "1970-01", "M") for p in labels], "datetime64[M]")
    first = months.astype("datetime64[us]").astype(np.int64)
    nxt = (months + 1).astype("datetime64[us]").astype(np.int64)
    idx = np.asarray(enc.indices.to_numpy(zero_copy_only=False), np.int64)
    return first[idx], nxt[idx]


def _line_ids(*columns: pa.Array, dictionary: bool = False) -> pa.Array:
    """Return a stable id per distinct combination of ``columns`` (account, resource, …)."""
    return per_group(columns, stable_id, pa.string(), dictionary=dictionary)


# --- what the canonical categories become in CUR -----------------------------------------

LINE_TYPES = (
    "Usage",
    "SavingsPlanCoveredUsage",
    "SavingsPlanRecurringFee",
    "Fee",
    "Tax",
    "Credit",
    "Refund",
)


@dataclass
class CurLines:
    """A canonical slice turned into CUR line items (negation lines appended).

    Amount arrays are nano-units; ``*_valid`` masks say where a value exists
    (CUR leaves the Savings Plan columns empty on lines they do not apply to).
    """

    dims: pa.Table  # canonical columns, one row per CUR line
    line_type: pa.Array
    unblended: np.ndarray
    public: np.ndarray
    public_valid: np.ndarray
    sp_effective: np.ndarray
    sp_commitment: np.ndarray
    sp_used: np.ndarray
    sp_effective_valid: np.ndarray
    sp_fee_valid: np.ndarray
    sp_arn: pa.Array
    starts: np.ndarray
    ends: np.ndarray
    step_us: int


def savings_plan_arn(account: str) -> str:
    """Return the ARN of the Compute Savings Plan bought in ``account``.

    The canonical schema does not say which plan covered a line; CUR and FOCUS
    name it, so covered lines get this ARN (the sample's plan fee uses it too).
    """
    return f"arn:aws:savingsplans::{account}:savingsplan/{stable_id('plan', account, length=32)}"


def cur_lines(table: pa.Table, step_us: int) -> CurLines:
    """Map canonical lines to CUR line item types and amounts (see :func:`write_cur2`)."""
    charge = _text(table.column("charge_category"))
    pricing = _text(table.column("pricing_category"))
    code = _text(table.column("service_code"))
    resource = _text(table.column("resource_id"))
    billed = _ints(table.column("billed"))
    effective = _ints(table.column("effective"))
    lst = _ints(table.column("list"))
    usage, purchase = _is(charge, "Usage"), _is(charge, "Purchase")
    covered = usage & _is(pricing, "Committed")
    names_plan = np.asarray(
        pc.match_substring(resource, ":savingsplan/").to_numpy(zero_copy_only=False), bool
    )
    sp_fee = purchase & (_is(code, SAVINGS_PLAN_CODE) | names_plan | (effective != billed))
    tax, credit, adjustment = (_is(charge, c) for c in ("Tax", "Credit", "Adjustment"))
    kind = np.select(
        [covered, usage, sp_fee, purchase, tax, credit, adjustment], [1, 0, 2, 3, 4, 5, 6], -1
    )
    _check_expressible(kind, charge, billed, effective)
    arn = per_group([_text(table.column("billing_account"))], savings_plan_arn, pa.string())
    arn = pc.if_else(pa.array(names_plan), resource, arn)
    arn = pc.if_else(pa.array(covered | sp_fee), arn, pa.scalar("", pa.string()))
    starts = _micros(table.column("charge_start"))
    lines = CurLines(
        dims=table,
        line_type=pa.array(LINE_TYPES, pa.string()).take(pa.array(kind)),
        unblended=np.where(covered, lst, billed),
        public=lst,
        public_valid=np.ones(len(lst), dtype=bool),
        sp_effective=np.where(covered, effective, 0),
        sp_commitment=np.where(sp_fee, billed, 0),
        sp_used=np.where(sp_fee, billed - effective, 0),
        sp_effective_valid=covered,
        sp_fee_valid=sp_fee,
        sp_arn=arn,
        starts=starts,
        ends=starts + step_us,
        step_us=step_us,
    )
    return _with_negations(lines, covered, billed - lst)


def _check_expressible(
    kind: np.ndarray, charge: pa.Array, billed: np.ndarray, effective: np.ndarray
) -> None:
    """Refuse lines CUR cannot carry rather than write amounts that read back differently."""
    unknown = np.flatnonzero(kind < 0)
    if len(unknown):
        value = charge[int(unknown[0])].as_py()
        raise ValueError(f"{len(unknown)} lines have an unknown charge category such as {value!r}")
    plain = np.isin(kind, (0, 3, 4, 5, 6)) & (billed != effective)
    if plain.any():
        raise ValueError(
            f"{int(plain.sum())} lines that are not commitment usage or a commitment fee have "
            "effective != billed; CUR's amortized formula cannot express them"
        )


def _with_negations(lines: CurLines, covered: np.ndarray, negation: np.ndarray) -> CurLines:
    """Append a ``SavingsPlanNegation`` line (billed − on-demand) for each covered line."""
    idx = np.flatnonzero(covered & (negation != 0))
    if len(idx) == 0:
        return lines
    take = pa.array(idx)
    zeros = np.zeros(len(idx), dtype=np.int64)
    no = np.zeros(len(idx), dtype=bool)

    def cat(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return np.concatenate([a, b])

    return CurLines(
        dims=pa.concat_tables([lines.dims, lines.dims.take(take)]),
        line_type=pa.concat_arrays(
            [lines.line_type, pa.array(["SavingsPlanNegation"]).take(pa.array(zeros))]
        ),
        unblended=cat(lines.unblended, negation[idx]),
        public=cat(lines.public, zeros),
        public_valid=cat(lines.public_valid, no),
        sp_effective=cat(lines.sp_effective, zeros),
        sp_commitment=cat(lines.sp_commitment, zeros),
        sp_used=cat(lines.sp_used, zeros),
        sp_effective_valid=cat(lines.sp_effective_valid, no),
        sp_fee_valid=cat(lines.sp_fee_valid, no),
        sp_arn=pa.concat_arrays([lines.sp_arn, lines.sp_arn.take(take)]),
        starts=cat(lines.starts, lines.starts[idx]),
        ends=cat(lines.ends, lines.ends[idx]),
        step_us=lines.step_us,
    )


def _descriptions(line_type: pa.Array, dims: pa.Table, *, dictionary: bool = False) -> pa.Array:
    """Describe each line the way CUR's ``line_item_line_item_description`` does, roughly."""

    def make(line_type: str, service: str, sku: str, rtype: str) -> str:
        what = rtype or sku
        return {
            "Usage": f"{'Spot' if 'SpotUsage' in sku else 'On Demand'} {what} usage",
            "SavingsPlanCoveredUsage": f"Savings Plan covered {what} usage",
            "SavingsPlanNegation": f"SavingsPlanNegation used by UsageSku {sku}",
            "SavingsPlanRecurringFee": "Savings Plan recurring fee",
            "Fee": f"{service} fee",
            "Tax": f"Tax for product {service}",
            "Credit": f"Credit applied to {service}",
        }.get(line_type, f"Refund for {service}")

    columns = [_text(dims.column(c)) for c in ("service", "sku", "resource_type")]
    return per_group([line_type, *columns], make, pa.string(), dictionary=dictionary)


# --- CUR 2.0 -----------------------------------------------------------------------------

_S, _D, _T = pa.string(), pa.float64(), pa.timestamp("ms")
_MAP, _DMAP = pa.map_(pa.string(), pa.string()), pa.map_(pa.string(), pa.float64())
CUR2_COLUMNS: tuple[tuple[str, pa.DataType], ...] = (
    ("bill_bill_type", _S),
    ("bill_billing_entity", _S),
    ("bill_billing_period_end_date", _T),
    ("bill_billing_period_start_date", _T),
    ("bill_invoice_id", _S),
    ("bill_payer_account_id", _S),
    ("bill_payer_account_name", _S),
    ("cost_category", _MAP),
    ("discount", _DMAP),
    ("discount_bundled_discount", _D),
    ("discount_total_discount", _D),
    ("identity_line_item_id", _S),
    ("identity_time_interval", _S),
    ("line_item_availability_zone", _S),
    ("line_item_currency_code", _S),
    ("line_item_legal_entity", _S),
    ("line_item_line_item_description", _S),
    ("line_item_line_item_type", _S),
    ("line_item_operation", _S),
    ("line_item_product_code", _S),
    ("line_item_resource_id", _S),
    ("line_item_iam_principal", _S),
    ("line_item_net_unblended_cost", _D),
    ("line_item_net_unblended_rate", _S),
    ("line_item_unblended_cost", _D),
    ("line_item_unblended_rate", _S),
    ("line_item_usage_account_id", _S),
    ("line_item_usage_account_name", _S),
    ("line_item_usage_amount", _D),
    ("line_item_usage_end_date", _T),
    ("line_item_usage_start_date", _T),
    ("line_item_usage_type", _S),
    ("pricing_lease_contract_length", _S),
    ("pricing_offering_class", _S),
    ("pricing_public_on_demand_cost", _D),
    ("pricing_public_on_demand_rate", _S),
    ("pricing_purchase_option", _S),
    ("pricing_rate_code", _S),
    ("pricing_term", _S),
    ("pricing_unit", _S),
    ("product", _MAP),
    ("product_from_location", _S),
    ("product_instance_type", _S),
    ("product_product_family", _S),
    ("product_region_code", _S),
    ("product_servicecode", _S),
    ("product_sku", _S),
    ("product_to_location", _S),
    ("reservation_amortized_upfront_fee_for_billing_period", _D),
    ("reservation_effective_cost", _D),
    ("reservation_end_time", _S),
    ("reservation_net_amortized_upfront_cost_for_usage", _D),
    ("reservation_net_amortized_upfront_fee_for_billing_period", _D),
    ("reservation_net_effective_cost", _D),
    ("reservation_net_recurring_fee_for_usage", _D),
    ("reservation_net_unused_amortized_upfront_fee_for_billing_period", _D),
    ("reservation_net_unused_recurring_fee", _D),
    ("reservation_net_upfront_value", _D),
    ("reservation_reservation_a_r_n", _S),
    ("reservation_start_time", _S),
    ("reservation_unused_amortized_upfront_fee_for_billing_period", _D),
    ("reservation_unused_recurring_fee", _D),
    ("resource_tags", _MAP),
    ("savings_plan_amortized_upfront_commitment_for_billing_period", _D),
    ("savings_plan_end_time", _S),
    ("savings_plan_net_amortized_upfront_commitment_for_billing_period", _D),
    ("savings_plan_net_recurring_commitment_for_billing_period", _D),
    ("savings_plan_net_savings_plan_effective_cost", _D),
    ("savings_plan_offering_type", _S),
    ("savings_plan_payment_option", _S),
    ("savings_plan_purchase_term", _S),
    ("savings_plan_savings_plan_a_r_n", _S),
    ("savings_plan_savings_plan_effective_cost", _D),
    ("savings_plan_start_time", _S),
    ("savings_plan_total_commitment_to_date", _D),
    ("savings_plan_used_commitment", _D),
    ("split_line_item_parent_resource_id", _S),
    ("split_line_item_reserved_usage", _D),
    ("split_line_item_actual_usage", _D),
    ("split_line_item_split_usage", _D),
    ("split_line_item_split_usage_ratio", _D),
    ("split_line_item_split_cost", _D),
    ("split_line_item_unused_cost", _D),
    ("split_line_item_net_split_cost", _D),
    ("split_line_item_net_unused_cost", _D),
    ("split_line_item_public_on_demand_split_cost", _D),
    ("split_line_item_public_on_demand_unused_cost", _D),
)
CUR2_SCHEMA = pa.schema(list(CUR2_COLUMNS))
# Columns built dictionary-encoded in memory (written as plain strings, see _PeriodFiles).
CUR2_DICTIONARY_COLUMNS = frozenset(
    {
        "bill_bill_type",
        "bill_billing_entity",
        "identity_line_item_id",
        "identity_time_interval",
        "line_item_legal_entity",
        "line_item_line_item_description",
    }
)
CUR2_BATCH_SCHEMA = pa.schema(
    [
        (name, pa.dictionary(pa.int32(), pa.string()) if name in CUR2_DICTIONARY_COLUMNS else t)
        for name, t in CUR2_COLUMNS
    ]
)


def cur2_tag_key(key: str) -> str:
    """Spell a tag key as CUR 2.0's ``resource_tags`` does: ``user_team``, ``aws_createdBy``."""
    if key.startswith("aws:"):
        return "aws_" + key[4:]
    return "user_" + key.removeprefix("user:")


def legacy_tag_column(key: str) -> str:
    """Spell a tag key as a legacy CUR column: ``resourceTags/user:team``."""
    if key.startswith(("aws:", "user:")):
        return "resourceTags/" + key
    return "resourceTags/user:" + key


def cur2_table(lines: CurLines) -> pa.Table:
    """Lay CUR lines out in CUR 2.0's columns and types."""
    d = lines.dims
    n = d.num_rows
    text = {name: _text(d.column(name)) for name in ("service", "region", "service_code")}
    sku = _text(d.column("sku"))
    period_start, period_end = _period_bounds(_text(d.column("billing_period")))
    inverse, sets = tag_sets(d.column("tags"))
    tags = pa.array([[(cur2_tag_key(k), v) for k, v in s.items()] for s in sets], _MAP).take(
        pa.array(inverse)
    )

    def product(name: str, region: str) -> list[tuple[str, str]]:
        return [(k, v) for k, v in (("product_name", name), ("region", region)) if v]

    is_sp = pc.not_equal(lines.sp_arn, "")
    on_demand = pc.is_in(lines.line_type, pa.array(["Usage", "SavingsPlanCoveredUsage"]))
    spot = pc.match_substring(sku, "SpotUsage")
    unblended = doubles(lines.unblended)
    ms = 1000
    cols: dict[str, pa.Array] = {
        "bill_bill_type": constant("Anniversary", n),
        "bill_billing_entity": constant("AWS", n),
        "bill_billing_period_end_date": pa.array(period_end // ms, _T),
        "bill_billing_period_start_date": pa.array(period_start // ms, _T),
        "bill_payer_account_id": _text(d.column("billing_account")),
        "identity_line_item_id": _line_ids(
            _text(d.column("sub_account")),
            _text(d.column("resource_id")),
            sku,
            lines.line_type,
            dictionary=True,
        ),
        "identity_time_interval": time_intervals(lines.starts, lines.step_us),
        "line_item_currency_code": _text(d.column("currency")),
        "line_item_legal_entity": constant("Amazon Web Services, Inc.", n),
        "line_item_line_item_description": _descriptions(lines.line_type, d, dictionary=True),
        "line_item_line_item_type": lines.line_type,
        "line_item_product_code": text["service_code"],
        "line_item_resource_id": _text(d.column("resource_id")),
        "line_item_net_unblended_cost": unblended,
        "line_item_unblended_cost": unblended,
        "line_item_usage_account_id": _text(d.column("sub_account")),
        "line_item_usage_account_name": _null_if_empty(_text(d.column("sub_account_name"))),
        "line_item_usage_end_date": pa.array(lines.ends // ms, _T),
        "line_item_usage_start_date": pa.array(lines.starts // ms, _T),
        "line_item_usage_type": sku,
        "pricing_public_on_demand_cost": doubles(lines.public, lines.public_valid),
        "pricing_term": pc.if_else(
            pc.and_(on_demand, pc.invert(spot)), pa.scalar("OnDemand"), pa.scalar(None, _S)
        ),
        "product": per_group([text["service"], text["region"]], product, _MAP),
        "product_instance_type": _null_if_empty(_text(d.column("resource_type"))),
        "product_region_code": _null_if_empty(text["region"]),
        "product_servicecode": text["service_code"],
        "resource_tags": tags,
        "savings_plan_savings_plan_a_r_n": _null_if_empty(lines.sp_arn),
        "savings_plan_offering_type": pc.if_else(
            is_sp, pa.scalar("ComputeSavingsPlans"), pa.scalar(None, _S)
        ),
        "savings_plan_payment_option": pc.if_else(
            is_sp, pa.scalar("No Upfront"), pa.scalar(None, _S)
        ),
        "savings_plan_purchase_term": pc.if_else(is_sp, pa.scalar("3yr"), pa.scalar(None, _S)),
        "savings_plan_savings_plan_effective_cost": doubles(
            lines.sp_effective, lines.sp_effective_valid
        ),
        "savings_plan_net_savings_plan_effective_cost": doubles(
            lines.sp_effective, lines.sp_effective_valid
        ),
        "savings_plan_total_commitment_to_date": doubles(lines.sp_commitment, lines.sp_fee_valid),
        "savings_plan_used_commitment": doubles(lines.sp_used, lines.sp_fee_valid),
    }
    nulls: dict[pa.DataType, pa.Array] = {}  # one all-null array per type, shared by columns
    arrays = [
        cols[name] if name in cols else nulls.setdefault(type_, pa.nulls(n, type_))
        for name, type_ in CUR2_COLUMNS
    ]
    return pa.Table.from_arrays(arrays, schema=CUR2_BATCH_SCHEMA)


def _batches(table: pa.Table | Iterable[pa.Table]) -> Iterator[tuple[pa.Table, pa.Table]]:
    """Yield (whole table, slice) pairs: zero-copy slices of at most a row group each."""
    for whole in [table] if isinstance(table, pa.Table) else table:
        for batch in whole.to_batches(max_chunksize=ROW_GROUP_ROWS):
            if batch.num_rows:
                yield whole, pa.Table.from_batches([batch])


def _any_off_midnight(col: pa.ChunkedArray) -> bool:
    """Tell whether any charge starts off midnight (an hourly table), chunk by chunk."""
    return any(bool((_micros(chunk) % DAY_US != 0).any()) for chunk in col.chunks)


class _PeriodFiles:
    """Parquet writers for one output: a file per billing period, split at ``rows_per_file``.

    Converted slices are buffered per period and written a million rows at a
    time, so row groups stay large however the input was chunked. Files are
    written without pyarrow's schema metadata, as AWS's are: readers see plain
    strings, not the dictionary encoding used in memory.
    """

    def __init__(
        self,
        target: Path,
        rows_per_file: int | None,
        file_path: Callable[[str, int], Path] | None = None,
    ) -> None:
        self.single = target.suffix == ".parquet" and file_path is None
        self.target = target
        self.rows_per_file = rows_per_file
        self.file_path = file_path
        self.open: dict[str, tuple[pq.ParquetWriter, int]] = {}
        self.buffers: dict[str, list[pa.Table]] = {}
        self.counts: dict[str, int] = {}
        self.paths: list[Path] = []

    def add(self, period: str, table: pa.Table) -> None:
        """Buffer rows of one billing period; write them once a row group is full.

        Exports come in time order, so a new period means the others are done:
        their buffers are written then rather than held to the end.
        """
        key = "" if self.single else period
        for other in [k for k in self.buffers if k != key]:
            self._flush(other)
        buffer = self.buffers.setdefault(key, [])
        buffer.append(table)
        if sum(t.num_rows for t in buffer) >= ROW_GROUP_ROWS:
            self._flush(key)

    def _flush(self, key: str) -> None:
        buffer = self.buffers.pop(key, [])
        if not buffer:
            return
        table = pa.concat_tables(buffer).unify_dictionaries()  # keeps Parquet dictionary pages
        limit = None if self.single else self.rows_per_file
        while table.num_rows:
            writer, rows = self.open.get(key, (None, 0))
            if writer is None or (limit and rows >= limit):
                if writer is not None:
                    writer.close()
                writer, rows = self._new(key), 0
            piece = table.slice(0, limit - rows) if limit else table
            writer.write_table(piece, row_group_size=ROW_GROUP_ROWS)
            self.open[key] = (writer, rows + piece.num_rows)
            table = table.slice(piece.num_rows)

    def _new(self, period: str) -> pq.ParquetWriter:
        if self.single:
            path = self.target
            path.parent.mkdir(parents=True, exist_ok=True)
        else:
            self.counts[period] = self.counts.get(period, 0) + 1
            if self.file_path is not None:
                path = self.file_path(period, self.counts[period])
            else:
                path = self.target / f"cur2-{period}-{self.counts[period]:05d}.parquet"
            path.parent.mkdir(parents=True, exist_ok=True)
        self.paths.append(path)
        return pq.ParquetWriter(path, CUR2_BATCH_SCHEMA, compression="snappy", store_schema=False)

    def close(self, *, flush: bool = True) -> list[Path]:
        """Write what is buffered, close every file; return their paths in order started."""
        if flush:
            for key in list(self.buffers):
                self._flush(key)
        for writer, _ in self.open.values():
            writer.close()
        self.open.clear()
        return self.paths


def write_cur2(
    table: pa.Table | Iterable[pa.Table],
    path_or_dir: str | Path,
    *,
    rows_per_file: int | None = None,
    granularity: str | None = None,
    file_path: Callable[[str, int], Path] | None = None,
) -> list[Path]:
    """Write canonical lines as AWS CUR 2.0 (Data Exports) Parquet; return the files.

    ``path_or_dir`` ending in ``.parquet`` gets one file; otherwise it is a
    directory that gets ``cur2-YYYY-MM-00001.parquet`` per billing period (AWS
    delivers each period separately), a further file each ``rows_per_file``
    rows. ``table`` may be a stream of tables (e.g. :func:`~bot.costs.sample.iter_bench_org`);
    it is converted slice by slice and written in row groups of about a million
    rows. ``file_path(period, n)`` names the n-th file of a period instead (see
    :func:`write_cur2_delivery`). Column types are those of ``CUR2_SCHEMA`` (cur2_columns.tsv, plus
    ``line_item_currency_code``; timestamps are zone-less milliseconds, UTC).

    Mapping (the CUR 2.0 reader inverts exactly this):

    * charge_start → ``line_item_usage_start_date``; + the granularity →
      ``line_item_usage_end_date``; billing_period → ``bill_billing_period_start_date``
      / ``_end_date`` (the 1st of the month and of the next); billing_account →
      ``bill_payer_account_id``; sub_account / _name → ``line_item_usage_account_id``
      / ``_name``; service_code → ``line_item_product_code`` and
      ``product_servicecode``; service → ``product['product_name']``; region →
      ``product_region_code`` and ``product['region']``; resource_id →
      ``line_item_resource_id``; resource_type → ``product_instance_type``; sku →
      ``line_item_usage_type``; currency → ``line_item_currency_code``; tags →
      ``resource_tags`` with keys ``user_<key>`` (``aws:x`` → ``aws_x``).
    * ``line_item_line_item_type`` from (charge_category, pricing_category):
      Usage/Committed → ``SavingsPlanCoveredUsage`` plus a ``SavingsPlanNegation``
      line; other Usage (Standard, Dynamic – its usage type says ``SpotUsage``) →
      ``Usage``; Purchase of a Savings Plan (service_code ``ComputeSavingsPlans``,
      a ``:savingsplan/`` resource ARN, or effective ≠ billed) →
      ``SavingsPlanRecurringFee``; other Purchase → ``Fee``; Tax → ``Tax``;
      Credit → ``Credit``; Adjustment → ``Refund``.
    * Amounts (doubles, nanos / 1e9): ``line_item_unblended_cost`` = billed, except
      on covered lines, where it is the on-demand cost (list) and the negation
      line carries billed − list, so Σ unblended == Σ billed;
      ``line_item_net_unblended_cost`` = the same; ``pricing_public_on_demand_cost``
      = list (empty on negation lines); covered lines:
      ``savings_plan_savings_plan_effective_cost`` = effective; fee lines:
      ``savings_plan_total_commitment_to_date`` = billed and
      ``savings_plan_used_commitment`` = billed − effective. So the amortized cost
      of AWS's Cloud Intelligence Dashboards gives back canonical effective::

          CASE line_item_line_item_type
            WHEN 'SavingsPlanCoveredUsage' THEN savings_plan_savings_plan_effective_cost
            WHEN 'SavingsPlanRecurringFee'
              THEN savings_plan_total_commitment_to_date - savings_plan_used_commitment
            WHEN 'SavingsPlanNegation' THEN 0
            WHEN 'SavingsPlanUpfrontFee' THEN 0
            WHEN 'DiscountedUsage' THEN reservation_effective_cost
            WHEN 'RIFee' THEN reservation_unused_amortized_upfront_fee_for_billing_period
                              + reservation_unused_recurring_fee
            WHEN 'Fee' AND reservation_reservation_a_r_n <> '' THEN 0  -- never written here
            ELSE line_item_unblended_cost END

    Lines CUR cannot express (effective ≠ billed on a plain Usage, Fee, Tax,
    Credit or Refund line) raise :class:`ValueError`.
    """
    out = _PeriodFiles(Path(path_or_dir), rows_per_file, file_path)
    step: int | None = None
    try:
        for whole, part in _batches(table):
            if step is None:
                hourly = _any_off_midnight(whole.column("charge_start"))
                step = _granularity_us(np.array([1 if hourly else 0]), granularity)
            lines = cur_lines(part, step)
            cur = cur2_table(lines)
            periods = _text(lines.dims.column("billing_period"))
            distinct = pc.unique(periods).to_pylist()
            for period in distinct:
                out.add(
                    period, cur if len(distinct) == 1 else cur.filter(pc.equal(periods, period))
                )
    except BaseException:
        out.close(flush=False)
        raise
    return out.close()


def write_cur2_delivery(
    table: pa.Table | Iterable[pa.Table],
    root: str | Path,
    *,
    export_name: str = "cur2",
    account: str = "111111111111",
    execution_id: str = "00000000-0000-0000-0000-000000000001",
    bucket: str = "billing",
    prefix: str = "exports",
    create_new: bool = False,
    rows_per_file: int | None = None,
    granularity: str | None = None,
) -> list[Path]:
    """Write one Data Exports execution as AWS lays it out in S3, under a local ``root``.

    ``root/<export>/data/BILLING_PERIOD=YYYY-MM/<export>-0000n.snappy.parquet`` and,
    once the data is written, ``root/<export>/metadata/BILLING_PERIOD=YYYY-MM/
    <export>-Manifest.json`` with the fields costbot reads (``executionId``,
    ``exportArn``, ``exportName``, ``billingPeriod``, ``dataFiles`` as
    ``s3://<bucket>/<prefix>/…`` URIs, ``columns``). ``create_new=True`` is the
    "create new report" mode: each execution writes into its own
    ``<execution_id>/`` folder under the period, and earlier ones stay beside it.
    Upload ``root`` to ``s3://<bucket>/<prefix>/`` for an S3 layout. Returns the
    data files, then the manifests.
    """
    base = Path(root) / export_name

    def file_path(period: str, n: int) -> Path:
        folder = base / "data" / f"BILLING_PERIOD={period}"
        if create_new:
            folder = folder / execution_id
        return folder / f"{export_name}-{n:05d}.snappy.parquet"

    files = write_cur2(
        table, base, rows_per_file=rows_per_file, granularity=granularity, file_path=file_path
    )
    export_id = hashlib.sha256(f"{account}/{export_name}".encode()).hexdigest()[:8]
    arn = f"arn:aws:bcm-data-exports:us-east-1:{account}:export/{export_name}-{export_id}"
    manifests = []
    by_period: dict[str, list[Path]] = {}
    for path in files:
        part = next(x for x in path.parts if x.startswith("BILLING_PERIOD="))
        by_period.setdefault(part.removeprefix("BILLING_PERIOD="), []).append(path)
    for period, mine in sorted(by_period.items()):
        year, month = int(period[:4]), int(period[5:7])
        end = f"{year + month // 12:04d}-{month % 12 + 1:02d}"
        doc = {
            "executionId": execution_id,
            "exportArn": arn,
            "exportName": export_name,
            "billingPeriod": {
                "start": f"{period}-01T00:00:00.000Z",
                "end": f"{end}-01T00:00:00.000Z",
            },
            "columns": [{"name": f.name, "type": str(f.type)} for f in CUR2_BATCH_SCHEMA],
            "dataFiles": [
                f"s3://{bucket}/{prefix}/" + p.relative_to(Path(root)).as_posix() for p in mine
            ],
            "additionalOutputFiles": [],
        }
        folder = base / "metadata" / f"BILLING_PERIOD={period}"
        if create_new:
            folder = folder / execution_id
        folder.mkdir(parents=True, exist_ok=True)
        manifest = folder / f"{export_name}-Manifest.json"
        manifest.write_text(json.dumps(doc, indent=2))
        manifests.append(manifest)
    return files + manifests


# --- legacy CUR --------------------------------------------------------------------------


def write_cur_legacy_delivery(
    table: pa.Table,
    root: str | Path,
    *,
    report_name: str = "cur",
    account: str = "111111111111",
    assembly_id: str = "00000000-0000-0000-0000-000000000001",
    bucket: str = "billing",
    prefix: str = "exports",
    granularity: str | None = None,
) -> list[Path]:
    """Write one legacy CUR delivery (one billing period) as AWS lays it out, under ``root``.

    ``root/<report>/yyyymmdd-yyyymmdd/<assemblyId>/<report>-1.csv.gz`` with a copy
    of the manifest beside it, and the period's own ``<report>-Manifest.json``
    (the current delivery: a later assembly rewrites it, earlier assembly
    folders stay). Manifest fields: ``assemblyId``, ``account``, ``reportName``,
    ``reportId``, ``billingPeriod`` (``yyyymmddT000000.000Z``), ``bucket``,
    ``reportKeys`` (bucket-relative keys), ``compression``, ``contentType``,
    ``columns``. Returns the data file, then the manifests.
    """
    periods = pc.unique(_text(table.column("billing_period"))).to_pylist()
    if len(periods) != 1:
        raise ValueError(f"a legacy CUR delivery holds one billing period, not {periods}")
    period = str(periods[0])
    year, month = int(period[:4]), int(period[5:7])
    start = f"{year:04d}{month:02d}01"
    end = f"{year + month // 12:04d}{month % 12 + 1:02d}01"
    folder = Path(root) / report_name / f"{start}-{end}"
    data = write_cur_legacy(
        table, folder / assembly_id / f"{report_name}-1.csv.gz", granularity=granularity
    )
    header = pacsv.read_csv(data, read_options=pacsv.ReadOptions(block_size=1 << 20)).schema.names
    doc = {
        "assemblyId": assembly_id,
        "account": account,
        "columns": [
            {"category": n.split("/")[0], "name": n.split("/", 1)[-1], "type": "String"}
            for n in header
        ],
        "charset": "UTF-8",
        "compression": "GZIP",
        "contentType": "text/csv",
        "reportId": hashlib.sha256(f"{account}/{report_name}".encode()).hexdigest(),
        "reportName": report_name,
        "billingPeriod": {"start": f"{start}T000000.000Z", "end": f"{end}T000000.000Z"},
        "bucket": bucket,
        "reportKeys": [f"{prefix}/" + data.relative_to(Path(root)).as_posix()],
        "additionalArtifactKeys": [],
    }
    text = json.dumps(doc, indent=2)
    copy = folder / assembly_id / f"{report_name}-Manifest.json"
    current = folder / f"{report_name}-Manifest.json"
    copy.write_text(text)
    current.write_text(text)
    return [data, copy, current]


def write_cur_legacy(table: pa.Table, path: str | Path, *, granularity: str | None = None) -> Path:
    """Write canonical lines as a legacy CUR CSV (``.gz`` suffix: gzip-compressed).

    Same line item types and amounts as :func:`write_cur2`, with the legacy
    headers (``lineItem/UnblendedCost``, ``savingsPlan/SavingsPlanEffectiveCost``,
    …), amounts as exact decimal text, ISO timestamps with ``Z``, and one
    ``resourceTags/user:<key>`` column per raw tag key. Legacy CUR has no usage
    account name, so sub_account_name is not written.
    """
    starts = _micros(table.column("charge_start"))
    lines = cur_lines(table, _granularity_us(starts, granularity))
    d = lines.dims
    period_start, period_end = _period_bounds(_text(d.column("billing_period")))
    sku = _text(d.column("sku"))
    cols: dict[str, pa.Array] = {
        "identity/LineItemId": _line_ids(
            _text(d.column("sub_account")), _text(d.column("resource_id")), sku, lines.line_type
        ),
        "identity/TimeInterval": pc.binary_join_element_wise(
            format_times(lines.starts), format_times(lines.ends), "/"
        ),
        "bill/BillingEntity": pa.repeat("AWS", d.num_rows),
        "bill/BillType": pa.repeat("Anniversary", d.num_rows),
        "bill/PayerAccountId": _text(d.column("billing_account")),
        "bill/BillingPeriodStartDate": format_times(period_start),
        "bill/BillingPeriodEndDate": format_times(period_end),
        "lineItem/UsageAccountId": _text(d.column("sub_account")),
        "lineItem/LineItemType": lines.line_type,
        "lineItem/UsageStartDate": format_times(lines.starts),
        "lineItem/UsageEndDate": format_times(lines.ends),
        "lineItem/ProductCode": _text(d.column("service_code")),
        "lineItem/UsageType": sku,
        "lineItem/ResourceId": _text(d.column("resource_id")),
        "lineItem/CurrencyCode": _text(d.column("currency")),
        "lineItem/UnblendedCost": decimal_texts(lines.unblended),
        "lineItem/BlendedCost": decimal_texts(lines.unblended),
        "lineItem/LineItemDescription": _descriptions(lines.line_type, d),
        "product/ProductName": _text(d.column("service")),
        "product/servicecode": _text(d.column("service_code")),
        "product/region": _text(d.column("region")),
        "product/regionCode": _text(d.column("region")),
        "product/instanceType": _text(d.column("resource_type")),
        "pricing/publicOnDemandCost": decimal_texts(lines.public, lines.public_valid),
        "reservation/EffectiveCost": pa.nulls(d.num_rows, pa.string()),
        "reservation/ReservationARN": pa.nulls(d.num_rows, pa.string()),
        "savingsPlan/SavingsPlanARN": lines.sp_arn,
        "savingsPlan/SavingsPlanEffectiveCost": decimal_texts(
            lines.sp_effective, lines.sp_effective_valid
        ),
        "savingsPlan/TotalCommitmentToDate": decimal_texts(lines.sp_commitment, lines.sp_fee_valid),
        "savingsPlan/UsedCommitment": decimal_texts(lines.sp_used, lines.sp_fee_valid),
    }
    inverse, sets = tag_sets(d.column("tags"))
    for key in sorted({k for s in sets for k in s}):
        values = pa.array([s.get(key) for s in sets], pa.string())
        cols[legacy_tag_column(key)] = values.take(pa.array(inverse))
    return _write_csv(pa.table(cols), Path(path))


def _write_csv(table: pa.Table, path: Path) -> Path:
    """Write a table of text as CSV, gzip-compressed when the name ends with ``.gz``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    options = pacsv.WriteOptions(quoting_style="needed")
    if path.suffix == ".gz":
        with pa.CompressedOutputStream(str(path), "gzip") as sink:
            pacsv.write_csv(table, sink, write_options=options)
    else:
        pacsv.write_csv(table, str(path), write_options=options)
    return path


# --- FOCUS -------------------------------------------------------------------------------

# Version each FOCUS 1.2 column appeared in (../shared/specs/focus/columns.tsv).
FOCUS_INTRODUCED: dict[str, str] = {
    "AvailabilityZone": "0.5",
    "BilledCost": "0.5",
    "BillingAccountId": "0.5",
    "BillingAccountName": "0.5",
    "BillingAccountType": "1.2",
    "BillingCurrency": "0.5",
    "BillingPeriodEnd": "0.5",
    "BillingPeriodStart": "0.5",
    "CapacityReservationId": "1.1",
    "CapacityReservationStatus": "1.1",
    "ChargeCategory": "0.5",
    "ChargeClass": "1.0",
    "ChargeDescription": "1.0-preview",
    "ChargeFrequency": "1.0-preview",
    "ChargePeriodEnd": "0.5",
    "ChargePeriodStart": "0.5",
    "CommitmentDiscountCategory": "1.0-preview",
    "CommitmentDiscountId": "1.0-preview",
    "CommitmentDiscountName": "1.0-preview",
    "CommitmentDiscountQuantity": "1.1",
    "CommitmentDiscountStatus": "1.0",
    "CommitmentDiscountType": "1.0-preview",
    "CommitmentDiscountUnit": "1.1",
    "ConsumedQuantity": "1.0",
    "ConsumedUnit": "1.0",
    "ContractedCost": "1.0",
    "ContractedUnitPrice": "1.0",
    "EffectiveCost": "0.5",
    "InvoiceId": "1.2",
    "InvoiceIssuerName": "0.5",
    "ListCost": "1.0-preview",
    "ListUnitPrice": "1.0-preview",
    "PricingCategory": "1.0-preview",
    "PricingCurrency": "1.2",
    "PricingCurrencyContractedUnitPrice": "1.2",
    "PricingCurrencyEffectiveCost": "1.2",
    "PricingCurrencyListUnitPrice": "1.2",
    "PricingQuantity": "1.0-preview",
    "PricingUnit": "1.0-preview",
    "ProviderName": "0.5",
    "PublisherName": "0.5",
    "RegionId": "1.0",
    "RegionName": "1.0",
    "ResourceId": "0.5",
    "ResourceName": "0.5",
    "ResourceType": "1.0-preview",
    "ServiceCategory": "0.5",
    "ServiceName": "0.5",
    "ServiceSubcategory": "1.1",
    "SkuId": "1.0-preview",
    "SkuMeter": "1.1",
    "SkuPriceDetails": "1.1",
    "SkuPriceId": "1.0-preview",
    "SubAccountId": "0.5",
    "SubAccountName": "0.5",
    "SubAccountType": "1.2",
    "Tags": "1.0-preview",
}
FOCUS_AMOUNTS = {
    "BilledCost",
    "EffectiveCost",
    "ListCost",
    "ContractedCost",
    "PricingCurrencyEffectiveCost",
    "CommitmentDiscountQuantity",
    "ConsumedQuantity",
    "ContractedUnitPrice",
    "ListUnitPrice",
    "PricingQuantity",
    "PricingCurrencyContractedUnitPrice",
    "PricingCurrencyListUnitPrice",
}
FOCUS_TIMES = {"BillingPeriodStart", "BillingPeriodEnd", "ChargePeriodStart", "ChargePeriodEnd"}
FOCUS_EXTENSIONS = ("x_ServiceCode", "x_UsageType")
FOCUS_ENUMS = ("ChargeCategory", "PricingCategory", "ChargeFrequency")


def _version_key(version: str) -> tuple[int, int]:
    """Order FOCUS versions; ``1.0-preview`` comes before ``1.0``."""
    if version.endswith("-preview"):
        major, minor = version.removesuffix("-preview").split(".")
        return int(major), int(minor) - 1
    major, minor = version.split(".")
    return int(major), int(minor)


def focus_columns(version: str) -> list[str]:
    """Return the columns a FOCUS version has (in specification order) plus AWS's extensions."""
    if version not in FOCUS_VERSIONS:
        raise ValueError(f"FOCUS version must be one of {FOCUS_VERSIONS}, not {version!r}")
    have = [c for c, v in FOCUS_INTRODUCED.items() if _version_key(v) <= _version_key(version)]
    return have + list(FOCUS_EXTENSIONS)


def _subcategory(code: str, sku: str, category: str) -> str:
    """Return the FOCUS 1.1+ ServiceSubcategory of an AWS service and usage type."""
    if code == "AmazonEC2":
        if "EBS:" in sku:
            return "Block Storage"
        return "Virtual Machines" if "Usage:" in sku else "Other (Compute)"
    known = {
        "AmazonSageMaker": "Machine Learning",
        "AmazonBedrock": "Generative AI",
        "AmazonS3": "Object Storage",
        "AmazonEFS": "File Storage",
        "AWSDataTransfer": "Network Connectivity",
        "AmazonCloudWatch": "Observability",
        "AmazonEKS": "Containers",
        "AmazonECS": "Containers",
        "AWSLambda": "Serverless Compute",
        "AmazonRDS": "Relational Databases",
    }
    return known.get(code, f"Other ({category or 'Other'})")


def _charge_description(charge: str, pricing: str, service: str, sku: str, rtype: str) -> str:
    """Describe a charge in the spirit of AWS's FOCUS ChargeDescription."""
    what = rtype or sku or service
    if charge == "Usage":
        how = {"Committed": "Savings Plan covered", "Dynamic": "Spot"}.get(pricing, "On Demand")
        return f"{how} {what} usage of {service}"
    if charge == "Purchase":
        return f"{service} recurring fee" if sku else f"{service} purchase"
    return {"Tax": f"Tax for {service}", "Credit": f"Credit applied to {service}"}.get(
        charge, f"Adjustment for {service}"
    )


def focus_values(table: pa.Table, version: str, step_us: int) -> dict[str, pa.Array]:
    """Compute FOCUS column values: text columns as strings, amounts in nanos (int64)."""
    n = table.num_rows
    t = {f.name: _text(table.column(f.name)) for f in LINE_SCHEMA if f.type == pa.string()}
    billed = _ints(table.column("billed"))
    effective = _ints(table.column("effective"))
    lst = _ints(table.column("list"))
    starts = _micros(table.column("charge_start"))
    period_start, period_end = _period_bounds(t["billing_period"])
    charge, pricing = t["charge_category"], t["pricing_category"]
    committed = pc.and_(pc.equal(charge, "Usage"), pc.equal(pricing, "Committed"))
    names_plan = pc.match_substring(t["resource_id"], ":savingsplan/")
    plan_fee = pc.and_(
        pc.equal(charge, "Purchase"),
        pc.or_(pc.equal(t["service_code"], SAVINGS_PLAN_CODE), names_plan),
    )
    in_plan = pc.or_(committed, plan_fee)
    arn = per_group([t["billing_account"]], savings_plan_arn, pa.string())
    arn = pc.if_else(names_plan, t["resource_id"], arn)
    null = pa.scalar(None, pa.string())

    def when(mask: pa.Array, value: str | pa.Array) -> pa.Array:
        return pc.if_else(mask, value if isinstance(value, pa.Array) else pa.scalar(value), null)

    account_names = _billing_account_names(t)
    inverse, sets = tag_sets(table.column("tags"))
    tag_json = pa.array(
        [json.dumps(s, separators=(",", ":"), ensure_ascii=False) for s in sets], pa.string()
    ).take(pa.array(inverse))

    def sku_id(code: str, sku: str, region: str) -> str | None:
        return stable_id(code, sku, region, length=16).upper() if sku else None

    desc_cols = ("charge_category", "pricing_category", "service", "sku", "resource_type")
    frequency = pc.if_else(
        pc.equal(charge, "Usage"),
        pa.scalar("Usage-Based"),
        pc.if_else(pc.equal(charge, "Purchase"), pa.scalar("Recurring"), pa.scalar("One-Time")),
    )
    region_names = per_group([t["region"]], REGION_NAMES.get, pa.string())
    values: dict[str, pa.Array | np.ndarray] = {
        "BilledCost": billed,
        "BillingAccountId": t["billing_account"],
        "BillingAccountName": account_names,
        "BillingAccountType": pa.repeat("Payer Account", n),
        "BillingCurrency": t["currency"],
        "BillingPeriodEnd": period_end,
        "BillingPeriodStart": period_start,
        "ChargeCategory": charge,
        "ChargeDescription": per_group([t[k] for k in desc_cols], _charge_description, pa.string()),
        "ChargeFrequency": frequency,
        "ChargePeriodEnd": starts + step_us,
        "ChargePeriodStart": starts,
        "CommitmentDiscountCategory": when(in_plan, "Spend"),
        "CommitmentDiscountId": when(in_plan, arn),
        "CommitmentDiscountStatus": when(committed, "Used"),
        "CommitmentDiscountType": when(in_plan, "Compute Savings Plan"),
        "ContractedCost": np.where(_is(charge, "Usage"), lst, billed),
        "EffectiveCost": effective,
        "InvoiceIssuerName": _null_if_empty(t["provider"]),
        "ListCost": lst,
        "PricingCategory": _null_if_empty(pricing),
        "PricingCurrency": t["currency"],
        "PricingCurrencyEffectiveCost": effective,
        "ProviderName": _null_if_empty(t["provider"]),
        "PublisherName": _null_if_empty(t["provider"]),
        "RegionId": _null_if_empty(t["region"]),
        "RegionName": region_names,
        "ResourceId": _null_if_empty(t["resource_id"]),
        "ResourceName": _null_if_empty(t["resource_id"]),
        "ResourceType": _null_if_empty(t["resource_type"]),
        "ServiceCategory": t["service_category"],
        "ServiceName": t["service"],
        "ServiceSubcategory": per_group(
            [t["service_code"], t["sku"], t["service_category"]], _subcategory, pa.string()
        ),
        "SkuId": per_group([t["service_code"], t["sku"], t["region"]], sku_id, pa.string()),
        "SubAccountId": _null_if_empty(t["sub_account"]),
        "SubAccountName": _null_if_empty(t["sub_account_name"]),
        "SubAccountType": when(pc.not_equal(t["sub_account"], ""), "Linked Account"),
        "Tags": tag_json,
        "x_ServiceCode": _null_if_empty(t["service_code"]),
        "x_UsageType": _null_if_empty(t["sku"]),
    }
    columns = focus_columns(version)
    out: dict[str, pa.Array] = {}
    for name in columns:
        value = values.get(name)
        if value is None:
            out[name] = pa.nulls(n, pa.int64() if name in FOCUS_AMOUNTS else pa.string())
        elif isinstance(value, np.ndarray):
            out[name] = pa.array(value, pa.int64())
        else:
            out[name] = value
    return out


def _billing_account_names(t: Mapping[str, pa.Array]) -> pa.Array:
    """Name each billing account after its own sub-account line, when the table has one."""
    accounts, subs, names = t["billing_account"], t["sub_account"], t["sub_account_name"]
    own = pc.and_(pc.equal(accounts, subs), pc.not_equal(names, ""))
    known = dict(
        zip(
            accounts.filter(own).to_pylist(),
            names.filter(own).to_pylist(),
            strict=True,
        )
    )
    return per_group([accounts], known.get, pa.string())


def write_focus(
    table: pa.Table,
    path: str | Path,
    *,
    version: str = "1.2",
    fmt: str | None = None,
    quirks: bool = False,
    granularity: str | None = None,
) -> Path:
    """Write canonical lines as a FOCUS export (CSV, CSV.gz or Parquet); return the path.

    ``fmt`` defaults from the file name. Only the columns of ``version`` are
    written (1.0 has no ServiceSubcategory, SkuMeter, CapacityReservation*,
    InvoiceId, PricingCurrency* …), plus AWS's ``x_ServiceCode`` (e.g.
    ``AmazonEC2``) and ``x_UsageType`` (the canonical sku). Amounts are exact:
    decimal text in CSV, ``decimal128(38, 10)`` in Parquet; timestamps are ISO
    8601 with ``Z`` (UTC in Parquet). Tags are a JSON object with the raw keys.
    Columns the canonical schema cannot fill (quantities, unit prices,
    AvailabilityZone, InvoiceId, SkuMeter …) are null.

    Commitment columns: Committed usage and the Savings Plan fee carry
    CommitmentDiscountId (the plan's ARN), Category ``Spend``, Type ``Compute
    Savings Plan``; usage has Status ``Used``. The fee stays one Purchase line
    whose EffectiveCost is the unused commitment (as CUR's amortization does)
    rather than a separate "Unused" usage line.

    ``quirks=True`` writes what real exports do: ``NULL`` for nulls, timestamps
    as ``YYYY-MM-DD HH:MM:SS`` (zone-less in Parquet), lower-case ChargeCategory,
    PricingCategory and ChargeFrequency.
    """
    target = Path(path)
    kind = fmt or _focus_format(target)
    if kind not in FOCUS_FORMATS:
        raise ValueError(f"fmt must be one of {FOCUS_FORMATS}, not {kind!r}")
    starts = _micros(table.column("charge_start"))
    values = focus_values(table, version, _granularity_us(starts, granularity))
    if quirks:
        for name in FOCUS_ENUMS:
            if name in values:
                values[name] = pc.utf8_lower(values[name])
    if kind == "parquet":
        out = _focus_parquet(values, quirks=quirks)
        target.parent.mkdir(parents=True, exist_ok=True)
        pq.write_table(out, target, row_group_size=ROW_GROUP_ROWS)
        return target
    text = _focus_text(values, quirks=quirks)
    if kind == "csv.gz" and target.suffix != ".gz":
        return _write_gzip_csv(text, target)
    if kind == "csv" and target.suffix == ".gz":
        raise ValueError(f"{target}: a .gz name needs fmt='csv.gz'")
    return _write_csv(text, target)


def _focus_format(path: Path) -> str:
    name = path.name.lower()
    if name.endswith(".parquet"):
        return "parquet"
    return "csv.gz" if name.endswith(".gz") else "csv"


def _write_gzip_csv(table: pa.Table, path: Path) -> Path:
    """Write gzip-compressed CSV under a name that does not end with ``.gz``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    sink = pa.BufferOutputStream()
    pacsv.write_csv(table, sink, write_options=pacsv.WriteOptions(quoting_style="needed"))
    path.write_bytes(gzip.compress(sink.getvalue().to_pybytes()))
    return path


def _focus_text(values: dict[str, pa.Array], *, quirks: bool) -> pa.Table:
    """Render FOCUS values as CSV text columns."""
    cols: dict[str, pa.Array] = {}
    for name, arr in values.items():
        if name in FOCUS_TIMES:
            cols[name] = format_times(_ints(arr), quirks=quirks)
        elif name in FOCUS_AMOUNTS:
            valid = np.asarray(arr.is_valid().to_numpy(zero_copy_only=False), bool)
            cols[name] = decimal_texts(_ints(arr), valid)
        else:
            cols[name] = arr.cast(pa.string())
        if quirks:
            cols[name] = pc.fill_null(cols[name], "NULL")
    return pa.table(cols)


def _focus_parquet(values: dict[str, pa.Array], *, quirks: bool) -> pa.Table:
    """Type FOCUS values for Parquet: decimal128 amounts, UTC timestamps, strings."""
    ts = pa.timestamp("us") if quirks else pa.timestamp("us", tz="UTC")
    cols: dict[str, pa.Array] = {}
    for name, arr in values.items():
        if name in FOCUS_TIMES:
            cols[name] = pa.array(_ints(arr), pa.int64()).cast(ts)
        elif name in FOCUS_AMOUNTS:
            dec = decimals(_ints(arr))
            cols[name] = pc.if_else(arr.is_valid(), dec, pa.scalar(None, FOCUS_DECIMAL))
        else:
            cols[name] = arr.cast(pa.string())
            if quirks:
                cols[name] = pc.fill_null(cols[name], "NULL")
    return pa.table(cols)
