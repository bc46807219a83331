"""`/cost subscribe|subscriptions|unsubscribe|budget|budgets` and the anomaly alert buttons,
over Slack's real protocol (signed HTTP in, Web API and response_url out)."""

from __future__ import annotations

from datetime import date

from conftest import NOW, AppUnderTest
from harness.slack_emulator import SlackEmulator
from harness.slack_requests import DEFAULT_USER_ID, SlackClientSim
from test_cost_command import all_text, ask

from bot.blocks import ids
from bot.state.scheduling import AnomalyAlerts, Budgets, Subscriptions


def test_subscribe_in_a_channel_subscribes_it_and_says_so_there(
    costbot_app: AppUnderTest, slack_client_sim: SlackClientSim, slack_emulator: SlackEmulator
) -> None:
    reply = ask(
        costbot_app,
        slack_client_sim,
        slack_emulator,
        "subscribe daily team ai-research at 08:30 tz Europe/Berlin",
        channel_id="C0ML",
    )
    assert "Subscribed (#1)" in reply["text"]
    (sub,) = Subscriptions(costbot_app.services.store).all("C0ML")
    assert (sub.cadence, sub.filters, sub.at, sub.tz) == (
        "daily",
        (("team", "ai-research"),),
        "08:30",
        "Europe/Berlin",
    )
    (notice,) = slack_emulator.calls_to("chat.postMessage")
    assert notice.args["channel"] == "C0ML" and "cost digest (#1)" in notice.args["text"]
    listed = ask(costbot_app, slack_client_sim, slack_emulator, "subscriptions", channel_id="C0ML")
    assert "#1 daily team ai-research at 08:30 tz Europe/Berlin" in listed["text"]
    other = ask(costbot_app, slack_client_sim, slack_emulator, "subscriptions", channel_id="C0X")
    assert "no digest" in other["text"]
    gone = ask(costbot_app, slack_client_sim, slack_emulator, "unsubscribe 1", channel_id="C0ML")
    assert "Unsubscribed #1" in gone["text"]
    assert Subscriptions(costbot_app.services.store).all() == []
    slack_emulator.assert_no_invalid_calls()


def test_weekly_subscriptions_take_a_weekday(
    costbot_app: AppUnderTest, slack_client_sim: SlackClientSim, slack_emulator: SlackEmulator
) -> None:
    ask(costbot_app, slack_client_sim, slack_emulator, "subscribe weekly on friday")
    (sub,) = Subscriptions(costbot_app.services.store).all()
    assert (sub.cadence, sub.weekday, sub.at, sub.tz) == ("weekly", 4, "09:00", "UTC")


def test_a_channel_the_bot_is_not_in_gets_the_invite_hint_and_no_subscription(
    costbot_app: AppUnderTest, slack_client_sim: SlackClientSim, slack_emulator: SlackEmulator
) -> None:
    slack_emulator.add_channel("C0OUT", is_member=False)
    reply = ask(
        costbot_app, slack_client_sim, slack_emulator, "subscribe daily", channel_id="C0OUT"
    )
    assert "/invite @costbot" in all_text(reply["blocks"])
    assert Subscriptions(costbot_app.services.store).all() == []


def test_bad_times_zones_and_filters_get_clear_answers(
    costbot_app: AppUnderTest, slack_client_sim: SlackClientSim, slack_emulator: SlackEmulator
) -> None:
    cases = {
        "subscribe daily at 9pm": "not a time",
        "subscribe daily tz Mars/Olympus": "not a time zone",
        "subscribe daily tem ai-research": "Did you mean: team",
        "subscribe daily team ai-reserch": "team ai-research",
        "subscribe hourly": "say how often",
        "unsubscribe seven": "number",
        "budget set team ai-research monthly": "needs an amount",
        "budget set team ai-research 5000 weekly": "only monthly",
    }
    for text, expected in cases.items():
        reply = ask(costbot_app, slack_client_sim, slack_emulator, text)
        assert expected in all_text(reply["blocks"]), text
        assert reply["response_type"] == "ephemeral"
    assert Subscriptions(costbot_app.services.store).all() == []
    assert Budgets(costbot_app.services.store).all() == []


def test_budgets_are_set_listed_and_deleted(
    costbot_app: AppUnderTest, slack_client_sim: SlackClientSim, slack_emulator: SlackEmulator
) -> None:
    slack_emulator.add_channel("C0MLCOSTS", name="ml-costs")
    reply = ask(
        costbot_app,
        slack_client_sim,
        slack_emulator,
        "budget set team ai-research 50000 monthly alert 50,80,100 channel #ml-costs",
    )
    assert "Budget #1 set" in all_text(reply["blocks"])
    (budget,) = Budgets(costbot_app.services.store).all()
    assert budget.amount == 50_000 * 10**9 and budget.thresholds == (50, 80, 100)
    assert budget.channel == "#ml-costs"
    (notice,) = slack_emulator.calls_to("chat.postMessage")
    assert notice.args["channel"] == "#ml-costs"
    listed = ask(costbot_app, slack_client_sim, slack_emulator, "budgets")
    # Oct 1–14 at $100 a day for ai-research: $1,400 of $50,000.
    assert "team ai-research: $1,400.00 of $50,000.00 (2.8 %)" in listed["text"]
    ask(costbot_app, slack_client_sim, slack_emulator, "budget delete 1")
    assert Budgets(costbot_app.services.store).all() == []


