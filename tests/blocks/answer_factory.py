"""Hand-made :class:`CostAnswer` values for the block builder tests."""

from __future__ import annotations

from datetime import UTC, date, datetime

from bot.costs.model import CostAnswer, CostQuery, GroupCost, PeriodSpec

USD = 1_000_000_000  # nano-units per dollar


def dollars(amount: str) -> int:
    """Turn ``"1234.56"`` into nano-units exactly (no floats)."""
    whole, _, frac = amount.partition(".")
    sign = -1 if whole.startswith("-") else 1
    frac = (frac + "0" * 9)[:9]
    return sign * (abs(int(whole)) * USD + int(frac))


def make_answer(
    query: CostQuery | None = None,
    *,
    total: int = 0,
    previous_total: int = 0,
    groups: tuple[GroupCost, ...] = (),
    all_spend: int | None = None,
    measure: str | None = None,
    group_count: int | None = None,
    data_through: datetime | None = datetime(2024, 9, 21, 6, 0, tzinfo=UTC),
    currency: str = "USD",
) -> CostAnswer:
    """Build an answer for September 1–21, 2024 compared with August 1–21."""
    q = query or CostQuery()
    return CostAnswer(
        query=q,
        start=date(2024, 9, 1),
        end=date(2024, 9, 21),
        previous_start=date(2024, 8, 1),
        previous_end=date(2024, 8, 21),
        measure=measure or q.measure,
        currency=currency,
        total=total,
        previous_total=previous_total,
        groups=groups,
        daily=(),
        data_through=data_through,
        all_spend=total if all_spend is None else all_spend,
        group_count=len(groups) if group_count is None else group_count,
    )


def team_query(**changes: object) -> CostQuery:
    """``team ai-research last 30d`` with any field changed."""
    base: dict[str, object] = {
        "filters": (("team", "ai-research"),),
        "period": PeriodSpec("last_days", days=30),
    }
    base.update(changes)
    return CostQuery(**base)  # type: ignore[arg-type]
