"""The terminal mirror: jobs, run-job, subscriptions, digest, anomalies, budgets (CliRunner)."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from harness.slack_emulator import SlackEmulator

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from insights_bill import insights_bill

from bot.cli import main

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@pytest.fixture
def db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.setenv("COSTBOT_ALLOCATION_TAGS", "team,project")
    path = str(tmp_path / "costbot.db")
    bill = insights_bill(tmp_path / "bill.csv")
    result = CliRunner().invoke(main, ["ingest", str(bill), "--db", path, "-q"])
    assert result.exit_code == 0, result.output
    yield path


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.output


def test_anomalies_json_is_exactly_the_documented_shape(db: str) -> None:
    code, out = run("anomalies", "--json", "--db", db)
    assert code == 0, out
    data = json.loads(out)
    assert list(data) == ["anomalies"]
    assert data["anomalies"], "the SageMaker spike of Oct 14 is found"
    for item in data["anomalies"]:
        assert list(item) == [
            "id",
            "dimension",
            "value",
            "date",
            "actual",
            "expected",
            "impact",
            "severity",
            "root_cause",
        ]
        for cause in item["root_cause"]:
            assert list(cause) == ["dimension", "value", "delta"]
    team = [a for a in data["anomalies"] if a["dimension"] == "team"]
    assert len(team) == 1
    (a,) = team
    assert (a["value"], a["date"], a["severity"]) == ("ai-research", "2024-10-14", "high")
    assert {"dimension": "resource", "value": "endpoint-llm", "delta": "2500.00"} in a["root_cause"]
    code, by = run("anomalies", "--json", "--by", "service", "--db", db)
    assert [x["value"] for x in json.loads(by)["anomalies"]] == ["Amazon SageMaker"]
    code, again = run("anomalies", "--json", "--by", "team", "--db", db)
    assert json.loads(again)["anomalies"][0]["id"] == a["id"], "ids are stable across runs"


def test_anomalies_all_scans_the_history_and_since_filters(db: str) -> None:
    code, out = run("anomalies", "--all", "--json", "--db", db)
    every = json.loads(out)["anomalies"]
    assert every and all(x["date"] >= "2024-07-29" for x in every)  # after 4 weeks of history
    code, out = run("anomalies", "--since", "2024-10-15", "--json", "--db", db)
    assert json.loads(out)["anomalies"] == []
    code, out = run("anomalies", "--since", "yesterday", "--db", db)
    assert code == 2 and "--since" in out


def test_digest_prints_writes_the_chart_and_json(db: str, tmp_path: Path) -> None:
    png = tmp_path / "chart.png"
    code, out = run("digest", "team", "ai-research", "--png", str(png), "--db", db)
    assert code == 0, out
    assert "Cost digest · team ai-research · 2024-10-14" in out
    assert "Month-end forecast" in out and "Top movers" in out
    assert png.read_bytes().startswith(PNG_MAGIC)
    code, out = run("digest", "--json", "--db", db)
    data = json.loads(out)
    assert data["date"] == "2024-10-14" and data["group_by"] == "team"
    assert data["yesterday"]["cost"] == "3799.00"
    code, out = run("digest", "tem", "ai-research", "--db", db)
    assert code == 2 and "Did you mean: team" in out


def test_digest_post_uploads_the_chart_to_slack(
    db: str, slack_emulator: SlackEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", slack_emulator.bot_token)
    monkeypatch.setenv("SLACK_API_URL", slack_emulator.base_url)
    code, out = run("digest", "--post", "C0DIGEST", "--db", db)
    assert code == 0, out
    (post,) = slack_emulator.calls_to("chat.postMessage")
    assert post.args["channel"] == "C0DIGEST"
    (share,) = slack_emulator.shared_files("C0DIGEST")
    content = slack_emulator.uploaded_bytes(share["files"][0]["id"])
    assert content is not None and content.startswith(PNG_MAGIC)
    slack_emulator.add_channel("C0OUT", is_member=False)
    code, out = run("digest", "--post", "C0OUT", "--db", db)
    assert code == 1 and "/invite @costbot" in out


def test_subscriptions_and_jobs(db: str) -> None:
    code, out = run(
        "subscribe",
        "#ml",
        "weekly",
        "on",
        "monday",
        "team",
        "ai-research",
        "at",
        "08:00",
        "--db",
        db,
    )
    assert code == 0, out
    assert "#1 #ml weekly on monday team ai-research at 08:00 tz UTC" in out
    code, out = run("subscriptions", "--db", db)
    assert "#1 #ml weekly" in out
    code, out = run("jobs", "--db", db)
    assert code == 0
    names = [line.split()[0] for line in out.splitlines() if not line.startswith(" ")]
    assert names == ["scan_anomalies", "check_budgets", "post_digests:1"]
    assert "never run" in out
    code, out = run("subscribe", "#ml", "daily", "at", "25:00", "--db", db)
    assert code == 1 and "not a time" in out
    code, out = run("unsubscribe", "1", "--db", db)
    assert code == 0
    code, out = run("unsubscribe", "1", "--db", db)
    assert code == 1 and "no subscription #1" in out


def test_run_job_runs_now_and_records_the_outcome(
    db: str, slack_emulator: SlackEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", slack_emulator.bot_token)
    monkeypatch.setenv("SLACK_API_URL", slack_emulator.base_url)
    monkeypatch.setenv("COSTBOT_ALERT_CHANNEL", "C0ALERTS")
    code, out = run("run-job", "scan_anomalies", "--db", db)
    assert code == 0, out
    assert out.startswith("scan_anomalies: done")
    assert [c.args["channel"] for c in slack_emulator.calls_to("chat.postMessage")] == ["C0ALERTS"]
    code, out = run("jobs", "--db", db)
    assert "last done" in out.splitlines()[0]
    code, out = run("run-job", "nope", "--db", db)
    assert code == 1 and "no job `nope`" in out


def test_budgets_from_the_terminal(db: str) -> None:
    code, out = run("budget", "set", "team", "ai-research", "20000", "monthly", "--db", db)
    assert code == 2 and "channel" in out
    code, out = run(
        "budget", "set", "team", "ai-research", "20k", "monthly", "channel", "#ml", "--db", db
    )
    assert code == 0, out
    assert "budget #1: team ai-research $20,000.00 monthly, alerts at 80,100 % to #ml" in out
    code, out = run("budget", "list", "--db", db)
    assert out.startswith("#1 team ai-research: $")
    assert "of $20,000.00" in out and "forecast" in out
    code, out = run("budget", "delete", "1", "--db", db)
    assert code == 0
    code, out = run("budget", "list", "--db", db)
    assert "no budgets" in out
