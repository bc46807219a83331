"""Turn a :class:`~bot.costs.model.PeriodSpec` into dates, and find the period to compare with.

Relative periods end at the last day that has data (never in the empty future),
and the comparison period has the same number of days, so "month to date
through the 21st" is compared with the 1st–21st of the month before rather than
with a whole month. Explicit periods (a month, a range, last month) that run
past the data are cut to the last day with data and say so; a period that lies
wholly after the data is marked, so the engine answers "no data yet" rather
than "$0.00 (−100 %)". Where the two periods still differ in length (the 31st
against a 30-day month), the window says which days are compared.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass, replace
from datetime import date, timedelta

from bot.costs.model import PeriodSpec


@dataclass(frozen=True)
class Window:
    """A resolved period and the one it is compared with; all ends inclusive."""

    start: date
    end: date
    previous_start: date
    previous_end: date
    notes: tuple[str, ...] = ()
    after_data: bool = False  # the period starts after the last day with data

    @property
    def days(self) -> int:
        """Count the days of the period."""
        return (self.end - self.start).days + 1

    @property
    def previous_days(self) -> int:
        """Count the days of the comparison period."""
        return (self.previous_end - self.previous_start).days + 1


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


def resolve(
    spec: PeriodSpec,
    today: date,
    last_data_day: date | None,
    compare: PeriodSpec | None = None,
) -> Window:
    """Resolve a period (and an explicit comparison period) against the clock and the data."""
    window = _resolve(spec, today, last_data_day)
    if spec.kind in ("today", "yesterday", "mtd"):
        if last_data_day is None or window.start > last_data_day:
            window = replace(window, after_data=True)
    elif spec.kind in ("month", "range", "last_month") and last_data_day is not None:
        window = _cut(spec, window, last_data_day)
    if compare is not None:
        other = _resolve(compare, today, last_data_day)
        window = replace(window, previous_start=other.start, previous_end=other.end)
    if not window.after_data and window.days != window.previous_days:
        window = replace(
            window,
            notes=(
                *window.notes,
                f"compares {window.days} days ({_span(window.start, window.end)}) with "
                f"{window.previous_days} days "
                f"({_span(window.previous_start, window.previous_end)})",
            ),
        )
    return window


def _span(start: date, end: date) -> str:
    return start.isoformat() if start == end else f"{start.isoformat()}..{end.isoformat()}"


def _cut(spec: PeriodSpec, window: Window, last_data_day: date) -> Window:
    """Cut an explicit period at the last day with data; mark one that starts after it."""
    if window.start > last_data_day:
        return replace(window, after_data=True)
    asked_end = spec.end if spec.kind == "range" and spec.end else _month_end(window.start)
    if asked_end <= last_data_day:
        return window
    end = last_data_day
    if spec.kind == "range":
        span = end - window.start
        prev_end = window.start - timedelta(days=1)
        prev_start = prev_end - span
    else:
        prev_start, prev_end = _same_span_in_previous_month(window.start, end)
    note = (
        f"cut to {_span(window.start, end)}: the data is complete through {end.isoformat()} "
        f"(asked: {_span(window.start, asked_end)})"
    )
    return Window(window.start, end, prev_start, prev_end, notes=(note,))


def _resolve(spec: PeriodSpec, today: date, last_data_day: date | None) -> Window:
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
