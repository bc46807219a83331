"""CloudWatch: GPU, CPU and network activity of instances; SageMaker invocations.

GPU figures come from the CloudWatch agent's NVIDIA plugin (namespace ``CWAgent``,
``nvidia_smi_utilization_gpu`` in percent and ``nvidia_smi_memory_used`` in MiB, one series
per GPU ``index``). The agent adds whatever dimensions its configuration appends, so costbot
first lists the series that carry the instance's ``InstanceId`` (ListMetrics) and then
queries exactly those dimension sets with GetMetricData, up to 500 queries a call.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from bot.insights.fleet import Series, Utilisation

AGENT_NAMESPACE = "CWAgent"
GPU_UTILISATION = "nvidia_smi_utilization_gpu"
GPU_MEMORY = "nvidia_smi_memory_used"
AGENT_CPU = "cpu_usage_active"
QUERIES_PER_CALL = 500
PERIOD_SECONDS = 300


@dataclass(frozen=True)
class MetricQuery:
    """One series to fetch, and where its values belong."""

    owner: str  # instance id or SageMaker resource id
    role: str  # gpu_compute | gpu_memory | cpu | network | invocations
    namespace: str
    name: str
    dimensions: tuple[tuple[str, str], ...]
    stat: str = "Average"
    index: str = ""


class CloudWatchMetrics:
    """Fetch activity series in one account and region through an injected client."""

    def __init__(self, client: Any, *, period_seconds: int = PERIOD_SECONDS) -> None:
        self._client = client
        self.period = period_seconds

    def _listed(self, namespace: str, name: str) -> list[dict[str, str]]:
        """Return the dimension maps of every series of a metric (ListMetrics, paginated).

        Each series once: a listing that repeats one (moto lists a multi-dimension series
        once per datapoint) would otherwise cost a GetMetricData query per repeat.
        """
        out: list[dict[str, str]] = []
        seen: set[tuple[tuple[str, str], ...]] = set()
        paginator = self._client.get_paginator("list_metrics")
        for page in paginator.paginate(Namespace=namespace, MetricName=name):
            for metric in page.get("Metrics", []):
                dims = {d["Name"]: d["Value"] for d in metric.get("Dimensions", [])}
                key = tuple(sorted(dims.items()))
                if key not in seen:
                    seen.add(key)
                    out.append(dims)
        return out

    def _agent_queries(
        self, key: str, owners: set[str], metric: str, role: str
    ) -> list[MetricQuery]:
        queries = []
        for dims in self._listed(AGENT_NAMESPACE, metric):
            owner = dims.get(key)
            if owner in owners:
                queries.append(
                    MetricQuery(
                        owner=owner,
                        role=role,
                        namespace=AGENT_NAMESPACE,
                        name=metric,
                        dimensions=tuple(sorted(dims.items())),
                        stat="Maximum" if role == "gpu_memory" else "Average",
                        index=dims.get("index", "0"),
                    )
                )
        return queries

    def fetch(
        self, queries: Sequence[MetricQuery], start: datetime, end: datetime
    ) -> dict[MetricQuery, Series]:
        """Run the queries with GetMetricData; every query gets a (possibly empty) series."""
        out: dict[MetricQuery, Series] = {}
        for first in range(0, len(queries), QUERIES_PER_CALL):
            batch = list(queries[first : first + QUERIES_PER_CALL])
            by_id = {f"q{i}": q for i, q in enumerate(batch)}
            points: dict[str, list[tuple[datetime, float]]] = defaultdict(list)
            kwargs: dict[str, Any] = {
                "MetricDataQueries": [
                    {
                        "Id": qid,
                        "MetricStat": {
                            "Metric": {
                                "Namespace": q.namespace,
                                "MetricName": q.name,
                                "Dimensions": [{"Name": k, "Value": v} for k, v in q.dimensions],
                            },
                            "Period": self.period,
                            "Stat": q.stat,
                        },
                    }
                    for qid, q in by_id.items()
                ],
                "StartTime": start,
                "EndTime": end,
                "ScanBy": "TimestampAscending",
            }
            while True:
                answer = self._client.get_metric_data(**kwargs)
                for result in answer.get("MetricDataResults", []):
                    points[result["Id"]].extend(
                        (
                            (t.astimezone(UTC), v)
                            for t, v in zip(
                                result.get("Timestamps", []), result.get("Values", []), strict=False
                            )
                        )
                    )
                token = answer.get("NextToken")
                if not token:
                    break
                kwargs["NextToken"] = token
            for qid, q in by_id.items():
                out[q] = Series(tuple(sorted((t, float(v)) for t, v in points[qid])))
        return out

    def agent_instances(self) -> set[str]:
        """Return the instance ids that report the CloudWatch agent's GPU utilisation."""
        return {
            d["InstanceId"]
            for d in self._listed(AGENT_NAMESPACE, GPU_UTILISATION)
            if d.get("InstanceId")
        }

    def instance_utilisation(
        self, instance_ids: Iterable[str], start: datetime, end: datetime
    ) -> dict[str, Utilisation]:
        """Return GPU, CPU and network activity per instance id."""
        owners = set(instance_ids)
        if not owners:
            return {}
        queries = self._agent_queries("InstanceId", owners, GPU_UTILISATION, "gpu_compute")
        queries += self._agent_queries("InstanceId", owners, GPU_MEMORY, "gpu_memory")
        for instance_id in sorted(owners):
            dims = (("InstanceId", instance_id),)
            queries.append(
                MetricQuery(instance_id, "cpu", "AWS/EC2", "CPUUtilization", dims, "Average")
            )
            for name in ("NetworkIn", "NetworkOut"):
                queries.append(MetricQuery(instance_id, "network", "AWS/EC2", name, dims, "Sum"))
        return _assemble(self.fetch(queries, start, end), owners, self.period)

    def notebook_utilisation(
        self, names: Iterable[str], start: datetime, end: datetime
    ) -> dict[str, Utilisation]:
        """Return agent CPU / GPU activity of notebook instances (``NotebookInstanceName`` dim)."""
        owners = set(names)
        if not owners:
            return {}
        key = "NotebookInstanceName"
        queries = self._agent_queries(key, owners, GPU_UTILISATION, "gpu_compute")
        queries += self._agent_queries(key, owners, GPU_MEMORY, "gpu_memory")
        queries += self._agent_queries(key, owners, AGENT_CPU, "cpu")
        return _assemble(self.fetch(queries, start, end), owners, self.period)

    def endpoint_invocations(
        self, variants: Mapping[str, Sequence[str]], start: datetime, end: datetime
    ) -> dict[str, Series]:
        """Return summed ``AWS/SageMaker`` ``Invocations`` per endpoint (all its variants)."""
        queries = [
            MetricQuery(
                endpoint,
                "invocations",
                "AWS/SageMaker",
                "Invocations",
                (("EndpointName", endpoint), ("VariantName", variant)),
                "Sum",
            )
            for endpoint, names in variants.items()
            for variant in names
        ]
        fetched = self.fetch(queries, start, end)
        out: dict[str, Series] = {}
        for endpoint in variants:
            parts = [fetched[q] for q in queries if q.owner == endpoint]
            out[endpoint] = _summed(parts)
        return out


