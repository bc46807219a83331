"""/cost help, and the reply to a question that could not be read."""

from __future__ import annotations

from typing import Any

from limits_check import assert_escaped, assert_within_block_limits

from bot.blocks.errors import error_blocks
from bot.blocks.help import help_blocks


def texts(blocks: list[dict[str, Any]]) -> str:
    out: list[str] = []
    for block in blocks:
        if block["type"] in ("header", "section"):
            out.append(block["text"]["text"])
        elif block["type"] == "context":
            out += [e["text"] for e in block["elements"]]
    return "\n".join(out)


def test_help_shows_the_grammar_and_the_users_own_examples() -> None:
    blocks = help_blocks(["cost-center", "team"], ["cost-center fin-42", "by cost-center"])
    text = texts(blocks)
    assert blocks[0]["type"] == "header"
    assert "[by DIM]" in text
    assert "`last 30d`" in text
    assert "`measure billed`" in text
    assert "• /cost `cost-center fin-42`" in text
    assert "• /cost `by cost-center`" in text
    assert "Tag keys in your bill: `cost-center`, `team`" in text
    assert "Did you mean" not in text
    assert_within_block_limits(blocks)


def test_an_error_leads_and_suggestions_follow() -> None:
    blocks = help_blocks(
        ["team"],
        ["team ai-research"],
        error="I don't know `tem`: it is neither a word of the grammar nor a tag key in the bill.",
        suggestions=["team", 'team "ai research"'],
    )
    assert blocks[0]["text"]["text"].startswith(
        ":warning: I could not read that: I don't know `tem`"
    )
    assert blocks[1]["text"]["text"] == 'Did you mean: `team`, `team "ai research"`?'
    assert_within_block_limits(blocks)


def test_error_and_suggestions_are_escaped() -> None:
    blocks = help_blocks(
        ["<k>"], ["team <x>"], error="no `team` with value `<!here>&`", suggestions=["team <!here>"]
    )
    assert_escaped(blocks)
    text = texts(blocks)
    assert "`&lt;!here&gt;&amp;`" in text
    assert "Did you mean: `team &lt;!here&gt;`?" in text


def test_many_tag_keys_end_with_and_n_more() -> None:
    keys = [f"key-{i:04d}-{'x' * 40}" for i in range(500)]
    blocks = help_blocks(keys, [])
    footer = blocks[-1]["elements"][0]["text"]
    assert footer.startswith("Tag keys in your bill: `key-0000-")
    assert footer.endswith("more")
    assert "… and 4" in footer
    assert_within_block_limits(blocks)


def test_no_tag_keys_says_how_to_get_some() -> None:
    assert "No tag keys in the bill yet" in texts(help_blocks([], []))


def test_error_blocks_say_what_failed_and_what_to_do_without_a_traceback() -> None:
    failure = (
        "Slack refused to post the answer (not_in_channel).\n"
        'Traceback (most recent call last):\n  File "x.py", line 1\nValueError: <secret>'
    )
    blocks = error_blocks(failure, "Invite me with `/invite @costbot`, then share again.")
    assert blocks == [
        {
            "type": "section",
            "text": {
                "type": "mrkdwn",
                "text": ":warning: Slack refused to post the answer (not_in_channel).",
            },
        },
        {
            "type": "context",
            "elements": [
                {"type": "mrkdwn", "text": "Invite me with `/invite @costbot`, then share again."}
            ],
        },
    ]
    assert "Traceback" not in texts(blocks)


def test_error_blocks_escape_and_never_come_out_empty() -> None:
    blocks = error_blocks("<!channel> & co", "")
    assert blocks[0]["text"]["text"] == ":warning: &lt;!channel&gt; &amp; co"
    assert blocks[1]["elements"][0]["text"] == "Try again in a minute."
    assert_within_block_limits(error_blocks("", "\n\n"))
