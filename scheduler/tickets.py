"""Poll the Jira tickets costbot opened; when one is done, resolve its finding and say so.

A plain function of the services, like every job. A finding source that also
has ``mark_resolved(finding_id)`` is told, so e.g. an anomaly stops being
re-alerted once its ticket is closed.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_sdk.errors import SlackApiError

from bot.blocks.ticket import resolved_note
from bot.errors import CostbotError
from bot.services import Services

log = logging.getLogger("costbot.jobs")


def poll_tickets(services: Services, client: Any = None) -> int:
    """Check open tickets; return how many were found done (and noted in their threads)."""
    filer = services.ticket_filer()
    if filer is None:
        return 0
    try:
        resolved = filer.resolved()
    except CostbotError as exc:
        log.warning("polling Jira tickets failed: %s", exc)
        return 0
    slack = client if client is not None else services.slack_client()
    for finding_id, key, url in resolved:
        try:
            filer.findings.mark_resolved(finding_id)
        except CostbotError as exc:
            log.warning("finding %s not marked resolved: %s", finding_id, exc)
        row = filer.requests.get(finding_id)
        where = row.slack if row else None
        if slack is None or where is None or where.ephemeral:
            continue
        if not (where.channel_id and where.message_ts):
            continue
        text, blocks = resolved_note(key, url)
        try:
            slack.chat_postMessage(
                channel=where.channel_id, thread_ts=where.message_ts, text=text, blocks=blocks
            )
        except SlackApiError as exc:
            log.warning("could not note %s done in Slack: %s", key, exc.response.get("error"))
    return len(resolved)
