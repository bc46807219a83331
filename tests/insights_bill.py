"""A bill for the speaking-first tests: weekday rhythm, a month-start fee, and one spike."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from tests_support import focus_row, write_csv

from bot.costs.ingest import ingest
from bot.services import Services, build_services
from bot.settings import Settings

START = date(2024, 7, 1)
END = date(2024, 10, 14)
SPIKE_DAY = date(2024, 10, 14)
SPIKE = "2500.00"


def _wiggle(day: date) -> int:
    """Return a small deterministic day-to-day variation in percent (-5..+5)."""
    return (day.toordinal() * 37) % 11 - 5


def insights_bill(
    path: Path, *, end: date = END, spike_days: tuple[date, ...] = (SPIKE_DAY,)
) -> Path:
    """Write July 1 – ``end`` 2024 as FOCUS: two teams with a weekday rhythm, untagged S3,
    a $900 support fee every 1st, and a SageMaker spike for ai-research on ``spike_days``."""
    rows = []
    day = START
    while day <= end:
        weekend = day.weekday() >= 5
        research = (600 if weekend else 1000) * (100 + _wiggle(day)) / 100
        platform = 300 * (100 - _wiggle(day)) / 100
        rows.append(
            focus_row(
                day.isoformat(),
                f"{research:.2f}",
                tags=json.dumps({"team": "ai-research", "project": "llm"}),
                resource="i-train",
            )
        )
        rows.append(
            focus_row(
                day.isoformat(),
                f"{platform:.2f}",
                tags=json.dumps({"team": "ml-platform", "project": "serving"}),
                resource="i-serve",
            )
        )
        rows.append(
            focus_row(
                day.isoformat(),
                "20.00",
                service="Amazon Simple Storage Service",
                resource="bucket",
            )
        )
        if day.day == 1:
            rows.append(
                focus_row(day.isoformat(), "900.00", service="AWS Support", resource="support")
            )
        if day in spike_days:
            rows.append(
                focus_row(
                    day.isoformat(),
                    SPIKE,
                    tags=json.dumps({"team": "ai-research", "project": "llm"}),
                    service="Amazon SageMaker",
                    resource="endpoint-llm",
                )
            )
        day += timedelta(days=1)
    return write_csv(path, rows)


class Clock:
    """A clock the test moves by hand."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        """Move time forward and return the new time."""
        self.now += timedelta(**delta)
        return self.now


def services_with_bill(
    tmp_path: Path,
    clock: Clock,
    *,
    alert_channel: str | None = "C0ALERTS",
    db_name: str = "costbot.db",
    bill: bool = True,
    **settings: Any,
) -> Services:
    """Build services over a store holding :func:`insights_bill` (allocation: team, project)."""
    s = Settings(
        db_path=tmp_path / db_name,
        allocation_tags=("team", "project"),
        alert_channel=alert_channel,
        **settings,
    )
    services = build_services(s, clock=clock)
    if bill:
        path = tmp_path / "insights-bill.csv"
        if not path.exists():
            insights_bill(path)
        ingest(
            services.store, [str(path)], allocation_tags=s.allocation_tags, aliases=s.tag_aliases
        )
    return services
