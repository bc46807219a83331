"""Digest sections that other areas contribute: idle GPUs (issue 13), costbot's own API spend
(issue 15). :func:`register_digest_sections` adds them when a digest is first built
(:func:`bot.insights.views.digest_of`), so the digest module itself knows none of those areas.
"""

from __future__ import annotations

from bot.insights.digest import DigestInputs, DigestSection, register_section
from bot.insights.idle import UNTAGGED, idle_summary
from bot.money import format_money
from bot.state.findings import open_findings
from bot.state.sync import ledger_for
from bot.sync.report import api_spend_line


def idle_gpus_section(inputs: DigestInputs) -> DigestSection | None:
    """Say what idle GPUs burn right now, per team (only the digest's team when it has one)."""
    findings = [s.finding for s in open_findings(inputs.engine.store)]
    team = dict(inputs.filters).get("team")
    if team is not None:
        findings = [f for f in findings if (f.team or UNTAGGED) == team]
    if not findings:
        return None
    summary = idle_summary(findings)
    head = f"{summary.count} idle burning {format_money(summary.hourly)}/h"
    if summary.unpriced:
        head += f" (+{summary.unpriced} price unknown)"
    lines = [head] + [
        f"{name}: {count} · {format_money(hourly)}/h" for name, count, hourly in summary.by_team
    ]
    return DigestSection(key="idle_gpus", title="Idle GPUs", lines=tuple(lines))


def api_spend_section(inputs: DigestInputs) -> DigestSection | None:
    """The digest footer: what costbot's own Cost Explorer and Athena calls cost this month."""
    store = inputs.engine.store
    spend = ledger_for(store.conn).spend_since(inputs.through.replace(day=1))
    if not spend.ce_requests and not spend.athena_bytes:
        return None  # no paid source is synced: nothing to say
    line = api_spend_line(store, inputs.through)
    return DigestSection(key="api_spend", title="costbot's AWS API spend", lines=(line,))


def register_digest_sections() -> None:
    """Add the sections above to every digest (idempotent)."""
    register_section(idle_gpus_section)
    register_section(api_spend_section)
