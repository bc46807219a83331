"""The canonical line item: what every reader produces and the store consumes.

Readers (FOCUS, CUR 2.0, legacy CUR) map their export's columns onto this
schema as pyarrow tables; the sample generator produces its "truth" in it too,
so a test can compare what went in with what the store answers.
Amounts are int64 nano-units (see :mod:`bot.money`), never floats.
"""

from __future__ import annotations

import pyarrow as pa

CHARGE_CATEGORIES = ("Usage", "Purchase", "Tax", "Credit", "Adjustment")
PRICING_CATEGORIES = ("Standard", "Dynamic", "Committed", "Other")

LINE_SCHEMA = pa.schema(
    [
        pa.field("charge_start", pa.timestamp("us", tz="UTC")),  # ChargePeriodStart
        pa.field("billing_period", pa.string()),  # "YYYY-MM" of BillingPeriodStart
        pa.field("provider", pa.string()),  # "AWS"
        pa.field("billing_account", pa.string()),  # payer / BillingAccountId
        pa.field("sub_account", pa.string()),  # usage account / SubAccountId
        pa.field("sub_account_name", pa.string()),
        pa.field("service", pa.string()),  # "Amazon Elastic Compute Cloud"
        pa.field("service_code", pa.string()),  # "AmazonEC2"
        pa.field(
            "service_category", pa.string()
        ),  # FOCUS ServiceCategory ("Compute", "AI and Machine Learning")
        pa.field("region", pa.string()),  # "us-east-1"
        pa.field("resource_id", pa.string()),  # "i-0abc…", ARN, bucket name
        pa.field("resource_type", pa.string()),  # "p4d.24xlarge", "Endpoint", …
        pa.field("sku", pa.string()),  # usage type ("USE1-BoxUsage:p4d.24xlarge")
        pa.field("charge_category", pa.string()),  # one of CHARGE_CATEGORIES
        pa.field("pricing_category", pa.string()),  # one of PRICING_CATEGORIES or ""
        pa.field("billed", pa.int64()),  # BilledCost / unblended, nano-units
        pa.field("effective", pa.int64()),  # EffectiveCost / amortized, nano-units
        pa.field("list", pa.int64()),  # ListCost / public on-demand, nano-units
        pa.field("currency", pa.string()),  # "USD"
        pa.field("tags", pa.map_(pa.string(), pa.string())),  # raw keys as the export spells them
    ]
)

STRING_COLUMNS = tuple(f.name for f in LINE_SCHEMA if f.type == pa.string())
AMOUNT_COLUMNS = ("billed", "effective", "list")
