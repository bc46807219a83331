"""Block Kit for Jira tickets: the button, the modal, the link on the message, the notes.

The button's value is the finding id (or ``cost:<question>`` for a ``/cost``
answer): an id, never state. The modal carries the finding id in
``private_metadata``; everything else a submission needs is in the store.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Sequence
from typing import Any

from bot.blocks import ids
from bot.blocks.limits import (
    MAX_BUTTON_TEXT,
    MAX_MESSAGE_BLOCKS,
    MAX_TEXT_OBJECT,
    fit_blocks,
    truncate,
)
from bot.blocks.mrkdwn import context, fit, one_line, section
from bot.tickets.findings import FindingContext
from bot.tickets.model import PRIORITIES, FiledTicket, TicketDraft

BUTTON_TEXT = "Open Jira ticket"
MODAL_CALLBACK = "jira_ticket_modal"
MAX_PRIVATE_METADATA = 3000

# block_id / action_id of each modal input (the submission handler reads them back).
INPUTS = {
    "project": ("ticket_project", "value"),
    "issue_type": ("ticket_issue_type", "value"),
    "summary": ("ticket_summary", "value"),
    "priority": ("ticket_priority", "value"),
    "assignee": ("ticket_assignee", "value"),
    "labels": ("ticket_labels", "value"),
}


def ticket_button(ref: str) -> dict[str, Any] | None:
    """Build the "Open Jira ticket" button for a finding (None if the ref cannot be a value)."""
    if not ids.fits_value(ref):
        return None
    return {
        "type": "button",
        "text": {"type": "plain_text", "text": BUTTON_TEXT},
        "action_id": ids.OPEN_TICKET,
        "value": ref,
    }


def ticket_modal(
    ctx: FindingContext, draft: TicketDraft, *, assignee_hint: str = ""
) -> dict[str, Any]:
    """Build the modal, prefilled from the finding; the finding id rides in private_metadata."""
    metadata = json.dumps({"finding": ctx.finding_id, "ref": ctx.ref or ctx.finding_id})
    if len(metadata) > MAX_PRIVATE_METADATA:
        metadata = json.dumps({"finding": ctx.finding_id, "ref": ctx.finding_id})
    blocks: list[dict[str, Any]] = [
        section(
            truncate(
                f"*{fit(one_line(ctx.title), 500)}*\n{fit(ctx.what_happened, 2000)}",
                MAX_TEXT_OBJECT,
            )
        ),
        _text_input("project", "Project", draft.project, max_length=255),
        _text_input("issue_type", "Issue type", draft.issue_type, max_length=255),
        _text_input("summary", "Summary", draft.summary, max_length=255),
        _priority_input(draft.priority),
        _text_input(
            "assignee",
            "Assignee (email)",
            draft.assignee_email or "",
            optional=True,
            hint=assignee_hint or "Looked up in Jira by email when the ticket is filed.",
        ),
        _text_input(
            "labels",
            "Labels",
            " ".join(draft.labels),
            optional=True,
            hint="Separated by spaces; costbot adds one that marks the finding.",
        ),
        context(
            fit(f"Finding {ctx.finding_id} · the description carries its full cost context", 300)
        ),
    ]
    return {
        "type": "modal",
        "callback_id": MODAL_CALLBACK,
        "title": {"type": "plain_text", "text": "Open Jira ticket"},
        "submit": {"type": "plain_text", "text": "Create"},
        "close": {"type": "plain_text", "text": "Cancel"},
        "private_metadata": metadata,
        "blocks": blocks,
    }


def _text_input(
    name: str,
    label: str,
    initial: str,
    *,
    optional: bool = False,
    max_length: int | None = None,
    hint: str = "",
) -> dict[str, Any]:
    block_id, action_id = INPUTS[name]
    element: dict[str, Any] = {"type": "plain_text_input", "action_id": action_id}
    if initial:
        element["initial_value"] = initial[: max_length or 3000]
    if max_length:
        element["max_length"] = max_length
    block: dict[str, Any] = {
        "type": "input",
        "block_id": block_id,
        "label": {"type": "plain_text", "text": label},
        "element": element,
        "optional": optional,
    }
    if hint:
        block["hint"] = {"type": "plain_text", "text": hint}
    return block


def _priority_input(initial: str) -> dict[str, Any]:
    block_id, action_id = INPUTS["priority"]
    options = [{"text": {"type": "plain_text", "text": p}, "value": p} for p in PRIORITIES]
    chosen = next((o for o in options if o["value"] == initial), options[2])
    return {
        "type": "input",
        "block_id": block_id,
        "label": {"type": "plain_text", "text": "Priority"},
        "element": {
            "type": "static_select",
            "action_id": action_id,
            "options": options,
            "initial_option": chosen,
        },
    }


def draft_from_view(values: dict[str, Any]) -> TicketDraft:
    """Read the submitted modal (``view.state.values``) back into a draft."""

    def text(name: str) -> str:
        block_id, action_id = INPUTS[name]
        state = (values.get(block_id) or {}).get(action_id) or {}
        if state.get("type") == "static_select":
            return str((state.get("selected_option") or {}).get("value") or "")
        return str(state.get("value") or "").strip()

    labels = tuple(dict.fromkeys(p for p in text("labels").replace(",", " ").split() if p))
    return TicketDraft(
        project=text("project").upper(),
        issue_type=text("issue_type"),
        summary=text("summary"),
        priority=text("priority") or "Medium",
        assignee_email=text("assignee") or None,
        labels=labels,
    )


def view_errors(problems: dict[str, str]) -> dict[str, str]:
    """Map a draft's problems to ``response_action: errors`` keyed by block_id."""
    out: dict[str, str] = {}
    for name, message in problems.items():
        block_id = INPUTS.get(name, INPUTS["summary"])[0]
        out[block_id] = truncate(message, 150)
    return out


