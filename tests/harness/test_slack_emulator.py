"""The emulator answers the real slack_sdk clients the way Slack would, and records it all."""

from __future__ import annotations

import json
import threading
from typing import Any

import pytest
import requests
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler
from slack_sdk.webhook import WebhookClient

from .slack_emulator import FilePart, SlackEmulator


@pytest.fixture
def client(slack_emulator: SlackEmulator) -> WebClient:
    """A real WebClient pointed at the emulator."""
    return WebClient(token=slack_emulator.bot_token, base_url=slack_emulator.base_url)


def section(text: str, block_id: str | None = None) -> dict[str, Any]:
    """Build a mrkdwn section block."""
    block: dict[str, Any] = {"type": "section", "text": {"type": "mrkdwn", "text": text}}
    if block_id is not None:
        block["block_id"] = block_id
    return block


def button(text: str = "Stop", **extra: str) -> dict[str, Any]:
    """Build a button element."""
    return {"type": "button", "text": {"type": "plain_text", "text": text}, **extra}


def refusal(call: Any) -> SlackApiError:
    """Run ``call`` and return the SlackApiError it must raise."""
    with pytest.raises(SlackApiError) as caught:
        call()
    return caught.value


# -- recording and required arguments ---------------------------------------------------


def test_valid_post_message_is_recorded_with_its_blocks(
    client: WebClient, slack_emulator: SlackEmulator
) -> None:
    blocks = [section("*GPU spend* is up 40%", block_id="summary")]

    answer = client.chat_postMessage(channel="C0COSTS", text="GPU spend is up", blocks=blocks)

    assert answer["ok"] is True
    assert answer["channel"] == "C0COSTS"
    assert answer["message"]["blocks"] == blocks
    (call,) = slack_emulator.calls_to("chat.postMessage")
    assert call.ok and call.blocks == blocks and call.text == "GPU spend is up"
    assert call.headers["authorization"] == f"Bearer {slack_emulator.bot_token}"
    stored = slack_emulator.message("C0COSTS", answer["ts"])
    assert stored is not None and stored["text"] == "GPU spend is up"
    slack_emulator.assert_no_invalid_calls()


def test_message_ts_values_are_unique_and_follow_the_clock() -> None:
    with SlackEmulator(clock=lambda: 1_700_000_000.5) as emulator:
        client = WebClient(token=emulator.bot_token, base_url=emulator.base_url)
        first = client.chat_postMessage(channel="C1", text="a")["ts"]
        second = client.chat_postMessage(channel="C1", text="b")["ts"]
    assert first != second
    assert first.startswith("1700000000.") and second.startswith("1700000000.")


def test_missing_channel_is_refused_with_slacks_code_and_recorded_invalid(
    client: WebClient, slack_emulator: SlackEmulator
) -> None:
    error = refusal(lambda: client.api_call("chat.postMessage", json={"text": "hello"}))

    assert error.response["error"] == "channel_not_found"
    (invalid,) = slack_emulator.invalid_calls
    assert invalid.method == "chat.postMessage"
    assert invalid.errors == ["missing required field: channel"]
    with pytest.raises(AssertionError, match="channel_not_found"):
        slack_emulator.assert_no_invalid_calls()


def test_message_without_text_or_blocks_is_no_text(
    client: WebClient, slack_emulator: SlackEmulator
) -> None:
    error = refusal(lambda: client.api_call("chat.postMessage", json={"channel": "C1"}))
    assert error.response["error"] == "no_text"
    assert slack_emulator.invalid_calls[0].error == "no_text"


def test_missing_argument_without_a_specific_code_is_invalid_arguments(
    client: WebClient,
) -> None:
    error = refusal(lambda: client.api_call("users.info", params={}))
    assert error.response["error"] == "invalid_arguments"
    assert error.response["response_metadata"]["messages"] == [
        "[ERROR] missing required field: user"
    ]


