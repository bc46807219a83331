"""Snooze a finding (1 day, 7 days or until a date) and keep one running with a reason.

Neither touches the cloud: they change what costbot shows, and each is audited.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta

from bot.actions.base import Action, Outcome, register
from bot.costs.store import CostStore
from bot.errors import CostbotError
from bot.state import audit, findings

SNOOZE_CHOICES = {"1d": timedelta(days=1), "7d": timedelta(days=7)}


class SnoozeError(CostbotError):
    """A snooze that cannot be applied (unknown length, a date in the past)."""


def snooze_until(choice: str, now: datetime) -> datetime:
    """Turn ``1d``, ``7d`` or ``YYYY-MM-DD`` (until that day's end, UTC) into a time."""
    if choice in SNOOZE_CHOICES:
        return now + SNOOZE_CHOICES[choice]
    try:
        day = date.fromisoformat(choice)
    except ValueError as exc:
        raise SnoozeError(
            f"snooze for 1d, 7d or until a date (YYYY-MM-DD), not {choice!r}"
        ) from exc
    until = datetime.combine(day + timedelta(days=1), time(0), tzinfo=UTC)
    if until <= now:
        raise SnoozeError(f"{choice} is in the past")
    return until


class FindingAction(Action):
    """An action on a stored finding: it needs the store and the clock, nothing from AWS."""

    acts_on = ("costbot:finding",)
    permissions = ()

    def __init__(self, store: CostStore, clock: Callable[[], datetime]) -> None:
        self.store = store
        self.clock = clock


@register
class SnoozeFinding(FindingAction):
    """Hide a finding for a while."""

    name = "snooze"

    def run(self, finding_id: str, user: str, choice: str) -> Outcome:
        """Snooze the finding for ``choice`` (``1d``, ``7d`` or a date)."""
        now = self.clock()
        stored = findings.get_finding(self.store, finding_id)
        if stored is None:
            return Outcome("refused", "I no longer know this finding.", now, user, finding_id)
        until = snooze_until(choice, now)
        findings.snooze(self.store, finding_id, until, user)
        text = f"Snoozed by <@{user}> until {until:%Y-%m-%d %H:%M} UTC"
        audit.record(
            self.store,
            at=now,
            user=user,
            action=self.name,
            resource_id=stored.finding.resource_id,
            finding_id=finding_id,
            result="ok",
            detail=f"until {until.isoformat(timespec='minutes')}",
            parameters={"choice": choice},
        )
        return Outcome("ok", text, now, user, finding_id)


@register
class KeepRunning(FindingAction):
    """Record that a resource should keep running, and why (hides it for this run)."""

    name = "keep"

    def run(self, finding_id: str, user: str, reason: str) -> Outcome:
        """Keep the finding's resource running for ``reason``."""
        now = self.clock()
        reason = " ".join(reason.split())
        stored = findings.get_finding(self.store, finding_id)
        if stored is None:
            return Outcome("refused", "I no longer know this finding.", now, user, finding_id)
        if not reason:
            return Outcome("refused", "Say why it should keep running.", now, user, finding_id)
        findings.keep_running(self.store, finding_id, reason, user)
        audit.record(
            self.store,
            at=now,
            user=user,
            action=self.name,
            resource_id=stored.finding.resource_id,
            finding_id=finding_id,
            result="ok",
            detail=reason,
        )
        return Outcome("ok", f"Kept running by <@{user}>: {reason}", now, user, finding_id)
