"""The run ledger and the due-slot logic, driven by a hand-moved clock (no sleeping)."""

from __future__ import annotations

import logging
import sqlite3
import sys
import threading
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from insights_bill import Clock, services_with_bill

from bot.services import Services
from scheduler.runner import JobContext, JobRunner, JobSpec, daily_slots, due_slots, plus_events

NINE_BERLIN = daily_slots(time(9, 0), "Europe/Berlin")
START = datetime(2024, 10, 15, 6, 0, tzinfo=UTC)


def _runner(services: Services, spec: JobSpec, **kw: Any) -> JobRunner:
    return JobRunner(services, lambda: [spec], grace=timedelta(hours=2), **kw)


class Recorder:
    """A job that records each slot it ran for."""

    def __init__(self) -> None:
        self.slots: list[datetime] = []

    def __call__(self, ctx: JobContext) -> dict[str, Any]:
        self.slots.append(ctx.slot)
        return {"n": len(self.slots)}


def test_daily_slots_follow_the_local_time_across_daylight_saving() -> None:
    slots = NINE_BERLIN(
        datetime(2024, 10, 25, 0, 0, tzinfo=UTC), datetime(2024, 10, 29, 0, 0, tzinfo=UTC)
    )
    # 09:00 in Berlin is 07:00 UTC in summer time and 08:00 UTC after Oct 27.
    assert [s.isoformat() for s in slots] == [
        "2024-10-25T07:00:00+00:00",
        "2024-10-26T07:00:00+00:00",
        "2024-10-27T08:00:00+00:00",
        "2024-10-28T08:00:00+00:00",
    ]


def test_weekly_slots_fall_on_the_weekday() -> None:
    monday = daily_slots(time(9, 0), "UTC", weekday=0)
    slots = monday(datetime(2024, 10, 1, tzinfo=UTC), datetime(2024, 10, 31, tzinfo=UTC))
    assert [s.day for s in slots] == [7, 14, 21, 28]


def test_due_slots_is_a_pure_function_of_the_clock_and_the_ledger() -> None:
    spec = JobSpec(
        "j", NINE_BERLIN, lambda ctx: None, not_before=datetime(2024, 10, 14, tzinfo=UTC)
    )
    slot = datetime(2024, 10, 15, 7, 0, tzinfo=UTC)
    assert due_slots(spec, slot - timedelta(minutes=1), timedelta(hours=2), {})[0] == []
    assert due_slots(spec, slot, timedelta(hours=2), {})[0] == [slot]
    assert due_slots(spec, slot + timedelta(hours=2), timedelta(hours=2), {})[0] == [slot]
    due, missed = due_slots(spec, slot + timedelta(hours=3), timedelta(hours=2), {})
    assert due == [] and slot in missed
    assert due_slots(spec, slot, timedelta(hours=2), {slot: "done"})[0] == []
    assert due_slots(spec, slot, timedelta(hours=2), {slot: "interrupted"})[0] == [slot]


def test_each_slot_runs_once_however_often_the_scheduler_ticks(tmp_path: Path) -> None:
    clock = Clock(START)
    services = services_with_bill(tmp_path, clock, bill=False)
    job = Recorder()
    runner = _runner(services, JobSpec("j", NINE_BERLIN, job))
    for _ in range(3 * 24 * 4):  # three days, ticking every 15 minutes
        runner.tick()
        clock.advance(minutes=15)
    assert [s.isoformat() for s in job.slots] == [
        "2024-10-15T07:00:00+00:00",
        "2024-10-16T07:00:00+00:00",
        "2024-10-17T07:00:00+00:00",
    ]
    assert all(r.status == "done" for r in runner.ledger.rows("j"))


