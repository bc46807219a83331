"""Pytest fixtures for Jira tests: a running Jira emulator (Cloud or Data Center)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from .jira_emulator import JiraEmulator


@pytest.fixture
def jira_emulator() -> Iterator[JiraEmulator]:
    """Yield a started Jira Cloud emulator on 127.0.0.1 (fresh per test)."""
    with JiraEmulator(cloud=True) as emulator:
        yield emulator


@pytest.fixture
def jira_dc_emulator() -> Iterator[JiraEmulator]:
    """Yield a started Jira Data Center emulator (PAT auth, /search)."""
    with JiraEmulator(cloud=False) as emulator:
        yield emulator
