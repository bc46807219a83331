"""The Dockerfile's promises that can be checked without Docker: its HEALTHCHECK command
against a running app, a non-root user, the store on a volume, SIGTERM to stop."""

from __future__ import annotations

import json
import re
import socket
import subprocess
import sys
import tomllib
from pathlib import Path

from conftest import AppUnderTest

REPO = Path(__file__).resolve().parents[2]
DOCKERFILE = (REPO / "Dockerfile").read_text()


def instruction(name: str) -> str:
    """The last ``name`` instruction of the final stage, continuation lines joined."""
    text = DOCKERFILE.replace("\\\n", " ")
    found = re.findall(rf"^{name}\s+(.*)$", text, flags=re.MULTILINE)
    assert found, name
    return str(found[-1])


def health_check(port: int) -> int:
    command = json.loads(instruction("HEALTHCHECK").split(" CMD ", 1)[1])
    assert command[0] == "python"
    result = subprocess.run(
        [sys.executable, *command[1:]],
        env={"PORT": str(port)},
        capture_output=True,
        timeout=30,
    )
    return result.returncode


def test_the_health_check_passes_against_a_running_app(costbot_app: AppUnderTest) -> None:
    assert health_check(int(costbot_app.base.rsplit(":", 1)[1])) == 0


def test_the_health_check_fails_when_nothing_answers() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        free = s.getsockname()[1]
    assert health_check(free) != 0


def test_the_image_runs_as_a_user_keeps_the_store_on_a_volume_and_stops_on_sigterm() -> None:
    assert instruction("USER") == "costbot"
    assert instruction("VOLUME") == '["/data"]'
    assert "COSTBOT_DB=/data/costbot.db" in instruction("ENV")
    assert instruction("STOPSIGNAL") == "SIGTERM"
    scripts = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["scripts"]
    assert json.loads(instruction("ENTRYPOINT")) == ["costbot"] and "costbot" in scripts
    assert DOCKERFILE.count("FROM python:3.11-slim") == 2  # slim build and runtime stages
