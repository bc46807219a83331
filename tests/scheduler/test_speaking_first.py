"""Digests, anomaly alerts and budget alerts arrive on schedule in the Slack emulator.

Time is the test's: a hand-moved clock drives the job runner's ticks (what
APScheduler calls every minute in ``costbot serve``); nothing sleeps.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from harness.slack_emulator import SlackEmulator

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from insights_bill import Clock, insights_bill, services_with_bill

from bot.costs.ingest import ingest
from bot.insights.views import scan_store
from bot.services import Services
from bot.slack_app import web_client
from bot.state.scheduling import AnomalyAlerts, Budgets, Subscriptions
from scheduler.insight_jobs import insight_settings
from scheduler.runner import JobRunner
from scheduler.schedule import build_runner

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@pytest.fixture
def clock() -> Clock:
    return Clock(datetime(2024, 10, 15, 5, 0, tzinfo=UTC))


@pytest.fixture
def services(tmp_path: Path, clock: Clock, slack_emulator: SlackEmulator) -> Iterator[Services]:
    s = services_with_bill(
        tmp_path,
        clock,
        slack_bot_token=slack_emulator.bot_token,
        slack_api_url=slack_emulator.base_url,
    )
    yield s
    s.close()


def runner_for(services: Services) -> JobRunner:
    return build_runner(services, web_client(services.settings))


def tick_until(runner: JobRunner, clock: Clock, until: datetime, step: int = 15) -> None:
    """Tick every ``step`` minutes up to ``until`` (what APScheduler does, without waiting)."""
    while clock.now < until:
        clock.advance(minutes=step)
        runner.tick()


def reingest(services: Services, tmp_path: Path, end: date, spikes: tuple[date, ...]) -> None:
    path = insights_bill(tmp_path / f"bill-{end}.csv", end=end, spike_days=spikes)
    ingest(
        services.store,
        [str(path)],
        allocation_tags=services.settings.allocation_tags,
        aliases=services.settings.tag_aliases,
    )


def test_a_digest_arrives_at_its_local_time_with_the_chart_uploaded_externally(
    services: Services, clock: Clock, slack_emulator: SlackEmulator
) -> None:
    Subscriptions(services.store).add(
        channel="C0DIGEST",
        cadence="daily",
        filters=(("team", "ai-research"),),
        at="09:00",
        weekday=None,
        tz="Europe/Berlin",
        created_by="U1",
        now=clock.now,
    )
    runner = runner_for(services)
    tick_until(runner, clock, datetime(2024, 10, 15, 6, 45, tzinfo=UTC))
    assert not slack_emulator.calls_to("chat.postMessage") or all(
        c.args["channel"] != "C0DIGEST" for c in slack_emulator.calls_to("chat.postMessage")
    ), "nothing for the digest before 09:00 Berlin (07:00 UTC)"
    tick_until(runner, clock, datetime(2024, 10, 15, 12, 0, tzinfo=UTC))
    digests = [
        c for c in slack_emulator.calls_to("chat.postMessage") if c.args["channel"] == "C0DIGEST"
    ]
    assert len(digests) == 1
    text = str(digests[0].blocks)
    assert "ai-research" in text and "Month-end forecast" in text and "Top movers" in text
    (get_url,) = slack_emulator.calls_to("files.getUploadURLExternal")
    (complete,) = slack_emulator.calls_to("files.completeUploadExternal")
    assert complete.args["channel_id"] == "C0DIGEST"
    file_id = get_url.response["file_id"]
    content = slack_emulator.uploaded_bytes(file_id)
    assert content is not None and content.startswith(PNG_MAGIC)
    assert len(content) == int(get_url.args["length"])
    (share,) = slack_emulator.shared_files("C0DIGEST")
    assert [f["id"] for f in share["files"]] == [file_id]
    assert not slack_emulator.calls_to("files.upload"), "the retired upload method is not used"
    slack_emulator.assert_no_invalid_calls()
    # The next morning brings the next digest, and only one.
    tick_until(runner, clock, datetime(2024, 10, 16, 12, 0, tzinfo=UTC))
    digests = [
        c for c in slack_emulator.calls_to("chat.postMessage") if c.args["channel"] == "C0DIGEST"
    ]
    assert len(digests) == 2


def test_an_anomaly_is_alerted_once_then_followed_up_and_closed_in_its_thread(
    services: Services, clock: Clock, slack_emulator: SlackEmulator, tmp_path: Path
) -> None:
    runner = runner_for(services)
    tick_until(runner, clock, datetime(2024, 10, 15, 7, 0, tzinfo=UTC))  # the 06:00 UTC scan
    alerts = [
        c for c in slack_emulator.calls_to("chat.postMessage") if c.args["channel"] == "C0ALERTS"
    ]
    assert len(alerts) == 1, (
        "one event seen in team, project, service, account and total: one alert"
    )
    alert = alerts[0]
    text = str(alert.blocks)
    assert "Amazon SageMaker" in text and "endpoint-llm" in text and "+$2,500.00" in text
    buttons = [
        e["text"]["text"]
        for b in alert.blocks or []
        if b["type"] == "actions"
        for e in b["elements"]
    ]
    assert buttons == [
        "Acknowledge",
        "Snooze 1 d",
        "Snooze 7 d",
        "Show breakdown",
        "Expected",
        "Not a problem",
    ]
    # A restart and a manual re-run the same day post nothing new.
    runner_for(services).tick()
    runner_for(services).run_now("scan_anomalies")
    assert len(slack_emulator.calls_to("chat.postMessage")) == 1
    # Day 2: the spike goes on; the follow-up goes in the thread.
    reingest(services, tmp_path, date(2024, 10, 15), (date(2024, 10, 14), date(2024, 10, 15)))
    tick_until(runner, clock, datetime(2024, 10, 16, 7, 0, tzinfo=UTC))
    thread = [c for c in slack_emulator.calls_to("chat.postMessage") if c.args.get("thread_ts")]
    assert [c.args["thread_ts"] for c in thread] == [alert.response["ts"]]
    assert thread[0].args["text"].startswith("day 2, +$")
    # It ends: a closing note, once.
    reingest(services, tmp_path, date(2024, 10, 20), (date(2024, 10, 14), date(2024, 10, 15)))
    tick_until(runner, clock, datetime(2024, 10, 21, 7, 0, tzinfo=UTC))
    tick_until(runner, clock, datetime(2024, 10, 22, 7, 0, tzinfo=UTC))
    thread = [c for c in slack_emulator.calls_to("chat.postMessage") if c.args.get("thread_ts")]
    assert len(thread) == 2 and thread[1].args["text"].startswith("Back to expected")
    top_level = [
        c for c in slack_emulator.calls_to("chat.postMessage") if not c.args.get("thread_ts")
    ]
    assert len(top_level) == 1
    slack_emulator.assert_no_invalid_calls()


def test_budget_alerts_go_out_once_per_threshold_and_period(
    services: Services, clock: Clock, slack_emulator: SlackEmulator, tmp_path: Path
) -> None:
    Budgets(services.store).add(
        filters=(("team", "ai-research"),),
        amount=16_000 * 10**9,
        period="monthly",
        thresholds=(50, 80, 100),
        channel="C0BUDGET",
        created_by="U1",
        now=clock.now,
    )
    runner = runner_for(services)
    tick_until(runner, clock, datetime(2024, 10, 15, 8, 0, tzinfo=UTC))
    posts = [
        c for c in slack_emulator.calls_to("chat.postMessage") if c.args["channel"] == "C0BUDGET"
    ]
    texts = [c.args["text"] for c in posts]
    assert len(posts) == 2, texts
    assert "used 80 %" in texts[0] and "heading for" in texts[1]
    assert "budget:1:2024-10:80" in str(posts[0].blocks)
    sent = {a["finding_id"] for a in Budgets(services.store).alerts()}
    assert sent == {"budget:1:2024-10:50", "budget:1:2024-10:80", "budget:1:2024-10:forecast"}
    tick_until(runner, clock, datetime(2024, 10, 15, 23, 0, tzinfo=UTC))
    runner_for(services).run_now("check_budgets")
    assert (
        len(
            [
                c
                for c in slack_emulator.calls_to("chat.postMessage")
                if c.args["channel"] == "C0BUDGET"
            ]
        )
        == 2
    )
    # New data passes 100 %: that threshold alerts, once.
    reingest(services, tmp_path, date(2024, 10, 16), (date(2024, 10, 14),))
    tick_until(runner, clock, datetime(2024, 10, 16, 8, 0, tzinfo=UTC))
    posts = [
        c for c in slack_emulator.calls_to("chat.postMessage") if c.args["channel"] == "C0BUDGET"
    ]
    assert len(posts) == 3 and "used 100 %" in posts[2].args["text"]
    slack_emulator.assert_no_invalid_calls()


def test_a_second_process_on_the_same_store_posts_nothing_twice(
    services: Services, clock: Clock, slack_emulator: SlackEmulator, tmp_path: Path
) -> None:
    Subscriptions(services.store).add(
        channel="C0DIGEST",
        cadence="daily",
        filters=(),
        at="08:00",
        weekday=None,
        tz="UTC",
        created_by="U1",
        now=clock.now,
    )
    other = services_with_bill(
        tmp_path,
        clock,
        bill=False,
        slack_bot_token=slack_emulator.bot_token,
        slack_api_url=slack_emulator.base_url,
    )
    first, second = runner_for(services), runner_for(other)
    while clock.now < datetime(2024, 10, 15, 10, 0, tzinfo=UTC):
        clock.advance(minutes=5)
        first.tick()
        second.tick()
    channels = sorted(c.args["channel"] for c in slack_emulator.calls_to("chat.postMessage"))
    assert channels == ["C0ALERTS", "C0DIGEST"]
    assert len(slack_emulator.calls_to("files.completeUploadExternal")) == 1
    other.close()


def test_alert_feedback_reaches_the_detector(
    services: Services, clock: Clock, slack_emulator: SlackEmulator
) -> None:
    runner = runner_for(services)
    tick_until(runner, clock, datetime(2024, 10, 15, 7, 0, tzinfo=UTC))
    alerts = AnomalyAlerts(services.store)
    (lead,) = [a for a in alerts.all() if a.closed_note_ts is None and a.state != "closed"]
    alerts.record_feedback(lead.anomaly_id, "expected", "U1", clock.now)
    from bot.insights.views import feedback_rules

    (rule,) = feedback_rules(services.engine)
    assert rule.verdict == "expected" and rule.start == date(2024, 10, 14)
    (again,) = [
        a
        for a in scan_store(services.engine, insight_settings(services))
        if a.id == lead.anomaly_id
    ]
    assert again.status == "expected", "the detector learned the new level from the feedback"


def test_expected_feedback_closes_the_thread_with_a_note(
    services: Services, clock: Clock, slack_emulator: SlackEmulator, tmp_path: Path
) -> None:
    runner = runner_for(services)
    tick_until(runner, clock, datetime(2024, 10, 15, 7, 0, tzinfo=UTC))
    alerts = AnomalyAlerts(services.store)
    (lead,) = [a for a in alerts.all() if a.state != "closed"]
    alerts.record_feedback(lead.anomaly_id, "expected", "U1", clock.now)
    reingest(services, tmp_path, date(2024, 10, 15), (date(2024, 10, 14), date(2024, 10, 15)))
    tick_until(runner, clock, datetime(2024, 10, 16, 7, 0, tzinfo=UTC))
    thread = [c for c in slack_emulator.calls_to("chat.postMessage") if c.args.get("thread_ts")]
    assert [c.args["text"] for c in thread] == [
        "Marked expected: this is the new level from now on. I stop following up."
    ]
    assert (
        len([c for c in slack_emulator.calls_to("chat.postMessage") if not c.args.get("thread_ts")])
        == 1
    )
