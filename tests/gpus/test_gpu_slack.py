"""The idle sweep posting to Slack, and the Stop / Snooze / Keep buttons, over real HTTP.

moto plays EC2 and CloudWatch, the emulator plays Slack's Web API, and clicks arrive as
signed requests. StopInstances calls are counted from moto's own request recording.
"""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path
from typing import Any

from conftest import GPU_SETTINGS, GpuApp, make_services
from gpu_world import World
from harness.slack_emulator import DEFAULT_BOT_TOKEN, SlackEmulator
from harness.slack_requests import (
    DEFAULT_SIGNING_SECRET,
    FORM,
    SignedRequest,
    SlackClientSim,
    Tamper,
    interaction_body,
)

from bot.blocks import ids
from bot.http_server import SlackHTTPServer
from bot.slack_app import build_app
from bot.state import audit
from bot.state.findings import get_finding
from scheduler.gpus import sweep_gpus

WAIT = 60.0  # seconds: a sweep reads moto's CloudWatch, slow on a shared machine


def texts(blocks: list[dict[str, Any]] | None) -> str:
    return json.dumps(blocks or [])


def posted(emulator: SlackEmulator) -> dict[str, Any]:
    """Return the finding messages the sweep posted, keyed by the Stop/Keep value (finding id)."""
    out = {}
    for call in emulator.calls_to("chat.postMessage"):
        for block in call.blocks or []:
            for element in block.get("elements", []):
                if element.get("action_id") == ids.GPU_KEEP:
                    out[element["value"]] = call
    return out


def buttons(call: Any) -> dict[str, dict[str, Any]]:
    return {
        e["action_id"]: e
        for b in call.blocks or []
        if b["type"] == "actions"
        for e in b["elements"]
    }


def _winner(emulator: SlackEmulator, urls: list[str]) -> str | None:
    """Return the click's response_url that got no reply once the message was updated."""
    emulator.wait_for("chat.update", timeout=WAIT)
    silent = [u for u in urls if not emulator.responses(u)]
    return silent[0] if len(silent) == 1 else None


def click_stop(
    sim: SlackClientSim,
    app: GpuApp,
    emulator: SlackEmulator,
    finding_id: str,
    user: str,
    *,
    message_ts: str,
    channel: str,
    tamper: Tamper | None = None,
    now: float | None = None,
) -> str:
    url = emulator.new_response_url()
    fields: dict[str, Any] = {"user_id": user, "channel_id": channel, "response_url": url}
    if now is not None:
        fields["now"] = now
    request = sim.action_request(
        ids.GPU_STOP,
        finding_id,
        message={"ts": message_ts, "text": "finding"},
        tamper=tamper,
        **fields,
    )
    assert sim.post(app.url, request).status_code == 200
    return url


def test_sweep_posts_each_new_finding_once_to_its_team_channel(
    gpu_app: GpuApp, slack_emulator: SlackEmulator
) -> None:
    report = sweep_gpus(gpu_app.services)
    messages = posted(slack_emulator)
    ids_ = gpu_app.world.ids
    idle_id = f"idle:123456789012:us-east-1:{ids_['idle']}"
    assert idle_id in messages and messages[idle_id].args["channel"] == "C0AIRES"
    spot_id = f"idle:123456789012:us-east-1:{ids_['spot']}"
    assert messages[spot_id].args["channel"] == "C0SEARCH"
    assert len(report.posted) == len(messages) == report.findings
    # protected, prod and spot findings are reported without a Stop button
    for role in ("protected", "prod", "spot"):
        call = messages[f"idle:123456789012:us-east-1:{ids_[role]}"]
        assert ids.GPU_STOP not in buttons(call), role
    stop = buttons(messages[idle_id])[ids.GPU_STOP]
    assert "Stop" in stop["text"]["text"]
    assert (
        "$32.77/h" in stop["confirm"]["text"]["text"]
        and ids_["idle"] in stop["confirm"]["text"]["text"]
    )
    again = sweep_gpus(gpu_app.services)
    assert again.posted == [] and len(slack_emulator.calls_to("chat.postMessage")) == len(messages)
    slack_emulator.assert_no_invalid_calls()


