"""Read subscription and budget requests, typed in Slack or in the terminal.

    subscribe daily  [FILTERS…] [at 09:00] [tz Europe/Berlin]
    subscribe weekly [on monday] [FILTERS…] [at 09:00] [tz Europe/Berlin]
    budget set [FILTERS…] AMOUNT monthly [alert 50,80,100] [channel #ml-costs]

FILTERS are read by the ``/cost`` grammar's own parser (:func:`bot.costs.grammar.parse`),
so they mean exactly what they mean in a question, and an unknown filter gets the
same "did you mean".
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.costs.grammar import HelpRequest, QueryParseError, Vocabulary, parse, tokenize
from bot.errors import CostbotError
from bot.insights.budgets import DEFAULT_THRESHOLDS
from bot.money import to_nanos
from bot.state.scheduling import WEEKDAYS

_TIME = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")
_CHANNEL_LINK = re.compile(r"^<#(C[A-Z0-9]+)(\|[^>]*)?>$")

SUBSCRIBE_USAGE = (
    "subscribe daily [FILTERS…] [at 09:00] [tz Europe/Berlin]  or  "
    "subscribe weekly [on monday] [FILTERS…] [at 09:00] [tz Europe/Berlin]"
)
BUDGET_USAGE = "budget set [FILTERS…] AMOUNT monthly [alert 50,80,100] [channel #ml-costs]"


class RequestError(CostbotError):
    """A subscription or budget request could not be read."""


@dataclass(frozen=True)
class SubscribeRequest:
    """A digest asked for: cadence, filters, local time, weekday (weekly), time zone."""

    cadence: str
    filters: tuple[tuple[str, str], ...]
    at: str
    weekday: int | None
    tz: str


@dataclass(frozen=True)
class BudgetRequest:
    """A budget asked for: filters, amount (nano-units), period, thresholds, channel."""

    filters: tuple[tuple[str, str], ...]
    amount: int
    period: str
    thresholds: tuple[int, ...]
    channel: str | None


def _quote(word: str) -> str:
    return f'"{word}"' if any(c.isspace() for c in word) else word


def parse_filters(words: Sequence[str], vocab: Vocabulary) -> tuple[tuple[str, str], ...]:
    """Read FILTERS with the /cost grammar; only filters are allowed (no by, period …)."""
    if not words:
        return ()
    parsed = parse(" ".join(_quote(w) for w in words), vocab)
    if isinstance(parsed, HelpRequest):
        return ()
    if (
        parsed.group_by
        or parsed.untagged is not None
        or parsed.share
        or parsed.period.kind != "mtd"
        or parsed.top != 10
    ):
        raise RequestError(
            f"only filters go here (like `team ai-research`), not `{' '.join(words)}`."
        )
    return parsed.filters


def parse_channel(word: str) -> str:
    """Accept ``#name``, ``C123`` or Slack's ``<#C123|name>``; return what Slack accepts."""
    if m := _CHANNEL_LINK.match(word):
        return m.group(1)
    if word.startswith("#") and len(word) > 1:
        return word
    if re.fullmatch(r"[CGD][A-Z0-9]{2,}", word):
        return word
    raise RequestError(f"`{word}` is not a channel; write it as `#channel-name`.")


