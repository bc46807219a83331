"""The one error handler, and the guard that makes lazy listeners always answer.

A lazy listener runs after Slack has been acknowledged, outside Bolt's error
handler, so :func:`answers_on_failure` is the edge where an unexpected failure
is logged in full and the user gets a short message instead of silence.
"""

from __future__ import annotations

import functools
import logging
import uuid
from collections.abc import Callable
from typing import Any

from bot.blocks.errors import error_blocks
from bot.errors import CostbotError

log = logging.getLogger("costbot.slack")


def error_handler(error: Exception, body: dict[str, Any], logger: logging.Logger) -> None:
    """Log what Bolt could not handle (bad listener code, middleware failures)."""
    logger.error(
        "unhandled Slack request failure: %r (type %s)", error, body.get("type"), exc_info=error
    )


def answers_on_failure(what: str) -> Callable[[Callable[..., None]], Callable[..., None]]:
    """Wrap a lazy listener so that any failure still reaches the user as a message."""

    def wrap(fn: Callable[..., None]) -> Callable[..., None]:
        @functools.wraps(fn)
        def inner(*args: Any, **kwargs: Any) -> None:
            respond = kwargs.get("respond")
            try:
                fn(*args, **kwargs)
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
                log.exception("%s failed (incident %s)", what, incident)
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
