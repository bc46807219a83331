"""App Home: month to date for the org, the top teams, budgets, and how to ask."""

from __future__ import annotations

import logging
from typing import Any

from bot.blocks.home import home_view
from bot.costs.ask import read
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
    note: str | None = None
    mtd: list[CostAnswer] = []
    by_team: list[CostAnswer] = []
    if has_data:
        try:
            mtd = _answers(services, "mtd")
            if "team" in vocab.tag_values:
                by_team = _answers(services, "by team mtd")
        except CostbotError as exc:
            # Data exists: say what went wrong rather than "no billing data ingested yet".
            log.warning("home tab: %s", exc)
            note = f"Month to date is not available: {exc}"
    client.views_publish(
        user_id=event["user"],
        view=home_view(mtd, by_team, examples=examples_for(vocab), note=note),
    )


def _answers(services: Services, text: str) -> list[CostAnswer]:
    """Answer ``text``, once per currency when the spend is in several."""
    query = read(services.engine, text, default_measure=services.settings.measure)
    if isinstance(query, HelpRequest):
        return []
    return services.engine.answer_per_currency(query)
