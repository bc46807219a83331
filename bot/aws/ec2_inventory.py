"""EC2: running accelerator instances and their GPUs, and the stop call with DryRun.

GPU and accelerator facts come from DescribeInstanceTypes (``GpuInfo``,
``NeuronInfo``, ``InferenceAcceleratorInfo``), never from a list of families,
so a new family counts the day AWS launches it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from bot.actions.errors import CannotStop, CloudUnavailable, PermissionDenied, WrongState
from bot.costs.tags import canonical_tag_key
from bot.insights.fleet import Accelerators, Instance

TYPES_PER_CALL = 100
GONE = ("InvalidInstanceID.NotFound", "InvalidInstanceID.Malformed")


def error_code(exc: ClientError) -> str:
    """Return the AWS error code of a ClientError."""
    return str(exc.response.get("Error", {}).get("Code", ""))


def accelerators_of(info: Mapping[str, Any]) -> Accelerators | None:
    """Read the GPUs / accelerators of one DescribeInstanceTypes entry (None: there are none)."""
    gpu = info.get("GpuInfo") or {}
    if gpu.get("Gpus"):
        first = gpu["Gpus"][0]
        count = sum(int(g.get("Count", 0)) for g in gpu["Gpus"])
        return Accelerators(
            count=count,
            model=str(first.get("Name", "GPU")),
            memory_mib=int((first.get("MemoryInfo") or {}).get("SizeInMiB", 0)),
            manufacturer=str(first.get("Manufacturer", "")),
            kind="gpu",
        )
    neuron = info.get("NeuronInfo") or {}
    if neuron.get("NeuronDevices"):
        first = neuron["NeuronDevices"][0]
        return Accelerators(
            count=sum(int(d.get("Count", 0)) for d in neuron["NeuronDevices"]),
            model=str(first.get("Name", "Neuron")),
            memory_mib=int((first.get("MemoryInfo") or {}).get("SizeInMiB", 0)),
            manufacturer="AWS",
            kind="neuron",
        )
    inference = info.get("InferenceAcceleratorInfo") or {}
    if inference.get("Accelerators"):
        first = inference["Accelerators"][0]
        return Accelerators(
            count=sum(int(a.get("Count", 0)) for a in inference["Accelerators"]),
            model=str(first.get("Name", "Inferentia")),
            memory_mib=int((first.get("MemoryInfo") or {}).get("SizeInMiB", 0)),
            manufacturer=str(first.get("Manufacturer", "AWS")),
            kind="inference",
        )
    return None


def canonical_tags(raw: Iterable[Mapping[str, str]], aliases: Mapping[str, str]) -> dict[str, str]:
    """Fold AWS ``[{Key, Value}]`` tags to costbot's canonical lower-case keys."""
    return {canonical_tag_key(t["Key"], aliases): t.get("Value", "") for t in raw}


class Ec2Inventory:
    """List, describe and stop instances in one account and region through an injected client."""

    def __init__(
        self, client: Any, *, account: str, region: str, aliases: Mapping[str, str]
    ) -> None:
        self._client = client
        self.account = account
        self.region = region
        self._aliases = aliases
        self._types: dict[str, Accelerators | None] = {}

    def accelerator_types(self, names: Iterable[str]) -> dict[str, Accelerators | None]:
        """Return the accelerators of each instance type (DescribeInstanceTypes, cached)."""
        names = list(names)
        missing = sorted({n for n in names if n not in self._types})
        for start in range(0, len(missing), TYPES_PER_CALL):
            chunk = missing[start : start + TYPES_PER_CALL]
            answer = self._client.describe_instance_types(InstanceTypes=chunk)
            for info in answer.get("InstanceTypes", []):
                self._types[info["InstanceType"]] = accelerators_of(info)
            for name in chunk:
                self._types.setdefault(name, None)
        return {n: self._types.get(n) for n in names}

    def _instances(self, **kwargs: Any) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        paginator = self._client.get_paginator("describe_instances")
        for page in paginator.paginate(**kwargs):
            for reservation in page.get("Reservations", []):
                out.extend(reservation.get("Instances", []))
        return out

    def _instance(self, raw: Mapping[str, Any], accelerators: Accelerators | None) -> Instance:
        return Instance(
            id=raw["InstanceId"],
            account=self.account,
            region=self.region,
            instance_type=raw["InstanceType"],
            state=raw.get("State", {}).get("Name", "unknown"),
            lifecycle=raw.get("InstanceLifecycle") or "on-demand",
            launch_time=raw["LaunchTime"].astimezone(UTC),
            tags=canonical_tags(raw.get("Tags", []), self._aliases),
            root_device_type=raw.get("RootDeviceType", "ebs"),
            accelerators=accelerators,
        )

    def running_accelerators(self) -> list[Instance]:
        """Return the running instances whose type has GPUs or other accelerators."""
        raws = self._instances(Filters=[{"Name": "instance-state-name", "Values": ["running"]}])
        types = self.accelerator_types(r["InstanceType"] for r in raws)
        return [
            self._instance(r, types[r["InstanceType"]])
            for r in raws
            if types.get(r["InstanceType"]) is not None
        ]

    def describe(self, instance_id: str) -> Instance | None:
        """Return the instance as it is now, or None when it does not exist (any more)."""
        try:
            raws = self._instances(InstanceIds=[instance_id])
        except ClientError as exc:
            if error_code(exc) in GONE:
                return None
            raise
        if not raws or raws[0].get("State", {}).get("Name") == "terminated":
            return None
        raw = raws[0]
        return self._instance(
            raw, self.accelerator_types([raw["InstanceType"]])[raw["InstanceType"]]
        )

    def stop(self, instance_id: str, *, dry_run: bool) -> str:
        """Stop the instance; with ``dry_run`` only ask EC2 whether the bot may.

        Returns ``"permitted"`` for a successful DryRun, else the state EC2 reports.
        """
        try:
            answer = self._client.stop_instances(InstanceIds=[instance_id], DryRun=dry_run)
        except ClientError as exc:
            code = error_code(exc)
            message = str(exc.response.get("Error", {}).get("Message", code))
            if code == "DryRunOperation":
                return "permitted"
            if code in ("UnauthorizedOperation", "AccessDenied", "AccessDeniedException"):
                raise PermissionDenied(
                    f"the bot's AWS role may not stop {instance_id} ({code}); see docs/gpus.md "
                    "for the IAM policy and its tag condition"
                ) from exc
            if code == "IncorrectInstanceState":
                raise WrongState(
                    f"{instance_id} cannot be stopped in its state: {message}"
                ) from exc
            if code == "UnsupportedOperation":
                raise CannotStop(f"EC2 cannot stop {instance_id}: {message}") from exc
            if code in GONE:
                raise WrongState(f"{instance_id} no longer exists") from exc
            raise
        except BotoCoreError as exc:
            raise CloudUnavailable(f"EC2 in {self.region} could not be reached: {exc}") from exc
        if dry_run:  # a DryRun that did not raise is a service that ignores DryRun
            return "permitted"
        changes = answer.get("StoppingInstances") or [{}]
        return str(changes[0].get("CurrentState", {}).get("Name", "stopping"))
