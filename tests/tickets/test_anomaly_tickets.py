"""An anomaly alert becomes one Jira ticket carrying its cost context (issues 12 + 14)."""

from __future__ import annotations

from pathlib import Path

import pytest
from harness.jira_emulator import JiraEmulator
from ticket_support import NOW, jira_services

from bot.costs.model import CostQuery, PeriodSpec
from bot.money import format_money
from bot.state.scheduling import AnomalyAlerts, Budgets
from bot.tickets.findings import UnknownFinding, finding_label

NANO = 1_000_000_000
ANOMALY = "anomaly:0123456789ab"


def test_an_anomaly_alert_files_one_ticket_with_its_impact_and_the_slice_spend(
    tmp_path: Path, jira_emulator: JiraEmulator
) -> None:
    services, _ = jira_services(tmp_path, jira_emulator)
    AnomalyAlerts(services.store).claim(
        ANOMALY.partition(":")[2],
        channel="C0ALERTS",
        dimension="team",
        value="ai-research",
        start_day="2024-10-12",
        impact=2_350 * NANO,
        now=NOW,
    )
    filer = services.ticket_filer()
    assert filer is not None

    first = filer.file(filer.findings.lookup(ANOMALY))
    again = filer.file(filer.findings.lookup(ANOMALY))

    assert first.created and not again.created and again.key == first.key
    (issue,) = jira_emulator.issues
    assert finding_label(ANOMALY) in issue.fields["labels"]
    text = issue.description_text
    mtd = services.engine.answer(
        CostQuery(filters=(("team", "ai-research"),), period=PeriodSpec("mtd"))
    )
    assert "$2,350.00" in text  # the anomaly's impact
    assert "ai-research" in text and "2024-10-12" in text
    assert format_money(mtd.total) in text  # month to date of the same slice


def test_an_unknown_anomaly_is_named_not_filed(tmp_path: Path, jira_emulator: JiraEmulator) -> None:
    services, _ = jira_services(tmp_path, jira_emulator)
    with pytest.raises(UnknownFinding, match="no finding 'anomaly:ffffffffffff'"):
        services.findings().lookup("anomaly:ffffffffffff")
    assert not jira_emulator.issues


def test_a_budget_alert_files_one_ticket_naming_the_budget_and_the_month_to_date(
    tmp_path: Path, jira_emulator: JiraEmulator
) -> None:
    services, _ = jira_services(tmp_path, jira_emulator)
    budget = Budgets(services.store).add(
        filters=(("team", "ai-research"),),
        amount=10_000 * NANO,
        period="monthly",
        thresholds=(80, 100),
        channel="C0ML",
        created_by="U0ALICE",
        now=NOW,
    )
    finding = f"budget:{budget.id}:2024-10:80"
    filer = services.ticket_filer()
    assert filer is not None

    ticket = filer.file(filer.findings.lookup(finding))
    filer.file(filer.findings.lookup(finding))

    assert ticket.created
    (issue,) = jira_emulator.issues
    text = issue.description_text
    mtd = services.engine.answer(
        CostQuery(filters=(("team", "ai-research"),), period=PeriodSpec("mtd"))
    )
    assert "$10,000.00" in text and "80 % is spent" in text
    assert format_money(mtd.total) in text
    with pytest.raises(UnknownFinding, match="no finding"):
        services.findings().lookup("budget:999:2024-10:80")
