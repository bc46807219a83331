"""The Block Kit checks catch what Slack refuses and pass what it accepts."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from .block_kit import SECTION_TEXT, message_block_errors, view_errors


def mrkdwn_section(text: str) -> dict[str, Any]:
    """Build a section block with mrkdwn text."""
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


@given(st.integers(min_value=1, max_value=2 * SECTION_TEXT))
def test_section_text_is_accepted_exactly_up_to_3000_characters(length: int) -> None:
    errors = message_block_errors([mrkdwn_section("x" * length)])
    assert (errors == []) == (length <= SECTION_TEXT)


def test_markdown_blocks_share_one_12000_character_budget() -> None:
    half = {"type": "markdown", "text": "m" * 6000}
    assert message_block_errors([half, half]) == []
    assert message_block_errors([half, half, {"type": "markdown", "text": "m"}]) == [
        "markdown blocks exceed 12000 characters in total [json-pointer:/blocks]"
    ]


def test_overflow_menus_hold_at_most_five_options() -> None:
    option = {"text": {"type": "plain_text", "text": "Snooze 1d"}, "value": "snooze:1d"}
    menu = {"type": "overflow", "action_id": "more", "options": [option] * 6}
    errors = message_block_errors([{"type": "actions", "elements": [menu]}])
    assert errors == ["no more than 5 items allowed [json-pointer:/blocks/0/elements/0/options]"]


def test_duplicate_action_ids_in_one_block_are_refused() -> None:
    stop = {"type": "button", "action_id": "stop", "text": {"type": "plain_text", "text": "Stop"}}
    errors = message_block_errors([{"type": "actions", "elements": [stop, stop]}])
    assert errors == ["duplicate action_id 'stop' [json-pointer:/blocks/0/elements/1]"]


def test_unknown_block_types_and_empty_text_are_refused() -> None:
    errors = message_block_errors([{"type": "sectoin"}, mrkdwn_section("")])
    assert errors == [
        "unsupported type: 'sectoin' [json-pointer:/blocks/0/type]",
        "must be more than 0 characters [json-pointer:/blocks/1/text/text]",
    ]


def test_modal_with_an_input_block_needs_a_submit_button() -> None:
    field = {
        "type": "input",
        "label": {"type": "plain_text", "text": "Budget"},
        "element": {"type": "plain_text_input", "action_id": "budget"},
    }
    title = {"type": "plain_text", "text": "Set budget"}
    modal = {"type": "modal", "title": title, "blocks": [field]}
    assert view_errors(modal, ["modal"]) == [
        "submit is required when the view has input blocks [json-pointer:/view]"
    ]
    submit = {"type": "plain_text", "text": "Save"}
    assert view_errors({**modal, "submit": submit}, ["modal"]) == []
