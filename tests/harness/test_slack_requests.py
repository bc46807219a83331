"""The request builders produce what Slack sends, signed so that Slack's own verifier agrees."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator, Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, parse_qsl

import pytest
from hypothesis import given
from hypothesis import strategies as st
from slack_bolt import Ack, App, BoltRequest, Respond
from slack_sdk import WebClient
from slack_sdk.signature import Clock, SignatureVerifier

from .slack_emulator import SlackEmulator
from .slack_requests import (
    DEFAULT_APP_ID,
    DEFAULT_BOT_USER_ID,
    DEFAULT_SIGNING_SECRET,
    DEFAULT_TEAM_ID,
    SignedRequest,
    SlackClientSim,
    Tamper,
    app_home_opened_event,
    block_actions_body,
    sign,
    slash_command_body,
    url_verification_body,
)
from .slack_web_api import Identity

NOW = 1_700_000_000


class FixedClock(Clock):
    """slack_sdk's SignatureVerifier clock, frozen at a chosen time."""

    def __init__(self, now: float) -> None:
        self._now = now

    def now(self) -> float:
        return self._now


def verifier(now: float = NOW) -> SignatureVerifier:
    """Slack's own verifier with the harness's secret and a frozen clock."""
    return SignatureVerifier(DEFAULT_SIGNING_SECRET, clock=FixedClock(now))


def sim(now: float = NOW) -> SlackClientSim:
    """A Slack-side sender whose clock is frozen."""
    return SlackClientSim(clock=lambda: now)


# -- signing ----------------------------------------------------------------------------


def test_sign_matches_slack_sdks_signature_verifier() -> None:
    body = slash_command_body("top 5 services")
    expected = verifier().generate_signature(timestamp=str(NOW), body=body)
    assert sign(body, NOW, DEFAULT_SIGNING_SECRET) == expected
    assert sign(body, NOW, DEFAULT_SIGNING_SECRET).startswith("v0=")


@given(body=st.text(), timestamp=st.integers(min_value=0, max_value=4_000_000_000))
def test_sign_agrees_with_slack_sdk_for_any_body_and_timestamp(body: str, timestamp: int) -> None:
    expected = verifier().generate_signature(timestamp=str(timestamp), body=body)
    assert sign(body.encode(), timestamp, DEFAULT_SIGNING_SECRET) == expected


@pytest.mark.parametrize(
    "request_for",
    [
        lambda s: s.command_request("top 5"),
        lambda s: s.action_request("stop_instance", "i-0abc"),
        lambda s: s.event_request(app_home_opened_event(now=NOW)),
    ],
    ids=["command", "action", "event"],
)
def test_signed_requests_pass_slacks_verifier(request_for: Any) -> None:
    request: SignedRequest = request_for(sim())
    assert request.headers["X-Slack-Request-Timestamp"] == str(NOW)
    assert verifier().is_valid_request(request.body, request.headers)


def test_stale_timestamp_fails_slacks_verifier() -> None:
    stale = sim().command_request("top 5", tamper=Tamper.stale())
    assert int(stale.headers["X-Slack-Request-Timestamp"]) == NOW - 301
    assert not verifier().is_valid_request(stale.body, stale.headers)
    just_in_time = sim().command_request("top 5", tamper=Tamper(stale_by=299))
    assert verifier().is_valid_request(just_in_time.body, just_in_time.headers)


def test_corrupted_signature_and_dropped_headers_fail_slacks_verifier() -> None:
    corrupt = sim().command_request("x", tamper=Tamper(corrupt_signature=True))
    unsigned = sim().command_request("x", tamper=Tamper(drop_headers=("x-slack-signature",)))
    assert not verifier().is_valid_request(corrupt.body, corrupt.headers)
    assert "X-Slack-Signature" not in unsigned.headers
    assert not verifier().is_valid_request(unsigned.body, unsigned.headers)


def test_retry_headers_are_added_like_slacks_redelivery() -> None:
    retried = sim().event_request(app_home_opened_event(), tamper=Tamper(retry_num=1))
    assert retried.headers["X-Slack-Retry-Num"] == "1"
    assert retried.headers["X-Slack-Retry-Reason"] == "http_timeout"
    assert verifier().is_valid_request(retried.body, retried.headers)


# -- bodies -----------------------------------------------------------------------------


def test_slash_command_body_has_every_field_slack_sends_in_order() -> None:
    body = slash_command_body("forecast", response_url="http://127.0.0.1:1/response/R1")
    fields = parse_qsl(body.decode(), keep_blank_values=True)
    assert [name for name, _ in fields] == [
        "token",
        "team_id",
        "team_domain",
        "channel_id",
        "channel_name",
        "user_id",
        "user_name",
        "command",
        "text",
        "api_app_id",
        "is_enterprise_install",
        "response_url",
        "trigger_id",
    ]
    values = dict(fields)
    assert (values["command"], values["text"]) == ("/cost", "forecast")
    assert values["response_url"] == "http://127.0.0.1:1/response/R1"


def test_block_actions_body_is_a_form_encoded_json_payload() -> None:
    body = block_actions_body("stop_instance", "i-0abc", response_url="http://127.0.0.1:1/r/1")
    (raw,) = parse_qs(body.decode())["payload"]
    payload = json.loads(raw)
    (action,) = payload["actions"]
    assert payload["type"] == "block_actions"
    assert (action["action_id"], action["value"], action["type"]) == (
        "stop_instance",
        "i-0abc",
        "button",
    )
    assert payload["container"]["type"] == "message"
    assert payload["container"]["message_ts"] == payload["message"]["ts"]
    assert payload["response_url"] == "http://127.0.0.1:1/r/1"


