"""Which scheduled runs are due, and running each slot exactly once (the run ledger).

APScheduler only ticks (every minute, and once at start); everything that
decides is here, as plain functions of the clock, so tests drive time by
calling :meth:`JobRunner.tick` with the time they want:

* a job has **slots** (its scheduled times): a daily digest at 09:00 Europe/Berlin,
  the anomaly scan at 06:00 UTC and after every ingest …;
* a slot is **due** when it is at most the grace window old (default 2 h) and the
  ledger holds no finished run of it; older unrun slots are **skipped** once, with
  a log line and a ledger row saying so;
* a due slot runs only after it is **claimed** in the ledger (a UNIQUE key on
  (job, slot)), so two processes on one store, or a restart, never run it twice;
* on shutdown, in-flight runs are asked to stop at their next step and are marked
  ``interrupted``; a restart within the grace window runs them again, and the
  progress they saved (e.g. the digest message already posted) is not repeated.
"""

from __future__ import annotations

import logging
import os
import threading
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from bot.errors import CostbotError
from bot.services import Services
from bot.state.scheduling import RunLedger

log = logging.getLogger("costbot.scheduler")

LOOKBACK = timedelta(days=8)
"""How far back missed slots are looked for (and logged as skipped)."""


class Interrupted(CostbotError):
    """The scheduler is shutting down: the run stops at a step boundary."""


class UnknownJob(CostbotError):
    """No job has that name."""


SlotFn = Callable[[datetime, datetime], list[datetime]]


@dataclass(frozen=True)
class JobSpec:
    """A job: its name, when it runs (slots in a time range) and what it does."""

    name: str
    slots: SlotFn
    run: Callable[[JobContext], dict[str, Any] | None]
    not_before: datetime | None = None  # no slot before this (e.g. when a subscription began)
    describe: str = ""


@dataclass
class JobContext:
    """What a running job gets: the services, the Slack client, its slot and its progress."""

    services: Services
    client: Any
    job: str
    slot: datetime
    progress: dict[str, Any]
    _ledger: RunLedger
    _stop: threading.Event

    def check(self) -> None:
        """Raise :class:`Interrupted` if the scheduler is shutting down (call between steps)."""
        if self._stop.is_set():
            raise Interrupted(f"{self.job} stopped for shutdown")

    def save(self, **progress: Any) -> None:
        """Remember progress, so a re-run after an interruption does not repeat a step."""
        self.progress.update(progress)
        self._ledger.save_detail(self.job, self.slot, self.progress)


@dataclass(frozen=True)
class Outcome:
    """What happened to one slot."""

    job: str
    slot: datetime
    status: str  # done | failed | interrupted | taken | skipped
    detail: dict[str, Any] = field(default_factory=dict)


def daily_slots(at: time, tz: str, weekday: int | None = None) -> SlotFn:
    """Return the slots of a job at local time ``at`` in ``tz`` (on ``weekday`` if weekly)."""
    zone = ZoneInfo(tz)

    def slots(after: datetime, until: datetime) -> list[datetime]:
        out = []
        day = after.astimezone(zone).date() - timedelta(days=1)
        last = until.astimezone(zone).date()
        while day <= last:
            if weekday is None or day.weekday() == weekday:
                local = datetime.combine(day, at, tzinfo=zone)
                when = local.astimezone(UTC)
                if after < when <= until:
                    out.append(when)
            day += timedelta(days=1)
        return out

    return slots


def plus_events(base: SlotFn, events: Callable[[], Iterable[datetime]]) -> SlotFn:
    """Add one-off slots (e.g. each ingest's time) to a schedule."""

    def slots(after: datetime, until: datetime) -> list[datetime]:
        found = set(base(after, until))
        found |= {e for e in events() if after < e <= until}
        return sorted(found)

    return slots


def due_slots(
    spec: JobSpec, now: datetime, grace: timedelta, known: dict[datetime, str]
) -> tuple[list[datetime], list[datetime]]:
    """Return (due, missed): slots to run now, and unrun slots older than the grace window.

    ``known`` maps the job's slots in the ledger to their status; ``running`` and
    ``interrupted`` ones stay candidates (the claim decides whether they may run).
    Slots are looked for from ``not_before`` (or else from the job's first slot in
    the ledger, or the start of the grace window) but at most 8 days back.
    """
    start = now - LOOKBACK
    if spec.not_before is not None:
        start = max(start, spec.not_before)
    else:  # a job's history starts at its first recorded slot: nothing before was "missed"
        first = min(known) - timedelta(seconds=1) if known else now - grace - timedelta(seconds=1)
        start = max(start, first)
    due, missed = [], []
    for slot in spec.slots(start, now):
        status = known.get(slot)
        if status not in (None, "running", "interrupted"):
            continue
        if now - slot <= grace:
            due.append(slot)
        elif status is None:
            missed.append(slot)
    return due, missed


