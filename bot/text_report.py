"""Plain-text renderings for the terminal: cost answers, ingest summaries, help."""

from __future__ import annotations

from bot.costs.ingest import IngestResult
from bot.costs.model import MEASURE_LABELS, CostAnswer, complete_through
from bot.money import format_change, format_money, share_text


def answer_text(answer: CostAnswer) -> str:
    """Render an answer as a readable table."""
    cur = answer.currency
    q = answer.query
    lines = [
        f"{q.describe()}",
        f"I read this as: {answer.reading()}",
        *(f"note: {n}" for n in answer.notes),
        f"{answer.start.isoformat()} – {answer.end.isoformat()} · {MEASURE_LABELS[answer.measure]}",
        "",
    ]
    label = "Untagged" if q.untagged is not None else "Total"
    change = format_change(answer.total, answer.previous_total)
    lines.append(
        f"{label:<10}{format_money(answer.total, cur):>18}   {change} vs "
        f"{format_money(answer.previous_total, cur)} "
        f"({answer.previous_start.isoformat()} – {answer.previous_end.isoformat()})"
    )
    if q.untagged is not None:
        lines.append(
            f"{'Share':<10}{share_text(answer.total, answer.all_spend):>18}   of "
            f"{format_money(answer.all_spend, cur)} (untagged = missing "
            f"{' or '.join(answer.untagged_keys)})"
        )
    if answer.groups:
        width = min(max(len(g.key) for g in answer.groups), 60)
        header = q.group_by or "group"
        lines += ["", f"  {header:<{width}}  {'cost':>16}  {'share':>8}  {'change':>9}"]
        base = answer.all_spend if q.untagged is not None and not q.group_by else answer.total
        for g in answer.groups:
            key = g.key if len(g.key) <= width else g.key[: width - 1] + "…"
            chg = format_change(g.cost, g.previous) if g.previous is not None else ""
            lines.append(
                f"  {key:<{width}}  {format_money(g.cost, cur):>16}  "
                f"{share_text(g.cost, base):>8}  {chg:>9}"
            )
    lines += ["", complete_through(answer.data_through)]
    return "\n".join(lines)


def ingest_text(result: IngestResult) -> str:
    """Summarise an ingest per billing period and provider, then list bad rows."""
    out = []
    for f in result.files:
        extra = f", {f.rows_skipped} skipped" if f.rows_skipped else ""
        out.append(f"read {f.file} ({f.format}): {f.rows_read} rows{extra}")
        out += [f"  note: {n}" for n in f.notes]
    out += [f"note: {n}" for n in result.notes]
    out.append("")
    out.append(
        f"{'period':<8} {'provider':<10} {'account':<14} {'lines':>10} {'billed':>16} "
        f"{'effective':>16} {'skipped':>8}"
    )
    for d in result.deliveries:
        out.append(
            f"{d.billing_period:<8} {d.provider[:10]:<10} {d.billing_account[:14]:<14} "
            f"{d.lines:>10} {format_money(d.billed):>16} {format_money(d.effective):>16} "
            f"{d.rows_skipped:>8}"
            + (
                f"  (replaced {', '.join(d.replaced_exports)}: the same charges)"
                if d.replaced_exports
                else "  (replaced this export's earlier delivery)"
                if d.replaced
                else ""
            )
        )
    exports: dict[str, list[str]] = {}
    for d in result.deliveries:
        exports.setdefault(d.export, []).append(d.billing_period)
    for export, periods in exports.items():
        out.append(f"  export {export or '(none)'}: {', '.join(sorted(set(periods)))}")
    bad = [b for f in result.files for b in f.bad_rows]
    if bad:
        out += ["", f"{result.rows_skipped} bad row(s) skipped; the first {len(bad)}:"]
        out += [f"  {b}" for b in bad]
    rate = result.rows_read / result.seconds if result.seconds else 0
    out += ["", f"{result.rows_read} rows in {result.seconds:.2f} s ({rate:,.0f} rows/s)"]
    return "\n".join(out)