def test_stop_exactly_once_under_duplicate_clicks_and_retries_with_refusals_audited(
    gpu_app: GpuApp, slack_emulator: SlackEmulator, slack_client_sim: SlackClientSim
) -> None:
    world = gpu_app.world
    sweep_gpus(gpu_app.services)
    finding_id = f"idle:123456789012:us-east-1:{world.ids['idle']}"
    message = posted(slack_emulator)[finding_id]
    ts, channel = message.response["ts"], message.response["channel"]
    world.start_recording()

    refused = click_stop(
        slack_client_sim,
        gpu_app,
        slack_emulator,
        finding_id,
        "U0MALLORY",
        message_ts=ts,
        channel=channel,
    )
    (refusal,) = slack_emulator.wait_for_response(refused, timeout=WAIT)
    assert "can't stop" in refusal.args["text"] and refusal.args["replace_original"] is False
    assert world.state("idle") == "running"

    def click(n: int) -> tuple[str, SignedRequest]:
        url = slack_emulator.new_response_url()
        request = slack_client_sim.action_request(
            ids.GPU_STOP,
            finding_id,
            message={"ts": ts, "text": "finding"},
            user_id=("U0ADMIN", "U0GROUPIE")[n % 2],  # two people, five clicks each
            channel_id=channel,
            response_url=url,
        )
        assert slack_client_sim.post(gpu_app.url, request).status_code == 200
        return url, request

    with ThreadPoolExecutor(max_workers=10) as pool:
        clicks = list(pool.map(click, range(10)))
    urls = [url for url, _ in clicks]
    (update,) = slack_emulator.wait_for("chat.update", timeout=WAIT)
    winner = _winner(slack_emulator, urls)
    for url in urls:  # the winner updates the message; the nine others are told why not
        if url != winner:
            slack_emulator.wait_for_response(url, timeout=WAIT)
    late_index = next(i for i, u in enumerate(urls) if u != winner)
    # Slack re-sends two clicks byte for byte (X-Slack-Retry-Num), and one more reaches a
    # restarted bot whose in-memory retry filter is empty: the store's key still holds.
    for _, request in clicks[:2]:
        retry = slack_client_sim.signed(request.body, FORM, Tamper(retry_num=1))
        assert slack_client_sim.post(gpu_app.url, retry).status_code == 200
    restarted = SlackHTTPServer(
        build_app(gpu_app.services),
        gpu_app.services,
        host="127.0.0.1",
        port=0,
    )
    restarted.start()
    try:
        late = slack_client_sim.signed(clicks[late_index][1].body, FORM, Tamper(retry_num=2))
        slack_client_sim.post(f"http://127.0.0.1:{restarted.port}/slack/events", late)
        (after_restart,) = slack_emulator.wait_for_response(
            urls[late_index], count=2, timeout=WAIT
        )[1:]
    finally:
        restarted.stop()
    entries = audit.entries(gpu_app.services.store)
    assert [(e.action, e.result) for e in entries] == [("stop", "refused"), ("stop", "ok")]
    stopper = entries[1].user
    assert entries[0].user == "U0MALLORY" and stopper in ("U0ADMIN", "U0GROUPIE")
    assert after_restart.args["text"].startswith(f"Already done: Stopped by <@{stopper}>")
    assert world.stop_calls() == 1
    assert world.state("idle") == "stopped"
    assert update.args["channel"] == channel and update.args["ts"] == ts
    assert update.args["text"].startswith(f"Stopped by <@{stopper}> at ")
    assert update.args["text"].endswith("UTC, saves ≈ $32.77/h")
    assert f"{world.now:%H:%M}" in update.args["text"]
    assert ids.GPU_STOP not in texts(update.blocks)
    duplicates = [slack_emulator.responses(u)[:1] for u in urls]
    assert sum(len(d) for d in duplicates) == 9  # the winner updated the message instead
    assert all(
        "Already done" in d[0].args["text"] or "right now" in d[0].args["text"]
        for d in duplicates
        if d
    )
    assert audit.entries(gpu_app.services.store) == entries  # duplicates wrote nothing
    assert entries[1].resource_id == world.ids["idle"]
    stored = get_finding(gpu_app.services.store, finding_id)
    assert stored is not None and stored.status == "stopped"
    slack_emulator.assert_no_invalid_calls()


