"""Filing tickets through the real ``jira`` library against the Jira emulator."""

from __future__ import annotations

import logging
import threading
from pathlib import Path

import pytest
from harness.jira_emulator import CLOUD_TOKEN, DC_PAT, JiraEmulator
from ticket_support import IDLE_ID, idle_finding, jira_services

from bot.jira import TrackerAuthError, TrackerRequestError, TrackerUnreachable
from bot.state.tickets import FAILED, OPEN
from bot.tickets.findings import UnknownFinding, finding_label
from bot.tickets.model import TicketDraft


def test_an_idle_finding_files_one_ticket_with_its_whole_context(
    tmp_path: Path, jira_emulator: JiraEmulator
) -> None:
    jira_emulator.add_user("ann@example.com", "Ann Lee")
    services, _ = jira_services(tmp_path, jira_emulator)
    filer = services.ticket_filer()
    assert filer is not None
    ticket = filer.file(filer.findings.lookup(IDLE_ID))
    assert ticket.created and ticket.key == "FIN-1"
    assert ticket.url == f"{jira_emulator.url}/browse/FIN-1"
    (issue,) = jira_emulator.issues
    fields = issue.fields
    assert fields["project"] == {"key": "FIN"} and fields["issuetype"] == {"name": "Task"}
    assert fields["priority"] == {"name": "High"}
    assert fields["assignee"] == {"accountId": jira_emulator.users[0].account_id}
    assert set(fields["labels"]) == {"finops", "costbot", finding_label(IDLE_ID)}
    text = issue.description_text
    for expected in (
        "0 % GPU utilisation since 03:10 UTC",  # what happened
        "arn:aws:ec2:us-east-1:123456789012:instance/i-0abc123def4567890",
        "123456789012",
        "us-east-1",
        "ai-research",
        "ann@example.com",
        "llm-training",
        "$799.00",  # yesterday
        "$11,200.00",  # month to date
        "2024-10-01",  # the trend's first day …
        "$799.00",  # … and its last
        "$786.00",  # the impact
        "Stop i-0abc123def4567890 p4d.24xlarge idle since 03:10 UTC, saves ≈ $786/day",
        IDLE_ID,
    ):
        assert expected in text.replace("\\", ""), expected
    assert isinstance(fields["description"], str)  # REST v2: wiki markup
    jira_emulator.assert_no_invalid_requests()


def test_api_version_3_sends_an_atlassian_document(
    tmp_path: Path, jira_emulator: JiraEmulator
) -> None:
    services, _ = jira_services(tmp_path, jira_emulator, extra_env={"JIRA_API_VERSION": "3"})
    filer = services.ticket_filer()
    assert filer is not None
    filer.file(filer.findings.lookup(IDLE_ID))
    (issue,) = jira_emulator.issues
    assert issue.api_version == "3"
    assert issue.fields["description"]["type"] == "doc"
    assert "saves ≈ $786/day" in issue.description_text
    assert jira_emulator.requests_to("POST", "/rest/api/3/issue")
    jira_emulator.assert_no_invalid_requests()


def test_filing_twice_files_once_and_says_the_second_was_not_created(
    tmp_path: Path, jira_emulator: JiraEmulator
) -> None:
    services, _ = jira_services(tmp_path, jira_emulator)
    filer = services.ticket_filer()
    assert filer is not None
    first = filer.file(filer.findings.lookup(IDLE_ID))
    second = filer.file(filer.findings.lookup(IDLE_ID))
    assert first.created and not second.created and second.key == first.key
    assert len(jira_emulator.issues) == 1


def test_an_open_ticket_found_by_its_label_is_linked_not_duplicated(
    tmp_path: Path, jira_emulator: JiraEmulator
) -> None:
    """A ticket filed from another costbot (or a lost store) is found by JQL on the label."""
    services, _ = jira_services(tmp_path, jira_emulator)
    filer = services.ticket_filer()
    assert filer is not None
    filer.file(filer.findings.lookup(IDLE_ID))
    other, _ = jira_services(tmp_path / "other", jira_emulator)
    other_filer = other.ticket_filer()
    assert other_filer is not None
    again = other_filer.file(other_filer.findings.lookup(IDLE_ID))
    assert not again.created and again.key == "FIN-1"
    assert len(jira_emulator.issues) == 1
    assert jira_emulator.requests_to("GET", "/search/jql"), "Cloud searches with /search/jql"
    row = other_filer.requests.get(IDLE_ID)
    assert row is not None and row.status == OPEN and row.created is False


