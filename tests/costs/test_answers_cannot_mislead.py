"""Regressions of issue 11 (items 3, 4, 6, 7, 8): answers that were silently wrong or misleading.

Each test failed before the fix: a tag key spelled like a dimension, tag values
differing only in case, currencies added together, periods past the data,
COSTBOT_TOP_N ignored, an empty store answering with a grammar error.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from builders import focus_row, write_csv

from bot.blocks.query_text import query_text
from bot.costs.ask import ask, read
from bot.costs.grammar import AskBack, parse
from bot.costs.ingest import ingest
from bot.costs.model import CostAnswer, CostQuery
from bot.costs.query import CostQueryEngine, NoDataYet, SeveralCurrencies
from bot.costs.store import CostStore
from bot.money import to_nanos
from bot.services import build_services
from bot.settings import Settings

NOW = datetime(2024, 10, 15, 9, 30, tzinfo=UTC)


def dollars(text: str) -> int:
    return to_nanos(Decimal(text))


def days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


def load(store: CostStore, tmp_path: Path, rows: list[dict[str, str]]) -> CostStore:
    ingest(
        store, [str(write_csv(tmp_path / "bill.csv", rows))], allocation_tags=("team",), aliases={}
    )
    return store


def engine(store: CostStore, now: datetime = NOW, **kw: object) -> CostQueryEngine:
    return CostQueryEngine(store, allocation_tags=("team",), clock=lambda: now, **kw)  # type: ignore[arg-type]


def answer(store: CostStore, text: str, now: datetime = NOW, **kw: object) -> CostAnswer:
    got = ask(engine(store, now, **kw), text)
    assert isinstance(got, CostAnswer)
    return got


# -- 3. a tag key named like a built-in dimension ------------------------------------------


@pytest.fixture
def service_tag(store: CostStore, tmp_path: Path) -> CostStore:
    """Oct 1: $100 on EC2 tagged service=payments, $50 on S3 untagged."""
    return load(
        store,
        tmp_path,
        [
            focus_row("2024-10-01", "100.00", tags=json.dumps({"service": "payments"})),
            focus_row(
                "2024-10-01", "50.00", service="Amazon Simple Storage Service", resource="b-1"
            ),
        ],
    )


@pytest.mark.parametrize("text", ["tag service payments", "tag:service payments"])
def test_a_service_tag_is_filtered_as_the_tag(service_tag: CostStore, text: str) -> None:
    got = answer(service_tag, text)
    assert got.total == dollars(
        "100.00"
    )  # was $0.00: the value was looked up on the service column
    assert got.to_json()["filters"] == {"tag:service": "payments"}


def test_a_bare_word_that_is_both_reads_the_value_and_says_so(service_tag: CostStore) -> None:
    got = answer(service_tag, "service payments")
    assert got.total == dollars("100.00")
    assert any("both a built-in dimension and a tag key" in n for n in got.notes)
    assert answer(service_tag, 'service "Amazon Simple Storage Service"').total == dollars("50")


def test_group_by_the_tag_groups_by_the_tag(service_tag: CostStore) -> None:
    got = answer(service_tag, "by tag:service")
    assert {g.key: g.cost for g in got.groups} == {
        "payments": dollars("100.00"),
        "(no service tag)": dollars("50.00"),
    }
    assert got.to_json()["group_by"] == "tag:service"
    dims = answer(service_tag, "by dim:service")
    assert {g.key for g in dims.groups} == {
        "Amazon Elastic Compute Cloud",
        "Amazon Simple Storage Service",
    }


def test_by_a_clashing_word_asks_which_one_listing_both(service_tag: CostStore) -> None:
    with pytest.raises(AskBack) as err:
        ask(engine(service_tag), "by service")
    texts = [text for _, text in err.value.readings]
    assert texts == ["by dim:service", "by tag:service"]
    for text in texts:  # each reading is a question that answers
        assert isinstance(ask(engine(service_tag), text), CostAnswer)


def test_tag_fields_round_trip_through_button_text(service_tag: CostStore) -> None:
    vocab = engine(service_tag).vocabulary()
    q = CostQuery(filters=(("tag:service", "payments"),), group_by="tag:service")
    text = query_text(q, default_measure="effective")
    assert text == "tag:service payments by tag:service"
    assert parse(text, vocab) == q


# -- 4. values that differ only in case -----------------------------------------------------


@pytest.fixture
def two_cases(store: CostStore, tmp_path: Path) -> CostStore:
    return load(
        store,
        tmp_path,
        [
            focus_row("2024-10-01", "100.00", tags=json.dumps({"team": "ML-Research"})),
            focus_row(
                "2024-10-01", "7.00", tags=json.dumps({"team": "ml-research"}), resource="i-2"
            ),
        ],
    )


def test_the_exact_spelling_wins_and_the_other_case_is_offered(two_cases: CostStore) -> None:
    lower = answer(two_cases, "team ml-research")
    assert lower.total == dollars("7.00")  # was $100: the first case-insensitive match won
    assert any("`ML-Research`" in n and "only in case" in n for n in lower.notes)
    upper = answer(two_cases, "team ML-Research")
    assert upper.total == dollars("100.00")
    assert any("`ml-research`" in n for n in upper.notes)


def test_a_spelling_matching_neither_exactly_asks_which(two_cases: CostStore) -> None:
    with pytest.raises(AskBack) as err:
        ask(engine(two_cases), "team Ml-Research")
    assert sorted(t for _, t in err.value.readings) == ["team ML-Research", "team ml-research"]


# -- 6. currencies are never added -----------------------------------------------------------


@pytest.fixture
def two_currencies(store: CostStore, tmp_path: Path) -> CostStore:
    """Oct 1: $100 untagged + $100 tagged in USD (payer 1), €800 tagged in EUR (payer 2)."""
    eur = focus_row(
        "2024-10-01", "800.00", tags=json.dumps({"team": "web"}), account="999999999999"
    )
    eur["BillingCurrency"] = "EUR"
    return load(
        store,
        tmp_path,
        [
            focus_row("2024-10-01", "100.00", resource="i-untagged"),
            focus_row("2024-10-01", "100.00", tags=json.dumps({"team": "web"}), resource="i-2"),
            eur,
        ],
    )


def test_the_untagged_share_is_never_of_a_mixed_currency_total(two_currencies: CostStore) -> None:
    with pytest.raises(SeveralCurrencies) as err:
        ask(engine(two_currencies), "untagged")  # was "$100.00 untagged (10.0 % of $1,000.00)"
    assert "EUR" in str(err.value) and "USD" in str(err.value)
    usd = answer(two_currencies, "untagged currency USD")
    assert (usd.total, usd.all_spend, usd.currency) == (dollars("100"), dollars("200"), "USD")


def test_a_mixed_total_names_each_currency_and_its_amount(two_currencies: CostStore) -> None:
    with pytest.raises(SeveralCurrencies) as err:
        ask(engine(two_currencies), "mtd")
    assert "$200.00 (USD)" in str(err.value) and "€800.00 (EUR)" in str(err.value)


def test_answers_per_currency_for_app_home(two_currencies: CostStore) -> None:
    e = engine(two_currencies)
    query = read(e, "mtd")
    assert isinstance(query, CostQuery)
    answers = e.answer_per_currency(query)
    assert [(a.currency, a.total) for a in answers] == [
        ("EUR", dollars("800")),
        ("USD", dollars("200")),
    ]


# -- 7. periods that mislead ------------------------------------------------------------------


@pytest.fixture
def through_oct_14(store: CostStore, tmp_path: Path) -> CostStore:
    """$10 a day from Sept 1 to Oct 14, 2024 (data through Oct 15 00:00)."""
    rows = [focus_row(d.isoformat(), "10.00") for d in days(date(2024, 9, 1), date(2024, 10, 14))]
    return load(store, tmp_path, rows)


def test_an_explicit_range_is_cut_to_the_last_day_with_data(through_oct_14: CostStore) -> None:
    ranged = answer(through_oct_14, "2024-10-01..2024-10-31")
    month = answer(through_oct_14, "2024-10")
    assert (ranged.start, ranged.end) == (date(2024, 10, 1), date(2024, 10, 14))
    # Before: the range kept Oct 15-31 and compared with Aug 31-Sep 30, -53 % instead of ±0 %.
    assert (ranged.previous_start, ranged.previous_end) == (date(2024, 9, 17), date(2024, 9, 30))
    assert ranged.total == ranged.previous_total == month.total == month.previous_total
    assert any("cut to 2024-10-01..2024-10-14" in n for n in ranged.notes)
    assert any("complete through 2024-10-14" in n for n in month.notes)


@pytest.mark.parametrize(
    ("text", "now"),
    [("today", NOW), ("yesterday", NOW + timedelta(days=1)), ("2024-11", NOW)],
)
def test_a_period_after_the_data_says_no_data_yet(
    through_oct_14: CostStore, text: str, now: datetime
) -> None:
    with pytest.raises(NoDataYet) as err:
        ask(engine(through_oct_14, now), text)  # was "$0.00 (−100.0 %)"
    assert "no data yet for" in str(err.value)
    assert "complete through 2024-10-14" in str(err.value)


def test_yesterday_with_data_is_answered(through_oct_14: CostStore) -> None:
    got = answer(through_oct_14, "yesterday")
    assert (got.start, got.total) == (date(2024, 10, 14), dollars("10"))


def test_month_to_date_on_the_31st_states_the_days_compared(
    store: CostStore, tmp_path: Path
) -> None:
    rows = [focus_row(d.isoformat(), "10.00") for d in days(date(2024, 9, 1), date(2024, 10, 31))]
    load(store, tmp_path, rows)
    got = answer(store, "mtd", datetime(2024, 11, 1, 8, tzinfo=UTC) - timedelta(hours=12))
    assert (got.start, got.end) == (date(2024, 10, 1), date(2024, 10, 31))
    assert (got.previous_start, got.previous_end) == (date(2024, 9, 1), date(2024, 9, 30))
    assert "compares 31 days (2024-10-01..2024-10-31) with 30 days (2024-09-01..2024-09-30)" in (
        got.notes
    )


# -- 8. the smaller ones -----------------------------------------------------------------------


def test_costbot_top_n_sets_the_rows_before_other(
    through_oct_14: CostStore, tmp_path: Path
) -> None:
    rows = [
        focus_row("2024-10-01", "1.00", tags=json.dumps({"team": f"t{i}"}), resource=f"i-{i}")
        for i in range(5)
    ]
    store = CostStore(tmp_path / "teams.db")
    load(store, tmp_path, rows)
    store.close()
    settings = Settings.from_env({"COSTBOT_TOP_N": "3"}, db_path=tmp_path / "teams.db")
    services = build_services(settings, clock=lambda: NOW)
    try:
        got = ask(services.engine, "by team")
        assert isinstance(got, CostAnswer)
        assert [g.key for g in got.groups][-1] == "other (2 more)" and len(got.groups) == 4
        assert got.query.top == 3  # was 10 whatever the setting
        assert isinstance(ask(services.engine, "by team top 5"), CostAnswer)
    finally:
        services.close()


@pytest.mark.parametrize("value", ["0", "51"])
def test_costbot_top_n_out_of_range_is_refused(value: str) -> None:
    with pytest.raises(Exception, match="COSTBOT_TOP_N"):
        Settings.from_env({"COSTBOT_TOP_N": value})


def test_an_empty_store_says_no_data_yet_and_how_to_load(store: CostStore) -> None:
    with pytest.raises(NoDataYet) as err:
        ask(engine(store), "by team")  # was "`team` is not a dimension or a tag key"
    assert "no billing data yet" in str(err.value) and "costbot ingest" in str(err.value)
