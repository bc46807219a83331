"""Bills for tests that are not about ingestion itself."""

from __future__ import annotations

import json
import sys
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent / "costs"))

from builders import focus_row, write_csv

TEAMS = {"ai-research": "100.00", "ml-platform": "10.50", "data-eng": "1.25"}


def focus_bill(
    path: Path,
    *,
    bad_row: bool = False,
    end: date = date(2024, 10, 14),
    project: str | None = None,
) -> Path:
    """Write Sept 1 – ``end`` 2024: three teams at a flat daily cost, plus $2/day untagged S3.

    ``project`` also tags the teams' instances with that project.
    """
    rows = []
    day = date(2024, 9, 1)
    while day <= end:
        for team, cost in TEAMS.items():
            tags = {"team": team, **({"project": project} if project else {})}
            rows.append(
                focus_row(day.isoformat(), cost, tags=json.dumps(tags), resource=f"i-{team}")
            )
        rows.append(
            focus_row(
                day.isoformat(),
                "2.00",
                effective="1.00",
                tags="{}",
                service="Amazon Simple Storage Service",
                resource="bucket",
            )
        )
        day += timedelta(days=1)
    if bad_row:
        rows[2]["BilledCost"] = "12,50"
    return write_csv(path, rows)
