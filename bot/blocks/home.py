"""Render the App Home tab: the org's month to date, the top teams, budgets, how to ask.

The Home tab is the one place people look without asking, so it answers the
first questions (how much so far this month, who spends it) and teaches the
``/cost`` grammar with the org's own tag values. With no data yet it says how
to load some instead of showing zeros.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeAlias

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


Answers: TypeAlias = CostAnswer | Sequence[CostAnswer] | None
"""One answer, or one per billing currency (amounts in different currencies are never added)."""


def _as_list(answers: Answers) -> list[CostAnswer]:
    if answers is None:
        return []
    if isinstance(answers, CostAnswer):
        return [answers]
    return list(answers)


def home_view(
    mtd: Answers,
    by_team: Answers,
    *,
    examples: list[str],
    budgets: Sequence[object] | None = None,
    note: str | None = None,
) -> dict[str, Any]:
    """Build the ``views.publish`` view for the Home tab (at most 100 blocks).

    ``mtd`` and ``by_team`` may hold one answer per currency; ``note`` says why the
    month to date could not be shown although data exists (never the empty state).
    """
    blocks: list[dict[str, Any]] = [header("costbot · cloud spend")]
    mtds = _as_list(mtd)
    if not mtds:
        blocks.append(section(f":warning: {fit(one_line(note), 1500)}" if note else EMPTY_STATE))
    else:
        several = len(mtds) > 1
        for answer in mtds:
            blocks += _month_to_date(answer, several)
        blocks.append({"type": "divider"})
        teams: list[CostAnswer | None] = list(_as_list(by_team)) or [None]
        for team_answer in teams:
            blocks += _top_teams(team_answer, len(teams) > 1)
    blocks.append({"type": "divider"})
    blocks += _budgets(budgets)
    blocks.append({"type": "divider"})
    blocks += _how_to_ask(examples)
    return {"type": "home", "blocks": fit_blocks(blocks, MAX_VIEW_BLOCKS)}


def _month_to_date(mtd: CostAnswer, per_currency: bool = False) -> list[dict[str, Any]]:
    title = (
        f"*Month to date, whole org, in {mtd.currency}*"
        if per_currency
        else ("*Month to date, whole org*")
    )
    return [section(title + "\n" + summary_text(mtd)), context(footer_text(mtd))]


def _top_teams(by_team: CostAnswer | None, per_currency: bool = False) -> list[dict[str, Any]]:
    if by_team is None or not by_team.groups:
        return [
            section(
                "*Top teams*\nNo `team` tag in the bill yet: tag resources with `team` "
                "(or set `COSTBOT_TAG_ALIASES`) to see spend per team here."
            )
        ]
    where = f", in {by_team.currency}" if per_currency else ""
    lines = [f"*Top teams* (month to date{where}) — cost · share · change"]
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
