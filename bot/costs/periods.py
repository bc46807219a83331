"""Turn a :class:`~bot.costs.model.PeriodSpec` into dates, and find the period to compare with.

Relative periods end at the last day that has data (never in the empty future),
and the comparison period has the same number of days, so "month to date
through the 21st" is compared with the 1st–21st of the month before rather than
with a whole month.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, timedelta

from bot.costs.model import PeriodSpec


@dataclass(frozen=True)
class Window:
    """A resolved period and the one it is compared with; all ends inclusive."""

    start: date
    end: date
    previous_start: date
    previous_end: date


def _month_start(d: date) -> date:
    return d.replace(day=1)


def _add_months(d: date, months: int) -> date:
    y, m = divmod(d.month - 1 + months, 12)
    year, month = d.year + y, m + 1
    return date(year, month, min(d.day, calendar.monthrange(year, month)[1]))


def _month_end(d: date) -> date:
    return d.replace(day=calendar.monthrange(d.year, d.month)[1])


def _same_span_in_previous_month(start: date, end: date) -> tuple[date, date]:
    prev_start = _add_months(start, -1)
    prev_end = min(prev_start + (end - start), _month_end(prev_start))
    return prev_start, prev_end


def resolve(spec: PeriodSpec, today: date, last_data_day: date | None) -> Window:
    """Resolve a period against the clock and the freshness of the data."""
    anchor = min(today, last_data_day) if last_data_day else today
    kind = spec.kind
    if kind in ("today", "yesterday"):
        day = today if kind == "today" else today - timedelta(days=1)
        prev = day - timedelta(days=1)
        return Window(day, day, prev, prev)
    if kind == "last_days":
        n = max(spec.days or 1, 1)
        start = anchor - timedelta(days=n - 1)
        return Window(start, anchor, start - timedelta(days=n), start - timedelta(days=1))
    if kind == "mtd":
        start = _month_start(today)
        if anchor < start:
            # No data for this month yet: compare nothing with nothing, not with a whole day.
            prev = _add_months(start, -1)
            return Window(start, start, prev, prev - timedelta(days=1))
        ps, pe = _same_span_in_previous_month(start, anchor)
        return Window(start, anchor, ps, pe)
    if kind == "last_month":
        start = _add_months(_month_start(today), -1)
        end = _month_end(start)
        prev = _add_months(start, -1)
        return Window(start, end, prev, _month_end(prev))
    if kind == "month" and spec.start:
        start = _month_start(spec.start)
        end = _month_end(start)
        if start <= anchor < end:
            end = anchor
            ps, pe = _same_span_in_previous_month(start, end)
            return Window(start, end, ps, pe)
        prev = _add_months(start, -1)
        return Window(start, end, prev, _month_end(prev))
    if kind == "range" and spec.start and spec.end:
        span = spec.end - spec.start
        prev_end = spec.start - timedelta(days=1)
        return Window(spec.start, spec.end, prev_end - span, prev_end)
    raise ValueError(f"cannot resolve period {spec!r}")