def test_ids_sent_as_json_numbers_are_refused(client: WebClient) -> None:
    body = {"channel": "C1", "ts": 1503435956.00024, "text": "x"}
    error = refusal(lambda: client.api_call("chat.update", json=body))
    assert error.response["error"] == "invalid_arguments"


def test_unknown_and_retired_methods_are_refused(
    client: WebClient, slack_emulator: SlackEmulator
) -> None:
    unknown = refusal(lambda: client.api_call("chat.postMessages"))
    assert unknown.response["error"] == "unknown_method"
    with pytest.warns(UserWarning, match="files_upload_v2"):
        legacy = refusal(lambda: client.files_upload(file=b"png-bytes", filename="c.png"))
    assert legacy.response["error"] == "method_deprecated"
    (upload,) = slack_emulator.calls_to("files.upload")
    assert upload.args["file"] == FilePart("c.png", b"png-bytes")  # multipart was parsed
    assert [c.method for c in slack_emulator.invalid_calls] == ["chat.postMessages", "files.upload"]


def test_malformed_json_body_is_invalid_json(slack_emulator: SlackEmulator) -> None:
    answer = requests.post(
        slack_emulator.base_url + "chat.postMessage",
        data=b"{not json",
        headers={
            "Authorization": f"Bearer {slack_emulator.bot_token}",
            "Content-Type": "application/json",
        },
        timeout=5,
    ).json()
    assert answer["error"] == "invalid_json"
    assert slack_emulator.invalid_calls[0].method == "chat.postMessage"


# -- authentication ---------------------------------------------------------------------


def test_wrong_token_is_invalid_auth(slack_emulator: SlackEmulator) -> None:
    client = WebClient(token="xoxb-wrong", base_url=slack_emulator.base_url)
    assert refusal(client.auth_test).response["error"] == "invalid_auth"


def test_missing_token_is_not_authed(slack_emulator: SlackEmulator) -> None:
    client = WebClient(base_url=slack_emulator.base_url)
    assert refusal(client.auth_test).response["error"] == "not_authed"
    assert slack_emulator.invalid_calls[0].error == "not_authed"


def test_form_encoded_token_argument_and_get_query_are_accepted(
    slack_emulator: SlackEmulator,
) -> None:
    posted = requests.post(
        slack_emulator.base_url + "chat.postMessage",
        data={"token": slack_emulator.bot_token, "channel": "C1", "text": "form"},
        timeout=5,
    ).json()
    fetched = requests.get(
        slack_emulator.base_url + "users.info",
        params={"token": slack_emulator.bot_token, "user": "U0ALICE"},
        timeout=5,
    ).json()
    assert posted["ok"] and posted["message"]["text"] == "form"
    assert fetched["ok"] and fetched["user"]["id"] == "U0ALICE"
    assert "token" not in slack_emulator.calls[0].args


# -- Block Kit limits -------------------------------------------------------------------


def test_fifty_blocks_pass_and_fifty_one_are_invalid_blocks(
    client: WebClient, slack_emulator: SlackEmulator
) -> None:
    client.chat_postMessage(channel="C1", text="ok", blocks=[section("x")] * 50)
    error = refusal(
        lambda: client.chat_postMessage(channel="C1", text="no", blocks=[section("x")] * 51)
    )
    assert error.response["error"] == "invalid_blocks"
    assert error.response["errors"] == ["no more than 50 items allowed [json-pointer:/blocks]"]
    assert len(slack_emulator.invalid_calls) == 1


def test_section_text_of_3000_passes_and_3001_is_invalid_blocks(client: WebClient) -> None:
    client.chat_postMessage(channel="C1", text="ok", blocks=[section("a" * 3000)])
    error = refusal(
        lambda: client.chat_postMessage(channel="C1", text="no", blocks=[section("a" * 3001)])
    )
    assert error.response["error"] == "invalid_blocks"
    assert error.response["errors"] == [
        "must be less than 3001 characters [json-pointer:/blocks/0/text/text]"
    ]


def _fields(count: int, length: int = 5) -> dict[str, Any]:
    return {"type": "section", "fields": [{"type": "mrkdwn", "text": "f" * length}] * count}


