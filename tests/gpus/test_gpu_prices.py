"""Prices: the shipped table, "price unknown", and `costbot prices refresh` from the Pricing API.

moto does not implement the Pricing API, so the refresh is tested twice: against moto (the
API is "not implemented": the shipped table stays and the user is told why), and against a
tiny stand-in on 127.0.0.1 that answers GetProducts with the response shape AWS sends
(``PriceList`` entries are JSON *texts*, prices sit under terms.OnDemand.*.priceDimensions).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

import pytest
from click.testing import CliRunner

from bot.aws.pricing import parse_price_list
from bot.cli import main
from bot.insights.prices import shipped_table


def product(itype: str, region: str, usd: str, family: str = "GPU instance") -> str:
    """One GetProducts PriceList entry, shaped as AWS sends it (abridged attributes)."""
    sku = f"SKU{abs(hash((itype, region))) % 10**8:08d}"
    return json.dumps(
        {
            "product": {
                "productFamily": "Compute Instance",
                "attributes": {
                    "instanceType": itype,
                    "regionCode": region,
                    "instanceFamily": family,
                    "operatingSystem": "Linux",
                    "tenancy": "Shared",
                    "preInstalledSw": "NA",
                    "capacitystatus": "Used",
                    "gpu": "8",
                },
                "sku": sku,
            },
            "serviceCode": "AmazonEC2",
            "terms": {
                "OnDemand": {
                    f"{sku}.JRTCKXETXF": {
                        "priceDimensions": {
                            f"{sku}.JRTCKXETXF.6YS6EN2CT7": {
                                "unit": "Hrs",
                                "pricePerUnit": {"USD": usd},
                                "description": f"${usd} per On Demand Linux {itype} Instance Hour",
                            }
                        },
                        "sku": sku,
                        "effectiveDate": "2026-11-01T00:00:00Z",
                    }
                }
            },
            "version": "20261101000000",
            "publicationDate": "2026-11-01T00:00:00Z",
        }
    )


CATALOGUE = {
    "GPU instance": [
        product("p4d.24xlarge", "us-east-1", "21.9576000000"),
        product("g5.xlarge", "us-east-1", "1.0060000000"),
    ],
    "Machine Learning ASIC Instances": [
        product("inf2.xlarge", "us-east-1", "0.7582000000", "Machine Learning ASIC Instances")
    ],
}


class PricingStandIn(BaseHTTPRequestHandler):
    """Answer ``AWSPriceListService.GetProducts`` (JSON 1.1) from CATALOGUE; record requests."""

    requests: ClassVar[list[dict[str, Any]]] = []

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        target = self.headers.get("X-Amz-Target", "")
        type(self).requests.append({"target": target, **body})
        filters = {f["Field"]: f["Value"] for f in body.get("Filters", [])}
        ok = target == "AWSPriceListService.GetProducts" and body.get("ServiceCode") == "AmazonEC2"
        items = CATALOGUE.get(filters.get("instanceFamily", ""), []) if ok else []
        items = [
            i
            for i in items
            if json.loads(i)["product"]["attributes"]["regionCode"] == filters.get("regionCode")
        ]
        payload = json.dumps({"FormatVersion": "aws_v1", "PriceList": items}).encode()
        self.send_response(200 if ok else 400)
        self.send_header("Content-Type", "application/x-amz-json-1.1")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def pricing_url() -> Iterator[str]:
    PricingStandIn.requests = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), PricingStandIn)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_shipped_table_has_date_source_and_no_zero_for_unknown() -> None:
    table = shipped_table()
    assert table.as_of and "price list" in table.source.lower()
    assert table.hourly("us-east-1", "p4d.24xlarge") == 32_772_600_000
    assert table.hourly("us-east-1", "p9z.96xlarge") is None
    assert table.hourly("ap-south-2", "p4d.24xlarge") is None


def test_parse_price_list_reads_hourly_on_demand_usd_only() -> None:
    entry = json.loads(product("g5.xlarge", "eu-west-1", "1.2"))
    term = next(iter(entry["terms"]["OnDemand"].values()))
    term["priceDimensions"]["x"] = {"unit": "Quantity", "pricePerUnit": {"USD": "999"}}
    prices = parse_price_list([json.dumps(entry), product("p5.48xlarge", "us-east-1", "0.0")])
    assert prices == {("eu-west-1", "g5.xlarge"): 1_200_000_000}


def test_prices_refresh_stores_current_prices_that_win_over_the_shipped_ones(
    tmp_path: Path, pricing_url: str
) -> None:
    env = {
        "AWS_ENDPOINT_URL": pricing_url,
        "COSTBOT_DB": str(tmp_path / "c.db"),
        "COSTBOT_REGIONS": "us-east-1",
    }
    runner = CliRunner()
    result = runner.invoke(main, ["prices", "refresh"], env=env)
    assert result.exit_code == 0, result.output
    assert "stored 3 prices for us-east-1" in result.output
    families = {r["Filters"][-1]["Value"] for r in PricingStandIn.requests}
    assert families == {"GPU instance", "Machine Learning ASIC Instances"}
    assert all(r["target"] == "AWSPriceListService.GetProducts" for r in PricingStandIn.requests)
    shown = runner.invoke(main, ["prices", "show"], env=env).output
    assert "p4d.24xlarge" in shown and "$21.96/h (refreshed)" in shown
    assert "3 refreshed from the AWS Pricing API" in shown


def test_prices_refresh_when_the_pricing_api_is_not_there(tmp_path: Path, moto_url: str) -> None:
    env = {"AWS_ENDPOINT_URL": moto_url, "COSTBOT_DB": str(tmp_path / "c.db")}
    result = CliRunner().invoke(main, ["prices", "refresh"], env=env)
    assert result.exit_code == 1
    assert "Pricing API" in result.output and "Traceback" not in result.output
    shown = CliRunner().invoke(main, ["prices", "show"], env=env).output
    assert "refreshed" not in shown.splitlines()[0] and "$32.77/h" in shown
