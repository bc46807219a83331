"""Run one sync of one source, atomically, and record it in the sync ledger.

``costbot sync`` and the scheduler's ``sync_sources`` job both call
:func:`sync_source`. Whatever happens, the run is recorded (with the API
requests and bytes it paid for), and the store changes only in the one
:meth:`~bot.costs.store.CostStore.replace` transaction at the end.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

from bot.costs.ingest import ingest
from bot.costs.resolution import CE_PREFIX, athena_format, ce_format
from bot.errors import CostbotError, SettingsError
from bot.state.sync import (
    CE_REQUEST_NANOS,
    SyncLedger,
    SyncRun,
    athena_spend_nanos,
    ledger_for,
)
from bot.sync.athena_sql import EXPORT_NAMES, build_query, rows_to_lines
from bot.sync.ce import (
    CeCollector,
    CostExplorerError,
    RequestCapReached,
    month_after,
    plan_requests,
    sync_periods,
)
from bot.sync.write import write_lines

if TYPE_CHECKING:
    from bot.services import Services

log = logging.getLogger("costbot.sync")
CE_EXPORT = "ce"  # the export name of Cost Explorer deliveries
PERIOD_FOLDER = re.compile(r"(?i)(billing_period=\d{4}-\d{2}|/\d{8}-\d{8}/)")


@dataclass
class _Tally:
    """What a run did and paid, filled in as it goes (kept when it fails)."""

    rows: int = 0
    requests: int = 0
    bytes_scanned: int = 0
    periods: list[str] = field(default_factory=list)
    detail: str = ""


def source_kind(source: str) -> str:
    """Return ``s3``, ``ce`` or ``athena`` for a configured source."""
    return "s3" if source.startswith("s3://") else source


def configured(services: Services, kind: str | None) -> list[str]:
    """Return the configured sources, or those of one kind (``ce``/``athena`` need no entry)."""
    sources = list(services.settings.sources)
    if kind is None:
        if not sources:
            raise SettingsError(
                "no sources to sync: set COSTBOT_SOURCES (e.g. s3://bucket/prefix,ce)"
            )
        return sources
    picked = [s for s in sources if source_kind(s) == kind]
    if kind in ("ce", "athena"):
        return [kind]
    if not picked:
        raise SettingsError("no s3:// source in COSTBOT_SOURCES to sync")
    return picked


def default_window(today: date) -> tuple[date, date]:
    """This month and last month, through yesterday (today is still being billed)."""
    end = today - timedelta(days=1)
    start = (today.replace(day=1) - timedelta(days=1)).replace(day=1)
    return start, max(end, start)


def sync_source(
    services: Services,
    source: str,
    *,
    start: date | None = None,
    end: date | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> SyncRun:
    """Sync one source and record the run; raise the source's error after recording it."""
    ledger = ledger_for(services.store.conn)
    started = services.clock()
    tally = _Tally()
    kind = source_kind(source)
    try:
        if kind == "ce":
            _sync_ce(services, ledger, tally, start, end)
        elif kind == "athena":
            _sync_athena(services, tally, start, end, sleep)
        elif kind == "s3":
            _sync_s3(services, ledger, source, tally)
        else:
            raise SettingsError(f"unknown source {source!r}")
    except BaseException as exc:
        run = _run(
            services, source, started, tally, ok=False, detail=str(exc) or type(exc).__name__
        )
        ledger.record(run)
        log.warning(
            "sync %s failed after %d request(s), %d bytes scanned: %s",
            source,
            tally.requests,
            tally.bytes_scanned,
            exc,
        )
        raise
    run = _run(services, source, started, tally, ok=True, detail=tally.detail)
    ledger.record(run)
    log.info(
        "sync %s: %d rows, periods %s, %d Cost Explorer request(s), %d bytes scanned, %.1fs",
        source,
        run.rows,
        ",".join(run.periods) or "-",
        run.requests,
        run.bytes_scanned,
        run.seconds,
    )
    return run


