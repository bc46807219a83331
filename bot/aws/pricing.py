"""The AWS Pricing API (GetProducts): current on-demand prices of GPU and accelerator types.

The Pricing API answers from us-east-1 only, and some endpoints (moto, air-gapped
proxies) do not implement it: every failure to reach it becomes one
:class:`~bot.actions.errors.CloudUnavailable` and the shipped table stays in use.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from decimal import Decimal, InvalidOperation
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from bot.actions.errors import CloudUnavailable
from bot.money import to_nanos

# Families the price list files GPU and accelerator instances under.
ACCELERATOR_FAMILIES = ("GPU instance", "Machine Learning ASIC Instances")
BASE_FILTERS = (
    ("operatingSystem", "Linux"),
    ("tenancy", "Shared"),
    ("preInstalledSw", "NA"),
    ("capacitystatus", "Used"),
)


def parse_price_list(items: Iterable[str | dict[str, Any]]) -> dict[tuple[str, str], int]:
    """Read GetProducts ``PriceList`` entries into ``(region, type) -> hourly nano-USD``.

    Entries are JSON texts (as the API sends them) or already-decoded dicts. Only
    hourly on-demand USD dimensions count; an entry without one is skipped, not zero.
    """
    out: dict[tuple[str, str], int] = {}
    for item in items:
        product = json.loads(item) if isinstance(item, str) else item
        attributes = product.get("product", {}).get("attributes", {})
        itype = attributes.get("instanceType")
        region = attributes.get("regionCode")
        if not itype or not region:
            continue
        for term in product.get("terms", {}).get("OnDemand", {}).values():
            for dimension in term.get("priceDimensions", {}).values():
                if dimension.get("unit") not in ("Hrs", "Hours"):
                    continue
                text = dimension.get("pricePerUnit", {}).get("USD")
                try:
                    price = Decimal(str(text))
                except (InvalidOperation, ValueError):
                    continue
                if price > 0:
                    out[(region, itype)] = to_nanos(price)
    return out


class AwsPriceList:
    """Fetch on-demand EC2 prices for accelerator families through an injected client."""

    def __init__(self, client: Any) -> None:
        self._client = client

    def ec2_prices(self, regions: Iterable[str]) -> dict[tuple[str, str], int]:
        """Return current hourly prices of GPU / accelerator types in ``regions``."""
        out: dict[tuple[str, str], int] = {}
        try:
            paginator = self._client.get_paginator("get_products")
            for region in regions:
                for family in ACCELERATOR_FAMILIES:
                    filters = [
                        {"Type": "TERM_MATCH", "Field": k, "Value": v}
                        for k, v in (
                            *BASE_FILTERS,
                            ("regionCode", region),
                            ("instanceFamily", family),
                        )
                    ]
                    for page in paginator.paginate(ServiceCode="AmazonEC2", Filters=filters):
                        out.update(parse_price_list(page.get("PriceList", [])))
        except ClientError as exc:
            error = exc.response.get("Error", {})
            status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
            message = str(error.get("Message", "")).strip()
            if not message or message.startswith("<") or status in (404, 500, 501):
                message = "not implemented at this endpoint"
            raise CloudUnavailable(
                f"the AWS Pricing API refused the request ({error.get('Code') or status}: "
                f"{message.splitlines()[0][:200]})"
            ) from exc
        except BotoCoreError as exc:
            raise CloudUnavailable(f"the AWS Pricing API is not reachable ({exc})") from exc
        return out
