"""Slack's limits hold for every builder, whatever the bill contains."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from answer_factory import make_answer
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from limits_check import assert_escaped, assert_within_block_limits, utf16_len

from bot.blocks import ids
from bot.blocks.cost_answer import cost_answer_blocks, cost_answer_text
from bot.blocks.errors import error_blocks
from bot.blocks.help import help_blocks
from bot.blocks.home import home_view
from bot.blocks.limits import (
    MAX_MESSAGE_BLOCKS,
    MAX_VIEW_BLOCKS,
    fit_blocks,
    slack_len,
    truncate,
)
from bot.blocks.mrkdwn import fit, pack
from bot.blocks.query_text import query_text
from bot.costs.grammar import Vocabulary, parse
from bot.costs.model import MEASURES, CostAnswer, CostQuery, GroupCost, PeriodSpec

# -- helpers -----------------------------------------------------------------------------------


def test_truncate_ends_with_an_ellipsis_and_respects_the_limit() -> None:
    assert truncate("short", 10) == "short"
    assert truncate("abcdefghijk", 5) == "abcd…"
    assert truncate("😀😀😀", 4) == "😀…"  # an astral emoji counts as two
    assert slack_len(truncate("😀" * 100, 150)) <= 150


def test_fit_never_cuts_inside_an_entity() -> None:
    assert fit("a&b", 10) == "a&amp;b"
    out = fit("&&&&", 10)
    assert out == "&amp;…"
    assert slack_len(out) <= 10


def test_pack_keeps_each_chunk_within_the_limit() -> None:
    chunks = pack(["x" * 1000] * 7, limit=3000)
    assert [len(c) for c in chunks] == [2001, 2001, 2001, 1000]
    assert all(len(c) <= 3000 for c in pack(["y" * 5000], limit=3000))


def test_fit_blocks_drops_rows_and_says_how_many() -> None:
    rows = [{"type": "section", "text": {"type": "mrkdwn", "text": f"row {i}"}} for i in range(60)]
    footer = {"type": "context", "elements": [{"type": "mrkdwn", "text": "footer"}]}
    fitted = fit_blocks([*rows, footer], 50, keep_tail=1)
    assert len(fitted) == 50
    assert fitted[-1] == footer
    assert fitted[-2]["elements"][0]["text"] == "…and 12 more"
    assert fitted[47]["text"]["text"] == "row 47"
    assert fit_blocks(rows[:3]) == rows[:3]


def test_the_validator_catches_what_slack_rejects() -> None:
    def section(text: str) -> dict[str, Any]:
        return {"type": "section", "text": {"type": "mrkdwn", "text": text}}

    bad: list[list[dict[str, Any]]] = [
        [section("x" * 3001)],
        [section("")],
        [{"type": "header", "text": {"type": "plain_text", "text": "h" * 151}}],
        [section("x")] * 51,
        [
            {
                "type": "actions",
                "elements": [
                    {
                        "type": "button",
                        "text": {"type": "plain_text", "text": "b"},
                        "action_id": "a",
                    },
                    {
                        "type": "button",
                        "text": {"type": "plain_text", "text": "c"},
                        "action_id": "a",
                    },
                ],
            }
        ],
        [
            {
                "type": "actions",
                "elements": [
                    {
                        "type": "button",
                        "action_id": "a",
                        "value": "v" * 2001,
                        "text": {"type": "plain_text", "text": "b"},
                    }
                ],
            }
        ],
        [{"type": "context", "elements": [{"type": "mrkdwn", "text": "t"}] * 11}],
        [{"type": "section", "fields": [{"type": "mrkdwn", "text": "f"}] * 11}],
    ]
    for blocks in bad:
        with pytest.raises(AssertionError):
            assert_within_block_limits(blocks)
    with pytest.raises(AssertionError):
        assert_escaped([section("a < b")])
    assert_escaped([section("a &lt; b &amp; <@U123>")])


# -- property: every builder, any data ---------------------------------------------------------

TEXT = st.text(st.characters(codec="utf-8"), max_size=300)
KEY = st.one_of(TEXT, st.sampled_from(["<!channel>", "a & b", "`tick`", "*bold*", "😀" * 200]))
NANOS = st.integers(min_value=-(10**15), max_value=10**18)
PERIODS = st.one_of(
    st.sampled_from([PeriodSpec("mtd"), PeriodSpec("today"), PeriodSpec("last_month")]),
    st.builds(lambda d: PeriodSpec("last_days", days=d), st.integers(1, 3660)),
    st.builds(
        lambda d: PeriodSpec("month", start=d.replace(day=1)),
        st.dates(date(2000, 1, 1), date(2100, 1, 1)),
    ),
    st.builds(
        lambda a, n: PeriodSpec("range", start=a, end=a + timedelta(days=n)),
        st.dates(date(2000, 1, 1), date(2100, 1, 1)),
        st.integers(0, 400),
    ),
)


@st.composite
def groups(draw: st.DrawFn) -> tuple[GroupCost, ...]:
    keys = draw(st.lists(KEY, max_size=500))
    rows = [GroupCost(k, draw(NANOS), draw(st.none() | NANOS)) for k in keys]
    if rows and draw(st.booleans()):
        rows.append(
            GroupCost("other", draw(NANOS), is_other=True, members=draw(st.integers(1, 10**6)))
        )
    return tuple(rows)


@st.composite
def answers(draw: st.DrawFn) -> CostAnswer:
    query = CostQuery(
        filters=tuple(draw(st.lists(st.tuples(KEY, KEY), max_size=4))),
        group_by=draw(st.none() | KEY),
        period=draw(PERIODS),
        measure=draw(st.sampled_from(MEASURES)),
        untagged=draw(st.none() | st.lists(KEY, max_size=5).map(tuple)),
        top=draw(st.integers(1, 50)),
        share=draw(st.booleans()),
    )
    rows = draw(groups())
    return make_answer(
        query,
        total=draw(NANOS),
        previous_total=draw(NANOS),
        groups=rows,
        all_spend=draw(NANOS),
        group_count=draw(st.integers(0, 10**6)),
        data_through=draw(st.none() | st.just(datetime(2024, 9, 21, tzinfo=UTC))),
        currency=draw(st.sampled_from(["USD", "EUR", "JPY", "X" * 30])),
    )


SLOW = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def check_message(blocks: list[dict[str, Any]]) -> None:
    assert_within_block_limits(blocks, MAX_MESSAGE_BLOCKS)
    assert_escaped(blocks)


@SLOW
@given(answer=answers(), question=TEXT, shared_by=st.none() | TEXT, show=st.booleans())
def test_cost_answers_stay_within_every_limit(
    answer: CostAnswer, question: str, shared_by: str | None, show: bool
) -> None:
    blocks = cost_answer_blocks(answer, question=question, shared_by=shared_by, show_buttons=show)
    check_message(blocks)
    assert 1 <= utf16_len(cost_answer_text(answer)) <= 40_000
    for block in blocks:
        for el in block.get("elements", []) if block["type"] == "actions" else []:
            assert el["action_id"] in ids.ALL


@SLOW
@given(
    tag_keys=st.lists(KEY, max_size=500),
    examples=st.lists(KEY, max_size=50),
    error=st.none() | st.text(max_size=5000),
    suggestions=st.lists(KEY, max_size=50),
)
def test_help_stays_within_every_limit(
    tag_keys: list[str], examples: list[str], error: str | None, suggestions: list[str]
) -> None:
    check_message(help_blocks(tag_keys, examples, error=error, suggestions=suggestions))


@SLOW
@given(
    mtd=st.none() | answers(),
    by_team=st.none() | answers(),
    examples=st.lists(KEY, max_size=50),
    budgets=st.none() | st.lists(KEY, max_size=300),
)
def test_home_stays_within_every_limit(
    mtd: CostAnswer | None,
    by_team: CostAnswer | None,
    examples: list[str],
    budgets: list[str] | None,
) -> None:
    view = home_view(mtd, by_team, examples=examples, budgets=budgets)
    assert view["type"] == "home"
    assert_within_block_limits(view["blocks"], MAX_VIEW_BLOCKS, max_total_text=None)
    assert_escaped(view["blocks"])


@SLOW
@given(what=st.text(max_size=10_000), hint=st.text(max_size=10_000))
def test_errors_stay_within_every_limit(what: str, hint: str) -> None:
    check_message(error_blocks(what, hint))


def test_five_hundred_long_hostile_keys() -> None:
    keys = [f"{i} <!here> & `x` {'😀' * 140}" for i in range(500)]
    rows = tuple(GroupCost(k, 10**12 + i, 10**12) for i, k in enumerate(keys))
    answer = make_answer(
        CostQuery(group_by=keys[0], filters=((keys[1], keys[2]),)),
        total=sum(g.cost for g in rows),
        groups=rows,
    )
    check_message(cost_answer_blocks(answer, question=keys[3], shared_by=keys[4]))
    check_message(help_blocks(keys, keys, error=keys[5], suggestions=keys))
    view = home_view(answer, answer, examples=keys, budgets=keys)
    assert_within_block_limits(view["blocks"], MAX_VIEW_BLOCKS, max_total_text=None)


# -- property: button values are grammar text that parses back ---------------------------------

WORD = st.text(
    st.characters(codec="utf-8", exclude_categories=["Cs", "Cc", "Zl", "Zp"]),
    min_size=1,
    max_size=40,
).filter(
    lambda w: (
        w.strip() == w
        and w.lower() not in ("by", "untagged", "top", "measure", "share")
        and not any(c in w for c in "\u201c\u201d\u2018\u2019\u00a0")
    )
)


@settings(max_examples=200, deadline=None)
@given(
    key=st.sampled_from(["team", "project", "cost center", "top", "list", "2024-09", "tag"]),
    value=WORD,
    period=PERIODS,
    measure=st.sampled_from(MEASURES),
    top=st.integers(1, 50),
    untagged=st.none() | st.just(("team",)),
    group_by=st.none() | st.sampled_from(["service", "region", "project"]),
)
def test_query_text_round_trips_through_the_parser(
    key: str,
    value: str,
    period: PeriodSpec,
    measure: str,
    top: int,
    untagged: tuple[str, ...] | None,
    group_by: str | None,
) -> None:
    tag_keys = ["team", "project", "cost center", "top", "list", "2024-09", "tag"]
    vocab = Vocabulary(
        tag_values={k: [value, "other"] for k in tag_keys},
        dimension_values={"service": ["AmazonEC2"], "region": ["us-east-1"]},
    )
    query = CostQuery(
        filters=((key, value),),
        group_by=group_by,
        period=period,
        measure=measure,
        untagged=untagged,
        top=top,
    )
    if group_by == key:
        return
    text = query_text(query, default_measure="effective")
    assert parse(text, vocab) == query, text