def _run(
    services: Services, source: str, started: datetime, tally: _Tally, *, ok: bool, detail: str
) -> SyncRun:
    spend = tally.requests * CE_REQUEST_NANOS + athena_spend_nanos(tally.bytes_scanned)
    return SyncRun(
        source=source,
        started_at=started,
        finished_at=services.clock(),
        ok=ok,
        rows=tally.rows if ok else 0,
        requests=tally.requests,
        bytes_scanned=tally.bytes_scanned,
        spend=spend,
        periods=list(tally.periods) if ok else [],
        detail=detail,
    )


# -- Cost Explorer -----------------------------------------------------------------------


def _sync_ce(
    services: Services,
    ledger: SyncLedger,
    tally: _Tally,
    start: date | None,
    end: date | None,
) -> None:
    from bot.aws.cost_explorer import CostExplorerPages, attempts_of

    settings = services.settings
    today = services.clock().date()
    lo, hi = default_window(today) if start is None or end is None else (start, end)
    hi = min(hi, today - timedelta(days=1))
    if hi < lo:
        raise CostbotError(f"nothing to sync: {lo}..{hi} holds no finished day")
    client = services.sync_client("ce")
    account = str(services.sync_client("sts").get_caller_identity()["Account"])
    periods = [p for p in sync_periods(lo, hi) if not _has_export(services, account, p)]
    if not periods:
        tally.detail = "every period in the window has an export ingested; nothing to ask"
        return
    tag_keys = tuple(settings.allocation_tags)
    requests = plan_requests(tag_keys)
    cap = settings.ce_max_requests_per_day
    used = ledger.ce_requests_on(today)
    if used + len(requests) > cap:
        raise RequestCapReached(
            f"Cost Explorer request cap reached: {used} of {cap} today "
            f"(COSTBOT_CE_MAX_REQUESTS_PER_DAY); a sync needs at least {len(requests)}"
        )
    first = date.fromisoformat(periods[0] + "-01")
    stop = min(month_after(periods[-1]), today)  # whole periods: each replaces a stored one
    pages = CostExplorerPages(client)
    collector = CeCollector(aliases=dict(settings.tag_aliases))
    for request in requests:
        token: str | None = None
        while True:
            if used + tally.requests >= cap:
                raise RequestCapReached(
                    f"Cost Explorer request cap of {cap} a day reached mid-sync "
                    "(COSTBOT_CE_MAX_REQUESTS_PER_DAY); the store is unchanged"
                )
            try:
                page, attempts = pages.page(request.params(first, stop, token))
            except CostExplorerError as exc:
                tally.requests += attempts_of(exc)
                raise
            tally.requests += attempts
            collector.add_page(request, page)
            token = page.get("NextPageToken") or None
            if not token:
                break
    table = collector.lines(billing_account=account, tag_keys=tag_keys, periods=periods)
    if table.num_rows == 0:
        raise CostExplorerError(
            f"Cost Explorer returned no spend for {', '.join(periods)}; the store is unchanged"
        )
    stats = write_lines(
        services.store,
        [table],
        export=CE_EXPORT,
        fmt=ce_format(tag_keys),
        allocation_tags=settings.allocation_tags,
    )
    tally.rows = table.num_rows
    tally.periods = sorted({s.billing_period for s in stats})
    tally.detail = f"{tally.requests} request(s) for {first}..{stop - timedelta(days=1)}"


def _has_export(services: Services, account: str, period: str) -> bool:
    """Tell whether a finer delivery (files or Athena) of this payer and period is stored."""
    row = services.store.conn.execute(
        "SELECT 1 FROM deliveries d JOIN sources s ON s.id = d.source_id "
        "WHERE s.provider = 'AWS' AND s.billing_account = ? AND d.billing_period = ? "
        "AND d.format NOT LIKE ?",
        (account, period, CE_PREFIX + "%"),
    ).fetchone()
    return row is not None


# -- Athena ------------------------------------------------------------------------------


