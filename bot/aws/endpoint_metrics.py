"""Read SageMaker endpoint ``Invocations`` from CloudWatch (namespace ``AWS/SageMaker``).

The unit costs divide an endpoint's bill by how many inferences it served.
SageMaker publishes ``Invocations`` per (EndpointName, VariantName); this adapter
lists the variants of each endpoint and sums their daily ``Sum`` statistics
over the window with GetMetricData. It takes a boto3 CloudWatch client from
``Services.aws_client("cloudwatch")`` and turns SDK failures into
:class:`EndpointMetricsError`.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from bot.errors import CostbotError

NAMESPACE = "AWS/SageMaker"
METRIC = "Invocations"
DAY_SECONDS = 86_400


class EndpointMetricsError(CostbotError):
    """CloudWatch could not be read for endpoint invocations."""


class SageMakerEndpointMetrics:
    """Invocations per endpoint, from CloudWatch."""

    def __init__(self, cloudwatch: Any) -> None:
        self.cloudwatch = cloudwatch

    def invocations(self, endpoints: Iterable[str], start: date, end: date) -> dict[str, int]:
        """Return the invocations of each endpoint from ``start`` to ``end`` (inclusive, UTC).

        An endpoint without any metric is left out (unknown, not zero).
        """
        begin = datetime.combine(start, time(0), tzinfo=UTC)
        stop = datetime.combine(end + timedelta(days=1), time(0), tzinfo=UTC)
        queries: list[dict[str, Any]] = []
        owner: dict[str, str] = {}
        try:
            for name in sorted(set(endpoints)):
                for metric in self._metrics_of(name):
                    qid = f"q{len(queries)}"
                    owner[qid] = name
                    queries.append(
                        {
                            "Id": qid,
                            "MetricStat": {
                                "Metric": metric,
                                "Period": DAY_SECONDS,
                                "Stat": "Sum",
                            },
                            "ReturnData": True,
                        }
                    )
            totals: dict[str, int] = {}
            for i in range(0, len(queries), 500):  # GetMetricData takes 500 queries a call
                for result in self._get(queries[i : i + 500], begin, stop):
                    name = owner[result["Id"]]
                    totals[name] = totals.get(name, 0) + round(sum(result.get("Values", [])))
            return totals
        except (ClientError, BotoCoreError) as exc:
            raise EndpointMetricsError(
                f"cannot read {NAMESPACE} {METRIC} from CloudWatch: {exc}"
            ) from exc

    def _metrics_of(self, endpoint: str) -> list[dict[str, Any]]:
        metrics: dict[tuple[object, ...], dict[str, Any]] = {}
        kwargs: dict[str, Any] = {
            "Namespace": NAMESPACE,
            "MetricName": METRIC,
            "Dimensions": [{"Name": "EndpointName", "Value": endpoint}],
        }
        while True:
            page = self.cloudwatch.list_metrics(**kwargs)
            for m in page.get("Metrics", []):
                # one entry per metric: a variant listed twice must not be counted twice
                dims = tuple(sorted((d["Name"], d["Value"]) for d in m["Dimensions"]))
                metrics[(m["Namespace"], m["MetricName"], dims)] = {
                    "Namespace": m["Namespace"],
                    "MetricName": m["MetricName"],
                    "Dimensions": m["Dimensions"],
                }
            token = page.get("NextToken")
            if not token:
                return list(metrics.values())
            kwargs["NextToken"] = token

    def _get(
        self, queries: list[dict[str, Any]], begin: datetime, stop: datetime
    ) -> list[dict[str, Any]]:
        results: dict[str, dict[str, Any]] = {}
        kwargs: dict[str, Any] = {"MetricDataQueries": queries, "StartTime": begin, "EndTime": stop}
        while True:
            page = self.cloudwatch.get_metric_data(**kwargs)
            for r in page.get("MetricDataResults", []):
                slot = results.setdefault(r["Id"], {"Id": r["Id"], "Values": []})
                slot["Values"].extend(r.get("Values", []))
            token = page.get("NextToken")
            if not token:
                return list(results.values())
            kwargs["NextToken"] = token
