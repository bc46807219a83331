"""One entry point for "answer this text": read it with the store's vocabulary, then query.

Slack listeners, buttons, the CLI and scheduled jobs all go through here, so a
question means the same thing wherever it is asked. The ``/cost`` grammar is
tried first, so everything it accepts means exactly what it always meant; text
it cannot read goes to the natural-language reader (:mod:`bot.costs.phrasing`),
which either reads it (and says how), or asks back. An empty store answers
"no data yet, and how to load some" rather than a confusing parse error.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from bot.costs.grammar import AskBack, HelpRequest, QueryParseError, Vocabulary, is_help, parse
from bot.costs.model import CostAnswer, CostQuery
from bot.costs.query import EMPTY_STORE, CostQueryEngine, NoDataYet


def read_text(
    text: str,
    vocab: Vocabulary,
    *,
    today: date,
    default_measure: str = "effective",
    default_top: int = 10,
    week_start: int = 0,
) -> CostQuery | HelpRequest:
    """Read a question against a vocabulary: the grammar first, then natural phrasing.

    The grammar's first attempt skips its "did you mean" search (over every value in
    the bill, slow with 20 000 resources); only when its error is the answer after
    all is the text parsed again for the suggestions.
    """
    try:
        return parse(
            text,
            vocab,
            default_measure=default_measure,
            default_top=default_top,
            suggestions=False,
        )
    except AskBack:
        raise  # the grammar read the words and found two meanings: ask, don't guess
    except QueryParseError as quick:
        from bot.costs.phrasing import read_phrase

        try:
            return read_phrase(
                text,
                vocab,
                today=today,
                default_measure=default_measure,
                default_top=default_top,
                grammar_error=quick,
                week_start=week_start,
            )
        except AskBack:
            raise
        except QueryParseError as exc:
            try:
                parse(text, vocab, default_measure=default_measure, default_top=default_top)
            except QueryParseError as full:
                if exc is quick:
                    raise full from None
                # Neither could read it: the reader's reason, with both "did you mean" lists.
                merged = list(dict.fromkeys([*exc.suggestions, *full.suggestions]))[:5]
                raise QueryParseError(exc.reason, merged) from None
            raise


def read(
    engine: CostQueryEngine,
    text: str,
    *,
    default_measure: str = "effective",
) -> CostQuery | HelpRequest:
    """Read a question (grammar first, then natural phrasing); raises QueryParseError."""
    if is_help(text):
        return HelpRequest()
    if engine.store.data_through() is None:
        raise NoDataYet(EMPTY_STORE)
    return read_text(
        text,
        engine.vocabulary(),
        today=engine.today(),
        default_measure=default_measure,
        default_top=engine.default_top,
        week_start=engine.week_start,
    )


def ask(
    engine: CostQueryEngine,
    text: str,
    *,
    default_measure: str = "effective",
    measure: str | None = None,
) -> CostAnswer | HelpRequest:
    """Answer a question; raises QueryParseError (AskBack when it has several readings),
    NoDataYet or QueryError."""
    parsed = read(engine, text, default_measure=default_measure)
    if isinstance(parsed, HelpRequest):
        return parsed
    if measure:
        parsed = replace(parsed, measure=measure)
    return engine.answer(parsed)
