"""Night watch: which instances to stop at night, and when to warn (pure functions).

Off by default. Instances whose ``environment`` is one of the night environments are
stopped when the night starts (local time of the configured zone), whatever their
utilisation, unless protected, spot, or instance-store backed; the owning channel is
warned 15 minutes before, with a "Keep running tonight" button.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.insights.fleet import Instance
from bot.insights.idle import IdleRules, protection

WARNING = timedelta(minutes=15)


@dataclass(frozen=True)
class NightPhase:
    """Where ``now`` falls: ``warn`` (the 15 minutes before) or ``stop`` (the night)."""

    phase: str
    night: date  # the date the night starts on, local time


def night_phase(now: datetime, start: time, end: time, zone: str) -> NightPhase | None:
    """Return the phase of the night at ``now``, or None during the day.

    A night is named by the date it starts. Tomorrow's night is looked at too
    (last, so a night under way wins): one starting just after midnight is
    warned of before midnight, on the day before.
    """
    tz = ZoneInfo(zone)
    local = now.astimezone(tz)
    today = local.date()
    for night in (today, today - timedelta(days=1), today + timedelta(days=1)):
        begins = datetime.combine(night, start, tzinfo=tz)
        ends_day = night if end > start else night + timedelta(days=1)
        ends = datetime.combine(ends_day, end, tzinfo=tz)
        if begins - WARNING <= local < begins:
            return NightPhase("warn", night)
        if begins <= local < ends:
            return NightPhase("stop", night)
    return None


def night_key(instance: Instance) -> str:
    """Return the id a night-watch button carries: ``<account>:<region>:<instance-id>``."""
    return f"{instance.account}:{instance.region}:{instance.id}"


def night_candidates(
    instances: Iterable[Instance], environments: Iterable[str], rules: IdleRules
) -> list[Instance]:
    """Return the instances night watch stops: night environments, stoppable, unprotected."""
    wanted = {e.lower() for e in environments}
    return [
        i
        for i in instances
        if (i.environment or "").lower() in wanted
        and protection(i.tags, rules) is None
        and i.lifecycle != "spot"
        and i.root_device_type != "instance-store"
    ]
