"""Ask back when a question has several readings: say why, and offer one button per reading.

A wrong answer given with confidence is worse than a question, so when the
reader cannot tell (a word that is both a team and a project, a tag key spelled
like a dimension, values that differ only in case) it shows the two or three
readings it sees. Each button's value is the question text of one reading (as
the regroup buttons carry theirs), so a click simply asks that question.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bot.blocks import ids
from bot.blocks.limits import MAX_BUTTON_TEXT, truncate
from bot.blocks.mrkdwn import code, context, fit, one_line, section

MAX_READINGS = 3


def ask_back_blocks(
    reason: str, readings: Sequence[tuple[str, str]], *, question: str = ""
) -> list[dict[str, Any]]:
    """Build the message asking which reading is meant (at most three buttons)."""
    blocks: list[dict[str, Any]] = [section(f":thinking_face: {fit(one_line(reason), 1500)}")]
    buttons: list[dict[str, Any]] = []
    lines: list[str] = []
    for label, text in readings[:MAX_READINGS]:
        lines.append(f"• {fit(one_line(label), 200)}: /cost {code(text, 300)}")
        if not ids.fits_value(text):
            continue
        buttons.append(
            {
                "type": "button",
                "text": {"type": "plain_text", "text": truncate(one_line(label), MAX_BUTTON_TEXT)},
                "action_id": ids.pick_reading_id(len(buttons)),
                "value": text,
            }
        )
    if lines:
        blocks.append(section("\n".join(lines)))
    if buttons:
        blocks.append({"type": "actions", "elements": buttons})
    if question.strip():
        blocks.append(context(f"/cost {code(question, 300)}"))
    return blocks
