"""The GPU fleet across regions and accounts: the :class:`~bot.insights.fleet.GpuFleet` port.

Clients come from the composition root's factory (``Services.aws_client``), one per
service, region and account (an account of ``COSTBOT_ACCOUNT_ROLES`` through its role).
A region or account that cannot be read is reported in ``Fleet.errors`` and the rest of
the sweep goes on.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from bot.aws.cloudwatch import CloudWatchMetrics
from bot.aws.ec2_inventory import Ec2Inventory
from bot.aws.sagemaker import SageMakerInventory
from bot.insights.fleet import Fleet, Instance, SageMakerResource, Series, Utilisation

ClientFactory = Callable[..., Any]  # (service, region, account=...) -> boto3 client


class AwsGpuFleet:
    """Inventory, metrics and stop calls over the configured regions and accounts."""

    def __init__(
        self,
        clients: ClientFactory,
        *,
        regions: tuple[str, ...],
        accounts: tuple[str, ...] = (),
        aliases: Mapping[str, str] | None = None,
        sagemaker: bool = True,
        period_seconds: int = 300,
    ) -> None:
        self.period_seconds = period_seconds
        self._clients = clients
        self.regions = regions
        self._accounts = accounts
        self._aliases = dict(aliases or {})
        self._sagemaker = sagemaker
        self._home: str | None = None

    def _client(self, service: str, account: str, region: str) -> Any:
        role_account = account if account in self._accounts else None
        return self._clients(service, region, account=role_account)

    def accounts(self) -> tuple[str, ...]:
        """Return the accounts to sweep: those with a role, else the bot's own account."""
        if self._accounts:
            return self._accounts
        if self._home is None:
            identity = self._clients("sts", self.regions[0]).get_caller_identity()
            self._home = str(identity["Account"])
        return (self._home,)

    def ec2(self, account: str, region: str) -> Ec2Inventory:
        """Return the EC2 adapter for one account and region."""
        return Ec2Inventory(
            self._client("ec2", account, region),
            account=account,
            region=region,
            aliases=self._aliases,
        )

    def sagemaker(self, account: str, region: str) -> SageMakerInventory:
        """Return the SageMaker adapter for one account and region."""
        return SageMakerInventory(
            self._client("sagemaker", account, region),
            account=account,
            region=region,
            aliases=self._aliases,
        )

    def cloudwatch(
        self, account: str, region: str, *, period_seconds: int | None = None
    ) -> CloudWatchMetrics:
        """Return the CloudWatch adapter for one account and region."""
        return CloudWatchMetrics(
            self._client("cloudwatch", account, region),
            period_seconds=period_seconds or self.period_seconds,
        )

    def inventory(self) -> Fleet:
        """List running accelerator instances and billing SageMaker resources everywhere."""
        instances: list[Instance] = []
        resources: list[SageMakerResource] = []
        errors: list[str] = []
        try:
            accounts = self.accounts()
        except (ClientError, BotoCoreError) as exc:  # no credentials, no network …
            return Fleet((), (), (f"AWS identity: {_reason(exc)}",))
        for account in accounts:
            for region in self.regions:
                try:
                    instances += self.ec2(account, region).running_accelerators()
                except (ClientError, BotoCoreError) as exc:
                    errors.append(f"EC2 in {account}/{region}: {_reason(exc)}")
                if not self._sagemaker:
                    continue
                try:
                    sm = self.sagemaker(account, region)
                    resources += sm.notebooks() + sm.endpoints() + sm.training_jobs()
                except (ClientError, BotoCoreError) as exc:
                    errors.append(f"SageMaker in {account}/{region}: {_reason(exc)}")
        return Fleet(tuple(instances), tuple(resources), tuple(errors))

    def utilisation(
        self, instances: tuple[Instance, ...], start: datetime, end: datetime
    ) -> dict[str, Utilisation]:
        """Return each instance's activity over [start, end), keyed by instance id."""
        out: dict[str, Utilisation] = {}
        for (account, region), ids in _grouped((i.account, i.region, i.id) for i in instances):
            out.update(self.cloudwatch(account, region).instance_utilisation(ids, start, end))
        return out

    def notebook_utilisation(
        self, notebooks: tuple[SageMakerResource, ...], start: datetime, end: datetime
    ) -> dict[str, Utilisation]:
        """Return notebook activity keyed by ``resource_id`` (``notebook/<name>``)."""
        out: dict[str, Utilisation] = {}
        for (account, region), names in _grouped((n.account, n.region, n.name) for n in notebooks):
            found = self.cloudwatch(account, region).notebook_utilisation(names, start, end)
            out.update({f"notebook/{name}": u for name, u in found.items()})
        return out

    def endpoint_invocations(
        self, endpoints: tuple[SageMakerResource, ...], start: datetime, end: datetime
    ) -> dict[str, Series]:
        """Return invocations keyed by ``resource_id`` (``endpoint/<name>``)."""
        out: dict[str, Series] = {}
        groups: dict[tuple[str, str], dict[str, list[str]]] = {}
        for e in endpoints:
            groups.setdefault((e.account, e.region), {}).setdefault(e.name, []).extend(e.variants)
        for (account, region), variants in groups.items():
            found = self.cloudwatch(account, region).endpoint_invocations(variants, start, end)
            out.update({f"endpoint/{name}": s for name, s in found.items()})
        return out

    def describe(self, account: str, region: str, instance_id: str) -> Instance | None:
        """Return the instance as it is now, or None when it no longer exists."""
        return self.ec2(account, region).describe(instance_id)

    def stop(self, account: str, region: str, instance_id: str, *, dry_run: bool) -> str:
        """Stop the instance (``dry_run``: only check the permission)."""
        return self.ec2(account, region).stop(instance_id, dry_run=dry_run)

    def stop_notebook(self, account: str, region: str, name: str) -> None:
        """Stop a SageMaker notebook instance."""
        self.sagemaker(account, region).stop_notebook(name)


def _grouped(items: Any) -> list[tuple[tuple[str, str], list[str]]]:
    groups: dict[tuple[str, str], list[str]] = {}
    for account, region, key in items:
        groups.setdefault((account, region), []).append(key)
    return sorted(groups.items())


def _reason(exc: Exception) -> str:
    if isinstance(exc, ClientError):
        error = exc.response.get("Error", {})
        return f"{error.get('Code', 'error')}: {error.get('Message', '')}".strip()
    return str(exc)
