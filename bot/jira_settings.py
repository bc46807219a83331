"""The Jira part of the settings: parsed from ``JIRA_*`` variables, each problem named.

Jira is optional. Without ``JIRA_URL`` there are no ticket buttons and
``costbot ticket`` says how to turn it on; with it, every other setting it
needs is checked when the settings are read, so a typo stops the app at
start-up instead of at the first click.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from bot.errors import SettingsError

DEFAULT_ISSUE_TYPE = "Task"
DEFAULT_LABELS = ("finops", "costbot")
DEFAULT_POLL_MINUTES = 15
PROJECT_KEY = re.compile(r"^[A-Z][A-Z0-9_]{0,254}$")
LABEL = re.compile(r"^\S{1,255}$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


@dataclass(frozen=True)
class TeamDefaults:
    """What a team's tickets get unless the person filing them says otherwise."""

    project: str | None = None
    assignee_email: str | None = None
    labels: tuple[str, ...] = ()


@dataclass(frozen=True)
class JiraSettings:
    """Where and how to file tickets. Secrets are kept out of ``repr``."""

    url: str
    project: str
    email: str | None = None
    api_token: str | None = field(default=None, repr=False)
    pat: str | None = field(default=None, repr=False)
    issue_type: str = DEFAULT_ISSUE_TYPE
    labels: tuple[str, ...] = DEFAULT_LABELS
    api_version: str = "2"
    team_defaults: Mapping[str, TeamDefaults] = field(default_factory=dict)
    poll_minutes: int = DEFAULT_POLL_MINUTES

    @property
    def is_cloud(self) -> bool:
        """Tell whether this is Jira Cloud (email + API token) rather than Data Center (PAT)."""
        return self.pat is None

    def secrets(self) -> tuple[str, ...]:
        """Return the secret values, so a log filter or a test can check none leaks."""
        return tuple(s for s in (self.api_token, self.pat) if s)

    def for_team(self, team: str | None) -> TeamDefaults:
        """Return the team's defaults (empty when the team has none)."""
        return self.team_defaults.get((team or "").lower(), TeamDefaults())


def jira_settings_from_env(env: Mapping[str, str]) -> JiraSettings | None:
    """Read ``JIRA_*``; None when ``JIRA_URL`` is unset (Jira off). Raises SettingsError."""
    url = (env.get("JIRA_URL") or "").strip()
    if not url:
        return None
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise SettingsError(
            f"JIRA_URL must be the address of your Jira, e.g. https://acme.atlassian.net "
            f"(got {url!r})"
        )
    email = (env.get("JIRA_EMAIL") or "").strip() or None
    token = (env.get("JIRA_API_TOKEN") or "").strip() or None
    pat = (env.get("JIRA_PAT") or "").strip() or None
    if pat and (email or token):
        raise SettingsError(
            "set either JIRA_PAT (Jira Data Center/Server) or JIRA_EMAIL + JIRA_API_TOKEN "
            "(Jira Cloud), not both"
        )
    if not pat:
        missing = [n for n, v in (("JIRA_EMAIL", email), ("JIRA_API_TOKEN", token)) if not v]
        if missing:
            raise SettingsError(
                f"{' and '.join(missing)} not set: Jira Cloud needs JIRA_EMAIL + JIRA_API_TOKEN "
                "(id.atlassian.com → Security → API tokens); Data Center needs JIRA_PAT"
            )
        if email and not EMAIL.match(email):
            raise SettingsError(f"JIRA_EMAIL must be an email address (got {email!r})")
    project = (env.get("JIRA_PROJECT") or "").strip()
    if not project:
        raise SettingsError(
            "JIRA_PROJECT is not set: the key of the project tickets go to, e.g. FIN"
        )
    if not PROJECT_KEY.match(project):
        raise SettingsError(
            f"JIRA_PROJECT must be a project key such as FIN (upper-case letters, digits, _), "
            f"got {project!r}"
        )
    version = (env.get("JIRA_API_VERSION") or "2").strip()
    if version not in ("2", "3"):
        raise SettingsError(
            f"JIRA_API_VERSION must be 2 (wiki-markup descriptions) or 3 (Atlassian Document "
            f"Format), got {version!r}"
        )
    if version == "3" and pat:
        raise SettingsError(
            "JIRA_API_VERSION=3 (Atlassian Document Format) is Jira Cloud only; Jira Data "
            "Center (JIRA_PAT) speaks REST v2: unset JIRA_API_VERSION or set it to 2"
        )
    labels: tuple[str, ...] = DEFAULT_LABELS
    if env.get("JIRA_LABELS") is not None and env["JIRA_LABELS"].strip():
        labels = _labels("JIRA_LABELS", env["JIRA_LABELS"].split(","))
    poll = DEFAULT_POLL_MINUTES
    if env.get("JIRA_POLL_MINUTES"):
        try:
            poll = int(env["JIRA_POLL_MINUTES"])
        except ValueError:
            poll = -1
        if poll < 0:
            raise SettingsError(
                "JIRA_POLL_MINUTES must be a whole number of minutes (0 turns the poll off), "
                f"got {env['JIRA_POLL_MINUTES']!r}"
            )
    return JiraSettings(
        url=url.rstrip("/"),
        project=project,
        email=email,
        api_token=token,
        pat=pat,
        issue_type=(env.get("JIRA_ISSUE_TYPE") or DEFAULT_ISSUE_TYPE).strip(),
        labels=labels,
        api_version=version,
        team_defaults=_team_defaults(env),
        poll_minutes=poll,
    )


def _labels(var: str, raw: list[str]) -> tuple[str, ...]:
    labels = tuple(p.strip() for p in raw if p.strip())
    bad = [label for label in labels if not LABEL.match(label)]
    if bad:
        raise SettingsError(f"{var}: Jira labels cannot contain spaces ({bad[0]!r})")
    return labels


def _pairs(var: str, text: str) -> dict[str, str]:
    """Parse ``team=value,team=value``."""
    out: dict[str, str] = {}
    for item in text.split(","):
        if not item.strip():
            continue
        team, sep, value = item.partition("=")
        if not sep or not team.strip() or not value.strip():
            raise SettingsError(f"{var} must look like team=value,team=value (got {item!r})")
        out[team.strip().lower()] = value.strip()
    return out


def _team_defaults(env: Mapping[str, str]) -> dict[str, TeamDefaults]:
    projects = _pairs("JIRA_TEAM_PROJECTS", env.get("JIRA_TEAM_PROJECTS") or "")
    assignees = _pairs("JIRA_TEAM_ASSIGNEES", env.get("JIRA_TEAM_ASSIGNEES") or "")
    labels = _pairs("JIRA_TEAM_LABELS", env.get("JIRA_TEAM_LABELS") or "")
    for team, key in projects.items():
        if not PROJECT_KEY.match(key):
            raise SettingsError(f"JIRA_TEAM_PROJECTS: {key!r} (team {team}) is not a project key")
    for team, mail in assignees.items():
        if not EMAIL.match(mail):
            raise SettingsError(f"JIRA_TEAM_ASSIGNEES: {mail!r} (team {team}) is not an email")
    return {
        team: TeamDefaults(
            project=projects.get(team),
            assignee_email=assignees.get(team),
            labels=_labels("JIRA_TEAM_LABELS", labels[team].split()) if team in labels else (),
        )
        for team in sorted({*projects, *assignees, *labels})
    }
