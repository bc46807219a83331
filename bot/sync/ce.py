"""Cost Explorer as a source: which requests to make, and how their groups become cost lines.

``GetCostAndUsage`` groups by at most two dimensions per request, so costbot
asks once for SERVICE x LINKED_ACCOUNT and once per allocation tag key for
SERVICE x TAG. Each request partitions the same daily spend of each service:
its groups add up to the service's total for the day. The store holds one set
of lines per (day, service) whose *marginals* are exactly those partitions: the
per-account amounts of the first request and the per-tag-value amounts of each
tag request (:func:`couple`). So every question that names the service and at
most one other dimension (an account, or one tag key) sums to Cost Explorer's
own figures to the nano; a question that crosses two of them (account x team,
team x project, ``untagged`` over several keys) has no answer at this
resolution, and :mod:`bot.costs.resolution` says so instead of showing the
arbitrary split the lines happen to carry.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date

import numpy as np
import pyarrow as pa

from bot.costs.readers.common import TAG_PREFIX
from bot.costs.store import day_number
from bot.costs.tags import canonical_tag_key
from bot.errors import CostbotError
from bot.money import MoneyFormatError, parse_decimal, to_nanos

log = logging.getLogger("costbot.sync.ce")

BILLED_METRIC = "UnblendedCost"
EFFECTIVE_METRIC = "AmortizedCost"
ACCOUNT_VIEW = ""  # the SERVICE x LINKED_ACCOUNT request's view name


class CostExplorerError(CostbotError):
    """Cost Explorer refused, failed, or returned what costbot cannot read."""


class RequestCapReached(CostExplorerError):
    """The day's Cost Explorer request cap would be passed."""


@dataclass(frozen=True)
class CeRequest:
    """One grouping to ask for: SERVICE plus LINKED_ACCOUNT, or SERVICE plus one tag key."""

    view: str  # ACCOUNT_VIEW or the canonical tag key
    second: tuple[str, str]  # (Type, Key) of the second group-by

    def params(self, start: date, end: date, token: str | None) -> dict[str, object]:
        """Return ``GetCostAndUsage`` arguments for [start, end) (end exclusive, as CE has it)."""
        out: dict[str, object] = {
            "TimePeriod": {"Start": start.isoformat(), "End": end.isoformat()},
            "Granularity": "DAILY",
            "Metrics": [BILLED_METRIC, EFFECTIVE_METRIC],
            "GroupBy": [
                {"Type": "DIMENSION", "Key": "SERVICE"},
                {"Type": self.second[0], "Key": self.second[1]},
            ],
        }
        if token:
            out["NextPageToken"] = token
        return out


def plan_requests(tag_keys: Sequence[str]) -> list[CeRequest]:
    """Return the requests of one sync window: accounts first, then one per tag key."""
    return [
        CeRequest(ACCOUNT_VIEW, ("DIMENSION", "LINKED_ACCOUNT")),
        *(CeRequest(k, ("TAG", k)) for k in tag_keys),
    ]


Cell = dict[str, list[int]]  # label -> [billed, effective]