def next_slot(spec: JobSpec, now: datetime) -> datetime | None:
    """Return the job's next scheduled slot after ``now`` (within 8 days)."""
    upcoming = spec.slots(now, now + timedelta(days=8))
    return upcoming[0] if upcoming else None


class JobRunner:
    """Tick: find due slots, claim them in the ledger, run them; stop cleanly on shutdown."""

    def __init__(
        self,
        services: Services,
        specs: Callable[[], list[JobSpec]],
        *,
        client: Any = None,
        grace: timedelta = timedelta(hours=2),
        owner: str | None = None,
    ) -> None:
        self.services = services
        self.specs = specs
        self.client = client
        self.grace = grace
        self.owner = owner or f"{os.getpid()}-{uuid.uuid4().hex[:8]}"
        self.ledger = RunLedger(services.store)
        self._stop = threading.Event()
        self._idle = threading.Condition()
        self._running = 0
        self._worker: threading.Thread | None = None

    def find(self, name: str) -> JobSpec:
        """Return the job called ``name``."""
        for spec in self.specs():
            if spec.name == name:
                return spec
        names = ", ".join(s.name for s in self.specs()) or "none"
        raise UnknownJob(f"no job `{name}`; jobs: {names}")

    def tick(self, now: datetime | None = None) -> list[Outcome]:
        """Run every due slot once (in this thread); log and record missed ones."""
        now = now or self.services.clock()
        outcomes: list[Outcome] = []
        for spec in self.specs():
            if self._stop.is_set():
                break
            known = self.ledger.known_slots(spec.name, now - LOOKBACK - timedelta(days=1))
            due, missed = due_slots(spec, now, self.grace, known)
            for slot in missed:
                if self.ledger.record_skip(spec.name, slot, self.owner, now, "missed"):
                    log.warning(
                        "skipped %s for %s: missed by more than the %s grace window",
                        spec.name,
                        slot.isoformat(),
                        self.grace,
                    )
                    outcomes.append(Outcome(spec.name, slot, "skipped"))
            for slot in due:
                outcomes.append(self.run(spec, slot, now))
        return outcomes

    def tick_in_background(self) -> None:
        """Tick in a daemon thread (one at a time), so a run in flight never holds up exit."""
        with self._idle:
            if self._worker is not None and self._worker.is_alive():
                return
            self._worker = threading.Thread(
                target=self._tick_logged, name="costbot-jobs", daemon=True
            )
            self._worker.start()

    def _tick_logged(self) -> None:
        try:
            self.tick()
        except Exception:
            log.exception("the scheduler's tick failed")

    def run_now(self, name: str, now: datetime | None = None) -> Outcome:
        """Run one job now, whatever its schedule (``costbot run-job NAME``)."""
        now = now or self.services.clock()
        return self.run(self.find(name), now.replace(microsecond=0), now)

    def run(self, spec: JobSpec, slot: datetime, now: datetime) -> Outcome:
        """Claim (job, slot) and run it; a slot someone else holds is left alone."""
        with self._idle:
            self._running += 1  # until the outcome is in the ledger: stop() waits for it
        try:
            return self._run(spec, slot, now)
        finally:
            with self._idle:
                self._running -= 1
                self._idle.notify_all()

    def _run(self, spec: JobSpec, slot: datetime, now: datetime) -> Outcome:
        claim = self.ledger.claim(spec.name, slot, self.owner, now)
        if claim is None:
            return Outcome(spec.name, slot, "taken")
        ctx = JobContext(
            self.services, self.client, spec.name, slot, dict(claim.detail), self.ledger, self._stop
        )
        try:
            ctx.check()
            result = spec.run(ctx) or {}
        except Interrupted:
            self.ledger.finish(spec.name, slot, self.owner, "interrupted", self.services.clock())
            log.info("%s for %s interrupted by shutdown; it runs again on restart", spec.name, slot)
            return Outcome(spec.name, slot, "interrupted", ctx.progress)
        except Exception as exc:
            log.exception("%s for %s failed", spec.name, slot.isoformat())
            detail = {**ctx.progress, "error": str(exc) or type(exc).__name__}
            self.ledger.finish(spec.name, slot, self.owner, "failed", self.services.clock(), detail)
            return Outcome(spec.name, slot, "failed", detail)
        detail = {**ctx.progress, **result}
        self.ledger.finish(spec.name, slot, self.owner, "done", self.services.clock(), detail)
        log.info("%s for %s done", spec.name, slot.isoformat())
        return Outcome(spec.name, slot, "done", detail)

    def stop(self, timeout: float = 3.0) -> int:
        """Ask running jobs to stop, wait up to ``timeout`` s, mark what is left interrupted."""
        self._stop.set()
        with self._idle:
            self._idle.wait_for(lambda: self._running == 0, timeout=timeout)
        marked = self.ledger.interrupt_owner(self.owner, self.services.clock())
        if marked:
            log.warning("marked %d in-flight run(s) interrupted at shutdown", marked)
        return marked
