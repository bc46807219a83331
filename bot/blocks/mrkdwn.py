"""Small mrkdwn helpers: escape user text, fit it, and pack lines into sections.

Slack reads ``&``, ``<`` and ``>`` as control characters in mrkdwn (``<@U123>``
mentions, ``<!channel>``, links), so every text that comes from a bill or a user
is escaped before it is shown; a tag value such as ``<!channel>`` must never
ping a channel. See https://docs.slack.dev/messaging/formatting-message-text
("Escaping text").
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from bot.blocks.limits import ELLIPSIS, MAX_SECTION_TEXT, slack_len, truncate

_ESCAPES = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}
_CONTROL = re.compile(r"[\x00-\x1f\x7f\u2028\u2029]+")


def escape(text: str) -> str:
    """Escape the three characters Slack treats as control characters in mrkdwn."""
    return "".join(_ESCAPES.get(c, c) for c in text)


def one_line(text: str) -> str:
    """Collapse newlines and other control characters to single spaces."""
    return _CONTROL.sub(" ", text).strip()


def fit(text: str, limit: int) -> str:
    """Escape ``text`` and cut it so the escaped result is at most ``limit`` long.

    Cutting happens on the raw text, never inside an entity such as ``&amp;``.
    """
    escaped = escape(text)
    if slack_len(escaped) <= limit:
        return escaped
    room = limit - slack_len(ELLIPSIS)
    out: list[str] = []
    used = 0
    for c in text:
        piece = _ESCAPES.get(c, c)
        size = slack_len(piece)
        if used + size > room:
            break
        out.append(piece)
        used += size
    return "".join(out) + ELLIPSIS


def code(text: str, limit: int) -> str:
    """Show ``text`` as inline code (backticks removed from it, escaped, fitted)."""
    return f"`{fit(one_line(text).replace('`', 'ˋ'), max(limit - 2, 1))}`"


def section(text: str) -> dict[str, Any]:
    """Build a mrkdwn section block (the caller keeps ``text`` within 3000)."""
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def context(*texts: str) -> dict[str, Any]:
    """Build a context block of mrkdwn elements (empty texts are skipped)."""
    return {
        "type": "context",
        "elements": [{"type": "mrkdwn", "text": t} for t in texts if t],
    }


def header(text: str) -> dict[str, Any]:
    """Build a header block; ``text`` is plain text (no escaping needed)."""
    return {"type": "header", "text": {"type": "plain_text", "text": text, "emoji": True}}


def pack(lines: Iterable[str], limit: int = MAX_SECTION_TEXT) -> list[str]:
    """Join lines into as few texts as possible, each at most ``limit`` long.

    A line longer than ``limit`` on its own is cut (callers keep lines short).
    """
    chunks: list[str] = []
    current: list[str] = []
    size = 0
    for raw in lines:
        line = truncate(raw, limit)
        extra = slack_len(line) + (1 if current else 0)
        if current and size + extra > limit:
            chunks.append("\n".join(current))
            current, size = [], 0
            extra = slack_len(line)
        current.append(line)
        size += extra
    if current:
        chunks.append("\n".join(current))
    return chunks
