"""`costbot serve` checks its settings before connecting, and names what is wrong."""

from __future__ import annotations

import socket
import threading
import time
from pathlib import Path

import pytest
from harness.slack_emulator import SlackEmulator

from bot.errors import SettingsError
from bot.settings import Settings
from bot.slack_app import Runtime, check_slack_settings, serve


@pytest.mark.parametrize(
    ("settings", "names"),
    [
        (Settings(), "SLACK_BOT_TOKEN is not set"),
        (Settings(slack_bot_token="xoxp-user-token"), "SLACK_BOT_TOKEN must be a bot token"),
        (Settings(slack_bot_token="xoxb-1", slack_app_token="xoxb-2"), "SLACK_APP_TOKEN must"),
        (Settings(slack_bot_token="xoxb-1"), "SLACK_SIGNING_SECRET is not set"),
    ],
)
def test_missing_or_malformed_settings_name_the_variable(settings: Settings, names: str) -> None:
    with pytest.raises(SettingsError, match=names):
        check_slack_settings(settings)


def test_modes_follow_the_tokens() -> None:
    assert check_slack_settings(Settings(slack_bot_token="xoxb-1", slack_app_token="xapp-1")) == (
        "socket"
    )
    assert check_slack_settings(Settings(slack_bot_token="xoxb-1", slack_signing_secret="s")) == (
        "http"
    )


def test_a_token_slack_rejects_stops_start_up_with_a_clear_message(
    tmp_path: Path, slack_emulator: SlackEmulator
) -> None:
    settings = Settings(
        db_path=tmp_path / "costbot.db",
        slack_bot_token="xoxb-not-the-right-one",
        slack_signing_secret="secret",
        slack_api_url=slack_emulator.base_url,
    )
    with pytest.raises(SettingsError, match=r"Slack rejected SLACK_BOT_TOKEN \(invalid_auth\)"):
        serve(settings)


def test_bad_settings_values_name_the_variable() -> None:
    with pytest.raises(SettingsError, match="COSTBOT_MEASURE"):
        Settings.from_env({"COSTBOT_MEASURE": "gross"})
    with pytest.raises(SettingsError, match="PORT must be a whole number"):
        Settings.from_env({"PORT": "eighty"})
    with pytest.raises(SettingsError, match="COSTBOT_TAG_ALIASES"):
        Settings.from_env({"COSTBOT_TAG_ALIASES": "Team"})
    s = Settings.from_env(
        {"COSTBOT_TAG_ALIASES": "Squad=team", "COSTBOT_ALLOCATION_TAGS": "Team,cc"}
    )
    assert s.tag_aliases["squad"] == "team" and s.allocation_tags == ("team", "cc")


def test_an_app_token_slack_rejects_stops_socket_mode_with_a_clear_message(
    tmp_path: Path, slack_emulator: SlackEmulator
) -> None:
    settings = Settings(
        db_path=tmp_path / "costbot.db",
        slack_bot_token=slack_emulator.bot_token,
        slack_app_token="xapp-not-the-right-one",
        slack_api_url=slack_emulator.base_url,
        port=0,
    )
    with pytest.raises(SettingsError, match=r"Slack rejected SLACK_APP_TOKEN \(invalid_auth\)"):
        serve(settings)


def test_a_port_in_use_is_named_not_a_traceback(
    tmp_path: Path, slack_emulator: SlackEmulator
) -> None:
    with socket.create_server(("0.0.0.0", 0)) as taken:
        port = taken.getsockname()[1]
        settings = Settings(
            db_path=tmp_path / "costbot.db",
            slack_bot_token=slack_emulator.bot_token,
            slack_signing_secret="secret",
            slack_api_url=slack_emulator.base_url,
            port=port,
        )
        with pytest.raises(SettingsError, match=rf"cannot listen on port {port} .*set PORT"):
            serve(settings)


def test_a_stuck_answer_does_not_hold_up_stopping(
    tmp_path: Path, slack_emulator: SlackEmulator
) -> None:
    settings = Settings(
        db_path=tmp_path / "costbot.db",
        slack_bot_token=slack_emulator.bot_token,
        slack_signing_secret="secret",
        slack_api_url=slack_emulator.base_url,
        port=0,
    )
    stop, release = threading.Event(), threading.Event()
    seen: list[Runtime] = []
    asked: list[float] = []

    def ready(runtime: Runtime) -> None:
        seen.append(runtime)
        runtime.executor.submit(release.wait, 30)  # an answer stuck on a slow call
        asked.append(time.monotonic())
        stop.set()

    try:
        serve(settings, stop=stop, on_ready=ready)
        took = time.monotonic() - asked[0]
    finally:
        release.set()
    assert seen and took < 5  # drained for DRAIN_SECONDS, then abandoned
    assert seen[0].services.store.open_connections() == 0  # the store was closed
