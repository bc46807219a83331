"""The schedule: which job runs when (APScheduler, UTC)."""

from __future__ import annotations

from apscheduler.schedulers.background import BackgroundScheduler

from bot.metrics import Metrics
from bot.services import Services
from scheduler.jobs import refresh_freshness
from scheduler.sync import sync_sources


def build_scheduler(services: Services, metrics: Metrics) -> BackgroundScheduler:
    """Build (not start) the scheduler with costbot's jobs."""
    scheduler = BackgroundScheduler(timezone="UTC")
    scheduler.add_job(
        refresh_freshness,
        "interval",
        minutes=15,
        args=[services, metrics],
        id="refresh_freshness",
        coalesce=True,
        max_instances=1,
    )
    if services.settings.sources:  # issue 15: keep the store fresh with no command typed
        scheduler.add_job(
            sync_sources,
            "interval",
            hours=services.settings.sync_every_hours,
            args=[services, metrics],
            id="sync_sources",
            next_run_time=services.clock(),
            coalesce=True,
            max_instances=1,
        )
    return scheduler
