"""``/cost unit [endpoint X|team X] [last 30d]``: $ per 1,000 inferences, per run, per GPU-hour."""

from __future__ import annotations

from typing import Any

from bot.blocks.economics import unit_blocks
from bot.economics import gather_unit
from bot.insights.unit_words import parse_unit_words
from bot.services import Services


def answer_unit(services: Services, words: list[str], respond: Any) -> None:
    """Reply with unit costs; invocations come from CloudWatch when it answers."""
    q = parse_unit_words(words)
    report = gather_unit(
        services,
        endpoint=q.endpoint,
        team=q.team,
        days=q.days,
        use_metrics=services.settings.endpoint_metrics,
    )
    respond(
        response_type="ephemeral",
        replace_original=False,
        text="Unit costs",
        blocks=unit_blocks(report),
    )
