"""Block Kit for what costbot says first: the digest, anomaly alerts and budget alerts.

Every builder is pure (data in, blocks out) and escapes what comes from the bill.
Anomaly alerts carry buttons whose value is the anomaly id; other areas add
buttons (e.g. "Open Jira ticket") through ``extra_buttons``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bot.blocks import ids
from bot.blocks.limits import MAX_MESSAGE_BLOCKS, fit_blocks
from bot.blocks.mrkdwn import context, fit, header, one_line, pack, section
from bot.costs.model import GroupCost
from bot.insights.anomalies import Anomaly, RootCause
from bot.insights.budgets import FORECAST, BudgetStatus
from bot.insights.digest import Digest
from bot.money import format_change, format_money, share_text

# -- the digest --------------------------------------------------------------------------------


def digest_text(digest: Digest) -> str:
    """Return the notification text of a digest (also the plain-text fallback)."""
    return (
        f"costbot digest for {digest.scope}, {digest.through.isoformat()}: "
        f"{format_money(digest.yesterday, digest.currency)} "
        f"({format_change(digest.yesterday, digest.day_before)} on the day before)"
    )


def digest_lines(digest: Digest) -> list[tuple[str, list[str]]]:
    """Return the digest as (title, lines) sections of mrkdwn (shared by Slack and terminal)."""
    cur = digest.currency
    money = format_money
    out: list[tuple[str, list[str]]] = []
    out.append(
        (
            f"Yesterday ({digest.through.strftime('%a %d %b')})",
            [
                f"*{money(digest.yesterday, cur)}*: "
                f"{format_change(digest.yesterday, digest.day_before)} on the day before "
                f"({money(digest.day_before, cur)}), "
                f"{format_change(digest.yesterday, digest.week_ago)} on the same weekday last "
                f"week ({money(digest.week_ago, cur)})"
            ],
        )
    )
    f = digest.forecast
    mtd = [f"*{money(digest.month_to_date, cur)}* so far this month"]
    if digest.budget:
        b = digest.budget
        mtd.append(f"Budget {money(b.amount, cur)}: {share_text(b.spent, b.amount)} used")
    mtd.append(
        f"Month-end forecast *{money(f.point, cur)}* (p10–p90 {money(f.p10, cur)}–"
        f"{money(f.p90, cur)})"
        + (f", {share_text(f.point, digest.budget.amount)} of budget" if digest.budget else "")
    )
    out.append(("Month to date", mtd))
    out.append(
        (
            f"Top {digest.group_by} (last 7 days)",
            [_group_line(g, cur) for g in digest.top_groups] or ["no spend"],
        )
    )
    out.append(
        (
            "Top movers (last 7 days against the 7 before)",
            [_mover_line(g, cur) for g in digest.movers] or ["nothing moved"],
        )
    )
    out.append(
        (
            "Open anomalies",
            [anomaly_line(a, cur) for a in digest.anomalies] or ["none"],
        )
    )
    keys = ", ".join(digest.untagged_keys) or "allocation tags"
    out.append(
        (
            "Untagged",
            [
                f"{money(digest.untagged, cur)} month to date without {fit(keys, 100)} "
                f"({share_text(digest.untagged, digest.month_to_date)} of spend)"
            ],
        )
    )
    for extra in digest.sections:
        out.append((extra.title, [fit(one_line(line), 400) for line in extra.lines] or ["–"]))
    return out


def digest_blocks(digest: Digest) -> list[dict[str, Any]]:
    """Build the digest message (the chart follows as an uploaded file)."""
    blocks: list[dict[str, Any]] = [header(f"Cost digest · {digest.scope}"[:150])]
    for title, lines in digest_lines(digest):
        for text in pack([f"*{fit(title, 200)}*", *lines]):
            blocks.append(section(text))
    blocks.append(
        context(
            f"{digest.measure} cost · data through {digest.through.isoformat()} · "
            "chart below · `/cost subscriptions` to manage"
        )
    )
    return fit_blocks(blocks, MAX_MESSAGE_BLOCKS)


def _group_line(g: GroupCost, currency: str) -> str:
    prev = g.previous or 0
    return (
        f"• {fit(one_line(g.key), 80)}: {format_money(g.cost, currency)} "
        f"({format_change(g.cost, prev)})"
    )


def _mover_line(g: GroupCost, currency: str) -> str:
    prev = g.previous or 0
    return (
        f"• {fit(one_line(g.key), 80)}: {format_money(g.cost - prev, currency, signed=True)} "
        f"({format_money(prev, currency)} → {format_money(g.cost, currency)})"
    )


# -- anomalies ---------------------------------------------------------------------------------


def anomaly_line(a: Anomaly, currency: str = "USD") -> str:
    """Say an anomaly in one line."""
    return (
        f"• {fit(one_line(a.scope()), 120)} since {a.date.isoformat()}: "
        f"{format_money(a.impact, currency, signed=True)} on the first day "
        f"({a.severity}, id `{a.id}`)"
    )


def anomaly_text(a: Anomaly, currency: str = "USD") -> str:
    """Return the notification text of an anomaly alert."""
    return (
        f"Cost anomaly: {a.scope()} on {a.date.isoformat()}, "
        f"{format_money(a.actual, currency)} against {format_money(a.expected, currency)} "
        f"expected ({format_money(a.impact, currency, signed=True)})"
    )


def root_cause_lines(causes: Sequence[RootCause], currency: str = "USD") -> list[str]:
    """List the parts of an anomaly's delta, largest first."""
    labels = {"service": "Service", "resource": "Resource", "usage_type": "Usage type"}
    return [
        f"• {labels.get(c.dimension, c.dimension)} {fit(one_line(c.value), 120)}: "
        f"{format_money(c.delta, currency, signed=True)}"
        for c in causes
    ]


