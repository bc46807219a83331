"""Benchmark: process start of `costbot --help` and of `costbot cost …` (issue 18: <= 0.2 s).

Wall time and CPU time (user + system) of fresh processes. On a loaded machine
the CPU time is the steadier figure: wall time includes waiting for a core.

Each is measured twice: as the checkout runs it, and with bytecode for every module it
imports, as an installed wheel has it (pip compiles on install; the Docker image has it).
A checkout run with PYTHONDONTWRITEBYTECODE=1 (as on the bench machine) compiles each
costbot module it imports from source at every start. The bytecode is written by one
untimed run into a temporary PYTHONPYCACHEPREFIX, so the checkout stays clean.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import DATA, ROOT, record, summary_ms

RUNS = 10
COSTBOT = str(Path(sys.executable).parent / "costbot")


def _run(args: list[str], env: dict[str, str] | None = None) -> tuple[list[float], list[float]]:
    walls, cpus = [], []
    for _ in range(RUNS):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        t = time.perf_counter()
        subprocess.run(args, capture_output=True, check=True, cwd=ROOT, env=env)
        walls.append(time.perf_counter() - t)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append((after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime))
    return walls, cpus


def main() -> dict[str, object]:
    """Time fresh processes: help, and the start of a question (imports only)."""
    probe = [
        sys.executable,
        "-c",
        "import bot.cli, bot.services, bot.costs.ask, bot.text_report",
    ]
    results: dict[str, object] = {}
    with tempfile.TemporaryDirectory() as prefix:
        compiled = {**os.environ, "PYTHONPYCACHEPREFIX": prefix}
        compiled.pop("PYTHONDONTWRITEBYTECODE", None)
        for name, args, env in (
            ("costbot --help", [COSTBOT, "--help"], None),
            ("costbot cost: imports before any work", probe, None),
            ("costbot --help, bytecode compiled", [COSTBOT, "--help"], compiled),
            ("costbot cost: imports before any work, bytecode compiled", probe, compiled),
            ("python -c pass (the floor)", [sys.executable, "-c", "pass"], None),
        ):
            if env is compiled:  # writes the bytecode of everything the command imports
                subprocess.run(args, capture_output=True, check=True, cwd=ROOT, env=env)
            walls, cpus = _run(args, env)
            results[name] = {"wall_ms": summary_ms(walls), "cpu_ms": summary_ms(cpus)}
    db = DATA / "bench.db"
    if db.exists():
        walls, cpus = _run([COSTBOT, "cost", "--db", str(db), "team", "ai-research", "last", "30d"])
        results["costbot cost team ai-research last 30d (whole command)"] = {
            "wall_ms": summary_ms(walls),
            "cpu_ms": summary_ms(cpus),
        }
    record("startup", results)
    print(json.dumps(results, indent=2))
    return results


if __name__ == "__main__":
    main()
