"""Plain-text renderings for the terminal: cost answers, ingest summaries, help."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from bot.costs.model import MEASURE_LABELS, CostAnswer, complete_through
from bot.money import format_change, format_money, share_text

if TYPE_CHECKING:
    from bot.costs.ingest import IngestResult

KEY_WIDTH = 60  # a longer group key is cut with "…"


@dataclass(frozen=True)
class TextTable:
    """Cells of a table, rendered plain (:func:`plain_table`) or by rich on a terminal."""

    headers: tuple[str, ...]
    right: tuple[bool, ...]  # right-aligned columns (figures)
    rows: list[tuple[str, ...]] = field(default_factory=list)


TableRenderer = Callable[[TextTable], str]


def plain_table(table: TextTable, indent: str = "  ") -> str:
    """Align every column to its widest cell or header, whatever the header's length."""
    widths = [max([len(h)] + [len(r[i]) for r in table.rows]) for i, h in enumerate(table.headers)]

    def line(cells: tuple[str, ...]) -> str:
        parts = [
            c.rjust(w) if right else c.ljust(w)
            for c, w, right in zip(cells, widths, table.right, strict=True)
        ]
        return (indent + "  ".join(parts)).rstrip()

    return "\n".join([line(table.headers), *(line(r) for r in table.rows)])


def answer_text(answer: CostAnswer, render_table: TableRenderer = plain_table) -> str:
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
        lines += ["", render_table(group_table(answer))]
    lines += ["", complete_through(answer.data_through)]
    return "\n".join(lines)


def group_table(answer: CostAnswer) -> TextTable:
    """The answer's groups as cells: key, cost, share, change."""
    q = answer.query
    cur = answer.currency
    table = TextTable((q.group_by or "group", "cost", "share", "change"), (False, True, True, True))
    base = answer.all_spend if q.untagged is not None and not q.group_by else answer.total
    for g in answer.groups:
        key = g.key if len(g.key) <= KEY_WIDTH else g.key[: KEY_WIDTH - 1] + "…"
        chg = format_change(g.cost, g.previous) if g.previous is not None else ""
        table.rows.append((key, format_money(g.cost, cur), share_text(g.cost, base), chg))
    return table


def ingest_text(
    result: IngestResult,
    render_table: TableRenderer = plain_table,
    currencies: Mapping[tuple[str, str, str], str] | None = None,
) -> str:
    """Summarise an ingest per billing period and provider, then list bad rows.

    ``currencies`` maps (provider, billing account, billing period) to the delivery's
    currency, so amounts are never shown with a ``$`` they do not have.
    """
    out = []
    for f in result.files:
        extra = f", {f.rows_skipped} skipped" if f.rows_skipped else ""
        out.append(f"read {f.file} ({f.format}): {f.rows_read} rows{extra}")
        out += [f"  note: {n}" for n in f.notes]
    out += [f"note: {n}" for n in result.notes]
    table = TextTable(
        ("period", "provider", "account", "lines", "billed", "effective", "skipped", ""),
        (False, False, False, True, True, True, True, False),
    )
    for d in result.deliveries:
        cur = (currencies or {}).get((d.provider, d.billing_account, d.billing_period), "USD")
        table.rows.append(
            (
                d.billing_period,
                d.provider,
                d.billing_account,
                str(d.lines),
                format_money(d.billed, cur),
                format_money(d.effective, cur),
                str(d.rows_skipped),
                f"(replaced {', '.join(d.replaced_exports)}: the same charges)"
                if d.replaced_exports
                else "(replaced this export's earlier delivery)"
                if d.replaced
                else "",
            )
        )
    if not any(row[-1] for row in table.rows):  # no notes: no empty last column
        table = TextTable(table.headers[:-1], table.right[:-1], [r[:-1] for r in table.rows])
    out += ["", render_table(table)]
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
