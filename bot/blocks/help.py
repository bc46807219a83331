"""Render ``/cost help``, and the reply to a question that could not be read.

The examples come from the caller, built from the user's own tag keys and values
(:func:`bot.costs.grammar.examples_for`), because ``team ai-research`` teaches
nothing in an org whose tag is ``cost-center``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bot.blocks.limits import MAX_MESSAGE_BLOCKS, MAX_SECTION_TEXT, fit_blocks, slack_len
from bot.blocks.mrkdwn import code, context, fit, header, one_line, pack, section

MAX_EXAMPLES = 10
MAX_SUGGESTIONS = 5
MAX_TAG_KEYS_TEXT = 1500
"""Characters of the tag-key list; an org with hundreds of keys gets "… and N more"."""

GRAMMAR = "\n".join(
    [
        "`/cost [FILTER …] [by DIM] [PERIOD] [untagged [KEY …]] [top N] [measure M] [share]`",
        "• *FILTER*: a dimension or tag key and a value — `service AmazonEC2`, "
        "`region us-east-1`, `account 123456789012`, `team ai-research`; "
        'quote values with spaces: `project "llm training"`',
        "• *by DIM*: group by `service`, `account`, `region`, `resource`, `sku`, or a tag key",
        "• *PERIOD*: `today`, `yesterday`, `last 7d`, `last 30d`, `mtd` (default), "
        "`last month`, `2024-09`, `2024-09-01..2024-09-15`",
        "• *untagged*: spend missing the allocation tags, or the keys you name: `untagged team`",
        "• *top N*: how many groups to list (1–50, default 10)",
        "• *measure*: `measure effective` (amortized, the default), `measure billed` "
        "(as invoiced), `measure list` (on-demand price)",
        "• *share*: post the answer in the channel instead of only to you",
        "• *who pays, what to change, unit costs*: `/cost chargeback [last month|2024-09] "
        "[by team]`, `/cost hints [team X]`, `/cost unit [endpoint X|team X] [last 30d]`",
        "• `tag:KEY VALUE` / `by tag:KEY` always mean the tag, `dim:NAME` the built-in "
        "dimension (for a tag key named like one, e.g. `service`)",
        "Or just ask: `what did ai-research spend on SageMaker last week?`, "
        "`EC2 costs last 30 days`, `which team spent the most yesterday`, "
        "`untagged spend last month by account`. Every answer says how it read you.",
    ]
)


def help_blocks(
    tag_keys: list[str],
    examples: list[str],
    *,
    error: str | None = None,
    suggestions: Sequence[str] = (),
) -> list[dict[str, Any]]:
    """Build the help message; with ``error``, lead with what was not understood."""
    blocks: list[dict[str, Any]] = []
    if error:
        blocks.append(section(fit(f":warning: I could not read that: {error}", MAX_SECTION_TEXT)))
    if did_you_mean := _did_you_mean(suggestions):
        blocks.append(section(did_you_mean))
    blocks.append(header("How to ask /cost"))
    blocks.append(section(GRAMMAR))
    if examples:
        lines = ["*Examples*"] + [
            f"• /cost {code(e, 300)}" for e in examples[:MAX_EXAMPLES] if e.strip()
        ]
        blocks += [section(t) for t in pack(lines)]
    blocks.append(context(_tag_keys_text(tag_keys)))
    return fit_blocks(blocks, MAX_MESSAGE_BLOCKS, keep_tail=1)


def _did_you_mean(suggestions: Sequence[str]) -> str:
    shown = [code(s, 300) for s in suggestions if s.strip()][:MAX_SUGGESTIONS]
    return "Did you mean: " + ", ".join(shown) + "?" if shown else ""


def _tag_keys_text(tag_keys: Sequence[str]) -> str:
    """List the tag keys found in the bill, cut to a budget with "… and N more"."""
    keys = [k for k in (one_line(k) for k in tag_keys) if k]
    if not keys:
        return "No tag keys in the bill yet: tag resources (e.g. `team`) to ask by team."
    prefix = "Tag keys in your bill: "
    shown: list[str] = []
    used = slack_len(prefix)
    for key in keys:
        item = code(key, 80)
        if used + slack_len(item) + 2 > MAX_TAG_KEYS_TEXT:
            break
        shown.append(item)
        used += slack_len(item) + 2
    text = prefix + ", ".join(shown)
    if len(shown) < len(keys):
        text += f" … and {len(keys) - len(shown):,} more"
    return text
