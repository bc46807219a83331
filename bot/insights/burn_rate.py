"""The live burn rate: what runs right now times its hourly price, per team.

Known a few minutes after a fleet starts, a day before any bill shows it. Instances
whose price is unknown are listed with ``hourly_cost: null`` and left out of the sums
(never counted as $0 silently: the text output says how many are unpriced).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from bot.insights.fleet import UNTAGGED, Fleet
from bot.insights.prices import PriceTable
from bot.money import decimal_text, to_nanos


@dataclass(frozen=True)
class BurnLine:
    """One running resource and its hourly price."""

    resource_id: str
    kind: str  # ec2 | notebook | endpoint | training-job
    instance_type: str
    region: str
    account: str
    count: int
    hourly: int | None  # nano-USD per hour for all ``count`` instances; None = price unknown

    def to_json(self) -> dict[str, Any]:
        """Return the JSON of one instance line."""
        return {
            "resource_id": self.resource_id,
            "kind": self.kind,
            "instance_type": self.instance_type,
            "region": self.region,
            "count": self.count,
            "hourly_cost": None if self.hourly is None else decimal_text(self.hourly),
        }


@dataclass(frozen=True)
class TeamBurn:
    """A team's burn rate."""

    team: str
    hourly: int
    lines: tuple[BurnLine, ...]

    @property
    def daily(self) -> int:
        """Return nano-USD per day at this rate."""
        return self.hourly * 24

    @property
    def unpriced(self) -> int:
        """Return how many of its resources have no known price."""
        return sum(1 for line in self.lines if line.hourly is None)


@dataclass(frozen=True)
class BurnRate:
    """The burn rate of everything running, as of a moment."""

    as_of: datetime
    teams: tuple[TeamBurn, ...]

    @property
    def hourly(self) -> int:
        """Return the total nano-USD per hour."""
        return sum(t.hourly for t in self.teams)

    @property
    def daily(self) -> int:
        """Return the total nano-USD per day."""
        return self.hourly * 24

    def for_team(self, team: str) -> BurnRate:
        """Return the burn rate of one team only (case-insensitive)."""
        wanted = team.strip().lower()
        return BurnRate(self.as_of, tuple(t for t in self.teams if t.team.lower() == wanted))

    def to_json(self) -> dict[str, Any]:
        """Return the ``costbot now --json`` shape (exact keys)."""
        return {
            "as_of": self.as_of.isoformat(),
            "hourly": decimal_text(self.hourly),
            "teams": [
                {
                    "team": t.team,
                    "hourly": decimal_text(t.hourly),
                    "instances": [line.to_json() for line in t.lines],
                }
                for t in self.teams
            ],
        }


def burn_rate(fleet: Fleet, prices: PriceTable, as_of: datetime) -> BurnRate:
    """Multiply what runs by its price, per team (the ``team`` tag; ``untagged`` without)."""
    lines: dict[str, list[BurnLine]] = {}
    for i in fleet.instances:
        price = prices.hourly(i.region, i.instance_type)
        lines.setdefault(i.team or UNTAGGED, []).append(
            BurnLine(i.id, "ec2", i.instance_type, i.region, i.account, 1, price)
        )
    for r in fleet.sagemaker:
        unit = prices.hourly(r.region, r.instance_type)
        lines.setdefault(r.team or UNTAGGED, []).append(
            BurnLine(
                r.resource_id,
                r.kind,
                r.instance_type,
                r.region,
                r.account,
                r.count,
                None if unit is None else unit * r.count,
            )
        )
    teams = [
        TeamBurn(
            team,
            sum(line.hourly or 0 for line in group),
            tuple(sorted(group, key=lambda x: (-(x.hourly or 0), x.resource_id))),
        )
        for team, group in lines.items()
    ]
    teams.sort(key=lambda t: (-t.hourly, t.team))
    return BurnRate(as_of, tuple(teams))


@dataclass(frozen=True)
class RunRateBreach:
    """A team burning faster than its configured limit, or than its budget allows."""

    team: str
    hourly: int
    limit: int
    budget: int | None = None  # set when the limit is what is left of the monthly budget


def run_rate_breaches(rate: BurnRate, limits: Mapping[str, Decimal]) -> list[RunRateBreach]:
    """Return the teams whose live hourly burn is above their limit ($/h per team)."""
    wanted = {team.lower(): to_nanos(limit) for team, limit in limits.items()}
    return [
        RunRateBreach(t.team, t.hourly, wanted[t.team.lower()])
        for t in rate.teams
        if t.team.lower() in wanted and t.hourly > wanted[t.team.lower()]
    ]


@dataclass(frozen=True)
class TeamBudget:
    """A team's monthly budget and what the bill shows spent of it so far (nano-units)."""

    team: str
    amount: int
    spent: int
    hours_left: float  # from the end of the bill's last day to the end of the month


def budget_breaches(rate: BurnRate, budgets: list[TeamBudget]) -> list[RunRateBreach]:
    """Return the teams whose live burn would exhaust their monthly budget before month end.

    The hourly rate a budget allows is what is left of it spread over the hours the bill
    does not show yet; a team already over budget allows nothing.
    """
    burning = {t.team.lower(): t for t in rate.teams}
    out: list[RunRateBreach] = []
    for b in budgets:
        team = burning.get(b.team.lower())
        if team is None or b.hours_left <= 0:
            continue
        allowed = max(0, b.amount - b.spent) * 3600 // max(1, round(b.hours_left * 3600))
        if team.hourly > allowed:
            out.append(RunRateBreach(team.team, team.hourly, allowed, budget=b.amount))
    return out