def _actions(*elements: dict[str, Any]) -> dict[str, Any]:
    return {"type": "actions", "elements": list(elements)}


def _header(length: int) -> dict[str, Any]:
    return {"type": "header", "text": {"type": "plain_text", "text": "h" * length}}


def _context(count: int) -> dict[str, Any]:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": "c"}] * count}


def _image(alt_length: int) -> dict[str, Any]:
    return {
        "type": "image",
        "image_url": "https://example.invalid/c.png",
        "alt_text": "a" * alt_length,
    }


LIMITS = {
    "header text 150": (_header(150), _header(151), "/blocks/0/text/text"),
    "fields 10": (_fields(10), _fields(11), "/blocks/0/fields"),
    "field text 2000": (_fields(1, 2000), _fields(1, 2001), "/blocks/0/fields/0/text"),
    "context elements 10": (_context(10), _context(11), "/blocks/0/elements"),
    "actions elements 25": (
        _actions(*[button(action_id=f"a{i}") for i in range(25)]),
        _actions(*[button(action_id=f"a{i}") for i in range(26)]),
        "/blocks/0/elements",
    ),
    "button text 75": (
        _actions(button("b" * 75)),
        _actions(button("b" * 76)),
        "/blocks/0/elements/0/text/text",
    ),
    "button value 2000": (
        _actions(button(value="v" * 2000)),
        _actions(button(value="v" * 2001)),
        "/blocks/0/elements/0/value",
    ),
    "action_id 255": (
        _actions(button(action_id="a" * 255)),
        _actions(button(action_id="a" * 256)),
        "/blocks/0/elements/0/action_id",
    ),
    "block_id 255": (section("x", "b" * 255), section("x", "b" * 256), "/blocks/0/block_id"),
    "image alt_text 2000": (_image(2000), _image(2001), "/blocks/0/alt_text"),
}


@pytest.mark.parametrize(("at_limit", "over_limit", "pointer"), LIMITS.values(), ids=LIMITS)
def test_block_kit_limits_are_enforced_at_their_documented_boundary(
    client: WebClient,
    slack_emulator: SlackEmulator,
    at_limit: dict[str, Any],
    over_limit: dict[str, Any],
    pointer: str,
) -> None:
    assert client.chat_postMessage(channel="C1", text="ok", blocks=[at_limit])["ok"]
    error = refusal(lambda: client.chat_postMessage(channel="C1", text="x", blocks=[over_limit]))
    assert error.response["error"] == "invalid_blocks"
    assert any(f"[json-pointer:{pointer}]" in e for e in error.response["errors"])
    assert len(slack_emulator.invalid_calls) == 1


def test_header_must_be_plain_text_and_block_ids_unique(client: WebClient) -> None:
    mrkdwn_header = {"type": "header", "text": {"type": "mrkdwn", "text": "*h*"}}
    blocks = [mrkdwn_header, section("a", "same"), section("b", "same")]
    errors = refusal(
        lambda: client.chat_postMessage(channel="C1", text="x", blocks=blocks)
    ).response["errors"]
    assert errors == [
        "type must be plain_text [json-pointer:/blocks/0/text/type]",
        "duplicate block_id 'same' [json-pointer:/blocks/2]",
    ]


def test_large_but_individually_valid_blocks_are_msg_blocks_too_long(client: WebClient) -> None:
    blocks = [section("x" * 2900, f"b{i}") for i in range(5)]  # ~14,700 chars of JSON
    error = refusal(lambda: client.chat_postMessage(channel="C1", text="x", blocks=blocks))
    assert error.response["error"] == "msg_blocks_too_long"


def test_text_above_40000_characters_is_msg_too_long(client: WebClient) -> None:
    error = refusal(lambda: client.chat_postMessage(channel="C1", text="x" * 40_001))
    assert error.response["error"] == "msg_too_long"


