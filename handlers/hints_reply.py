"""``/cost hints [team X]``: ranked optimisation hints, privately."""

from __future__ import annotations

from typing import Any

from bot.blocks.economics import hints_blocks
from bot.economics import gather_hints
from bot.errors import CostbotError
from bot.services import Services


class HintsUsageError(CostbotError):
    """The words after ``hints`` are not understood."""


def answer_hints(services: Services, words: list[str], respond: Any) -> None:
    """Reply with the hints, ranked by $ per month saved."""
    team = None
    if words:
        if len(words) != 2 or words[0].lower() != "team":
            raise HintsUsageError("usage: /cost hints [team NAME]")
        team = words[1]
    report = gather_hints(services, team=team)
    respond(
        response_type="ephemeral",
        replace_original=False,
        text=f"{len(report.hints)} optimisation hints",
        blocks=hints_blocks(
            report.hints,
            period=f"{report.start} – {report.end}",
            notes=report.notes,
            team=team,
        ),
    )
