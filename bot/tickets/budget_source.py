"""Budget alerts as ticket findings (issue 14's port): ids
``budget:<budget id>:<YYYY-MM>:<threshold percent | forecast>``.

The budget (its slice, amount and thresholds) comes from the store; spend figures are those of
the budget's slice, asked of the query engine as a ``/cost`` answer's ticket would be.
"""

from __future__ import annotations

import re
from dataclasses import replace

from bot.costs.query import CostQueryEngine
from bot.money import format_money
from bot.state.scheduling import Budgets
from bot.tickets.cost_source import CostFindingSource, normalise
from bot.tickets.findings import FindingContext

PREFIX = "budget"
_ID = re.compile(r"budget:(\d+):(\d{4}-\d{2}):(\d+|forecast)")


class BudgetFindingSource:
    """Look budget alerts up in the store for the ticket flow."""

    def __init__(self, engine: CostQueryEngine, *, default_measure: str) -> None:
        self.engine = engine
        self.default_measure = default_measure
        self.budgets = Budgets(engine.store)
        self.costs = CostFindingSource(
            engine, default_measure=default_measure, question_of=lambda _id: None
        )

    def lookup(self, finding_id: str) -> FindingContext | None:
        """Return the budget alert's ticket context, or None for an unknown budget."""
        match = _ID.fullmatch(finding_id.strip())
        if match is None:
            return None
        budget = self.budgets.get(int(match.group(1)))
        if budget is None:
            return None
        month, mark = match.group(2), match.group(3)
        scope = " ".join(f'{k} "{v}"' for k, v in budget.filters)
        base = self.costs.context(normalise(self.engine, scope, self.default_measure))
        amount = format_money(budget.amount, base.currency)
        crossed = (
            "the month-end forecast passes 100 %" if mark == "forecast" else f"{mark} % is spent"
        )
        spent = format_money(base.spend_mtd or 0, base.currency)
        return replace(
            base,
            finding_id=f"{PREFIX}:{budget.id}:{month}:{mark}",
            kind="budget",
            ref=f"{PREFIX}:{budget.id}:{month}:{mark}",
            title=f"Budget {month}: {budget.scope()} — {crossed} of {amount}",
            what_happened=(
                f"The {month} budget of {amount} for {budget.scope()} crossed a threshold: "
                f"{crossed}. Spent so far this month: {spent}. " + base.what_happened
            ),
            recommended_action=(
                f"Review what drives {budget.scope()} this month (its top services and "
                "resources) and stop what is not needed, or raise the budget if the spend is "
                "planned."
            ),
            impact=base.spend_mtd,
            impact_label=f"spent of {amount} this month",
            priority="High" if mark in ("100", "forecast") else "Medium",
        )
