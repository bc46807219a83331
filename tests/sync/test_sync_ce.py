# ruff: noqa: F811  (test arguments name the fixtures imported from sync_fixtures)
"""Cost Explorer sync against moto (results injected) behind the stand-in (throttling).

The injected results are what Cost Explorer would say for the sample org: its
daily spend grouped by SERVICE x LINKED_ACCOUNT and by SERVICE x TAG, paged.
The same org written as CUR 2.0 and ingested from files is the reference: every
question at Cost Explorer's resolution must get the same answer to the nano,
and questions beyond it must be refused, not answered with a made-up split.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest
from harness.aws_standin import AwsStandIn
from sync_fixtures import services_for, standin, truth  # noqa: F401  (fixtures, see there)
from sync_support import NOW

from bot.costs.ask import ask as ask_engine
from bot.costs.exports import write_cur2
from bot.costs.grammar import HelpRequest
from bot.costs.ingest import ingest
from bot.costs.query import CostQueryEngine
from bot.costs.resolution import ResolutionError
from bot.costs.store import CostStore
from bot.costs.tags import merge_tags
from bot.money import from_nanos
from bot.services import Services
from bot.settings import DEFAULT_ALIASES
from bot.state.sync import ledger_for
from bot.sync.ce import CostExplorerError, RequestCapReached, couple
from bot.sync.run import sync_source

PAGES_PER_REQUEST = 2
TAGS = ("team", "project")


def ce_groups(truth: pa.Table, second: str) -> dict[str, dict[tuple[str, str], list[int]]]:
    """Sum the truth per day, service and account (or tag value), as Cost Explorer would."""
    out: dict[str, dict[tuple[str, str], list[int]]] = defaultdict(dict)
    rows = truth.select(
        ["charge_start", "service", "sub_account", "tags", "billed", "effective"]
    ).to_pylist()
    for r in rows:
        day = r["charge_start"].date().isoformat()
        if second == "account":
            key = r["sub_account"]
        else:
            tags = merge_tags(r["tags"] or [], DEFAULT_ALIASES)
            key = f"{second}${tags.get(second, '')}"
        slot = out[day].setdefault((r["service"], key), [0, 0])
        slot[0] += r["billed"]
        slot[1] += r["effective"]
    return out


def next_day(day: str) -> str:
    return date.fromordinal(date.fromisoformat(day).toordinal() + 1).isoformat()


def amount(nanos: int) -> dict[str, str]:
    return {"Amount": format(from_nanos(nanos), "f"), "Unit": "USD"}


def ce_results(truth: pa.Table) -> list[dict[str, Any]]:
    """Every page of every request of one sync, in the order costbot asks for them."""
    names = dict(
        zip(
            truth.column("sub_account").to_pylist(),
            truth.column("sub_account_name").to_pylist(),
            strict=True,
        )
    )
    results = []
    for second in ("account", *TAGS):
        groups = ce_groups(truth, second)
        days = sorted(groups)
        chunks = np.array_split(np.array(days), PAGES_PER_REQUEST)
        for i, chunk in enumerate(chunks):
            page: dict[str, Any] = {
                "ResultsByTime": [
                    {
                        "TimePeriod": {"Start": d, "End": next_day(d)},
                        "Total": {},
                        "Groups": [
                            {
                                "Keys": [service, key],
                                "Metrics": {"UnblendedCost": amount(b), "AmortizedCost": amount(e)},
                            }
                            for (service, key), (b, e) in sorted(groups[d].items())
                        ],
                        "Estimated": False,
                    }
                    for d in chunk.tolist()
                ],
                "DimensionValueAttributes": [
                    {"Value": a, "Attributes": {"description": n}} for a, n in sorted(names.items())
                ]
                if second == "account"
                else [],
            }
            if i < len(chunks) - 1:
                page["NextPageToken"] = f"{second}-page-{i + 2}"
            results.append(page)
    return results


@pytest.fixture
def from_files(tmp_path: Path, truth: pa.Table) -> CostStore:
    """The reference: the same org ingested from CUR 2.0 files."""
    files = write_cur2(truth, tmp_path / "cur2")
    store = CostStore(tmp_path / "files.db")
    ingest(store, [str(f) for f in files], allocation_tags=TAGS, aliases=DEFAULT_ALIASES)
    return store


def engine(store: CostStore) -> CostQueryEngine:
    return CostQueryEngine(store, allocation_tags=TAGS, clock=lambda: NOW)


def ask(store: CostStore, words: str) -> dict[str, Any]:
    answer = ask_engine(engine(store), words)
    assert not isinstance(answer, HelpRequest)
    out = answer.to_json()
    del out["data_through"]
    return out


ANSWERABLE = [
    "2024-09",
    "2024-09 measure billed",
    "mtd",
    "by service 2024-09 top 50",
    "by account last month top 50",
    "by team 2024-09",
    "by project mtd measure billed",
    'service "Amazon Elastic Compute Cloud" by team 2024-09',
    "team ai-research by service 2024-09 top 50",
    "account 222222222222 by service mtd top 50",
    "untagged team 2024-09",
    "project llm-training last 7d",
]
REFUSED = [
    ("team ai-research by account 2024-09", "cannot be split"),
    ("untagged 2024-09", "cannot be split"),
    ("by resource 2024-09", "no resource detail"),
    ("by region mtd", "no region detail"),
    ("2024-09 measure list", "no list prices"),
]


def test_cost_explorer_answers_match_file_ingestion_at_its_resolution(
    standin: AwsStandIn,
    services_for: Callable[..., Services],
    truth: pa.Table,
    from_files: CostStore,
) -> None:
    standin.inject("static/ce/cost-and-usage-results", {"results": ce_results(truth)})
    services = services_for(sources=("ce",))
    run = sync_source(services, "ce")

    assert run.ok and run.periods == ["2024-09", "2024-10"]
    calls = standin.called("GetCostAndUsage")
    assert run.requests == len(calls) == (1 + len(TAGS)) * PAGES_PER_REQUEST
    for body in calls:
        assert len(body["GroupBy"]) <= 2 and body["GroupBy"][0]["Key"] == "SERVICE"
        assert body["Granularity"] == "DAILY"
        assert set(body["Metrics"]) == {"UnblendedCost", "AmortizedCost"}
        assert body["TimePeriod"] == {"Start": "2024-09-01", "End": "2024-10-21"}
    assert [c.get("NextPageToken") for c in calls[:2]] == [None, "account-page-2"]
    assert {tuple(g["Key"] for g in c["GroupBy"]) for c in calls} == {
        ("SERVICE", "LINKED_ACCOUNT"),
        ("SERVICE", "team"),
        ("SERVICE", "project"),
    }
    for words in ANSWERABLE:
        assert ask(services.store, words) == ask(from_files, words), words
    for words, reason in REFUSED:
        with pytest.raises(ResolutionError, match=reason):
            ask(services.store, words)
    # Files answer what Cost Explorer cannot.
    assert ask(from_files, "team ai-research by account 2024-09")["groups"]


def test_syncing_again_restates_the_same_figures_and_counts_every_request(
    standin: AwsStandIn, services_for: Callable[..., Services], truth: pa.Table
) -> None:
    standin.inject("static/ce/cost-and-usage-results", {"results": ce_results(truth)})
    services = services_for()
    sync_source(services, "ce")
    first = ask(services.store, "by team 2024-09")
    sync_source(services, "ce")
    assert ask(services.store, "by team 2024-09") == first
    ledger = ledger_for(services.store.conn)
    assert ledger.ce_requests_on(NOW.date()) == 2 * 3 * PAGES_PER_REQUEST
    month = ledger.spend_since(NOW.date().replace(day=1))
    assert month.spend == 12 * 10_000_000  # $0.01 a request, pages included


def test_a_throttled_request_is_retried_and_paid_for(
    standin: AwsStandIn, services_for: Callable[..., Services], truth: pa.Table
) -> None:
    standin.inject("static/ce/cost-and-usage-results", {"results": ce_results(truth)})
    standin.throttle_first("GetCostAndUsage", 1)
    services = services_for()
    run = sync_source(services, "ce")
    assert run.ok
    assert len(standin.called("GetCostAndUsage")) == 3 * PAGES_PER_REQUEST + 1
    assert run.requests == 3 * PAGES_PER_REQUEST + 1


def test_throttling_that_outlasts_the_retries_leaves_the_store_as_it_was(
    standin: AwsStandIn, services_for: Callable[..., Services], truth: pa.Table
) -> None:
    standin.inject("static/ce/cost-and-usage-results", {"results": ce_results(truth)})
    services = services_for(aws_max_attempts=2)
    sync_source(services, "ce")
    before = ask(services.store, "by team 2024-09")
    standin.throttle_first("GetCostAndUsage", 1000)
    sent_before = len(standin.called("GetCostAndUsage"))
    with pytest.raises(CostExplorerError, match="ThrottlingException"):
        sync_source(services, "ce")
    assert ask(services.store, "by team 2024-09") == before
    last = ledger_for(services.store.conn).last_runs()[0]
    assert last["last"]["ok"] is False and "ThrottlingException" in last["last"]["detail"]
    # every attempt that reached the endpoint is counted (and capped), retries included
    assert last["last"]["requests"] == len(standin.called("GetCostAndUsage")) - sent_before > 1


def test_the_daily_request_cap_stops_a_sync_before_it_changes_anything(
    standin: AwsStandIn, services_for: Callable[..., Services], truth: pa.Table
) -> None:
    standin.inject("static/ce/cost-and-usage-results", {"results": ce_results(truth)})
    services = services_for(ce_max_requests_per_day=4)
    with pytest.raises(RequestCapReached, match="mid-sync"):
        sync_source(services, "ce")
    assert services.store.deliveries() == []
    assert len(standin.called("GetCostAndUsage")) == 4
    with pytest.raises(RequestCapReached, match="4 of 4 today"):
        sync_source(services, "ce")
    assert len(standin.called("GetCostAndUsage")) == 4  # refused without a request


def test_ce_endpoint_setting_beats_the_general_endpoint(
    standin: AwsStandIn, services_for: Callable[..., Services], truth: pa.Table
) -> None:
    standin.inject("static/ce/cost-and-usage-results", {"results": ce_results(truth)})
    services = services_for(aws_endpoint_url=standin.moto_url, ce_endpoint_url=standin.url)
    sync_source(services, "ce")
    assert len(standin.called("GetCostAndUsage")) == 3 * PAGES_PER_REQUEST
    assert standin.called("GetCallerIdentity") == []  # STS went to moto directly


@pytest.mark.parametrize(
    ("left", "right"),
    [
        ([(("a",), [5, 5]), (("b",), [3, 3])], [("x", [6, 6]), ("", [2, 2])]),
        ([(("a",), [10, 0]), (("b",), [-2, 4])], [("x", [8, 1]), ("y", [0, 3])]),
        ([(("a",), [0, 0])], []),
        ([(("a",), [7, -7]), (("b",), [-7, 7])], [("x", [0, 0])]),
    ],
)
def test_coupling_keeps_both_sides_sums_exactly(
    left: list[tuple[tuple[str, ...], list[int]]], right: list[tuple[str, list[int]]]
) -> None:
    cells = couple(left, right)
    for m in (0, 1):
        for labels, values in left:
            assert sum(v[m] for k, v in cells if k[:-1] == labels) == values[m]
        for label, values in right:
            assert sum(v[m] for k, v in cells if k[-1] == label) == values[m]


def test_periods_with_an_export_of_the_same_payer_are_not_asked_for(
    tmp_path: Path,
    standin: AwsStandIn,
    services_for: Callable[..., Services],
    truth: pa.Table,
) -> None:
    standin.inject("static/ce/cost-and-usage-results", {"results": ce_results(truth)})
    services = services_for()
    september = truth.filter(pc.equal(truth.column("billing_period"), "2024-09"))
    payer = september.schema.get_field_index("billing_account")
    moto_account = pa.array(["123456789012"] * september.num_rows)  # whom moto says we are
    files = write_cur2(september.set_column(payer, "billing_account", moto_account), tmp_path / "x")
    ingest(services.store, [str(f) for f in files], allocation_tags=TAGS, aliases=DEFAULT_ALIASES)

    run = sync_source(services, "ce")
    assert run.periods == ["2024-10"]
    formats = {d["billing_period"]: d["format"] for d in services.store.deliveries()}
    assert formats["2024-09"] == "CUR 2.0" and formats["2024-10"].startswith("Cost Explorer")
    assert {c["TimePeriod"]["Start"] for c in standin.called("GetCostAndUsage")} == {"2024-10-01"}


def test_an_assumed_role_in_the_payer_account_is_used_for_the_sync(
    standin: AwsStandIn, services_for: Callable[..., Services], truth: pa.Table
) -> None:
    payer = "111122223333"
    standin.inject(
        "static/ce/cost-and-usage-results", {"account_id": payer, "results": ce_results(truth)}
    )
    services = services_for(aws_role_arn=f"arn:aws:iam::{payer}:role/costbot-read-costs")
    sync_source(services, "ce")
    assert {d["billing_account"] for d in services.store.deliveries()} == {payer}
    assert ask(services.store, "2024-09")["total"] != "0.00"


def test_an_export_ingested_later_replaces_cost_explorer_rows_instead_of_adding_to_them(
    tmp_path: Path,
    standin: AwsStandIn,
    services_for: Callable[..., Services],
    truth: pa.Table,
) -> None:
    standin.inject("static/ce/cost-and-usage-results", {"results": ce_results(truth)})
    services = services_for()
    sync_source(services, "ce")
    september = truth.filter(pc.equal(truth.column("billing_period"), "2024-09"))
    payer = september.schema.get_field_index("billing_account")
    moto_account = pa.array(["123456789012"] * september.num_rows)
    files = write_cur2(september.set_column(payer, "billing_account", moto_account), tmp_path / "x")
    ingest(services.store, [str(f) for f in files], allocation_tags=TAGS, aliases=DEFAULT_ALIASES)

    rows = [d for d in services.store.deliveries() if d["billing_period"] == "2024-09"]
    assert [d["format"] for d in rows] == ["CUR 2.0"]
    expected = int(pc.sum(september.column("effective")).as_py())
    assert int(str(rows[0]["effective"])) == expected
    assert ask(services.store, "by resource 2024-09")["groups"]  # files answer it now


def test_a_window_inside_a_month_still_asks_for_and_replaces_the_whole_month(
    standin: AwsStandIn, services_for: Callable[..., Services], truth: pa.Table
) -> None:
    standin.inject("static/ce/cost-and-usage-results", {"results": ce_results(truth)})
    services = services_for()
    run = sync_source(services, "ce", start=date(2024, 10, 5), end=date(2024, 10, 6))
    assert run.periods == ["2024-10"]
    (first, *_) = standin.called("GetCostAndUsage")
    assert first["TimePeriod"] == {"Start": "2024-10-01", "End": "2024-10-21"}
