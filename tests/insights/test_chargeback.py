"""Chargeback: every split rule reconciles to the cent, on the sample org and on any bill."""

from __future__ import annotations

import json
import math
import random
from datetime import date
from decimal import ROUND_HALF_EVEN, Decimal
from fractions import Fraction
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest
from economics_sample import SampleBill, build_sample_bill
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.insights.allocation_rules import (
    DEFAULT_RULES,
    AllocationRulesError,
    load_rules,
    parse_rules,
)
from bot.insights.apportion import apportion
from bot.insights.charge_totals import ChargeTotal
from bot.insights.chargeback import chargeback, chargeback_from_store

MONTH = "2024-09"


@pytest.fixture(scope="module")
def bill(tmp_path_factory: pytest.TempPathFactory) -> SampleBill:
    return build_sample_bill(tmp_path_factory.mktemp("sample"))


def cents(amount: Decimal) -> int:
    return int(amount.scaleb(2).quantize(Decimal(1), rounding=ROUND_HALF_EVEN))


def month_lines(bill: SampleBill) -> object:
    return bill.lines[bill.lines["month"] == MONTH]


def exact(nanos: int) -> Decimal:
    return Decimal(nanos).scaleb(-9)


RULES_TOML = """
by = "team"
[untagged]
mode = "{mode}"
split = "{untagged_split}"
[[shared]]
name = "support"
match = {{ service = "AWS Support (Business)" }}
split = "{split}"
{pct}
[[shared]]
name = "tax"
match = {{ charge = "Tax" }}
split = "even"
"""
FIXED = "percentages = { ai-research = 50, ml-platform = 25, data-eng = 15, web = 10 }"


@pytest.mark.parametrize(
    ("split", "mode", "untagged_split"),
    [
        ("proportional", "line", "proportional"),
        ("even", "split", "proportional"),
        ("fixed", "split", "even"),
        ("proportional", "split", "fixed"),
    ],
)
def test_sample_month_reconciles_to_the_bill_under_each_split_rule(
    bill: SampleBill, tmp_path: Path, split: str, mode: str, untagged_split: str
) -> None:
    pct = FIXED if split == "fixed" else ""
    text = RULES_TOML.format(split=split, mode=mode, untagged_split=untagged_split, pct=pct)
    if untagged_split == "fixed":
        text = text.replace(f'split = "{untagged_split}"', f'split = "fixed"\n{FIXED}', 1)
    path = tmp_path / "rules.toml"
    path.write_text(text)
    result = chargeback_from_store(bill.store, MONTH, load_rules(path))

    lines = month_lines(bill)
    month_total = sum(int(v) for v in lines["effective"])
    assert result.total == cents(exact(month_total))
    assert sum(r.total for r in result.rows) == result.total
    for r in result.rows:
        assert r.total == r.direct + sum(r.shared.values())

    # independent sums of what each rule takes (the first match wins, as the rules say)
    is_support = lines["service"] == "AWS Support (Business)"
    is_tax = (lines["charge_category"] == "Tax") & ~is_support
    rest = lines[~is_support & ~is_tax]
    support = sum(int(v) for v in lines[is_support]["effective"])
    tax = sum(int(v) for v in lines[is_tax]["effective"])
    direct = {t: sum(int(v) for v in g["effective"]) for t, g in rest.groupby("team")}
    untagged = sum(int(v) for v in rest[rest["team"].isna()]["effective"])
    assert sum(direct.values()) + untagged + support + tax == month_total
    assert set(direct) == {"ai-research", "ml-platform", "data-eng", "web"}

    rows = {r.team: r for r in result.rows}
    for team, nanos in direct.items():
        assert abs(rows[team].direct * 10_000_000 - nanos) < 10_000_000  # within a cent
    # each column adds up to its pool, within a cent, and the columns add up to the total
    assert abs(sum(r.shared["support"] for r in result.rows) * 10**7 - support) < 10**7
    assert abs(sum(r.shared["tax"] for r in result.rows) * 10**7 - tax) < 10**7
    # tax is split evenly: four teams within a cent of each other
    tax_cells = [rows[t].shared["tax"] for t in direct]
    assert max(tax_cells) - min(tax_cells) <= 1
    weights = {t: max(v, 0) for t, v in direct.items()}
    for team in direct:
        if split == "proportional":
            expected = Fraction(support) * weights[team] / sum(weights.values())
        elif split == "even":
            expected = Fraction(support, 4)
        else:
            pcts = {"ai-research": 50, "ml-platform": 25, "data-eng": 15, "web": 10}
            expected = Fraction(support) * pcts[team] / 100
        assert abs(rows[team].shared["support"] * 10**7 - expected) < 10**7
    if mode == "line":
        (own,) = [r for r in result.rows if r.team is None]
        assert abs(own.direct * 10**7 - untagged) < 10**7
        assert result.rows[-1].team is None
    else:
        assert all(r.team is not None for r in result.rows)
        assert abs(sum(r.shared["untagged"] for r in result.rows) * 10**7 - untagged) < 10**7


