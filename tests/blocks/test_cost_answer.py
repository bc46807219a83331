"""What a user sees in a /cost answer: amounts, changes, shares, buttons, and nothing unsafe."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from answer_factory import dollars, make_answer, team_query
from limits_check import assert_escaped, assert_within_block_limits, mrkdwn_texts

from bot.blocks import ids
from bot.blocks.cost_answer import cost_answer_blocks, cost_answer_text
from bot.blocks.query_text import query_text
from bot.costs.grammar import Vocabulary, parse
from bot.costs.model import CostQuery, GroupCost, PeriodSpec

VOCAB = Vocabulary(
    tag_values={
        "team": ["ai-research", "ml-platform", "<script>&"],
        "project": ["llm training", 'say "hi"', "back\\slash"],
        "top": ["1"],
    },
    dimension_values={"service": ["AmazonEC2", "Amazon SageMaker"], "region": ["us-east-1"]},
)


def all_text(blocks: list[dict[str, Any]]) -> str:
    """Join every visible text, the way a reader scans the message."""
    out: list[str] = []
    for block in blocks:
        if block["type"] in ("header", "section"):
            out.append(block["text"]["text"])
        elif block["type"] == "context":
            out += [e["text"] for e in block["elements"]]
    return "\n".join(out)


def buttons(blocks: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Map action_id to button, for the message's actions block (if any)."""
    found = [b for b in blocks if b["type"] == "actions"]
    return {e["action_id"]: e for b in found for e in b["elements"]}


def reparse(text: str) -> CostQuery:
    parsed = parse(text, VOCAB)
    assert isinstance(parsed, CostQuery)
    return parsed


# -- amounts -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("nanos", "shown"),
    [
        (1_234_567_890_123, "$1,234.57"),
        (dollars("1234.565"), "$1,234.56"),  # half-even: …65 → …6
        (dollars("1234.575"), "$1,234.58"),  # half-even: …75 → …8
        (dollars("12345.67"), "$12,345.67"),
        (4, "$0.00"),
    ],
)
def test_total_is_bold_and_rounded_to_the_cent(nanos: int, shown: str) -> None:
    blocks = cost_answer_blocks(make_answer(team_query(), total=nanos), question="team ai-research")
    assert f"*{shown}*" in blocks[1]["text"]["text"]


def test_header_restates_the_question_as_understood() -> None:
    blocks = cost_answer_blocks(make_answer(team_query(), total=1), question="team ai-research")
    assert blocks[0] == {
        "type": "header",
        "text": {"type": "plain_text", "text": "team ai-research, last 30d", "emoji": True},
    }


def test_change_against_the_previous_period_with_its_amount_and_dates() -> None:
    answer = make_answer(team_query(), total=dollars("118.20"), previous_total=dollars("100"))
    summary = cost_answer_blocks(answer, question="x")[1]["text"]["text"]
    assert "+18.2 % vs $100.00 (2024-08-01 – 2024-08-21)" in summary


def test_a_fall_is_shown_with_a_minus_sign() -> None:
    answer = make_answer(team_query(), total=dollars("75"), previous_total=dollars("100"))
    assert "−25.0 % vs $100.00" in cost_answer_blocks(answer, question="x")[1]["text"]["text"]


def test_nothing_to_compare_with_is_said_in_words() -> None:
    answer = make_answer(team_query(), total=dollars("5"), previous_total=0)
    summary = cost_answer_blocks(answer, question="x")[1]["text"]["text"]
    assert "No spend in the previous period (2024-08-01 – 2024-08-21)" in summary
    assert "new" not in summary


# -- groups ------------------------------------------------------------------------------------


def test_groups_show_amount_share_and_change() -> None:
    query = CostQuery(group_by="team")
    groups = (
        GroupCost("ai-research", dollars("750"), previous=dollars("500")),
        GroupCost("ml-platform", dollars("250"), previous=None),
    )
    text = all_text(
        cost_answer_blocks(
            make_answer(query, total=dollars("1000"), groups=groups), question="by team"
        )
    )
    assert "*By team* — cost · share · change" in text
    assert "• ai-research — $750.00 · 75.0 % · +50.0 %" in text
    assert "• ml-platform — $250.00 · 25.0 %" in text


def test_other_row_says_how_many_keys_it_stands_for() -> None:
    query = CostQuery(group_by="team", top=2)
    groups = (
        GroupCost("a", dollars("50")),
        GroupCost("b", dollars("30")),
        GroupCost("other (37 more)", dollars("20"), is_other=True, members=37),
    )
    answer = make_answer(query, total=dollars("100"), groups=groups, group_count=39)
    text = all_text(cost_answer_blocks(answer, question="by team top 2"))
    assert "(top 2 of 39)" in text
    assert "• _Other_ (37 more) — $20.00 · 20.0 %" in text


