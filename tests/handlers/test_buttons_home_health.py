"""Buttons on answers, the App Home tab, /healthz and /metrics — over real HTTP."""

from __future__ import annotations

import json
from pathlib import Path

import requests
from conftest import AppUnderTest, metric_samples, start_app
from harness.slack_emulator import SlackEmulator
from harness.slack_requests import DEFAULT_USER_ID, SlackClientSim, app_home_opened_event
from test_cost_command import all_text

from bot.blocks import ids
from bot.http_server import THREADS


def test_regroup_button_replaces_the_answer_in_place(
    costbot_app: AppUnderTest, slack_client_sim: SlackClientSim, slack_emulator: SlackEmulator
) -> None:
    url = slack_emulator.new_response_url()
    resp = slack_client_sim.post_action(
        costbot_app.url, ids.REGROUP, "team ai-research by service 2024-09", response_url=url
    )
    assert resp.status_code == 200
    (reply,) = slack_emulator.wait_for_response(url)
    assert reply.args["replace_original"] is True
    assert "Amazon Elastic Compute Cloud" in all_text(reply.args["blocks"])
    slack_emulator.assert_no_invalid_calls()


def test_the_answers_own_buttons_carry_questions_that_work(
    costbot_app: AppUnderTest, slack_client_sim: SlackClientSim, slack_emulator: SlackEmulator
) -> None:
    url = slack_emulator.new_response_url()
    slack_client_sim.post_command(costbot_app.url, "team ai-research", response_url=url)
    (reply,) = slack_emulator.wait_for_response(url)
    buttons = [e for b in reply.args["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert buttons, "an answer offers follow-up buttons"
    for button in buttons:
        if button["action_id"] == ids.SHARE_ANSWER:
            continue
        follow = slack_emulator.new_response_url()
        slack_client_sim.post_action(
            costbot_app.url, button["action_id"], button["value"], response_url=follow
        )
        (answer,) = slack_emulator.wait_for_response(follow)
        assert "Did you mean" not in all_text(answer.args["blocks"]), button
    slack_emulator.assert_no_invalid_calls()


def test_share_button_posts_for_everyone_and_removes_the_private_copy(
    costbot_app: AppUnderTest, slack_client_sim: SlackClientSim, slack_emulator: SlackEmulator
) -> None:
    url = slack_emulator.new_response_url()
    slack_client_sim.post_action(
        costbot_app.url, ids.SHARE_ANSWER, "by team 2024-09", response_url=url
    )
    shared, removal = slack_emulator.wait_for_response(url, count=2)
    assert shared.args["response_type"] == "in_channel"
    assert "$3,000.00" in all_text(shared.args["blocks"])
    assert removal.args.get("delete_original") is True
    assert slack_emulator.calls_to("chat.postMessage") == []
    slack_emulator.assert_no_invalid_calls()


def test_share_button_falls_back_to_posting_when_the_response_url_is_refused(
    costbot_app: AppUnderTest, slack_client_sim: SlackClientSim, slack_emulator: SlackEmulator
) -> None:
    expired = slack_emulator.new_response_url().rsplit("/", 1)[0] + "/R-never-issued"
    slack_client_sim.post_action(
        costbot_app.url, ids.SHARE_ANSWER, "by team 2024-09", response_url=expired
    )
    (post,) = slack_emulator.wait_for("chat.postMessage")
    assert post.ok and "$3,000.00" in all_text(post.blocks or [])


def test_app_home_shows_month_to_date_and_top_teams(
    costbot_app: AppUnderTest, slack_client_sim: SlackClientSim, slack_emulator: SlackEmulator
) -> None:
    resp = slack_client_sim.post_event(costbot_app.url, app_home_opened_event())
    assert resp.status_code == 200
    slack_emulator.wait_for("views.publish")
    view = slack_emulator.home_view(DEFAULT_USER_ID)
    assert view is not None
    text = all_text(view["blocks"])
    assert "ai-research" in text and "$1,400.00" in text  # ai-research, Oct 1-14
    slack_emulator.assert_no_invalid_calls()


def test_app_home_before_any_data_says_how_to_start(
    tmp_path: Path, slack_client_sim: SlackClientSim, slack_emulator: SlackEmulator
) -> None:
    app, server = start_app(tmp_path, slack_emulator, bill=False)
    try:
        slack_client_sim.post_event(app.url, app_home_opened_event())
        slack_emulator.wait_for("views.publish")
        text = all_text(slack_emulator.home_view(DEFAULT_USER_ID)["blocks"])  # type: ignore[index]
        assert "costbot ingest" in text
    finally:
        server.stop()
        app.services.close()


def test_healthz_reports_the_store_and_data_freshness(costbot_app: AppUnderTest) -> None:
    resp = requests.get(f"{costbot_app.base}/healthz", timeout=5)
    assert resp.status_code == 200
    body = resp.json()
    assert body["ok"] is True
    assert body["data_through"] == "2024-10-15T00:00:00+00:00"
    assert body["stale"] is False
    assert "store" not in body and "costbot.db" not in resp.text  # never where the store is


def test_metrics_count_requests_in_prometheus_format(
    costbot_app: AppUnderTest, slack_client_sim: SlackClientSim, slack_emulator: SlackEmulator
) -> None:
    url = slack_emulator.new_response_url()
    slack_client_sim.post_command(costbot_app.url, "by team", response_url=url)
    slack_emulator.wait_for_response(url)
    samples = metric_samples(requests.get(f"{costbot_app.base}/metrics", timeout=5).text)
    assert samples["costbot_requests_total", (("kind", "command"),)] == 1
    assert samples["costbot_request_seconds_count", (("kind", "command"),)] == 1
    assert samples["costbot_data_through_timestamp_seconds", ()] == 1728950400
    assert samples["process_resident_memory_bytes", ()] > 0  # process metrics too


def test_url_verification_is_answered(
    costbot_app: AppUnderTest, slack_client_sim: SlackClientSim
) -> None:
    from harness.slack_requests import url_verification_body

    resp = slack_client_sim.post_event(costbot_app.url, url_verification_body("abc"))
    assert resp.status_code == 200
    assert "abc" in resp.text
    assert json.loads(resp.text).get("challenge") == "abc"


def test_probes_do_not_leak_store_connections(costbot_app: AppUnderTest) -> None:
    for _ in range(30):
        requests.get(f"{costbot_app.base}/healthz", timeout=5)
        requests.get(f"{costbot_app.base}/metrics", timeout=5)
    # requests run on waitress's bounded pool: at most one connection per pool thread
    requests.get(f"{costbot_app.base}/healthz", timeout=5)
    assert costbot_app.services.store.open_connections() <= THREADS + 2  # + main, + ingest
