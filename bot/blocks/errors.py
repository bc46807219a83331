"""Render an outage or refusal for the user: what failed and what to do, never a traceback.

Details belong in the log (with an incident ID the message can quote); the user
gets one line they can act on.
"""

from __future__ import annotations

from typing import Any

from bot.blocks.mrkdwn import context, fit, one_line, section

MAX_WHAT = 500
MAX_HINT = 300


def error_blocks(what_failed: str, retry_hint: str) -> list[dict[str, Any]]:
    """Build a short error message: a warning line and a retry hint."""
    what = fit(_first_line(what_failed) or "Something went wrong.", MAX_WHAT)
    hint = fit(_first_line(retry_hint) or "Try again in a minute.", MAX_HINT)
    return [section(f":warning: {what}"), context(hint)]


def _first_line(text: str) -> str:
    """Keep the first line, and nothing from a traceback that may follow it."""
    head = text.split("Traceback (most recent call last)", 1)[0]
    for line in head.splitlines():
        if line.strip():
            return one_line(line)
    return ""
