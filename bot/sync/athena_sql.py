"""The Athena query that aggregates a CUR 2.0 or FOCUS export where it lies.

It reads only the billing periods synced (``billing_period`` is the partition
column AWS Data Exports write, so Athena prunes the rest), applies the same
rules as the file readers (:mod:`bot.costs.readers.cur`, ``focus``): line types
to charge and pricing categories, the amortized (effective) cost formula,
every amount rounded to nano-units *per line* before summing as BIGINT, so its
sums equal file ingestion's exactly. Only daily aggregates come back: by
account, service, region, categories and allocation tags, with resources, SKUs
and types kept only from ``detail_from`` on.

Nothing a user typed is concatenated into the SQL: dates and periods are
execution parameters; the database, table and tag keys are checked against
strict patterns first (tag keys become string literals, which Athena cannot
take as parameters inside map look-ups portably).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date

import pyarrow as pa
import pyarrow.compute as pc

from bot.costs.columns import GROUP_COLUMNS
from bot.costs.readers.common import TAG_PREFIX
from bot.costs.readers.cur import CHARGE_CATEGORY, SERVICE_CATEGORY
from bot.errors import CostbotError

IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,127}$")
TAG_KEY = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.:/=+@ -]{0,127}$")
PERIOD = re.compile(r"^\d{4}-\d{2}$")
EXPORTS = ("cur2", "focus")
EXPORT_NAMES = {"cur2": "CUR 2.0", "focus": "FOCUS"}
TEXT_FIELDS = ("billing_period", *GROUP_COLUMNS)  # a cost group's columns, in store order
DETAIL_FIELDS = ("resource_id", "resource_type", "sku")


class AthenaSqlError(CostbotError):
    """A setting cannot go into the Athena query safely (not a strict identifier)."""


@dataclass(frozen=True)
class AthenaQuery:
    """The SQL (Athena/Trino dialect), its execution parameters, and its output columns."""

    sql: str
    parameters: tuple[str, ...]  # plain values, in the order of the ``?`` in ``sql``
    tag_keys: tuple[str, ...]  # canonical tag key of each ``tag_<i>`` output column

    def athena_parameters(self) -> list[str]:
        """Return the parameters as Athena takes them: SQL literals (quoted text)."""
        return ["'" + p.replace("'", "''") + "'" for p in self.parameters]


def identifier(name: str, what: str) -> str:
    """Return ``name`` double-quoted if it is a strict identifier, else refuse it."""
    if not IDENTIFIER.fullmatch(name):
        raise AthenaSqlError(
            f"{what} {name!r} is not a plain identifier (letters, digits, underscore)"
        )
    return f'"{name}"'


def _literal(text: str) -> str:
    if not TAG_KEY.fullmatch(text):
        raise AthenaSqlError(f"tag key {text!r} has characters costbot will not put in a query")
    return "'" + text + "'"


def _nanos(expr: str) -> str:
    """Round one line's amount to integer nano-units, like the readers (``rint(x * 1e9)``)."""
    return f"CAST(ROUND(COALESCE({expr}, 0) * 1000000000) AS BIGINT)"


def _case(column: str, mapping: Mapping[str, str], default: str) -> str:
    whens = " ".join(f"WHEN '{k}' THEN '{v}'" for k, v in sorted(mapping.items()))
    return f"CASE {column} {whens} ELSE '{default}' END"


def _tag_expr(map_column: str, raw_keys: Sequence[str]) -> str:
    """First non-empty value among the raw spellings of a tag (sorted, as the readers do)."""
    parts = [f"NULLIF(element_at({map_column}, {_literal(k)}), '')" for k in sorted(raw_keys)]
    return f"COALESCE({', '.join(parts)}, '')"


def raw_tag_keys(export: str, key: str, aliases: Mapping[str, str]) -> list[str]:
    """Return the raw map keys that fold to canonical ``key`` (the key and its aliases)."""
    base = [key, *(a for a, k in aliases.items() if k == key)]
    # Exports spell keys as people typed them (Team, TEAM); the readers fold case, which a
    # portable query cannot do for every spelling, so it looks for the usual ones.
    spellings = sorted({v for s in base for v in (s, s.capitalize(), s.upper(), s.title())})
    if export == "cur2":
        return [f"user_{s}" for s in spellings]
    return [*spellings, *(f"user:{s}" for s in spellings)]


