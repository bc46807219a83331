"""Shared fixtures: a real SQLite store in a temp dir, a fixed clock, fake AWS credentials."""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import settings as hypothesis_settings
from vendored import BESIDE, FOCUS_EXAMPLES, SPECS

from bot.costs.query import CostQueryEngine
from bot.costs.store import CostStore

# moto's request recorder (the GPU tests count StopInstances with it) writes to
# ./moto_recording unless told otherwise; keep it out of the checkout. Set before any test
# module imports moto, which reads the variable once.
os.environ.setdefault(
    "MOTO_RECORDER_FILEPATH", str(Path(tempfile.gettempdir()) / f"costbot-moto-{os.getpid()}.rec")
)

# CI explores the same examples on every run, so a red CI is always reproducible; locally the
# search stays random (and remembers its failures in .hypothesis/).
hypothesis_settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    hypothesis_settings.load_profile("ci")

# A user's clone has no ../shared beside it, so no test may read it (test_self_contained.py).
# Where a checkout does have one, an audit hook makes any read of it fail loudly instead of
# passing here and failing on the user's machine.
_WATCHED = frozenset({"open", "os.listdir", "os.scandir"})


def _refuse_beside(event: str, args: tuple[Any, ...]) -> None:
    if event not in _WATCHED or not args or not isinstance(args[0], str | bytes | os.PathLike):
        return
    path = os.path.abspath(os.fsdecode(args[0]))
    if path == BESIDE or path.startswith(BESIDE + os.sep):
        raise PermissionError(f"tests must not read {path}: vendor it under tests/harness/specs")


sys.addaudithook(_refuse_beside)


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

__all__ = [
    "FOCUS_EXAMPLES",
    "SPECS",
    "jira_dc_emulator",
    "jira_emulator",
    "slack_client_sim",
    "slack_emulator",
]
