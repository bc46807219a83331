"""Start-up stays light: `costbot --help` and opening the store import no heavy library.

Issue 18: process start was about half a second before any work, most of it
pandas, pyarrow, numpy and boto3 imported by modules that did not need them.
Timings are never asserted; which modules a command loads is.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

HEAVY = ("pandas", "pyarrow", "numpy", "boto3", "botocore", "duckdb")

PROBE = f"""
import json, sys
from click.testing import CliRunner
from bot.cli import main
result = CliRunner().invoke(main, sys.argv[1:])
print(json.dumps({{"exit": result.exit_code,
                  "loaded": [m for m in {HEAVY!r} if m in sys.modules]}}))
"""


def loaded_by(*args: str) -> dict[str, object]:
    out = subprocess.run(
        [sys.executable, "-c", PROBE, *args], capture_output=True, text=True, check=True
    )
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def test_help_imports_no_heavy_library() -> None:
    assert loaded_by("--help") == {"exit": 0, "loaded": []}


def test_a_question_on_a_store_loads_no_pandas_pyarrow_or_boto3(tmp_path: Path) -> None:
    from bot.costs.store import CostStore

    CostStore(tmp_path / "c.db").close()
    result = loaded_by("cost", "--db", str(tmp_path / "c.db"), "by", "service")
    assert not {"pandas", "pyarrow", "boto3", "botocore"} & set(result["loaded"])  # type: ignore[arg-type]


def test_sqlite_utils_works_without_pandas_for_the_store(tmp_path: Path) -> None:
    out = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys; from bot.costs.store import CostStore; "
            f"s = CostStore({str(tmp_path / 'x.db')!r}); "
            "s.db['t'].insert({'a': 1}); print(s.db['t'].count, 'pandas' in sys.modules)",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout.split() == ["1", "False"]
