"""Idle GPU findings as ticket findings (issue 14's port): ids ``idle:<account>:<region>:<id>``."""

from __future__ import annotations

from bot.costs.store import CostStore
from bot.state.findings import get_finding
from bot.tickets.findings import FindingContext

PREFIX = "idle"


class IdleFindingSource:
    """Look idle findings up in the store for the ticket flow."""

    def __init__(self, store: CostStore) -> None:
        self.store = store

    def lookup(self, finding_id: str) -> FindingContext | None:
        """Return the finding's ticket context, or None when the store has no such finding."""
        stored = get_finding(self.store, finding_id)
        if stored is None:
            return None
        f = stored.finding
        tags = {k: v for k, v in (("team", f.team), ("owner", f.owner)) if v}
        if f.environment:
            tags["environment"] = f.environment
        return FindingContext(
            finding_id=f.id,
            kind=f.kind,
            title=f"{f.kind}: {f.resource_id} ({f.instance_type}) in {f.region}",
            what_happened=(
                f"{f.resource_id} ({f.instance_type}{', ' + f.gpu_model if f.gpu_model else ''}) "
                f"has been {f.kind} since {f.idle_since:%Y-%m-%d %H:%M} UTC at {f.hourly_text()} "
                f"(confidence {f.confidence})."
            ),
            recommended_action=f.explanation,
            ref=f.id,
            resource_id=f.resource_id,
            account=f.account,
            region=f.region,
            tags=tags,
            impact=f.daily,
            impact_label="per day if left running",
            observed_at=stored.last_seen,
        )
