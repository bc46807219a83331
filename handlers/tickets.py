"""Jira tickets from Slack: the "Open Jira ticket" button, the modal, and Retry.

Click → (lazy) look the finding up, remember where its message is, open the
prefilled modal, then fetch the message's permalink for the description.
Submit → (ack checks the fields) → (lazy) file once through the
:class:`~bot.tickets.filing.TicketFiler`; on success the message shows the
ticket and its thread gets a note; on failure the person sees what failed and a
Retry button, and the request stays in the store.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any

from slack_sdk.errors import SlackApiError

from bot.blocks.cost_answer import cost_answer_blocks
from bot.blocks.ticket import (
    already_tracked_blocks,
    draft_from_view,
    failure_blocks,
    filed_blocks,
    thread_note,
    ticket_modal,
    view_errors,
    with_ticket,
)
from bot.costs.ask import ask
from bot.costs.grammar import HelpRequest
from bot.costs.model import CostAnswer
from bot.errors import CostbotError
from bot.services import Services
from bot.state.tickets import SlackLocation, TicketRequest
from bot.tickets.cost_source import PREFIX as COST_PREFIX
from bot.tickets.cost_source import button_ref
from bot.tickets.filing import TicketFiler
from bot.tickets.model import FiledTicket, TicketInProgress
from handlers.errors import answers_on_failure

log = logging.getLogger("costbot.tickets")

NOT_CONFIGURED = "Jira is not configured for costbot (JIRA_URL is not set)."


def answer_ticket_ref(services: Services, answer: CostAnswer) -> str | None:
    """Return the "Open Jira ticket" button value for an answer (None when Jira is off)."""
    if services.settings.jira is None:
        return None
    return button_ref(answer.query, services.settings.measure)


def _action_value(body: dict[str, Any]) -> str:
    actions = body.get("actions") or [{}]
    return str(actions[0].get("value") or "")


def _user(body: dict[str, Any]) -> str:
    return str((body.get("user") or {}).get("id") or "")


def _location(body: dict[str, Any]) -> SlackLocation:
    container = body.get("container") or {}
    message = body.get("message") or {}
    channel = (body.get("channel") or {}).get("id") or container.get("channel_id")
    return SlackLocation(
        channel_id=channel,
        message_ts=container.get("message_ts") or message.get("ts"),
        ephemeral=bool(container.get("is_ephemeral")),
        response_url=body.get("response_url"),
        message={"text": message.get("text") or "", "blocks": message.get("blocks") or []},
    )


def ack_ticket(ack: Any) -> None:
    """Acknowledge the click or Retry at once; the work follows in the lazy listener."""
    ack()


@answers_on_failure("opening the Jira ticket form")
def open_ticket_action(
    body: dict[str, Any], client: Any, respond: Any, context: dict[str, Any]
) -> None:
    """Open the ticket modal prefilled from the finding (or point to its open ticket)."""
    services: Services = context["services"]
    filer = services.ticket_filer()
    if filer is None:
        raise CostbotError(NOT_CONFIGURED)
    ref = _action_value(body)
    ctx = filer.findings.lookup(ref)
    where = _location(body)
    filer.requests.record_slack(ctx.finding_id, ctx.ref or ref, where, _user(body))
    existing = filer.stored(ctx.finding_id)
    if existing is not None:
        respond(
            response_type="ephemeral",
            replace_original=False,
            text=f"Already tracked in {existing.key}",
            blocks=already_tracked_blocks(existing),
        )
        return
    try:
        client.views_open(trigger_id=body["trigger_id"], view=ticket_modal(ctx, filer.draft(ctx)))
    except SlackApiError as exc:
        code = exc.response.get("error")
        log.warning("the ticket form did not open: %s", code)
        raise CostbotError(
            f"Slack did not open the ticket form ({code}); press Open Jira ticket again."
        ) from None
    if where.channel_id and where.message_ts and not where.ephemeral:
        try:
            answer = client.chat_getPermalink(channel=where.channel_id, message_ts=where.message_ts)
        except SlackApiError as exc:
            log.warning("no permalink for the finding's message: %s", exc.response.get("error"))
            return
        if answer.get("permalink"):
            filer.requests.set_permalink(ctx.finding_id, str(answer["permalink"]))


def ack_ticket_submission(ack: Any, view: dict[str, Any]) -> None:
    """Check the modal's fields: name what is wrong in the modal, or close it."""
    problems = draft_from_view(view.get("state", {}).get("values", {})).problems()
    if problems:
        ack(response_action="errors", errors=view_errors(problems))
        return
    ack()


def file_ticket_submission(body: dict[str, Any], client: Any, context: dict[str, Any]) -> None:
    """File the ticket the modal describes (once), then show it or say what failed."""
    services: Services = context["services"]
    filer = services.ticket_filer()
    view = body.get("view") or {}
    draft = draft_from_view(view.get("state", {}).get("values", {}))
    if filer is None or draft.problems():
        return  # the ack already showed the problems in the modal
    meta = json.loads(view.get("private_metadata") or "{}")
    finding_id = str(meta.get("finding") or "")
    user = _user(body)

    def attempt() -> FiledTicket:
        ctx = filer.findings.lookup(str(meta.get("ref") or finding_id))
        return filer.file(ctx, draft, user=user)

    _file_and_show(services, filer, client, user, finding_id, attempt, respond=None)


