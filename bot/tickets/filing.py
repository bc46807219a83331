"""File one ticket per finding: prefill, claim, dedupe, create, remember.

The same :class:`TicketFiler` serves the Slack modal, the Retry button and
``costbot ticket``. Filing a finding:

1. returns the stored ticket if the store already has an open one;
2. claims the finding's request row atomically (:mod:`bot.state.tickets`), so
   concurrent attempts (Slack retries, double submits, two people) file once;
3. searches Jira (JQL) for an open ticket carrying the finding's label, and
   links to it instead of filing another;
4. creates the ticket, and records it; on failure records the error and keeps
   the request for Retry.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from datetime import datetime
from typing import Any

from bot.blocks.jira_description import description_for
from bot.errors import CostbotError
from bot.jira import TicketRef, TicketTracker, TrackerError, TrackerRequestError
from bot.jira_settings import EMAIL, JiraSettings
from bot.state.tickets import OPEN, TicketRequests
from bot.tickets.findings import FindingContext, FindingRegistry, finding_label
from bot.tickets.model import (
    MAX_SUMMARY,
    PRIORITIES,
    FiledTicket,
    TicketDraft,
    TicketInProgress,
    TicketRequestInvalid,
)

log = logging.getLogger("costbot.tickets")


class TicketFiler:
    """Prefill and file tickets for findings (see the module docstring)."""

    def __init__(
        self,
        settings: JiraSettings,
        tracker: TicketTracker,
        requests: TicketRequests,
        findings: FindingRegistry,
        clock: Callable[[], datetime],
    ) -> None:
        self.settings = settings
        self.tracker = tracker
        self.requests = requests
        self.findings = findings
        self.clock = clock

    # -- prefill ------------------------------------------------------------------------------

    def draft(self, ctx: FindingContext) -> TicketDraft:
        """Prefill the ticket from the finding, the settings and the team's defaults."""
        team = self.settings.for_team(ctx.team)
        owner = ctx.owner if EMAIL.match(ctx.owner or "") else None
        labels = [*self.settings.labels, *team.labels]
        return TicketDraft(
            project=team.project or self.settings.project,
            issue_type=self.settings.issue_type,
            summary=_one_line(ctx.title)[:MAX_SUMMARY],
            priority=ctx.priority if ctx.priority in PRIORITIES else "Medium",
            assignee_email=owner or team.assignee_email,
            labels=tuple(dict.fromkeys(labels)),
        )

    def stored(self, finding_id: str) -> FiledTicket | None:
        """Return the finding's open ticket as the store knows it."""
        row = self.requests.get(finding_id)
        if row is not None and row.status == OPEN and row.ticket_key and row.ticket_url:
            return FiledTicket(row.ticket_key, row.ticket_url, created=False)
        return None

    # -- filing -------------------------------------------------------------------------------

    def file(
        self,
        ctx: FindingContext,
        draft: TicketDraft | None = None,
        *,
        user: str | None = None,
    ) -> FiledTicket:
        """File the finding's ticket once (see the module docstring); raises CostbotError."""
        finding_id = ctx.finding_id
        self.requests.ensure(finding_id, ctx.ref or finding_id)
        existing = self.stored(finding_id)
        if existing is not None:
            return existing
        if draft is not None:
            problems = draft.problems()
            if problems:
                raise TicketRequestInvalid(problems)
        claim = self.requests.claim(finding_id, draft.to_json() if draft is not None else None)
        if claim is None:
            existing = self.stored(finding_id)
            if existing is not None:
                return existing
            raise TicketInProgress(
                "Someone is filing this finding's ticket right now; it will show up here."
            )
        row = self.requests.get(finding_id)
        if draft is None:
            draft = TicketDraft.from_json(row.fields) if row and row.fields else self.draft(ctx)
        permalink = row.slack.permalink if row else None
        try:
            ticket = self._file_claimed(ctx, draft, permalink)
        except TrackerError as exc:
            self.requests.mark_failed(finding_id, claim, str(exc))
            raise
        except Exception:
            self.requests.mark_failed(finding_id, claim, "an unexpected error (logged)")
            raise
        self.requests.mark_open(finding_id, claim, ticket.key, ticket.url, created=ticket.created)
        return ticket

    def retry(self, finding_id: str, *, user: str | None = None) -> FiledTicket:
        """File a request again from what the store kept (the Retry button)."""
        row = self.requests.get(finding_id)
        if row is None:
            raise CostbotError(f"no ticket request for {finding_id}")
        ctx = self.findings.lookup(row.ref if row.ref else finding_id)
        return self.file(ctx, None, user=user)

    def _file_claimed(
        self, ctx: FindingContext, draft: TicketDraft, permalink: str | None
    ) -> FiledTicket:
        label = finding_label(ctx.finding_id)
        found = self.tracker.find_open(label)
        if found is not None:
            return FiledTicket(found.key, found.url, created=False)
        notes: list[str] = []
        fields: dict[str, Any] = {
            "project": {"key": draft.project},
            "issuetype": {"name": draft.issue_type},
            "summary": _one_line(draft.summary)[:MAX_SUMMARY],
            "description": description_for(ctx, self.settings.api_version, permalink=permalink),
            "labels": list(dict.fromkeys([*draft.labels, label])),
            "priority": {"name": draft.priority},
        }
        if draft.assignee_email:
            user = self.tracker.find_user(draft.assignee_email)
            if user is None:
                notes.append(f"no Jira user has the email {draft.assignee_email}; left unassigned")
            else:
                key = "accountId" if self.settings.is_cloud else "name"
                fields["assignee"] = {key: user.id}
        try:
            ticket: TicketRef = self.tracker.create(fields)
        except TrackerRequestError as exc:
            raise TrackerRequestError(_explain(exc), exc.field_errors) from None
        log.info("filed %s for %s", ticket.key, ctx.finding_id)
        return FiledTicket(ticket.key, ticket.url, created=True, notes=tuple(notes))

    # -- the poll ---------------------------------------------------------------------------

    def resolved(self) -> list[tuple[str, str, str]]:
        """Mark findings whose tickets are done; return (finding id, key, url) of each."""
        out: list[tuple[str, str, str]] = []
        for row in self.requests.open_tickets():
            if not row.ticket_key:
                continue
            ref = self.tracker.status(row.ticket_key)
            if ref.done and self.requests.mark_done(row.finding_id):
                out.append((row.finding_id, row.ticket_key, row.ticket_url or ref.url))
        return out


_FIELD_HINTS = {
    "project": "the project key (JIRA_PROJECT or the modal's Project)",
    "issuetype": "the issue type (JIRA_ISSUE_TYPE or the modal's Issue type)",
    "priority": "the priority",
    "assignee": "the assignee",
}


def _explain(exc: TrackerRequestError) -> str:
    """Name the fields Jira refused in words a person can act on."""
    if not exc.field_errors:
        return str(exc)
    parts = [f"{_FIELD_HINTS.get(k, k)}: {v}" for k, v in sorted(exc.field_errors.items())]
    return "Jira refused the ticket: " + "; ".join(parts) + "."


def _one_line(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()
