"""Build the requests Slack sends to an app, byte for byte, and sign them like Slack.

Slash commands arrive form-encoded; interactions arrive form-encoded with one ``payload``
field holding JSON; Events API callbacks arrive as JSON. Each carries
``X-Slack-Request-Timestamp`` and ``X-Slack-Signature`` (v0: hex HMAC-SHA256 of
``v0:{timestamp}:{body}`` keyed by the signing secret), and Slack's retries add
``X-Slack-Retry-Num`` / ``X-Slack-Retry-Reason``. Apps must refuse signatures older than
five minutes.

The builders return bytes so a test can hand them to ``App.dispatch(BoltRequest(...))``
or post them over HTTP with ``SlackClientSim``; either way the app sees what Slack sends.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import requests

DEFAULT_SIGNING_SECRET = "costbot-test-signing-secret"
DEFAULT_TEAM_ID = "T0COSTBOT"
DEFAULT_TEAM_DOMAIN = "costbot-test"
DEFAULT_APP_ID = "A0COSTBOT"
DEFAULT_BOT_USER_ID = "U0COSTBOT"
DEFAULT_USER_ID = "U0ALICE"
DEFAULT_USER_NAME = "alice"
DEFAULT_CHANNEL_ID = "C0COSTS"
DEFAULT_CHANNEL_NAME = "costs"
# A response_url nobody listens on: port 9 (discard) on loopback, so a test that forgot to
# pass a real one fails fast with "connection refused" and never reaches the network.
UNSET_RESPONSE_URL = "http://127.0.0.1:9/response/unset"
VERIFICATION_TOKEN = "deprecated-verification-token"
MAX_SIGNATURE_AGE_SECONDS = 5 * 60

FORM = "application/x-www-form-urlencoded"
JSON = "application/json"


def sign(body: bytes, timestamp: int, secret: str) -> str:
    """Return Slack's v0 signature of ``body`` sent at ``timestamp``."""
    base = b"v0:" + str(timestamp).encode() + b":" + body
    return "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


def signed_headers(
    body: bytes,
    *,
    secret: str,
    timestamp: int,
    content_type: str,
    retry_num: int | None = None,
    retry_reason: str | None = None,
) -> dict[str, str]:
    """Return the headers Slack sends with ``body``."""
    headers = {
        "Content-Type": content_type,
        "X-Slack-Request-Timestamp": str(timestamp),
        "X-Slack-Signature": sign(body, timestamp, secret),
    }
    if retry_num is not None:
        headers["X-Slack-Retry-Num"] = str(retry_num)
        headers["X-Slack-Retry-Reason"] = retry_reason or "http_timeout"
    return headers


def new_trigger_id() -> str:
    """Return a trigger_id shaped like Slack's (``<digits>.<digits>.<hex>``)."""
    return f"{uuid.uuid4().int % 10**13}.{uuid.uuid4().int % 10**12}.{uuid.uuid4().hex}"


def slash_command_body(
    text: str,
    *,
    command: str = "/cost",
    user_id: str = DEFAULT_USER_ID,
    user_name: str = DEFAULT_USER_NAME,
    channel_id: str = DEFAULT_CHANNEL_ID,
    channel_name: str = DEFAULT_CHANNEL_NAME,
    team_id: str = DEFAULT_TEAM_ID,
    team_domain: str = DEFAULT_TEAM_DOMAIN,
    api_app_id: str = DEFAULT_APP_ID,
    response_url: str = UNSET_RESPONSE_URL,
    trigger_id: str | None = None,
) -> bytes:
    """Return the form-encoded body of a slash command, fields in Slack's order."""
    fields = [
        ("token", VERIFICATION_TOKEN),
        ("team_id", team_id),
        ("team_domain", team_domain),
        ("channel_id", channel_id),
        ("channel_name", channel_name),
        ("user_id", user_id),
        ("user_name", user_name),
        ("command", command),
        ("text", text),
        ("api_app_id", api_app_id),
        ("is_enterprise_install", "false"),
        ("response_url", response_url),
        ("trigger_id", trigger_id or new_trigger_id()),
    ]
    return urlencode(fields).encode()


