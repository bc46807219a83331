"""Where the vendored specifications live (harness/specs/README.md), and where they must not."""

from __future__ import annotations

import os
from pathlib import Path

TESTS = Path(__file__).resolve().parent
SPECS = TESTS / "harness" / "specs"
FOCUS_EXAMPLES = SPECS / "focus" / "examples"
# ../shared beside the repository: a user's clone has none, so no test may read it.
BESIDE = os.path.join(os.path.dirname(TESTS), os.pardir, "shared")
BESIDE = os.path.abspath(BESIDE)
