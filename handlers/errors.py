"""The one error handler, and the guard that makes lazy listeners always answer.

A lazy listener runs after Slack has been acknowledged, outside Bolt's error
handler, so :func:`answers_on_failure` is the edge where an unexpected failure
is logged in full and the user gets a short message instead of silence.
"""

from __future__ import annotations

import functools
import logging
import time
import uuid
from collections.abc import Callable
from typing import Any

from bot.blocks.errors import error_blocks
from bot.errors import CostbotError

log = logging.getLogger("costbot.slack")


def error_handler(
    error: Exception, body: dict[str, Any], logger: logging.Logger, context: dict[str, Any]
) -> None:
    """Log and count what Bolt could not handle (bad listener code, middleware failures)."""
    services = context.get("services")
    if services is not None:
        services.metrics.error("listener")
    logger.error(
        "unhandled Slack request failure: %r (type %s)", error, body.get("type"), exc_info=error
    )


def _metrics(kwargs: dict[str, Any]) -> Any:
    services = (kwargs.get("context") or {}).get("services")
    return getattr(services, "metrics", None)


def answers_on_failure(what: str) -> Callable[[Callable[..., None]], Callable[..., None]]:
    """Wrap a lazy listener so that any failure still reaches the user as a message."""

    def wrap(fn: Callable[..., None]) -> Callable[..., None]:
        @functools.wraps(fn)
        def inner(*args: Any, **kwargs: Any) -> None:
            respond = kwargs.get("respond")
            metrics = _metrics(kwargs)
            started = time.perf_counter()
            try:
                fn(*args, **kwargs)
                if metrics is not None:
                    metrics.answered(fn.__name__, time.perf_counter() - started)
            except CostbotError as exc:
                if respond:
                    respond(
                        response_type="ephemeral",
                        replace_original=False,
                        text=str(exc),
                        blocks=error_blocks(str(exc), "Check the question and try again."),
                    )
            except Exception:
                incident = uuid.uuid4().hex[:8]
                if metrics is not None:
                    metrics.error(fn.__name__)
                log.exception(
                    "%s failed (incident %s)", what, incident, extra={"incident": incident}
                )
                if respond:
                    message = f"Sorry, {what} failed (incident {incident}); it is logged."
                    respond(
                        response_type="ephemeral",
                        replace_original=False,
                        text=message,
                        blocks=error_blocks(message, "Try again in a minute."),
                    )

        return inner

    return wrap
