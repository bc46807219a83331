"""`costbot serve` checks its settings before connecting, and names what is wrong."""

from __future__ import annotations

import logging
import socket
import sqlite3
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from harness.slack_emulator import SlackEmulator

import bot.costs.store as store_module
import bot.slack_app as slack_app
from bot.costs.store import CostStore
from bot.errors import SettingsError, StoreLocked
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


def _settings(db: Path, emulator: SlackEmulator) -> Settings:
    return Settings(
        db_path=db,
        slack_bot_token=emulator.bot_token,
        slack_signing_secret="secret",
        slack_api_url=emulator.base_url,
        port=0,
    )


def test_a_stuck_answer_does_not_hold_up_stopping(
    tmp_path: Path, slack_emulator: SlackEmulator
) -> None:
    settings = _settings(tmp_path / "costbot.db", slack_emulator)
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


@pytest.fixture
def store_held_by_a_first_ingest(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[Path, sqlite3.Connection]]:
    """A store another process holds to itself, as `costbot ingest` does while it loads an
    empty store (rollback journal, exclusive lock); short timeouts so the test is quick."""
    db = tmp_path / "costbot.db"
    CostStore(db).close()
    holder = sqlite3.connect(db, isolation_level=None, check_same_thread=False)
    assert holder.execute("PRAGMA journal_mode=DELETE").fetchone() == ("delete",)
    holder.execute("BEGIN EXCLUSIVE")
    monkeypatch.setattr(store_module, "_BUSY_TIMEOUT_MS", 50)
    monkeypatch.setattr(slack_app, "STORE_RETRY_SECONDS", 0.05)
    yield db, holder
    if holder.in_transaction:
        holder.execute("ROLLBACK")
    holder.close()


def test_a_bot_started_during_a_first_ingest_waits_for_it_then_serves(
    store_held_by_a_first_ingest: tuple[Path, sqlite3.Connection],
    slack_emulator: SlackEmulator,
    caplog: pytest.LogCaptureFixture,
) -> None:
    db, holder = store_held_by_a_first_ingest
    released = threading.Timer(0.5, lambda: holder.execute("COMMIT"))
    released.start()
    stop = threading.Event()
    served: list[Runtime] = []

    def ready(runtime: Runtime) -> None:
        served.append(runtime)
        stop.set()

    with caplog.at_level(logging.WARNING, logger="costbot"):
        serve(_settings(db, slack_emulator), stop=stop, on_ready=ready)
    released.join()
    assert served, "the bot never served once the ingest had finished"
    warned = [r.getMessage() for r in caplog.records if "waiting for it" in r.getMessage()]
    assert len(warned) == 1  # said once, not at every attempt
    assert "locked by another process" in warned[0]


def test_a_bot_gives_up_on_a_store_locked_longer_than_it_waits(
    store_held_by_a_first_ingest: tuple[Path, sqlite3.Connection],
    slack_emulator: SlackEmulator,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    db, _ = store_held_by_a_first_ingest
    monkeypatch.setattr(slack_app, "STORE_WAIT_SECONDS", 0.3)
    with pytest.raises(StoreLocked, match=r"locked by another process.*try again"):
        serve(_settings(db, slack_emulator), on_ready=lambda _: pytest.fail("served"))


def test_a_bot_stopped_while_it_waits_for_the_store_stops_without_serving(
    store_held_by_a_first_ingest: tuple[Path, sqlite3.Connection],
    slack_emulator: SlackEmulator,
) -> None:
    db, _ = store_held_by_a_first_ingest
    stop = threading.Event()
    threading.Timer(0.3, stop.set).start()
    started = time.monotonic()
    serve(_settings(db, slack_emulator), stop=stop, on_ready=lambda _: pytest.fail("served"))
    assert time.monotonic() - started < 5