def test_long_lists_end_with_and_n_more_and_keep_every_text_short() -> None:
    query = CostQuery(group_by="resource")
    groups = tuple(GroupCost(f"arn:aws:ec2:i-{i:040d}", dollars("10")) for i in range(120))
    answer = make_answer(query, total=dollars("1200"), groups=groups)
    blocks = cost_answer_blocks(answer, question="by resource")
    assert_within_block_limits(blocks)
    text = all_text(blocks)
    assert "…and 70 more — $700.00 · 58.3 %" in text
    assert text.count("• arn:aws") == 50


def test_hidden_rows_and_other_row_are_summed_together() -> None:
    groups = (
        *(GroupCost(f"k{i}", dollars("1")) for i in range(60)),
        GroupCost("other", dollars("40"), is_other=True, members=40),
    )
    answer = make_answer(CostQuery(group_by="team"), total=dollars("100"), groups=groups)
    assert "…and 50 more — $50.00 · 50.0 %" in all_text(cost_answer_blocks(answer, question="x"))


# -- untagged ----------------------------------------------------------------------------------


def test_untagged_shows_its_amount_and_share_of_all_spend() -> None:
    query = CostQuery(untagged=("team", "project"))
    groups = (GroupCost("untagged", dollars("250")), GroupCost("tagged", dollars("750")))
    answer = make_answer(query, total=dollars("250"), all_spend=dollars("1000"), groups=groups)
    text = all_text(cost_answer_blocks(answer, question="untagged"))
    assert "*$250.00* untagged — *25.0 %* of all spend ($1,000.00)" in text
    assert "Untagged = missing team, project" in text
    assert "• untagged — $250.00 · 25.0 %" in text
    assert "• tagged — $750.00 · 75.0 %" in text
    assert "25.0 %" in cost_answer_text(answer)


# -- context -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("measure", "label"),
    [
        ("effective", "effective (amortized) cost"),
        ("billed", "billed (unblended/invoiced) cost"),
        ("list", "list (on-demand public price) cost"),
    ],
)
def test_context_says_dates_measure_and_freshness(measure: str, label: str) -> None:
    answer = make_answer(team_query(measure=measure), total=1)
    context = cost_answer_blocks(answer, question="team ai-research")[-2]
    assert context["type"] == "context"
    assert context["elements"][0]["text"] == (
        f"2024-09-01 – 2024-09-21 · {label} · complete through 2024-09-20"
    )


def test_shared_answer_says_who_shared_it_and_offers_no_share_button() -> None:
    blocks = cost_answer_blocks(
        make_answer(team_query(), total=1), question="team ai-research", shared_by="U123ABC"
    )
    assert "Shared by <@U123ABC>" in all_text(blocks)
    assert ids.SHARE_ANSWER not in buttons(blocks)
    assert ids.REGROUP in buttons(blocks)


def test_a_shared_by_that_is_not_a_user_id_is_shown_as_text() -> None:
    blocks = cost_answer_blocks(
        make_answer(team_query(), total=1), question="q", shared_by="<!channel>"
    )
    assert "Shared by &lt;!channel&gt;" in all_text(blocks)


def test_no_buttons_when_asked_for_none() -> None:
    blocks = cost_answer_blocks(
        make_answer(team_query(), total=1), question="q", show_buttons=False
    )
    assert not buttons(blocks)
    assert blocks[-1]["type"] == "context"


# -- buttons -----------------------------------------------------------------------------------


def test_buttons_carry_question_text_that_parses_back() -> None:
    query = team_query()
    blocks = cost_answer_blocks(make_answer(query, total=1), question="team ai-research last 30d")
    found = buttons(blocks)
    assert set(found) == {ids.SHARE_ANSWER, ids.REGROUP}
    share = found[ids.SHARE_ANSWER]
    assert share["text"]["text"] == "Share in channel"
    assert reparse(share["value"]) == query
    regroup = found[ids.REGROUP]
    assert regroup["text"]["text"] == "By service"
    assert regroup["value"] == "team ai-research by service last 30d measure effective"
    assert reparse(regroup["value"]) == CostQuery(
        filters=(("team", "ai-research"),),
        group_by="service",
        period=PeriodSpec("last_days", days=30),
    )


def test_values_leave_out_the_default_measure_when_told_it() -> None:
    blocks = cost_answer_blocks(
        make_answer(team_query(), total=1), question="q", default_measure="effective"
    )
    assert buttons(blocks)[ids.REGROUP]["value"] == "team ai-research by service last 30d"
    billed = cost_answer_blocks(
        make_answer(team_query(measure="billed"), total=1),
        question="q",
        default_measure="effective",
    )
    value = buttons(billed)[ids.REGROUP]["value"]
    assert value.endswith("measure billed")
    assert reparse(value).measure == "billed"


