"""The pure parts: idle rules, protection, burn rate with unknown prices, who may stop, settings."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from bot.actions.authorise import authorise
from bot.blocks.idle import finding_blocks
from bot.errors import SettingsError
from bot.insights.burn_rate import TeamBudget, budget_breaches, burn_rate, run_rate_breaches
from bot.insights.fleet import Accelerators, Fleet, Instance, Series, Utilisation
from bot.insights.idle import IdleRules, classify, idle_summary, instance_finding, protection
from bot.insights.prices import PriceTable
from bot.settings import Settings

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
RULES = IdleRules()
PERIOD = timedelta(minutes=5)


def series(*values: float, end: datetime = NOW) -> Series:
    """Five-minute points ending at ``end``, oldest first."""
    start = end - PERIOD * len(values)
    return Series(tuple((start + PERIOD * i, v) for i, v in enumerate(values)))


def util(gpus: list[list[float]], memory: list[list[float]] | None = None) -> Utilisation:
    return Utilisation(
        gpu_compute={str(i): series(*v) for i, v in enumerate(gpus)},
        gpu_memory={str(i): series(*v) for i, v in enumerate(memory or [])},
    )


LONG_AGO = NOW - timedelta(days=2)
QUIET = [0.0] * 36  # three hours of 5-minute points


def test_idle_needs_every_gpu_idle_for_the_whole_window() -> None:
    verdict = classify(util([QUIET, QUIET]), RULES, NOW, LONG_AGO)
    assert verdict is not None and (verdict.kind, verdict.confidence) == ("idle", "high")
    assert verdict.since == NOW - PERIOD * 36
    assert classify(util([QUIET, [*QUIET[:-1], 40.0]]), RULES, NOW, LONG_AGO) is None
    busy_recently = [*QUIET[:10], 50.0, *QUIET[11:]]  # busy 2h05 ago: idle for 2h since
    verdict = classify(util([busy_recently]), RULES, NOW, LONG_AGO)
    assert verdict is not None and verdict.since == NOW - PERIOD * 25
    assert classify(util([[*QUIET[:20], 50.0, *QUIET[21:]]]), RULES, NOW, LONG_AGO) is None


def test_recently_launched_is_not_idle_yet_and_no_data_is_unknown() -> None:
    assert classify(util([QUIET]), RULES, NOW, NOW - timedelta(minutes=90)) is None
    assert classify(Utilisation(), RULES, NOW, LONG_AGO) is None
    assert classify(None, RULES, NOW, LONG_AGO) is None


def test_idle_held_by_the_latest_memory_reading() -> None:
    held = classify(util([QUIET], [[0.0] * 35 + [12_000.0]]), RULES, NOW, LONG_AGO)
    released = classify(util([QUIET], [[12_000.0] * 35 + [0.0]]), RULES, NOW, LONG_AGO)
    assert held is not None and held.kind == "idle-held"
    assert released is not None and released.kind == "idle"


def test_without_gpu_metrics_cpu_and_network_decide_with_low_confidence() -> None:
    quiet = Utilisation(cpu=series(*[1.0] * 36), network=series(*[1e5] * 36))
    verdict = classify(quiet, RULES, NOW, LONG_AGO)
    assert verdict is not None and verdict.confidence == "low"
    chatty = Utilisation(cpu=series(*[1.0] * 36), network=series(*[1e5] * 35, 9e9))
    assert classify(chatty, RULES, NOW, LONG_AGO) is None
    assert classify(quiet, IdleRules(cpu_percent=0.5), NOW, LONG_AGO) is None


def instance(**kw: object) -> Instance:
    base: dict[str, object] = {
        "id": "i-1",
        "account": "111122223333",
        "region": "us-east-1",
        "instance_type": "p4d.24xlarge",
        "state": "running",
        "lifecycle": "on-demand",
        "launch_time": LONG_AGO,
        "tags": {"team": "ml"},
        "accelerators": Accelerators(8, "A100", 40960),
    }
    return Instance(**{**base, **kw})  # type: ignore[arg-type]


def test_protection_by_tag_or_environment_and_unknown_price() -> None:
    assert protection({"costbot:protect": "TRUE"}, RULES) == "tagged costbot:protect=true"
    assert protection({"environment": "Production"}, RULES) is not None
    assert protection({"environment": "dev"}, RULES) is None
    verdict = classify(util([QUIET]), RULES, NOW, LONG_AGO)
    assert verdict is not None
    table = PriceTable("2026-01-01", "test", {})
    f = instance_finding(instance(), verdict, table, RULES, NOW)
    assert f.hourly is None and f.burned is None and f.to_json()["hourly_cost"] is None
    assert f.hourly_text() == "price unknown"
    spot = instance_finding(instance(lifecycle="spot"), verdict, table, RULES, NOW)
    store = instance_finding(
        instance(root_device_type="instance-store"), verdict, table, RULES, NOW
    )
    assert not spot.stoppable and not store.stoppable and store.action == "review"


def test_burn_rate_sums_known_prices_and_lists_unknown_ones() -> None:
    table = PriceTable("d", "s", {("us-east-1", "p4d.24xlarge"): 32_772_600_000})
    fleet = Fleet(
        (instance(), instance(id="i-2", instance_type="p9.new"), instance(id="i-3", tags={})),
        (),
    )
    rate = burn_rate(fleet, table, NOW)
    teams = {t.team: t for t in rate.teams}
    assert teams["ml"].hourly == 32_772_600_000 and teams["ml"].unpriced == 1
    assert teams["untagged"].hourly == 32_772_600_000
    assert rate.to_json()["hourly"] == "65.5452"
    (breach,) = run_rate_breaches(rate, {"ML": Decimal("30"), "untagged": Decimal("40")})
    assert (breach.team, breach.limit) == ("ml", 30_000_000_000)
    summary = idle_summary([])
    assert summary.count == 0 and summary.hourly == 0


def test_who_may_stop() -> None:
    groups = {"S1": {"U2"}}
    allowed = authorise("U1", ("U1", "S1"), group_members=groups.get)
    assert allowed.allowed
    assert authorise("U2", ("U1", "S1"), group_members=groups.get).allowed
    refused = authorise("U3", ("U1", "S1"), group_members=groups.get, owner="c@x.io")
    assert not refused.allowed and "COSTBOT_STOP_USERS" in refused.reason
    emails = {"U3": "C@x.io"}
    owner = authorise("U3", (), group_members=groups.get, owner="c@x.io", user_email=emails.get)
    assert owner.allowed and "owner" in owner.reason


def test_gpu_settings_parse_and_name_the_variable() -> None:
    s = Settings.from_env(
        {
            "COSTBOT_REGIONS": "us-east-1, us-west-2",
            "COSTBOT_TEAM_CHANNELS": "ai-research=C0123,search=C0456",
            "COSTBOT_STOP_USERS": "U0ALICE,S0OPS",
            "COSTBOT_PROTECTED_ENVIRONMENTS": "prod,live",
            "COSTBOT_TEAM_HOURLY_LIMITS": "ai-research=200.50",
            "COSTBOT_NIGHT_HOURS": "21:30-06:00",
        }
    ).gpus
    assert s.regions == ("us-east-1", "us-west-2")
    assert s.team_channels == {"ai-research": "C0123", "search": "C0456"}
    assert s.protected_environments == ("prod", "live")
    assert s.team_hourly_limits == {"ai-research": Decimal("200.50")}
    assert (s.night_start.hour, s.night_end.hour) == (21, 6) and s.night_watch is False
    for env, var in (
        ({"COSTBOT_STOP_USERS": "alice"}, "COSTBOT_STOP_USERS"),
        ({"COSTBOT_TEAM_CHANNELS": "ai-research"}, "COSTBOT_TEAM_CHANNELS"),
        ({"COSTBOT_IDLE_GPU_PERCENT": "five"}, "COSTBOT_IDLE_GPU_PERCENT"),
        ({"COSTBOT_ACCOUNT_ROLES": "123=role"}, "COSTBOT_ACCOUNT_ROLES"),
        ({"COSTBOT_NIGHT_TIMEZONE": "Mars/Olympus"}, "COSTBOT_NIGHT_TIMEZONE"),
        ({"COSTBOT_METRICS_PERIOD_SECONDS": "90"}, "COSTBOT_METRICS_PERIOD_SECONDS"),
    ):
        with pytest.raises(SettingsError, match=var):
            Settings.from_env(env)


def test_the_schedule_runs_the_sweep_and_night_watch(tmp_path: Path) -> None:
    from bot.services import build_services
    from scheduler.schedule import build_scheduler

    services = build_services(Settings(db_path=tmp_path / "c.db"))
    try:
        jobs = {j.id: j for j in build_scheduler(services, services.metrics).get_jobs()}
        assert jobs["sweep_gpus"].trigger.interval == timedelta(minutes=10)
        assert "night_watch" in jobs
    finally:
        services.close()


def test_a_team_whose_live_burn_would_exhaust_its_budget_before_month_end_is_a_breach() -> None:
    table = PriceTable("d", "s", {("us-east-1", "p4d.24xlarge"): 32_772_600_000})
    rate = burn_rate(Fleet((instance(),), ()), table, NOW)  # team "ml": $32.7726/h
    nano = 1_000_000_000
    # $1,000 left over 48 hours allows $20.8333…/h: $32.77/h runs out before month end.
    tight = TeamBudget("ML", amount=10_000 * nano, spent=9_000 * nano, hours_left=48)
    # $2,000 left over 48 hours allows $41.66/h: no breach.
    roomy = TeamBudget("ml", amount=10_000 * nano, spent=8_000 * nano, hours_left=48)
    spent_out = TeamBudget("ml", amount=10_000 * nano, spent=10_500 * nano, hours_left=48)

    (breach,) = budget_breaches(rate, [tight])
    assert (breach.team, breach.hourly) == ("ml", 32_772_600_000)
    assert breach.limit == 1_000 * nano * 3600 // (48 * 3600) and breach.budget == 10_000 * nano
    assert budget_breaches(rate, [roomy]) == []
    assert budget_breaches(rate, [spent_out])[0].limit == 0
    assert budget_breaches(rate, [TeamBudget("web", 1, 0, 48)]) == []  # web burns nothing


def test_a_finding_message_offers_a_jira_ticket_only_when_jira_is_configured(
    tmp_path: Path,
) -> None:
    from bot.blocks import ids
    from bot.services import build_services
    from scheduler.gpus import _ticket_buttons

    verdict = classify(util([QUIET]), RULES, NOW, LONG_AGO)
    assert verdict is not None
    f = instance_finding(instance(), verdict, PriceTable("d", "s", {}), RULES, NOW)
    without = build_services(Settings(db_path=tmp_path / "a.db"))
    with_jira = build_services(
        Settings.from_env(
            {
                "JIRA_URL": "http://127.0.0.1:9",
                "JIRA_EMAIL": "bot@example.com",
                "JIRA_API_TOKEN": "t",
                "JIRA_PROJECT": "FIN",
            },
            db_path=tmp_path / "b.db",
        )
    )

    assert _ticket_buttons(without, f.id) == []
    (button,) = _ticket_buttons(with_jira, f.id)
    assert button["action_id"] == ids.OPEN_TICKET and button["value"] == f.id
    (actions,) = [b for b in finding_blocks(f, NOW, [button]) if b["type"] == "actions"]
    assert actions["elements"][-1] == button
    without.close()
    with_jira.close()
