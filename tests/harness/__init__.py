"""Local Slack test harness: a Web API emulator on 127.0.0.1 and Slack-signed requests.

Everything here talks real HTTP on loopback; nothing is mocked. See ``slack_emulator`` for
what the emulator checks and ``slack_requests`` for what the app receives.
"""

from .slack_emulator import DEFAULT_BOT_TOKEN, RecordedCall, SlackEmulator
from .slack_requests import (
    DEFAULT_SIGNING_SECRET,
    SignedRequest,
    SlackClientSim,
    Tamper,
    app_home_opened_event,
    block_actions_body,
    block_actions_payload,
    event_callback_body,
    sign,
    signed_headers,
    slash_command_body,
    url_verification_body,
)

__all__ = [
    "DEFAULT_BOT_TOKEN",
    "DEFAULT_SIGNING_SECRET",
    "RecordedCall",
    "SignedRequest",
    "SlackClientSim",
    "SlackEmulator",
    "Tamper",
    "app_home_opened_event",
    "block_actions_body",
    "block_actions_payload",
    "event_callback_body",
    "sign",
    "signed_headers",
    "slash_command_body",
    "url_verification_body",
]
