"""The composition root: the one place that builds the store, the engine and SDK clients.

Everything else receives what it needs from :class:`Services`; nothing else
reads the environment or constructs a boto3 / slack_sdk client.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from bot.aws.endpoint_metrics import SageMakerEndpointMetrics
from bot.aws.s3_exports import S3ExportSource
from bot.costs.query import CostQueryEngine
from bot.costs.store import CostStore
from bot.metrics import Metrics
from bot.settings import Settings


def utc_now() -> datetime:
    """Return the current time in UTC (the default clock)."""
    return datetime.now(UTC)


@dataclass
class Services:
    """The wired-up application: settings, store, query engine and adapters."""

    settings: Settings
    store: CostStore
    engine: CostQueryEngine
    clock: Callable[[], datetime] = utc_now
    _boto_clients: dict[str, Any] = field(default_factory=dict)
    metrics: Metrics = field(default_factory=Metrics)

    def aws_client(self, service: str) -> Any:
        """Return a boto3 client (honours ``AWS_ENDPOINT_URL`` for moto and proxies)."""
        if service not in self._boto_clients:
            import boto3

            session: Any = boto3.session.Session()  # typed per service; the name is dynamic
            self._boto_clients[service] = session.client(
                service,
                region_name=self.settings.aws_region,
                endpoint_url=self.settings.aws_endpoint_url,
            )
        return self._boto_clients[service]

    def s3_exports(self) -> S3ExportSource:
        """Return the S3 export reader."""
        return S3ExportSource(self.aws_client("s3"))

    # -- sync (issue 15): clients with retries, profile and assumed role ---------------------

    def sync_client(self, service: str) -> Any:
        """Return a fresh boto3 client for a sync: retry mode, profile, role, endpoints.

        Built per sync rather than cached, so an assumed role's credentials are new
        each time. ``AWS_ENDPOINT_URL_COST_EXPLORER`` beats ``AWS_ENDPOINT_URL`` for ``ce``.
        """
        import boto3
        from botocore.config import Config

        s = self.settings
        retries: Any = {"mode": s.aws_retry_mode, "max_attempts": s.aws_max_attempts}
        config = Config(retries=retries)
        session: Any = boto3.session.Session(profile_name=s.aws_profile)
        endpoint = s.aws_endpoint_url
        if s.aws_role_arn:
            sts = session.client("sts", region_name=s.aws_region, endpoint_url=endpoint)
            creds = sts.assume_role(RoleArn=s.aws_role_arn, RoleSessionName="costbot-sync")[
                "Credentials"
            ]
            session = boto3.session.Session(
                aws_access_key_id=creds["AccessKeyId"],
                aws_secret_access_key=creds["SecretAccessKey"],
                aws_session_token=creds["SessionToken"],
            )
        if service == "ce" and s.ce_endpoint_url:
            endpoint = s.ce_endpoint_url
        return session.client(
            service, region_name=s.aws_region, endpoint_url=endpoint, config=config
        )

    def endpoint_metrics(self) -> SageMakerEndpointMetrics:
        """Return the SageMaker endpoint invocations reader (CloudWatch)."""
        return SageMakerEndpointMetrics(self.aws_client("cloudwatch"))

    def close(self) -> None:
        """Close the store."""
        self.store.close()

    def __deepcopy__(self, memo: dict[int, object]) -> Services:
        """Stay one shared object: Bolt deep-copies the context it hands to lazy listeners."""
        return self


def build_services(
    settings: Settings, *, clock: Callable[[], datetime] = utc_now, create_store: bool = True
) -> Services:
    """Build the services for these settings."""
    store = CostStore(settings.db_path, create=create_store)
    engine = CostQueryEngine(
        store,
        allocation_tags=settings.allocation_tags,
        tag_aliases=dict(settings.tag_aliases),
        clock=clock,
        default_top=settings.top_n,
        week_start=settings.week_start,
    )
    services = Services(
        settings=settings,
        store=store,
        engine=engine,
        clock=clock,
        metrics=Metrics(store.data_through),
    )
    from bot.sync.report import SyncCollector  # issue 15: sync figures in /metrics

    collector: Any = SyncCollector(store, lambda: clock().date())  # a prometheus Collector
    services.metrics.registry.register(collector)
    return services