def _cur2_lines(source: str, tag_exprs: list[str]) -> str:
    known = ", ".join(f"'{t}'" for t in sorted(CHARGE_CATEGORY))
    line_type = "line_item_line_item_type"
    covered = "('SavingsPlanCoveredUsage', 'DiscountedUsage', 'SavingsPlanNegation')"
    plain = "('Usage', 'Fee', 'RIFee', 'SavingsPlanRecurringFee', 'SavingsPlanUpfrontFee')"
    effective = (
        f"CASE WHEN {line_type} = 'SavingsPlanCoveredUsage' "
        f"THEN {_nanos('savings_plan_savings_plan_effective_cost')} "
        f"WHEN {line_type} = 'SavingsPlanRecurringFee' "
        f"THEN {_nanos('savings_plan_total_commitment_to_date')} - "
        f"{_nanos('savings_plan_used_commitment')} "
        f"WHEN {line_type} IN ('SavingsPlanNegation', 'SavingsPlanUpfrontFee') THEN 0 "
        f"WHEN {line_type} = 'DiscountedUsage' THEN {_nanos('reservation_effective_cost')} "
        f"WHEN {line_type} = 'RIFee' "
        f"THEN {_nanos('reservation_unused_amortized_upfront_fee_for_billing_period')} + "
        f"{_nanos('reservation_unused_recurring_fee')} "
        f"WHEN {line_type} = 'Fee' AND COALESCE(reservation_reservation_a_r_n, '') <> '' THEN 0 "
        f"ELSE {_nanos('line_item_unblended_cost')} END"
    )
    tags = "".join(f",\n    {e} AS tag_{i}" for i, e in enumerate(tag_exprs))
    return f"""
  SELECT
    CAST(line_item_usage_start_date AS DATE) AS usage_day,
    date_format(bill_billing_period_start_date, '%Y-%m') AS billing_period,
    'AWS' AS provider,
    COALESCE(bill_payer_account_id, '') AS billing_account,
    COALESCE(line_item_usage_account_id, '') AS sub_account,
    COALESCE(line_item_usage_account_name, '') AS sub_account_name,
    COALESCE(NULLIF(element_at(product, 'product_name'), ''),
             NULLIF(line_item_product_code, ''), '') AS service,
    COALESCE(line_item_product_code, '') AS service_code,
    {_case("line_item_product_code", SERVICE_CATEGORY, "Other")} AS service_category,
    COALESCE(product_region_code, '') AS region,
    COALESCE(line_item_resource_id, '') AS resource_id,
    COALESCE(product_instance_type, '') AS resource_type,
    COALESCE(line_item_usage_type, '') AS sku,
    {_case(line_type, CHARGE_CATEGORY, "")} AS charge_category,
    CASE WHEN {line_type} IN {covered} THEN 'Committed'
         WHEN COALESCE(line_item_usage_type, '') LIKE '%SpotUsage%' THEN 'Dynamic'
         WHEN {line_type} IN {plain} THEN 'Standard' ELSE '' END AS pricing_category,
    COALESCE(NULLIF(line_item_currency_code, ''), 'USD') AS currency,
    {_nanos("line_item_unblended_cost")} AS billed,
    {effective} AS effective,
    {_nanos("pricing_public_on_demand_cost")} AS list{tags}
  FROM {source}
  WHERE billing_period IN ({{periods}})
    AND line_item_unblended_cost IS NOT NULL
    AND {line_type} IN ({known})"""


def _focus_lines(source: str, tag_exprs: list[str]) -> str:
    tags = "".join(f",\n    {e} AS tag_{i}" for i, e in enumerate(tag_exprs))
    return f"""
  SELECT
    CAST(ChargePeriodStart AS DATE) AS usage_day,
    date_format(BillingPeriodStart, '%Y-%m') AS billing_period,
    COALESCE(NULLIF(ProviderName, ''), 'unknown') AS provider,
    COALESCE(NULLIF(BillingAccountId, ''), 'unknown') AS billing_account,
    COALESCE(SubAccountId, '') AS sub_account,
    COALESCE(SubAccountName, '') AS sub_account_name,
    COALESCE(ServiceName, '') AS service,
    COALESCE(x_ServiceCode, '') AS service_code,
    COALESCE(ServiceCategory, '') AS service_category,
    COALESCE(RegionId, '') AS region,
    COALESCE(ResourceId, '') AS resource_id,
    COALESCE(ResourceType, '') AS resource_type,
    COALESCE(x_UsageType, '') AS sku,
    COALESCE(ChargeCategory, '') AS charge_category,
    COALESCE(PricingCategory, '') AS pricing_category,
    COALESCE(NULLIF(BillingCurrency, ''), 'USD') AS currency,
    {_nanos("BilledCost")} AS billed,
    {_nanos("EffectiveCost")} AS effective,
    {_nanos("ListCost")} AS list{tags}
  FROM {source}
  WHERE billing_period IN ({{periods}})
    AND BilledCost IS NOT NULL AND EffectiveCost IS NOT NULL"""


