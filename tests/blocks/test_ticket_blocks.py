"""Ticket blocks: the modal, the link on the message, the notes, all inside Slack's limits."""

from __future__ import annotations

import json
from dataclasses import replace

from harness.block_kit import message_block_errors
from harness.block_kit import view_errors as slack_view_errors
from ticket_support import IDLE_ID, idle_finding

from bot.blocks import ids
from bot.blocks.ticket import (
    INPUTS,
    draft_from_view,
    failure_blocks,
    thread_note,
    ticket_button,
    ticket_modal,
    view_errors,
    with_ticket,
)
from bot.tickets.model import FiledTicket, TicketDraft

DRAFT = TicketDraft("FIN", "Task", "Idle GPU", "High", "ann@example.com", ("finops", "costbot"))
TICKET = FiledTicket("FIN-7", "https://acme.atlassian.net/browse/FIN-7", created=True)


def test_the_modal_is_valid_and_reads_back_into_the_same_draft() -> None:
    view = ticket_modal(idle_finding(), DRAFT)
    assert slack_view_errors(view, ("modal",)) == []
    assert json.loads(view["private_metadata"]) == {"finding": IDLE_ID, "ref": IDLE_ID}
    values = {}
    for block in view["blocks"]:
        if block["type"] != "input":
            continue
        element = block["element"]
        state = (
            {"type": "static_select", "selected_option": element["initial_option"]}
            if element["type"] == "static_select"
            else {"type": element["type"], "value": element.get("initial_value")}
        )
        values[block["block_id"]] = {element["action_id"]: state}
    assert draft_from_view(values) == DRAFT


def test_a_huge_finding_still_makes_a_valid_modal() -> None:
    huge = replace(idle_finding(), title="x" * 5000, what_happened="<!channel> " * 900)
    view = ticket_modal(huge, replace(DRAFT, summary="y" * 255))
    assert slack_view_errors(view, ("modal",)) == []
    assert "<!channel>" not in json.dumps(view)


def test_problems_map_to_the_modal_inputs() -> None:
    bad = replace(DRAFT, project="fin ops", labels=("two words",), assignee_email="ann")
    errors = view_errors(bad.problems())
    assert set(errors) == {INPUTS["project"][0], INPUTS["labels"][0], INPUTS["assignee"][0]}


def test_the_message_loses_its_ticket_button_and_gains_the_link() -> None:
    button = ticket_button(IDLE_ID)
    assert button is not None
    share = {
        "type": "button",
        "text": {"type": "plain_text", "text": "Share"},
        "action_id": ids.SHARE_ANSWER,
        "value": "x",
    }
    rows = [{"type": "section", "text": {"type": "mrkdwn", "text": f"row {i}"}} for i in range(49)]
    blocks = with_ticket(
        [*rows, {"type": "actions", "elements": [share, button]}], TICKET, "U0ALICE"
    )
    assert message_block_errors(blocks) == []
    assert len(blocks) == 50
    assert blocks[-1]["elements"] == [share]
    assert (
        "<https://acme.atlassian.net/browse/FIN-7|FIN-7> by <@U0ALICE>"
        in blocks[-2]["elements"][0]["text"]
    )
    again = with_ticket(blocks, TICKET, "U0ALICE")
    assert sum(1 for b in again if b.get("block_id") == "jira_ticket") == 1, "idempotent"


def test_notes_and_failures() -> None:
    text, blocks = thread_note(replace(TICKET, notes=("left unassigned",)), "U0BOB", "Idle GPU")
    assert "FIN-7" in text and message_block_errors(blocks) == []
    failed = failure_blocks("Jira refused the ticket (HTTP 400): summary: required." * 100, IDLE_ID)
    assert message_block_errors(failed) == []
    (retry,) = failed[-1]["elements"]
    assert retry["action_id"] == ids.RETRY_TICKET and retry["value"] == IDLE_ID
    assert ticket_button("x" * 2001) is None