@dataclass
class CeCollector:
    """Gather the groups of every page, per (day, service, currency) and view."""

    aliases: Mapping[str, str] = field(default_factory=dict)
    cells: dict[tuple[int, str, str], dict[str, Cell]] = field(default_factory=dict)
    account_names: dict[str, str] = field(default_factory=dict)

    def add_page(self, request: CeRequest, page: Mapping[str, object]) -> int:
        """Add one ``GetCostAndUsage`` response; return how many groups it held."""
        groups = 0
        for attr in _list(page.get("DimensionValueAttributes")):
            value = str(attr.get("Value", ""))
            name = str(_map(attr.get("Attributes")).get("description", ""))
            if value and name:
                self.account_names[value] = name
        for period in _list(page.get("ResultsByTime")):
            day = day_number(date.fromisoformat(str(_map(period.get("TimePeriod"))["Start"])))
            for group in _list(period.get("Groups")):
                keys = [str(k) for k in _list(group.get("Keys"))]
                if len(keys) != 2:
                    raise CostExplorerError(f"a group came back with keys {keys}; expected two")
                service, second = keys
                label = second if request.view == ACCOUNT_VIEW else self._tag_value(second)
                metrics = _map(group.get("Metrics"))
                billed, unit = _amount(metrics, BILLED_METRIC)
                effective, unit2 = _amount(metrics, EFFECTIVE_METRIC)
                currency = unit or unit2 or "USD"
                views = self.cells.setdefault((day, service, currency), {})
                slot = views.setdefault(request.view, {}).setdefault(label, [0, 0])
                slot[0] += billed
                slot[1] += effective
                groups += 1
        return groups

    @staticmethod
    def _tag_value(key: str) -> str:
        """Turn ``team$ai-research`` into ``ai-research`` and ``team$`` into '' (untagged)."""
        if "$" not in key:
            raise CostExplorerError(f"tag group {key!r} is not of the form key$value")
        return key.partition("$")[2]

    def lines(
        self, *, billing_account: str, tag_keys: Sequence[str], periods: Iterable[str] | None
    ) -> pa.Table:
        """Return canonical lines whose marginals are every request's groups, exactly."""
        wanted = set(periods) if periods is not None else None
        canon = {k: canonical_tag_key(k, self.aliases) for k in tag_keys}
        rows: list[tuple[int, str, str, str, dict[str, str], int, int]] = []
        worst = 0
        for (day, service, currency), views in sorted(self.cells.items()):
            accounts = views.get(ACCOUNT_VIEW) or _totals_as_unknown_account(views)
            cells: list[tuple[tuple[str, ...], list[int]]] = [
                ((a,), v) for a, v in sorted(accounts.items())
            ]
            for key in tag_keys:
                tag_view = dict(views.get(key, {}))
                worst = max(worst, _reconcile(cells, tag_view))
                cells = couple(cells, sorted(tag_view.items()))
            for labels, (b, e) in cells:
                tags = {canon[k]: v for k, v in zip(tag_keys, labels[1:], strict=True) if v}
                rows.append((day, service, currency, labels[0], tags, b, e))
        if worst:
            log.info("Cost Explorer groupings differed by at most %d nano-USD per day", worst)
        days = np.array([r[0] for r in rows], dtype=np.int32)
        months = days.astype("datetime64[D]").astype("datetime64[M]").astype(str).tolist()
        keep = [wanted is None or m in wanted for m in months]
        rows = [r for r, k in zip(rows, keep, strict=True) if k]
        months = [m for m, k in zip(months, keep, strict=True) if k]
        n = len(rows)
        text = {
            "billing_period": months,
            "provider": ["AWS"] * n,
            "billing_account": [billing_account] * n,
            "sub_account": [r[3] for r in rows],
            "sub_account_name": [self.account_names.get(r[3], "") for r in rows],
            "service": [r[1] for r in rows],
            "service_code": [""] * n,
            "service_category": [""] * n,
            "region": [""] * n,
            "resource_id": [""] * n,
            "resource_type": [""] * n,
            "sku": [""] * n,
            "charge_category": [""] * n,
            "pricing_category": [""] * n,
            "currency": [r[2] for r in rows],
        }
        billed = np.array([r[5] for r in rows], dtype=np.int64)
        cols: dict[str, pa.Array] = {
            "day": pa.array(np.array([r[0] for r in rows], dtype=np.int32)),
            **{k: pa.array(v, pa.string()) for k, v in text.items()},
            "billed": pa.array(billed),
            "effective": pa.array(np.array([r[6] for r in rows], dtype=np.int64)),
            "list": pa.array(billed),  # CE has no list price; the resolution check refuses it
        }
        for key in sorted(set(canon.values())):
            cols[TAG_PREFIX + key] = pa.array([r[4].get(key, "") for r in rows], pa.string())
        return pa.table(cols)


def _totals_as_unknown_account(views: Mapping[str, Cell]) -> Cell:
    """A service and day only a tag request returned: its total under an unknown account."""
    for view in views.values():
        return {"": [sum(v[0] for v in view.values()), sum(v[1] for v in view.values())]}
    return {}


