"""Buttons on an answer: share it in the channel, regroup it, or change its period.

Button values carry the question text (never state), so a click re-asks the
store and always shows current figures.
"""

from __future__ import annotations

from typing import Any

from bot.costs.ask import ask
from bot.costs.grammar import HelpRequest
from bot.services import Services
from handlers.cost_command import answer_or_help
from handlers.errors import answers_on_failure
from handlers.posting import post_shared


def _action_value(body: dict[str, Any]) -> str:
    actions = body.get("actions") or [{}]
    return str(actions[0].get("value") or "")


def _channel(body: dict[str, Any]) -> str | None:
    return (body.get("channel") or {}).get("id") or (body.get("container") or {}).get("channel_id")


@answers_on_failure("sharing the answer")
def share_answer_action(
    body: dict[str, Any], respond: Any, client: Any, context: dict[str, Any]
) -> None:
    """Re-run the question and post it for everyone in the channel."""
    services: Services = context["services"]
    answer = ask(services.engine, _action_value(body), default_measure=services.settings.measure)
    channel = _channel(body)
    if isinstance(answer, HelpRequest) or channel is None:
        return
    post_shared(
        client,
        respond,
        answer,
        channel_id=channel,
        user_id=(body.get("user") or {}).get("id"),
        default_measure=services.settings.measure,
        remove_private_copy=True,
    )


@answers_on_failure("answering that reading")
def pick_reading_action(body: dict[str, Any], respond: Any, context: dict[str, Any]) -> None:
    """Answer the reading the user picked, in place of the question that asked back."""
    services: Services = context["services"]
    answer_or_help(
        services,
        _action_value(body),
        respond,
        user_id=(body.get("user") or {}).get("id"),
        replace_original=True,
    )


@answers_on_failure("updating the answer")
def regroup_action(body: dict[str, Any], respond: Any, context: dict[str, Any]) -> None:
    """Answer the button's question in place of the current answer."""
    services: Services = context["services"]
    answer_or_help(
        services,
        _action_value(body),
        respond,
        user_id=(body.get("user") or {}).get("id"),
        replace_original=True,
    )