def ticket_link(ticket: FiledTicket) -> str:
    """Render ``<url|KEY>`` for mrkdwn."""
    return f"<{ticket.url}|{fit(ticket.key, 100)}>"


def with_ticket(
    blocks: Sequence[dict[str, Any]], ticket: FiledTicket, user: str | None
) -> list[dict[str, Any]]:
    """Return the message's blocks with the ticket button gone and a line linking the ticket."""
    out: list[dict[str, Any]] = []
    for block in copy.deepcopy(list(blocks)):
        if block.get("type") == "actions":
            elements = [
                e for e in block.get("elements", []) if e.get("action_id") != ids.OPEN_TICKET
            ]
            if not elements:
                continue
            block["elements"] = elements
        if block.get("block_id") == TICKET_BLOCK_ID:
            continue
        out.append(block)
    line = context(_ticket_line(ticket, user))
    line["block_id"] = TICKET_BLOCK_ID
    tail = 2 if out and out[-1].get("type") == "actions" else 1
    if tail == 2:
        out.insert(len(out) - 1, line)
    else:
        out.append(line)
    return fit_blocks(out, MAX_MESSAGE_BLOCKS, keep_tail=tail)


TICKET_BLOCK_ID = "jira_ticket"


def _ticket_line(ticket: FiledTicket, user: str | None) -> str:
    who = f" by <@{user}>" if user else ""
    verb = "Jira ticket" if ticket.created else "Tracked in"
    extra = "" if ticket.created else " (an open ticket already existed)"
    return f":ticket: {verb} {ticket_link(ticket)}{who}{extra}"


def thread_note(
    ticket: FiledTicket, user: str | None, summary: str
) -> tuple[str, list[dict[str, Any]]]:
    """Build the thread note after filing: text and blocks."""
    who = f"<@{user}> " if user else ""
    if ticket.created:
        text = f"{who}opened {ticket_link(ticket)}: {fit(one_line(summary), 300)}"
    else:
        text = f"{who}linked the open ticket {ticket_link(ticket)} (no duplicate filed)"
    lines = [f":ticket: {text}", *(f"_{fit(n, 300)}_" for n in ticket.notes)]
    return one_line(text), [section("\n".join(lines))]


def already_tracked_blocks(ticket: FiledTicket) -> list[dict[str, Any]]:
    """Tell the clicker the finding already has an open ticket."""
    return [section(f":ticket: This is already tracked in {ticket_link(ticket)}.")]


def failure_blocks(what_failed: str, finding_id: str) -> list[dict[str, Any]]:
    """Say what failed and offer Retry (the request is kept in the store)."""
    retry = {
        "type": "button",
        "text": {"type": "plain_text", "text": truncate("Retry", MAX_BUTTON_TEXT)},
        "action_id": ids.RETRY_TICKET,
        "value": finding_id,
        "style": "primary",
    }
    return [
        section(f":warning: The Jira ticket was not filed. {fit(one_line(what_failed), 2500)}"),
        context("Your request is kept; press Retry when it is fixed."),
        {"type": "actions", "block_id": "ticket_retry", "elements": [retry]},
    ]


def filed_blocks(ticket: FiledTicket) -> list[dict[str, Any]]:
    """Confirm to the person who filed (used where the message itself cannot change)."""
    lines = [_ticket_line(ticket, None), *(f"_{fit(n, 300)}_" for n in ticket.notes)]
    return [section("\n".join(lines))]


def resolved_note(key: str, url: str) -> tuple[str, list[dict[str, Any]]]:
    """Build the thread note for a ticket the poll found done."""
    text = f":white_check_mark: <{url}|{fit(key, 100)}> is done; the finding is marked resolved."
    return one_line(f"{key} is done; the finding is marked resolved."), [section(text)]
