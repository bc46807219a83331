"""Failures are counted and logged with an incident id; answers are timed by kind."""

from __future__ import annotations

import logging
import threading
import time
from pathlib import Path

import pytest
import requests
from conftest import metric_samples, start_app
from harness.slack_emulator import SlackEmulator
from harness.slack_requests import SlackClientSim

from bot.costs.model import CostAnswer, CostQuery
from bot.costs.query import CostQueryEngine
from bot.services import Services


def scrape(base: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return metric_samples(requests.get(f"{base}/metrics", timeout=5).text)


class BrokenEngine(CostQueryEngine):
    """An engine with a bug: every answer raises."""

    def answer(self, query: CostQuery) -> CostAnswer:
        raise ZeroDivisionError("a bug")


def test_a_failed_answer_is_counted_as_an_error_and_logged_with_its_incident(
    tmp_path: Path,
    slack_client_sim: SlackClientSim,
    slack_emulator: SlackEmulator,
    caplog: pytest.LogCaptureFixture,
) -> None:
    def break_engine(services: Services) -> None:
        old = services.engine
        services.engine = BrokenEngine(old.store, allocation_tags=old.allocation_tags)

    app, server = start_app(tmp_path, slack_emulator, wrap_services=break_engine)
    try:
        url = slack_emulator.new_response_url()
        with caplog.at_level(logging.ERROR, logger="costbot.slack"):
            slack_client_sim.post_command(app.url, "by team", response_url=url)
            (reply,) = slack_emulator.wait_for_response(url)
        samples = metric_samples(requests.get(f"{app.base}/metrics", timeout=5).text)
    finally:
        server.stop()
        app.services.close()
    incident = next(r for r in caplog.records if hasattr(r, "incident")).incident  # type: ignore[attr-defined]
    assert f"incident {incident}" in reply.args["text"]  # the user can quote it
    assert samples["costbot_errors_total", (("kind", "answer_cost_command"),)] == 1  # was never
    assert samples["costbot_requests_total", (("kind", "command"),)] == 1  # acked all the same


def test_answers_are_timed_by_kind(
    tmp_path: Path, slack_client_sim: SlackClientSim, slack_emulator: SlackEmulator
) -> None:
    app, server = start_app(tmp_path, slack_emulator)
    try:
        url = slack_emulator.new_response_url()
        slack_client_sim.post_command(app.url, "by team", response_url=url)
        slack_emulator.wait_for_response(url)
        key = ("costbot_answer_seconds_count", (("kind", "answer_cost_command"),))
        deadline = time.monotonic() + 5  # recorded just after the reply leaves: poll briefly
        while (samples := scrape(app.base)).get(key) != 1 and time.monotonic() < deadline:
            threading.Event().wait(0.05)
    finally:
        server.stop()
        app.services.close()
    assert samples[key] == 1
    assert samples.get(("costbot_errors_total", (("kind", "answer_cost_command"),)), 0) == 0
