"""`/cost chargeback | hints | unit` over Slack: signed request in, blocks and CSV out."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from decimal import ROUND_HALF_EVEN, Decimal
from pathlib import Path

import pytest
from conftest import AppUnderTest, start_app
from harness.slack_emulator import SlackEmulator
from harness.slack_requests import DEFAULT_CHANNEL_ID, SlackClientSim
from test_cost_command import all_text

from bot.costs.exports import write_cur2
from bot.costs.ingest import ingest
from bot.costs.sample import generate_org
from bot.services import Services

END = "2024-10-20"


def _ingest_sample(tmp_path: Path) -> object:
    from datetime import date

    truth = generate_org(date.fromisoformat(END), 120)
    write_cur2(truth, tmp_path / "cur2")

    def wrap(services: Services) -> None:
        ingest(
            services.store,
            [str(tmp_path / "cur2")],
            allocation_tags=services.settings.allocation_tags,
            aliases=services.settings.tag_aliases,
        )

    wrap.truth = truth  # type: ignore[attr-defined]
    return wrap


@pytest.fixture
def sample_app(
    tmp_path: Path, slack_emulator: SlackEmulator
) -> Iterator[tuple[AppUnderTest, object]]:
    wrap = _ingest_sample(tmp_path)
    app, server = start_app(tmp_path, slack_emulator, bill=False, wrap_services=wrap)  # type: ignore[arg-type]
    yield app, wrap.truth  # type: ignore[attr-defined]
    server.stop()
    app.services.close()


def ask(app: AppUnderTest, sim: SlackClientSim, emulator: SlackEmulator, text: str) -> dict:
    url = emulator.new_response_url()
    assert sim.post_command(app.url, text, response_url=url).status_code == 200
    (reply,) = emulator.wait_for_response(url, timeout=30)
    return reply.args


def test_chargeback_replies_with_a_table_and_uploads_the_csv_to_the_channel(
    sample_app: tuple[AppUnderTest, object],
    slack_client_sim: SlackClientSim,
    slack_emulator: SlackEmulator,
) -> None:
    app, truth = sample_app
    slack_emulator.add_channel(DEFAULT_CHANNEL_ID, name="costs")
    reply = ask(app, slack_client_sim, slack_emulator, "chargeback 2024-09 by team")
    text = all_text(reply["blocks"])
    assert reply["response_type"] == "ephemeral"
    assert "Chargeback 2024-09 by team" in text and "ai-research" in text

    frame = truth.to_pandas()  # type: ignore[attr-defined]
    month = frame[frame["charge_start"].dt.strftime("%Y-%m") == "2024-09"]
    expected = Decimal(sum(int(v) for v in month["effective"])).scaleb(-9)
    expected = expected.quantize(Decimal("0.01"), rounding=ROUND_HALF_EVEN)
    assert f"${expected:,.2f}" in text

    (complete,) = slack_emulator.wait_for("files.completeUploadExternal")
    assert complete.ok and complete.args["channel_id"] == DEFAULT_CHANNEL_ID
    (upload,) = slack_emulator.calls_to("files.getUploadURLExternal")
    content = slack_emulator.uploaded_bytes(upload.response["file_id"])
    assert content is not None
    rows = list(csv.reader(io.StringIO(content.decode())))
    assert rows[0][:2] == ["team", "direct"] and rows[-1][0] == "TOTAL"
    assert Decimal(rows[-1][-1]) == expected
    assert sum(Decimal(r[-1]) for r in rows[1:-1]) == expected
    slack_emulator.assert_no_invalid_calls()


def test_chargeback_says_why_the_csv_was_not_uploaded(
    sample_app: tuple[AppUnderTest, object],
    slack_client_sim: SlackClientSim,
    slack_emulator: SlackEmulator,
) -> None:
    app, _ = sample_app
    slack_emulator.add_channel(DEFAULT_CHANNEL_ID, name="costs", is_member=False)
    reply = ask(app, slack_client_sim, slack_emulator, "chargeback last month")
    text = all_text(reply["blocks"])
    assert "Chargeback 2024-09" in text  # "now" is 2024-10-15 in these tests
    assert "CSV not uploaded" in text and "invite costbot" in text


def test_hints_and_unit_answer_and_bad_words_get_the_usage(
    sample_app: tuple[AppUnderTest, object],
    slack_client_sim: SlackClientSim,
    slack_emulator: SlackEmulator,
) -> None:
    app, _ = sample_app
    hints = all_text(ask(app, slack_client_sim, slack_emulator, "hints")["blocks"])
    assert "Spot" in hints and "Savings Plan" in hints and "Intelligent-Tiering" in hints
    team = all_text(ask(app, slack_client_sim, slack_emulator, "hints team data-eng")["blocks"])
    assert "Spot" not in team
    unit = all_text(
        ask(app, slack_client_sim, slack_emulator, "unit team ai-research last 30d")["blocks"]
    )
    assert "run=ft-1008-c" in unit and "GPU-h" in unit
    bad = ask(app, slack_client_sim, slack_emulator, "chargeback sideways")
    assert "usage: /cost chargeback" in bad["text"]
    slack_emulator.assert_no_invalid_calls()