def block_actions_payload(
    action_id: str,
    value: str | None,
    *,
    user_id: str = DEFAULT_USER_ID,
    user_name: str = DEFAULT_USER_NAME,
    channel_id: str = DEFAULT_CHANNEL_ID,
    channel_name: str = DEFAULT_CHANNEL_NAME,
    response_url: str = UNSET_RESPONSE_URL,
    message: Mapping[str, Any] | None = None,
    view: Mapping[str, Any] | None = None,
    block_id: str = "actions",
    action_type: str = "button",
    action_text: str = "Button",
    team_id: str = DEFAULT_TEAM_ID,
    team_domain: str = DEFAULT_TEAM_DOMAIN,
    api_app_id: str = DEFAULT_APP_ID,
    trigger_id: str | None = None,
    now: float | None = None,
) -> dict[str, Any]:
    """Return a ``block_actions`` interaction payload as Slack builds it.

    A click in a message (the default) carries ``channel``, ``message``, ``container``
    of type message and a ``response_url``. A click in a Home tab or modal (pass ``view``)
    carries ``view`` and a view container, and Slack sends no channel or response_url.
    ``now`` (default: the current time) dates the click and the default message.
    """
    now = time.time() if now is None else now
    action: dict[str, Any] = {
        "type": action_type,
        "action_id": action_id,
        "block_id": block_id,
        "action_ts": f"{now:.6f}",
    }
    if action_type == "button":
        action["text"] = {"type": "plain_text", "text": action_text, "emoji": True}
        if value is not None:
            action["value"] = value
    elif value is not None:
        option = {"text": {"type": "plain_text", "text": action_text}, "value": value}
        action["selected_option"] = option
    payload: dict[str, Any] = {
        "type": "block_actions",
        "user": {"id": user_id, "username": user_name, "name": user_name, "team_id": team_id},
        "api_app_id": api_app_id,
        "token": VERIFICATION_TOKEN,
        "trigger_id": trigger_id or new_trigger_id(),
        "team": {"id": team_id, "domain": team_domain},
        "enterprise": None,
        "is_enterprise_install": False,
        "state": {"values": {}},
        "actions": [action],
    }
    if view is not None:
        view_json = {"id": "V0COSTBOT", "team_id": team_id, "app_id": api_app_id, **view}
        payload["container"] = {"type": "view", "view_id": view_json["id"]}
        payload["view"] = view_json
        return payload
    if message is None:
        message_json = _default_message(action_id, value, now)
    else:
        message_json = {"ts": f"{int(now)}.000100", **message}
    payload["container"] = {
        "type": "message",
        "message_ts": message_json["ts"],
        "channel_id": channel_id,
        "is_ephemeral": False,
    }
    payload["channel"] = {"id": channel_id, "name": channel_name}
    payload["message"] = message_json
    payload["response_url"] = response_url
    return payload


def _default_message(action_id: str, value: str | None, now: float) -> dict[str, Any]:
    """Return a plausible bot message holding the clicked button."""
    button: dict[str, Any] = {
        "type": "button",
        "action_id": action_id,
        "text": {"type": "plain_text", "text": "Button"},
    }
    if value is not None:
        button["value"] = value
    return {
        "type": "message",
        "subtype": "bot_message",
        "user": DEFAULT_BOT_USER_ID,
        "ts": f"{int(now)}.000100",
        "text": "costbot message",
        "blocks": [{"type": "actions", "block_id": "actions", "elements": [button]}],
    }


def block_actions_body(action_id: str, value: str | None, **options: Any) -> bytes:
    """Return the form-encoded ``payload=<json>`` body of a block_actions interaction."""
    return interaction_body(block_actions_payload(action_id, value, **options))


def interaction_body(payload: Mapping[str, Any]) -> bytes:
    """Form-encode any interaction payload the way Slack posts it."""
    return urlencode({"payload": json.dumps(payload, separators=(",", ":"))}).encode()


def event_callback_body(
    event: Mapping[str, Any],
    *,
    team_id: str = DEFAULT_TEAM_ID,
    api_app_id: str = DEFAULT_APP_ID,
    bot_user_id: str = DEFAULT_BOT_USER_ID,
    event_id: str | None = None,
    now: float | None = None,
) -> bytes:
    """Return the JSON body of an Events API ``event_callback`` wrapping ``event``."""
    now = time.time() if now is None else now
    body = {
        "token": VERIFICATION_TOKEN,
        "team_id": team_id,
        "api_app_id": api_app_id,
        "event": dict(event),
        "type": "event_callback",
        "event_id": event_id or f"Ev{uuid.uuid4().hex[:10].upper()}",
        "event_time": int(now),
        "authorizations": [
            {
                "enterprise_id": None,
                "team_id": team_id,
                "user_id": bot_user_id,
                "is_bot": True,
                "is_enterprise_install": False,
            }
        ],
        "is_ext_shared_channel": False,
        "event_context": f"4-{uuid.uuid4().hex}",
    }
    return json.dumps(body).encode()


def app_home_opened_event(
    *,
    user_id: str = DEFAULT_USER_ID,
    channel_id: str = "D0COSTBOT",
    tab: str = "home",
    view: Mapping[str, Any] | None = None,
    now: float | None = None,
    **envelope: Any,
) -> bytes:
    """Return the event_callback body Slack sends when a user opens the app's Home tab.

    ``view`` is the Home tab the app last published, which Slack includes when there is one.
    """
    now = time.time() if now is None else now
    event: dict[str, Any] = {
        "type": "app_home_opened",
        "user": user_id,
        "channel": channel_id,
        "tab": tab,
        "event_ts": f"{now:.6f}",
    }
    if view is not None:
        event["view"] = dict(view)
    return event_callback_body(event, now=now, **envelope)


def url_verification_body(challenge: str = "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFX") -> bytes:
    """Return the JSON body Slack sends to check a new Events API request URL."""
    body = {"token": VERIFICATION_TOKEN, "challenge": challenge, "type": "url_verification"}
    return json.dumps(body).encode()


