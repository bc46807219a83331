"""Property: whatever a user types after /cost, Slack gets a 200 and the user a helpful reply."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import AppUnderTest, start_app
from harness.slack_emulator import SlackEmulator
from harness.slack_requests import SlackClientSim
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

WORDS = [
    "team",
    "ai-research",
    "by",
    "service",
    "last",
    "30d",
    "7d",
    "month",
    "untagged",
    "top",
    "5",
    "measure",
    "billed",
    "share",
    "2024-09",
    "2024-09-01..2024-09-15",
    "project",
    "region",
    "us-east-1",
    '"',
    "help",
    "mtd",
    "yesterday",
    "resource",
    "tag",
]
TEXTS = st.one_of(
    st.text(max_size=120),
    st.lists(st.sampled_from(WORDS), max_size=8).map(" ".join),
    st.lists(st.one_of(st.sampled_from(WORDS), st.text(max_size=12)), max_size=6).map(" ".join),
)


@pytest.fixture(scope="module")
def sync_app(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[AppUnderTest, SlackEmulator, SlackClientSim]]:
    """One app for the whole property run; listeners finish before the HTTP response."""
    emulator = SlackEmulator().start()
    app, server = start_app(
        Path(tmp_path_factory.mktemp("any")), emulator, process_before_response=True
    )
    sim = SlackClientSim(response_urls=emulator.new_response_url)
    yield app, emulator, sim
    sim.close()
    server.stop()
    app.services.close()
    emulator.stop()


@settings(max_examples=1500, deadline=None, suppress_health_check=list(HealthCheck))
@given(text=TEXTS)
def test_every_text_gets_a_200_and_a_helpful_reply(
    sync_app: tuple[AppUnderTest, SlackEmulator, SlackClientSim], text: str
) -> None:
    app, emulator, sim = sync_app
    url = emulator.new_response_url()
    resp = sim.post_command(app.url, text, response_url=url)
    assert resp.status_code == 200
    (reply,) = emulator.wait_for_response(url, timeout=10)
    assert reply.args.get("text"), "every reply has a notification text"
    assert reply.args.get("response_type", "ephemeral") in ("ephemeral", "in_channel")
    assert "Traceback" not in str(reply.args)
    # The failure message quotes an incident id; the user's own word "incident" may be echoed.
    assert not re.search(r"failed \(incident [0-9a-f]{8}\)", reply.args["text"])
    assert not emulator.invalid_calls, emulator.invalid_calls[-1].describe()
