"""What the sync tests share: the fixed clock and the sample org's span."""

from __future__ import annotations

from datetime import UTC, date, datetime

NOW = datetime(2024, 10, 21, 12, 0, tzinfo=UTC)  # the default window: 2024-09-01..2024-10-20
TRUTH_END = date(2024, 10, 20)
