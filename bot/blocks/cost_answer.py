"""Render a :class:`~bot.costs.model.CostAnswer` as a Slack message.

Layout, top to bottom: the question as understood (header), the total and its
change, how it was read ("I read this as: …", with any notes about the reading),
one line per group (or the untagged share), a context line saying which dates,
which measure and how fresh the data is, and buttons that re-ask the question
another way. Everything shown from the bill is escaped and fitted, so
no tag value can break the message or ping a channel.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence
from dataclasses import replace
from datetime import date
from typing import Any

from bot.blocks import ids
from bot.blocks.limits import (
    MAX_BUTTON_TEXT,
    MAX_HEADER_TEXT,
    MAX_MESSAGE_BLOCKS,
    MAX_TEXT_OBJECT,
    fit_blocks,
    slack_len,
    truncate,
)
from bot.blocks.mrkdwn import code, context, escape, fit, header, one_line, pack, section
from bot.blocks.query_text import query_text
from bot.blocks.ticket import ticket_button
from bot.costs.model import (
    MEASURE_LABELS,
    CostAnswer,
    CostQuery,
    GroupCost,
    PeriodSpec,
    complete_through,
)
from bot.money import format_change, format_money, share_text

__all__ = [
    "cost_answer_blocks",
    "cost_answer_text",
    "footer_text",
    "group_lines",
    "query_text",
    "reading_texts",
    "summary_text",
]

MAX_NOTES = 4

MAX_KEY_CHARS = 80
"""A group key longer than this is cut: long resource ARNs would drown the amounts."""

MAX_GROUP_ROWS = 50
"""At most this many group lines; the rest are summed into "…and N more"."""

GROUP_TEXT_BUDGET = 7000
"""Characters of group lines per message, well inside Slack's cumulative block-text limit."""

RECENT = PeriodSpec("last_days", days=30)
_USER_ID = re.compile(r"^[UW][A-Z0-9]{2,}$")


def cost_answer_blocks(
    answer: CostAnswer,
    *,
    question: str,
    shared_by: str | None = None,
    show_buttons: bool = True,
    default_measure: str | None = None,
    default_untagged: Sequence[str] = (),
    team_key: str | None = "team",
    default_top: int | None = None,
    explicit_dimensions: Collection[str] = (),
    ticket_ref: str | None = None,
) -> list[dict[str, Any]]:
    """Build the Block Kit message answering ``question``.

    ``shared_by`` (a user ID) marks an answer posted for the channel: it says who
    shared it and offers no "Share" button. ``default_measure`` and
    ``default_untagged`` let button values leave out what the parser would assume
    anyway (see :func:`~bot.blocks.query_text.query_text`); ``team_key`` is the tag
    key the "By team" button groups by (None: no such button). ``ticket_ref`` (the
    finding id, see :mod:`bot.tickets.cost_source`) adds an "Open Jira ticket" button.
    """
    blocks: list[dict[str, Any]] = [
        header(truncate(one_line(answer.query.describe()) or "cost", MAX_HEADER_TEXT)),
        section(summary_text(answer)),
        context(*reading_texts(answer)),
    ]
    blocks += [section(text) for text in pack(group_lines(answer))]
    blocks.append(context(*_context_texts(answer, question, shared_by)))
    if show_buttons:
        buttons = _buttons(
            answer.query,
            shareable=shared_by is None,
            default_measure=default_measure,
            default_untagged=default_untagged,
            team_key=team_key,
            default_top=default_top,
            explicit_dimensions=explicit_dimensions,
        )
        ticket = ticket_button(ticket_ref) if ticket_ref else None
        if ticket:
            buttons.append(ticket)
        if buttons:
            blocks.append({"type": "actions", "elements": buttons})
    tail = 2 if blocks[-1]["type"] == "actions" else 1
    return fit_blocks(blocks, MAX_MESSAGE_BLOCKS, keep_tail=tail)


def cost_answer_text(answer: CostAnswer) -> str:
    """Build the notification text: the question, the total and its change, on one line."""
    cur = answer.currency
    about = escape(truncate(one_line(answer.query.describe()), MAX_HEADER_TEXT))
    total = format_money(answer.total, cur)
    if answer.query.untagged is not None:
        share = share_text(answer.total, answer.all_spend)
        return f"{about}: {total} untagged ({share} of {format_money(answer.all_spend, cur)})"
    if answer.previous_total == 0:
        return f"{about}: {total}"
    change = format_change(answer.total, answer.previous_total)
    return f"{about}: {total} ({change} vs the previous period)"


def reading_texts(answer: CostAnswer) -> list[str]:
    """Say how the question was read, then each note about the reading (escaped, fitted)."""
    texts = [f"I read this as: {fit(one_line(answer.reading()), 600)}"]
    texts += [f":information_source: {fit(one_line(n), 600)}" for n in answer.notes[:MAX_NOTES]]
    return texts


def group_lines(
    answer: CostAnswer,
    *,
    max_rows: int = MAX_GROUP_ROWS,
    budget: int = GROUP_TEXT_BUDGET,
    title: bool = True,
) -> list[str]:
    """Return one mrkdwn line per group: key, amount, share of the total, change.

    Rows past ``max_rows`` or past ``budget`` characters (and the engine's own
    "other" row with them) are summed into a last "…and N more" line.
    """
    groups = answer.groups
    if not groups:
        return []
    base = _share_base(answer)
    lines: list[str] = []
    if title:
        lines.append(_groups_title(answer))
    used = sum(slack_len(line) + 1 for line in lines)
    shown = 0
    for g in groups:
        line = _group_line(g, base, answer.currency)
        if shown >= max_rows or used + slack_len(line) > budget:
            break
        lines.append(line)
        used += slack_len(line) + 1
        shown += 1
    rest = groups[shown:]
    if rest:
        hidden = sum(g.members if g.is_other else 1 for g in rest)
        cost = sum(g.cost for g in rest)
        lines.append(
            f"…and {hidden:,} more — {format_money(cost, answer.currency)}"
            f" · {share_text(cost, base)}"
        )
    return lines


