"""`costbot serve` as users run it: a real process, stopped by SIGTERM or SIGINT.

HTTP mode talks to the Slack emulator; Socket Mode connects to a local WebSocket stand-in
through the emulator's ``apps.connections.open``.
"""

from __future__ import annotations

import json
import signal
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from conftest import metric_samples
from harness.slack_emulator import DEFAULT_APP_TOKEN, DEFAULT_BOT_TOKEN, SlackEmulator
from harness.slack_requests import DEFAULT_SIGNING_SECRET, SlackClientSim
from harness.socket_mode import SocketModeStandIn
from serve_process import ServeProcess
from tests_support import focus_bill

from bot.costs.ingest import ingest
from bot.costs.store import CostStore

SECRETS = (DEFAULT_BOT_TOKEN, DEFAULT_APP_TOKEN, DEFAULT_SIGNING_SECRET)


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "costbot.db"
    store = CostStore(path)
    ingest(store, [str(focus_bill(tmp_path / "bill.csv"))], allocation_tags=("team",), aliases={})
    store.close()
    return path


@pytest.fixture
def http_env(db: Path, slack_emulator: SlackEmulator) -> dict[str, str]:
    return {
        "COSTBOT_DB": str(db),
        "SLACK_BOT_TOKEN": DEFAULT_BOT_TOKEN,
        "SLACK_SIGNING_SECRET": DEFAULT_SIGNING_SECRET,
        "SLACK_API_URL": slack_emulator.base_url,
    }


@pytest.fixture
def serving() -> Iterator[list[ServeProcess]]:
    started: list[ServeProcess] = []
    yield started
    for process in started:
        process.kill()


def start(serving: list[ServeProcess], env: dict[str, str], *args: str) -> ServeProcess:
    process = ServeProcess(env, "--port", "0", *args)
    serving.append(process)
    return process


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_http_mode_answers_then_stops_within_5_s_and_closes_the_store(
    serving: list[ServeProcess],
    http_env: dict[str, str],
    db: Path,
    slack_emulator: SlackEmulator,
    slack_client_sim: SlackClientSim,
    signum: int,
) -> None:
    process = start(serving, http_env)
    started = process.started()
    assert started["mode"] == "http" and started["data_through"].startswith("2024-10-15")
    url = slack_emulator.new_response_url()
    slack_client_sim.post_command(
        f"http://127.0.0.1:{started['port']}/slack/events", "by team 2024-10", response_url=url
    )
    (answer,) = slack_emulator.wait_for_response(url)
    assert "ai-research" in json.dumps(answer.args)

    process.stop_with(signum, timeout=5)  # before the fix, SIGTERM needed SIGKILL

    assert process.proc.returncode == 0
    assert "store closed" in process.log()
    assert not Path(f"{db}-wal").exists()  # the last connection closed cleanly


def test_every_request_is_one_log_line_and_no_secret_or_response_url_is_logged(
    serving: list[ServeProcess],
    http_env: dict[str, str],
    slack_emulator: SlackEmulator,
    slack_client_sim: SlackClientSim,
) -> None:
    process = start(serving, {**http_env, "COSTBOT_LOG_LEVEL": "debug"})
    events = f"http://127.0.0.1:{process.started()['port']}/slack/events"
    urls = [slack_emulator.new_response_url() for _ in range(2)]
    slack_client_sim.post_command(events, "by team last month", response_url=urls[0])
    slack_client_sim.post_command(events, "nonsense words here", response_url=urls[1])
    for url in urls:
        slack_emulator.wait_for_response(url)
    lines = [process.wait_for(lambda r: r.get("logger") == "costbot.requests") for _ in range(2)]
    for line in lines:
        assert line["kind"] == "command" and line["command"] == "/cost"
        assert line["outcome"] == "ok" and line["status"] == 200
        assert isinstance(line["latency_ms"], float)
    process.stop_with(signal.SIGTERM)

    log = process.log()
    for secret in (*SECRETS, *urls):  # even at DEBUG, where slack_sdk logs what it sends
        assert secret not in log, secret
    assert all(json.loads(line) for line in log.splitlines())  # one JSON object per line


def test_metrics_on_their_own_port_leave_the_public_port_without_them(
    serving: list[ServeProcess], http_env: dict[str, str]
) -> None:
    process = start(serving, http_env, "--metrics-port", "0")
    started = process.started()
    public, private = started["port"], started["metrics_port"]
    assert public != private
    assert requests.get(f"http://127.0.0.1:{public}/metrics", timeout=5).status_code == 404
    assert requests.get(f"http://127.0.0.1:{public}/healthz", timeout=5).json()["ok"] is True
    metrics = requests.get(f"http://127.0.0.1:{private}/metrics", timeout=5)
    assert metric_samples(metrics.text)["process_resident_memory_bytes", ()] > 0
    process.stop_with(signal.SIGTERM)


def test_socket_mode_serves_probes_answers_and_stops_within_5_s(
    serving: list[ServeProcess],
    db: Path,
    slack_emulator: SlackEmulator,
) -> None:
    with SocketModeStandIn().start() as socket_mode:
        slack_emulator.set_response("apps.connections.open", {"url": socket_mode.url})
        env = {
            "COSTBOT_DB": str(db),
            "SLACK_BOT_TOKEN": DEFAULT_BOT_TOKEN,
            "SLACK_APP_TOKEN": DEFAULT_APP_TOKEN,
            "SLACK_API_URL": slack_emulator.base_url,
        }
        process = start(serving, env)
        started = process.started()
        assert started["mode"] == "socket"
        socket_mode.wait_connected()
        base = f"http://127.0.0.1:{started['port']}"
        assert requests.get(f"{base}/healthz", timeout=5).json()["ok"] is True

        url = slack_emulator.new_response_url()
        envelope = socket_mode.push(
            {
                "command": "/cost",
                "text": "by team 2024-10",
                "user_id": "U0ALICE",
                "channel_id": "C0GENERAL",
                "team_id": "T0COSTBOT",
                "response_url": url,
                "trigger_id": "1.2.3",
            }
        )
        socket_mode.wait_for_ack(envelope)
        (answer,) = slack_emulator.wait_for_response(url)
        assert "ai-research" in json.dumps(answer.args)
        samples = metric_samples(requests.get(f"{base}/metrics", timeout=5).text)
        assert samples["costbot_requests_total", (("kind", "command"),)] == 1

        process.stop_with(signal.SIGTERM, timeout=5)

        assert process.proc.returncode == 0
        assert "store closed" in process.log()
        assert not Path(f"{db}-wal").exists()
        for secret in SECRETS:
            assert secret not in process.log()
