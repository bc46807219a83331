"""Say when a question needs more detail than the synced data holds, instead of a wrong split.

Deliveries record where their rows came from in ``deliveries.format``. Files
(CUR, FOCUS) hold everything. Cost Explorer deliveries (``Cost Explorer: …``)
hold, per day, the service crossed with *one* other dimension at a time: the
linked account, or one tag key. Athena deliveries (``Athena …; resources from
YYYY-MM-DD``) hold every dimension but resources, SKUs and resource types only
from that day on. :func:`check_resolution` refuses a question whose answer
would depend on detail a delivery in its window does not have.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from bot.costs.model import CostQuery
from bot.costs.store import CostStore, day_number
from bot.errors import CostbotError

CE_PREFIX = "Cost Explorer"
ATHENA_PREFIX = "Athena"
RESOURCE_DIMS = ("resource", "resource_type", "sku")
# Dimensions every Cost Explorer request carries (or that are constant in its rows).
CE_FREE = ("service", "provider", "billing_account", "currency")


def ce_format(tag_keys: Sequence[str]) -> str:
    """Name a Cost Explorer delivery and its resolution (read back by :func:`ce_tag_keys`)."""
    return f"{CE_PREFIX}: service x account; service x tag {','.join(tag_keys) or '-'}"


def ce_tag_keys(fmt: str) -> tuple[str, ...]:
    """Return the tag keys a Cost Explorer delivery's format says it holds."""
    _, _, tail = fmt.partition("service x tag ")
    return tuple(k for k in tail.split(",") if k and k != "-")


def athena_format(export: str, resources_from: date) -> str:
    """Name an Athena delivery and the first day it holds resources for."""
    return f"{ATHENA_PREFIX} {export}; resources from {resources_from.isoformat()}"


class ResolutionError(CostbotError):
    """The data for this period cannot answer this question at the detail asked."""


def check_resolution(
    store: CostStore,
    query: CostQuery,
    start: date,
    end: date,
    untagged: Sequence[str] | None,
) -> None:
    """Raise :class:`ResolutionError` if a synced delivery in [start, end] lacks the detail."""
    rows = store.conn.execute(
        "SELECT DISTINCT format, billing_period FROM deliveries "
        "WHERE (format LIKE ? OR format LIKE ?) AND last_day >= ? AND first_day <= ?",
        (CE_PREFIX + "%", ATHENA_PREFIX + "%", day_number(start), day_number(end)),
    ).fetchall()
    if not rows:
        return
    dims = [d for d, _ in query.filters] + ([query.group_by] if query.group_by else [])
    dims += list(untagged or ())
    for fmt, period in rows:
        if fmt.startswith(CE_PREFIX):
            _check_ce(fmt, period, query, dims, untagged)
        else:
            _check_athena(fmt, period, dims, start)


def _check_ce(
    fmt: str, period: str, query: CostQuery, dims: list[str], untagged: Sequence[str] | None
) -> None:
    tags = set(ce_tag_keys(fmt))
    where = f"{period} comes from Cost Explorer (daily, by service with one of account or a tag)"
    if query.measure == "list":
        raise ResolutionError(f"{where}: it has no list prices; ask `measure billed` or effective")
    crossed = sorted({d for d in dims if d not in CE_FREE})
    unknown = [d for d in crossed if d != "account" and d not in tags]
    if unknown:
        have = ", ".join(["service", "account", *sorted(tags)])
        raise ResolutionError(
            f"{where}: it has no {', '.join(unknown)} detail. It can answer by {have}; "
            "ingest the CUR/FOCUS export (or sync it with Athena) for more."
        )
    if len(crossed) > 1 or (untagged is not None and len(untagged) > 1):
        raise ResolutionError(
            f"{where}: {' x '.join(crossed)} together cannot be split without guessing. "
            "Ask about one of them at a time (e.g. `untagged team`), or ingest the export."
        )


def _check_athena(fmt: str, period: str, dims: list[str], start: date) -> None:
    _, _, since = fmt.partition("resources from ")
    if not since or not any(d in RESOURCE_DIMS for d in dims):
        return
    first = date.fromisoformat(since.strip()[:10])
    if start < first:
        raise ResolutionError(
            f"{period} was synced with Athena, which keeps resources, SKUs and types only "
            f"from {first.isoformat()} (COSTBOT_ATHENA_RESOURCE_DAYS); ask a period from then on."
        )
