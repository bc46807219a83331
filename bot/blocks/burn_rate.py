"""Block Kit for the live burn rate (``/cost now``) and the run-rate alert."""

from __future__ import annotations

from typing import Any

from bot.blocks.mrkdwn import context, fit, header, pack, section
from bot.insights.burn_rate import BurnRate, RunRateBreach, TeamBurn
from bot.money import format_money

MAX_LINES_PER_TEAM = 8
MAX_LINES = 80  # ~100 characters each: well inside the ~13 k of blocks Slack accepts


def _line_text(team: TeamBurn) -> list[str]:
    lines = [
        f"*{fit(team.team, 60)}*: {format_money(team.hourly)}/h · {format_money(team.daily)}/day"
        + (f" (+{team.unpriced} price unknown)" if team.unpriced else "")
    ]
    for line in team.lines[:MAX_LINES_PER_TEAM]:
        price = "price unknown" if line.hourly is None else f"{format_money(line.hourly)}/h"
        count = f" × {line.count}" if line.count > 1 else ""
        lines.append(
            f"   `{fit(line.resource_id, 80)}` {fit(line.instance_type, 30)}{count} "
            f"({fit(line.region, 20)}): {price}"
        )
    if len(team.lines) > MAX_LINES_PER_TEAM:
        lines.append(f"   …and {len(team.lines) - MAX_LINES_PER_TEAM} more")
    return lines


def burn_rate_blocks(rate: BurnRate, *, team: str | None = None) -> list[dict[str, Any]]:
    """What burns right now, per team, with the instances behind it."""
    scope = f" for {team}" if team else ""
    if not rate.teams:
        return [section(f"Nothing with GPUs or accelerators is running{fit(scope, 80)} right now.")]
    blocks: list[dict[str, Any]] = [
        header(
            f"Burning now{scope[:60]}: {format_money(rate.hourly)}/h · "
            f"{format_money(rate.daily)}/day"
        )
    ]
    lines = [text for t in rate.teams[:20] for text in _line_text(t)][:MAX_LINES]
    blocks.extend(section(chunk) for chunk in pack(lines)[:40])
    blocks.append(
        context(
            f"Live from the EC2 and SageMaker inventory at {rate.as_of:%H:%M} UTC, "
            "on-demand prices."
        )
    )
    return blocks


def burn_rate_text(rate: BurnRate) -> str:
    """The notification text of a burn rate answer."""
    return f"Burning now: {format_money(rate.hourly)}/h ({format_money(rate.daily)}/day)"


def run_rate_alert_blocks(breach: RunRateBreach, team: TeamBurn) -> list[dict[str, Any]]:
    """Alert a team that its live burn rate crossed its configured limit."""
    return [
        section(
            f":rotating_light: *{fit(breach.team, 60)}* is burning "
            f"*{format_money(breach.hourly)}/h* ({format_money(breach.hourly * 24)}/day), above "
            + (
                f"the {format_money(breach.limit)}/h its monthly budget of "
                f"{format_money(breach.budget)} allows: at this rate it runs out before month end."
                if breach.budget is not None
                else f"its limit of {format_money(breach.limit)}/h."
            )
        ),
        *[section(chunk) for chunk in pack(_line_text(team)[1:])[:10]],
        context("Live burn rate from the running inventory; the bill shows it tomorrow."),
    ]
