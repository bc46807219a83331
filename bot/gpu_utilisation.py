"""GPU utilisation per instance over a window, from the CloudWatch agent's NVIDIA metrics that
the idle sweep reads. Two reports use it (issue 16's seams): unit costs show busy vs paid
GPU-hours and "idle $" per team (``register_utilisation_source``), and the hints suggest a
smaller instance where the GPUs stayed under 30 % for at least 14 days of the window
(``register_hint_source``). Both read through :func:`measured_gpu_utilisation`, so they never
disagree about what an instance did.

Read only when ``COSTBOT_ENDPOINT_METRICS`` is on (``costbot hints --cloudwatch`` turns it on
for one report), like every CloudWatch read of the unit-cost and hint reports, and at a daily
period, so a 30-day window is 30 points per GPU.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import UTC, date, datetime, time, timedelta

from bot.economics import register_hint_source, register_utilisation_source
from bot.errors import CostbotError
from bot.insights.charge_totals import ChargeTotal
from bot.insights.gpu_catalog import is_gpu
from bot.insights.hints import GpuUtilisation, Hint, rightsizing_hints
from bot.services import Services

DAY_SECONDS = 86_400
RIGHTSIZE_BELOW_PERCENT = 30.0  # the "under 30 %"
RIGHTSIZE_MIN_DAYS = 14  # days with datapoints: fewer is not enough to judge an instance


def measured_gpu_utilisation(
    services: Services, start: date, end: date, *, only: Collection[str] | None = None
) -> dict[str, GpuUtilisation]:
    """Return each agent-reporting instance's mean GPU utilisation and its days with data.

    The mean (percent, 0–100) is over every GPU's daily averages, so an 8-GPU host with
    one busy GPU counts as one eighth busy; ``days`` counts the distinct UTC days with at
    least one datapoint, which tells a fortnight of evidence from two days of it.
    ``only`` limits the read to those instance ids (the ones the bill charges for), so a
    fleet's other instances cost no GetMetricData queries. SDK errors become
    :class:`CostbotError`: the reports turn them into a note, never a crash.
    """
    from botocore.exceptions import BotoCoreError, ClientError  # only when CloudWatch is read

    wanted = None if only is None else set(only)
    if wanted is not None and not wanted:
        return {}
    fleet = services.gpu_fleet()
    since = datetime.combine(start, time(), UTC)
    until = datetime.combine(end + timedelta(days=1), time(), UTC)
    out: dict[str, GpuUtilisation] = {}
    try:
        for account in fleet.accounts():
            for region in fleet.regions:
                metrics = fleet.cloudwatch(account, region, period_seconds=DAY_SECONDS)
                ids = metrics.agent_instances()
                if wanted is not None:
                    ids &= wanted
                for instance_id, used in metrics.instance_utilisation(ids, since, until).items():
                    points = [p for s in used.gpu_compute.values() for p in s.points]
                    if not points:
                        continue
                    mean = sum(v for _, v in points) / len(points)
                    out[instance_id] = GpuUtilisation(
                        instance_id,
                        min(100.0, max(0.0, mean)),
                        len({when.astimezone(UTC).date() for when, _ in points}),
                    )
    except (ClientError, BotoCoreError) as exc:
        raise CostbotError(f"CloudWatch GPU metrics could not be read ({exc})") from exc
    return out


@register_utilisation_source
def cloudwatch_gpu_utilisation(services: Services, start: date, end: date) -> dict[str, float]:
    """Return each agent-reporting instance's mean GPU utilisation (0–1) from start to end."""
    if not services.settings.endpoint_metrics:
        return {}
    return {
        instance_id: u.average_percent / 100
        for instance_id, u in measured_gpu_utilisation(services, start, end).items()
    }


@register_hint_source
def gpu_rightsizing_hints(
    services: Services, charges: Sequence[ChargeTotal], start: date, end: date
) -> list[Hint]:
    """Suggest fewer or cheaper GPUs for instances under 30 % for 14+ days of the window.

    Only the GPU instances the bill charges for in the window are read: the saving is
    computed from what they cost, so an instance without charges has nothing to save.
    """
    if not services.settings.endpoint_metrics:
        return []
    billed = {c.resource_id for c in charges if c.resource_id and is_gpu(c.resource_type)}
    measured = measured_gpu_utilisation(services, start, end, only=billed)
    return rightsizing_hints(
        charges,
        measured,
        threshold=RIGHTSIZE_BELOW_PERCENT,
        min_days=RIGHTSIZE_MIN_DAYS,
    )
