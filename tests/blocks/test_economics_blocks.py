"""Chargeback, hints and unit-cost messages stay inside Block Kit's limits and escape the bill."""

from __future__ import annotations

from datetime import date

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from limits_check import assert_escaped, assert_within_block_limits

from bot.blocks.chargeback import chargeback_blocks
from bot.blocks.economics import hints_blocks
from bot.insights.allocation_rules import DEFAULT_RULES
from bot.insights.charge_totals import ChargeTotal
from bot.insights.chargeback import chargeback
from bot.insights.hints import Hint

names = st.text(min_size=1, max_size=120).filter(lambda s: s.strip() != "")


def charge(team: str | None, amount: int, category: str = "Usage") -> ChargeTotal:
    return ChargeTotal(
        "1", "", "EC2", "AmazonEC2", "Compute", "us-east-1", "", "", "", category, "", "USD",
        {"team": team} if team else {}, amount, amount, np.zeros(1, dtype=np.int64),
    )  # fmt: skip


@settings(max_examples=40, deadline=None)
@given(teams=st.lists(names, min_size=1, max_size=300, unique=True))
def test_any_number_of_teams_with_any_names_fits_one_message(teams: list[str]) -> None:
    charges = [charge(t, 1_000_000_000 * (i + 1)) for i, t in enumerate(teams)]
    charges += [charge(None, 7_000_000_000), charge(None, 990_000_000, "Tax")]
    cb = chargeback(
        charges, DEFAULT_RULES, month="2024-09", start=date(2024, 9, 1), end=date(2024, 9, 30)
    )
    blocks = chargeback_blocks(cb, csv_note="CSV <uploaded> & shared")
    assert_within_block_limits(blocks)
    assert_escaped(blocks)
    assert "TOTAL" in str(blocks)


@settings(max_examples=30, deadline=None)
@given(titles=st.lists(names, min_size=0, max_size=40))
def test_hints_fit_and_escape(titles: list[str]) -> None:
    hints = [
        Hint("spot", t, None, 10**12 - i, "low", (t, "<!channel> & more"), "src <x>")
        for i, t in enumerate(titles)
    ]
    blocks = hints_blocks(hints, period="2024-09-21 – 2024-10-20", notes=["a & b"])
    assert_within_block_limits(blocks)
    assert_escaped(blocks)
