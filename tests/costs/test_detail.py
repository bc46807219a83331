"""The in-memory detail (resource-level answers) gives exactly what reading the store gives."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
from builders import focus_row, write_csv
from tests_support import focus_bill

from bot.costs.grammar import parse
from bot.costs.ingest import ingest
from bot.costs.model import CostQuery
from bot.costs.query import CostQueryEngine
from bot.costs.store import CostStore

NOW = datetime(2024, 10, 15, 9, 30, tzinfo=UTC)
QUESTIONS = [
    "by resource last 30d",
    "by resource last 30d top 2",
    "resource i-ai-research last 30d",
    "resource bucket last 7d measure billed",
    "team ai-research by resource last 30d",
    "team ai-research last 30d",
    'service "Amazon Simple Storage Service" by resource mtd',
    "by resource 2024-09 measure list",
    "by resource untagged last 30d",
    "last 30d",
    "2024-09-03..2024-10-02",
    # filled in below: a field given twice (either value), and an excluded value
    "team ai-research by resource last 30d | team ml-platform",
    "by resource last 30d | -team ai-research",
    "by resource last 30d | -resource bucket",
]


@pytest.fixture
def bill(tmp_path: Path, store: CostStore) -> CostStore:
    ingest(
        store,
        [str(focus_bill(tmp_path / "bill.csv", project="llm-training"))],
        allocation_tags=("team",),  # project is not in the cube: its questions read the detail
        aliases={},
    )
    return store


def answer(store: CostStore, text: str, *, cache: bool) -> object:
    engine = CostQueryEngine(
        store,
        allocation_tags=("team",),
        clock=lambda: NOW,
        use_cube=False,
        use_detail_cache=cache,
    )
    words, _, extra = text.partition(" | ")
    query = parse(words, engine.vocabulary())
    assert isinstance(query, CostQuery)
    if extra.startswith("-"):
        field, value = extra[1:].split()
        query = replace(query, excludes=((field, value),))
    elif extra:
        field, value = extra.split()
        query = replace(query, filters=(*query.filters, (field, value)))
    return engine.answer(query)


@pytest.mark.parametrize("text", [*QUESTIONS, "project llm-training by resource last 30d"])
def test_the_detail_cache_answers_exactly_as_the_store(bill: CostStore, text: str) -> None:
    assert answer(bill, text, cache=True) == answer(bill, text, cache=False)


def test_the_cache_follows_a_new_ingest(bill: CostStore, tmp_path: Path) -> None:
    engine = CostQueryEngine(bill, allocation_tags=("team",), clock=lambda: NOW)
    query = parse("by resource last 30d", engine.vocabulary())
    assert isinstance(query, CostQuery)
    before = engine.answer(query)
    (tmp_path / "extra").mkdir()
    extra = write_csv(
        tmp_path / "extra" / "bill.csv", [focus_row("2024-10-10", "100000.00", resource="i-new")]
    )
    ingest(bill, [str(extra)], allocation_tags=("team",), aliases={})
    after = engine.answer(query)
    assert after.total == before.total + 100_000 * 10**9  # type: ignore[attr-defined]
    assert after.groups[0].key == "i-new"  # type: ignore[attr-defined]
