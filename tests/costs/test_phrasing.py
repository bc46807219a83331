"""Natural questions: the phrasing benchmark over the sample org, and the reader's promises.

The benchmark (tests/costs/phrasing_cases.py, over 300 questions) must be read
correctly for at least 95 % and answered wrongly for at most 1 %; the shares
are printed (``pytest -s``) and reported in docs/benchmarks.md by
bench/bench_phrasing.py. Timings are measured there, never asserted here.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from phrasing_cases import ASK, SAMPLE_END, TODAY, cases, expected_query, same_meaning

from bot.blocks.query_text import query_text
from bot.costs.ask import ask, read
from bot.costs.exports import write_focus
from bot.costs.grammar import AskBack, QueryParseError, Vocabulary, parse
from bot.costs.ingest import ingest
from bot.costs.model import CostAnswer, CostQuery, PeriodSpec
from bot.costs.phrasing import read_phrase
from bot.costs.query import CostQueryEngine
from bot.costs.sample import generate_org
from bot.costs.store import CostStore
from bot.settings import DEFAULT_ALIASES

NOW = datetime(TODAY.year, TODAY.month, TODAY.day, 12, tzinfo=UTC)
ALLOCATION = ("team", "project", "environment")


@pytest.fixture(scope="module")
def sample_engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[CostQueryEngine]:
    """The sample org (120 days to 2026-11-28, FOCUS), asked on 2026-11-29."""
    folder = tmp_path_factory.mktemp("sample")
    bill = folder / "focus.csv.gz"
    write_focus(generate_org(SAMPLE_END, 120), bill, version="1.2", fmt="csv.gz")
    store = CostStore(folder / "costbot.db")
    ingest(store, [str(bill)], allocation_tags=ALLOCATION, aliases=DEFAULT_ALIASES)
    yield CostQueryEngine(
        store, allocation_tags=ALLOCATION, tag_aliases=DEFAULT_ALIASES, clock=lambda: NOW
    )
    store.close()


def outcome(engine: CostQueryEngine, question: str, expected: str) -> str:
    """Say how the reader did: correct, asked (back), or wrong."""
    try:
        got = read(engine, question)
    except QueryParseError:
        return "correct" if expected == ASK else "asked"
    if expected == ASK or not isinstance(got, CostQuery):
        return "wrong"
    return "correct" if same_meaning(got, expected_query(expected)) else "wrong"


def test_the_phrasing_benchmark_reads_95_percent_and_errs_on_at_most_1(
    sample_engine: CostQueryEngine,
) -> None:
    all_cases = cases()
    assert len(all_cases) >= 300
    assert {c.category for c in all_cases} >= {
        "filler",
        "tag values",
        "services",
        "families",
        "gpu",
        "pricing",
        "periods",
        "grouping",
        "ranking",
        "several",
        "negation",
        "comparison",
        "typos",
        "mixed case",
        "unknown",
    }
    results = Counter(outcome(sample_engine, c.question, c.expected) for c in all_cases)
    n = len(all_cases)
    print(
        f"\nphrasing benchmark: {n} questions, {results['correct'] / n:.1%} read correctly, "
        f"{results['asked'] / n:.1%} asked back, {results['wrong'] / n:.1%} wrong"
    )
    assert results["correct"] / n >= 0.95
    assert results["wrong"] / n <= 0.01


@pytest.mark.parametrize(
    ("question", "reading"),
    [
        (
            "what did ai-research spend on SageMaker last week?",
            "team ai-research · service Amazon SageMaker · 2026-11-16..2026-11-22",
        ),
        ("EC2 costs last 30 days", "service Amazon Elastic Compute Cloud · 2026-10-30..2026-11-28"),
        ("which team spent the most yesterday", "by team · 2026-11-28"),
        (
            "untagged spend last month by account",
            "untagged team or project or environment · by account · 2026-10-01..2026-10-31",
        ),
        (
            "ml-platform not S3 this month",
            "team ml-platform · not service Amazon Simple Storage Service · 2026-11-01..2026-11-28",
        ),
        (
            "EC2 vs last month",
            "service Amazon Elastic Compute Cloud · 2026-11-01..2026-11-28 "
            "· vs 2026-10-01..2026-10-31",
        ),
    ],
)
def test_every_answer_echoes_its_reading(
    sample_engine: CostQueryEngine, question: str, reading: str
) -> None:
    got = ask(sample_engine, question)
    assert isinstance(got, CostAnswer)
    assert got.reading() == reading
    assert got.to_json()["reading"] == reading


def test_several_values_and_exclusions_are_summed_exactly(sample_engine: CostQueryEngine) -> None:
    def total(text: str) -> int:
        got = ask(sample_engine, text)
        assert isinstance(got, CostAnswer)
        return got.total

    both = total("ai-research and ml-platform last month")
    assert both == total("team ai-research last month") + total("team ml-platform last month")
    everything = total("last month")
    assert total("everything excluding S3 last month") == everything - total(
        'service "Amazon Simple Storage Service" last month'
    )


def test_growth_ranks_by_the_increase(sample_engine: CostQueryEngine) -> None:
    got = ask(sample_engine, "which team grew the most last month")
    assert isinstance(got, CostAnswer)
    changes = [g.cost - (g.previous or 0) for g in got.groups if not g.is_other]
    assert changes == sorted(changes, reverse=True)


def test_every_reading_round_trips_through_button_text(sample_engine: CostQueryEngine) -> None:
    """Buttons carry question text: what the reader read must read back the same."""
    for case in cases():
        try:
            query = read(sample_engine, case.question)
        except QueryParseError:
            continue
        assert isinstance(query, CostQuery)
        text = query_text(query, default_measure="effective")
        again = read(sample_engine, text)
        assert isinstance(again, CostQuery) and same_meaning(again, query), (case.question, text)


def test_a_word_that_is_not_in_the_bill_is_never_dropped(sample_engine: CostQueryEngine) -> None:
    with pytest.raises(QueryParseError) as err:
        read(sample_engine, "what did the quantum team spend")
    assert "`quantum`" in str(err.value)
    with pytest.raises(QueryParseError, match="no Amazon Bedrock spend"):
        read(sample_engine, "bedrock spend last month")


def test_a_typo_is_read_as_the_closest_word_and_said(sample_engine: CostQueryEngine) -> None:
    query = read(sample_engine, "sagemkaer costs last month")
    assert isinstance(query, CostQuery)
    assert query.filters == (("service", "Amazon SageMaker"),)
    assert query.notes == (
        "`sagemkaer` is not a word I know: did you mean `sagemaker`? I read it so.",
    )


VOCAB = Vocabulary(
    tag_values={"team": ["vision", "web"], "project": ["vision", "search"]},
    dimension_values={"service": ["Amazon Elastic Compute Cloud", "AmazonEC2"]},
)


def test_a_value_that_is_both_a_team_and_a_project_asks_back() -> None:
    with pytest.raises(AskBack) as err:
        read_phrase("vision EC2 last month", VOCAB, today=TODAY)
    assert [text for _, text in err.value.readings] == [
        "team vision EC2 last month",
        "project vision EC2 last month",
    ]
    team = read_phrase("team vision EC2 last month", VOCAB, today=TODAY)
    assert team.filters[0] == ("team", "vision")
    assert read_phrase("the vision project", VOCAB, today=TODAY).filters == (("project", "vision"),)


@pytest.mark.parametrize(
    ("words", "period"),
    [
        ("this week", PeriodSpec("range", start=date(2026, 11, 23), end=date(2026, 11, 29))),
        ("last week", PeriodSpec("range", start=date(2026, 11, 16), end=date(2026, 11, 22))),
        ("december", PeriodSpec("month", start=date(2025, 12, 1))),
        ("Q3", PeriodSpec("range", start=date(2026, 7, 1), end=date(2026, 9, 30))),
        ("q1 2025", PeriodSpec("range", start=date(2025, 1, 1), end=date(2025, 3, 31))),
        ("last 2 weeks", PeriodSpec("last_days", days=14)),
        ("since oct 15", PeriodSpec("range", start=date(2026, 10, 15), end=date(2026, 11, 29))),
        (
            "from 2026-10-01 to 2026-10-07",
            PeriodSpec("range", start=date(2026, 10, 1), end=date(2026, 10, 7)),
        ),
    ],
)
def test_periods_people_say(words: str, period: PeriodSpec) -> None:
    assert read_phrase(f"web {words}", VOCAB, today=TODAY).period == period


def test_weeks_can_start_on_sunday() -> None:
    got = read_phrase("last week", VOCAB, today=TODAY, week_start=6)
    assert got.period == PeriodSpec("range", start=date(2026, 11, 22), end=date(2026, 11, 28))


def test_the_grammar_still_comes_first() -> None:
    # `on-demand` alone is the grammar's measure word; the reader's pricing word only
    # applies to text the grammar cannot read.
    assert parse("by team on-demand", VOCAB) == CostQuery(group_by="team", measure="list")


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=60))
def test_any_text_is_read_or_refused_with_a_reason_and_always_the_same(text: str) -> None:
    def attempt() -> object:
        try:
            return read_phrase(text, VOCAB, today=TODAY)
        except QueryParseError as exc:
            assert exc.reason
            return ("refused", str(exc))

    assert attempt() == attempt()


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            [
                "web",
                "vision",
                "team",
                "EC2",
                "by",
                "last",
                "week",
                "not",
                "and",
                "vs",
                "top",
                "3",
                "q3",
                "since",
                "october",
                "?",
            ]
        ),
        max_size=8,
    )
)
def test_word_salad_from_the_vocabulary_never_raises_anything_else(words: list[str]) -> None:
    try:
        read_phrase(" ".join(words), VOCAB, today=TODAY)
    except QueryParseError as exc:
        assert exc.reason


def test_the_index_is_built_once_per_vocabulary(tmp_path: Path) -> None:
    vocab = Vocabulary(tag_values={"team": ["web"]})
    read_phrase("web", vocab, today=TODAY)
    first = vocab.__dict__["_phrase_index"]
    read_phrase("web last week", vocab, today=TODAY)
    assert vocab.__dict__["_phrase_index"] is first


MULTI_CLOUD = Vocabulary(
    tag_values={"team": ["vision"]},
    dimension_values={
        "service": [
            "Amazon Elastic Kubernetes Service",
            "AmazonEKS",
            "Azure Kubernetes Service",
            "BigQuery",
            "Compute Engine",
            "Kubernetes Engine",
            "Vertex AI",
            "Virtual Machines",
        ],
        "resource_type": ["Standard_ND96asr_v4", "a2-highgpu-1g", "n2-standard-4"],
    },
)


@pytest.mark.parametrize(
    ("words", "services"),
    [
        ("vertex ai", ("Vertex AI",)),
        ("bigquery", ("BigQuery",)),
        ("virtual machines", ("Virtual Machines",)),
        ("compute engine", ("Compute Engine",)),
        (
            "kubernetes",
            ("Amazon Elastic Kubernetes Service", "Azure Kubernetes Service", "Kubernetes Engine"),
        ),
    ],
)
def test_services_of_other_providers_by_everyday_names(
    words: str, services: tuple[str, ...]
) -> None:
    got = read_phrase(f"{words} spend last month", MULTI_CLOUD, today=TODAY)
    assert got.filters == tuple(("service", s) for s in services)


def test_gpu_covers_other_providers_accelerator_types() -> None:
    got = read_phrase("GPU spend", MULTI_CLOUD, today=TODAY)
    assert got.filters == (
        ("resource_type", "Standard_ND96asr_v4"),
        ("resource_type", "a2-highgpu-1g"),
    )


def test_costbot_week_start_reaches_the_reader(tmp_path: Path) -> None:
    from bot.services import build_services
    from bot.settings import Settings

    settings = Settings.from_env({"COSTBOT_WEEK_START": "Sunday"}, db_path=tmp_path / "s.db")
    assert settings.week_start == 6
    services = build_services(settings)
    try:
        assert services.engine.week_start == 6
    finally:
        services.close()
    with pytest.raises(Exception, match="COSTBOT_WEEK_START"):
        Settings.from_env({"COSTBOT_WEEK_START": "someday"})


def test_share_posts_only_when_asked_as_a_command() -> None:
    assert read_phrase("web EC2 last week share", VOCAB, today=TODAY).share is True
    assert read_phrase("web last week and share it", VOCAB, today=TODAY).share is True
    assert read_phrase("what's the untagged share", VOCAB, today=TODAY).share is False
    assert read_phrase("share of web last week", VOCAB, today=TODAY).share is False


def test_a_typo_equally_close_to_two_values_asks_which() -> None:
    vocab = Vocabulary(tag_values={"team": ["alpha", "aleph"]})
    with pytest.raises(AskBack) as err:
        read_phrase("alph last week", vocab, today=TODAY)
    assert sorted(text for _, text in err.value.readings) == [
        "aleph last week",
        "alpha last week",
    ]