def test_user_group_member_may_stop_and_owner_by_email_is_off_by_default(
    gpu_app: GpuApp, slack_emulator: SlackEmulator, slack_client_sim: SlackClientSim
) -> None:
    world = gpu_app.world
    sweep_gpus(gpu_app.services)
    finding_id = f"idle:123456789012:us-east-1:{world.ids['held']}"
    message = posted(slack_emulator)[finding_id]
    url = click_stop(
        slack_client_sim,
        gpu_app,
        slack_emulator,
        finding_id,
        "U0GROUPIE",
        message_ts=message.response["ts"],
        channel=message.response["channel"],
    )
    (update,) = slack_emulator.wait_for("chat.update", timeout=WAIT)
    assert "Stopped by <@U0GROUPIE>" in update.args["text"]
    assert world.state("held") == "stopped"
    assert slack_emulator.calls_to("usergroups.users.list")[0].args["usergroup"] == "S0GPUOPS"
    assert not slack_emulator.calls_to("users.info")
    assert slack_emulator.responses(url) == []


def test_stop_re_checks_at_click_time(
    gpu_app: GpuApp, slack_emulator: SlackEmulator, slack_client_sim: SlackClientSim
) -> None:
    world = gpu_app.world
    sweep_gpus(gpu_app.services)
    finding_id = f"idle:123456789012:us-east-1:{world.ids['idle']}"
    message = posted(slack_emulator)[finding_id]
    world.client("ec2").create_tags(
        Resources=[world.ids["idle"]], Tags=[{"Key": "costbot:protect", "Value": "true"}]
    )
    world.start_recording()
    url = click_stop(
        slack_client_sim,
        gpu_app,
        slack_emulator,
        finding_id,
        "U0ADMIN",
        message_ts=message.response["ts"],
        channel=message.response["channel"],
    )
    (reply,) = slack_emulator.wait_for_response(url, timeout=WAIT)
    assert "protected" in reply.args["text"]
    assert world.state("idle") == "running" and world.stop_calls() == 0
    (entry,) = audit.entries(gpu_app.services.store)
    assert (entry.result, entry.user) == ("refused", "U0ADMIN")


def test_snooze_hides_the_finding_and_keep_running_records_a_reason(
    gpu_app: GpuApp, slack_emulator: SlackEmulator, slack_client_sim: SlackClientSim
) -> None:
    world = gpu_app.world
    sweep_gpus(gpu_app.services)
    snoozed = f"idle:123456789012:us-east-1:{world.ids['spot']}"
    message = posted(slack_emulator)[snoozed]
    request = slack_client_sim.action_request(
        ids.GPU_SNOOZE,
        f"7d|{snoozed}",
        action_type="static_select",
        block_id=f"snooze:{snoozed}",
        message={"ts": message.response["ts"], "text": "finding"},
        channel_id=message.response["channel"],
        user_id="U0BOB",
    )
    slack_client_sim.post(gpu_app.url, request)
    (update,) = slack_emulator.wait_for("chat.update", timeout=WAIT)
    assert "Snoozed by <@U0BOB> until" in update.args["text"]

    kept = f"idle:123456789012:us-east-1:{world.ids['noagent']}"
    slack_client_sim.post_action(
        gpu_app.url,
        ids.GPU_KEEP,
        kept,
        user_id="U0BOB",
        response_url=slack_emulator.new_response_url(),
    )
    (opened,) = slack_emulator.wait_for("views.open", timeout=WAIT)
    view = opened.json_arg("view")
    submission = {
        "type": "view_submission",
        "user": {"id": "U0BOB", "username": "bob", "team_id": "T0COSTBOT"},
        "team": {"id": "T0COSTBOT", "domain": "costbot-test"},
        "api_app_id": "A0COSTBOT",
        "trigger_id": "1.2.3",
        "view": {
            **view,
            "id": "V1",
            "state": {
                "values": {
                    "reason": {
                        "reason": {"type": "plain_text_input", "value": "benchmark run tonight"}
                    }
                }
            },
        },
    }
    response = slack_client_sim.post(
        gpu_app.url, slack_client_sim.signed(interaction_body(submission), FORM)
    )
    assert response.status_code == 200
    slack_emulator.wait_for("chat.update", count=2, timeout=WAIT)
    actions = [(e.action, e.result, e.detail) for e in audit.entries(gpu_app.services.store)]
    assert actions[0][:2] == ("snooze", "ok")
    assert actions[1] == ("keep", "ok", "benchmark run tonight")
    report = sweep_gpus(gpu_app.services)
    assert snoozed not in report.posted and kept not in report.posted
    slack_emulator.assert_no_invalid_calls()