def _summed(parts: Sequence[Series]) -> Series:
    """Add series point by point (same period starts)."""
    total: dict[datetime, float] = defaultdict(float)
    for part in parts:
        for when, value in part.points:
            total[when] += value
    return Series(tuple(sorted(total.items())))


def _assemble(
    fetched: Mapping[MetricQuery, Series], owners: set[str], period: int
) -> dict[str, Utilisation]:
    compute: dict[str, dict[str, Series]] = defaultdict(dict)
    memory: dict[str, dict[str, Series]] = defaultdict(dict)
    cpu: dict[str, list[Series]] = defaultdict(list)
    network: dict[str, list[Series]] = defaultdict(list)
    for q, series in fetched.items():
        if q.role == "gpu_compute":
            compute[q.owner][q.index] = series
        elif q.role == "gpu_memory":
            memory[q.owner][q.index] = series
        elif q.role == "cpu":
            cpu[q.owner].append(series)
        elif q.role == "network":
            network[q.owner].append(series)
    return {
        owner: Utilisation(
            period_seconds=period,
            gpu_compute=compute.get(owner, {}),
            gpu_memory=memory.get(owner, {}),
            cpu=_max_series(cpu.get(owner, [])),
            network=_summed(network.get(owner, [])),
        )
        for owner in owners
    }


def _max_series(parts: Sequence[Series]) -> Series:
    best: dict[datetime, float] = {}
    for part in parts:
        for when, value in part.points:
            best[when] = max(value, best.get(when, value))
    return Series(tuple(sorted(best.items())))
