"""An anomaly alert becomes one Jira ticket carrying its cost context (issues 12 + 14)."""

from __future__ import annotations

from pathlib import Path

import pytest
from harness.jira_emulator import JiraEmulator
from ticket_support import NOW, jira_services

from bot.costs.model import CostQuery, PeriodSpec
from bot.money import format_money
from bot.state.scheduling import AnomalyAlerts
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
