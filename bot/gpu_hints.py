"""Idle GPU findings as savings hints for ``costbot hints`` / ``/cost hints`` (issue 16's seam).

Read from the store (the last sweep's open findings), never from AWS, so ranking hints
costs nothing and works without credentials. Protected findings, hidden ones (snoozed,
kept running) and those without a known price are left out.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from bot.economics import register_hint_source
from bot.insights.hints import Hint
from bot.services import Services
from bot.state.findings import open_findings

HOURS_PER_MONTH = 730  # the hints' convention: savings per 730-hour month


@register_hint_source
def idle_gpu_hints(
    services: Services, charges: Sequence[object], start: date, end: date
) -> list[Hint]:
    """Turn each open, actionable, priced finding into a hint (monthly saving = $/h × 730)."""
    now = services.clock()
    hints = []
    for stored in open_findings(services.store):
        f = stored.finding
        if stored.hidden(now) or f.protected or f.hourly is None:
            continue
        verb = "Ask the owner about" if f.kind == "idle-held" else "Stop or remove"
        hints.append(
            Hint(
                kind="idle",
                title=f"{verb} idle {f.instance_type} {f.resource_id} ({f.region})",
                team=f.team,
                monthly_saving=f.hourly * HOURS_PER_MONTH,
                confidence="high" if f.confidence == "high" else "low",
                evidence=(
                    f"{f.kind} since {f.idle_since:%Y-%m-%d %H:%M} UTC",
                    f"{f.hourly_text()} on demand",
                    f.explanation,
                ),
                source="GPU sweep (CloudWatch)",
                resources=(f.resource_id,),
                details={"finding_id": f.id, "action": f.action},
            )
        )
    return hints