def test_two_processes_on_one_store_never_run_a_slot_twice(tmp_path: Path) -> None:
    clock = Clock(datetime(2024, 10, 15, 7, 0, 30, tzinfo=UTC))
    first = services_with_bill(tmp_path, clock, bill=False)
    second = services_with_bill(tmp_path, clock, bill=False)  # its own connections to the file
    job = Recorder()
    spec = JobSpec("j", NINE_BERLIN, job)
    a, b = _runner(first, spec), _runner(second, spec)
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def tick(runner: JobRunner) -> None:
        barrier.wait()
        outcomes.extend(o.status for o in runner.tick())

    threads = [threading.Thread(target=tick, args=(r,)) for r in (a, b)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(job.slots) == 1
    assert outcomes.count("done") == 1
    # The race itself, without the ledger look-up in front: one claim wins.
    slot = datetime(2024, 10, 16, 7, 0, tzinfo=UTC)
    claims = [a.ledger.claim("j", slot, "a", clock.now), b.ledger.claim("j", slot, "b", clock.now)]
    assert sum(c is not None for c in claims) == 1
    with pytest.raises(sqlite3.IntegrityError):  # the key SQLite enforces
        first.store.conn.execute(
            "INSERT INTO run_ledger (job, slot, status, owner, started_at) "
            "VALUES ('j', ?, 'running', 'x', 'now')",
            (datetime(2024, 10, 15, 7, 0, tzinfo=UTC).isoformat(timespec="seconds"),),
        )


def test_a_run_missed_while_down_happens_once_within_the_grace_window(tmp_path: Path) -> None:
    clock = Clock(datetime(2024, 10, 15, 8, 30, tzinfo=UTC))  # down at 09:00 Berlin (07:00 UTC)
    services = services_with_bill(tmp_path, clock, bill=False)
    job = Recorder()
    spec = JobSpec("j", NINE_BERLIN, job)
    _runner(services, spec).tick()  # the restart: 90 minutes late, within the 2 h grace
    assert [s.hour for s in job.slots] == [7]
    clock.advance(minutes=5)
    _runner(services, spec).tick()  # another restart: nothing more
    assert len(job.slots) == 1


def test_a_run_missed_beyond_the_grace_window_is_skipped_with_a_log_line(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    clock = Clock(datetime(2024, 10, 15, 9, 30, tzinfo=UTC))  # 2.5 h after 07:00 UTC
    services = services_with_bill(tmp_path, clock, bill=False)
    job = Recorder()
    spec = JobSpec("j", NINE_BERLIN, job, not_before=datetime(2024, 10, 15, tzinfo=UTC))
    with caplog.at_level(logging.WARNING, logger="costbot.scheduler"):
        outcomes = _runner(services, spec).tick()
        _runner(services, spec).tick()
    assert job.slots == []
    assert [o.status for o in outcomes] == ["skipped"]
    skipped = [r for r in caplog.records if "skipped j" in r.getMessage()]
    assert len(skipped) == 1, "logged once, not on every tick"
    assert "grace" in skipped[0].getMessage()


def test_a_crashed_run_is_taken_over_after_its_lease(tmp_path: Path) -> None:
    clock = Clock(datetime(2024, 10, 15, 7, 0, tzinfo=UTC))
    services = services_with_bill(tmp_path, clock, bill=False)
    slot = clock.now
    crashed = _runner(services, JobSpec("j", NINE_BERLIN, Recorder()), owner="dead")
    assert crashed.ledger.claim("j", slot, "dead", clock.now) is not None  # then the process died
    job = Recorder()
    runner = _runner(services, JobSpec("j", NINE_BERLIN, job))
    runner.tick()
    assert job.slots == [], "a fresh claim of a live process is respected"
    clock.advance(minutes=16)
    runner.tick()
    assert job.slots == [slot]


def test_shutdown_marks_the_in_flight_run_and_the_rerun_skips_what_was_done(
    tmp_path: Path,
) -> None:
    clock = Clock(datetime(2024, 10, 15, 7, 0, tzinfo=UTC))
    services = services_with_bill(tmp_path, clock, bill=False)
    posted: list[str] = []
    started, release = threading.Event(), threading.Event()

    def two_steps(ctx: JobContext) -> dict[str, Any]:
        if not ctx.progress.get("first"):
            ctx.check()
            posted.append("first")
            ctx.save(first=True)
        started.set()
        release.wait(5)
        ctx.check()  # shutdown arrives here
        posted.append("second")
        return {}

    runner = _runner(services, JobSpec("j", NINE_BERLIN, two_steps))
    worker = threading.Thread(target=runner.tick)
    worker.start()
    assert started.wait(5)
    stopper = threading.Thread(target=runner.stop, kwargs={"timeout": 2.0})
    stopper.start()
    release.set()
    stopper.join()
    worker.join()
    assert posted == ["first"]
    (row,) = runner.ledger.rows("j")
    assert row.status == "interrupted" and row.detail == {"first": True}
    clock.advance(minutes=30)  # the restart, within the grace window
    _runner(services, JobSpec("j", NINE_BERLIN, two_steps)).tick()
    release.set()
    assert posted == ["first", "second"], "the rerun finished the run without repeating a step"
    (row,) = runner.ledger.rows("j")
    assert row.status == "done"


def test_jobs_follow_ingests_once(tmp_path: Path) -> None:
    clock = Clock(datetime(2024, 10, 15, 10, 0, tzinfo=UTC))
    services = services_with_bill(tmp_path, clock, bill=False)
    ingested = [datetime(2024, 10, 15, 9, 45, tzinfo=UTC)]
    job = Recorder()
    spec = JobSpec("scan", plus_events(daily_slots(time(6, 0), "UTC"), lambda: ingested), job)
    runner = _runner(services, spec)
    runner.tick()
    runner.tick()
    assert job.slots == [ingested[0]], "the 06:00 run was missed beyond grace; the ingest ran"


def test_a_failing_job_is_recorded_and_not_retried_every_tick(tmp_path: Path) -> None:
    clock = Clock(datetime(2024, 10, 15, 7, 0, tzinfo=UTC))
    services = services_with_bill(tmp_path, clock, bill=False)
    calls: list[int] = []

    def broken(ctx: JobContext) -> dict[str, Any]:
        calls.append(1)
        raise RuntimeError("boom")

    runner = _runner(services, JobSpec("j", NINE_BERLIN, broken))
    (outcome,) = runner.tick()
    runner.tick()
    assert outcome.status == "failed" and outcome.detail["error"] == "boom"
    assert calls == [1]
