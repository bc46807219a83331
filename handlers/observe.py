"""One log line and one metrics sample per Slack request, in HTTP and Socket Mode alike.

The line names the request (slash command, button ``action_id`` or event type), who sent it,
how long the acknowledgement took and how it ended. It never carries the command text, a
token, the signing secret or a ``response_url``.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from slack_bolt import BoltRequest, BoltResponse
from slack_bolt.middleware import Middleware

from bot.metrics import Metrics

log = logging.getLogger("costbot.requests")


def describe(body: dict[str, Any]) -> tuple[str, str]:
    """Return the request's kind (command, interaction, event, other) and what it names."""
    if body.get("command"):
        return "command", str(body["command"])
    kind = str(body.get("type") or "")
    if kind == "event_callback":
        return "event", str((body.get("event") or {}).get("type") or "?")
    if kind in ("block_actions", "interactive_message"):
        actions = body.get("actions") or [{}]
        return "interaction", str(actions[0].get("action_id") or kind)
    if kind in ("view_submission", "view_closed", "shortcut", "message_action"):
        view = body.get("view") or {}
        return "interaction", str(view.get("callback_id") or body.get("callback_id") or kind)
    return "other", kind or "?"


def _user(body: dict[str, Any]) -> str:
    user = body.get("user_id") or (body.get("user") or {}).get("id")
    return str(user or (body.get("event") or {}).get("user") or "")


class RequestObserver(Middleware):
    """Time each request's acknowledgement; count it; log one line."""

    def __init__(self, metrics: Metrics, clock: Callable[[], float] = time.perf_counter) -> None:
        self._metrics = metrics
        self._clock = clock

    def process(
        self,
        *,
        req: BoltRequest,
        resp: BoltResponse,
        next: Callable[[], BoltResponse],
    ) -> BoltResponse:
        """Run the rest of the chain and record how it went."""
        body = req.body if isinstance(req.body, dict) else {}
        kind, name = describe(body)
        retry = (req.headers.get("x-slack-retry-num") or [""])[0]
        started = self._clock()
        response: BoltResponse | None = None
        try:
            response = next()
            return response
        finally:
            seconds = self._clock() - started
            status = response.status if response is not None else 500
            failed = status >= 500
            self._metrics.observe(kind, seconds, ok=not failed)
            outcome = "error" if failed else "ok"
            log.info(
                "%s %s %s in %.1f ms",
                kind,
                name,
                outcome,
                seconds * 1000,
                extra={
                    "kind": kind,
                    "command": name,
                    "user": _user(body),
                    "status": status,
                    "outcome": outcome,
                    "latency_ms": round(seconds * 1000, 1),
                    **({"retry": retry} if retry else {}),
                },
            )
