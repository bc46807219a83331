"""Prometheus metrics for ``GET /metrics``: requests, latency, errors, data freshness.

A few counters and one histogram do not justify a client library; this renders
the text exposition format (version 0.0.4) directly.
"""

from __future__ import annotations

import threading
from collections import defaultdict
from collections.abc import Callable
from datetime import UTC, datetime

LATENCY_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


def _labels(labels: dict[str, str]) -> str:
    if not labels:
        return ""
    inner = ",".join(
        f'{k}="{v.replace(chr(92), chr(92) * 2).replace(chr(34), chr(92) + chr(34))}"'
        for k, v in sorted(labels.items())
    )
    return "{" + inner + "}"


class Metrics:
    """Thread-safe counters and a latency histogram, rendered for Prometheus."""

    def __init__(self, data_through: Callable[[], datetime | None] | None = None) -> None:
        self._lock = threading.Lock()
        self.requests: dict[tuple[tuple[str, str], ...], int] = defaultdict(int)
        self.errors: dict[tuple[tuple[str, str], ...], int] = defaultdict(int)
        self._bucket_counts = [0] * len(LATENCY_BUCKETS)
        self._latency_sum = 0.0
        self._latency_count = 0
        self._data_through = data_through
        self.last_sync: datetime | None = None
        # Extra exposition text from other areas (e.g. bot.sync.report), appended as is.
        self.extra: list[Callable[[], str]] = []

    def observe(self, kind: str, seconds: float, *, ok: bool = True) -> None:
        """Count one handled request of a kind (command, action, event) and its latency."""
        with self._lock:
            self.requests[(("kind", kind),)] += 1
            if not ok:
                self.errors[(("kind", kind),)] += 1
            self._latency_sum += seconds
            self._latency_count += 1
            for i, bound in enumerate(LATENCY_BUCKETS):
                if seconds <= bound:
                    self._bucket_counts[i] += 1

    def error(self, kind: str) -> None:
        """Count an error outside a timed request."""
        with self._lock:
            self.errors[(("kind", kind),)] += 1

    def render(self) -> str:
        """Render all metrics in the Prometheus text format."""
        out = [
            "# HELP costbot_requests_total Slack requests handled.",
            "# TYPE costbot_requests_total counter",
        ]
        with self._lock:
            out += [
                f"costbot_requests_total{_labels(dict(k))} {v}" for k, v in self.requests.items()
            ]
            out += [
                "# HELP costbot_errors_total Requests or jobs that failed.",
                "# TYPE costbot_errors_total counter",
            ]
            out += [f"costbot_errors_total{_labels(dict(k))} {v}" for k, v in self.errors.items()]
            out += [
                "# HELP costbot_request_seconds Time from request to acknowledgement.",
                "# TYPE costbot_request_seconds histogram",
            ]
            for bound, count in zip(LATENCY_BUCKETS, self._bucket_counts, strict=True):
                out.append(f'costbot_request_seconds_bucket{{le="{bound}"}} {count}')
            out.append(f'costbot_request_seconds_bucket{{le="+Inf"}} {self._latency_count}')
            out.append(f"costbot_request_seconds_sum {self._latency_sum:.6f}")
            out.append(f"costbot_request_seconds_count {self._latency_count}")
        through = self._data_through() if self._data_through else None
        out += [
            "# HELP costbot_data_through_timestamp_seconds End of the newest day of cost data.",
            "# TYPE costbot_data_through_timestamp_seconds gauge",
            f"costbot_data_through_timestamp_seconds {through.timestamp() if through else 0}",
        ]
        sync = self.last_sync
        out += [
            "# HELP costbot_last_sync_timestamp_seconds Last successful ingest or sync.",
            "# TYPE costbot_last_sync_timestamp_seconds gauge",
            f"costbot_last_sync_timestamp_seconds {sync.timestamp() if sync else 0}",
        ]
        return "\n".join(out) + "\n" + "".join(render() for render in self.extra)


def parse_iso(text: str | None) -> datetime | None:
    """Parse an ISO timestamp stored in the meta table."""
    if not text:
        return None
    ts = datetime.fromisoformat(text)
    return ts if ts.tzinfo else ts.replace(tzinfo=UTC)
