"""Asking back: the reason, one line and one button per reading, values that re-ask."""

from __future__ import annotations

from limits_check import assert_escaped, assert_within_block_limits

from bot.blocks import ids
from bot.blocks.ask_back import ask_back_blocks


def test_one_button_per_reading_carrying_its_question() -> None:
    blocks = ask_back_blocks(
        "`vision` is a `team` tag and a `project` tag in the bill: which one do you mean?",
        [
            ("team vision", "team vision last month"),
            ("project vision", "project vision last month"),
        ],
        question="vision last month",
    )
    assert_within_block_limits(blocks, 50)
    (actions,) = [b for b in blocks if b["type"] == "actions"]
    assert [(e["action_id"], e["value"]) for e in actions["elements"]] == [
        (ids.pick_reading_id(0), "team vision last month"),
        (ids.pick_reading_id(1), "project vision last month"),
    ]
    assert all(ids.PICK_READING_PATTERN.match(e["action_id"]) for e in actions["elements"])


def test_at_most_three_readings_and_everything_escaped() -> None:
    readings = [(f"<!channel> {i}", f"team t{i}") for i in range(5)]
    blocks = ask_back_blocks("<b>which</b> & why", readings)
    assert_escaped(blocks)
    (actions,) = [b for b in blocks if b["type"] == "actions"]
    assert len(actions["elements"]) == 3


def test_a_reading_too_long_for_a_button_is_still_listed() -> None:
    long_text = "team " + "x" * 3000
    blocks = ask_back_blocks("which?", [("long", long_text)])
    assert not [b for b in blocks if b["type"] == "actions"]
    assert "long" in blocks[1]["text"]["text"]