def parse_subscribe(text: str, vocab: Vocabulary) -> SubscribeRequest:
    """Read ``daily|weekly [on DAY] [FILTERS…] [at HH:MM] [tz ZONE]``."""
    words = tokenize(text)
    if not words or words[0].lower() not in ("daily", "weekly"):
        raise RequestError(f"say how often: {SUBSCRIBE_USAGE}")
    cadence = words[0].lower()
    at, tz, weekday = "09:00", "UTC", 0 if cadence == "weekly" else None
    rest: list[str] = []
    i = 1
    while i < len(words):
        low = words[i].lower()
        if low in ("at", "tz", "on"):
            if i + 1 >= len(words):
                raise RequestError(f"`{low}` needs a value: {SUBSCRIBE_USAGE}")
            value = words[i + 1]
            if low == "at":
                m = _TIME.match(value)
                if not m:
                    raise RequestError(f"`{value}` is not a time; use 24-hour HH:MM, like 09:00.")
                at = f"{int(m.group(1)):02d}:{m.group(2)}"
            elif low == "tz":
                try:
                    ZoneInfo(value)
                except (ZoneInfoNotFoundError, ValueError):
                    raise RequestError(
                        f"`{value}` is not a time zone; use an IANA name like Europe/Berlin."
                    ) from None
                tz = value
            else:
                if cadence != "weekly":
                    raise RequestError("`on DAY` is for weekly digests.")
                day = value.lower()
                found = [n for n, name in enumerate(WEEKDAYS) if name.startswith(day[:3])]
                if len(day) < 3 or not found:
                    raise RequestError(f"`{value}` is not a weekday; use e.g. `on monday`.")
                weekday = found[0]
            i += 2
            continue
        rest.append(words[i])
        i += 1
    return SubscribeRequest(cadence, parse_filters(rest, vocab), at, weekday, tz)


def parse_amount(word: str) -> int:
    """Read ``50000``, ``50,000``, ``$50000.00`` or ``50k`` as nano-units."""
    text = word.strip().lstrip("$").replace(",", "").replace("_", "")
    scale = 1
    if text[-1:].lower() == "k":
        text, scale = text[:-1], 1000
    elif text[-1:].lower() == "m":
        text, scale = text[:-1], 1_000_000
    try:
        value = Decimal(text) * scale
    except InvalidOperation:
        raise RequestError(f"`{word}` is not an amount; write it like 50000.") from None
    if not value.is_finite() or value <= 0:
        raise RequestError(f"a budget must be a positive amount, not `{word}`.")
    return to_nanos(value)


def _is_amount(word: str) -> bool:
    return bool(re.fullmatch(r"\$?\d[\d,_]*(\.\d+)?[kKmM]?", word))


def parse_budget(text: str, vocab: Vocabulary) -> BudgetRequest:
    """Read ``[FILTERS…] AMOUNT monthly [alert 50,80,100] [channel #c]`` (after ``budget set``)."""
    try:
        words = tokenize(text)
    except QueryParseError as exc:
        raise RequestError(str(exc)) from exc
    thresholds: tuple[int, ...] = DEFAULT_THRESHOLDS
    channel: str | None = None
    period: str | None = None
    rest: list[str] = []
    i = 0
    while i < len(words):
        low = words[i].lower()
        if low in ("alert", "alerts", "channel") and i + 1 < len(words):
            value = words[i + 1]
            if low == "channel":
                channel = parse_channel(value)
            else:
                thresholds = _thresholds(value)
            i += 2
            continue
        if low in ("monthly", "month"):
            period = "monthly"
        elif low in ("weekly", "daily", "quarterly", "yearly", "annual", "annually"):
            raise RequestError(f"only monthly budgets exist for now, not `{low}`.")
        else:
            rest.append(words[i])
        i += 1
    # The amount is the last number: a filter value before it may be a number too (an account).
    at = next((j for j in range(len(rest) - 1, -1, -1) if _is_amount(rest[j])), None)
    if at is None:
        raise RequestError(f"the budget needs an amount: {BUDGET_USAGE}")
    amount = parse_amount(rest.pop(at))
    return BudgetRequest(
        parse_filters(rest, vocab), amount, period or "monthly", thresholds, channel
    )


def _thresholds(text: str) -> tuple[int, ...]:
    try:
        values = sorted({int(p.strip().rstrip("%")) for p in text.split(",") if p.strip()})
    except ValueError:
        raise RequestError(f"`alert {text}` needs percentages like `alert 50,80,100`.") from None
    if not values or any(not 1 <= v <= 1000 for v in values):
        raise RequestError("alert thresholds are percentages from 1 to 1000.")
    return tuple(values)