def _reconcile(cells: Sequence[tuple[tuple[str, ...], list[int]]], view: Cell) -> int:
    """Make a tag view add up to the account view (CE rounds each grouping on its own).

    The difference (nano-units, from Cost Explorer's per-group rounding) goes to
    the untagged share of the tag view. Return the largest absolute difference.
    """
    worst = 0
    for m in (0, 1):
        want = sum(v[m] for _, v in cells)
        have = sum(v[m] for v in view.values())
        if want != have:
            view.setdefault("", [0, 0])[m] += want - have
            worst = max(worst, abs(want - have))
    return worst


def couple(
    left: Sequence[tuple[tuple[str, ...], Sequence[int]]],
    right: Sequence[tuple[str, Sequence[int]]],
) -> list[tuple[tuple[str, ...], list[int]]]:
    """Return cells (left labels + right label) whose row and column sums are exactly both.

    Both sides must have the same total per measure. Amounts of one sign are
    paired greedily (north-west corner: few, plausible cells); mixed signs use
    a pivot construction that is exact for any integers.
    """
    out: dict[tuple[str, ...], list[int]] = {}
    for m in (0, 1):
        a = [(labels, int(v[m])) for labels, v in left if v[m]]
        b = [(label, int(v[m])) for label, v in right if v[m]]
        if sum(x for _, x in a) != sum(x for _, x in b):
            raise CostExplorerError("groupings of one service and day do not add up")
        for labels, amount in _couple_one(a, b):
            out.setdefault(labels, [0, 0])[m] += amount
    return [(k, v) for k, v in out.items() if v[0] or v[1]]


def _couple_one(
    a: list[tuple[tuple[str, ...], int]], b: list[tuple[str, int]]
) -> list[tuple[tuple[str, ...], int]]:
    if not a and not b:
        return []
    if not a:
        a = [(("",), 0)]
    if not b:
        b = [("", 0)]
    same_sign = all(x >= 0 for _, x in a + b) or all(x <= 0 for _, x in a + b)
    if same_sign:
        out = []
        i = j = 0
        ra, rb = a[0][1], b[0][1]
        while i < len(a) and j < len(b):
            take = min(ra, rb, key=abs)
            if take:
                out.append(((*a[i][0], b[j][0]), take))
            ra -= take
            rb -= take
            if ra == 0:
                i += 1
                ra = a[i][1] if i < len(a) else 0
            if rb == 0:
                j += 1
                rb = b[j][1] if j < len(b) else 0
        return out
    # Pivot: row i0 and column j0 absorb the rest; exact whatever the signs.
    (l0, a0), (r0, _) = a[0], b[0]
    out = [((*labels, r0), x) for labels, x in a[1:]]
    out += [((*l0, label), y) for label, y in b[1:]]
    out.append(((*l0, r0), a0 - sum(y for _, y in b[1:])))
    return [c for c in out if c[1]]


def _amount(metrics: Mapping[str, object], name: str) -> tuple[int, str]:
    m = _map(metrics.get(name))
    try:
        return to_nanos(parse_decimal(str(m.get("Amount", "0")))), str(m.get("Unit", ""))
    except MoneyFormatError as exc:
        raise CostExplorerError(f"{name}: {exc}") from exc


def _list(value: object) -> list[Mapping[str, object]]:
    return list(value) if isinstance(value, list) else []


def _map(value: object) -> Mapping[str, object]:
    return value if isinstance(value, Mapping) else {}


def sync_periods(start: date, end: date) -> list[str]:
    """Return the ``YYYY-MM`` billing periods a window [start, end] touches."""
    out = []
    year, month = start.year, start.month
    while (year, month) <= (end.year, end.month):
        out.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return out


def month_after(period: str) -> date:
    """Return the first day of the month after a ``YYYY-MM`` period."""
    year, month = int(period[:4]), int(period[5:7])
    return date(year + 1, 1, 1) if month == 12 else date(year, month + 1, 1)
