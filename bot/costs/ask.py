"""One entry point for "answer this text": parse with the store's vocabulary, then query.

Slack listeners, buttons, the CLI and scheduled jobs all go through here, so a
question means the same thing wherever it is asked.
"""

from __future__ import annotations

from dataclasses import replace

from bot.costs.grammar import HelpRequest, parse
from bot.costs.model import CostAnswer
from bot.costs.query import CostQueryEngine


def ask(
    engine: CostQueryEngine,
    text: str,
    *,
    default_measure: str = "effective",
    measure: str | None = None,
) -> CostAnswer | HelpRequest:
    """Answer a question in the grammar; raises QueryParseError / QueryError."""
    parsed = parse(text, engine.vocabulary(), default_measure=default_measure)
    if isinstance(parsed, HelpRequest):
        return parsed
    if measure:
        parsed = replace(parsed, measure=measure)
    return engine.answer(parsed)
