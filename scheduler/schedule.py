"""The schedule: which job runs when (APScheduler, UTC)."""

from __future__ import annotations

from apscheduler.schedulers.background import BackgroundScheduler

from bot.metrics import Metrics
from bot.services import Services
from scheduler.chargeback_job import post_monthly_chargeback
from scheduler.gpus import night_watch, sweep_gpus
from scheduler.jobs import refresh_freshness
from scheduler.sync import sync_sources
from scheduler.tickets import poll_tickets


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
    # GPUs (issue 13): idle findings, live burn rate, run-rate alerts
    scheduler.add_job(
        sweep_gpus,
        "interval",
        minutes=services.settings.gpus.sweep_minutes,
        args=[services],
        id="sweep_gpus",
        coalesce=True,
        max_instances=1,
    )
    scheduler.add_job(
        night_watch,
        "interval",
        minutes=5,
        args=[services],
        id="night_watch",
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
    # economics (issue 16): last month's chargeback, on the 1st at 09:00 UTC
    if services.settings.chargeback_channel:
        scheduler.add_job(
            post_monthly_chargeback,
            "cron",
            day=1,
            hour=9,
            args=[services],
            id="post_monthly_chargeback",
            coalesce=True,
            max_instances=1,
        )
    # Jira tickets (issue 14): resolve findings whose tickets are done.
    if services.settings.jira is not None and services.settings.jira.poll_minutes > 0:
        scheduler.add_job(
            poll_tickets,
            "interval",
            minutes=services.settings.jira.poll_minutes,
            args=[services],
            id="poll_tickets",
            coalesce=True,
            max_instances=1,
        )
    return scheduler