def test_blocks_that_are_not_a_json_array_are_invalid_blocks_format(client: WebClient) -> None:
    form = {"channel": "C1", "text": "x", "blocks": json.dumps({"type": "section"})}
    error = refusal(lambda: client.api_call("chat.postMessage", params=form))
    assert error.response["error"] == "invalid_blocks_format"


def test_blocks_sent_form_encoded_are_decoded_for_assertions(
    client: WebClient, slack_emulator: SlackEmulator
) -> None:
    blocks = [section("form")]
    form = {"channel": "C1", "text": "x", "blocks": json.dumps(blocks)}
    client.api_call("chat.postMessage", params=form)
    assert slack_emulator.calls[0].blocks == blocks


# -- views ------------------------------------------------------------------------------


def test_home_tab_is_published_and_kept_per_user(
    client: WebClient, slack_emulator: SlackEmulator
) -> None:
    view = {"type": "home", "blocks": [section("Spend this month: $1,234")]}
    answer = client.views_publish(user_id="U0ALICE", view=view)
    assert answer["view"]["id"].startswith("V")
    home = slack_emulator.home_view("U0ALICE")
    assert home is not None and home["blocks"] == view["blocks"]


def test_home_tab_allows_100_blocks_but_not_101(client: WebClient) -> None:
    client.views_publish(user_id="U1", view={"type": "home", "blocks": [section("x")] * 100})
    too_many = {"type": "home", "blocks": [section("x")] * 101}
    error = refusal(lambda: client.views_publish(user_id="U1", view=too_many))
    assert error.response["error"] == "invalid_arguments"
    assert error.response["response_metadata"]["messages"] == [
        "[ERROR] no more than 100 items allowed [json-pointer:/view/blocks]"
    ]


def test_publishing_a_modal_as_home_tab_and_long_modal_titles_are_refused(
    client: WebClient,
) -> None:
    title = {"type": "plain_text", "text": "t" * 25}
    modal = {"type": "modal", "title": title, "blocks": [section("x")]}
    as_home = refusal(lambda: client.views_publish(user_id="U1", view=modal))
    assert as_home.response["error"] == "invalid_arguments"
    error = refusal(lambda: client.views_open(trigger_id="1.2.abc", view=modal))
    assert "[json-pointer:/view/title/text]" in error.response["response_metadata"]["messages"][0]


# -- conversations, users, messages -----------------------------------------------------


def test_not_in_channel_follows_membership_until_the_bot_joins(
    client: WebClient, slack_emulator: SlackEmulator
) -> None:
    slack_emulator.add_channel("C0PRIV8", name="gpu-alerts", is_member=False)

    error = refusal(lambda: client.chat_postMessage(channel="C0PRIV8", text="x"))
    assert error.response["error"] == "not_in_channel"
    assert client.conversations_info(channel="C0PRIV8")["channel"]["is_member"] is False
    client.conversations_join(channel="C0PRIV8")
    assert client.chat_postMessage(channel="#gpu-alerts", text="x")["channel"] == "C0PRIV8"
    slack_emulator.assert_no_invalid_calls()  # state-dependent refusals are not invalid


def test_strict_channels_refuse_unknown_conversations() -> None:
    with SlackEmulator(strict_channels=True) as emulator:
        client = WebClient(token=emulator.bot_token, base_url=emulator.base_url)
        error = refusal(lambda: client.conversations_info(channel="C0NOPE"))
    assert error.response["error"] == "channel_not_found"


def test_users_carry_their_configured_time_zone(
    client: WebClient, slack_emulator: SlackEmulator
) -> None:
    slack_emulator.add_user("U0BOB", name="bob", tz="Europe/Berlin")
    assert client.users_info(user="U0BOB")["user"]["tz"] == "Europe/Berlin"


def test_update_and_delete_change_the_stored_message(
    client: WebClient, slack_emulator: SlackEmulator
) -> None:
    ts = client.chat_postMessage(channel="C1", text="before")["ts"]
    client.chat_update(channel="C1", ts=ts, text="after", blocks=[section("after")])
    updated = slack_emulator.message("C1", ts)
    assert updated is not None and updated["blocks"] == [section("after")]
    client.chat_delete(channel="C1", ts=ts)
    assert slack_emulator.message("C1", ts) is None


