"""The ticket tracker port and its Jira adapter.

:class:`JiraTracker` takes a ready ``jira.JIRA`` client (built only in
:mod:`bot.services`) and translates everything the library raises at its edge
into the project's own :class:`TrackerError` family, with a message fit for the
user and never a secret: ``str(JIRAError)`` carries the request headers, so it
is never logged or shown.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

import requests
from jira import JIRA, JIRAError

from bot.errors import CostbotError

log = logging.getLogger("costbot.jira")
T = TypeVar("T")


class TrackerError(CostbotError):
    """The tracker refused or could not be reached; the message says what to fix."""


class TrackerUnreachable(TrackerError):
    """The tracker did not answer (network, DNS, TLS, timeout or a 5xx)."""


class TrackerAuthError(TrackerError):
    """The tracker refused the credentials (401/403)."""


class TrackerRequestError(TrackerError):
    """The tracker refused the ticket itself (400: missing project, field errors …)."""

    def __init__(self, message: str, field_errors: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.field_errors = field_errors or {}


@dataclass(frozen=True)
class TicketRef:
    """A ticket in the tracker: its key, its browse URL, and whether it is done."""

    key: str
    url: str
    done: bool = False


@dataclass(frozen=True)
class TrackerUser:
    """A tracker account: the id to assign with, and a name to show."""

    id: str
    display_name: str


class TicketTracker(Protocol):
    """What the ticket flow needs from a tracker (Jira today)."""

    def find_open(self, label: str) -> TicketRef | None:
        """Return an open ticket carrying ``label``, if any."""
        ...

    def create(self, fields: dict[str, Any]) -> TicketRef:
        """Create a ticket from tracker fields; return its reference."""
        ...

    def find_user(self, email: str) -> TrackerUser | None:
        """Return the account with this email, if the tracker lets us find it."""
        ...

    def status(self, key: str) -> TicketRef:
        """Return the ticket with its current done-ness."""
        ...


class JiraTracker:
    """Jira Cloud or Data Center through the ``jira`` library.

    ``client`` is a factory (the composition root builds the client lazily, so an
    unreachable Jira never stops the app from starting). ``cloud`` picks the
    account field for assignees (``accountId`` on Cloud, ``name`` on Data Center).
    """

    def __init__(self, client: Callable[[], JIRA], *, base_url: str, cloud: bool) -> None:
        self._client = client
        self.base_url = base_url.rstrip("/")
        self.cloud = cloud

    def browse_url(self, key: str) -> str:
        """Return the page a person opens for ``key``."""
        return f"{self.base_url}/browse/{key}"

    def find_open(self, label: str) -> TicketRef | None:
        """Search with JQL for a ticket that carries ``label`` and is not done."""
        jql = f'labels = "{label}" AND statusCategory != Done ORDER BY created ASC'
        found = self._call(
            "searching Jira",
            lambda c: c.search_issues(jql, maxResults=1, fields=["status"]),
        )
        for issue in found:
            return TicketRef(str(issue.key), self.browse_url(str(issue.key)))
        return None

    def create(self, fields: dict[str, Any]) -> TicketRef:
        """Create the issue (no follow-up fetch) and return its key and URL."""
        issue = self._call(
            "creating the Jira ticket", lambda c: c.create_issue(fields=fields, prefetch=False)
        )
        return TicketRef(str(issue.key), self.browse_url(str(issue.key)))

    def find_user(self, email: str) -> TrackerUser | None:
        """Find the account with exactly this email (Cloud: ``query``, DC: ``username``)."""

        def search(c: JIRA) -> Sequence[Any]:
            if self.cloud:
                return c.search_users(query=email, maxResults=5)
            return c.search_users(user=email, maxResults=5)

        for user in self._call("looking up the assignee", search):
            raw = getattr(user, "raw", {}) or {}
            address = str(raw.get("emailAddress") or "")
            if address and address.lower() != email.lower():
                continue
            ident = raw.get("accountId") if self.cloud else raw.get("name")
            if ident:
                return TrackerUser(str(ident), str(raw.get("displayName") or ident))
        return None

    def status(self, key: str) -> TicketRef:
        """Fetch the ticket's status category: ``done`` means resolved."""
        issue = self._call("reading the Jira ticket", lambda c: c.issue(key, fields="status"))
        category = issue.raw.get("fields", {}).get("status", {}).get("statusCategory", {})
        return TicketRef(str(issue.key), self.browse_url(key), done=category.get("key") == "done")

    def _call(self, what: str, fn: Callable[[JIRA], T]) -> T:
        """Run one library call, translating its failures into TrackerError."""
        try:
            return fn(self._client())
        except JIRAError as exc:
            raise translate(exc, what, self.base_url) from None
        except requests.RequestException as exc:
            log.warning("%s failed: %s (%s)", what, type(exc).__name__, self.base_url)
            raise TrackerUnreachable(
                f"Jira at {self.base_url} could not be reached while {what} ({type(exc).__name__})."
            ) from None


def translate(exc: JIRAError, what: str, base_url: str) -> TrackerError:
    """Turn a JIRAError into the project's error, from the status and the JSON body only."""
    status = exc.status_code or 0
    messages, fields = _error_body(exc)
    detail = "; ".join([*messages, *(f"{k}: {v}" for k, v in sorted(fields.items()))])
    suffix = f": {detail}" if detail else ""
    log.warning("%s failed: Jira answered HTTP %s%s", what, status, suffix)
    if status in (401, 403):
        return TrackerAuthError(
            f"Jira refused costbot's credentials (HTTP {status}) while {what}: check "
            "JIRA_EMAIL + JIRA_API_TOKEN (Cloud) or JIRA_PAT (Data Center)."
        )
    if status == 404:
        return TrackerRequestError(
            f"Jira at {base_url} answered 404 (not found) while {what}: check JIRA_URL{suffix}."
        )
    if status == 400:
        return TrackerRequestError(f"Jira refused the ticket (HTTP {status}){suffix}.", fields)
    if status >= 500 or status == 429 or status == 0:
        return TrackerUnreachable(
            f"Jira at {base_url} is not answering properly (HTTP {status}) while {what}{suffix}."
        )
    return TrackerError(f"Jira answered HTTP {status} while {what}{suffix}.")


def _error_body(exc: JIRAError) -> tuple[list[str], dict[str, str]]:
    """Read Jira's ErrorCollection (``errorMessages``, ``errors``) from the response."""
    response = exc.response
    text = getattr(response, "text", None) if response is not None else None
    try:
        body = json.loads(text) if text else {}
    except ValueError:
        body = {}
    if not isinstance(body, dict):
        return [], {}
    messages = [str(m) for m in body.get("errorMessages") or [] if m]
    errors = body.get("errors") or {}
    fields = {str(k): str(v) for k, v in errors.items()} if isinstance(errors, dict) else {}
    return messages, fields
