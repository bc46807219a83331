"""What runs: accelerator instances and SageMaker resources as plain data.

The AWS adapters (:mod:`bot.aws.gpu_fleet`) build these from DescribeInstances,
DescribeInstanceTypes and the SageMaker list calls; everything downstream (idle
rules, burn rate, actions) works on these objects and never sees boto3.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

UNTAGGED = "untagged"


@dataclass(frozen=True)
class Accelerators:
    """The GPUs or accelerators of an instance type, as DescribeInstanceTypes reports them."""

    count: int
    model: str
    memory_mib: int
    manufacturer: str = "NVIDIA"
    kind: str = "gpu"  # gpu | neuron | inference

    def label(self) -> str:
        """Describe them for people: ``8× A100 40 GiB``."""
        memory = f" {self.memory_mib // 1024} GiB" if self.memory_mib >= 1024 else ""
        return f"{self.count}× {self.model}{memory}"


class OwnerTags:
    """The tags findings and burn rates are attributed by, read from ``tags`` (lower-case keys)."""

    tags: Mapping[str, str]

    @property
    def team(self) -> str | None:
        """Return the team tag."""
        return self.tags.get("team") or None

    @property
    def owner(self) -> str | None:
        """Return the owner tag (often an email address)."""
        return self.tags.get("owner") or None

    @property
    def environment(self) -> str | None:
        """Return the environment tag."""
        return self.tags.get("environment") or None


@dataclass(frozen=True)
class Instance(OwnerTags):
    """An EC2 instance with the facts the idle rules, the price and the Stop button need."""

    id: str
    account: str
    region: str
    instance_type: str
    state: str
    lifecycle: str  # on-demand | spot
    launch_time: datetime
    tags: Mapping[str, str] = field(default_factory=dict)  # canonical, lower-case keys
    root_device_type: str = "ebs"
    accelerators: Accelerators | None = None


@dataclass(frozen=True)
class SageMakerResource(OwnerTags):
    """A SageMaker notebook instance, real-time endpoint or training job that bills by the hour."""

    kind: str  # notebook | endpoint | training-job
    name: str
    account: str
    region: str
    instance_type: str
    count: int
    status: str
    since: datetime
    tags: Mapping[str, str] = field(default_factory=dict)
    variants: tuple[str, ...] = ()  # endpoint production variants (for the Invocations metric)

    @property
    def resource_id(self) -> str:
        """Return the id used in findings and the burn rate: ``endpoint/<name>`` …"""
        return f"{self.kind}/{self.name}"


@dataclass(frozen=True)
class Series:
    """One metric series over the look-back: (period start, value) pairs, oldest first."""

    points: tuple[tuple[datetime, float], ...] = ()

    def __bool__(self) -> bool:
        return bool(self.points)


@dataclass(frozen=True)
class Utilisation:
    """An instance's activity over the look-back, per GPU where the CloudWatch agent reports it.

    ``gpu_compute`` / ``gpu_memory`` map the agent's ``index`` dimension (``"0"``, ``"1"`` …)
    to ``nvidia_smi_utilization_gpu`` (percent) and ``nvidia_smi_memory_used`` (MiB);
    ``cpu`` is ``AWS/EC2`` ``CPUUtilization`` (percent) and ``network`` the bytes in and out
    per period (``NetworkIn`` + ``NetworkOut``).
    """

    period_seconds: int = 300
    gpu_compute: Mapping[str, Series] = field(default_factory=dict)
    gpu_memory: Mapping[str, Series] = field(default_factory=dict)
    cpu: Series = field(default_factory=Series)
    network: Series = field(default_factory=Series)


@dataclass(frozen=True)
class Fleet:
    """What one inventory sweep found."""

    instances: tuple[Instance, ...]
    sagemaker: tuple[SageMakerResource, ...]
    errors: tuple[str, ...] = ()  # regions or accounts that could not be read, said plainly


class GpuFleet(Protocol):
    """The port the sweep and the actions use (:class:`bot.aws.gpu_fleet.AwsGpuFleet`)."""

    def inventory(self) -> Fleet:
        """List running accelerator instances and billing SageMaker resources."""
        ...

    def utilisation(
        self, instances: tuple[Instance, ...], start: datetime, end: datetime
    ) -> dict[str, Utilisation]:
        """Return each instance's metrics over [start, end), keyed by instance id."""
        ...

    def notebook_utilisation(
        self, notebooks: tuple[SageMakerResource, ...], start: datetime, end: datetime
    ) -> dict[str, Utilisation]:
        """Return notebook activity keyed by ``resource_id``."""
        ...

    def endpoint_invocations(
        self, endpoints: tuple[SageMakerResource, ...], start: datetime, end: datetime
    ) -> dict[str, Series]:
        """Return endpoint invocations keyed by ``resource_id``."""
        ...

    def describe(self, account: str, region: str, instance_id: str) -> Instance | None:
        """Return the instance as it is now (any state), or None when it no longer exists."""
        ...

    def stop(self, account: str, region: str, instance_id: str, *, dry_run: bool) -> str:
        """Stop (or with ``dry_run`` only check permission to stop); return the new state."""
        ...

    def stop_notebook(self, account: str, region: str, name: str) -> None:
        """Stop a SageMaker notebook instance."""
        ...
