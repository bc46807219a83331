"""The /cost grammar: what users type and what they get back when it is not understood."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.costs.grammar import HelpRequest, QueryParseError, Vocabulary, examples_for, parse
from bot.costs.model import CostQuery, PeriodSpec

VOCAB = Vocabulary(
    tag_values={
        "team": ["ai-research", "ml-platform", "data-eng"],
        "project": ["llm-training", "inference-api"],
        "environment": ["prod", "dev"],
    },
    dimension_values={
        "service": ["Amazon Elastic Compute Cloud", "AmazonEC2", "AmazonSageMaker"],
        "region": ["us-east-1", "eu-west-1"],
        "account": ["222222222222", "ai-research-prod"],
    },
    tag_aliases={"team_name": "team"},
)


def q(text: str) -> CostQuery:
    out = parse(text, VOCAB)
    assert isinstance(out, CostQuery)
    return out


def test_a_tag_filter_defaults_to_month_to_date_and_effective_cost() -> None:
    assert q("team ai-research") == CostQuery(filters=(("team", "ai-research"),))


def test_filters_combine_and_values_take_the_stored_spelling() -> None:
    got = q("team AI-Research service amazonec2 region us-east-1")
    assert got.filters == (
        ("team", "ai-research"),
        ("service", "AmazonEC2"),
        ("region", "us-east-1"),
    )


def test_quoted_values_keep_their_spaces() -> None:
    assert q('service "Amazon Elastic Compute Cloud"').filters == (
        ("service", "Amazon Elastic Compute Cloud"),
    )
    assert q("service \u201cAmazon Elastic Compute Cloud\u201d").filters[0][1].startswith("Amazon")


@pytest.mark.parametrize(
    ("text", "period"),
    [
        ("today", PeriodSpec("today")),
        ("yesterday", PeriodSpec("yesterday")),
        ("last 7d", PeriodSpec("last_days", days=7)),
        ("last 30 days", PeriodSpec("last_days", days=30)),
        ("last 2w", PeriodSpec("last_days", days=14)),
        ("mtd", PeriodSpec("mtd")),
        ("this month", PeriodSpec("mtd")),
        ("last month", PeriodSpec("last_month")),
        ("2024-09", PeriodSpec("month", start=date(2024, 9, 1))),
        (
            "2024-09-01..2024-09-15",
            PeriodSpec("range", start=date(2024, 9, 1), end=date(2024, 9, 15)),
        ),
        ("2024-09-03", PeriodSpec("range", start=date(2024, 9, 3), end=date(2024, 9, 3))),
    ],
)
def test_periods(text: str, period: PeriodSpec) -> None:
    assert q(f"team ai-research {text}").period == period


def test_grouping_untagged_top_measure_and_share() -> None:
    got = q("by team last 30d top 3 measure billed share")
    assert (got.group_by, got.top, got.measure, got.share) == ("team", 3, "billed", True)
    assert q("untagged").untagged == ()
    assert q("untagged team project by service").untagged == ("team", "project")
    assert q("by service amortized").measure == "effective"
    assert q("team_name ai-research").filters == (("team", "ai-research"),)


def test_help_and_nothing_ask_for_help() -> None:
    assert isinstance(parse("", VOCAB), HelpRequest)
    assert isinstance(parse("help", VOCAB), HelpRequest)


@pytest.mark.parametrize(
    ("text", "suggestion"),
    [
        ("tema ai-research", "team"),
        ("team ai-reserch", "team ai-research"),
        ("by servce", "service"),
        ("projct llm-training", "project"),
        ("untagged tem", "team"),
        ("last 7x", "last 7d"),
    ],
)
def test_typos_get_did_you_mean_from_the_store(text: str, suggestion: str) -> None:
    with pytest.raises(QueryParseError) as err:
        parse(text, VOCAB)
    assert suggestion in err.value.suggestions


@pytest.mark.parametrize(
    "text",
    [
        "team",
        "by",
        "top 0",
        "top many",
        "2024-13",
        "2024-09-10..2024-09-01",
        "2024-02-30",
        "last",
        "team ai-research team data-eng",
        "by team by service",
        "today yesterday",
        'service "unclosed',
        "measure gross",
    ],
)
def test_malformed_questions_say_why(text: str) -> None:
    with pytest.raises(QueryParseError) as err:
        parse(text, VOCAB)
    assert str(err.value)


@settings(max_examples=500, deadline=None)
@given(st.text(max_size=80))
def test_any_text_either_parses_or_raises_a_parse_error(text: str) -> None:
    try:
        parse(text, VOCAB)
    except QueryParseError as exc:
        assert exc.reason


def test_examples_come_from_the_users_own_tags() -> None:
    examples = examples_for(VOCAB)
    assert "team ai-research" in examples and "by team" in examples
    for ex in examples:
        assert isinstance(parse(ex, VOCAB), CostQuery)
