"""``costbot ticket FINDING_ID [--json]`` through click's CliRunner, Jira emulated."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from harness.jira_emulator import CLOUD_TOKEN, JiraEmulator
from tests_support import focus_bill

from bot.cli import main
from bot.tickets.findings import finding_label


@pytest.fixture
def db(tmp_path: Path) -> str:
    """A store holding a small FOCUS bill (Sept 1 – Oct 14, 2024)."""
    path = str(tmp_path / "costbot.db")
    bill = focus_bill(tmp_path / "bill.csv")
    result = CliRunner().invoke(main, ["ingest", "--db", path, "-q", str(bill)])
    assert result.exit_code == 0, result.output
    return path


def test_ticket_twice_files_one_ticket_and_prints_exactly_key_url_created(
    db: str, jira_emulator: JiraEmulator
) -> None:
    question = "cost:team ai-research 2024-09"
    first = CliRunner().invoke(
        main, ["ticket", "--db", db, "--json", question], env=jira_emulator.env()
    )
    assert first.exit_code == 0, first.output
    data = json.loads(first.output)
    assert data == {"key": "FIN-1", "url": f"{jira_emulator.url}/browse/FIN-1", "created": True}
    again = CliRunner().invoke(
        main, ["ticket", "--db", db, "--json", question], env=jira_emulator.env()
    )
    assert json.loads(again.output) == {**data, "created": False}
    assert len(jira_emulator.issues) == 1
    (issue,) = jira_emulator.issues
    assert "$3,000.00" in issue.description_text  # 30 days x $100.00 in September
    jira_emulator.assert_no_invalid_requests()


def test_the_hash_id_and_another_spelling_of_the_question_find_the_same_ticket(
    db: str, jira_emulator: JiraEmulator
) -> None:
    env = jira_emulator.env()
    first = CliRunner().invoke(
        main, ["ticket", "--db", db, "--json", "cost:team ai-research 2024-10"], env=env
    )
    assert first.exit_code == 0, first.output
    label = next(x for x in jira_emulator.issues[0].labels if x.startswith("costbot-f-"))
    finding = jira_emulator.issues[0].description_text.split("Finding ")[1].split(" ")[0]
    assert finding.startswith("cost:") and finding_label(finding) == label
    by_hash = CliRunner().invoke(main, ["ticket", "--db", db, "--json", finding], env=env)
    respelled = CliRunner().invoke(
        main, ["ticket", "--db", db, "--json", "cost:team  ai-research 2024-10 share"], env=env
    )
    assert json.loads(by_hash.output)["created"] is False
    assert json.loads(respelled.output)["created"] is False
    assert len(jira_emulator.issues) == 1


def test_the_text_output_names_the_ticket(db: str, jira_emulator: JiraEmulator) -> None:
    result = CliRunner().invoke(
        main, ["ticket", "--db", db, "cost:team ai-research 2024-10"], env=jira_emulator.env()
    )
    assert result.exit_code == 0
    assert result.output.startswith(f"FIN-1 (created) {jira_emulator.url}/browse/FIN-1")


def test_failures_exit_1_with_a_message_and_no_secret(db: str, jira_emulator: JiraEmulator) -> None:
    jira_emulator.fail_next("POST /issue", 500)
    result = CliRunner().invoke(
        main,
        ["ticket", "--db", db, "--json", "cost:team ai-research 2024-10"],
        env=jira_emulator.env(),
    )
    assert result.exit_code == 1
    assert "HTTP 500" in result.output and "Traceback" not in result.output
    assert CLOUD_TOKEN not in result.output
    retried = CliRunner().invoke(
        main,
        ["ticket", "--db", db, "--json", "cost:team ai-research 2024-10"],
        env=jira_emulator.env(),
    )
    assert json.loads(retried.output)["created"] is True


def test_bad_credentials_and_unknown_findings_are_named(
    db: str, jira_emulator: JiraEmulator
) -> None:
    env = jira_emulator.env(JIRA_API_TOKEN="wrong")
    result = CliRunner().invoke(
        main, ["ticket", "--db", db, "cost:team ai-research 2024-10"], env=env
    )
    assert result.exit_code == 1 and "JIRA_API_TOKEN" in result.output
    unknown = CliRunner().invoke(
        main, ["ticket", "--db", db, "anomaly:42"], env=jira_emulator.env()
    )
    assert unknown.exit_code == 1 and "anomaly:42" in unknown.output


def test_without_jira_url_the_command_says_how_to_turn_it_on(db: str) -> None:
    result = CliRunner().invoke(main, ["ticket", "--db", db, "cost:by team"], env={"JIRA_URL": ""})
    assert result.exit_code == 1 and "JIRA_URL" in result.output


def test_a_malformed_setting_is_named(db: str, jira_emulator: JiraEmulator) -> None:
    env = jira_emulator.env(JIRA_API_VERSION="4")
    result = CliRunner().invoke(main, ["ticket", "--db", db, "cost:by team"], env=env)
    assert result.exit_code == 1 and "JIRA_API_VERSION" in result.output
