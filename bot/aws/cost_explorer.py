"""Cost Explorer adapter: one ``GetCostAndUsage`` page per call, errors translated at the edge.

Retries (throttling, 5xx) are botocore's own, configured on the client at the
composition root (retry mode ``adaptive`` or ``standard``); this adapter reports
how many HTTP attempts each page took, because every request is billed.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from bot.sync.ce import CostExplorerError


class CostExplorerPages:
    """Fetch ``GetCostAndUsage`` pages with an injected boto3 ``ce`` client."""

    def __init__(self, client: Any) -> None:
        self._client = client

    def page(self, params: Mapping[str, object]) -> tuple[dict[str, Any], int]:
        """Return one response and how many HTTP attempts it took (retries included)."""
        try:
            response: dict[str, Any] = self._client.get_cost_and_usage(**params)
        except ClientError as exc:
            attempts = 1 + int(exc.response.get("ResponseMetadata", {}).get("RetryAttempts", 0))
            err = exc.response.get("Error", {})
            raise CostExplorerError(
                f"Cost Explorer refused GetCostAndUsage ({err.get('Code', 'error')}: "
                f"{err.get('Message', '')}) after {attempts} attempt(s); the store is unchanged",
            ) from _Attempts(attempts)
        except BotoCoreError as exc:
            raise CostExplorerError(
                f"cannot reach Cost Explorer ({exc}); the store is unchanged"
            ) from _Attempts(1)
        attempts = 1 + int(response.get("ResponseMetadata", {}).get("RetryAttempts", 0))
        return response, attempts


class _Attempts(Exception):
    """Carry how many billed attempts a failed call made (read by the sync)."""

    def __init__(self, attempts: int) -> None:
        super().__init__(attempts)
        self.attempts = attempts


def attempts_of(exc: BaseException) -> int:
    """Return how many requests a failed Cost Explorer call made."""
    cause = exc.__cause__
    return cause.attempts if isinstance(cause, _Attempts) else 1
