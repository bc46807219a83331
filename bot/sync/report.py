"""How the syncs are doing, for ``/healthz``, ``/metrics``, ``costbot status`` and the digest.

Small functions over the sync ledger, so whichever HTTP server and metrics
library serve them only have to call one function each.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from bot.money import format_money
from bot.state.sync import ledger_for, spend_summary

if TYPE_CHECKING:
    from bot.costs.store import CostStore


@dataclass(frozen=True)
class Sample:
    """One metric sample: name, help, type, labels and value (any exposition can render it)."""

    name: str
    help: str
    kind: str  # "gauge" or "counter"
    labels: tuple[tuple[str, str], ...]
    value: float


def sync_health(store: CostStore, today: date) -> dict[str, Any]:
    """Return each source's last run and last success, and the bot's own API spend."""
    ledger = ledger_for(store.conn)
    sources = []
    for entry in ledger.last_runs():
        last, ok = entry["last"], entry["last_success"]
        sources.append(
            {
                "source": entry["source"],
                "ok": bool(last and last["ok"]),
                "last_run_at": last["finished_at"] if last else None,
                "last_success_at": ok["finished_at"] if ok else None,
                "rows": ok["rows"] if ok else 0,
                "seconds": round(ok["seconds"], 3) if ok else None,
                "error": None if not last or last["ok"] else last["detail"],
            }
        )
    return {"sources": sources, "api_spend": spend_summary(ledger, today)}


def sync_samples(store: CostStore, today: date) -> list[Sample]:
    """Return the sync figures as metric samples (last success, rows, duration, spend)."""
    ledger = ledger_for(store.conn)
    out: list[Sample] = []
    for entry in ledger.last_runs():
        labels = (("source", str(entry["source"])),)
        last, ok = entry["last"], entry["last_success"]
        when = datetime.fromisoformat(ok["finished_at"]).timestamp() if ok else 0.0
        out += [
            Sample(
                "costbot_sync_last_success_timestamp_seconds",
                "When the source last synced successfully.",
                "gauge",
                labels,
                when,
            ),
            Sample(
                "costbot_sync_rows",
                "Rows the last successful sync wrote.",
                "gauge",
                labels,
                float(ok["rows"]) if ok else 0.0,
            ),
            Sample(
                "costbot_sync_duration_seconds",
                "How long the last successful sync took.",
                "gauge",
                labels,
                float(ok["seconds"]) if ok else 0.0,
            ),
            Sample(
                "costbot_sync_up",
                "1 if the source's last sync succeeded.",
                "gauge",
                labels,
                1.0 if last and last["ok"] else 0.0,
            ),
        ]
    month = ledger.spend_since(today.replace(day=1))
    out += [
        Sample(
            "costbot_api_spend_usd",
            "What costbot's own AWS API calls cost this month (Cost Explorer, Athena).",
            "gauge",
            (),
            month.spend / 1e9,
        ),
        Sample(
            "costbot_ce_requests",
            "Cost Explorer requests made this month ($0.01 each).",
            "gauge",
            (),
            float(month.ce_requests),
        ),
        Sample(
            "costbot_athena_bytes_scanned",
            "Bytes Athena scanned for costbot this month ($5 per TB).",
            "gauge",
            (),
            float(month.athena_bytes),
        ),
    ]
    return out


class SyncCollector:
    """A prometheus_client collector that reads the sync ledger at each scrape."""

    def __init__(self, store: CostStore, today: Callable[[], date]) -> None:
        self._store = store
        self._today = today

    def describe(self) -> list[object]:
        """Describe nothing up front, so registering does not read the store."""
        return []

    def collect(self) -> Iterator[object]:
        """Yield one gauge family per sync figure."""
        from prometheus_client.core import GaugeMetricFamily

        families: dict[str, GaugeMetricFamily] = {}
        for s in sync_samples(self._store, self._today()):
            family = families.get(s.name)
            if family is None:
                family = families[s.name] = GaugeMetricFamily(
                    s.name, s.help, labels=[k for k, _ in s.labels]
                )
            family.add_metric([v for _, v in s.labels], s.value)
        yield from families.values()


def render_samples(samples: list[Sample]) -> str:
    """Render samples in the Prometheus text format (one HELP/TYPE per name)."""
    out: list[str] = []
    seen: set[str] = set()
    for s in samples:
        if s.name not in seen:
            seen.add(s.name)
            out += [f"# HELP {s.name} {s.help}", f"# TYPE {s.name} {s.kind}"]
        labels = ",".join(f'{k}="{v}"' for k, v in s.labels if '"' not in v and "\\" not in v)
        out.append(f"{s.name}{{{labels}}} {s.value}" if labels else f"{s.name} {s.value}")
    return "\n".join(out) + ("\n" if out else "")


def api_spend_line(store: CostStore, today: date) -> str:
    """Say what costbot's own API calls cost this month (the digest footer, status)."""
    spend = ledger_for(store.conn).spend_since(today.replace(day=1))
    parts = [f"{spend.ce_requests} Cost Explorer requests"]
    if spend.athena_bytes:
        parts.append(f"{spend.athena_bytes / 1e9:.2f} GB scanned by Athena")
    return (
        f"costbot's own AWS API spend this month: {format_money(spend.spend)} ({', '.join(parts)})"
    )


def sync_status_lines(store: CostStore, today: date) -> list[str]:
    """Return ``costbot status`` lines: per source its last run, and the API spend."""
    health = sync_health(store, today)
    if not health["sources"]:
        return []  # never synced: nothing to say (and no dollar sign in a euro store's status)
    lines = []
    for s in health["sources"]:
        state = "ok" if s["ok"] else f"FAILED: {s['error']}"
        lines.append(
            f"sync {s['source']}: {state}; last success {s['last_success_at'] or 'never'}, "
            f"{s['rows']} rows in {s['seconds'] if s['seconds'] is not None else '-'}s"
        )
    lines.append(api_spend_line(store, today))
    return lines
