"""The economics settings (issue 16) are read from the environment and named when wrong."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from bot.errors import SettingsError
from bot.settings import Settings


def test_defaults() -> None:
    s = Settings.from_env({})
    assert s.allocation_rules is None and s.chargeback_channel is None
    assert s.inference_target == Decimal("0.001")
    assert s.run_tags == ("run", "experiment")
    assert s.endpoint_metrics is False


def test_values_are_read() -> None:
    s = Settings.from_env(
        {
            "COSTBOT_ALLOCATION_RULES": "/etc/costbot/rules.toml",
            "COSTBOT_CHARGEBACK_CHANNEL": " C0FINOPS ",
            "COSTBOT_INFERENCE_TARGET": "$0.0005",
            "COSTBOT_RUN_TAGS": "Run, job ,",
            "COSTBOT_ENDPOINT_METRICS": "true",
        }
    )
    assert s.allocation_rules == Path("/etc/costbot/rules.toml")
    assert s.chargeback_channel == "C0FINOPS"
    assert s.inference_target == Decimal("0.0005")
    assert s.run_tags == ("run", "job")
    assert s.endpoint_metrics is True


@pytest.mark.parametrize(
    ("var", "value"),
    [
        ("COSTBOT_INFERENCE_TARGET", "cheap"),
        ("COSTBOT_INFERENCE_TARGET", "-1"),
        ("COSTBOT_RUN_TAGS", " , "),
        ("COSTBOT_ENDPOINT_METRICS", "maybe"),
    ],
)
def test_a_bad_value_names_the_variable(var: str, value: str) -> None:
    with pytest.raises(SettingsError, match=var):
        Settings.from_env({var: value})
