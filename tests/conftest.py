"""Shared fixtures: a real SQLite store in a temp dir, a fixed clock, fake AWS credentials."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.costs.query import CostQueryEngine
from bot.costs.store import CostStore

# CI clones the repository with ../shared beside it.
SHARED = Path(__file__).resolve().parents[2] / "shared"
FOCUS_EXAMPLES = SHARED / "specs" / "focus" / "examples"


@pytest.fixture(autouse=True)
def _fake_aws(monkeypatch: pytest.MonkeyPatch) -> None:
    """Never reach a real AWS account: fake credentials, no profile."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.delenv("AWS_PROFILE", raising=False)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[CostStore]:
    """A fresh store file."""
    s = CostStore(tmp_path / "costbot.db")
    yield s
    s.close()


def fixed_clock(when: datetime) -> object:
    """Return a clock callable that always says ``when``."""
    return lambda: when


@pytest.fixture
def engine_for() -> object:
    """Build an engine over a store with a fixed 'now'."""

    def build(
        store: CostStore, now: datetime, allocation: tuple[str, ...] = ("team", "project")
    ) -> CostQueryEngine:
        return CostQueryEngine(store, allocation_tags=allocation, clock=lambda: now.astimezone(UTC))

    return build


from harness.fixtures import slack_client_sim, slack_emulator  # noqa: E402
from harness.jira_fixtures import jira_dc_emulator, jira_emulator  # noqa: E402

__all__ = ["jira_dc_emulator", "jira_emulator", "slack_client_sim", "slack_emulator"]
