"""What can go wrong when costbot acts on a resource, in the domain's words.

Adapters translate SDK errors into these (Custodian style: the few codes that
mean something specific get their own class, anything else stays a failure).
"""

from __future__ import annotations

from bot.errors import CostbotError


class ActionError(CostbotError):
    """An action on a cloud resource failed."""


class PermissionDenied(ActionError):
    """The bot's role is not allowed to do this (the EC2 DryRun said so)."""


class WrongState(ActionError):
    """The resource is not in a state the action applies to (e.g. already stopping)."""


class CannotStop(ActionError):
    """The resource cannot be stopped at all (spot, instance-store root)."""


class CloudUnavailable(ActionError):
    """The cloud API could not be reached or does not offer this call."""