def _sync_athena(
    services: Services,
    tally: _Tally,
    start: date | None,
    end: date | None,
    sleep: Callable[[float], None],
) -> None:
    from bot.aws.athena import AthenaError, AthenaQueries

    s = services.settings
    if not (s.athena_database and s.athena_table):
        raise SettingsError("Athena sync needs COSTBOT_ATHENA_DATABASE and COSTBOT_ATHENA_TABLE")
    today = services.clock().date()
    lo, hi = default_window(today) if start is None or end is None else (start, end)
    periods = sync_periods(lo, hi)
    detail_from = today - timedelta(days=s.athena_resource_days)
    query = build_query(
        s.athena_export,
        database=s.athena_database,
        table=s.athena_table,
        periods=periods,
        detail_from=detail_from,
        allocation_tags=s.allocation_tags,
        aliases=dict(s.tag_aliases),
    )
    athena = AthenaQueries(services.sync_client("athena"), sleep=sleep)
    try:
        result = athena.run(
            query.sql,
            query.athena_parameters(),
            database=s.athena_database,
            workgroup=s.athena_workgroup,
            output=s.athena_output,
        )
    except AthenaError as exc:
        tally.bytes_scanned = exc.bytes_scanned
        raise
    tally.bytes_scanned = result.bytes_scanned
    table = rows_to_lines(query, result.rows)
    fmt = athena_format(EXPORT_NAMES[s.athena_export], detail_from)
    stats = write_lines(
        services.store,
        [table],
        export=f"athena:{s.athena_database}.{s.athena_table}",
        fmt=fmt,
        allocation_tags=s.allocation_tags,
        execution=result.execution_id,
    )
    tally.rows = table.num_rows
    tally.periods = sorted({st.billing_period for st in stats})
    tally.detail = (
        f"query {result.execution_id}: {result.bytes_scanned} bytes scanned over "
        f"{', '.join(periods)}"
    )


# -- S3 exports --------------------------------------------------------------------------


def delivery_folder(uri: str) -> str:
    """Return the folder one delivery of a billing period lives under (``BILLING_PERIOD=…``)."""
    match = PERIOD_FOLDER.search(uri)
    return uri[: match.end()] if match else ""


def _sync_s3(services: Services, ledger: SyncLedger, source: str, tally: _Tally) -> None:
    from bot.costs.deliveries import DataFile, is_data_name, is_manifest

    remote = services.s3_exports()
    objects = remote.list_objects(source)  # the one LIST an unchanged bucket costs
    seen = ledger.s3_seen(source)
    changed = {o.name for o in objects if seen.get(o.name) != o.version}
    relevant = {n for n in changed if is_data_name(n) or is_manifest(n)}
    if not relevant:
        tally.detail = (
            f"unchanged: {len(objects)} object(s) already ingested (one LIST)"
            if not changed
            else f"{len(changed)} changed object(s), none a delivery; nothing to ingest"
        )
        ledger.s3_mark(source, [(o.name, o.version, 0) for o in objects], services.clock())
        return
    changed_folders = {(delivery_folder(n) or "") for n in relevant if is_data_name(n)}

    def unseen(f: DataFile) -> bool:
        """Keep a delivery with a new or changed file or manifest (manifests choose them)."""
        return (
            f.name in relevant
            or f.manifest in relevant
            or (delivery_folder(f.name) or "") in changed_folders
        )

    s = services.settings
    result = ingest(
        services.store,
        [source],
        allocation_tags=s.allocation_tags,
        aliases=dict(s.tag_aliases),
        remote=remote,
        keep=unseen,
        workers=s.ingest_workers,
        memory_mb=s.ingest_memory_mb,
    )
    ledger.s3_mark(source, [(o.name, o.version, 0) for o in objects], services.clock())
    tally.rows = result.rows_read
    tally.periods = sorted({d.billing_period for d in result.deliveries})
    tally.detail = (
        f"{len(relevant)} new or changed delivery object(s); "
        f"{len(result.files)} file(s) of {len(tally.periods)} period(s) ingested"
    )