def test_questions_are_still_questions(
    costbot_app: AppUnderTest, slack_client_sim: SlackClientSim, slack_emulator: SlackEmulator
) -> None:
    reply = ask(costbot_app, slack_client_sim, slack_emulator, "team ai-research 2024-09")
    assert "$3,000.00" in all_text(reply["blocks"])


def _alert(app: AppUnderTest, emulator: SlackEmulator) -> str:
    """Store a posted alert for ai-research on Oct 14 and return its id."""
    alerts = AnomalyAlerts(app.services.store)
    alerts.claim(
        "abc123def456",
        channel="C0ALERTS",
        dimension="team",
        value="ai-research",
        start_day=date(2024, 10, 14).isoformat(),
        impact=50 * 10**9,
        now=NOW,
    )
    alerts.posted("abc123def456", "1728900000.000100")
    return "abc123def456"


def test_alert_buttons_acknowledge_snooze_and_take_feedback(
    costbot_app: AppUnderTest, slack_client_sim: SlackClientSim, slack_emulator: SlackEmulator
) -> None:
    anomaly = _alert(costbot_app, slack_emulator)
    for action in (ids.ANOMALY_ACK, ids.ANOMALY_SNOOZE_7D, ids.ANOMALY_EXPECTED):
        resp = slack_client_sim.post_action(costbot_app.url, action, anomaly)
        assert resp.status_code == 200
    notes = slack_emulator.wait_for("chat.postMessage", count=3)
    assert all(n.args["thread_ts"] == "1728900000.000100" for n in notes)
    text = " ".join(n.args["text"] for n in notes)
    assert f"Acknowledged by <@{DEFAULT_USER_ID}>" in text
    assert "snoozed follow-ups for 7 d (until 2024-10-22" in text
    assert "new level" in text
    alert = AnomalyAlerts(costbot_app.services.store).get(anomaly)
    assert alert is not None and alert.acknowledged_by == DEFAULT_USER_ID
    assert alert.snoozed_until is not None and alert.snoozed_until.date() == date(2024, 10, 22)
    (feedback,) = AnomalyAlerts(costbot_app.services.store).feedback()
    assert feedback.verdict == "expected"
    slack_client_sim.post_action(costbot_app.url, ids.ANOMALY_NOT_A_PROBLEM, anomaly)
    slack_emulator.wait_for("chat.postMessage", count=4)
    (feedback,) = AnomalyAlerts(costbot_app.services.store).feedback()
    assert feedback.verdict == "not_a_problem", "the last word wins"
    slack_emulator.assert_no_invalid_calls()


def test_show_breakdown_answers_privately_with_the_root_cause(
    costbot_app: AppUnderTest, slack_client_sim: SlackClientSim, slack_emulator: SlackEmulator
) -> None:
    anomaly = _alert(costbot_app, slack_emulator)
    url = slack_emulator.new_response_url()
    slack_client_sim.post_action(costbot_app.url, ids.ANOMALY_BREAKDOWN, anomaly, response_url=url)
    (reply,) = slack_emulator.wait_for_response(url)
    assert reply.args["response_type"] == "ephemeral"
    assert "What rose on 2024-10-14" in all_text(reply.args["blocks"])
    assert slack_emulator.calls_to("chat.postMessage") == []


def test_the_home_tab_shows_the_budgets(
    costbot_app: AppUnderTest, slack_client_sim: SlackClientSim, slack_emulator: SlackEmulator
) -> None:
    from harness.slack_requests import app_home_opened_event

    Budgets(costbot_app.services.store).add(
        filters=(("team", "ai-research"),),
        amount=2_000 * 10**9,
        period="monthly",
        thresholds=(80, 100),
        channel="C0ML",
        created_by=DEFAULT_USER_ID,
        now=NOW,
    )
    slack_client_sim.post_event(costbot_app.url, app_home_opened_event())
    slack_emulator.wait_for("views.publish")
    view = slack_emulator.home_view(DEFAULT_USER_ID)
    assert view is not None
    text = all_text(view["blocks"])
    assert "No budgets are configured yet" not in text
    assert "#1 team ai-research: $1,400.00 of $2,000.00 (70.0 %) in 2024-10, forecast" in text
