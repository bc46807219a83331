"""The "Open Jira ticket" flow over real HTTP: signed clicks and modal submits, both emulators."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from harness.jira_emulator import JiraEmulator
from harness.slack_emulator import DEFAULT_BOT_TOKEN, SlackEmulator
from harness.slack_requests import (
    DEFAULT_SIGNING_SECRET,
    FORM,
    SlackClientSim,
    block_actions_payload,
    interaction_body,
)
from harness.slack_views import view_submission_payload
from test_cost_command import all_text
from ticket_support import IDLE_ID, IdleTestSource, idle_finding, jira_services

from bot.blocks import ids
from bot.blocks.ticket import ticket_button
from bot.http_server import SlackHTTPServer
from bot.services import Services
from bot.slack_app import build_app
from bot.tickets.findings import finding_label

CHANNEL = "C0GPUALERTS"
ALERT_TS = "1728984600.000100"


@dataclass
class TicketApp:
    """The app under test, its services and the idle source it knows."""

    url: str
    services: Services
    idle: IdleTestSource


@pytest.fixture
def ticket_app(
    tmp_path: Path, slack_emulator: SlackEmulator, jira_emulator: JiraEmulator
) -> Iterator[TicketApp]:
    """A running app with Jira configured (Cloud emulator) and an idle finding."""
    services, idle = jira_services(
        tmp_path,
        jira_emulator,
        slack_bot_token=DEFAULT_BOT_TOKEN,
        slack_signing_secret=DEFAULT_SIGNING_SECRET,
        slack_api_url=slack_emulator.base_url,
    )
    app = build_app(services)
    server = SlackHTTPServer(app, services, host="127.0.0.1", port=0)
    server.start()
    yield TicketApp(f"http://127.0.0.1:{server.port}/slack/events", services, idle)
    server.stop()
    services.close()


def alert_message() -> dict[str, Any]:
    """The idle-GPU alert as a channel message with its ticket button."""
    button = ticket_button(IDLE_ID)
    return {
        "type": "message",
        "ts": ALERT_TS,
        "text": "Idle GPU: i-0abc123def4567890",
        "blocks": [
            {
                "type": "section",
                "text": {"type": "mrkdwn", "text": "*Idle GPU* i-0abc123def4567890"},
            },
            {"type": "actions", "block_id": "alert_actions", "elements": [button]},
        ],
    }


def click(
    sim: SlackClientSim, app: TicketApp, value: str, response_url: str, **fields: Any
) -> None:
    resp = sim.post_action(app.url, ids.OPEN_TICKET, value, response_url=response_url, **fields)
    assert resp.status_code == 200


def submit(sim: SlackClientSim, app: TicketApp, view: dict[str, Any], **options: Any) -> Any:
    payload = view_submission_payload(view, **options)
    return sim.post(app.url, sim.signed(interaction_body(payload), FORM))


def test_idle_finding_click_and_submit_file_one_ticket_and_show_it(
    ticket_app: TicketApp,
    slack_client_sim: SlackClientSim,
    slack_emulator: SlackEmulator,
    jira_emulator: JiraEmulator,
) -> None:
    jira_emulator.add_user("ann@example.com", "Ann Lee")
    click_url = slack_emulator.new_response_url()
    click(
        slack_client_sim,
        ticket_app,
        IDLE_ID,
        click_url,
        channel_id=CHANNEL,
        message=alert_message(),
    )
    (opened,) = slack_emulator.wait_for("views.open")
    assert opened.ok, opened.describe()
    view = opened.response["view"]
    assert json.loads(view["private_metadata"])["finding"] == IDLE_ID
    text = json.dumps(view["blocks"])
    for prefilled in ("FIN", "Task", "Idle GPU: i-0abc123def4567890", "ann@example.com"):
        assert prefilled in text
    assert view["blocks"][4]["element"]["initial_option"]["value"] == "High"
    slack_emulator.wait_for("chat.getPermalink")

    resp = submit(slack_client_sim, ticket_app, view)
    assert resp.status_code == 200 and resp.text == ""  # the modal closes
    (update,) = slack_emulator.wait_for("chat.update")
    (note,) = slack_emulator.wait_for("chat.postMessage")
    (issue,) = jira_emulator.issues
    assert issue.key == "FIN-1"
    permalink = f"https://costbot-test.slack.com/archives/{CHANNEL}/p{ALERT_TS.replace('.', '')}"
    assert permalink in issue.description_text
    assert "saves ≈ $786/day" in issue.description_text
    assert issue.fields["assignee"] == {"accountId": jira_emulator.users[0].account_id}
    shown = all_text(update.blocks or [])
    assert f"<{jira_emulator.url}/browse/FIN-1|FIN-1>" in shown
    buttons = [e for b in update.blocks or [] if b["type"] == "actions" for e in b["elements"]]
    assert all(b["action_id"] != ids.OPEN_TICKET for b in buttons), "no second ticket button"
    assert note.args["thread_ts"] == ALERT_TS and "FIN-1" in (note.text or "")
    slack_emulator.assert_no_invalid_calls()
    jira_emulator.assert_no_invalid_requests()


def test_double_submits_and_a_second_person_create_one_ticket(
    ticket_app: TicketApp,
    slack_client_sim: SlackClientSim,
    slack_emulator: SlackEmulator,
    jira_emulator: JiraEmulator,
) -> None:
    message = alert_message()
    alice_url, bob_url = slack_emulator.new_response_url(), slack_emulator.new_response_url()
    # Alice's click is handled before Bob's (each opens its form before the next click):
    # the request is then Bob's, the last to ask, which decides how each is told below.
    # Clicked at once, either could be handled last (the test was flaky that way).
    click(slack_client_sim, ticket_app, IDLE_ID, alice_url, channel_id=CHANNEL, message=message)
    (first,) = slack_emulator.wait_for("views.open", 1)
    click(
        slack_client_sim,
        ticket_app,
        IDLE_ID,
        bob_url,
        channel_id=CHANNEL,
        message=message,
        user_id="U0BOB",
        user_name="bob",
    )
    _, second = slack_emulator.wait_for("views.open", 2)
    submit(slack_client_sim, ticket_app, first.response["view"])
    submit(slack_client_sim, ticket_app, first.response["view"])  # the same person, twice
    submit(slack_client_sim, ticket_app, second.response["view"], user_id="U0BOB")
    notes = slack_emulator.wait_for("chat.postMessage")
    # The two submits that did not file are each told, privately, where the ticket is.
    told = slack_emulator._wait(
        lambda: slack_emulator.calls_to("chat.postEphemeral") + slack_emulator.responses(bob_url),
        2,
        5.0,
        "the private answers",
    )
    assert len(told) == 2 and not slack_emulator.responses(alice_url)
    assert len(jira_emulator.issues) == 1
    assert len(jira_emulator.requests_to("POST", "/issue")) == 1
    assert len(notes) == 1, "one thread note for one ticket"
    # A third click now points to the ticket instead of opening the form.
    late = slack_emulator.new_response_url()
    click(slack_client_sim, ticket_app, IDLE_ID, late, channel_id=CHANNEL, message=message)
    (reply,) = slack_emulator.wait_for_response(late)
    assert "already tracked" in all_text(reply.args["blocks"])
    assert len(slack_emulator.calls_to("views.open")) == 2
    slack_emulator.assert_no_invalid_calls()


def test_a_slack_retry_of_the_submit_files_nothing_more(
    ticket_app: TicketApp,
    slack_client_sim: SlackClientSim,
    slack_emulator: SlackEmulator,
    jira_emulator: JiraEmulator,
) -> None:
    from harness.slack_requests import Tamper

    click(
        slack_client_sim,
        ticket_app,
        IDLE_ID,
        slack_emulator.new_response_url(),
        channel_id=CHANNEL,
        message=alert_message(),
    )
    (opened,) = slack_emulator.wait_for("views.open")
    payload = view_submission_payload(opened.response["view"])
    body = interaction_body(payload)
    slack_client_sim.post(ticket_app.url, slack_client_sim.signed(body, FORM))
    retry = slack_client_sim.signed(body, FORM, Tamper(retry_num=1, retry_reason="http_timeout"))
    assert slack_client_sim.post(ticket_app.url, retry).status_code == 200
    slack_emulator.wait_for("chat.update")
    assert len(jira_emulator.requests_to("POST", "/issue")) == 1


def test_a_cost_answer_offers_a_ticket_and_the_answer_shows_its_key(
    ticket_app: TicketApp,
    slack_client_sim: SlackClientSim,
    slack_emulator: SlackEmulator,
    jira_emulator: JiraEmulator,
) -> None:
    asked = slack_emulator.new_response_url()
    slack_client_sim.post_command(ticket_app.url, "team ai-research", response_url=asked)
    (answer,) = slack_emulator.wait_for_response(asked)
    buttons = [e for b in answer.args["blocks"] if b["type"] == "actions" for e in b["elements"]]
    (ticket,) = [b for b in buttons if b["action_id"] == ids.OPEN_TICKET]
    assert ticket["text"]["text"] == "Open Jira ticket"
    assert ticket["value"] == "cost:team ai-research"

    # Slack sends no `message` with a click on an ephemeral answer.
    payload = block_actions_payload(
        ids.OPEN_TICKET, ticket["value"], response_url=asked, now=slack_client_sim.clock()
    )
    payload["container"]["is_ephemeral"] = True
    del payload["message"]
    slack_client_sim.post(ticket_app.url, slack_client_sim.signed(interaction_body(payload), FORM))
    (opened,) = slack_emulator.wait_for("views.open")
    view = opened.response["view"]
    submit(
        slack_client_sim, ticket_app, view, changes={"ticket_summary": "Review ai-research spend"}
    )
    replies = slack_emulator.wait_for_response(asked, 2)
    shown = replies[-1]
    assert shown.args["replace_original"] is True
    text = all_text(shown.args["blocks"])
    assert "FIN-1" in text and "$1,400.00" in text, "the answer, redrawn, with the ticket"
    (issue,) = jira_emulator.issues
    assert issue.fields["summary"] == "Review ai-research spend"
    description = issue.description_text
    for expected in (
        "ai-research",
        "$1,400.00",
        "$100.00",
        "Last 14 days",
        "2024-10-01",
        "2024-10-14",
    ):
        assert expected in description, expected
    finding = json.loads(view["private_metadata"])["finding"]
    assert finding.startswith("cost:") and finding_label(finding) in issue.labels
    assert slack_emulator.calls_to("chat.getPermalink") == [], "an ephemeral answer has none"
    slack_emulator.assert_no_invalid_calls()
    jira_emulator.assert_no_invalid_requests()


def test_jira_failure_shows_what_failed_and_retry_files_the_kept_request(
    ticket_app: TicketApp,
    slack_client_sim: SlackClientSim,
    slack_emulator: SlackEmulator,
    jira_emulator: JiraEmulator,
    caplog: pytest.LogCaptureFixture,
) -> None:
    click_url = slack_emulator.new_response_url()
    click(
        slack_client_sim,
        ticket_app,
        IDLE_ID,
        click_url,
        channel_id=CHANNEL,
        message=alert_message(),
    )
    (opened,) = slack_emulator.wait_for("views.open")
    jira_emulator.require_field("customfield_10010", "Cost centre")
    submit(
        slack_client_sim, ticket_app, opened.response["view"], changes={"ticket_summary": "Stop it"}
    )
    (failed,) = slack_emulator.wait_for_response(click_url)
    text = all_text(failed.args["blocks"])
    assert "not filed" in text and "Cost centre is required" in text
    (retry,) = [e for b in failed.args["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert retry["action_id"] == ids.RETRY_TICKET and retry["value"] == IDLE_ID
    assert not jira_emulator.issues

    jira_emulator.required_fields.clear()  # the admin fixed the screen
    retry_url = slack_emulator.new_response_url()
    slack_client_sim.post_action(ticket_app.url, ids.RETRY_TICKET, IDLE_ID, response_url=retry_url)
    (done,) = slack_emulator.wait_for_response(retry_url)
    assert done.args["replace_original"] is True and "FIN-1" in all_text(done.args["blocks"])
    (issue,) = jira_emulator.issues
    assert issue.fields["summary"] == "Stop it", "the kept request was filed"
    slack_emulator.wait_for("chat.update")
    assert "jira-api-token" not in caplog.text
    slack_emulator.assert_no_invalid_calls()


def test_modal_problems_are_shown_in_the_modal(
    ticket_app: TicketApp, slack_client_sim: SlackClientSim, slack_emulator: SlackEmulator
) -> None:
    click(
        slack_client_sim,
        ticket_app,
        IDLE_ID,
        slack_emulator.new_response_url(),
        channel_id=CHANNEL,
        message=alert_message(),
    )
    (opened,) = slack_emulator.wait_for("views.open")
    resp = submit(
        slack_client_sim,
        ticket_app,
        opened.response["view"],
        changes={"ticket_project": "not a key", "ticket_assignee": "ann"},
    )
    answer = resp.json()
    assert answer["response_action"] == "errors"
    assert set(answer["errors"]) == {"ticket_project", "ticket_assignee"}


def test_without_jira_answers_have_no_ticket_button(
    tmp_path: Path, slack_client_sim: SlackClientSim, slack_emulator: SlackEmulator
) -> None:
    from conftest import start_app

    app, server = start_app(tmp_path, slack_emulator)
    try:
        url = slack_emulator.new_response_url()
        slack_client_sim.post_command(app.url, "team ai-research", response_url=url)
        (answer,) = slack_emulator.wait_for_response(url)
        actions = [
            e for b in answer.args["blocks"] if b["type"] == "actions" for e in b["elements"]
        ]
        assert actions and all(e["action_id"] != ids.OPEN_TICKET for e in actions)
    finally:
        server.stop()
        app.services.close()
    assert idle_finding().finding_id == IDLE_ID


def test_an_expired_trigger_says_to_click_again(
    ticket_app: TicketApp, slack_client_sim: SlackClientSim, slack_emulator: SlackEmulator
) -> None:
    slack_emulator.queue_error("views.open", "expired_trigger_id")
    url = slack_emulator.new_response_url()
    click(slack_client_sim, ticket_app, IDLE_ID, url, channel_id=CHANNEL, message=alert_message())
    (reply,) = slack_emulator.wait_for_response(url)
    assert "press Open Jira ticket again" in all_text(reply.args["blocks"])


def test_an_unknown_finding_is_said_not_opened(
    ticket_app: TicketApp, slack_client_sim: SlackClientSim, slack_emulator: SlackEmulator
) -> None:
    url = slack_emulator.new_response_url()
    click(slack_client_sim, ticket_app, "idle:i-gone", url, channel_id=CHANNEL)
    (reply,) = slack_emulator.wait_for_response(url)
    assert "no finding 'idle:i-gone'" in all_text(reply.args["blocks"])
    assert not slack_emulator.calls_to("views.open")


@pytest.mark.parametrize(
    ("failure", "shown"),
    [
        ("500", "not answering properly (HTTP 500)"),
        ("401", "refused costbot's credentials"),
        ("unreachable", "could not be reached"),
    ],
)
def test_each_failure_is_shown_with_retry_and_the_request_kept_without_secrets(
    ticket_app: TicketApp,
    slack_client_sim: SlackClientSim,
    slack_emulator: SlackEmulator,
    jira_emulator: JiraEmulator,
    caplog: pytest.LogCaptureFixture,
    failure: str,
    shown: str,
) -> None:
    click_url = slack_emulator.new_response_url()
    click(
        slack_client_sim,
        ticket_app,
        IDLE_ID,
        click_url,
        channel_id=CHANNEL,
        message=alert_message(),
    )
    (opened,) = slack_emulator.wait_for("views.open")
    if failure == "unreachable":
        jira_emulator.stop()
    else:
        jira_emulator.fail_next("*", int(failure), times=10)
    with caplog.at_level("DEBUG"):
        submit(
            slack_client_sim,
            ticket_app,
            opened.response["view"],
            changes={"ticket_summary": "Kept"},
        )
        (failed,) = slack_emulator.wait_for_response(click_url)
    text = all_text(failed.args["blocks"])
    assert shown in text and "Retry" in json.dumps(failed.args["blocks"])
    filer = ticket_app.services.ticket_filer()
    assert filer is not None
    row = filer.requests.get(IDLE_ID)
    assert row is not None and row.status == "failed" and row.fields is not None
    assert row.fields["summary"] == "Kept"
    for secret in ticket_app.services.settings.jira.secrets():  # type: ignore[union-attr]
        assert secret not in caplog.text
    assert "Basic " not in caplog.text
    slack_emulator.assert_no_invalid_calls()
