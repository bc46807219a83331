"""Read the words of ``/cost unit`` and ``costbot unit``: ``[endpoint X|team X] [last Nd]``."""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.errors import CostbotError

USAGE = "usage: unit [endpoint NAME | team NAME] [last 30d]"
_DAYS = re.compile(r"^(\d{1,3})d$")


class UnitUsageError(CostbotError):
    """The words after ``unit`` are not understood."""


@dataclass(frozen=True)
class UnitQuestion:
    """What ``unit`` was asked about."""

    endpoint: str | None = None
    team: str | None = None
    days: int = 30


def parse_unit_words(words: list[str]) -> UnitQuestion:
    """Parse ``[endpoint X|team X] [last Nd]``."""
    endpoint = team = None
    days = 30
    i = 0
    while i < len(words):
        w = words[i].lower()
        nxt = words[i + 1] if i + 1 < len(words) else None
        if w in ("endpoint", "team") and nxt:
            if endpoint or team:
                raise UnitUsageError(f"ask about one endpoint or one team; {USAGE}")
            endpoint, team = (nxt, None) if w == "endpoint" else (None, nxt)
            i += 2
        elif w == "last" and nxt and _DAYS.match(nxt.lower()):
            days = int(_DAYS.match(nxt.lower()).group(1))  # type: ignore[union-attr]
            i += 2
        else:
            raise UnitUsageError(f"did not understand {words[i]!r}; {USAGE}")
    if not 1 <= days <= 366:
        raise UnitUsageError("the window must be 1 to 366 days")
    return UnitQuestion(endpoint, team, days)
