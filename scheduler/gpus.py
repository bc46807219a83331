"""The GPU sweep job: post new idle findings once each, alert teams over their run rate.

``sweep_gpus`` runs every ``COSTBOT_SWEEP_MINUTES`` (default 10): the inventory times its
prices is the live burn rate, so a team whose fleet crosses its limit hears of it within
one sweep of the fleet starting, a day before the bill shows it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from slack_sdk.errors import SlackApiError

from bot import gpu_ops
from bot.actions.night_watch import NightResult, NightStop
from bot.blocks.burn_rate import run_rate_alert_blocks
from bot.blocks.idle import finding_blocks, finding_fallback, night_warning_blocks
from bot.insights.burn_rate import TeamBudget, budget_breaches, run_rate_breaches
from bot.insights.night_watch import night_candidates, night_key, night_phase
from bot.money import format_money
from bot.services import Services
from bot.state import findings as finding_state
from bot.state import idempotency

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
    if client is None:  # no SLACK_BOT_TOKEN: findings are stored, nothing is posted
        report.unrouted.extend(f.id for f in result.new)
        return report
    for f in result.new:
        channel = gpu_ops.team_channel(gpus, f.team)
        if channel is None:
            report.unrouted.append(f.id)
            continue
        try:
            answer = client.chat_postMessage(
                channel=channel,
                text=finding_fallback(f),
                blocks=finding_blocks(f, now, _ticket_buttons(services, f.id)),
                unfurl_links=False,
            )
        except SlackApiError as exc:  # not marked posted: the next sweep tries again
            report.errors.append(f"posting {f.id} to {channel}: {exc.response.get('error')}")
            continue
        finding_state.mark_posted(services.store, f, str(answer["channel"]), str(answer["ts"]))
        report.posted.append(f.id)
    breaches = run_rate_breaches(result.burn, gpus.team_hourly_limits)
    over_limit = {b.team for b in breaches}
    breaches += [
        b for b in budget_breaches(result.burn, team_budgets(services)) if b.team not in over_limit
    ]
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


@dataclass
class NightReport:
    """What one night-watch run did."""

    phase: str | None = None
    warned: list[str] = field(default_factory=list)
    results: list[NightResult] = field(default_factory=list)


def night_watch(services: Services) -> NightReport:
    """Warn 15 minutes before the night, then stop night-environment instances (if enabled)."""
    gpus = services.settings.gpus
    report = NightReport()
    if not gpus.night_watch:
        return report
    now = services.clock()
    phase = night_phase(now, gpus.night_start, gpus.night_end, gpus.night_timezone)
    if phase is None:
        return report
    report.phase = phase.phase
    fleet = services.gpu_fleet().inventory()
    rules = gpu_ops.idle_rules(gpus)
    candidates = night_candidates(fleet.instances, gpus.night_environments, rules)
    if phase.phase == "stop":
        action = NightStop(gpu_ops.stop_context(services))
        report.results = [action.run(i, phase.night) for i in candidates]
        return report
    prices = gpu_ops.price_table(services)
    by_channel: dict[str, list[tuple[str, str, str]]] = {}
    for i in candidates:
        channel = gpu_ops.team_channel(gpus, i.team)
        if channel is None:
            continue
        hourly = prices.hourly(i.region, i.instance_type)
        price = "price unknown" if hourly is None else f"{format_money(hourly)}/h"
        by_channel.setdefault(channel, []).append(
            (night_key(i), i.id, f"{i.instance_type} in {i.region}, {i.environment}: {price}")
        )
    starts = f"{gpus.night_start:%H:%M} {gpus.night_timezone}"
    client = services.slack_client()
    if client is None:
        return report
    for channel, lines in by_channel.items():
        key = f"night-warn:{channel}@{phase.night.isoformat()}"
        if not idempotency.claim(services.store, key, "night-watch", now).won:
            continue
        try:
            client.chat_postMessage(
                channel=channel,
                text=f"Night watch stops {len(lines)} instance(s) at {starts}",
                blocks=night_warning_blocks(lines, starts),
            )
        except SlackApiError as exc:
            idempotency.release(services.store, key)
            log.warning("night watch warning to %s: %s", channel, exc.response.get("error"))
            continue
        idempotency.complete(services.store, key, {"instances": [line[1] for line in lines]})
        report.warned.append(channel)
    return report


def team_budgets(services: Services) -> list[TeamBudget]:
    """Each team's monthly budget (issue 12) with the bill's month to date, for run-rate alerts."""
    from bot.costs.model import CostQuery, PeriodSpec
    from bot.errors import CostbotError
    from bot.state.scheduling import Budgets

    last_day = services.engine.last_data_day()
    if last_day is None:
        return []
    month_end = (last_day.replace(day=28) + timedelta(days=4)).replace(day=1)
    hours_left = (month_end - last_day - timedelta(days=1)).days * 24.0
    out: list[TeamBudget] = []
    for budget in Budgets(services.store).all():
        if len(budget.filters) != 1 or budget.filters[0][0] != "team":
            continue
        team = budget.filters[0][1]
        try:
            spent = services.engine.answer(
                CostQuery(
                    filters=budget.filters,
                    period=PeriodSpec("mtd"),
                    measure=services.settings.measure,
                )
            ).total
        except CostbotError:  # no data this month yet: nothing spent that the bill shows
            spent = 0
        out.append(TeamBudget(team, budget.amount, spent, hours_left))
    return out


def _ticket_buttons(services: Services, finding_id: str) -> list[dict[str, Any]]:
    """The "Open Jira ticket" button (issue 14) under a finding, when Jira is configured."""
    if services.settings.jira is None:
        return []
    from bot.blocks.ticket import ticket_button

    button = ticket_button(finding_id)
    return [button] if button is not None else []
