"""Run ``costbot serve`` as a real subprocess and read its JSON log lines as they come."""

from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]


class ServeProcess:
    """``python -m bot.cli serve`` with the given environment; stderr parsed as JSON lines."""

    def __init__(self, env: dict[str, str], *args: str) -> None:
        base = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "COSTBOT_"))}
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "bot.cli", "serve", *args],
            cwd=REPO,
            env={**base, "COSTBOT_LOG_FORMAT": "json", **env},
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.raw: list[str] = []
        self._lines: queue.Queue[dict[str, Any]] = queue.Queue()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            self.raw.append(line)
            try:
                self._lines.put(json.loads(line))
            except ValueError:
                self._lines.put({"message": line.rstrip(), "unparsed": True})

    def wait_for(self, predicate: Any, timeout: float = 30) -> dict[str, Any]:
        """Return the first log record matching ``predicate``; fail with the log so far."""
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0 or (self.proc.poll() is not None and self._lines.empty()):
                raise AssertionError("no such log line; log so far:\n" + "".join(self.raw))
            try:
                record = self._lines.get(timeout=min(left, 0.5))
            except queue.Empty:
                continue
            if predicate(record):
                return record

    def started(self) -> dict[str, Any]:
        """Wait for the start-up line."""
        return self.wait_for(lambda r: r.get("event") == "start")

    def stop_with(self, signum: int, timeout: float = 5) -> float:
        """Send ``signum``; return how long the process took to exit (fails past ``timeout``)."""
        sent = time.monotonic()
        self.proc.send_signal(signum)
        self.proc.wait(timeout=timeout)
        took = time.monotonic() - sent
        self._reader.join(5)
        return took

    def log(self) -> str:
        """Everything written to stderr so far."""
        return "".join(self.raw)

    def kill(self) -> None:
        """Make sure nothing outlives the test."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(5)
        for stream in (self.proc.stdout, self.proc.stderr):
            if stream is not None:
                stream.close()
