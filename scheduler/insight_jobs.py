"""The jobs that speak first: post_digests, scan_anomalies, check_budgets.

Plain functions of a :class:`~scheduler.runner.JobContext` (the services, the
Slack client, the slot). Each Slack post is one step: the job checks for
shutdown before it and saves its progress after it, so an interrupted run that
is re-run does not post again what was posted. Every alert also has its own
UNIQUE key in the store (anomaly id, budget finding id), so it goes out once even
if two slots or two processes reach it.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime, time, timedelta
from typing import Any

from bot.blocks.alerts import (
    anomaly_alert_blocks,
    anomaly_text,
    budget_alert_blocks,
    budget_alert_text,
    closing_text,
    digest_blocks,
    digest_text,
    followup_text,
)
from bot.blocks.chart import chart_png
from bot.errors import CostbotError
from bot.insights.anomalies import group_related, root_cause
from bot.insights.budgets import FORECAST
from bot.insights.digest import Digest, DigestSection
from bot.insights.views import InsightSettings, budget_status_of, digest_of, scan_store
from bot.metrics import parse_iso
from bot.services import Services
from bot.state.scheduling import AnomalyAlerts, Budgets, Subscription, Subscriptions
from scheduler.runner import JobContext, JobSpec, daily_slots, plus_events

log = logging.getLogger("costbot.jobs")

ALERT_RECENT_DAYS = 3
"""Anomalies that started longer ago than this (in data days) are not alerted any more."""


# -- shared pieces ---------------------------------------------------------------------------


def insight_settings(services: Services) -> InsightSettings:
    """Return what the insights need from the settings."""
    s = services.settings
    return InsightSettings(
        measure=s.measure,
        allocation_tags=s.allocation_tags,
        min_impact=s.anomaly_min_impact,
        min_percent=s.anomaly_min_percent,
    )


def digest_chart(digest: Digest) -> bytes:
    """Render the digest's chart as PNG bytes."""
    return chart_png(
        digest.chart,
        digest.forecast.daily,
        title=f"Daily {digest.measure} cost by {digest.group_by}, {digest.scope}",
        currency=digest.currency,
    )


def upload_chart(client: Any, channel: str, digest: Digest, png: bytes) -> str:
    """Upload the chart with files.getUploadURLExternal + files.completeUploadExternal."""
    name = f"costbot-digest-{digest.through.isoformat()}.png"
    response = client.files_upload_v2(
        channel=channel,
        file=png,
        filename=name,
        title=f"Daily spend, last 30 days · {digest.scope}",
        alt_txt=f"Daily {digest.measure} cost for the last 30 days, by {digest.group_by}",
        request_file_info=False,
    )
    files = response.get("files") or [response.get("file") or {}]
    return str(files[0].get("id", ""))


# -- jobs --------------------------------------------------------------------------------------


def post_digest(ctx: JobContext, subscription: Subscription) -> dict[str, Any]:
    """Post one subscription's digest, then its chart (each step once)."""
    digest = digest_of(ctx.services.engine, subscription.filters, insight_settings(ctx.services))
    if digest is None:
        return {"note": "no billing data yet"}
    if subscription.cadence == "weekly":
        section = unit_cost_section(ctx.services, subscription.filters)
        if section is not None:
            digest = replace(digest, sections=(*digest.sections, section))
    if not ctx.progress.get("message_ts"):
        ctx.check()
        reply = ctx.client.chat_postMessage(
            channel=subscription.channel,
            text=digest_text(digest),
            blocks=digest_blocks(digest),
            unfurl_links=False,
        )
        ctx.save(message_ts=reply["ts"], channel=reply["channel"])
    if not ctx.progress.get("file_id"):
        ctx.check()
        png = digest_chart(digest)
        ctx.save(file_id=upload_chart(ctx.client, ctx.progress["channel"], digest, png))
    return {"date": digest.through.isoformat()}


def scan_anomalies(ctx: JobContext) -> dict[str, Any]:
    """Scan for anomalies; alert new ones once, follow up in their threads, close them."""
    services = ctx.services
    found = scan_store(services.engine, insight_settings(services))
    ctx.check()
    channel = services.settings.alert_channel
    if not found:
        return {"anomalies": 0}
    through = max(a.last_day for a in found)
    through = max(through, services.engine.last_data_day() or through)
    if not channel:
        log.info("%d anomalies found; set COSTBOT_ALERT_CHANNEL to have them posted", len(found))
        return {"anomalies": len(found), "posted": 0}
    alerts = AnomalyAlerts(services.store)
    now = services.clock()
    posted = followups = closed = 0
    recent = through - timedelta(days=ALERT_RECENT_DAYS)
    for group in group_related(found):
        a, others = group[0], group[1:]
        if a.date < recent or a.status == "expected":
            continue
        if not alerts.claim(
            a.id,
            channel=channel,
            dimension=a.dimension,
            value=a.value,
            start_day=a.date.isoformat(),
            impact=a.impact,
            now=now,
        ):
            continue
        ctx.check()
        a = replace(a, root_cause=root_cause(services.engine, a, measure=services.settings.measure))
        note = "also seen in " + ", ".join(o.scope() for o in others) if others else None
        reply = ctx.client.chat_postMessage(
            channel=channel,
            text=anomaly_text(a),
            blocks=anomaly_alert_blocks(
                a, note=note, extra_buttons=_ticket_buttons(services, f"anomaly:{a.id}")
            ),
        )
        alerts.posted(a.id, reply["ts"])
        for other in others:  # the same event in other dimensions: covered by this alert
            if alerts.claim(
                other.id,
                channel=channel,
                dimension=other.dimension,
                value=other.value,
                start_day=other.date.isoformat(),
                impact=other.impact,
                now=now,
            ):
                alerts.posted(other.id, reply["ts"])
                alerts.close(other.id, None)
        posted += 1
    by_id = {a.id: a for a in found}
    for alert in alerts.open_alerts():
        current = by_id.get(alert.anomaly_id)
        if current is None:
            continue
        snoozed = alert.snoozed_until is not None and alert.snoozed_until > now
        day = current.last_day.isoformat()
        if (
            current.days > 1
            and day > alert.last_day
            and not snoozed
            and current.status != "expected"
            and alerts.claim_followup(current.id, day)
        ):
            ctx.check()
            n = (current.last_day - current.date).days + 1
            reply = ctx.client.chat_postMessage(
                channel=alert.channel,
                thread_ts=alert.ts,
                text=followup_text(n, current.total_impact),
            )
            alerts.followup_posted(current.id, day, reply["ts"], current.total_impact)
            followups += 1
        if current.status in ("ended", "new_level", "expected"):
            ctx.check()
            reply = ctx.client.chat_postMessage(
                channel=alert.channel, thread_ts=alert.ts, text=closing_text(current)
            )
            alerts.close(current.id, reply["ts"])
            closed += 1
    return {"anomalies": len(found), "posted": posted, "followups": followups, "closed": closed}