def retry_ticket_action(
    body: dict[str, Any], client: Any, respond: Any, context: dict[str, Any]
) -> None:
    """File a failed request again from what the store kept."""
    services: Services = context["services"]
    filer = services.ticket_filer()
    if filer is None:
        respond(response_type="ephemeral", replace_original=True, text=NOT_CONFIGURED)
        return
    finding_id = _action_value(body)
    user = _user(body)
    _file_and_show(
        services,
        filer,
        client,
        user,
        finding_id,
        lambda: filer.retry(finding_id, user=user),
        respond=respond,
    )


def _file_and_show(
    services: Services,
    filer: TicketFiler,
    client: Any,
    user: str,
    finding_id: str,
    attempt: Callable[[], FiledTicket],
    *,
    respond: Any,
) -> None:
    """Run one filing attempt and tell Slack how it went; never raise to Bolt."""
    try:
        ticket = attempt()
    except TicketInProgress as exc:
        _tell(services, filer, client, user, finding_id, respond, str(exc), None)
        return
    except CostbotError as exc:
        # The message is built from Jira's status and error body only: no secrets.
        log.warning("ticket for %s not filed: %s", finding_id, exc)
        blocks = failure_blocks(str(exc), finding_id)
        _tell(services, filer, client, user, finding_id, respond, f"Not filed: {exc}", blocks)
        return
    except Exception:
        log.exception("filing the ticket for %s failed", finding_id)
        message = "costbot failed unexpectedly (the error is logged)."
        blocks = failure_blocks(message, finding_id)
        _tell(services, filer, client, user, finding_id, respond, message, blocks)
        return
    row = filer.requests.get(finding_id)
    summary = str((row.fields or {}).get("summary") or "") if row else ""
    if respond is not None:
        respond(
            response_type="ephemeral",
            replace_original=True,
            text=f"Jira ticket {ticket.key}",
            blocks=filed_blocks(ticket),
        )
    shown = row is not None and _show_on_message(
        services, client, row, ticket, user, summary, note=ticket.created
    )
    if respond is None and (not ticket.created or not shown):
        blocks = filed_blocks(ticket) if ticket.created else already_tracked_blocks(ticket)
        _tell(services, filer, client, user, finding_id, None, f"Jira ticket {ticket.key}", blocks)


def _show_on_message(
    services: Services,
    client: Any,
    row: TicketRequest,
    ticket: FiledTicket,
    user: str,
    summary: str,
    *,
    note: bool,
) -> bool:
    """Put the ticket's link on the finding's message and (``note``) a note in its thread.

    Slack sends the message's blocks with a click on a channel message, but not for an
    ephemeral one; a ``/cost`` answer is then asked again and redrawn with the link.
    """
    where = row.slack
    message = where.message or {}
    original = message.get("blocks") or _redrawn_answer(services, row.ref)
    if not original:
        return False
    blocks = with_ticket(original, ticket, user)
    text = str(message.get("text") or "") or f"Jira ticket {ticket.key}"
    try:
        if where.ephemeral and where.response_url:
            services.post_to_response_url(
                where.response_url, {"replace_original": True, "text": text, "blocks": blocks}
            )
            return True
        if not (where.channel_id and where.message_ts):
            return False
        client.chat_update(channel=where.channel_id, ts=where.message_ts, text=text, blocks=blocks)
        if not note:
            return True
        note_text, note_blocks = thread_note(ticket, user, summary)
        client.chat_postMessage(
            channel=where.channel_id,
            thread_ts=where.message_ts,
            text=note_text,
            blocks=note_blocks,
            unfurl_links=False,
        )
    except (SlackApiError, CostbotError) as exc:
        log.warning("ticket %s filed, but the Slack message was not updated: %s", ticket.key, exc)
        return False
    return True


def _redrawn_answer(services: Services, ref: str) -> list[dict[str, Any]]:
    """Ask a ``cost:<question>`` again and draw its answer (no ticket button: it has one)."""
    if not ref.startswith(f"{COST_PREFIX}:"):
        return []
    question = ref.partition(":")[2]
    try:
        answer = ask(services.engine, question, default_measure=services.settings.measure)
    except CostbotError:
        return []
    if isinstance(answer, HelpRequest):
        return []
    return cost_answer_blocks(answer, question=question, default_measure=services.settings.measure)


def _tell(
    services: Services,
    filer: TicketFiler,
    client: Any,
    user: str,
    finding_id: str,
    respond: Any,
    text: str,
    blocks: list[dict[str, Any]] | None,
) -> None:
    """Tell the person privately: in place (Retry), via the click's response_url, or by DM."""
    text = text or "Jira ticket"
    payload: dict[str, Any] = {"response_type": "ephemeral", "text": text}
    if blocks:
        payload["blocks"] = blocks
    if respond is not None:
        respond(replace_original=True, **payload)
        return
    row = filer.requests.get(finding_id)
    where = row.slack if row else SlackLocation()
    try:
        if where.response_url and row is not None and row.requested_by == user:
            services.post_to_response_url(
                where.response_url, {"replace_original": False, **payload}
            )
        elif where.channel_id:
            client.chat_postEphemeral(
                channel=where.channel_id,
                user=user,
                **{k: v for k, v in payload.items() if k != "response_type"},
            )
        else:
            client.chat_postMessage(
                channel=user, **{k: v for k, v in payload.items() if k != "response_type"}
            )
    except (SlackApiError, CostbotError) as exc:
        log.warning("could not tell %s about ticket %s: %s", user, finding_id, exc)
