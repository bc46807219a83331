"""Render a :class:`~bot.costs.model.CostQuery` back into the ``/cost`` grammar.

Buttons carry question text, not state (see :mod:`bot.blocks.ids`), so the
builders need the inverse of :func:`bot.costs.grammar.parse`:
``parse(query_text(q), vocab) == q`` for every query whose keys and values are
in ``vocab``. The words it uses, all accepted by the grammar::

    [KEY VALUE | tag KEY VALUE ...] [by DIM] [PERIOD] [top N]
    [measure billed|effective|list] [share] [untagged [KEY ...]]

``untagged`` comes last because the parser takes every tag key after it as one
of its keys (a tag key named ``top`` would otherwise swallow ``top 5``).

PERIOD is ``today``, ``yesterday``, ``last Nd``, ``mtd`` (the grammar's default,
so left out unless nothing else is said), ``last month``, ``YYYY-MM`` or
``YYYY-MM-DD..YYYY-MM-DD``. Values with spaces or quotes go in double quotes
with ``\\`` escapes, as :func:`shlex.split` reads them. A tag key that is also a
grammar word (``top``, ``list``, ``type``, ``2024-09`` …) is written
``tag KEY VALUE`` so it cannot be read as that word.

Questions only the natural-language reader can express (a field with several
values, excluded values, ranking by change, an explicit comparison) are written
in words it reads back (``team a team b``, ``excluding service X``, ``biggest
movers``, ``vs last month``); ``tag:KEY`` marks a tag key spelled like a dimension.

What cannot round-trip, because the grammar's tokenizer rewrites it before
parsing: curly quotes and no-break spaces inside values, and a value that is
itself one of ``by``, ``untagged``, ``top``, ``measure``, ``share``.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence

from bot.costs.grammar import DIMENSION_WORDS, KEYWORDS, MEASURE_WORDS
from bot.costs.model import DIMENSIONS, CostQuery, PeriodSpec

DEFAULT_TOP = CostQuery().top
_NEEDS_QUOTES = re.compile(r"""[\s"'\\\u201c\u201d\u2018\u2019]""")
_PERIODISH = re.compile(r"^\d")
_RESERVED = (
    set(DIMENSION_WORDS) | set(KEYWORDS) | set(MEASURE_WORDS) | {"help", "?", "-h", "--help"}
)


def quote(word: str) -> str:
    """Quote a key or value when the tokenizer would otherwise split or change it."""
    if word and not _NEEDS_QUOTES.search(word):
        return word
    body = word.replace("\u201c", '"').replace("\u201d", '"')
    body = body.replace("\u2018", "'").replace("\u2019", "'")
    body = body.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{body}"'


def period_text(period: PeriodSpec) -> str:
    """Say a period in grammar words (``mtd`` for month to date)."""
    kind = period.kind
    if kind == "last_days":
        return f"last {period.days or 1}d"
    if kind == "last_month":
        return "last month"
    if kind == "month" and period.start:
        return f"{period.start.year:04d}-{period.start.month:02d}"
    if kind == "range" and period.start and period.end:
        return f"{period.start.isoformat()}..{period.end.isoformat()}"
    return kind  # today, yesterday, mtd


def filter_text(key: str, value: str, explicit: Collection[str] = ()) -> str:
    """Say one filter: ``team ai-research``, or ``tag top 1`` for a key that is a grammar word.

    A dimension in ``explicit`` (one a tag key is also spelled as) is written
    ``dim:NAME`` so the parser does not have to ask which one is meant.
    """
    if key in explicit:
        return f"dim:{key} {quote(value)}"
    is_dimension = key in DIMENSIONS or key == "currency" or key.startswith("tag:")
    if is_dimension or (key.lower() not in _RESERVED and not _PERIODISH.match(key)):
        return f"{quote(key)} {quote(value)}"
    return f"tag {quote(key)} {quote(value)}"


def query_text(
    query: CostQuery,
    *,
    default_measure: str | None = None,
    default_untagged: Sequence[str] = (),
    default_top: int | None = None,
    explicit_dimensions: Collection[str] = (),
) -> str:
    """Render ``query`` as the text a user would type after ``/cost``.

    ``default_measure`` is the measure the parser will assume (the
    ``COSTBOT_MEASURE`` setting); the measure is written out unless it equals
    that, so the text means the same whatever the deployment's default.
    ``default_untagged`` are the allocation tags the engine fills in for a bare
    ``untagged``; when the query's keys are exactly those, a bare ``untagged`` is
    written, which keeps working if one of them has no values in the bill yet.
    The result is never empty (``mtd`` when nothing else is said), because an
    empty text asks for help.
    """
    explicit = explicit_dimensions
    words = [filter_text(k, v, explicit) for k, v in query.filters]
    words += [f"excluding {filter_text(k, v, explicit)}" for k, v in query.excludes]
    if query.group_by:
        by = f"dim:{query.group_by}" if query.group_by in explicit else quote(query.group_by)
        words.append(f"by {by}")
    if query.rank != "cost":
        words.append({"growth": "grew the most", "movers": "biggest movers"}[query.rank])
    if query.period.kind != "mtd" or query.compare is not None:
        words.append(period_text(query.period))
    if query.compare is not None:
        words.append(f"vs {period_text(query.compare)}")
    if query.top != (DEFAULT_TOP if default_top is None else default_top):
        words.append(f"top {query.top}")
    if default_measure is None or query.measure != default_measure:
        words.append(f"measure {query.measure}")
    if query.share:
        words.append("share")
    if query.untagged is not None:
        # Last: the grammar reads every tag key after `untagged` as one of its keys.
        keys = list(query.untagged)
        if keys and sorted(keys) == sorted(default_untagged):
            keys = []
        words.append(" ".join(["untagged", *(quote(k) for k in keys)]))
    return " ".join(words) if words else "mtd"
