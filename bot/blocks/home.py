"""Render the App Home tab: the org's month to date, the top teams, budgets, how to ask.

The Home tab is the one place people look without asking, so it answers the
first questions (how much so far this month, who spends it) and teaches the
``/cost`` grammar with the org's own tag values. With no data yet it says how
to load some instead of showing zeros.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bot.blocks.cost_answer import footer_text, group_lines, summary_text
from bot.blocks.limits import MAX_VIEW_BLOCKS, fit_blocks
from bot.blocks.mrkdwn import code, context, fit, header, one_line, pack, section
from bot.costs.model import CostAnswer

TOP_TEAMS = 10
MAX_BUDGET_ROWS = 20
MAX_EXAMPLES = 8

EMPTY_STATE = (
    ":inbox_tray: *No billing data ingested yet.* Run `costbot ingest …` with a CUR 2.0, "
    "legacy CUR or FOCUS export (files, a directory or an `s3://` prefix); this tab fills in "
    "once the first day of spend is loaded."
)


def home_view(
    mtd: CostAnswer | None,
    by_team: CostAnswer | None,
    *,
    examples: list[str],
    budgets: Sequence[object] | None = None,
) -> dict[str, Any]:
    """Build the ``views.publish`` view for the Home tab (at most 100 blocks)."""
    blocks: list[dict[str, Any]] = [header("costbot · cloud spend")]
    if mtd is None:
        blocks.append(section(EMPTY_STATE))
    else:
        blocks += _month_to_date(mtd)
        blocks.append({"type": "divider"})
        blocks += _top_teams(by_team)
    blocks.append({"type": "divider"})
    blocks += _budgets(budgets)
    blocks.append({"type": "divider"})
    blocks += _how_to_ask(examples)
    return {"type": "home", "blocks": fit_blocks(blocks, MAX_VIEW_BLOCKS)}


def _month_to_date(mtd: CostAnswer) -> list[dict[str, Any]]:
    return [
        section("*Month to date, whole org*\n" + summary_text(mtd)),
        context(footer_text(mtd)),
    ]


def _top_teams(by_team: CostAnswer | None) -> list[dict[str, Any]]:
    if by_team is None or not by_team.groups:
        return [
            section(
                "*Top teams*\nNo `team` tag in the bill yet: tag resources with `team` "
                "(or set `COSTBOT_TAG_ALIASES`) to see spend per team here."
            )
        ]
    lines = ["*Top teams* (month to date) — cost · share · change"]
    lines += group_lines(by_team, max_rows=TOP_TEAMS, title=False)
    return [section(text) for text in pack(lines)]


def _budgets(budgets: Sequence[object] | None) -> list[dict[str, Any]]:
    if not budgets:
        return [section("*Budgets*\nNo budgets are configured yet.")]
    lines = ["*Budgets*"]
    lines += [f"• {fit(one_line(str(b)), 200)}" for b in budgets[:MAX_BUDGET_ROWS]]
    if len(budgets) > MAX_BUDGET_ROWS:
        lines.append(f"…and {len(budgets) - MAX_BUDGET_ROWS:,} more")
    return [section(text) for text in pack(lines)]


def _how_to_ask(examples: Sequence[str]) -> list[dict[str, Any]]:
    lines = ["*How to ask*", "Type `/cost help` anywhere for the whole grammar. For example:"]
    lines += [f"• /cost {code(e, 300)}" for e in examples[:MAX_EXAMPLES] if e.strip()]
    return [section(text) for text in pack(lines)]
