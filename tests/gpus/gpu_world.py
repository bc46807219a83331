"""A seeded GPU world on a moto server: instances of every kind and their CloudWatch metrics.

The moto server is real HTTP on 127.0.0.1 (``ThreadedMotoServer``, port 0); boto3 reaches it
through ``Settings.aws_endpoint_url``. moto stamps ``LaunchTime`` with the wall clock, so the
injected clock ``now`` is the wall clock plus three hours: every instance has run long enough
for the 2-hour idle window, and metrics are seeded relative to ``now``.
"""

from __future__ import annotations

import base64
import contextlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs

import boto3
import requests

REGION = "us-east-1"
AMI = "ami-12c6146b"
ROLE = "arn:aws:iam::123456789012:role/sagemaker"
STEP = timedelta(minutes=30)
HISTORY = timedelta(hours=4)


def wall_now_plus(hours: int = 3) -> datetime:
    """Return the injected 'now': the wall clock plus ``hours``, to the minute."""
    return (datetime.now(UTC) + timedelta(hours=hours)).replace(second=0, microsecond=0)


@dataclass
class World:
    """The seeded resources by role, and helpers to read what moto saw."""

    url: str
    now: datetime
    ids: dict[str, str] = field(default_factory=dict)
    clients: dict[str, Any] = field(default_factory=dict)

    def client(self, service: str) -> Any:
        if service not in self.clients:
            self.clients[service] = boto3.client(service, region_name=REGION, endpoint_url=self.url)
        return self.clients[service]

    def state(self, role: str) -> str:
        answer = self.client("ec2").describe_instances(InstanceIds=[self.ids[role]])
        return str(answer["Reservations"][0]["Instances"][0]["State"]["Name"])

    def start_recording(self) -> None:
        requests.post(f"{self.url}/moto-api/recorder/reset-recording", timeout=5)
        requests.post(f"{self.url}/moto-api/recorder/start-recording", timeout=5)

    def recorded_actions(self, action: str) -> list[dict[str, list[str]]]:
        """Return the form parameters of every recorded EC2 request with ``Action=action``."""
        text = requests.get(f"{self.url}/moto-api/recorder/download-recording", timeout=5).text
        out = []
        for line in text.splitlines():
            entry = json.loads(line)
            body = entry.get("body") or ""
            with contextlib.suppress(ValueError):
                body = base64.b64decode(body).decode()
            params = parse_qs(body)
            if params.get("Action") == [action]:
                out.append(params)
        return out

    def stop_calls(self) -> int:
        """Count the real (non-DryRun) StopInstances requests moto received."""
        return sum(1 for p in self.recorded_actions("StopInstances") if p.get("DryRun") != ["true"])


def _run(ec2: Any, itype: str, tags: dict[str, str], **extra: Any) -> str:
    spec = [{"ResourceType": "instance", "Tags": [{"Key": k, "Value": v} for k, v in tags.items()]}]
    answer = ec2.run_instances(
        ImageId=AMI, MinCount=1, MaxCount=1, InstanceType=itype, TagSpecifications=spec, **extra
    )
    return str(answer["Instances"][0]["InstanceId"])


def _put(cw: Any, namespace: str, data: list[dict[str, Any]]) -> None:
    for start in range(0, len(data), 500):
        cw.put_metric_data(Namespace=namespace, MetricData=data[start : start + 500])


def _times(now: datetime) -> Iterable[datetime]:
    t = now - HISTORY
    while t < now:
        yield t
        t += STEP


def gpu_metrics(
    cw: Any, now: datetime, instance_id: str, util: list[float], memory: list[float]
) -> None:
    """Seed CWAgent NVIDIA metrics, one series per GPU ``index`` (plus ``name``, as the agent)."""
    data = []
    for when in _times(now):
        for index, (u, m) in enumerate(zip(util, memory, strict=True)):
            dims = [
                {"Name": "InstanceId", "Value": instance_id},
                {"Name": "index", "Value": str(index)},
                {"Name": "name", "Value": "NVIDIA A100-SXM4-40GB"},
            ]
            data.append(
                {
                    "MetricName": "nvidia_smi_utilization_gpu",
                    "Dimensions": dims,
                    "Timestamp": when,
                    "Value": u,
                    "Unit": "Percent",
                }
            )
            data.append(
                {
                    "MetricName": "nvidia_smi_memory_used",
                    "Dimensions": dims,
                    "Timestamp": when,
                    "Value": m,
                    "Unit": "Megabytes",
                }
            )
    _put(cw, "CWAgent", data)