def test_block_actions_from_a_home_tab_carry_the_view_and_no_response_url() -> None:
    body = block_actions_body("refresh_home", None, view={"type": "home", "blocks": []})
    payload = json.loads(parse_qs(body.decode())["payload"][0])
    assert payload["container"] == {"type": "view", "view_id": "V0COSTBOT"}
    assert "response_url" not in payload and "channel" not in payload


def test_app_home_opened_and_url_verification_bodies() -> None:
    event_body = json.loads(app_home_opened_event(user_id="U0BOB", now=NOW))
    challenge = json.loads(url_verification_body("abc"))
    assert event_body["type"] == "event_callback"
    assert event_body["event"] == {
        "type": "app_home_opened",
        "user": "U0BOB",
        "channel": "D0COSTBOT",
        "tab": "home",
        "event_ts": f"{NOW:.6f}",
    }
    assert event_body["event_time"] == NOW
    assert challenge == {
        "token": challenge["token"],
        "challenge": "abc",
        "type": "url_verification",
    }


# -- through Bolt, over HTTP ------------------------------------------------------------


class _BoltHandler(BaseHTTPRequestHandler):
    """Hand each POST to Bolt's App.dispatch, as an HTTP-mode deployment does."""

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
        headers: dict[str, str | Sequence[str]] = dict(self.headers.items())
        answer = self.server.app.dispatch(BoltRequest(body=body, headers=headers))  # type: ignore[attr-defined]
        payload = (answer.body or "").encode()
        self.send_response(answer.status)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, format: str, *args: Any) -> None:
        """Stay quiet."""


@pytest.fixture
def bolt_app(slack_emulator: SlackEmulator) -> App:
    """A real Bolt app whose Web API client talks to the emulator."""
    client = WebClient(token=slack_emulator.bot_token, base_url=slack_emulator.base_url)
    app = App(client=client, signing_secret=DEFAULT_SIGNING_SECRET, process_before_response=True)

    @app.command("/cost")
    def cost_command(ack: Ack, respond: Respond, command: dict[str, Any]) -> None:
        ack()
        respond(text=f"cost for {command['text']}")

    @app.action("stop_instance")
    def stop_instance_action(ack: Ack, respond: Respond, body: dict[str, Any]) -> None:
        ack()
        respond(text=f"stopping {body['actions'][0]['value']}", replace_original=True)

    @app.event("app_home_opened")
    def app_home_opened(client: WebClient, event: dict[str, Any]) -> None:
        view = {"type": "home", "blocks": [{"type": "divider"}]}
        client.views_publish(user_id=event["user"], view=view)

    return app


@pytest.fixture
def app_url(bolt_app: App) -> Iterator[str]:
    """Serve ``bolt_app`` on 127.0.0.1 and yield its request URL."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _BoltHandler)
    server.daemon_threads = True
    server.app = bolt_app  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/slack/events"
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


def test_command_posted_over_http_reaches_bolt_and_its_response_url(
    app_url: str, slack_emulator: SlackEmulator, slack_client_sim: SlackClientSim
) -> None:
    answer = slack_client_sim.post_command(app_url, "last month")

    assert answer.status_code == 200
    (reply,) = slack_emulator.wait_for("response_url")
    assert reply.args["text"] == "cost for last month"
    slack_emulator.assert_no_invalid_calls()


def test_button_click_posted_over_http_reaches_bolt(
    app_url: str, slack_emulator: SlackEmulator, slack_client_sim: SlackClientSim
) -> None:
    answer = slack_client_sim.post_action(app_url, "stop_instance", "i-0abc")

    assert answer.status_code == 200
    (reply,) = slack_emulator.wait_for("response_url")
    assert (reply.args["text"], reply.args["replace_original"]) == ("stopping i-0abc", True)


def test_app_home_opened_event_makes_bolt_publish_to_the_emulator(
    app_url: str, slack_emulator: SlackEmulator, slack_client_sim: SlackClientSim
) -> None:
    answer = slack_client_sim.post_event(app_url, app_home_opened_event(user_id="U0BOB"))

    assert answer.status_code == 200
    slack_emulator.wait_for("views.publish")
    home = slack_emulator.home_view("U0BOB")
    assert home is not None and home["blocks"] == [{"type": "divider"}]


def test_url_verification_is_answered_with_the_challenge(
    app_url: str, slack_client_sim: SlackClientSim
) -> None:
    answer = slack_client_sim.post_event(app_url, url_verification_body("chal-123"))
    assert answer.status_code == 200
    assert answer.json() == {"challenge": "chal-123"}


@pytest.mark.parametrize(
    "tamper",
    [Tamper.stale(), Tamper(corrupt_signature=True), Tamper(drop_headers=("X-Slack-Signature",))],
    ids=["stale", "corrupt", "unsigned"],
)
def test_bolt_refuses_tampered_requests_and_nothing_reaches_slack(
    app_url: str,
    slack_emulator: SlackEmulator,
    slack_client_sim: SlackClientSim,
    tamper: Tamper,
) -> None:
    before = len(slack_emulator.calls)
    answer = slack_client_sim.post_command(app_url, "top 5", tamper=tamper)
    assert answer.status_code == 401
    assert len(slack_emulator.calls) == before


def test_sim_fills_response_urls_from_the_emulator(
    slack_emulator: SlackEmulator, slack_client_sim: SlackClientSim
) -> None:
    request = slack_client_sim.command_request("x")
    response_url = dict(parse_qsl(request.text()))["response_url"]
    assert response_url.startswith(f"{slack_emulator.root_url}/response/")


def test_request_defaults_match_the_emulators_workspace() -> None:
    me = Identity()
    assert (
        me.team_id,
        me.app_id,
        me.bot_user_id,
    ) == (DEFAULT_TEAM_ID, DEFAULT_APP_ID, DEFAULT_BOT_USER_ID)
