"""Small hand-made export files for tests, written as real files."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path

FOCUS_HEADER = (
    "BillingAccountId",
    "BillingAccountName",
    "BillingCurrency",
    "BillingPeriodStart",
    "BillingPeriodEnd",
    "ChargePeriodStart",
    "ChargePeriodEnd",
    "ChargeCategory",
    "PricingCategory",
    "ProviderName",
    "ServiceName",
    "ServiceCategory",
    "RegionId",
    "ResourceId",
    "ResourceType",
    "SubAccountId",
    "SubAccountName",
    "BilledCost",
    "EffectiveCost",
    "ListCost",
    "Tags",
    "InvoiceId",
)


def focus_row(
    day: str,
    billed: str,
    effective: str | None = None,
    *,
    tags: str = "{}",
    service: str = "Amazon Elastic Compute Cloud",
    resource: str = "i-1",
    account: str = "111111111111",
    category: str = "Usage",
    list_cost: str | None = None,
    period: str | None = None,
) -> dict[str, str]:
    """Build one FOCUS 1.2 row with sensible defaults."""
    month = period or day[:7]
    return {
        "BillingAccountId": account,
        "BillingAccountName": "payer",
        "BillingCurrency": "USD",
        "BillingPeriodStart": f"{month}-01T00:00:00Z",
        "BillingPeriodEnd": f"{month}-28T00:00:00Z",
        "ChargePeriodStart": f"{day}T00:00:00Z",
        "ChargePeriodEnd": f"{day}T01:00:00Z",
        "ChargeCategory": category,
        "PricingCategory": "Standard",
        "ProviderName": "AWS",
        "ServiceName": service,
        "ServiceCategory": "Compute",
        "RegionId": "us-east-1",
        "ResourceId": resource,
        "ResourceType": "p4d.24xlarge",
        "SubAccountId": "222222222222",
        "SubAccountName": "research",
        "BilledCost": billed,
        "EffectiveCost": effective if effective is not None else billed,
        "ListCost": list_cost if list_cost is not None else billed,
        "Tags": tags,
        "InvoiceId": "inv-1",
    }


def write_csv(
    path: Path, rows: Sequence[dict[str, str]], header: Sequence[str] = FOCUS_HEADER
) -> Path:
    """Write rows as a CSV file with the given header."""
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=list(header), lineterminator="\n")
    w.writeheader()
    for r in rows:
        w.writerow(r)
    path.write_text(buf.getvalue())
    return path


def decimal_column_sum(path: Path, column: str) -> Decimal:
    """Sum a CSV column with Python's Decimal: the independent check of the store's totals."""
    total = Decimal(0)
    with open(path, newline="", encoding="utf-8-sig") as fh:
        for row in csv.DictReader(fh):
            if row and row.get(column) not in (None, "", "null", "NULL"):
                total += Decimal(row[column])
    return total
