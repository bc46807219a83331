"""Over real HTTP: the reading echoed, asking back, no data yet, App Home per currency."""

from __future__ import annotations

import json
from pathlib import Path

from builders import focus_row, write_csv
from conftest import AppUnderTest, start_app
from harness.slack_emulator import SlackEmulator
from harness.slack_requests import DEFAULT_USER_ID, SlackClientSim, app_home_opened_event
from test_cost_command import all_text, ask

from bot.blocks import ids
from bot.costs.ingest import ingest


def test_every_answer_says_how_it_read_the_question(
    costbot_app: AppUnderTest, slack_client_sim: SlackClientSim, slack_emulator: SlackEmulator
) -> None:
    reply = ask(
        costbot_app,
        slack_client_sim,
        slack_emulator,
        "what did ai-research spend on EC2 in September?",
    )
    text = all_text(reply["blocks"])
    assert (
        "I read this as: team ai-research · service Amazon Elastic Compute Cloud · "
        "2024-09-01..2024-09-30" in text
    )
    assert "$3,000.00" in text
    slack_emulator.assert_no_invalid_calls()


def test_an_ambiguous_value_asks_back_with_a_button_per_reading(
    tmp_path: Path, slack_client_sim: SlackClientSim, slack_emulator: SlackEmulator
) -> None:
    app, server = start_app(tmp_path, slack_emulator, bill=False)
    rows = [
        focus_row("2024-10-01", "5.00", tags=json.dumps({"team": "vision"})),
        focus_row("2024-10-02", "3.00", tags=json.dumps({"project": "vision"}), resource="i-2"),
    ]
    ingest(
        app.services.store,
        [str(write_csv(tmp_path / "b.csv", rows))],
        allocation_tags=(),
        aliases={},
    )
    try:
        reply = ask(app, slack_client_sim, slack_emulator, "vision spend 2024-10")
        buttons = [e for b in reply["blocks"] if b["type"] == "actions" for e in b["elements"]]
        assert sorted(b["value"] for b in buttons) == [
            "project vision spend 2024-10",
            "team vision spend 2024-10",
        ]
        assert {b["action_id"] for b in buttons} == {ids.pick_reading_id(0), ids.pick_reading_id(1)}
        team = next(b for b in buttons if b["value"].startswith("team"))
        follow = slack_emulator.new_response_url()
        slack_client_sim.post_action(app.url, team["action_id"], team["value"], response_url=follow)
        (answer,) = slack_emulator.wait_for_response(follow)
        assert answer.args["replace_original"] is True
        assert "$5.00" in all_text(answer.args["blocks"])
        slack_emulator.assert_no_invalid_calls()
    finally:
        server.stop()
        app.services.close()


def test_today_before_the_data_arrives_says_no_data_yet(
    costbot_app: AppUnderTest, slack_client_sim: SlackClientSim, slack_emulator: SlackEmulator
) -> None:
    reply = ask(costbot_app, slack_client_sim, slack_emulator, "today")
    text = all_text(reply["blocks"])
    assert "no data yet for today; complete through 2024-10-14" in text
    assert "$0.00" not in text


def test_an_empty_store_answers_by_team_with_how_to_load_data(
    tmp_path: Path, slack_client_sim: SlackClientSim, slack_emulator: SlackEmulator
) -> None:
    app, server = start_app(tmp_path, slack_emulator, bill=False)
    try:
        text = all_text(ask(app, slack_client_sim, slack_emulator, "by team")["blocks"])
        assert "no billing data yet" in text and "costbot ingest" in text
        assert "not a dimension" not in text
    finally:
        server.stop()
        app.services.close()


def test_app_home_with_two_currencies_shows_each_not_the_empty_state(
    tmp_path: Path, slack_client_sim: SlackClientSim, slack_emulator: SlackEmulator
) -> None:
    app, server = start_app(tmp_path, slack_emulator, bill=False)
    eur = focus_row("2024-10-01", "800.00", tags=json.dumps({"team": "web"}), account="99")
    eur["BillingCurrency"] = "EUR"
    rows = [focus_row("2024-10-01", "200.00", tags=json.dumps({"team": "web"})), eur]
    ingest(
        app.services.store,
        [str(write_csv(tmp_path / "b.csv", rows))],
        allocation_tags=("team",),
        aliases={},
    )
    try:
        slack_client_sim.post_event(app.url, app_home_opened_event())
        slack_emulator.wait_for("views.publish")
        text = all_text(slack_emulator.home_view(DEFAULT_USER_ID)["blocks"])  # type: ignore[index]
        assert "No billing data ingested yet" not in text
        assert "in EUR" in text and "€800.00" in text
        assert "in USD" in text and "$200.00" in text
        slack_emulator.assert_no_invalid_calls()
    finally:
        server.stop()
        app.services.close()


def test_buttons_in_a_store_with_a_service_tag_say_which_service_they_mean(
    tmp_path: Path, slack_client_sim: SlackClientSim, slack_emulator: SlackEmulator
) -> None:
    app, server = start_app(tmp_path, slack_emulator, bill=False)
    rows = [focus_row("2024-10-01", "100.00", tags=json.dumps({"service": "payments"}))]
    ingest(
        app.services.store,
        [str(write_csv(tmp_path / "b.csv", rows))],
        allocation_tags=(),
        aliases={},
    )
    try:
        reply = ask(app, slack_client_sim, slack_emulator, "tag:service payments 2024-10")
        buttons = [e for b in reply["blocks"] if b["type"] == "actions" for e in b["elements"]]
        regroup = next(b for b in buttons if b["action_id"] == ids.REGROUP)
        assert regroup["value"] == "tag:service payments by dim:service 2024-10"
        follow = slack_emulator.new_response_url()
        slack_client_sim.post_action(app.url, ids.REGROUP, regroup["value"], response_url=follow)
        (answer,) = slack_emulator.wait_for_response(follow)
        text = all_text(answer.args["blocks"])
        assert "Amazon Elastic Compute Cloud" in text and "$100.00" in text  # answered, not asked
        slack_emulator.assert_no_invalid_calls()
    finally:
        server.stop()
        app.services.close()
