"""The GPU features wired to the services: one sweep, one burn rate, one stop, for every surface.

The CLI, the Slack listeners and the scheduled jobs all call these, so `costbot idle`,
`/cost idle` and the sweep job agree. Domain logic stays in :mod:`bot.insights` and
:mod:`bot.actions`; this module only gathers what they need from :class:`Services`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import bot.gpu_hints
import bot.gpu_utilisation  # noqa: F401  (registers GPU utilisation: unit costs, right-sizing)
from bot.actions.snooze import KeepRunning, SnoozeFinding
from bot.actions.stop import StopContext, StopResource
from bot.insights.burn_rate import BurnRate, burn_rate
from bot.insights.fleet import Fleet
from bot.insights.idle import Finding, IdleRules, IdleSweep, find_idle
from bot.insights.prices import PriceTable, shipped_table
from bot.services import Services
from bot.settings import GpuSettings
from bot.state import findings as finding_state
from bot.state.prices import stored_prices


def idle_rules(gpus: GpuSettings) -> IdleRules:
    """Return the idle rules the settings describe."""
    return IdleRules(
        window=timedelta(hours=gpus.idle_window_hours),
        history=timedelta(hours=gpus.idle_lookback_hours),
        gpu_percent=gpus.idle_gpu_percent,
        held_memory_mib=gpus.held_memory_mib,
        cpu_percent=gpus.idle_cpu_percent,
        network_mb_per_hour=gpus.idle_network_mb_per_hour,
        protect_tag=gpus.protect_tag,
        protected_environments=gpus.protected_environments,
    )


def price_table(services: Services) -> PriceTable:
    """Return the shipped price table with refreshed prices from the store on top."""
    return shipped_table().with_overrides(stored_prices(services.store))


@dataclass(frozen=True)
class SweepResult:
    """A sweep's findings (all, and those hidden by snooze or keep-running left out)."""

    sweep: IdleSweep
    visible: tuple[Finding, ...]
    new: tuple[Finding, ...]  # not yet posted this episode
    burn: BurnRate


def sweep(services: Services, fleet: Fleet | None = None) -> SweepResult:
    """Read the fleet and its metrics, store the findings, and return what to show."""
    now = services.clock()
    prices = price_table(services)
    result = find_idle(
        services.gpu_fleet(), prices, idle_rules(services.settings.gpus), now, fleet=fleet
    )
    new = finding_state.record_sweep(services.store, list(result.findings), now)
    visible = []
    for f in result.findings:
        stored = finding_state.get_finding(services.store, f.id)
        if stored is None or not stored.hidden(now):
            visible.append(f)
    return SweepResult(result, tuple(visible), tuple(new), burn_rate(result.fleet, prices, now))


def current_burn(services: Services) -> tuple[BurnRate, Fleet]:
    """Return the burn rate of what runs now (inventory only, no metrics: fast)."""
    fleet = services.gpu_fleet().inventory()
    return burn_rate(fleet, price_table(services), services.clock()), fleet


def stop_context(services: Services) -> StopContext:
    """Return what stopping needs: the store, the fleet, the rules and the clock."""
    return StopContext(
        store=services.store,
        fleet=services.gpu_fleet(),
        rules=idle_rules(services.settings.gpus),
        clock=services.clock,
    )


def stop_action(services: Services) -> StopResource:
    """Return the Stop action wired to the store, the fleet and the clock."""
    return StopResource(stop_context(services))


def snooze_action(services: Services) -> SnoozeFinding:
    """Return the Snooze action."""
    return SnoozeFinding(services.store, services.clock)


def keep_action(services: Services) -> KeepRunning:
    """Return the Keep running action."""
    return KeepRunning(services.store, services.clock)


def team_channel(gpus: GpuSettings, team: str | None) -> str | None:
    """Return the channel for a team's findings and alerts (the default channel otherwise)."""
    if team:
        for name, channel in gpus.team_channels.items():
            if name.lower() == team.lower():
                return channel
    return gpus.default_channel
