"""Night watch: warned 15 minutes before, kept on request, stopped once at nightfall."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, time, timedelta
from pathlib import Path

from conftest import GPU_SETTINGS, make_services
from gpu_world import World
from harness.slack_emulator import DEFAULT_BOT_TOKEN, SlackEmulator
from harness.slack_requests import DEFAULT_SIGNING_SECRET, SlackClientSim

from bot.blocks import ids
from bot.http_server import SlackHTTPServer
from bot.insights.night_watch import night_phase
from bot.slack_app import build_app
from bot.state import audit
from scheduler.gpus import night_watch

WAIT = 60.0


def at(h: int, m: int = 0, d: int = 10) -> datetime:
    """A moment in March 2026, UTC."""
    return datetime(2026, 3, d, h, m, tzinfo=UTC)


def test_night_phase_spans_midnight_and_warns_before() -> None:
    start, end = time(20, 0), time(7, 0)
    assert night_phase(at(19, 44), start, end, "UTC") is None
    warn = night_phase(at(19, 45), start, end, "UTC")
    assert warn is not None and (warn.phase, warn.night.day) == ("warn", 10)
    late = night_phase(at(6, 59, d=11), start, end, "UTC")
    assert late is not None and (late.phase, late.night.day) == ("stop", 10)
    assert night_phase(at(7, 0, d=11), start, end, "UTC") is None
    berlin = night_phase(at(19, 0), start, end, "Europe/Berlin")  # 20:00 in Berlin
    assert berlin is not None and berlin.phase == "stop"


def test_a_night_starting_at_midnight_is_warned_of_the_evening_before() -> None:
    """Found when the suite ran at 20:50 UTC: its injected clock said 23:50, nightfall 00:00."""
    start, end = time(0, 0), time(8, 0)
    assert night_phase(at(23, 44), start, end, "UTC") is None
    warn = night_phase(at(23, 50), start, end, "UTC")
    assert warn is not None and (warn.phase, warn.night.day) == ("warn", 11)
    dark = night_phase(at(0, 5, d=11), start, end, "UTC")
    assert dark is not None and (dark.phase, dark.night.day) == ("stop", 11)
    # A night under way wins over the warning of the next one.
    long_start, long_end = time(0, 10), time(23, 58)
    during = night_phase(at(23, 57), long_start, long_end, "UTC")
    assert during is not None and (during.phase, during.night.day) == ("stop", 10)


def test_night_watch_warns_keeps_and_stops_once(
    tmp_path: Path, world: World, slack_emulator: SlackEmulator, slack_client_sim: SlackClientSim
) -> None:
    nightfall = world.now + timedelta(minutes=10)
    gpus = replace(
        GPU_SETTINGS,
        night_watch=True,
        night_environments=("dev",),
        night_start=nightfall.time(),
        night_end=(nightfall + timedelta(hours=8)).time(),
    )
    services = make_services(
        tmp_path,
        world,
        gpus=gpus,
        slack_bot_token=DEFAULT_BOT_TOKEN,
        slack_signing_secret=DEFAULT_SIGNING_SECRET,
        slack_api_url=slack_emulator.base_url,
    )
    server = SlackHTTPServer(build_app(services), services, host="127.0.0.1", port=0)
    server.start()
    try:
        report = night_watch(services)
        assert (report.phase, report.warned) == ("warn", ["C0AIRES"])
        assert night_watch(services).warned == []  # once per night
        (warning,) = slack_emulator.calls_to("chat.postMessage")
        keep = {
            b["accessory"]["value"].rsplit(":", 1)[-1]: b["accessory"]
            for b in warning.blocks or []
            if b.get("accessory", {}).get("action_id") == ids.GPU_NIGHT_KEEP
        }
        dev = {world.ids[r] for r in ("idle", "held", "busy", "half")}
        assert set(keep) == dev  # protected, prod, spot and non-GPU are not listed
        assert keep[world.ids["busy"]]["text"]["text"] == "Keep running tonight"

        url = slack_emulator.new_response_url()
        slack_client_sim.post(
            f"http://127.0.0.1:{server.port}/slack/events",
            slack_client_sim.action_request(
                ids.GPU_NIGHT_KEEP,
                keep[world.ids["busy"]]["value"],
                user_id="U0BOB",
                response_url=url,
            ),
        )
        (kept,) = slack_emulator.wait_for_response(url, timeout=WAIT)
        assert "keeps running tonight" in kept.args["text"]

        world.start_recording()
        world.now = nightfall + timedelta(minutes=1)
        results = {r.instance_id: r.result for r in night_watch(services).results}
        assert results[world.ids["busy"]] == "kept"
        assert {results[world.ids[r]] for r in ("idle", "held", "half")} == {"ok"}
        assert world.state("idle") == "stopped" and world.state("busy") == "running"
        again = {r.result for r in night_watch(services).results}
        assert "ok" not in again and world.stop_calls() == 3
        entries = [(e.user, e.action, e.result) for e in audit.entries(services.store)]
        assert entries.count(("night-watch", "night-stop", "ok")) == 3
        assert ("U0BOB", "keep", "ok") in entries
        slack_emulator.assert_no_invalid_calls()
    finally:
        server.stop()
        services.close()
