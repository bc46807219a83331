"""The schedule: which job runs when (APScheduler, UTC)."""

from __future__ import annotations

from apscheduler.schedulers.background import BackgroundScheduler

from bot.metrics import Metrics
from bot.services import Services
from scheduler.jobs import refresh_freshness
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
