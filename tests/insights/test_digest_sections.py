"""The digest shows what other areas know: idle GPUs burning now (issue 13)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from insights_bill import Clock, services_with_bill

from bot.insights.idle import Finding
from bot.insights.views import digest_of
from bot.state.findings import record_sweep
from scheduler.insight_jobs import insight_settings

NOW = datetime(2024, 9, 1, 8, tzinfo=UTC)
NANO = 1_000_000_000


def idle_p4d(resource_id: str, team: str | None, hourly_dollars: int) -> Finding:
    return Finding(
        id=f"idle:111122223333:us-east-1:{resource_id}",
        kind="idle",
        resource_id=resource_id,
        account="111122223333",
        region="us-east-1",
        instance_type="p4d.24xlarge",
        gpus=8,
        gpu_model="A100",
        team=team,
        owner="alice@example.com",
        environment="dev",
        idle_since=datetime(2024, 9, 1, 3, 10, tzinfo=UTC),
        hourly=hourly_dollars * NANO,
        burned=5 * hourly_dollars * NANO,
        confidence="high",
        protected=False,
        action="stop",
        stoppable=True,
        explanation="",
    )


def test_the_digest_lists_idle_gpus_per_team_with_what_they_burn(tmp_path: Path) -> None:
    services = services_with_bill(tmp_path, Clock(NOW))
    record_sweep(
        services.store,
        [idle_p4d("i-0aaa", "ai-research", 32), idle_p4d("i-0bbb", "ml-platform", 12)],
        NOW,
    )

    everyone = digest_of(services.engine, (), insight_settings(services))
    research = digest_of(services.engine, (("team", "ai-research"),), insight_settings(services))

    assert everyone is not None and research is not None
    (idle,) = [s for s in everyone.sections if s.key == "idle_gpus"]
    assert idle.lines[0] == "2 idle burning $44.00/h"
    assert "ai-research: 1 · $32.00/h" in idle.lines
    (own,) = [s for s in research.sections if s.key == "idle_gpus"]
    assert own.lines == ("1 idle burning $32.00/h", "ai-research: 1 · $32.00/h")


def test_no_idle_gpus_and_no_paid_api_calls_add_nothing(tmp_path: Path) -> None:
    services = services_with_bill(tmp_path, Clock(NOW))
    digest = digest_of(services.engine, (), insight_settings(services))
    assert digest is not None
    assert not {"idle_gpus", "api_spend"} & {s.key for s in digest.sections}
