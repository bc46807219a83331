"""Block Kit for hints and unit costs: one section per hint, unit costs as monospace text."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from bot.blocks.limits import MAX_HEADER_TEXT, MAX_MESSAGE_BLOCKS, MAX_SECTION_TEXT, truncate
from bot.blocks.mrkdwn import context, escape, header, pack, section
from bot.economics_report import unit_text
from bot.insights.hints import Hint
from bot.money import format_money

if TYPE_CHECKING:
    from bot.economics import UnitReport

MAX_HINTS = 10


def hints_blocks(
    hints: Sequence[Hint], *, period: str, notes: Sequence[str] = (), team: str | None = None
) -> list[dict[str, Any]]:
    """Build the hints message: a header with the total, one section per hint, notes."""
    total = sum(h.monthly_saving for h in hints)
    title = f"Hints{f' for {team}' if team else ''}: about {format_money(total)}/month to save"
    blocks: list[dict[str, Any]] = [header(truncate(title, MAX_HEADER_TEXT))]
    if not hints:
        blocks.append(section("Nothing in the bill stands out for the last 30 days."))
    for i, h in enumerate(hints[:MAX_HINTS], 1):
        text = (
            f"*{i}. {format_money(h.monthly_saving)}/month* {escape(h.title)} "
            f"_({h.confidence} confidence)_\n"
            + "\n".join(f"• {escape(e)}" for e in h.evidence)
            + f"\n_source: {escape(h.source)}_"
        )
        blocks.append(section(truncate(text, MAX_SECTION_TEXT)))
    if len(hints) > MAX_HINTS:
        blocks.append(context(f"…and {len(hints) - MAX_HINTS} more: `costbot hints`"))
    blocks.append(context(escape(f"From the bill, {period}."), *(escape(n) for n in notes[:3])))
    return blocks[:MAX_MESSAGE_BLOCKS]


def unit_blocks(report: UnitReport) -> list[dict[str, Any]]:
    """Build the unit-cost message: the table as monospace text, split to fit sections."""
    blocks: list[dict[str, Any]] = [header("Unit costs")]
    for chunk in pack(
        escape(unit_text(report).replace("`", "ˋ")).splitlines(), MAX_SECTION_TEXT - 6
    ):
        blocks.append(section(f"```{chunk}```"))
    return blocks[:MAX_MESSAGE_BLOCKS]