def test_json_is_the_documented_shape_and_total_is_the_sum_of_rows(bill: SampleBill) -> None:
    data = chargeback_from_store(bill.store, MONTH, DEFAULT_RULES).to_json()
    assert list(data) == ["month", "currency", "measure", "total", "rows"]
    assert data["month"] == MONTH and data["currency"] == "USD" and data["measure"] == "effective"
    rows = data["rows"]
    assert isinstance(rows, list)
    assert all(",".join(r) == "team,direct,shared,total" for r in rows)
    assert sum(Decimal(r["total"]) for r in rows) == Decimal(str(data["total"]))
    assert [r["team"] for r in rows][-1] is None  # untagged is its own line by default
    assert set(rows[0]["shared"]) == {"support", "tax"}
    json.dumps(data)  # plain JSON: strings and None only


def test_billed_measure_reconciles_with_the_billed_bill(bill: SampleBill) -> None:
    result = chargeback_from_store(bill.store, MONTH, DEFAULT_RULES, measure="billed")
    expected = sum(int(v) for v in month_lines(bill)["billed"])
    assert result.total == cents(exact(expected)) == sum(r.total for r in result.rows)


def test_by_another_tag_key(bill: SampleBill) -> None:
    result = chargeback_from_store(bill.store, MONTH, DEFAULT_RULES, by="project")
    assert result.by == "project"
    assert "llm-training" in {r.team for r in result.rows}
    assert sum(r.total for r in result.rows) == result.total


def test_csv_and_parquet_carry_the_same_rows(bill: SampleBill, tmp_path: Path) -> None:
    result = chargeback_from_store(bill.store, MONTH, DEFAULT_RULES)
    lines = result.csv_text().splitlines()
    assert lines[0] == "team,direct,support,tax,total"
    assert lines[-1].startswith("TOTAL,") and lines[-1].endswith(
        str(Decimal(result.total).scaleb(-2))
    )
    result.write_parquet(tmp_path / "cb.parquet")
    table = pq.read_table(tmp_path / "cb.parquet")
    assert sum(table.column("total").to_pylist()) == Decimal(result.total).scaleb(-2)


def test_a_month_without_data_is_an_error(bill: SampleBill) -> None:
    from bot.insights.chargeback import ChargebackError

    with pytest.raises(ChargebackError, match="no spend"):
        chargeback_from_store(bill.store, "2023-01", DEFAULT_RULES)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"shared": [{"name": "x", "match": {"charge": "Tax"}, "split": "weird"}]}, "split must"),
        ({"shared": [{"name": "x", "match": {"colour": "red"}}]}, "cannot match on 'colour'"),
        (
            {
                "shared": [
                    {
                        "name": "x",
                        "match": {"charge": "Tax"},
                        "split": "fixed",
                        "percentages": {"a": 60, "b": 30},
                    }
                ]
            },
            "add up to 90",
        ),
        ({"untagged": {"mode": "hide"}}, "mode must"),
        ({"shared": [{"name": "untagged", "match": {"charge": "Tax"}}]}, "unique"),
    ],
)
def test_bad_rules_are_refused_with_the_reason(data: dict[str, object], message: str) -> None:
    with pytest.raises(AllocationRulesError, match=message):
        parse_rules(data)


def test_missing_rules_file_names_the_path(tmp_path: Path) -> None:
    with pytest.raises(AllocationRulesError, match="not found"):
        load_rules(tmp_path / "nope.toml")


# --- property tests on any bill ----------------------------------------------------------

TEAMS = ["alpha", "beta", "gamma", "delta", "eps"]


def _charge(
    team: str | None, amount: int, *, charge: str = "Usage", service: str = "EC2"
) -> ChargeTotal:
    return ChargeTotal(
        "1",
        "",
        service,
        service,
        "Compute",
        "us-east-1",
        "",
        "",
        "",
        charge,
        "Standard",
        "USD",
        {"team": team} if team else {},
        amount,
        amount,
        np.zeros(1, dtype=np.int64),
    )


