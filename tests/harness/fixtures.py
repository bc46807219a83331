"""Pytest fixtures for Slack tests: a running emulator and a signed-request sender.

Import them from ``tests/conftest.py`` so every test package can ask for them::

    from harness.fixtures import slack_client_sim, slack_emulator  # noqa: F401
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from .slack_emulator import SlackEmulator
from .slack_requests import SlackClientSim


@pytest.fixture
def slack_emulator() -> Iterator[SlackEmulator]:
    """Yield a started Slack emulator on 127.0.0.1 (fresh per test), stopped afterwards."""
    with SlackEmulator() as emulator:
        yield emulator


@pytest.fixture
def slack_client_sim(slack_emulator: SlackEmulator) -> Iterator[SlackClientSim]:
    """Yield a Slack-side sender whose response_urls point at ``slack_emulator``."""
    sim = SlackClientSim(response_urls=slack_emulator.new_response_url)
    yield sim
    sim.close()
