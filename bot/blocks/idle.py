"""Block Kit for idle GPU findings: the finding with Stop / Snooze / Keep running, and lists."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from bot.blocks import ids
from bot.blocks.limits import more_context
from bot.blocks.mrkdwn import context, fit, header, section
from bot.insights.idle import Finding, IdleSummary
from bot.money import format_money

MAX_LISTED = 6
MAX_NIGHT_LINES = 30
KIND_TITLES = {
    "idle": "Idle GPU instance",
    "idle-held": "GPU memory held, compute idle",
    "endpoint-idle": "Idle SageMaker endpoint",
    "notebook-idle": "Idle SageMaker notebook",
}


def duration_text(since: datetime, now: datetime) -> str:
    """Say how long ago: ``3 h 10 min``, ``2 d 4 h``."""
    minutes = max(0, int((now - since).total_seconds() // 60))
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    if days:
        return f"{days} d {hours} h"
    return f"{hours} h {mins} min" if hours else f"{mins} min"


def finding_text(f: Finding, now: datetime) -> str:
    """The mrkdwn body of a finding: what, whose, since when, what it costs, what to do."""
    gpus = f" · {fit(f.gpu_model, 60)}" if f.gpu_model else ""
    count = f" × {f.count}" if f.count > 1 else ""
    owner = fit(f.owner, 80) if f.owner else "no owner tag"
    team = f"*{fit(f.team, 60)}*" if f.team else "no team tag"
    money = f"*{f.hourly_text()}*"
    if f.burned is not None and f.daily is not None:
        money += (
            f" · {format_money(f.burned)} burned while idle · "
            f"{format_money(f.daily)}/day if left running"
        )
    lines = [
        f"*{KIND_TITLES.get(f.kind, f.kind)}:* `{fit(f.resource_id, 120)}` "
        f"({fit(f.instance_type, 40)}{count}{gpus}) in {fit(f.region, 30)}, "
        f"account {fit(f.account, 20)}",
        f"Team {team} · owner {owner} · idle since {f.idle_since:%Y-%m-%d %H:%M} UTC "
        f"({duration_text(f.idle_since, now)})",
        money,
        f"Confidence {f.confidence}. {fit(f.explanation, 600)}",
    ]
    return "\n".join(lines)


def _stop_button(f: Finding) -> dict[str, Any]:
    saves = "price unknown" if f.hourly is None else f"≈ {format_money(f.hourly)}/h"
    what = "notebook" if f.kind == "notebook-idle" else "instance"
    return {
        "type": "button",
        "action_id": ids.GPU_STOP,
        "text": {"type": "plain_text", "text": f"Stop {what}"},
        "style": "danger",
        "value": f.id,
        "confirm": {
            "title": {"type": "plain_text", "text": f"Stop {f.resource_id[:80]}?"},
            "text": {
                "type": "mrkdwn",
                "text": fit(
                    f"This stops {f.resource_id} ({f.instance_type}) in {f.region} and saves "
                    f"{saves}. Disks stay; whatever runs in memory is lost.",
                    300,
                ),
            },
            "confirm": {"type": "plain_text", "text": "Stop it"},
            "deny": {"type": "plain_text", "text": "Cancel"},
            "style": "danger",
        },
    }


def finding_actions(f: Finding, extra_buttons: Sequence[dict[str, Any]] = ()) -> dict[str, Any]:
    """The buttons under a finding: Stop (only when stoppable), Snooze, Snooze until, Keep,
    then ``extra_buttons`` (e.g. "Open Jira ticket")."""
    elements: list[dict[str, Any]] = []
    if f.stoppable and not f.protected:
        elements.append(_stop_button(f))
    elements.append(
        {
            "type": "static_select",
            "action_id": ids.GPU_SNOOZE,
            "placeholder": {"type": "plain_text", "text": "Snooze"},
            "options": [
                {"text": {"type": "plain_text", "text": "Snooze 1 day"}, "value": f"1d|{f.id}"},
                {"text": {"type": "plain_text", "text": "Snooze 7 days"}, "value": f"7d|{f.id}"},
            ],
        }
    )
    elements.append(
        {
            "type": "datepicker",
            "action_id": ids.GPU_SNOOZE_UNTIL,
            "placeholder": {"type": "plain_text", "text": "Snooze until…"},
        }
    )
    elements.append(
        {
            "type": "button",
            "action_id": ids.GPU_KEEP,
            "text": {"type": "plain_text", "text": "Keep running"},
            "value": f.id,
        }
    )
    elements.extend(extra_buttons)
    return {"type": "actions", "block_id": f"snooze:{f.id}"[:255], "elements": elements}


def finding_blocks(
    f: Finding, now: datetime, extra_buttons: Sequence[dict[str, Any]] = ()
) -> list[dict[str, Any]]:
    """One finding as a message with its buttons."""
    return [section(finding_text(f, now)), finding_actions(f, extra_buttons)]


def finding_fallback(f: Finding) -> str:
    """The notification text of a finding message."""
    return (
        f"{KIND_TITLES.get(f.kind, f.kind)}: {f.resource_id} ({f.instance_type}), {f.hourly_text()}"
    )


def resolved_blocks(f: Finding, now: datetime, outcome: str) -> list[dict[str, Any]]:
    """A finding after an action: the facts, the outcome line, no buttons."""
    return [section(finding_text(f, now)), context(f":white_check_mark: {outcome}")]


def findings_list_blocks(findings: Sequence[Finding], now: datetime) -> list[dict[str, Any]]:
    """``/cost idle``: every finding with its buttons, within Slack's 50 blocks."""
    if not findings:
        return [section(":white_check_mark: No idle GPUs right now.")]
    total = sum(f.hourly or 0 for f in findings)
    unknown = sum(1 for f in findings if f.hourly is None)
    head = f"{len(findings)} idle: {format_money(total)}/h"
    if unknown:
        head += f" (+{unknown} price unknown)"
    blocks: list[dict[str, Any]] = [header(head)]
    room = MAX_LISTED  # each finding with its buttons is ~1.5 k of the ~13 k Slack accepts
    for f in findings[:room]:
        blocks.extend(finding_blocks(f, now))
    if len(findings) > room:
        blocks.append(more_context(len(findings) - room, "more findings: see `costbot idle`"))
    return blocks


