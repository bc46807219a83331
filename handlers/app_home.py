"""App Home: month to date for the org, the top teams, budgets, and how to ask."""

from __future__ import annotations

import logging
from typing import Any

from bot.blocks.home import home_view
from bot.costs.ask import ask
from bot.costs.grammar import HelpRequest, examples_for
from bot.costs.model import CostAnswer
from bot.errors import CostbotError
from bot.services import Services

log = logging.getLogger("costbot.slack")


def app_home_opened(event: dict[str, Any], client: Any, context: dict[str, Any]) -> None:
    """Publish the Home tab for the user who opened it."""
    if event.get("tab", "home") != "home":
        return
    services: Services = context["services"]
    vocab = services.engine.vocabulary()
    has_data = services.store.data_through() is not None
    mtd = _answer(services, "mtd") if has_data else None
    by_team = _answer(services, "by team mtd") if has_data and "team" in vocab.tag_values else None
    client.views_publish(
        user_id=event["user"],
        view=home_view(mtd, by_team, examples=examples_for(vocab), budgets=_budgets(services)),
    )


def _answer(services: Services, text: str) -> CostAnswer | None:
    try:
        answer = ask(services.engine, text, default_measure=services.settings.measure)
    except CostbotError as exc:
        log.warning("home tab: %s", exc)
        return None
    return None if isinstance(answer, HelpRequest) else answer


def _budgets(services: Services) -> list[object]:
    """Return the budgets with their status for the Home tab (issue 12)."""
    from bot.insights.views import budget_statuses

    try:
        return list(budget_statuses(services.engine, measure=services.settings.measure))
    except CostbotError as exc:
        log.warning("home tab budgets: %s", exc)
        return []