def test_a_done_ticket_does_not_stop_a_new_one(tmp_path: Path, jira_emulator: JiraEmulator) -> None:
    services, _ = jira_services(tmp_path, jira_emulator)
    filer = services.ticket_filer()
    assert filer is not None
    filer.file(filer.findings.lookup(IDLE_ID))
    jira_emulator.set_status("FIN-1", "done")
    assert [r[0] for r in filer.resolved()] == [IDLE_ID]
    again = filer.file(filer.findings.lookup(IDLE_ID))
    assert again.created and again.key == "FIN-2"


def test_concurrent_attempts_file_exactly_one_ticket(
    tmp_path: Path, jira_emulator: JiraEmulator
) -> None:
    services, _ = jira_services(tmp_path, jira_emulator)
    filer = services.ticket_filer()
    assert filer is not None
    ctx = filer.findings.lookup(IDLE_ID)
    outcomes: list[object] = []
    start = threading.Barrier(6)

    def attempt() -> None:
        start.wait()
        try:
            outcomes.append(filer.file(ctx))
        except Exception as exc:
            outcomes.append(exc)

    threads = [threading.Thread(target=attempt) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert len(jira_emulator.issues) == 1
    assert len(jira_emulator.requests_to("POST", "/issue")) == 1
    created = [o for o in outcomes if getattr(o, "created", False)]
    assert len(created) == 1


@pytest.mark.parametrize(
    ("status", "error", "words"),
    [
        (500, TrackerUnreachable, "not answering properly (HTTP 500)"),
        (401, TrackerAuthError, "JIRA_API_TOKEN"),
    ],
)
def test_failures_keep_the_request_and_retry_files_it(
    tmp_path: Path,
    jira_emulator: JiraEmulator,
    caplog: pytest.LogCaptureFixture,
    status: int,
    error: type[Exception],
    words: str,
) -> None:
    services, _ = jira_services(tmp_path, jira_emulator)
    filer = services.ticket_filer()
    assert filer is not None
    services.jira_client()  # connect first: the failure hits the create itself
    jira_emulator.fail_next("POST /issue", status)
    draft = filer.draft(filer.findings.lookup(IDLE_ID))
    draft = TicketDraft(**{**draft.__dict__, "summary": "Stop the idle p4d"})
    with (
        caplog.at_level(logging.DEBUG),
        pytest.raises(error, match=words.replace("(", r"\(").replace(")", r"\)")),
    ):
        filer.file(filer.findings.lookup(IDLE_ID), draft)
    row = filer.requests.get(IDLE_ID)
    assert row is not None and row.status == FAILED and row.fields is not None
    assert row.fields["summary"] == "Stop the idle p4d"
    assert CLOUD_TOKEN not in caplog.text and "Authorization" not in caplog.text
    ticket = filer.retry(IDLE_ID)
    assert ticket.created
    (issue,) = jira_emulator.issues
    assert issue.fields["summary"] == "Stop the idle p4d", "Retry re-sends the kept request"


def test_field_errors_are_named(tmp_path: Path, jira_emulator: JiraEmulator) -> None:
    jira_emulator.require_field("customfield_10010", "Cost centre")
    services, _ = jira_services(tmp_path, jira_emulator)
    filer = services.ticket_filer()
    assert filer is not None
    with pytest.raises(TrackerRequestError, match="customfield_10010: Cost centre is required"):
        filer.file(filer.findings.lookup(IDLE_ID))
    assert not jira_emulator.issues


def test_a_missing_project_is_named(tmp_path: Path, jira_emulator: JiraEmulator) -> None:
    services, _ = jira_services(tmp_path, jira_emulator, extra_env={"JIRA_PROJECT": "NOPE"})
    filer = services.ticket_filer()
    assert filer is not None
    with pytest.raises(TrackerRequestError, match=r"project key .*valid project is required"):
        filer.file(filer.findings.lookup(IDLE_ID))


def test_an_unreachable_jira_is_said_without_waiting(
    tmp_path: Path, jira_emulator: JiraEmulator
) -> None:
    services, _ = jira_services(tmp_path, jira_emulator)
    jira_emulator.stop()
    filer = services.ticket_filer()
    assert filer is not None
    with pytest.raises(TrackerUnreachable, match="could not be reached"):
        filer.file(filer.findings.lookup(IDLE_ID))
    row = filer.requests.get(IDLE_ID)
    assert row is not None and row.status == FAILED


def test_data_center_uses_the_pat_search_and_user_names(
    tmp_path: Path, jira_dc_emulator: JiraEmulator, caplog: pytest.LogCaptureFixture
) -> None:
    jira_dc_emulator.add_user("ann@example.com", "Ann Lee")
    services, _ = jira_services(tmp_path, jira_dc_emulator)
    filer = services.ticket_filer()
    assert filer is not None
    with caplog.at_level(logging.DEBUG):
        ticket = filer.file(filer.findings.lookup(IDLE_ID))
    assert ticket.created
    (issue,) = jira_dc_emulator.issues
    assert issue.fields["assignee"] == {"name": "ann"}
    assert jira_dc_emulator.requests_to("GET", "/rest/api/2/search")
    assert DC_PAT not in caplog.text
    jira_dc_emulator.assert_no_invalid_requests()


def test_an_owner_without_a_jira_account_leaves_the_ticket_unassigned(
    tmp_path: Path, jira_emulator: JiraEmulator
) -> None:
    services, _ = jira_services(tmp_path, jira_emulator)
    filer = services.ticket_filer()
    assert filer is not None
    ticket = filer.file(filer.findings.lookup(IDLE_ID))
    assert "assignee" not in jira_emulator.issues[0].fields
    assert any("ann@example.com" in note for note in ticket.notes)


def test_unknown_findings_are_named(tmp_path: Path, jira_emulator: JiraEmulator) -> None:
    services, _ = jira_services(tmp_path, jira_emulator)
    with pytest.raises(UnknownFinding, match="cost:…, idle:…"):
        services.findings().lookup("quota:123")
    with pytest.raises(UnknownFinding, match="no finding"):
        services.findings().lookup("idle:i-nothing")
    assert idle_finding().team == "ai-research"


def test_team_defaults_prefill_project_assignee_and_labels(
    tmp_path: Path, jira_emulator: JiraEmulator
) -> None:
    env = {
        "JIRA_TEAM_PROJECTS": "ai-research=AIR",
        "JIRA_TEAM_ASSIGNEES": "ai-research=lead@example.com",
        "JIRA_TEAM_LABELS": "ai-research=gpu",
    }
    services, _ = jira_services(tmp_path, jira_emulator, extra_env=env)
    filer = services.ticket_filer()
    assert filer is not None
    tagged = filer.draft(idle_finding())
    assert tagged.project == "AIR" and tagged.labels == ("finops", "costbot", "gpu")
    assert tagged.assignee_email == "ann@example.com", "the owner tag wins over the team default"
    untagged_owner = filer.draft(idle_finding(owner="ann"))
    assert untagged_owner.assignee_email == "lead@example.com"
    assert untagged_owner.priority == "High" and untagged_owner.issue_type == "Task"


def test_a_wrong_jira_url_is_named(tmp_path: Path, jira_emulator: JiraEmulator) -> None:
    env = {"JIRA_URL": f"{jira_emulator.url}/jira"}
    services, _ = jira_services(tmp_path, jira_emulator, extra_env=env)
    filer = services.ticket_filer()
    assert filer is not None
    with pytest.raises(TrackerRequestError, match=r"answered 404 .* check JIRA_URL"):
        filer.file(filer.findings.lookup(IDLE_ID))
