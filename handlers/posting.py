"""Post an answer for everyone in a channel, and explain Slack's refusals to the user."""

from __future__ import annotations

import logging
from typing import Any

from slack_sdk.errors import SlackApiError

from bot.blocks.cost_answer import cost_answer_blocks, cost_answer_text
from bot.blocks.errors import error_blocks
from bot.blocks.query_text import query_text
from bot.costs.model import CostAnswer

log = logging.getLogger("costbot.slack")

CHANNEL_ERRORS = {
    "not_in_channel": (
        "I'm not a member of this channel, so I can't post here.",
        "Invite me with `/invite @costbot`, then share again.",
    ),
    "channel_not_found": (
        "Slack can't find this channel for me (private channel or DM I'm not in).",
        "Add costbot to the channel (channel details → Integrations → Add apps), then retry.",
    ),
    "is_archived": ("This channel is archived.", "Share in another channel."),
    "ratelimited": (
        "Slack is rate-limiting me right now.",
        "Wait a minute and press Share again.",
    ),
}


def post_shared(
    client: Any,
    respond: Any,
    answer: CostAnswer,
    *,
    channel_id: str,
    user_id: str | None,
    default_measure: str | None = None,
    remove_private_copy: bool = False,
) -> None:
    """Post the answer in the channel; on refusal, tell the asker what to do.

    A button click's ``response_url`` posts ``in_channel`` even where costbot is not a member
    (as ``/cost … share`` does), so it is tried first; ``chat.postMessage`` is the fallback
    when there is no usable ``response_url`` (expired, used up). ``remove_private_copy``
    deletes the ephemeral answer the Share button sat on.
    """
    question = query_text(answer.query, default_measure=default_measure)
    text = cost_answer_text(answer)
    blocks = cost_answer_blocks(
        answer,
        question=question,
        shared_by=user_id,
        show_buttons=False,
        default_measure=default_measure,
    )
    if _posted(
        respond, response_type="in_channel", replace_original=False, text=text, blocks=blocks
    ):
        if remove_private_copy:
            respond(delete_original=True)
        return
    try:
        client.chat_postMessage(channel=channel_id, text=text, blocks=blocks, unfurl_links=False)
    except SlackApiError as exc:
        code = str(exc.response.get("error", "unknown_error"))
        what, hint = CHANNEL_ERRORS.get(
            code, (f"Slack refused to post the answer ({code}).", "Try again in a minute.")
        )
        if not _posted(
            respond,
            response_type="ephemeral",
            replace_original=False,
            text=f"{what} {hint}",
            blocks=error_blocks(what, hint),
        ):
            log.warning("could not share an answer in %s (%s) nor tell the user", channel_id, code)
        return
    if remove_private_copy:
        respond(delete_original=True)


def _posted(respond: Any, **message: Any) -> bool:
    """Send through the ``response_url``; tell whether Slack took it."""
    if respond is None:
        return False
    try:
        response = respond(**message)
    except (SlackApiError, OSError, ValueError):  # no response_url, or it could not be reached
        return False
    return getattr(response, "status_code", 200) == 200
