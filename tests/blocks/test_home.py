"""The App Home tab: month to date, top teams, budgets, how to ask, and the empty state."""

from __future__ import annotations

from typing import Any

from answer_factory import dollars, make_answer
from limits_check import assert_escaped, assert_within_block_limits

from bot.blocks.home import home_view
from bot.costs.model import CostQuery, GroupCost

EXAMPLES = ["team ai-research", "by team", "untagged"]


def texts(view: dict[str, Any]) -> str:
    out: list[str] = []
    for block in view["blocks"]:
        if block["type"] in ("header", "section"):
            out.append(block["text"]["text"])
        elif block["type"] == "context":
            out += [e["text"] for e in block["elements"]]
    return "\n".join(out)


def check(view: dict[str, Any]) -> None:
    assert view["type"] == "home"
    assert_within_block_limits(view["blocks"], 100, max_total_text=None)
    assert_escaped(view["blocks"])


def by_team_answer() -> Any:
    groups = (
        GroupCost("ai-research", dollars("6000"), previous=dollars("5000")),
        GroupCost("ml-platform", dollars("3000"), previous=dollars("3000")),
        GroupCost("<none>", dollars("1000")),
    )
    return make_answer(CostQuery(group_by="team"), total=dollars("10000"), groups=groups)


def test_month_to_date_top_teams_budgets_and_examples() -> None:
    mtd = make_answer(CostQuery(), total=dollars("10000"), previous_total=dollars("8000"))
    view = home_view(mtd, by_team_answer(), examples=EXAMPLES)
    check(view)
    text = texts(view)
    assert "*Month to date, whole org*" in text
    assert "*$10,000.00* total" in text
    assert "+25.0 % vs $8,000.00 (2024-08-01 – 2024-08-21)" in text
    assert "effective (amortized) cost · complete through 2024-09-20" in text
    assert "*Top teams* (month to date)" in text
    assert "• ai-research — $6,000.00 · 60.0 % · +20.0 %" in text
    assert "• ml-platform — $3,000.00 · 30.0 % · ±0.0 %" in text
    assert "• &lt;none&gt; — $1,000.00 · 10.0 %" in text
    assert "*Budgets*\nNo budgets are configured yet." in text
    assert "• /cost `team ai-research`" in text
    assert "• /cost `untagged`" in text


def test_empty_state_says_how_to_load_data() -> None:
    view = home_view(None, None, examples=EXAMPLES)
    check(view)
    text = texts(view)
    assert "No billing data ingested yet" in text
    assert "`costbot ingest …`" in text
    assert "$0.00" not in text
    assert "*How to ask*" in text


def test_no_team_tag_says_how_to_get_one() -> None:
    mtd = make_answer(CostQuery(), total=dollars("1"))
    assert "No `team` tag in the bill yet" in texts(home_view(mtd, None, examples=[]))


def test_many_teams_list_the_top_ten_then_the_rest() -> None:
    groups = tuple(GroupCost(f"team-{i:02d}", dollars("10")) for i in range(40))
    by_team = make_answer(CostQuery(group_by="team"), total=dollars("400"), groups=groups)
    view = home_view(make_answer(CostQuery(), total=dollars("400")), by_team, examples=[])
    check(view)
    text = texts(view)
    assert text.count("• team-") == 10
    assert "…and 30 more — $300.00 · 75.0 %" in text


def test_configured_budgets_are_listed() -> None:
    mtd = make_answer(CostQuery(), total=dollars("1"))
    view = home_view(mtd, None, examples=[], budgets=["ai-research: $5,000 a month"])
    check(view)
    assert "*Budgets*\n• ai-research: $5,000 a month" in texts(view)
