"""The monthly chargeback job posts last month's table and CSV to the configured channel."""

from __future__ import annotations

import csv
import io
from dataclasses import replace
from datetime import UTC, datetime
from decimal import ROUND_HALF_EVEN, Decimal
from pathlib import Path

import pytest
from economics_sample import DAYS, END, build_sample_bill
from harness.slack_emulator import SlackEmulator
from slack_sdk import WebClient

from bot.costs.sample import generate_org
from bot.metrics import Metrics
from bot.services import build_services
from bot.settings import Settings
from scheduler.chargeback_job import post_monthly_chargeback
from scheduler.schedule import build_scheduler


@pytest.fixture(scope="module")
def sample_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("sample")
    build_sample_bill(directory).store.close()
    return directory


def test_on_the_first_it_posts_last_months_chargeback(
    sample_dir: Path, slack_emulator: SlackEmulator
) -> None:
    slack_emulator.add_channel("C0FINOPS", name="finops")
    settings = Settings(
        db_path=sample_dir / "costbot.db",
        chargeback_channel="C0FINOPS",
        slack_bot_token=slack_emulator.bot_token,
        slack_api_url=slack_emulator.base_url,
    )
    services = build_services(settings, clock=lambda: datetime(2024, 10, 1, 9, tzinfo=UTC))
    client = WebClient(token=slack_emulator.bot_token, base_url=slack_emulator.base_url)
    assert post_monthly_chargeback(services, client) == "2024-09"
    (post,) = slack_emulator.calls_to("chat.postMessage")
    assert post.args["channel"] == "C0FINOPS"
    assert "Chargeback 2024-09 by team" in str(post.args.get("blocks"))
    (complete,) = slack_emulator.calls_to("files.completeUploadExternal")
    assert complete.args["channel_id"] == "C0FINOPS"
    (upload,) = slack_emulator.calls_to("files.getUploadURLExternal")
    content = slack_emulator.uploaded_bytes(upload.response["file_id"])
    assert content is not None
    rows = list(csv.reader(io.StringIO(content.decode())))
    frame = generate_org(END, DAYS).to_pandas()  # the generator's own truth
    month = frame[frame["charge_start"].dt.strftime("%Y-%m") == "2024-09"]
    expected = Decimal(sum(int(v) for v in month["effective"])).scaleb(-9)
    assert Decimal(rows[-1][-1]) == expected.quantize(Decimal("0.01"), rounding=ROUND_HALF_EVEN)
    slack_emulator.assert_no_invalid_calls()
    services.close()


def test_without_a_channel_nothing_is_scheduled_or_posted(sample_dir: Path) -> None:
    settings = Settings(db_path=sample_dir / "costbot.db")
    services = build_services(settings)
    assert post_monthly_chargeback(services) is None
    ids = {job.id for job in build_scheduler(services, Metrics(lambda: None)).get_jobs()}
    assert "post_monthly_chargeback" not in ids
    with_channel = replace(services, settings=replace(settings, chargeback_channel="C1"))
    jobs = build_scheduler(with_channel, Metrics(lambda: None)).get_jobs()
    (job,) = [j for j in jobs if j.id == "post_monthly_chargeback"]
    assert str(job.trigger.fields[2]) == "1"  # day of month
    services.close()


def test_a_month_without_data_is_logged_not_posted(
    sample_dir: Path, slack_emulator: SlackEmulator, caplog: pytest.LogCaptureFixture
) -> None:
    settings = Settings(db_path=sample_dir / "costbot.db", chargeback_channel="C0FINOPS")
    services = build_services(settings, clock=lambda: datetime(2023, 2, 1, 9, tzinfo=UTC))
    client = WebClient(token=slack_emulator.bot_token, base_url=slack_emulator.base_url)
    assert post_monthly_chargeback(services, client) is None
    assert "no chargeback posted for 2023-01" in caplog.text
    assert slack_emulator.calls_to("chat.postMessage") == []
    services.close()
