"""Split money into whole cents that add up exactly: the largest-remainder method.

Why this rule: a chargeback is an invoice, and an invoice is in cents. Rounding
every share on its own can lose or invent a cent; the largest-remainder method
(Hamilton's) floors every exact share and hands the cents still missing, one
each, to the shares that the flooring cut the most. So the parts always add up
to the target, and no part is more than one cent from its exact value. Ties
(equal remainders) go to the first key in sort order (team names alphabetically),
so the result never depends on the order rows were read in.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from decimal import ROUND_HALF_EVEN, Decimal
from fractions import Fraction

NANOS_PER_CENT = 10_000_000


def nanos_to_cents(nanos: int) -> int:
    """Round nano-units to whole cents, half to even (how the bill's total is shown)."""
    return int(Decimal(nanos).scaleb(-7).quantize(Decimal(1), rounding=ROUND_HALF_EVEN))


def apportion(target: int, quotas: Sequence[Fraction], keys: Sequence[str]) -> list[int]:
    """Return whole numbers, one per quota, each its floor or ceiling, summing to ``target``.

    ``quotas`` are the exact shares (in the same unit as ``target``); their sum may
    differ from ``target`` by less than one unit (``target`` is itself a rounded
    figure). The units left over after flooring go to the largest fractional
    parts; ties go to the smaller key.
    """
    if len(quotas) != len(keys):
        raise ValueError("one key per quota")
    if not quotas:
        if target:
            raise ValueError("nothing to apportion a non-zero amount to")
        return []
    floors = [math.floor(q) for q in quotas]
    missing = target - sum(floors)
    if not 0 <= missing <= len(quotas):
        raise ValueError(f"target {target} is not within one unit per share of the quotas")
    order = sorted(range(len(quotas)), key=lambda i: (-(quotas[i] - floors[i]), keys[i]))
    for i in order[:missing]:
        floors[i] += 1
    return floors


def proportional_quotas(total: Fraction | int, weights: Sequence[int]) -> list[Fraction]:
    """Split ``total`` in proportion to ``weights`` (all ≥ 0, not all 0) as exact fractions."""
    whole = sum(weights)
    if whole <= 0 or any(w < 0 for w in weights):
        raise ValueError("weights must be non-negative and not all zero")
    return [Fraction(total) * w / whole for w in weights]