amounts = st.integers(min_value=-50_000_000_000, max_value=5_000_000_000_000)


@settings(max_examples=150, deadline=None)
@given(
    direct=st.lists(st.tuples(st.sampled_from(TEAMS), amounts), max_size=12),
    untagged=st.lists(amounts, max_size=4),
    tax=st.lists(amounts, max_size=3),
    split=st.sampled_from(["proportional", "even", "fixed"]),
    mode=st.sampled_from(["line", "split"]),
    seed=st.integers(0, 1000),
)
def test_any_bill_reconciles_exactly_and_ignores_line_order(
    direct: list[tuple[str, int]],
    untagged: list[int],
    tax: list[int],
    split: str,
    mode: str,
    seed: int,
) -> None:
    charges = [_charge(t, a) for t, a in direct]
    charges += [_charge(None, a) for a in untagged]
    charges += [_charge(None, a, charge="Tax") for a in tax]
    if not charges:
        return
    rule: dict[str, object] = {"name": "tax", "match": {"charge": "Tax"}, "split": split}
    if split == "fixed":
        rule["percentages"] = {"alpha": 33.3, "beta": 33.3, "gamma": 33.4}
    rules = parse_rules({"shared": [rule], "untagged": {"mode": mode}})
    kw = {"month": "2024-09", "start": date(2024, 9, 1), "end": date(2024, 9, 30)}
    result = chargeback(charges, rules, **kw)  # type: ignore[arg-type]
    total = sum(c.amount for c in charges)
    expected_total = int(Decimal(total).scaleb(-7).quantize(Decimal(1), rounding=ROUND_HALF_EVEN))
    assert result.total == expected_total == sum(r.total for r in result.rows)
    # each team's direct cents are within a cent of its exact direct spend
    exact_direct: dict[str | None, int] = {}
    for t, a in direct:
        exact_direct[t] = exact_direct.get(t, 0) + a
    for r in result.rows:
        if r.team is not None:
            assert abs(r.direct * 10**7 - exact_direct.get(r.team, 0)) < 10**7
    # each team's share of tax is within a cent of its exact share, worked out here
    pool = sum(tax)
    teams = [r.team for r in result.rows if r.team is not None]
    pcts = {"alpha": Fraction(333, 10), "beta": Fraction(333, 10), "gamma": Fraction(334, 10)}
    weights = {t: max(exact_direct.get(t, 0), 0) for t in teams}
    for r in result.rows:
        if r.team is None:
            expected = Fraction(pool) if not teams else Fraction(0)
        elif split == "fixed":
            expected = pool * pcts.get(r.team, Fraction(0)) / 100
        elif split == "proportional" and sum(weights.values()) > 0:
            expected = Fraction(pool * weights[r.team], sum(weights.values()))
        else:
            expected = Fraction(pool, len(teams))
        assert abs(r.shared["tax"] * 10**7 - expected) < 10**7
    # the same bill in another order gives the same rows
    shuffled = list(charges)
    random.Random(seed).shuffle(shuffled)
    assert chargeback(shuffled, rules, **kw) == result  # type: ignore[arg-type]


@given(
    quotas=st.lists(st.fractions(min_value=-1000, max_value=1000), min_size=1, max_size=10),
    bump=st.integers(0, 1),
)
def test_apportion_hands_out_exactly_the_target_within_one_unit(
    quotas: list[Fraction], bump: int
) -> None:
    total = sum(quotas)
    target = math.floor(total) + (bump if total.denominator != 1 else 0)
    keys = [f"k{i}" for i in range(len(quotas))]
    parts = apportion(target, quotas, keys)
    assert sum(parts) == target
    assert all(abs(p - q) < 1 for p, q in zip(parts, quotas, strict=True))


def test_the_remainder_goes_to_the_largest_remainder_then_by_name() -> None:
    # 100 cents three ways: 33.33 each, one cent left; equal remainders: alphabetical first
    assert apportion(100, [Fraction(100, 3)] * 3, ["b", "a", "c"]) == [33, 34, 33]
    # the largest remainder wins over the name
    assert apportion(10, [Fraction(33, 10), Fraction(37, 10), Fraction(3)], ["a", "b", "c"]) == [
        3,
        4,
        3,
    ]
