"""Who may press Stop: listed users, members of listed user groups, and optionally the owner.

``COSTBOT_STOP_USERS`` holds Slack user ids (``U…``/``W…``) and user-group ids (``S…``).
With ``COSTBOT_STOP_OWNER_BY_EMAIL`` the instance's ``owner`` tag may also match the
clicking user's Slack email (needs the ``users:read`` and ``users:read.email`` scopes).
Lookups are injected, so this is plain logic; a failed lookup simply grants nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Authorisation:
    """The decision, and the reason shown to the user and written to the audit log."""

    allowed: bool
    reason: str


def authorise(
    user_id: str,
    stop_users: Iterable[str],
    *,
    group_members: Callable[[str], set[str] | None],
    owner: str | None = None,
    user_email: Callable[[str], str | None] | None = None,
) -> Authorisation:
    """Decide whether ``user_id`` may stop a resource whose owner tag is ``owner``."""
    listed = tuple(stop_users)
    if user_id in listed:
        return Authorisation(True, "listed in COSTBOT_STOP_USERS")
    for group in (g for g in listed if g.startswith("S")):
        members = group_members(group)
        if members and user_id in members:
            return Authorisation(True, f"member of user group {group} (COSTBOT_STOP_USERS)")
    if owner and user_email is not None:
        email = user_email(user_id)
        if email and email.strip().lower() == owner.strip().lower():
            return Authorisation(True, "the instance's owner (owner tag matches your email)")
    how = "listed in COSTBOT_STOP_USERS (directly or through a user group)"
    if user_email is not None:
        how += " or the owner named by the instance's owner tag"
    return Authorisation(False, f"only people {how} may stop instances")