def build_query(
    export: str,
    *,
    database: str,
    table: str,
    periods: Iterable[str],
    detail_from: date,
    allocation_tags: Sequence[str],
    aliases: Mapping[str, str],
) -> AthenaQuery:
    """Build the aggregate query over the given billing periods (``YYYY-MM``)."""
    if export not in EXPORTS:
        raise AthenaSqlError(f"export type {export!r}: choose cur2 or focus")
    periods = sorted(set(periods))
    if not periods or not all(PERIOD.fullmatch(p) for p in periods):
        raise AthenaSqlError(f"billing periods {periods} are not YYYY-MM")
    source = f"{identifier(database, 'database')}.{identifier(table, 'table')}"
    map_column = "resource_tags" if export == "cur2" else "Tags"
    tag_exprs = [_tag_expr(map_column, raw_tag_keys(export, k, aliases)) for k in allocation_tags]
    lines = (_cur2_lines if export == "cur2" else _focus_lines)(source, tag_exprs)
    lines = lines.replace("{periods}", ", ".join("?" for _ in periods))
    detail = "l.usage_day >= p.detail_from"
    tag_cols = "".join(f", l.tag_{i}" for i in range(len(tag_exprs)))
    n_keys = 1 + len(TEXT_FIELDS) + len(DETAIL_FIELDS) + len(tag_exprs)
    sql = (
        "WITH params AS (SELECT CAST(? AS DATE) AS detail_from),\n"
        f"lines AS ({lines}\n)\n"
        "SELECT CAST(l.usage_day AS VARCHAR) AS usage_day, "
        + ", ".join(f"l.{c}" for c in TEXT_FIELDS)
        + ", "
        + ", ".join(f"CASE WHEN {detail} THEN l.{c} ELSE '' END AS {c}" for c in DETAIL_FIELDS)
        + f"{tag_cols},\n"
        "  CAST(SUM(l.billed) AS VARCHAR) AS billed, CAST(SUM(l.effective) AS VARCHAR) AS "
        "effective, CAST(SUM(l.list) AS VARCHAR) AS list, CAST(COUNT(*) AS VARCHAR) AS lines\n"
        "FROM lines l CROSS JOIN params p\n"
        f"GROUP BY {', '.join(str(i) for i in range(1, n_keys + 1))}"
    )
    return AthenaQuery(
        sql=sql,
        parameters=(detail_from.isoformat(), *periods),
        tag_keys=tuple(allocation_tags),
    )


def rows_to_lines(query: AthenaQuery, rows: Iterable[Sequence[str | None]]) -> pa.Table:
    """Turn the query's result rows (text, as Athena returns them) into canonical lines."""
    data = rows if isinstance(rows, list) else list(rows)
    n_text = len(TEXT_FIELDS) + len(DETAIL_FIELDS) + len(query.tag_keys)
    width = 1 + n_text + 4
    if data and len(data[0]) != width:
        raise AthenaSqlError(f"the query returned {len(data[0])} columns, expected {width}")
    cols = [pa.array([r[i] for r in data], pa.string()) for i in range(width)]
    days = pc.cast(pc.cast(pc.utf8_slice_codeunits(cols[0], 0, 10), pa.date32()), pa.int32())
    names = [*TEXT_FIELDS, *DETAIL_FIELDS, *(TAG_PREFIX + k for k in query.tag_keys)]
    out: dict[str, pa.Array] = {"day": days}
    for i, name in enumerate(names, start=1):
        out[name] = pc.fill_null(cols[i], "")
    for j, name in enumerate(("billed", "effective", "list")):
        out[name] = pc.cast(pc.fill_null(cols[1 + n_text + j], "0"), pa.int64())
    return pa.table(out)
