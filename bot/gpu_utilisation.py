"""GPU utilisation per instance over a window, from the CloudWatch agent's NVIDIA metrics that
the idle sweep reads: it lets unit costs show busy vs paid GPU-hours and "idle $" per team, and
GPU right-sizing hints (issue 16's seam, ``register_utilisation_source``).

Read only when ``COSTBOT_ENDPOINT_METRICS`` is on, like every CloudWatch read of the unit-cost
and hint reports, and at a daily period, so a 30-day window is 30 points per GPU.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from bot.economics import register_utilisation_source
from bot.errors import CostbotError
from bot.services import Services

DAY_SECONDS = 86_400


@register_utilisation_source
def cloudwatch_gpu_utilisation(services: Services, start: date, end: date) -> dict[str, float]:
    """Return each agent-reporting instance's mean GPU utilisation (0–1) from start to end."""
    if not services.settings.endpoint_metrics:
        return {}
    from botocore.exceptions import BotoCoreError, ClientError  # only when CloudWatch is read

    fleet = services.gpu_fleet()
    since = datetime.combine(start, time(), UTC)
    until = datetime.combine(end + timedelta(days=1), time(), UTC)
    out: dict[str, float] = {}
    try:
        for account in fleet.accounts():
            for region in fleet.regions:
                metrics = fleet.cloudwatch(account, region, period_seconds=DAY_SECONDS)
                for instance_id, used in metrics.instance_utilisation(
                    metrics.agent_instances(), since, until
                ).items():
                    values = [v for s in used.gpu_compute.values() for _, v in s.points]
                    if values:
                        out[instance_id] = min(1.0, max(0.0, sum(values) / len(values) / 100))
    except (ClientError, BotoCoreError) as exc:
        raise CostbotError(f"CloudWatch GPU metrics could not be read ({exc})") from exc
    return out
