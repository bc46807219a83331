"""SageMaker: notebook instances in service, real-time endpoints, training jobs in progress."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from bot.actions.errors import CloudUnavailable, PermissionDenied, WrongState
from bot.aws.ec2_inventory import canonical_tags, error_code
from bot.insights.fleet import SageMakerResource


class SageMakerInventory:
    """List the SageMaker resources that bill by the hour, through an injected client."""

    def __init__(
        self, client: Any, *, account: str, region: str, aliases: Mapping[str, str]
    ) -> None:
        self._client = client
        self.account = account
        self.region = region
        self._aliases = aliases

    def _tags(self, arn: str) -> dict[str, str]:
        try:
            answer = self._client.list_tags(ResourceArn=arn)
        except ClientError:
            return {}  # tags are a nicety; the resource still bills
        return canonical_tags(answer.get("Tags", []), self._aliases)

    def _pages(self, method: str, key: str, **kwargs: Any) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        paginator = self._client.get_paginator(method)
        for page in paginator.paginate(**kwargs):
            out.extend(page.get(key, []))
        return out

    def notebooks(self) -> list[SageMakerResource]:
        """Return notebook instances in service."""
        return [
            SageMakerResource(
                kind="notebook",
                name=nb["NotebookInstanceName"],
                account=self.account,
                region=self.region,
                instance_type=nb["InstanceType"],
                count=1,
                status=nb["NotebookInstanceStatus"],
                since=(nb.get("LastModifiedTime") or nb["CreationTime"]).astimezone(UTC),
                tags=self._tags(nb["NotebookInstanceArn"]),
            )
            for nb in self._pages(
                "list_notebook_instances", "NotebookInstances", StatusEquals="InService"
            )
        ]

    def endpoints(self) -> list[SageMakerResource]:
        """Return real-time endpoints in service with their instance type and count."""
        out = []
        for summary in self._pages("list_endpoints", "Endpoints", StatusEquals="InService"):
            endpoint = self._client.describe_endpoint(EndpointName=summary["EndpointName"])
            config = self._client.describe_endpoint_config(
                EndpointConfigName=endpoint["EndpointConfigName"]
            )
            counts = {
                v["VariantName"]: int(
                    v.get("CurrentInstanceCount", v.get("DesiredInstanceCount", 0))
                )
                for v in endpoint.get("ProductionVariants", [])
            }
            tags = self._tags(summary["EndpointArn"])
            for variant in config.get("ProductionVariants", []):
                if not variant.get("InstanceType"):
                    continue  # serverless: billed per request, nothing runs idle
                name = variant["VariantName"]
                out.append(
                    SageMakerResource(
                        kind="endpoint",
                        name=summary["EndpointName"],
                        account=self.account,
                        region=self.region,
                        instance_type=variant["InstanceType"],
                        count=counts.get(name, int(variant.get("InitialInstanceCount", 1))),
                        status=summary["EndpointStatus"],
                        since=summary["CreationTime"].astimezone(UTC),
                        tags=tags,
                        variants=(name,),
                    )
                )
        return out

    def training_jobs(self) -> list[SageMakerResource]:
        """Return training jobs in progress with their instance type and count."""
        out = []
        for summary in self._pages(
            "list_training_jobs", "TrainingJobSummaries", StatusEquals="InProgress"
        ):
            job = self._client.describe_training_job(TrainingJobName=summary["TrainingJobName"])
            resources = job.get("ResourceConfig") or {}
            if not resources.get("InstanceType"):
                continue
            out.append(
                SageMakerResource(
                    kind="training-job",
                    name=summary["TrainingJobName"],
                    account=self.account,
                    region=self.region,
                    instance_type=resources["InstanceType"],
                    count=int(resources.get("InstanceCount", 1)),
                    status=summary["TrainingJobStatus"],
                    since=(job.get("TrainingStartTime") or summary["CreationTime"]).astimezone(UTC),
                    tags=self._tags(summary["TrainingJobArn"]),
                )
            )
        return out

    def stop_notebook(self, name: str) -> None:
        """Stop a notebook instance (its ML storage volume stays)."""
        try:
            self._client.stop_notebook_instance(NotebookInstanceName=name)
        except ClientError as exc:
            code = error_code(exc)
            if code in ("AccessDeniedException", "AccessDenied"):
                raise PermissionDenied(f"the bot's AWS role may not stop notebook {name}") from exc
            if code == "ValidationException":
                raise WrongState(f"notebook {name} cannot be stopped now: {exc}") from exc
            raise
        except BotoCoreError as exc:
            raise CloudUnavailable(
                f"SageMaker in {self.region} could not be reached: {exc}"
            ) from exc
