"""Remediation actions as small registered classes (Cloud Custodian style).

Each action declares what it acts on and the IAM permissions it needs, re-checks the
resource before acting, and writes one audit entry per decision. Clients and the store
are injected; an action never builds either.
"""

from bot.actions.base import REGISTRY, Action, register

__all__ = ["REGISTRY", "Action", "register"]
