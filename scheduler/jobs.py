"""Scheduled jobs: plain functions of the services, the same shape as chat listeners.

Digests, alerts and live syncs arrive as their own issues; today's job keeps the
freshness figures in ``/metrics`` current.
"""

from __future__ import annotations

import logging

from bot.metrics import Metrics, parse_iso
from bot.services import Services

log = logging.getLogger("costbot.jobs")


def refresh_freshness(services: Services, metrics: Metrics) -> None:
    """Record the last ingest time for ``/metrics`` and warn when the data is stale."""
    metrics.last_sync = parse_iso(services.store.meta("last_ingest_at"))
    through = services.store.data_through()
    if through is None:
        log.warning("no billing data ingested yet; run `costbot ingest`")
        return
    age_hours = (services.clock() - through).total_seconds() / 3600
    if age_hours > 48:
        log.warning("billing data is %.0f hours old (through %s)", age_hours, through.date())
