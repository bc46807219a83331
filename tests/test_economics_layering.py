"""The economics insights stay pure: no Slack, no AWS SDK, no composition root."""

from __future__ import annotations

from test_layering import ROOT, files, imports_of

FORBIDDEN = (
    "slack_sdk",
    "slack_bolt",
    "boto3",
    "botocore",
    "handlers",
    "scheduler",
    "bot.blocks",
    "bot.services",
    "bot.slack_app",
    "bot.economics",
)
MODULES = (
    "apportion",
    "allocation_rules",
    "charge_totals",
    "chargeback",
    "hints",
    "unit_costs",
    "unit_words",
    "gpu_catalog",
)


def test_insights_import_neither_sdks_nor_the_composition_root() -> None:
    paths = [p for p in files("bot/insights") if p.stem in MODULES]
    assert len(paths) == len(MODULES)
    offenders = [
        f"{p.relative_to(ROOT)} imports {name}"
        for p in paths
        for name in imports_of(p)
        if name.startswith(FORBIDDEN)
    ]
    assert offenders == []