def test_ephemeral_message_answers_message_ts(client: WebClient) -> None:
    answer = client.chat_postEphemeral(channel="C1", user="U0ALICE", text="only you")
    assert answer["message_ts"]


def test_set_response_answers_methods_the_emulator_does_not_model(
    client: WebClient, slack_emulator: SlackEmulator
) -> None:
    unmodelled = refusal(lambda: client.reactions_add(channel="C1", timestamp="1.2", name="eyes"))
    assert unmodelled.response["error"] == "not_implemented_in_emulator"
    slack_emulator.set_response("reactions.add", {"note": "canned"})
    answer = client.reactions_add(channel="C1", timestamp="1.2", name="eyes")
    assert answer["note"] == "canned"


# -- injected errors --------------------------------------------------------------------


def test_ratelimited_is_retried_by_slack_sdks_retry_handler(
    slack_emulator: SlackEmulator,
) -> None:
    client = WebClient(
        token=slack_emulator.bot_token,
        base_url=slack_emulator.base_url,
        retry_handlers=[RateLimitErrorRetryHandler(max_retry_count=1)],
    )
    slack_emulator.queue_error("chat.postMessage", "ratelimited", status=429, retry_after=0)

    assert client.chat_postMessage(channel="C1", text="after retry")["ok"] is True
    first, second = slack_emulator.calls_to("chat.postMessage")
    assert (first.status, first.error, first.injected) == (429, "ratelimited", True)
    assert second.ok
    slack_emulator.assert_no_invalid_calls()


def test_ratelimited_without_retry_handler_surfaces_429_with_retry_after(
    client: WebClient, slack_emulator: SlackEmulator
) -> None:
    slack_emulator.queue_error("chat.postMessage", "ratelimited", retry_after=30)
    error = refusal(lambda: client.chat_postMessage(channel="C1", text="x"))
    assert error.response.status_code == 429
    assert error.response.headers["Retry-After"] == "30"


def test_queued_not_in_channel_surfaces_as_slack_api_error_only_for_its_channel(
    client: WebClient, slack_emulator: SlackEmulator
) -> None:
    slack_emulator.queue_error("chat.postMessage", "not_in_channel", channel="C0GPU", times=2)

    assert client.chat_postMessage(channel="C0OTHER", text="x")["ok"]
    for _ in range(2):
        error = refusal(lambda: client.chat_postMessage(channel="C0GPU", text="x"))
        assert error.response["error"] == "not_in_channel"
        assert error.response.status_code == 200
    assert client.chat_postMessage(channel="C0GPU", text="x")["ok"]


# -- files ------------------------------------------------------------------------------


def test_files_upload_v2_goes_through_the_external_upload_flow(
    client: WebClient, slack_emulator: SlackEmulator
) -> None:
    png = b"\x89PNG\r\n\x1a\nchart-bytes"

    answer = client.files_upload_v2(
        channel="C0COSTS", content=png, filename="spend.png", title="GPU spend"
    )

    assert answer["file"]["title"] == "GPU spend"
    (url_call,) = slack_emulator.calls_to("files.getUploadURLExternal")
    (done,) = slack_emulator.calls_to("files.completeUploadExternal")
    file_id = url_call.response["file_id"]
    assert url_call.args["length"] == str(len(png))
    assert done.json_arg("files") == [{"id": file_id, "title": "GPU spend"}]
    assert done.args["channel_id"] == "C0COSTS"
    assert slack_emulator.uploaded_bytes(file_id) == png
    slack_emulator.assert_no_invalid_calls()


def test_completing_an_upload_whose_bytes_never_arrived_is_file_not_found(
    client: WebClient,
) -> None:
    file_id = client.files_getUploadURLExternal(filename="a.png", length=3)["file_id"]
    error = refusal(lambda: client.files_completeUploadExternal(files=[{"id": file_id}]))
    assert error.response["error"] == "file_not_found"


# -- waiting and resetting --------------------------------------------------------------


