"""Shared bench helpers: machine description, percentiles, the results file."""

from __future__ import annotations

import json
import os
import platform
import re
import statistics
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "bench" / "data"
RESULTS = ROOT / "bench" / "results.json"
DOC = ROOT / "docs" / "benchmarks.md"


def machine() -> str:
    """Describe this machine: CPU model, cores, memory, OS, Python."""
    cpu = platform.processor() or "unknown CPU"
    try:
        text = Path("/proc/cpuinfo").read_text()
        found = re.search(r"model name\s*:\s*(.+)", text)
        if found:
            cpu = found.group(1).strip()
    except OSError:
        pass
    mem = ""
    try:
        kb = int(re.search(r"MemTotal:\s+(\d+)", Path("/proc/meminfo").read_text()).group(1))  # type: ignore[union-attr]
        mem = f", {kb / 1024 / 1024:.0f} GiB RAM"
    except (OSError, AttributeError):
        pass
    return (
        f"{cpu}, {os.cpu_count()} cores{mem}, {platform.system()} {platform.release()}, "
        f"Python {platform.python_version()}"
    )


def percentile(values: list[float], pct: float) -> float:
    """Return the pct-th percentile (nearest rank) of values."""
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, round(pct / 100 * len(ordered) + 0.5) - 1))
    return ordered[k]


def summary_ms(seconds: list[float]) -> dict[str, float]:
    """Return p50/p95/max in milliseconds."""
    ms = [s * 1000 for s in seconds]
    return {
        "p50": round(statistics.median(ms), 1),
        "p95": round(percentile(ms, 95), 1),
        "max": round(max(ms), 1),
        "n": len(ms),
    }


def record(section: str, payload: dict[str, object]) -> None:
    """Merge one section's results into bench/results.json."""
    data = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    data[section] = {**payload, "measured_at": datetime.now(UTC).isoformat(timespec="seconds")}
    data["machine"] = machine()
    RESULTS.write_text(json.dumps(data, indent=2) + "\n")