def check_budgets(ctx: JobContext) -> dict[str, Any]:
    """Alert each budget once per month at each threshold and when the forecast passes 100 %."""
    services = ctx.services
    through = services.engine.last_data_day()
    if through is None:
        return {"note": "no billing data yet"}
    store = Budgets(services.store)
    sent = 0
    for budget in store.all():
        channel = budget.channel or services.settings.alert_channel
        if not channel:
            log.warning("budget %d has no channel and COSTBOT_ALERT_CHANNEL is not set", budget.id)
            continue
        status = budget_status_of(
            services.engine, budget, through, measure=services.settings.measure
        )
        now = services.clock()
        claimed = [
            t
            for t in status.due()
            if store.claim_alert(status.finding_id(t), budget.id, status.period, t, channel, now)
        ]
        levels = [t for t in claimed if t != FORECAST]
        batches = ([levels[-1]] if levels else []) + ([FORECAST] if FORECAST in claimed else [])
        for threshold in batches:
            ctx.check()
            reply = ctx.client.chat_postMessage(
                channel=channel,
                text=budget_alert_text(status, threshold),
                blocks=budget_alert_blocks(
                    status,
                    threshold,
                    extra_buttons=_ticket_buttons(services, status.finding_id(threshold)),
                ),
            )
            covered = levels if threshold != FORECAST else [FORECAST]
            for t in covered:
                store.alert_sent(status.finding_id(t), reply["ts"])
            sent += 1
    return {"alerts": sent}


# -- the schedule of these jobs ----------------------------------------------------------------


def _ingest_times(services: Services) -> list[datetime]:
    """Return the last ingest time as a one-off slot: scans and budget checks follow ingests."""
    when = parse_iso(services.store.meta("last_ingest_at"))
    return [when.astimezone(UTC).replace(microsecond=0)] if when else []


def insight_jobs(services: Services) -> list[JobSpec]:
    """Return the scheduled jobs of this area, read afresh (subscriptions change)."""
    hh, mm = (int(p) for p in services.settings.scan_at.split(":"))
    daily = daily_slots(time(hh, mm), "UTC")
    after_ingest = plus_events(daily, lambda: _ingest_times(services))
    specs = [
        JobSpec(
            "scan_anomalies",
            after_ingest,
            scan_anomalies,
            describe=f"daily at {services.settings.scan_at} UTC and after every ingest",
        ),
        JobSpec(
            "check_budgets",
            after_ingest,
            check_budgets,
            describe=f"daily at {services.settings.scan_at} UTC and after every ingest",
        ),
    ]
    for sub in Subscriptions(services.store).all():
        hh, mm = (int(p) for p in sub.at.split(":"))
        specs.append(
            JobSpec(
                sub.job,
                daily_slots(time(hh, mm), sub.tz, sub.weekday if sub.cadence == "weekly" else None),
                lambda ctx, sub=sub: post_digest(ctx, sub),  # type: ignore[misc]
                not_before=sub.created_at,
                describe=f"digest to {sub.channel}: {sub.describe()}",
            )
        )
    return specs


def _ticket_buttons(services: Services, finding_id: str) -> list[dict[str, Any]]:
    """The "Open Jira ticket" button (issue 14), when Jira is configured."""
    if services.settings.jira is None:
        return []
    from bot.blocks.ticket import ticket_button

    button = ticket_button(finding_id)
    return [button] if button is not None else []


def unit_cost_section(
    services: Services, filters: Sequence[tuple[str, str]]
) -> DigestSection | None:
    """The weekly digest's line per team (issue 16): $ per 1,000 inferences, $ per GPU-hour."""
    from bot.economics import team_unit_lines

    try:
        lines = team_unit_lines(services, days=7)
    except CostbotError as exc:  # e.g. CloudWatch unreachable: the digest goes out without it
        log.warning("weekly digest: unit costs skipped: %s", exc)
        return None
    team = dict(filters).get("team")
    rows = [f"{t}: {line}" for t, line in lines.items() if team is None or t == team]
    if not rows:
        return None
    return DigestSection(key="unit_costs", title="Unit costs, last 7 days", lines=tuple(rows))
