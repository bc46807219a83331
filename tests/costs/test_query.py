"""The query engine: exact totals, comparisons, grouping, untagged share, JSON shape."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from builders import focus_row, write_csv
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests_support import focus_bill

from bot.costs.grammar import parse
from bot.costs.ingest import ingest
from bot.costs.model import CostQuery
from bot.costs.query import CostQueryEngine, QueryError
from bot.costs.store import CostStore
from bot.money import to_nanos

NOW = datetime(2024, 10, 15, 9, 30, tzinfo=UTC)


def tags(team: str | None, project: str | None = None) -> str:
    t = {}
    if team:
        t["team"] = team
    if project:
        t["project"] = project
    return json.dumps(t)


@pytest.fixture
def bill(tmp_path: Path, store: CostStore) -> CostStore:
    """Sept 1 – Oct 14, 2024: three teams with a flat daily cost, plus $2/day untagged S3."""
    path = focus_bill(tmp_path / "bill.csv", project="llm-training")
    ingest(store, [str(path)], allocation_tags=("team", "project"), aliases={})
    return store


def engine(store: CostStore, **kw: object) -> CostQueryEngine:
    return CostQueryEngine(store, allocation_tags=("team", "project"), clock=lambda: NOW, **kw)  # type: ignore[arg-type]


def ask(store: CostStore, text: str, **kw: object) -> object:
    e = engine(store, **kw)
    query = parse(text, e.vocabulary())
    assert isinstance(query, CostQuery)
    return e.answer(query)


def dollars(text: str) -> int:
    return to_nanos(Decimal(text))


def test_month_to_date_stops_at_the_last_day_with_data_and_compares_like_for_like(
    bill: CostStore,
) -> None:
    a = ask(bill, "team ai-research")
    assert (a.start, a.end) == (date(2024, 10, 1), date(2024, 10, 14))
    assert (a.previous_start, a.previous_end) == (date(2024, 9, 1), date(2024, 9, 14))
    assert a.total == 14 * dollars("100.00") == a.previous_total
    assert a.data_through == datetime(2024, 10, 15, tzinfo=UTC)


def test_last_30_days_and_its_previous_30(bill: CostStore) -> None:
    a = ask(bill, "team ml-platform last 30d")
    assert (a.start, a.end) == (date(2024, 9, 15), date(2024, 10, 14))
    assert a.total == 30 * dollars("10.50")
    assert (a.previous_start, a.previous_end) == (date(2024, 8, 16), date(2024, 9, 14))
    assert a.previous_total == 14 * dollars("10.50")  # the bill starts on Sept 1
    assert len(a.daily) == 30 and sum(c for _, c in a.daily) == a.total


def test_grouping_sums_to_the_total_with_an_other_row(bill: CostStore) -> None:
    a = ask(bill, "by team top 2 2024-09")
    keys = [g.key for g in a.groups]
    assert keys == ["ai-research", "ml-platform", "other (2 more)"]
    assert sum(g.cost for g in a.groups) == a.total
    assert a.groups[-1].is_other and a.groups[-1].members == 2
    assert a.group_count == 4


def test_spend_without_the_tag_is_its_own_group(bill: CostStore) -> None:
    a = ask(bill, "by team 2024-09")
    assert {g.key: g.cost for g in a.groups}["(no team tag)"] == 30 * dollars("1.00")


def test_untagged_gives_amount_and_share_of_all_spend(bill: CostStore) -> None:
    a = ask(bill, "untagged 2024-09 measure billed")
    assert a.total == 30 * dollars("2.00")
    assert a.all_spend == 30 * (dollars("111.75") + dollars("2.00"))
    assert [(g.key, g.cost) for g in a.groups] == [
        ("untagged", a.total),
        ("tagged", a.all_spend - a.total),
    ]


def test_billed_and_effective_differ_where_the_bill_says_so(bill: CostStore) -> None:
    billed = ask(bill, 'service "Amazon Simple Storage Service" 2024-09 measure billed')
    effective = ask(bill, 'service "Amazon Simple Storage Service" 2024-09')
    assert (billed.total, effective.total) == (30 * dollars("2.00"), 30 * dollars("1.00"))


def test_json_has_exactly_the_documented_shape(bill: CostStore) -> None:
    out = ask(bill, "team ai-research by service last 7d").to_json()
    assert set(out) == {
        "filters",
        "group_by",
        "start",
        "end",
        "measure",
        "currency",
        "total",
        "previous",
        "groups",
        "daily",
        "data_through",
        "reading",
        "notes",
    }
    assert out["reading"] == "team ai-research · by service · 2024-10-08..2024-10-14"
    assert out["notes"] == []
    assert out["filters"] == {"team": "ai-research"}
    assert out["total"] == "700.00" and out["measure"] == "effective"
    assert set(out["previous"]) == {"start", "end", "total"}
    assert out["groups"] == [{"key": "Amazon Elastic Compute Cloud", "cost": "700.00"}]
    assert out["daily"][0] == {"date": "2024-10-08", "cost": "100.00"}
    assert out["end"] == "2024-10-14"


def test_resource_questions_use_the_detail_table(bill: CostStore) -> None:
    a = ask(bill, "by resource 2024-09")
    assert {g.key for g in a.groups} == {"i-ai-research", "i-ml-platform", "i-data-eng", "bucket"}


def test_several_currencies_are_not_added_up(tmp_path: Path, store: CostStore) -> None:
    eur = focus_row("2024-10-01", "5.00", account="999")
    eur["BillingCurrency"] = "EUR"
    ingest(
        store,
        [str(write_csv(tmp_path / "c.csv", [focus_row("2024-10-01", "5.00"), eur]))],
        allocation_tags=("team",),
        aliases={},
    )
    with pytest.raises(QueryError, match="several currencies"):
        ask(store, "mtd")
    assert ask(store, "currency EUR").currency == "EUR"


QUESTIONS = st.tuples(
    st.sampled_from(
        [
            "",
            "team ai-research",
            "team data-eng",
            "project llm-training",
            "service AmazonEC2",
            "region us-east-1",
        ]
    ),
    st.sampled_from(["", "by team", "by service", "by project", "by region", "by account"]),
    st.sampled_from(
        [
            "mtd",
            "last 7d",
            "last 30d",
            "2024-09",
            "2024-09-03..2024-10-02",
            "yesterday",
            "last month",
        ]
    ),
    st.sampled_from(["", "untagged", "untagged team"]),
    st.sampled_from(["billed", "effective", "list"]),
)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(QUESTIONS)
def test_the_cube_and_the_detail_table_give_identical_answers(
    bill: CostStore, parts: tuple[str, ...]
) -> None:
    filt, group, period, untagged, measure = parts
    if filt.startswith("service"):
        filt = 'service "Amazon Elastic Compute Cloud"'
    text = " ".join(p for p in (filt, group, period, untagged, f"measure {measure}") if p)
    fast, slow = ask(bill, text), ask(bill, text, use_cube=False)
    assert fast == slow


def test_changing_the_allocation_tags_later_keeps_answers_exact(
    tmp_path: Path, store: CostStore
) -> None:
    rows = [
        focus_row("2024-09-01", "5.00", tags=tags("a", "p"), resource="r1"),
        focus_row("2024-09-01", "7.00", tags=tags(None, "p"), resource="r2"),
    ]
    ingest(store, [str(write_csv(tmp_path / "a.csv", rows))], allocation_tags=("team",), aliases={})
    later = [focus_row("2024-10-01", "1.00", tags=tags("a"), resource="r1")]
    ingest(
        store,
        [str(write_csv(tmp_path / "b.csv", later))],
        allocation_tags=("team", "project"),
        aliases={},
    )
    e = CostQueryEngine(store, allocation_tags=("team", "project"), clock=lambda: NOW)
    a = e.answer(parse("by project 2024-09-01..2024-10-31", e.vocabulary()))  # type: ignore[arg-type]
    assert {g.key: g.cost for g in a.groups} == {
        "p": dollars("12.00"),
        "(no project tag)": dollars("1.00"),
    }
    untagged = e.answer(parse("untagged 2024-09-01..2024-10-31", e.vocabulary()))  # type: ignore[arg-type]
    assert untagged.total == dollars("8.00")  # r2 lacks team; r1 in October lacks project
