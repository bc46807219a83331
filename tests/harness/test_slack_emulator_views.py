"""views.open takes a trigger_id once; chat.getPermalink answers Slack's permalink shape."""

from __future__ import annotations

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from .slack_emulator import SlackEmulator
from .slack_requests import new_trigger_id

MODAL = {
    "type": "modal",
    "title": {"type": "plain_text", "text": "Ticket"},
    "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "hi"}}],
}


@pytest.fixture
def client(slack_emulator: SlackEmulator) -> WebClient:
    return WebClient(token=slack_emulator.bot_token, base_url=slack_emulator.base_url)


def test_a_trigger_id_opens_one_modal(client: WebClient, slack_emulator: SlackEmulator) -> None:
    trigger = new_trigger_id()
    assert client.views_open(trigger_id=trigger, view=MODAL)["ok"]
    with pytest.raises(SlackApiError) as reused:
        client.views_open(trigger_id=trigger, view=MODAL)
    assert reused.value.response["error"] == "exchanged_trigger_id"
    with pytest.raises(SlackApiError) as malformed:
        client.views_open(trigger_id="not-a-trigger", view=MODAL)
    assert malformed.value.response["error"] == "invalid_trigger_id"
    with pytest.raises(SlackApiError) as missing:
        client.api_call("views.open", json={"view": MODAL})
    assert missing.value.response["error"] in ("invalid_arguments", "invalid_trigger_id")
    assert len(slack_emulator.invalid_calls) == 3


def test_get_permalink(client: WebClient, slack_emulator: SlackEmulator) -> None:
    answer = client.chat_getPermalink(channel="C0COSTS", message_ts="1728984600.000100")
    assert answer["permalink"] == (
        "https://costbot-test.slack.com/archives/C0COSTS/p1728984600000100"
    )
    with pytest.raises(SlackApiError):
        client.chat_getPermalink(channel="C0COSTS", message_ts="yesterday")