def anomaly_alert_blocks(
    a: Anomaly,
    *,
    currency: str = "USD",
    extra_buttons: Sequence[dict[str, Any]] = (),
    note: str | None = None,
) -> list[dict[str, Any]]:
    """Build the alert: what rose, by how much, why (root cause), and the buttons."""
    icon = {"high": ":rotating_light:", "medium": ":warning:"}.get(a.severity, ":mag:")
    lines = [
        f"{icon} *Cost anomaly* ({a.severity}): *{fit(one_line(a.scope()), 200)}* on "
        f"{a.date.strftime('%a %d %b %Y')}",
        f"{format_money(a.actual, currency)} against {format_money(a.expected, currency)} "
        f"expected: *{format_money(a.impact, currency, signed=True)}*",
    ]
    blocks = [section(text) for text in pack(lines)]
    if a.root_cause:
        for text in pack(["*What rose*", *root_cause_lines(a.root_cause, currency)]):
            blocks.append(section(text))
    buttons = [
        _button("Acknowledge", ids.ANOMALY_ACK, a.id, style="primary"),
        _button("Snooze 1 d", ids.ANOMALY_SNOOZE_1D, a.id),
        _button("Snooze 7 d", ids.ANOMALY_SNOOZE_7D, a.id),
        _button("Show breakdown", ids.ANOMALY_BREAKDOWN, a.id),
        _button("Expected", ids.ANOMALY_EXPECTED, a.id),
        _button("Not a problem", ids.ANOMALY_NOT_A_PROBLEM, a.id),
        *extra_buttons,
    ]
    blocks.append({"type": "actions", "block_id": f"anomaly:{a.id}", "elements": buttons[:25]})
    footer = f"finding `anomaly:{a.id}` · follow-ups in the thread"
    blocks.append(context(f"{note} · {footer}" if note else footer))
    return fit_blocks(blocks, MAX_MESSAGE_BLOCKS)


def _button(text: str, action_id: str, value: str, *, style: str | None = None) -> dict[str, Any]:
    button: dict[str, Any] = {
        "type": "button",
        "text": {"type": "plain_text", "text": text},
        "action_id": action_id,
        "value": value,
    }
    if style:
        button["style"] = style
    return button


def followup_text(day_number: int, total_impact: int, currency: str = "USD") -> str:
    """Return a thread follow-up: ``day 3, +$2,350.00 so far``."""
    return f"day {day_number}, {format_money(total_impact, currency, signed=True)} so far"


def closing_text(a: Anomaly, currency: str = "USD") -> str:
    """Return the closing note of an anomaly's thread."""
    total = format_money(a.total_impact, currency, signed=True)
    if a.status == "expected":
        return "Marked expected: this is the new level from now on. I stop following up."
    if a.status == "new_level":
        return (
            f"New level learned after {a.days} day(s) since {a.date.isoformat()}; "
            f"{total} above the old level in all. I stop following up."
        )
    return (
        f"Back to expected after {a.last_day.isoformat()} ({a.days} anomalous day(s)); "
        f"{total} in all."
    )


# -- budgets -----------------------------------------------------------------------------------


def budget_alert_text(status: BudgetStatus, threshold: str) -> str:
    """Return the notification text of a budget alert."""
    if threshold == FORECAST:
        return (
            f"Budget forecast: {status.scope} is heading for "
            f"{format_money(status.forecast.point, status.currency)} against a budget of "
            f"{format_money(status.amount, status.currency)} in {status.period}"
        )
    return (
        f"Budget alert: {status.scope} has used {threshold} % of its "
        f"{format_money(status.amount, status.currency)} budget in {status.period}"
    )


def budget_alert_blocks(
    status: BudgetStatus, threshold: str, *, extra_buttons: Sequence[dict[str, Any]] = ()
) -> list[dict[str, Any]]:
    """Build a budget alert: spent, budget, forecast with its range, the finding id."""
    cur = status.currency
    icon = ":money_with_wings:" if threshold in (FORECAST, "100") else ":chart_with_upwards_trend:"
    lines = [
        f"{icon} *{fit(one_line(budget_alert_text(status, threshold)), 400)}*",
        f"Spent {format_money(status.spent, cur)} of {format_money(status.amount, cur)} "
        f"({share_text(status.spent, status.amount)}) through "
        f"{status.forecast.through.isoformat()}",
        f"Month-end forecast {format_money(status.forecast.point, cur)} "
        f"(p10–p90 {format_money(status.forecast.p10, cur)}–"
        f"{format_money(status.forecast.p90, cur)}), "
        f"{share_text(status.forecast.point, status.amount)} of budget",
    ]
    blocks = [
        section("\n".join(lines)),
        context(f"finding `{status.finding_id(threshold)}` · `/cost budgets` to review"),
    ]
    if extra_buttons:
        blocks.append({"type": "actions", "elements": list(extra_buttons)})
    return blocks


def budget_list_lines(statuses: Sequence[BudgetStatus | str]) -> list[str]:
    """List budgets for `/cost budgets` (a status, or a text when it could not be computed)."""
    return [f"• {fit(one_line(str(s)), 400)}" for s in statuses]
