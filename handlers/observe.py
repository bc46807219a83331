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

from slack_bolt import App, BoltRequest, BoltResponse

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


class ObservedApp(App):
    """A Bolt app that times, counts and logs every request it dispatches.

    Bolt runs middleware one after another, not around the listeners, so the time to the
    acknowledgement can only be taken around :meth:`App.dispatch`, which both the WSGI
    adapter and the Socket Mode handler call.
    """

    metrics: Metrics | None = None
    clock: Callable[[], float] = staticmethod(time.perf_counter)

    def dispatch(self, req: BoltRequest) -> BoltResponse:
        """Dispatch ``req`` and record how it went."""
        if self.metrics is None:
            return super().dispatch(req)
        body = req.body if isinstance(req.body, dict) else {}
        kind, name = describe(body)
        retry = (req.headers.get("x-slack-retry-num") or [""])[0]
        started = self.clock()
        response: BoltResponse | None = None
        try:
            response = super().dispatch(req)
            return response
        finally:
            seconds = self.clock() - started
            status = response.status if response is not None else 500
            outcome = "error" if status >= 500 else "refused" if status >= 400 else "ok"
            self.metrics.observe(kind, seconds, ok=status < 500)
            log.info(
                "%s %s %s (%d) in %.1f ms",
                kind,
                name,
                outcome,
                status,
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