def test_wait_for_returns_once_a_background_thread_has_called(
    client: WebClient, slack_emulator: SlackEmulator
) -> None:
    worker = threading.Thread(
        target=lambda: client.chat_postMessage(channel="C1", text="digest"), daemon=True
    )
    worker.start()
    (call,) = slack_emulator.wait_for("chat.postMessage", timeout=5)
    worker.join(timeout=5)
    assert call.text == "digest"


def test_wait_for_times_out_with_what_did_arrive(
    client: WebClient, slack_emulator: SlackEmulator
) -> None:
    client.auth_test()
    with pytest.raises(AssertionError, match=r"got 0; the last 1 of 1 requests:\n  auth.test: ok"):
        slack_emulator.wait_for("chat.postMessage", timeout=0.05)


def test_reset_forgets_calls_and_queued_errors_but_keeps_channels(
    client: WebClient, slack_emulator: SlackEmulator
) -> None:
    slack_emulator.add_channel("C0OUT", is_member=False)
    slack_emulator.queue_error("auth.test", "invalid_auth")
    client.chat_postMessage(channel="C1", text="x")

    slack_emulator.reset()

    assert slack_emulator.calls == []
    assert client.auth_test()["ok"]
    still_outside = refusal(lambda: client.chat_postMessage(channel="C0OUT", text="x"))
    assert still_outside.response["error"] == "not_in_channel"


def test_stop_closes_the_port() -> None:
    emulator = SlackEmulator().start()
    url = emulator.base_url
    emulator.stop()
    with pytest.raises(requests.ConnectionError):
        requests.post(url + "auth.test", timeout=2)


# -- response_url -----------------------------------------------------------------------


def test_response_url_accepts_five_posts_and_refuses_the_sixth(
    slack_emulator: SlackEmulator,
) -> None:
    url = slack_emulator.new_response_url()
    webhook = WebhookClient(url)  # what Bolt's respond() uses

    statuses = [webhook.send(text=f"update {i}").status_code for i in range(6)]

    assert statuses == [200, 200, 200, 200, 200, 404]
    assert len(slack_emulator.responses(url)) == 5
    (refused,) = slack_emulator.invalid_calls
    assert (refused.method, refused.error) == ("response_url", "used_url")


def test_response_url_records_payload_fields(slack_emulator: SlackEmulator) -> None:
    url = slack_emulator.new_response_url()
    WebhookClient(url).send(
        text="Top spenders",
        blocks=[section("*1.* ml-team")],
        response_type="in_channel",
        replace_original=True,
    )
    (post,) = slack_emulator.wait_for_response(url)
    assert post.args["response_type"] == "in_channel"
    assert post.args["replace_original"] is True
    assert post.blocks == [section("*1.* ml-team")]


def test_response_url_expires_after_thirty_minutes_of_injected_time() -> None:
    now = [1_700_000_000.0]
    with SlackEmulator(clock=lambda: now[0]) as emulator:
        url = emulator.new_response_url()
        assert WebhookClient(url).send(text="in time").status_code == 200
        now[0] += 30 * 60 + 1
        late = WebhookClient(url).send(text="too late")
    assert late.status_code == 404
    assert json.loads(late.body)["error"] == "expired_url"


def test_response_url_validates_blocks_like_chat_post_message(
    slack_emulator: SlackEmulator,
) -> None:
    url = slack_emulator.new_response_url()
    answer = WebhookClient(url).send(text="x", blocks=[section("a" * 3001)])
    assert answer.status_code == 400
    assert json.loads(answer.body)["error"] == "invalid_blocks"
    assert slack_emulator.responses(url) == []
    assert slack_emulator.invalid_calls[0].method == "response_url"


def test_response_url_never_issued_is_refused(slack_emulator: SlackEmulator) -> None:
    answer = WebhookClient(f"{slack_emulator.root_url}/response/R404").send(text="x")
    assert answer.status_code == 404
    assert slack_emulator.invalid_calls[0].errors == ["no response_url R404 issued"]
