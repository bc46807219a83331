"""The /cost answer as a finding: stable ids and context from the query engine."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from harness.jira_emulator import JiraEmulator
from ticket_support import jira_services

from bot.tickets.cost_source import button_ref, normalise
from bot.tickets.findings import UnknownFinding

NANO = 1_000_000_000


def test_the_same_question_however_spelled_is_the_same_finding(
    tmp_path: Path, jira_emulator: JiraEmulator
) -> None:
    services, _ = jira_services(tmp_path, jira_emulator)
    findings = services.findings()
    a = findings.lookup("cost:team ai-research")
    b = findings.lookup("cost:team  ai-research mtd share")
    c = findings.lookup("cost:team ai-research last 30d")
    assert a.finding_id == b.finding_id != c.finding_id
    assert a.finding_id.startswith("cost:") and len(a.finding_id) == len("cost:") + 16
    query = normalise(services.engine, "team ai-research share", "effective")
    assert button_ref(query, "effective") == "cost:team ai-research"


def test_context_has_yesterday_mtd_the_14_day_trend_and_where_it_runs(
    tmp_path: Path, jira_emulator: JiraEmulator
) -> None:
    services, _ = jira_services(tmp_path, jira_emulator)
    ctx = services.findings().lookup("cost:resource i-ai-research last 7d")
    assert ctx.resource_id == "i-ai-research"
    assert ctx.account.endswith("(222222222222)") and ctx.region == "us-east-1"
    assert ctx.team == "ai-research"
    assert ctx.spend_day == date(2024, 10, 14) and ctx.spend_yesterday == 100 * NANO
    assert ctx.spend_mtd == 1_400 * NANO
    assert len(ctx.daily) == 14 and ctx.daily[0][0] == date(2024, 10, 1)
    assert ctx.impact == 700 * NANO and "2024-10-08 to 2024-10-14" in ctx.impact_label
    assert "i-ai-research" in ctx.recommended_action


def test_a_bare_hash_is_found_through_its_ticket_request_only(
    tmp_path: Path, jira_emulator: JiraEmulator
) -> None:
    services, _ = jira_services(tmp_path, jira_emulator)
    findings = services.findings()
    ctx = findings.lookup("cost:by team")
    with pytest.raises(UnknownFinding, match="no finding"):
        findings.lookup(ctx.finding_id)
    filer = services.ticket_filer()
    assert filer is not None
    filer.requests.ensure(ctx.finding_id, ctx.ref)
    assert findings.lookup(ctx.finding_id).finding_id == ctx.finding_id
