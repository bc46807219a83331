"""The schedule: which job runs when (APScheduler, UTC).

APScheduler only ticks; :class:`~scheduler.runner.JobRunner` decides which
slots are due and claims each in the run ledger, so schedules survive restarts
and no slot runs twice, even with two ``costbot serve`` on one store.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from apscheduler.schedulers.background import BackgroundScheduler

from bot.metrics import Metrics
from bot.services import Services
from scheduler.chargeback_job import post_monthly_chargeback
from scheduler.gpus import night_watch, sweep_gpus
from scheduler.insight_jobs import insight_jobs
from scheduler.jobs import refresh_freshness
from scheduler.runner import JobRunner, JobSpec
from scheduler.sync import sync_sources
from scheduler.tickets import poll_tickets

TICK_SECONDS = 60
FIRST_TICK_SECONDS = 15
"""The first tick (which catches up runs missed while down) waits for start-up to settle."""
SHUTDOWN_WAIT = 1.0
"""Seconds an in-flight run gets to reach a step boundary at shutdown (serve exits within 5 s)."""


class CostbotScheduler(BackgroundScheduler):
    """A background scheduler whose shutdown stops the job runner and marks in-flight runs."""

    runner: JobRunner | None = None

    def shutdown(self, wait: bool = True) -> None:
        """Stop the runner (in-flight runs marked ``interrupted``), then the scheduler."""
        if self.runner is not None:
            self.runner.stop(SHUTDOWN_WAIT)
        super().shutdown(wait=False)


def job_specs(services: Services) -> list[JobSpec]:
    """Return every ledgered job (digests, anomaly scan, budget checks …)."""
    return insight_jobs(services)


def build_runner(services: Services, client: Any = None) -> JobRunner:
    """Build the job runner over the store's run ledger."""
    return JobRunner(
        services,
        lambda: job_specs(services),
        client=client,
        grace=timedelta(hours=services.settings.grace_hours),
    )


def build_scheduler(
    services: Services, metrics: Metrics, client: Any = None
) -> BackgroundScheduler:
    """Build (not start) the scheduler with costbot's jobs.

    With a Slack ``client``, a tick every minute (and one 15 s after start, which catches up
    runs missed while the bot was down, within the grace window) runs due jobs.
    """
    scheduler = CostbotScheduler(timezone="UTC")
    scheduler.add_job(
        refresh_freshness,
        "interval",
        minutes=15,
        args=[services, metrics],
        id="refresh_freshness",
        coalesce=True,
        max_instances=1,
    )
    if client is not None:
        runner = build_runner(services, client)
        scheduler.runner = runner
        scheduler.add_job(
            runner.tick_in_background,
            "interval",
            seconds=TICK_SECONDS,
            id="run_due_jobs",
            coalesce=True,
            max_instances=1,
            next_run_time=datetime.now(UTC) + timedelta(seconds=FIRST_TICK_SECONDS),
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
