"""SIGTERM during a scheduled run: `costbot serve` exits within 5 s, and the run is neither
lost nor doubled (the restart finishes it without posting again what was posted).

A real `costbot serve` process in HTTP mode against the Slack emulator. The digest's first
post is rate-limited (Slack's 429 with Retry-After), so the run is in flight, waiting in
slack_sdk's retry handler, when SIGTERM arrives.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from harness.slack_emulator import SlackEmulator
from harness.slack_requests import DEFAULT_SIGNING_SECRET

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from insights_bill import Clock, services_with_bill

from bot.state.scheduling import RunLedger, Subscriptions

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _serve(db: Path, emulator: SlackEmulator) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "COSTBOT_DB": str(db),
        "COSTBOT_ALLOCATION_TAGS": "team,project",
        "SLACK_BOT_TOKEN": emulator.bot_token,
        "SLACK_SIGNING_SECRET": DEFAULT_SIGNING_SECRET,
        "SLACK_API_URL": emulator.base_url,
        "PORT": str(_free_port()),
    }
    env.pop("SLACK_APP_TOKEN", None)
    return subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "serve"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )


def _stop(process: subprocess.Popen[bytes]) -> float:
    """Send SIGTERM and return how long the process took to exit."""
    started = time.monotonic()
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
        raise AssertionError("costbot serve did not exit within 10 s of SIGTERM") from None
    return time.monotonic() - started


def test_sigterm_during_a_digest_stops_serve_quickly_and_the_restart_finishes_it_once(
    tmp_path: Path, slack_emulator: SlackEmulator
) -> None:
    now = datetime.now(UTC)
    clock = Clock(now - timedelta(hours=1))
    services = services_with_bill(tmp_path, clock, alert_channel=None)
    slot = now.replace(second=0, microsecond=0)
    sub = Subscriptions(services.store).add(
        channel="C0DIGEST",
        cadence="daily",
        filters=(),
        at=slot.strftime("%H:%M"),
        weekday=None,
        tz="UTC",
        created_by="U1",
        now=clock.now,
    )
    services.close()
    slack_emulator.queue_error("chat.postMessage", "ratelimited", retry_after=2)
    db = tmp_path / "costbot.db"

    first = _serve(db, slack_emulator)
    try:
        slack_emulator.wait_for("chat.postMessage", timeout=60)  # the rate-limited attempt
    finally:
        seconds = _stop(first)
    output = first.stdout.read().decode() if first.stdout else ""
    assert seconds < 5, f"serve took {seconds:.1f} s to stop:\n{output}"

    ledger = RunLedger(services.store)
    (row,) = ledger.rows(sub.job)
    posted = [
        c
        for c in slack_emulator.calls_to("chat.postMessage")
        if c.ok and not c.args.get("thread_ts")
    ]
    assert row.status in ("interrupted", "done"), output
    if row.status == "interrupted":
        assert len(posted) == (1 if row.detail.get("message_ts") else 0)

    second = _serve(db, slack_emulator)
    try:
        slack_emulator.wait_for("files.completeUploadExternal", timeout=60)
    finally:
        _stop(second)
    digests = [
        c
        for c in slack_emulator.calls_to("chat.postMessage")
        if c.ok and c.args["channel"] == "C0DIGEST"
    ]
    assert len(digests) == 1, "the digest was posted once across the two processes"
    assert len(slack_emulator.calls_to("files.completeUploadExternal")) == 1
    (row,) = RunLedger(services.store).rows(sub.job)
    assert row.status == "done"
    services.close()
