"""Logging settings, one JSON object per line, and secrets that never reach a log."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest

from bot.errors import SettingsError
from bot.logs import REDACTED, configure
from bot.settings import Settings

BOT_TOKEN = "xoxb-1234-5678-abcdefABCDEF"
APP_TOKEN = "xapp-1-A0123-4567-deadbeef"
SECRET = "8f14e45fceea167a5a36dedd4bea2543"
RESPONSE_URL = "https://hooks.slack.com/commands/T0001/1234567890/AbCdEfGhIjKlMnOp"


@pytest.fixture
def stream() -> Iterator[io.StringIO]:
    out = io.StringIO()
    handler = configure("DEBUG", "json", secrets=(BOT_TOKEN, APP_TOKEN, SECRET), stream=out)
    yield out
    logging.getLogger().removeHandler(handler)
    logging.getLogger().setLevel(logging.WARNING)


def records(stream: io.StringIO) -> list[dict[str, object]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_tokens_secrets_and_response_urls_are_masked_wherever_they_appear(
    stream: io.StringIO,
) -> None:
    log = logging.getLogger("costbot.test")
    log.info("body: token=%s&response_url=%s", BOT_TOKEN, RESPONSE_URL.replace("/", "%2F"))
    log.warning("app token %s", APP_TOKEN, extra={"header": f"Bearer {BOT_TOKEN}"})
    log.debug("signing secret %s, url %s", SECRET, RESPONSE_URL)
    try:
        raise RuntimeError(f"Slack refused {BOT_TOKEN} at {RESPONSE_URL}")
    except RuntimeError:
        log.exception("failed (incident %s)", "abc123")
    logging.getLogger("slack_sdk.webhook.client").debug(
        "Sending a request - url: http://127.0.0.1:1/response/R1, body: {}"
    )
    text = stream.getvalue()
    for secret in (BOT_TOKEN, APP_TOKEN, SECRET, RESPONSE_URL, "/response/R1", "hooks.slack"):
        assert secret not in text, secret
    assert text.count(REDACTED) >= 8
    assert "incident abc123" in text and "RuntimeError" in text  # the useful part stays


def test_json_format_is_one_object_per_line_with_the_extra_fields(stream: io.StringIO) -> None:
    logging.getLogger("costbot.requests").info(
        "command /cost ok", extra={"kind": "command", "latency_ms": 12.5}
    )
    logging.getLogger("costbot").error("two\nlines")
    first, second = records(stream)
    assert first["kind"] == "command" and first["latency_ms"] == 12.5
    assert first["level"] == "INFO" and first["logger"] == "costbot.requests"
    assert second["message"] == "two\nlines"


def test_text_format_keeps_one_line_per_record_with_key_value_extras() -> None:
    out = io.StringIO()
    handler = configure("INFO", "text", stream=out)
    try:
        logging.getLogger("costbot").info("started", extra={"mode": "http", "port": 3000})
        logging.getLogger("costbot").debug("not shown at INFO")
    finally:
        logging.getLogger().removeHandler(handler)
    (line,) = out.getvalue().splitlines()
    assert line.endswith("costbot: started mode=http port=3000")


def test_log_settings_are_read_and_checked() -> None:
    s = Settings.from_env(
        {"COSTBOT_LOG_LEVEL": "warn", "COSTBOT_LOG_FORMAT": "JSON", "COSTBOT_METRICS_PORT": "9102"}
    )
    assert (s.log_level, s.log_format, s.metrics_port) == ("WARNING", "json", 9102)
    assert Settings.from_env({}).log_format == "text"
    for env, name in (
        ({"COSTBOT_LOG_LEVEL": "loud"}, "COSTBOT_LOG_LEVEL"),
        ({"COSTBOT_LOG_FORMAT": "xml"}, "COSTBOT_LOG_FORMAT"),
        ({"COSTBOT_METRICS_PORT": "nine"}, "COSTBOT_METRICS_PORT"),
    ):
        with pytest.raises(SettingsError, match=name):
            Settings.from_env(env)
