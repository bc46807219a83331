"""Run-rate alerts know each team's monthly budget and what the bill shows spent of it."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from insights_bill import Clock, services_with_bill

from bot.costs.model import CostQuery, PeriodSpec
from bot.state.scheduling import Budgets
from scheduler.gpus import team_budgets

NANO = 1_000_000_000


def test_team_budgets_carry_month_to_date_and_the_hours_the_bill_does_not_show(
    tmp_path: Path,
) -> None:
    now = datetime(2024, 10, 15, 9, tzinfo=UTC)
    services = services_with_bill(tmp_path, Clock(now))
    budgets = Budgets(services.store)
    for filters in ((("team", "ai-research"),), (("project", "llm"),)):
        budgets.add(
            filters=filters,
            amount=50_000 * NANO,
            period="monthly",
            thresholds=(80, 100),
            channel=None,
            created_by=None,
            now=now,
        )

    (research,) = team_budgets(services)  # a project budget is not a team's

    mtd = services.engine.answer(
        CostQuery(filters=(("team", "ai-research"),), period=PeriodSpec("mtd"))
    )
    assert research.team == "ai-research" and research.amount == 50_000 * NANO
    assert research.spent == mtd.total > 0
    assert research.hours_left == 17 * 24  # the bill ends on Oct 14: Oct 15-31 are not in it