def idle_summary_blocks(summary: IdleSummary) -> list[dict[str, Any]]:
    """An "Idle GPUs" section for a digest (see :func:`bot.insights.idle.idle_summary`)."""
    if not summary.count:
        return [section("*Idle GPUs*: none found.")]
    lines = [
        f"*Idle GPUs*: {summary.count} burning {format_money(summary.hourly)}/h"
        + (f" (+{summary.unpriced} price unknown)" if summary.unpriced else "")
    ]
    for team, count, hourly in summary.by_team[:10]:
        lines.append(f"• {fit(team, 60)}: {count} · {format_money(hourly)}/h")
    return [section("\n".join(lines))]


def night_warning_blocks(
    lines: Sequence[tuple[str, str, str]], night_start: str
) -> list[dict[str, Any]]:
    """Warn a channel that night watch stops these instances at ``night_start``.

    ``lines`` are ``(button value, instance id, description)``; each gets a
    "Keep running tonight" button.
    """
    blocks: list[dict[str, Any]] = [
        section(
            f":crescent_moon: Night watch stops {len(lines)} instance(s) at "
            f"{fit(night_start, 40)}. Press *Keep running tonight* for any that must keep going."
        )
    ]
    for value, instance_id, description in lines[:MAX_NIGHT_LINES]:
        blocks.append(
            {
                "type": "section",
                "text": {
                    "type": "mrkdwn",
                    "text": f"`{fit(instance_id, 60)}` {fit(description, 200)}",
                },
                "accessory": {
                    "type": "button",
                    "action_id": ids.GPU_NIGHT_KEEP,
                    "text": {"type": "plain_text", "text": "Keep running tonight"},
                    "value": value[:2000],
                },
            }
        )
    if len(lines) > MAX_NIGHT_LINES:
        blocks.append(more_context(len(lines) - MAX_NIGHT_LINES, "more: tag them to keep them"))
    return blocks
