"""Run the built image against the Slack emulator; wait for HEALTHCHECK to say healthy.

Then stop it with SIGTERM (``docker stop``) and check that it exited 0 within 5 seconds.
Usage: ``python .ci/docker_health.py IMAGE``.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from harness.slack_emulator import SlackEmulator
from harness.slack_requests import DEFAULT_SIGNING_SECRET


def docker(*args: str) -> str:
    return subprocess.run(
        ["docker", *args], check=True, capture_output=True, text=True, timeout=120
    ).stdout.strip()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def main(image: str) -> int:
    with SlackEmulator() as emulator:
        port = free_port()
        container = docker(
            "run", "--detach", "--network", "host",
            "--health-interval", "2s", "--health-start-period", "5s",
            "-e", f"SLACK_BOT_TOKEN={emulator.bot_token}",
            "-e", f"SLACK_SIGNING_SECRET={DEFAULT_SIGNING_SECRET}",
            "-e", f"SLACK_API_URL={emulator.base_url}",
            "-e", f"PORT={port}",
            image,
        )  # fmt: skip
        try:
            deadline = time.monotonic() + 120
            status = ""
            while time.monotonic() < deadline:
                status = docker("inspect", "--format", "{{.State.Health.Status}}", container)
                if status in ("healthy", "unhealthy"):
                    break
                time.sleep(1)
            if status != "healthy":
                print(docker("logs", container), file=sys.stderr)
                print(f"docker check: FAILED, health is {status!r}", file=sys.stderr)
                return 1
            started = time.monotonic()
            docker("stop", "--time", "10", container)
            took = time.monotonic() - started
            code = docker("inspect", "--format", "{{.State.ExitCode}}", container)
            if code != "0" or took > 5:
                print(docker("logs", container), file=sys.stderr)
                print(f"docker check: FAILED, exit {code} after {took:.1f} s", file=sys.stderr)
                return 1
            print(f"docker check: healthy; stopped by SIGTERM in {took:.1f} s")
            return 0
        finally:
            subprocess.run(["docker", "rm", "-f", container], capture_output=True, timeout=60)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
