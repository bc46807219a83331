"""A clone of the repository alone passes its tests: nothing under tests/ points at ../shared."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from vendored import BESIDE, SPECS

TESTS = Path(__file__).resolve().parent
# A path built towards a "shared" folder outside the repository: "../shared", / "shared" ...
OUTSIDE = re.compile(
    r"""\.\./shared|/\s*["']shared["']|["']shared["']\s*/|join\([^)]*["']shared["']"""
)
GUARDS = {TESTS / "conftest.py", TESTS / "vendored.py", Path(__file__).resolve()}


def test_no_test_source_builds_a_path_to_shared() -> None:
    offenders = [
        f"{path.relative_to(TESTS)}:{number}: {line.strip()}"
        for path in sorted(TESTS.rglob("*.py"))
        if path not in GUARDS
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if OUTSIDE.search(line)
    ]
    assert offenders == []


def test_the_pattern_catches_the_old_ways_of_reaching_shared() -> None:
    old = [
        'Path(__file__).resolve().parents[3] / "shared" / "specs"',
        'SHARED = Path(__file__).resolve().parents[2] / "shared"',
        'open("../shared/specs/cur2_columns.tsv")',
        "os.path.join(root, 'shared', 'specs')",
    ]
    assert all(OUTSIDE.search(line) for line in old)
    words = ['modes = ["shared", "private"]', 'kind = "shared"', "shared_by = 'U1'"]
    assert not any(OUTSIDE.search(line) for line in words)  # a word is not a path


def test_reading_beside_the_repository_fails_even_where_it_exists(tmp_path: Path) -> None:
    with pytest.raises(PermissionError, match="must not read"):
        open(os.path.join(BESIDE, "specs", "README.md"))  # noqa: SIM115
    with pytest.raises(PermissionError, match="must not read"):
        os.listdir(BESIDE)


def test_the_vendored_specs_are_in_the_repository() -> None:
    for name in ("slack_web_methods.json", "focus/columns.tsv", "cur2_columns.tsv", "README.md"):
        assert (SPECS / name).is_file(), name
    assert len(list((SPECS / "focus" / "examples").rglob("*.csv"))) == 26
