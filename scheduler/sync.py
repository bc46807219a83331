"""The sync job: run every configured source, then the checks that watch the fresh data.

``sync_sources`` is registered in :mod:`scheduler.schedule` every
``COSTBOT_SYNC_EVERY_HOURS`` (6 by default). After each source it calls the
functions in :data:`AFTER_SYNC_CHECKS` with the services and the finished run:
the anomaly and budget checks are appended there when they are wired in, so
they run on data that just changed and never on a failed sync.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from bot.errors import CostbotError
from bot.metrics import Metrics
from bot.services import Services
from bot.state.sync import SyncRun
from bot.sync.run import sync_source

log = logging.getLogger("costbot.jobs.sync")

AfterSync = Callable[[Services, SyncRun], None]
# Hook for the anomaly and budget checks (wired at integration): called after each
# successful sync of one source, in order.
AFTER_SYNC_CHECKS: list[AfterSync] = []


def sync_sources(
    services: Services,
    metrics: Metrics | None = None,
    *,
    after_sync: list[AfterSync] | None = None,
) -> list[SyncRun]:
    """Sync each configured source; a failing source is logged and the others still run."""
    runs: list[SyncRun] = []
    checks = AFTER_SYNC_CHECKS if after_sync is None else after_sync
    for source in services.settings.sources:
        try:
            run = sync_source(services, source)
        except CostbotError as exc:
            log.warning("sync of %s failed, the store keeps what it had: %s", source, exc)
            if metrics is not None:
                metrics.error("sync")
            continue
        runs.append(run)
        if metrics is not None:
            metrics.last_sync = run.finished_at
        for check in checks:
            try:
                check(services, run)
            except CostbotError as exc:
                log.warning("check after syncing %s failed: %s", source, exc)
    return runs