def test_cost_idle_and_cost_now_answer_from_the_live_fleet(
    gpu_app: GpuApp, slack_emulator: SlackEmulator, slack_client_sim: SlackClientSim
) -> None:
    url = slack_emulator.new_response_url()
    slack_client_sim.post_command(gpu_app.url, "idle", response_url=url)
    (reply,) = slack_emulator.wait_for_response(url, timeout=WAIT)
    body = texts(reply.args["blocks"])
    assert "idle:" in body and "p4d.24xlarge" in body and "price unknown" not in reply.args["text"]
    now_url = slack_emulator.new_response_url()
    slack_client_sim.post_command(gpu_app.url, "now team search", response_url=now_url)
    (answer,) = slack_emulator.wait_for_response(now_url, timeout=WAIT)
    text = texts(answer.args["blocks"])
    assert "search" in text and "ai-research" not in text
    assert answer.args["text"].startswith("Burning now: $4.01/h")  # 2x1.006 + 0.526 + 2x0.7364
    slack_emulator.assert_no_invalid_calls()


def test_owner_by_email_when_turned_on(
    tmp_path: Path, world: World, slack_emulator: SlackEmulator, slack_client_sim: SlackClientSim
) -> None:
    slack_emulator.set_response(
        "users.info", {"user": {"id": "U0ALICE", "profile": {"email": "Alice@Example.com"}}}
    )
    services = make_services(
        tmp_path,
        world,
        gpus=replace(GPU_SETTINGS, stop_owner_by_email=True),
        slack_bot_token=DEFAULT_BOT_TOKEN,
        slack_signing_secret=DEFAULT_SIGNING_SECRET,
        slack_api_url=slack_emulator.base_url,
    )
    server = SlackHTTPServer(build_app(services), services, host="127.0.0.1", port=0)
    server.start()
    try:
        sweep_gpus(services)
        finding_id = f"idle:123456789012:us-east-1:{world.ids['idle']}"  # owner alice@example.com
        message = posted(slack_emulator)[finding_id]
        app = GpuApp(f"http://127.0.0.1:{server.port}/slack/events", services, world)
        click_stop(
            slack_client_sim,
            app,
            slack_emulator,
            finding_id,
            "U0ALICE",
            message_ts=message.response["ts"],
            channel=message.response["channel"],
        )
        (update,) = slack_emulator.wait_for("chat.update", timeout=WAIT)
        assert update.args["text"].startswith("Stopped by <@U0ALICE>")
        assert slack_emulator.calls_to("users.info")[0].args["user"] == "U0ALICE"
        (entry,) = audit.entries(services.store)
        assert (entry.user, entry.result) == ("U0ALICE", "ok")
    finally:
        server.stop()
        services.close()