@dataclass(frozen=True)
class Tamper:
    """Ways to damage a request, to test that the app refuses what Slack would not send.

    ``stale_by`` moves the timestamp that many seconds into the past (> 300 is refused by
    Slack's own verifier); ``retry_num`` adds Slack's retry headers.
    """

    corrupt_signature: bool = False
    drop_headers: tuple[str, ...] = ()
    stale_by: int = 0
    retry_num: int | None = None
    retry_reason: str | None = None

    @classmethod
    def stale(cls) -> Tamper:
        """Return a tamper that dates the request just past Slack's five-minute window."""
        return cls(stale_by=MAX_SIGNATURE_AGE_SECONDS + 1)


@dataclass(frozen=True)
class SignedRequest:
    """A body and the headers to send with it."""

    body: bytes
    headers: dict[str, str] = field(default_factory=dict)

    def text(self) -> str:
        """Return the body as text, as ``slack_bolt.request.BoltRequest`` takes it."""
        return self.body.decode("utf-8")


class SlackClientSim:
    """Play Slack's side towards a running app: sign and POST commands, clicks and events.

    ``clock`` supplies the signing time (default ``time.time``); ``response_urls`` is called
    for a fresh response_url per command or click, usually ``emulator.new_response_url``.
    """

    def __init__(
        self,
        signing_secret: str = DEFAULT_SIGNING_SECRET,
        *,
        clock: Callable[[], float] = time.time,
        response_urls: Callable[[], str] | None = None,
        session: requests.Session | None = None,
        timeout: float = 10.0,
    ) -> None:
        self.signing_secret = signing_secret
        self.clock = clock
        self.response_urls = response_urls
        self.session = session or requests.Session()
        self.timeout = timeout

    def close(self) -> None:
        """Close the HTTP session."""
        self.session.close()

    # -- building --------------------------------------------------------------------

    def signed(self, body: bytes, content_type: str, tamper: Tamper | None = None) -> SignedRequest:
        """Sign ``body`` now, applying ``tamper`` if given."""
        tamper = tamper or Tamper()
        timestamp = int(self.clock()) - tamper.stale_by
        headers = signed_headers(
            body,
            secret=self.signing_secret,
            timestamp=timestamp,
            content_type=content_type,
            retry_num=tamper.retry_num,
            retry_reason=tamper.retry_reason,
        )
        if tamper.corrupt_signature:
            signature = headers["X-Slack-Signature"]
            flipped = "0" if signature[-1] != "0" else "1"
            headers["X-Slack-Signature"] = signature[:-1] + flipped
        drop = {name.lower() for name in tamper.drop_headers}
        return SignedRequest(body, {k: v for k, v in headers.items() if k.lower() not in drop})

    def _response_url(self, given: str | None) -> str:
        if given is not None:
            return given
        return self.response_urls() if self.response_urls else UNSET_RESPONSE_URL

    def command_request(
        self, text: str, *, tamper: Tamper | None = None, **fields: Any
    ) -> SignedRequest:
        """Build a signed slash command (``fields`` as for ``slash_command_body``)."""
        fields["response_url"] = self._response_url(fields.get("response_url"))
        return self.signed(slash_command_body(text, **fields), FORM, tamper)

    def action_request(
        self,
        action_id: str,
        value: str | None,
        *,
        tamper: Tamper | None = None,
        **fields: Any,
    ) -> SignedRequest:
        """Build a signed block_actions click (``fields`` as for ``block_actions_payload``)."""
        if fields.get("view") is None:
            fields["response_url"] = self._response_url(fields.get("response_url"))
        fields.setdefault("now", self.clock())
        return self.signed(block_actions_body(action_id, value, **fields), FORM, tamper)

    def event_request(self, body: bytes, *, tamper: Tamper | None = None) -> SignedRequest:
        """Build a signed Events API request from a JSON body (see app_home_opened_event)."""
        return self.signed(body, JSON, tamper)

    # -- sending ---------------------------------------------------------------------

    def post(self, url: str, request: SignedRequest) -> requests.Response:
        """POST a signed request to the app."""
        return self.session.post(
            url, data=request.body, headers=request.headers, timeout=self.timeout
        )

    def post_command(
        self, url: str, text: str, *, tamper: Tamper | None = None, **fields: Any
    ) -> requests.Response:
        """POST a slash command to the app at ``url``."""
        return self.post(url, self.command_request(text, tamper=tamper, **fields))

    def post_action(
        self,
        url: str,
        action_id: str,
        value: str | None,
        *,
        tamper: Tamper | None = None,
        **fields: Any,
    ) -> requests.Response:
        """POST a block_actions click to the app at ``url``."""
        return self.post(url, self.action_request(action_id, value, tamper=tamper, **fields))

    def post_event(
        self, url: str, body: bytes, *, tamper: Tamper | None = None
    ) -> requests.Response:
        """POST an Events API body (event_callback or url_verification) to the app."""
        return self.post(url, self.event_request(body, tamper=tamper))
