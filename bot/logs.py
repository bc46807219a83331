"""Logging for ``costbot serve``: level and format from settings, secrets never written.

``COSTBOT_LOG_FORMAT=json`` writes one JSON object per line (``ts``, ``level``, ``logger``,
``message`` and any ``extra`` fields); ``text`` writes one readable line. Whatever the format,
a filter on the handler masks Slack tokens, the signing secret and ``response_url``s, so a
message that quotes a request body or an exception cannot leak them.
"""

from __future__ import annotations

import json
import logging
import re
import sys
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any, TextIO

LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
FORMATS = ("text", "json")
REDACTED = "[redacted]"
# Slack tokens (bot, user, app-level, refresh, config), Slack webhook/response URLs.
SECRET_PATTERNS = (
    re.compile(r"\bxox[a-z]-[A-Za-z0-9-]+"),
    re.compile(r"\bxapp-[A-Za-z0-9-]+"),
    re.compile(r"https?(?::|%3A)(?:/|%2F){2}hooks\.slack\.com[^\s\"'&,]*", re.IGNORECASE),
)
# slack_sdk's webhook client logs the URL it posts to: always a response_url or a webhook.
WEBHOOK_URL = re.compile(r"url: \S+")
# Fields of LogRecord itself; anything else on a record came from ``extra=``.
_STANDARD = set(vars(logging.makeLogRecord({}))) | {"message", "asctime", "taskName"}


class Redactor(logging.Filter):
    """Mask secrets in the rendered message (and in ``extra`` string fields)."""

    def __init__(self, secrets: Iterable[str | None] = ()) -> None:
        super().__init__()
        self._secrets = sorted({s for s in secrets if s and len(s) >= 6}, key=len, reverse=True)

    def scrub(self, text: str) -> str:
        """Return ``text`` with every known secret and token-shaped string masked."""
        for secret in self._secrets:
            text = text.replace(secret, REDACTED)
        for pattern in SECRET_PATTERNS:
            text = pattern.sub(REDACTED, text)
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        """Render the message once, scrubbed, and drop the arguments that built it."""
        message = self.scrub(record.getMessage())
        if record.name.startswith("slack_sdk.webhook"):
            message = WEBHOOK_URL.sub(f"url: {REDACTED},", message)
        record.msg = message
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.scrub(record.exc_text)
        record.exc_info = None
        for key, value in list(vars(record).items()):
            if key not in _STANDARD and isinstance(value, str):
                setattr(record, key, self.scrub(value))
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line."""

    def format(self, record: logging.LogRecord) -> str:
        """Render ``record`` with its ``extra`` fields as one line of JSON."""
        doc: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD:
                doc[key] = value
        if record.exc_text:
            doc["exception"] = record.exc_text
        return json.dumps(doc, default=str, ensure_ascii=False)


class TextFormatter(logging.Formatter):
    """``time level logger: message key=value …`` on one line (tracebacks follow)."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)-7s %(name)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        """Append ``extra`` fields as ``key=value`` pairs."""
        line = super().format(record)
        extras = [f"{k}={v}" for k, v in vars(record).items() if k not in _STANDARD]
        if not extras:
            return line
        head, sep, tail = line.partition("\n")
        return head + " " + " ".join(extras) + sep + tail


def configure(
    level: str = "INFO",
    fmt: str = "text",
    *,
    secrets: Iterable[str | None] = (),
    stream: TextIO | None = None,
) -> logging.Handler:
    """Send all logging to ``stream`` (stderr) at ``level``, in ``fmt``; return the handler."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter() if fmt == "json" else TextFormatter())
    handler.addFilter(Redactor(secrets))
    root = logging.getLogger()
    for old in list(root.handlers):
        if getattr(old, "costbot", False):
            root.removeHandler(old)
    handler.costbot = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(level)
    # Third-party chatter stays at WARNING unless asked for DEBUG.
    quiet = logging.WARNING if level != "DEBUG" else logging.DEBUG
    for name in ("waitress", "slack_sdk", "slack_bolt", "apscheduler", "urllib3", "botocore"):
        logging.getLogger(name).setLevel(quiet)
    return handler
