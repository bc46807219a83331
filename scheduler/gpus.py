"""The GPU sweep job: post new idle findings once each, alert teams over their run rate.

``sweep_gpus`` runs every ``COSTBOT_SWEEP_MINUTES`` (default 10): the inventory times its
prices is the live burn rate, so a team whose fleet crosses its limit hears of it within
one sweep of the fleet starting, a day before the bill shows it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from slack_sdk.errors import SlackApiError

from bot import gpu_ops
from bot.blocks.burn_rate import run_rate_alert_blocks
from bot.blocks.idle import finding_blocks, finding_fallback
from bot.insights.burn_rate import run_rate_breaches
from bot.money import format_money
from bot.services import Services
from bot.state import findings as finding_state

log = logging.getLogger("costbot.jobs.gpus")


@dataclass
class SweepReport:
    """What one sweep did (for logs and tests)."""

    findings: int = 0
    posted: list[str] = field(default_factory=list)
    alerts: list[str] = field(default_factory=list)
    unrouted: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def sweep_gpus(services: Services) -> SweepReport:
    """Sweep the fleet, post each new finding to its team's channel, alert on run rate."""
    report = SweepReport()
    result = gpu_ops.sweep(services)
    report.findings = len(result.visible)
    report.errors.extend(result.sweep.fleet.errors)
    for error in result.sweep.fleet.errors:
        log.warning("GPU sweep: %s", error)
    gpus = services.settings.gpus
    client = services.slack_client()
    now = services.clock()
    for f in result.new:
        channel = gpu_ops.team_channel(gpus, f.team)
        if channel is None:
            report.unrouted.append(f.id)
            continue
        try:
            answer = client.chat_postMessage(
                channel=channel,
                text=finding_fallback(f),
                blocks=finding_blocks(f, now),
                unfurl_links=False,
            )
        except SlackApiError as exc:  # not marked posted: the next sweep tries again
            report.errors.append(f"posting {f.id} to {channel}: {exc.response.get('error')}")
            continue
        finding_state.mark_posted(services.store, f, str(answer["channel"]), str(answer["ts"]))
        report.posted.append(f.id)
    breaches = run_rate_breaches(result.burn, gpus.team_hourly_limits)
    teams = {t.team: t for t in result.burn.teams}
    for breach in breaches:
        if not finding_state.run_rate_alert_due(services.store, breach.team, breach.hourly, now):
            continue
        channel = gpu_ops.team_channel(gpus, breach.team)
        if channel is None:
            report.unrouted.append(f"run-rate:{breach.team}")
            continue
        try:
            client.chat_postMessage(
                channel=channel,
                text=f"{breach.team} is burning {format_money(breach.hourly)}/h, above its limit",
                blocks=run_rate_alert_blocks(breach, teams[breach.team]),
            )
            report.alerts.append(breach.team)
        except SlackApiError as exc:
            finding_state.forget_run_rate_alert(services.store, breach.team)  # retry next sweep
            report.errors.append(f"run-rate alert for {breach.team}: {exc.response.get('error')}")
    finding_state.clear_run_rate_alerts(services.store, {b.team for b in breaches})
    return report