def test_grouped_by_service_offers_by_team_and_last_30_days() -> None:
    query = CostQuery(group_by="service", period=PeriodSpec("last_month"))
    found = buttons(
        cost_answer_blocks(make_answer(query, total=1), question="q", default_measure="effective")
    )
    assert found[ids.REGROUP]["text"]["text"] == "By team"
    assert found[ids.REGROUP]["value"] == "by team last month"
    assert found[ids.REPERIOD]["text"]["text"] == "Last 30 days"
    assert found[ids.REPERIOD]["value"] == "by service last 30d"
    assert reparse(found[ids.REPERIOD]["value"]).period == PeriodSpec("last_days", days=30)


def test_untagged_by_service_offers_no_by_team() -> None:
    query = CostQuery(group_by="service", untagged=("team",))
    found = buttons(cost_answer_blocks(make_answer(query, total=1), question="q"))
    assert ids.REGROUP not in found


def test_bare_untagged_stays_bare_when_the_keys_are_the_configured_ones() -> None:
    query = CostQuery(untagged=("team", "project", "environment"))
    found = buttons(
        cost_answer_blocks(
            make_answer(query, total=1),
            question="untagged",
            default_measure="effective",
            default_untagged=("team", "project", "environment"),
        )
    )
    assert found[ids.SHARE_ANSWER]["value"] == "untagged"


def test_share_flag_never_travels_in_a_button_value() -> None:
    query = team_query(share=True)
    for button in buttons(cost_answer_blocks(make_answer(query, total=1), question="q")).values():
        assert not reparse(button["value"]).share


def test_a_question_too_long_for_a_button_gets_no_button() -> None:
    query = CostQuery(filters=(("project", "x" * 2100),))
    blocks = cost_answer_blocks(make_answer(query, total=1), question="q")
    assert not buttons(blocks)
    assert_within_block_limits(blocks)


# -- escaping ----------------------------------------------------------------------------------


def test_tag_values_are_escaped_everywhere_they_show() -> None:
    query = CostQuery(filters=(("team", "<script>&"),), group_by="project")
    groups = (GroupCost("<!channel> & <@U999>", dollars("1")),)
    answer = make_answer(query, total=dollars("1"), groups=groups)
    blocks = cost_answer_blocks(answer, question="team <script>&")
    assert_escaped(blocks)
    text = "\n".join(mrkdwn_texts(blocks))
    assert "&lt;!channel&gt; &amp; &lt;@U999&gt;" in text
    assert "&lt;script&gt;&amp;" in text
    assert "<script>" not in text
    assert "<script>" not in cost_answer_text(answer)
    assert "&lt;script&gt;&amp;" in cost_answer_text(answer)
    # the header is plain_text: shown as typed, nothing to escape
    assert blocks[0]["text"]["text"] == "team <script>& by project, month to date"
    # and the button value is grammar text that finds the same value again
    assert reparse(buttons(blocks)[ids.SHARE_ANSWER]["value"]).filters == (("team", "<script>&"),)


# -- fallback text -----------------------------------------------------------------------------


def test_notification_text_has_question_total_and_change() -> None:
    answer = make_answer(team_query(), total=dollars("118.2"), previous_total=dollars("100"))
    assert cost_answer_text(answer) == (
        "team ai-research, last 30d: $118.20 (+18.2 % vs the previous period)"
    )


# -- query_text --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "text"),
    [
        (CostQuery(), "mtd"),
        (CostQuery(period=PeriodSpec("today")), "today"),
        (CostQuery(period=PeriodSpec("yesterday")), "yesterday"),
        (CostQuery(period=PeriodSpec("last_days", days=7)), "last 7d"),
        (CostQuery(period=PeriodSpec("last_month")), "last month"),
        (CostQuery(period=PeriodSpec("month", start=date(2024, 9, 1))), "2024-09"),
        (
            CostQuery(period=PeriodSpec("range", start=date(2024, 9, 1), end=date(2024, 9, 15))),
            "2024-09-01..2024-09-15",
        ),
        (CostQuery(filters=(("project", "llm training"),)), 'project "llm training"'),
        (CostQuery(filters=(("project", 'say "hi"'),)), r'project "say \"hi\""'),
        (CostQuery(filters=(("project", "back\\slash"),)), r'project "back\\slash"'),
        (CostQuery(filters=(("top", "1"),)), "tag top 1"),
        (CostQuery(filters=(("service", "Amazon SageMaker"),)), 'service "Amazon SageMaker"'),
        (CostQuery(untagged=()), "untagged"),
        (CostQuery(untagged=("team",), top=5, share=True), "top 5 share untagged team"),
        (CostQuery(measure="list"), "measure list"),
    ],
)
def test_query_text_renders_the_grammar(query: CostQuery, text: str) -> None:
    assert query_text(query, default_measure="effective") == text
    assert reparse(text) == query


def test_query_text_always_names_the_measure_without_a_default() -> None:
    assert query_text(CostQuery()) == "measure effective"