# -- pieces ------------------------------------------------------------------------------------


def summary_text(answer: CostAnswer) -> str:
    """Say the total (bold), its change and the previous amount; for untagged, the share."""
    cur = answer.currency
    total = f"*{format_money(answer.total, cur)}*"
    lines: list[str] = []
    if answer.query.untagged is not None:
        keys = ", ".join(answer.untagged_keys or answer.query.untagged) or "allocation tags"
        lines.append(
            f"{total} untagged — *{share_text(answer.total, answer.all_spend)}* of all spend "
            f"({format_money(answer.all_spend, cur)})"
        )
        lines.append(f"Untagged = missing {fit(keys, 300)}")
    else:
        lines.append(f"{total} total")
    span = _dates(answer.previous_start, answer.previous_end)
    if answer.previous_total == 0:
        lines.append(f"No spend in the previous period ({span}) to compare with")
    else:
        change = format_change(answer.total, answer.previous_total)
        lines.append(f"{change} vs {format_money(answer.previous_total, cur)} ({span})")
    return truncate("\n".join(lines), MAX_TEXT_OBJECT)


def _groups_title(answer: CostAnswer) -> str:
    if not answer.query.group_by:
        what = "Untagged vs tagged" if answer.query.untagged is not None else "Breakdown"
        return f"*{what}* — cost · share of all spend · change"
    by = fit(one_line(answer.query.group_by), 60)
    count = max(answer.group_count, len(answer.groups))
    listed = sum(1 for g in answer.groups if not g.is_other)
    of = f" (top {listed} of {count:,})" if count > listed else ""
    return f"*By {by}*{of} — cost · share · change"


def _group_line(g: GroupCost, base: int, currency: str) -> str:
    if g.is_other:
        label = f"_Other_ ({g.members:,} more)"
    else:
        label = fit(one_line(g.key), MAX_KEY_CHARS) or "(empty)"
    parts = [f"• {label} — {format_money(g.cost, currency)}", share_text(g.cost, base)]
    if g.previous is not None:
        parts.append(format_change(g.cost, g.previous))
    return " · ".join(parts)


def _share_base(answer: CostAnswer) -> int:
    """Shares are of the total, except the untagged/tagged split, which is of all spend."""
    if answer.query.untagged is not None and not answer.query.group_by:
        return answer.all_spend
    return answer.total


def _context_texts(answer: CostAnswer, question: str, shared_by: str | None) -> list[str]:
    texts = [footer_text(answer)]
    if shared_by:
        who = f"<@{shared_by}>" if _USER_ID.match(shared_by) else fit(one_line(shared_by), 100)
        texts.append(f"Shared by {who}")
    if question.strip():
        texts.append(f"/cost {code(question, 300)}")
    return texts


def footer_text(answer: CostAnswer) -> str:
    """Say which dates, which measure, and how fresh the data is."""
    measure = MEASURE_LABELS.get(answer.measure, answer.measure)
    return (
        f"{_dates(answer.start, answer.end)} · {escape(measure)} · "
        f"{complete_through(answer.data_through)}"
    )


def _buttons(
    query: CostQuery,
    *,
    shareable: bool,
    default_measure: str | None,
    default_untagged: Sequence[str],
    team_key: str | None,
    default_top: int | None = None,
    explicit_dimensions: Collection[str] = (),
) -> list[dict[str, Any]]:
    plain = replace(query, share=False)

    def text_of(q: CostQuery) -> str:
        return query_text(
            q,
            default_measure=default_measure,
            default_untagged=default_untagged,
            default_top=default_top,
            explicit_dimensions=explicit_dimensions,
        )

    candidates: list[tuple[str, str, str]] = []
    if shareable:
        candidates.append(("Share in channel", ids.SHARE_ANSWER, text_of(plain)))
    target = _regroup_target(plain, team_key)
    if target:
        candidates.append((f"By {target}", ids.REGROUP, text_of(replace(plain, group_by=target))))
    if plain.period != RECENT:
        candidates.append(("Last 30 days", ids.REPERIOD, text_of(replace(plain, period=RECENT))))
    buttons = []
    for label, action_id, value in candidates:
        if not ids.fits_value(value):
            continue
        button: dict[str, Any] = {
            "type": "button",
            "text": {"type": "plain_text", "text": truncate(label, MAX_BUTTON_TEXT)},
            "action_id": action_id,
            "value": value,
        }
        if action_id == ids.SHARE_ANSWER:
            button["style"] = "primary"
        buttons.append(button)
    return buttons


def _regroup_target(query: CostQuery, team_key: str | None) -> str | None:
    """Pick the other grouping worth one click: by service, or by team when already by service."""
    filtered = {k for k, _ in query.filters}
    if query.group_by != "service" and "service" not in filtered:
        return "service"
    usable = team_key and query.untagged is None and team_key not in filtered
    if usable and query.group_by != team_key:
        return team_key
    return None


def _dates(start: date, end: date) -> str:
    return start.isoformat() if start == end else f"{start.isoformat()} – {end.isoformat()}"
