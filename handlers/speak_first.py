"""`/cost subscribe|subscriptions|unsubscribe|budget|budgets …` and the anomaly alert buttons.

The subcommands are routed here before the cost grammar (see
:func:`route_subcommand`); everything else typed after ``/cost`` is a question
as before. Listeners parse, call the domain and the store, and answer with
Block Kit, nothing more.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from slack_sdk.errors import SlackApiError

from bot.blocks import ids
from bot.blocks.alerts import budget_list_lines, root_cause_lines
from bot.blocks.errors import error_blocks
from bot.blocks.mrkdwn import context, fit, one_line, pack, section
from bot.costs.grammar import QueryParseError, tokenize
from bot.insights.anomalies import Anomaly, root_cause
from bot.insights.requests import (
    BUDGET_USAGE,
    SUBSCRIBE_USAGE,
    RequestError,
    parse_budget,
    parse_subscribe,
)
from bot.insights.views import budget_statuses
from bot.money import format_money
from bot.services import Services
from bot.state.scheduling import AnomalyAlerts, Budgets, Subscriptions
from handlers.errors import answers_on_failure
from handlers.posting import CHANNEL_ERRORS

log = logging.getLogger("costbot.slack")

SUBCOMMANDS = ("subscribe", "subscriptions", "unsubscribe", "budget", "budgets")


def route_subcommand(
    services: Services, text: str, body: dict[str, Any], respond: Any, client: Any
) -> bool:
    """Answer a speaking-first subcommand; False when ``text`` is a cost question."""
    first = text.split(maxsplit=1)[0].lower() if text.strip() else ""
    if first not in SUBCOMMANDS:
        return False
    rest = text.strip()[len(first) :].strip()
    channel = body.get("channel_id") or ""
    user = body.get("user_id")
    try:
        if first == "subscribe":
            _subscribe(services, rest, channel, user, respond, client)
        elif first == "subscriptions":
            _subscriptions(services, channel, respond)
        elif first == "unsubscribe":
            _unsubscribe(services, rest, channel, respond)
        elif first == "budgets":
            _budgets(services, respond)
        else:
            _budget(services, rest, channel, user, respond, client)
    except (RequestError, QueryParseError) as exc:
        usage = BUDGET_USAGE if first.startswith("budget") else SUBSCRIBE_USAGE
        _tell(respond, f"I could not read that: {exc}", f"Usage: `/cost {usage}`")
    return True


def _tell(respond: Any, what: str, hint: str | None = None) -> None:
    blocks = error_blocks(what, hint) if hint else [section(fit(what, 2900))]
    respond(response_type="ephemeral", replace_original=False, text=what, blocks=blocks)


def _post_confirmation(client: Any, channel: str, text: str) -> str | None:
    """Post in the channel; return why not (a sentence for the user) if Slack refuses."""
    try:
        client.chat_postMessage(channel=channel, text=text)
    except SlackApiError as exc:
        code = str(exc.response.get("error", "unknown_error"))
        if code == "not_in_channel":
            return (
                "I'm not a member of this channel, so I can't post there. "
                "Invite me with `/invite @costbot`, then try again."
            )
        what, hint = CHANNEL_ERRORS.get(code, (f"Slack refused my post ({code}).", ""))
        return f"{what} {hint}".strip()
    return None


def _subscribe(
    services: Services, text: str, channel: str, user: str | None, respond: Any, client: Any
) -> None:
    request = parse_subscribe(text, services.engine.vocabulary())
    subs = Subscriptions(services.store)
    sub = subs.add(
        channel=channel,
        cadence=request.cadence,
        filters=request.filters,
        at=request.at,
        weekday=request.weekday,
        tz=request.tz,
        created_by=user,
        now=services.clock(),
    )
    refusal = _post_confirmation(
        client,
        channel,
        f"<@{user}> subscribed this channel to a cost digest (#{sub.id}): {sub.describe()}. "
        "`/cost subscriptions` lists them.",
    )
    if refusal:
        subs.delete(sub.id)
        _tell(respond, refusal)
        return
    respond(
        response_type="ephemeral",
        replace_original=False,
        text=f"Subscribed (#{sub.id}): {sub.describe()}",
    )


def _subscriptions(services: Services, channel: str, respond: Any) -> None:
    subs = Subscriptions(services.store).all(channel)
    if not subs:
        respond(
            response_type="ephemeral",
            replace_original=False,
            text="This channel has no digest. Try `/cost subscribe daily at 09:00`.",
        )
        return
    lines = ["*Digests in this channel*"]
    lines += [f"• #{s.id} {fit(one_line(s.describe()), 300)}" for s in subs]
    respond(
        response_type="ephemeral",
        replace_original=False,
        text="\n".join(lines),
        blocks=[
            *[section(t) for t in pack(lines)],
            context("`/cost unsubscribe N` removes one"),
        ],
    )


def _number(text: str, what: str) -> int:
    word = text.strip().lstrip("#")
    if not word.isdigit():
        raise RequestError(f"give the number of the {what}, e.g. `3`.")
    return int(word)


def _unsubscribe(services: Services, text: str, channel: str, respond: Any) -> None:
    number = _number(text, "subscription (see `/cost subscriptions`)")
    if Subscriptions(services.store).delete(number, channel):
        _tell(respond, f"Unsubscribed #{number}: no more of that digest here.")
    else:
        _tell(respond, f"This channel has no subscription #{number}; see `/cost subscriptions`.")


def _budget(
    services: Services, text: str, channel: str, user: str | None, respond: Any, client: Any
) -> None:
    words = tokenize(text)
    verb = words[0].lower() if words else ""
    rest = text.strip()[len(verb) :].strip()
    budgets = Budgets(services.store)
    if verb in ("delete", "remove", "rm"):
        number = _number(rest, "budget (see `/cost budgets`)")
        if budgets.delete(number):
            _tell(respond, f"Deleted budget #{number}.")
        else:
            _tell(respond, f"There is no budget #{number}; see `/cost budgets`.")
        return
    if verb in ("list", ""):
        _budgets(services, respond)
        return
    if verb != "set":
        raise RequestError(f"`budget {verb}` is not something I know.")
    request = parse_budget(rest, services.engine.vocabulary())
    target = request.channel or channel
    budget = budgets.add(
        filters=request.filters,
        amount=request.amount,
        period=request.period,
        thresholds=request.thresholds,
        channel=target,
        created_by=user,
        now=services.clock(),
    )
    refusal = _post_confirmation(
        client,
        target,
        f"<@{user}> set budget #{budget.id}: {budget.scope()} "
        f"{format_money(budget.amount)} {budget.period}; alerts here at "
        f"{', '.join(f'{t} %' for t in budget.thresholds)} and when the forecast passes 100 %.",
    )
    if refusal:
        budgets.delete(budget.id)
        _tell(respond, refusal)
        return
    _tell(respond, f"Budget #{budget.id} set: {budget.scope()} {format_money(budget.amount)}.")


def _budgets(services: Services, respond: Any) -> None:
    statuses = budget_statuses(services.engine, measure=services.settings.measure)
    if not statuses:
        _tell(respond, "No budgets yet. Try `/cost budget set team ai-research 50000 monthly`.")
        return
    lines = ["*Budgets*", *budget_list_lines(statuses)]
    respond(
        response_type="ephemeral",
        replace_original=False,
        text="\n".join(lines),
        blocks=[*[section(t) for t in pack(lines)], context("`/cost budget delete N` removes one")],
    )


# -- anomaly alert buttons ---------------------------------------------------------------------


def ack_anomaly_action(ack: Any) -> None:
    """Acknowledge the click at once; the work follows in the lazy listener."""
    ack()


@answers_on_failure("handling the alert button")
def anomaly_action(
    body: dict[str, Any], respond: Any, client: Any, context: dict[str, Any]
) -> None:
    """Acknowledge, snooze, explain or take feedback on an anomaly alert."""
    services: Services = context["services"]
    action = body["actions"][0]
    action_id, anomaly_id = action["action_id"], action.get("value") or ""
    user = (body.get("user") or {}).get("id")
    alerts = AnomalyAlerts(services.store)
    alert = alerts.get(anomaly_id)
    if alert is None:
        _tell(respond, "I no longer know this anomaly (the store was reset?).")
        return
    now = services.clock()
    note: str | None = None
    if action_id == ids.ANOMALY_ACK:
        alerts.acknowledge(anomaly_id, user)
        note = f"Acknowledged by <@{user}>."
    elif action_id in (ids.ANOMALY_SNOOZE_1D, ids.ANOMALY_SNOOZE_7D):
        days = 1 if action_id == ids.ANOMALY_SNOOZE_1D else 7
        until = now + timedelta(days=days)
        alerts.snooze(anomaly_id, until)
        note = f"<@{user}> snoozed follow-ups for {days} d (until {until:%Y-%m-%d %H:%M} UTC)."
    elif action_id == ids.ANOMALY_EXPECTED:
        alerts.record_feedback(anomaly_id, "expected", user, now)
        note = f"<@{user}> marked this expected: I take it as the new level from now on."
    elif action_id == ids.ANOMALY_NOT_A_PROBLEM:
        alerts.record_feedback(anomaly_id, "not_a_problem", user, now)
        note = (
            f"<@{user}> marked this not a problem: this spend needs twice the rise to alert again."
        )
    elif action_id == ids.ANOMALY_BREAKDOWN:
        _breakdown(services, alert.dimension, alert.value, alert.start_day, alert.impact, respond)
        return
    if note and alert.ts:
        client.chat_postMessage(channel=alert.channel, thread_ts=alert.ts, text=note)


def _breakdown(
    services: Services, dimension: str, value: str, start: str, impact: int, respond: Any
) -> None:
    from datetime import date

    probe = Anomaly(
        id="",
        dimension=dimension,
        value=value,
        date=date.fromisoformat(start),
        actual=0,
        expected=0,
        impact=impact,
        severity="",
        last_day=date.fromisoformat(start),
        days=1,
        total_impact=impact,
        status="",
    )
    causes = root_cause(services.engine, probe, measure=services.settings.measure, limit=5)
    lines = [f"*What rose on {start}* ({fit(one_line(probe.scope()), 200)})"]
    lines += root_cause_lines(causes) or ["No single service, resource or usage type stands out."]
    respond(
        response_type="ephemeral",
        replace_original=False,
        text="\n".join(lines),
        blocks=[section(t) for t in pack(lines)],
    )
