"""Anomaly alerts as ticket findings (issue 14's port): ids ``anomaly:<12 hex digits>``.

The alert's record (dimension, value, first day, $ impact) comes from the store; the spend
figures (yesterday, month to date, the 14-day trend) are those of the same slice, asked of the
query engine exactly as a ``/cost`` answer's ticket would be.
"""

from __future__ import annotations

from dataclasses import replace

from bot.costs.query import CostQueryEngine
from bot.money import format_money
from bot.state.scheduling import AnomalyAlerts
from bot.tickets.cost_source import CostFindingSource, normalise
from bot.tickets.findings import FindingContext

PREFIX = "anomaly"


class AnomalyFindingSource:
    """Look anomaly alerts up in the store for the ticket flow."""

    def __init__(self, engine: CostQueryEngine, *, default_measure: str) -> None:
        self.engine = engine
        self.default_measure = default_measure
        self.alerts = AnomalyAlerts(engine.store)
        self.costs = CostFindingSource(
            engine, default_measure=default_measure, question_of=lambda _id: None
        )

    def lookup(self, finding_id: str) -> FindingContext | None:
        """Return the anomaly's ticket context, or None when no alert has that id."""
        anomaly_id = finding_id.partition(":")[2].strip()
        alert = self.alerts.get(anomaly_id)
        if alert is None:
            return None
        scope = "" if alert.dimension == "total" else f'{alert.dimension} "{alert.value}"'
        base = self.costs.context(normalise(self.engine, scope, self.default_measure))
        about = "total spend" if not scope else f"{alert.dimension} {alert.value}"
        impact = format_money(alert.impact, base.currency)
        return replace(
            base,
            finding_id=f"{PREFIX}:{anomaly_id}",
            kind="anomaly",
            ref=f"{PREFIX}:{anomaly_id}",
            title=f"Cost anomaly: {about} +{impact} since {alert.start_day}",
            what_happened=(
                f"costbot detected a cost anomaly in {about} starting {alert.start_day} "
                f"(last seen {alert.last_day}): {impact} above what was expected. "
                + base.what_happened
            ),
            recommended_action=(
                f"Find what started on {alert.start_day} in {about} (the alert's root cause "
                "lists the services and resources that moved); stop it if unplanned, or mark "
                "the alert 'Expected' so costbot learns the new level."
            ),
            impact=alert.impact,
            impact_label=f"above expected since {alert.start_day}",
            priority="High",
        )
