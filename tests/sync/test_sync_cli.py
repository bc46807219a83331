# ruff: noqa: F811  (test arguments name the fixtures imported from sync_fixtures)
"""``costbot sync`` and ``costbot status``, ``/healthz``, ``/metrics`` and the sync job."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pyarrow as pa
import pytest
from click.testing import CliRunner
from harness.aws_standin import AwsStandIn
from sync_fixtures import services_for, standin, truth  # noqa: F401  (fixtures, see there)
from test_sync_ce import ce_results

from bot.cli import main
from bot.http_server import health
from bot.metrics import Metrics
from bot.services import Services
from bot.settings import Settings
from bot.state.sync import SyncRun
from bot.sync.report import api_spend_line, render_samples, sync_samples
from scheduler.schedule import build_scheduler
from scheduler.sync import sync_sources

WINDOW = ["--start", "2024-09-01", "--end", "2024-10-20"]


@pytest.fixture
def env(tmp_path: Path, standin: AwsStandIn, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    values = {
        "COSTBOT_DB": str(tmp_path / "cli.db"),
        "AWS_ENDPOINT_URL": standin.url,
        "COSTBOT_SOURCES": "ce",
        "COSTBOT_ALLOCATION_TAGS": "team,project",
        "COSTBOT_AWS_RETRY_MODE": "standard",
    }
    for k, v in values.items():
        monkeypatch.setenv(k, v)
    return values


def test_sync_then_status_show_rows_requests_and_api_spend(
    env: dict[str, str], standin: AwsStandIn, truth: pa.Table
) -> None:
    standin.inject("static/ce/cost-and-usage-results", {"results": ce_results(truth)})
    result = CliRunner().invoke(main, ["sync", "--source", "ce", *WINDOW])
    assert result.exit_code == 0, result.output
    assert "ce: " in result.output and "periods 2024-09, 2024-10" in result.output
    assert "6 Cost Explorer request(s)" in result.output and "$0.06" in result.output

    status = CliRunner().invoke(main, ["status"])
    assert status.exit_code == 0, status.output
    assert "sync ce: ok; last success" in status.output
    assert "costbot's own AWS API spend this month: $0.06 (6 Cost Explorer requests)" in (
        status.output
    )
    answer = CliRunner().invoke(main, ["cost", "by", "team", "2024-09"])
    assert answer.exit_code == 0 and "ai-research" in answer.output


def test_a_failing_sync_exits_1_and_says_the_store_is_unchanged(
    env: dict[str, str], standin: AwsStandIn
) -> None:
    standin.throttle_first("GetCostAndUsage", 1000)
    result = CliRunner().invoke(main, ["sync", *WINDOW], env={"COSTBOT_AWS_MAX_ATTEMPTS": "1"})
    assert result.exit_code == 1
    assert "ce: failed: Cost Explorer refused GetCostAndUsage (ThrottlingException" in (
        result.output
    )
    assert "the store keeps what it had" in result.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--start", "2024-09-01"], "give both --start and --end"),
        (["--start", "9/1/24", "--end", "2024-10-01"], "is not a date"),
        (["--start", "2024-10-02", "--end", "2024-10-01"], "--end is before --start"),
    ],
)
def test_bad_dates_exit_2(env: dict[str, str], args: list[str], message: str) -> None:
    result = CliRunner().invoke(main, ["sync", *args])
    assert result.exit_code == 2 and message in result.output


def test_no_sources_configured_is_said(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        main, ["sync", "--db", str(tmp_path / "x.db")], env={"COSTBOT_SOURCES": ""}
    )
    assert result.exit_code == 1 and "set COSTBOT_SOURCES" in result.output


def test_sources_setting_is_checked() -> None:
    from bot.errors import SettingsError

    with pytest.raises(SettingsError, match="COSTBOT_SOURCES: 'ftp://x'"):
        Settings.from_env({"COSTBOT_SOURCES": "ce,ftp://x"})
    s = Settings.from_env(
        {
            "COSTBOT_SOURCES": "s3://b/p, ce",
            "COSTBOT_SYNC_EVERY_HOURS": "2",
            "AWS_ENDPOINT_URL_COST_EXPLORER": "http://127.0.0.1:1",
        }
    )
    assert s.sources == ("s3://b/p", "ce") and s.sync_every_hours == 2.0
    assert s.ce_endpoint_url == "http://127.0.0.1:1"


def test_the_job_syncs_each_source_runs_the_checks_and_reports_everywhere(
    standin: AwsStandIn, services_for: Callable[..., Services], truth: pa.Table
) -> None:
    standin.inject("static/ce/cost-and-usage-results", {"results": ce_results(truth)})
    services = services_for(sources=("ce", "athena"))  # athena is not configured: it fails
    metrics = Metrics(services.store.data_through)
    checked: list[str] = []

    def check(_: Services, run: SyncRun) -> None:
        checked.append(run.source)

    runs = sync_sources(services, metrics, after_sync=[check])
    assert [r.source for r in runs] == ["ce"] and checked == ["ce"]
    assert metrics.last_sync == runs[0].finished_at
    assert metrics.errors("sync") == 1

    code, body = health(services)
    assert code == 200
    by_source = {s["source"]: s for s in body["sync"]["sources"]}
    assert by_source["ce"]["ok"] and by_source["ce"]["rows"] > 0
    assert (
        not by_source["athena"]["ok"] and "COSTBOT_ATHENA_DATABASE" in by_source["athena"]["error"]
    )
    assert body["sync"]["api_spend"]["month_to_date"]["usd"] == "0.06"

    scraped = services.metrics.render()  # what GET /metrics serves
    assert 'costbot_sync_last_success_timestamp_seconds{source="ce"}' in scraped
    assert 'costbot_sync_duration_seconds{source="ce"}' in scraped
    text = render_samples(sync_samples(services.store, services.clock().date()))
    assert 'costbot_sync_rows{source="ce"}' in text
    assert 'costbot_sync_up{source="athena"} 0.0' in text
    assert "costbot_api_spend_usd 0.06" in text
    assert "6 Cost Explorer requests" in api_spend_line(services.store, services.clock().date())


def test_the_schedule_runs_the_sync_every_configured_hours(
    services_for: Callable[..., Services],
) -> None:
    services = services_for(sources=("ce",), sync_every_hours=3.0)
    job = build_scheduler(services, Metrics()).get_job("sync_sources")
    assert job is not None and job.trigger.interval.total_seconds() == 3 * 3600
    assert build_scheduler(services_for("other.db"), Metrics()).get_job("sync_sources") is None
