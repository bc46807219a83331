"""The poll job: a ticket done in Jira resolves its finding and is noted in the Slack thread."""

from __future__ import annotations

from pathlib import Path

from harness.jira_emulator import JiraEmulator
from harness.slack_emulator import SlackEmulator
from slack_sdk import WebClient
from ticket_support import IDLE_ID, jira_services

from bot.metrics import Metrics
from bot.state.tickets import DONE, SlackLocation
from scheduler.schedule import build_scheduler
from scheduler.tickets import poll_tickets


def test_a_done_ticket_resolves_the_finding_and_notes_it_in_the_thread(
    tmp_path: Path, jira_emulator: JiraEmulator, slack_emulator: SlackEmulator
) -> None:
    services, idle = jira_services(tmp_path, jira_emulator)
    filer = services.ticket_filer()
    assert filer is not None
    where = SlackLocation(channel_id="C0GPUALERTS", message_ts="1728984600.000100")
    filer.requests.record_slack(IDLE_ID, IDLE_ID, where, "U0ALICE")
    filer.file(filer.findings.lookup(IDLE_ID))
    client = WebClient(token=slack_emulator.bot_token, base_url=slack_emulator.base_url)

    assert poll_tickets(services, client) == 0, "still open"
    jira_emulator.set_status("FIN-1", "done")
    assert poll_tickets(services, client) == 1
    assert idle.resolved == [IDLE_ID]
    row = filer.requests.get(IDLE_ID)
    assert row is not None and row.status == DONE
    (note,) = slack_emulator.calls_to("chat.postMessage")
    assert note.args["thread_ts"] == "1728984600.000100" and "FIN-1" in (note.text or "")
    assert poll_tickets(services, client) == 0, "noted once"
    slack_emulator.assert_no_invalid_calls()


def test_an_unreachable_jira_is_logged_not_raised(
    tmp_path: Path, jira_emulator: JiraEmulator
) -> None:
    services, _ = jira_services(tmp_path, jira_emulator)
    filer = services.ticket_filer()
    assert filer is not None
    filer.file(filer.findings.lookup(IDLE_ID))
    jira_emulator.stop()
    assert poll_tickets(services) == 0


def test_the_poll_is_scheduled_only_with_jira(tmp_path: Path, jira_emulator: JiraEmulator) -> None:
    services, _ = jira_services(tmp_path, jira_emulator)
    scheduler = build_scheduler(services, Metrics(services.store.data_through))
    assert scheduler.get_job("poll_tickets") is not None
    off, _ = jira_services(tmp_path / "off", jira_emulator, extra_env={"JIRA_POLL_MINUTES": "0"})
    assert build_scheduler(off, Metrics(off.store.data_through)).get_job("poll_tickets") is None
