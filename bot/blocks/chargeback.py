"""Block Kit for a chargeback: a summary, the table as monospace text, a note on the CSV."""

from __future__ import annotations

from typing import Any

from bot.blocks.limits import MAX_HEADER_TEXT, MAX_SECTION_TEXT, truncate
from bot.blocks.mrkdwn import context, escape, header, section
from bot.economics_report import chargeback_summary, chargeback_table
from bot.insights.chargeback import Chargeback

MAX_TABLE_ROWS = 20
"""Rows shown in the message; the uploaded CSV always holds them all."""


def chargeback_blocks(cb: Chargeback, *, csv_note: str | None = None) -> list[dict[str, Any]]:
    """Build the message: header, the reconciled table, and what it is (measure, rules)."""
    rows = MAX_TABLE_ROWS
    while True:
        table = escape(chargeback_table(cb, max_rows=rows).replace("`", "ˋ"))
        text = f"```{table}```"
        if len(text) <= MAX_SECTION_TEXT or rows <= 1:
            break
        rows = max(1, rows // 2)
    blocks: list[dict[str, Any]] = [
        header(truncate(f"Chargeback {cb.month} by {cb.by}", MAX_HEADER_TEXT)),
        section(truncate(text, MAX_SECTION_TEXT)),
        context(truncate(escape(chargeback_summary(cb)), MAX_SECTION_TEXT)),
    ]
    if csv_note:
        blocks.append(context(truncate(escape(csv_note), MAX_SECTION_TEXT)))
    return blocks
