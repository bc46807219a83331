"""Prometheus metrics for ``GET /metrics``: requests, latency, errors, data freshness, process.

Each :class:`Metrics` owns its registry (several apps can live in one test process). It holds
the process collectors (CPU, memory, open files) and the platform collector, the request and
answer latency histograms by kind, and the error counter that listeners and jobs call.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    PlatformCollector,
    ProcessCollector,
    generate_latest,
)

LATENCY_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
CONTENT_TYPE = CONTENT_TYPE_LATEST


class Metrics:
    """Counters, histograms and gauges of one running bot, rendered for Prometheus."""

    def __init__(self, data_through: Callable[[], datetime | None] | None = None) -> None:
        self.registry = CollectorRegistry()
        ProcessCollector(registry=self.registry)
        PlatformCollector(registry=self.registry)
        self._requests = Counter(
            "costbot_requests",
            "Slack requests handled, by kind (command, interaction, event).",
            ["kind"],
            registry=self.registry,
        )
        self._errors = Counter(
            "costbot_errors",
            "Requests, answers or jobs that failed, by kind.",
            ["kind"],
            registry=self.registry,
        )
        self._latency = Histogram(
            "costbot_request_seconds",
            "Time from a Slack request to its acknowledgement, by kind.",
            ["kind"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self._answer = Histogram(
            "costbot_answer_seconds",
            "Time to compute and send an answer (after the acknowledgement), by kind.",
            ["kind"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self._data_through = data_through
        self.last_sync: datetime | None = None
        through = Gauge(
            "costbot_data_through_timestamp_seconds",
            "End of the newest day of cost data (0: none).",
            registry=self.registry,
        )
        through.set_function(lambda: _stamp(self._data_through() if self._data_through else None))
        sync = Gauge(
            "costbot_last_sync_timestamp_seconds",
            "Last successful ingest or sync (0: never).",
            registry=self.registry,
        )
        sync.set_function(lambda: _stamp(self.last_sync))

    def observe(self, kind: str, seconds: float, *, ok: bool = True) -> None:
        """Count one handled request of a kind (command, interaction, event) and its latency."""
        self._requests.labels(kind=kind).inc()
        self._latency.labels(kind=kind).observe(seconds)
        if not ok:
            self._errors.labels(kind=kind).inc()

    def answered(self, kind: str, seconds: float) -> None:
        """Record how long an answer (a lazy listener's work) took."""
        self._answer.labels(kind=kind).observe(seconds)

    def error(self, kind: str) -> None:
        """Count an error outside a timed request (a failed answer, job or listener)."""
        self._errors.labels(kind=kind).inc()

    def errors(self, kind: str) -> float:
        """Return the errors counted for ``kind`` so far."""
        value = self.registry.get_sample_value("costbot_errors_total", {"kind": kind})
        return value or 0.0

    def render(self) -> str:
        """Render all metrics in the Prometheus text format."""
        return generate_latest(self.registry).decode("utf-8")


def _stamp(when: datetime | None) -> float:
    return when.timestamp() if when else 0.0


def parse_iso(text: str | None) -> datetime | None:
    """Parse an ISO timestamp stored in the meta table."""
    if not text:
        return None
    ts = datetime.fromisoformat(text)
    return ts if ts.tzinfo else ts.replace(tzinfo=UTC)
