"""Slack's Block Kit limits, and the helpers that keep every builder inside them.

Slack rejects a whole message (``invalid_blocks``) when one text is a character
too long, so builders never trust data to be short: tag values, account names
and resource IDs come from billing exports and can be anything.

Lengths are measured in UTF-16 code units (:func:`slack_len`), which is never
less than the number of code points; Slack does not document which of the two
it counts, so counting the larger keeps an emoji-heavy text safe either way.
"""

from __future__ import annotations

from typing import Any

# -- Slack's documented limits (docs.slack.dev, "Block Kit" reference) --------------------------

# "You can include up to 50 blocks in each message, and 100 blocks in modals or Home tabs."
# https://docs.slack.dev/reference/block-kit/blocks
MAX_MESSAGE_BLOCKS = 50
MAX_VIEW_BLOCKS = 100

# Section block: "text … Maximum length for the text in this field is 3000 characters";
# "fields … Maximum number of items is 10. Maximum length for the text in each item is 2000".
# https://docs.slack.dev/reference/block-kit/blocks/section-block
MAX_SECTION_TEXT = 3000
MAX_SECTION_FIELDS = 10
MAX_FIELD_TEXT = 2000

# Text object: "The minimum length is 1 and maximum length is 3000 characters." Applies to
# every text object, e.g. the mrkdwn elements of a context block.
# https://docs.slack.dev/reference/block-kit/composition-objects/text-object
MAX_TEXT_OBJECT = 3000

# Header block: "plain_text text object. Maximum length for the text in this field is 150".
# https://docs.slack.dev/reference/block-kit/blocks/header-block
MAX_HEADER_TEXT = 150

# Button element: text "Maximum length … is 75 characters" (and "may truncate with ~30"),
# action_id "Maximum length is 255 characters", value "Maximum length is 2000 characters".
# https://docs.slack.dev/reference/block-kit/block-elements/button-element
MAX_BUTTON_TEXT = 75
MAX_ACTION_ID = 255
MAX_BUTTON_VALUE = 2000

# Every block: "block_id … Maximum length for this field is 255 characters."
# https://docs.slack.dev/reference/block-kit/blocks/header-block (same wording on each block)
MAX_BLOCK_ID = 255

# Context block: "elements … image elements and text objects. Maximum number of items is 10."
# https://docs.slack.dev/reference/block-kit/blocks/context-block
MAX_CONTEXT_ELEMENTS = 10

# Actions block: "There is a maximum of 25 elements in each action block."
# https://docs.slack.dev/reference/block-kit/blocks/actions-block
MAX_ACTIONS_ELEMENTS = 25

# Top-level ``text`` of a message: "The `text` field accepts up to 40,000 characters" (longer
# texts are truncated with a ``message_truncated`` warning).
# https://api.slack.com/changelog/2018-04-truncating-really-long-messages
MAX_MESSAGE_TEXT = 40_000

# -- Undocumented, observed -------------------------------------------------------------------

# chat.postMessage answers ``msg_blocks_too_long`` when the texts of all blocks together pass
# roughly 12,000 characters, although no single block is too long (Slack staff in
# slackapi/bolt-js#2509; measurements in slackapi/bolt-js#2867). Builders stay well below.
MESSAGE_TEXT_BUDGET = 10_000

ELLIPSIS = "…"


def slack_len(text: str) -> int:
    """Return the length Slack may count: UTF-16 code units (astral characters count twice)."""
    return len(text) + sum(1 for c in text if ord(c) > 0xFFFF)


def truncate(text: str, limit: int) -> str:
    """Shorten ``text`` to at most ``limit`` (see :func:`slack_len`), ending with "…" if cut."""
    if limit < 1:
        raise ValueError("limit must be at least 1")
    if slack_len(text) <= limit:
        return text
    room = limit - slack_len(ELLIPSIS)
    out: list[str] = []
    used = 0
    for c in text:
        size = 2 if ord(c) > 0xFFFF else 1
        if used + size > room:
            break
        out.append(c)
        used += size
    return "".join(out) + ELLIPSIS


def more_context(hidden: int, noun: str = "more") -> dict[str, Any]:
    """Build the context block that says how many rows were left out."""
    return {
        "type": "context",
        "elements": [{"type": "mrkdwn", "text": f"…and {hidden:,} {noun}"}],
    }


def fit_blocks(
    blocks: list[dict[str, Any]], limit: int = MAX_MESSAGE_BLOCKS, *, keep_tail: int = 0
) -> list[dict[str, Any]]:
    """Return ``blocks`` cut to ``limit``: drop rows and end them with "…and N more".

    ``keep_tail`` blocks at the end (a footer: context, buttons) always survive;
    the rows dropped are the last ones before that footer, so the most
    important rows (they come first) stay.
    """
    if len(blocks) <= limit:
        return list(blocks)
    if limit < 2 or keep_tail > limit - 2:
        raise ValueError("limit must leave room for one row and the '…and N more' line")
    tail = blocks[len(blocks) - keep_tail :] if keep_tail else []
    body = blocks[: len(blocks) - keep_tail]
    keep = limit - 1 - len(tail)
    hidden = len(body) - keep
    return [*body[:keep], more_context(hidden), *tail]