def ec2_metrics(cw: Any, now: datetime, instance_id: str, cpu: float, network: float) -> None:
    """Seed AWS/EC2 CPUUtilization and NetworkIn/Out (bytes per 30-minute step)."""
    dims = [{"Name": "InstanceId", "Value": instance_id}]
    data = []
    for when in _times(now):
        data.append(
            {"MetricName": "CPUUtilization", "Dimensions": dims, "Timestamp": when, "Value": cpu}
        )
        for name in ("NetworkIn", "NetworkOut"):
            data.append(
                {"MetricName": name, "Dimensions": dims, "Timestamp": when, "Value": network}
            )
    _put(cw, "AWS/EC2", data)


def seed(url: str, now: datetime) -> World:
    """Create the instances of the issue's 'Done when' and their metrics."""
    world = World(url, now)
    ec2, cw = world.client("ec2"), world.client("cloudwatch")
    team = {"team": "ai-research", "owner": "alice@example.com", "environment": "dev"}
    ids = world.ids
    ids["idle"] = _run(ec2, "p4d.24xlarge", {**team, "Name": "forgotten-8xA100"})
    ids["held"] = _run(ec2, "g5.12xlarge", {**team, "owner": "bob@example.com"})
    ids["busy"] = _run(ec2, "g5.xlarge", team)
    ids["half"] = _run(ec2, "g5.12xlarge", team)
    ids["protected"] = _run(ec2, "g5.xlarge", {**team, "costbot:protect": "true"})
    ids["prod"] = _run(ec2, "g5.xlarge", {"team": "search", "environment": "prod"})
    ids["spot"] = _run(
        ec2, "g5.xlarge", {"team": "search"}, InstanceMarketOptions={"MarketType": "spot"}
    )
    ids["cpu"] = _run(ec2, "t3.large", team)
    ids["stopped"] = _run(ec2, "p4d.24xlarge", team)
    ids["noagent"] = _run(ec2, "g4dn.xlarge", {"team": "search"})
    ec2.stop_instances(InstanceIds=[ids["stopped"]])
    gpu_metrics(cw, now, ids["idle"], [0.0] * 8, [0.0] * 8)
    gpu_metrics(cw, now, ids["held"], [1.0] * 4, [15_000.0] * 4)
    gpu_metrics(cw, now, ids["busy"], [85.0], [20_000.0])
    gpu_metrics(cw, now, ids["half"], [92.0, 0.0, 0.0, 0.0], [18_000.0, 0.0, 0.0, 0.0])
    for role in ("protected", "prod", "spot", "stopped"):
        gpu_metrics(cw, now, ids[role], [0.0], [0.0])
    for role in ids:
        busy = role in ("busy", "half")
        ec2_metrics(cw, now, ids[role], 60.0 if busy else 0.5, 5e8 if busy else 1e5)
    sm = world.client("sagemaker")
    sm.create_notebook_instance(
        NotebookInstanceName="nb-idle",
        InstanceType="ml.p3.2xlarge",
        RoleArn=ROLE,
        Tags=[{"Key": "team", "Value": "ai-research"}],
    )
    _put(
        cw,
        "CWAgent",
        [
            {
                "MetricName": "cpu_usage_active",
                "Dimensions": [{"Name": "NotebookInstanceName", "Value": "nb-idle"}],
                "Timestamp": when,
                "Value": 0.3,
            }
            for when in _times(now)
        ],
    )
    sm.create_model(ModelName="m1", ExecutionRoleArn=ROLE, PrimaryContainer={"Image": "x"})
    sm.create_endpoint_config(
        EndpointConfigName="c1",
        ProductionVariants=[
            {
                "VariantName": "AllTraffic",
                "ModelName": "m1",
                "InitialInstanceCount": 2,
                "InstanceType": "ml.g4dn.xlarge",
            }
        ],
    )
    sm.create_endpoint(
        EndpointName="ep-idle", EndpointConfigName="c1", Tags=[{"Key": "team", "Value": "search"}]
    )
    dims = [
        {"Name": "EndpointName", "Value": "ep-idle"},
        {"Name": "VariantName", "Value": "AllTraffic"},
    ]
    _put(
        cw,
        "AWS/SageMaker",
        [
            {"MetricName": "Invocations", "Dimensions": dims, "Timestamp": when, "Value": 0.0}
            for when in _times(now)
        ],
    )
    return world
