"""The ticket flow's plain values: the draft a person edits, the filed ticket, the errors.

Kept apart from :mod:`bot.tickets.filing` so block builders can use them without
importing the tracker adapter.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from bot.errors import CostbotError
from bot.jira_settings import EMAIL, LABEL, PROJECT_KEY

PRIORITIES = ("Highest", "High", "Medium", "Low", "Lowest")
MAX_SUMMARY = 255


class TicketInProgress(CostbotError):
    """Someone else is filing this finding's ticket right now."""


class TicketRequestInvalid(CostbotError):
    """The ticket request has a field Jira would refuse; ``errors`` names each."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors


@dataclass(frozen=True)
class TicketDraft:
    """The ticket as the modal shows it; the person may change any of it."""

    project: str
    issue_type: str
    summary: str
    priority: str
    assignee_email: str | None
    labels: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        """Return the stored form (the request kept for Retry)."""
        data = asdict(self)
        data["labels"] = list(self.labels)
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> TicketDraft:
        """Rebuild a stored request."""
        return cls(
            project=str(data["project"]),
            issue_type=str(data["issue_type"]),
            summary=str(data["summary"]),
            priority=str(data["priority"]),
            assignee_email=data.get("assignee_email") or None,
            labels=tuple(data.get("labels") or ()),
        )

    def problems(self) -> dict[str, str]:
        """Return what Jira would refuse, by field (empty when the draft is fine)."""
        errors: dict[str, str] = {}
        if not PROJECT_KEY.match(self.project):
            errors["project"] = "a project key such as FIN (upper-case letters and digits)"
        if not self.issue_type.strip():
            errors["issue_type"] = "an issue type such as Task"
        if not self.summary.strip():
            errors["summary"] = "a summary is required"
        elif len(self.summary) > MAX_SUMMARY:
            errors["summary"] = f"at most {MAX_SUMMARY} characters"
        if self.priority not in PRIORITIES:
            errors["priority"] = f"one of {', '.join(PRIORITIES)}"
        if self.assignee_email and not EMAIL.match(self.assignee_email):
            errors["assignee"] = "an email address (or leave it empty)"
        bad = [label for label in self.labels if not LABEL.match(label)]
        if bad:
            errors["labels"] = f"labels cannot contain spaces ({bad[0]!r})"
        return errors


@dataclass(frozen=True)
class FiledTicket:
    """The outcome: the ticket, and whether this request created it."""

    key: str
    url: str
    created: bool
    notes: tuple[str, ...] = field(default=())

    def to_json(self) -> dict[str, Any]:
        """Return the documented ``costbot ticket --json`` shape."""
        return {"key": self.key, "url": self.url, "created": self.created}
