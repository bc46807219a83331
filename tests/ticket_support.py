"""What ticket tests share: an idle-GPU style finding source and services wired to Jira."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from harness.jira_emulator import JiraEmulator
from tests_support import focus_bill

from bot.costs.ingest import ingest
from bot.services import Services, build_services
from bot.settings import Settings
from bot.tickets.findings import FindingContext

NOW = datetime(2024, 10, 15, 9, 30, tzinfo=UTC)
IDLE_ID = "idle:i-0abc123def4567890"
NANO = 1_000_000_000


def idle_finding(finding_id: str = IDLE_ID, *, owner: str = "ann@example.com") -> FindingContext:
    """Return an idle p4d.24xlarge, as the idle-GPU detector (issue 13) will describe one."""
    first = date(2024, 10, 1)
    daily = tuple((first + timedelta(days=i), (786 + i) * NANO) for i in range(14))
    return FindingContext(
        finding_id=finding_id,
        kind="idle GPU",
        ref=finding_id,
        title="Idle GPU: i-0abc123def4567890 (p4d.24xlarge) idle since 03:10 UTC",
        what_happened=(
            "i-0abc123def4567890 (p4d.24xlarge, 8× A100) has had 0 % GPU utilisation since "
            "03:10 UTC while still running."
        ),
        recommended_action=(
            "Stop i-0abc123def4567890 p4d.24xlarge idle since 03:10 UTC, saves ≈ $786/day"
        ),
        resource_id="arn:aws:ec2:us-east-1:123456789012:instance/i-0abc123def4567890",
        account="123456789012",
        region="us-east-1",
        tags={"team": "ai-research", "owner": owner, "project": "llm-training"},
        spend_yesterday=799 * NANO,
        spend_day=date(2024, 10, 14),
        spend_mtd=11_200 * NANO,
        daily=daily,
        impact=786 * NANO,
        impact_label="saves per day if stopped",
        priority="High",
    )


class IdleTestSource:
    """A finding source holding idle findings in memory (the real one comes with issue 13)."""

    def __init__(self, *findings: FindingContext) -> None:
        self.findings = {f.finding_id: f for f in findings}
        self.resolved: list[str] = []

    def lookup(self, finding_id: str) -> FindingContext | None:
        """Return the finding, if known."""
        return self.findings.get(finding_id)

    def mark_resolved(self, finding_id: str) -> None:
        """Remember that the finding's ticket is done."""
        self.resolved.append(finding_id)


def jira_services(
    tmp_path: Path,
    jira: JiraEmulator,
    *,
    bill: bool = True,
    extra_env: dict[str, str] | None = None,
    **settings: object,
) -> tuple[Services, IdleTestSource]:
    """Build services over a small bill with Jira pointed at the emulator, idle source added."""
    tmp_path.mkdir(parents=True, exist_ok=True)
    env = jira.env(**(extra_env or {}))
    config = Settings.from_env(
        env, db_path=tmp_path / "costbot.db", allocation_tags=("team", "project"), **settings
    )
    services = build_services(config, clock=lambda: NOW)
    if bill:
        ingest(
            services.store,
            [str(focus_bill(tmp_path / "bill.csv"))],
            allocation_tags=config.allocation_tags,
            aliases=config.tag_aliases,
        )
    source = IdleTestSource(idle_finding())
    services.findings().register("idle", source)
    return services, source
