"""Plain-text renderings of chargebacks, hints and unit costs (terminal and Slack code blocks)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from bot.insights.chargeback import Chargeback
from bot.insights.hints import Hint
from bot.insights.unit_costs import GpuSpend
from bot.money import format_money

if TYPE_CHECKING:
    from bot.economics import UnitReport

UNTAGGED_LABEL = "(untagged)"


def chargeback_table(cb: Chargeback, *, max_rows: int | None = None) -> str:
    """Render the chargeback as an aligned table with a TOTAL line that reconciles."""
    head = [cb.by, "direct", *cb.columns, "total"]
    rows = list(cb.rows)
    hidden = 0
    if max_rows is not None and len(rows) > max_rows:
        hidden = len(rows) - max_rows
        rows = rows[:max_rows]
    body: list[list[str]] = []
    for r in rows:
        body.append(
            [
                UNTAGGED_LABEL if r.team is None else r.team,
                _money(r.direct, cb.currency),
                *(_money(r.shared[c], cb.currency) for c in cb.columns),
                _money(r.total, cb.currency),
            ]
        )
    if hidden:
        rest = cb.rows[len(rows) :]
        body.append(
            [
                f"… {hidden} more",
                _money(sum(r.direct for r in rest), cb.currency),
                *(_money(sum(r.shared[c] for r in rest), cb.currency) for c in cb.columns),
                _money(sum(r.total for r in rest), cb.currency),
            ]
        )
    total = [
        "TOTAL",
        _money(sum(r.direct for r in cb.rows), cb.currency),
        *(_money(sum(r.shared[c] for r in cb.rows), cb.currency) for c in cb.columns),
        _money(cb.total, cb.currency),
    ]
    return _align([head, *body, total])


def chargeback_summary(cb: Chargeback) -> str:
    """Say what the table is: month, measure, rules, how untagged spend and rounding went."""
    untagged = (
        "untagged spend is its own line"
        if cb.untagged_mode == "line"
        else "untagged spend is split like a shared cost"
    )
    partial = "" if cb.complete else " (month not complete yet: figures so far)"
    return (
        f"Chargeback {cb.month}{partial}: {format_money(cb.total * 10_000_000, cb.currency)} "
        f"{cb.measure} cost by {cb.by}; shared: {', '.join(cb.columns) or 'none'} "
        f"(rules: {cb.rules_source}); {untagged}. Rows add up to the bill to the cent; "
        "leftover cents go to the largest remainders, ties alphabetically."
    )


def _money(cents: int, currency: str) -> str:
    return format_money(cents * 10_000_000, currency)


def _align(rows: Sequence[Sequence[str]]) -> str:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = []
    for r in rows:
        cells = [r[0].ljust(widths[0])] + [
            c.rjust(w) for c, w in zip(r[1:], widths[1:], strict=True)
        ]
        lines.append("  ".join(cells).rstrip())
    return "\n".join(lines)


def hints_text(hints: Sequence[Hint], *, limit: int | None = None) -> str:
    """Render ranked hints: saving, title, confidence, evidence and source."""
    if not hints:
        return "No hints: nothing in the last 30 days of the bill stands out."
    shown = list(hints[:limit] if limit else hints)
    total = sum(h.monthly_saving for h in hints)
    lines = [f"{len(hints)} hints, together about {format_money(total)}/month:"]
    for i, h in enumerate(shown, 1):
        lines.append(f"{i:>2}. {format_money(h.monthly_saving)}/month  {h.title}  [{h.confidence}]")
        lines.extend(f"      · {e}" for e in h.evidence)
        lines.append(f"      source: {h.source}")
    if len(shown) < len(hints):
        lines.append(f"   …and {len(hints) - len(shown)} more")
    return "\n".join(lines)


def unit_text(report: UnitReport) -> str:
    """Render unit costs: endpoints ($/1k inferences), runs and team GPU spend."""
    lines = [f"Unit costs {report.start} – {report.end}"]
    if report.endpoints:
        lines.append("\nSageMaker endpoints ($ per 1,000 inferences):")
        for u in report.endpoints:
            per = u.per_1000
            flag = "  ABOVE TARGET" if u.over_target else ""
            calls = "no metrics" if u.invocations is None else f"{u.invocations:,} invocations"
            shown = "–" if per is None else format_money(per)
            lines.append(
                f"  {u.endpoint.name:<28} {format_money(u.endpoint.cost):>14}  {calls:>22}  "
                f"{shown:>10}/1k{flag}"
            )
    if report.runs:
        lines.append("\nTraining runs and experiments:")
        for r in report.runs:
            lines.append(_gpu_line(f"{r.kind}={r.name}", r))
    if report.teams:
        lines.append("\nGPU spend per team:")
        for t in report.teams:
            lines.append(_gpu_line(t.name, t))
    if report.efficiency:
        lines.append("\nGPU efficiency per team (busy / paid GPU-hours, idle $):")
        for e in report.efficiency:
            lines.append(
                f"  {e.team or '(untagged)':<36} {float(e.busy_share) * 100:>5.1f} % busy of "
                f"{float(e.paid_gpu_hours):,.0f} GPU-h  idle {format_money(e.idle_cost)}"
            )
    lines.extend(f"\nnote: {n}" for n in report.notes)
    return "\n".join(lines)


def _gpu_line(label: str, s: GpuSpend) -> str:
    per = s.per_gpu_hour
    rate = "–" if per is None else f"{format_money(per)}/GPU-h"
    return (
        f"  {label:<36} {format_money(s.cost):>14}  {float(s.gpu_hours):>10,.1f} GPU-h  {rate:>14}"
    )
