"""The composition root: the one place that builds the store, the engine and SDK clients.

Everything else receives what it needs from :class:`Services`; nothing else
reads the environment or constructs a boto3 / slack_sdk client.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from bot.costs.query import CostQueryEngine
from bot.costs.store import CostStore
from bot.errors import CostbotError, SettingsError
from bot.settings import Settings

if TYPE_CHECKING:
    from jira import JIRA

    from bot.aws.endpoint_metrics import SageMakerEndpointMetrics
    from bot.aws.gpu_fleet import AwsGpuFleet
    from bot.aws.pricing import AwsPriceList
    from bot.aws.s3_exports import S3ExportSource
    from bot.jira import JiraTracker
    from bot.jira_settings import JiraSettings
    from bot.metrics import Metrics
    from bot.tickets.filing import TicketFiler
    from bot.tickets.findings import FindingRegistry


JIRA_TIMEOUT_SECONDS = 10.0


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
    _assumed: dict[str, tuple[datetime, dict[str, str]]] = field(default_factory=dict)
    _assumed_at: dict[str, str] = field(default_factory=dict)
    _clients_lock: threading.RLock = field(default_factory=threading.RLock)
    _gpu_fleet: AwsGpuFleet | None = None
    _metrics: Metrics | None = None
    _jira: dict[str, Any] = field(default_factory=dict)
    _jira_lock: threading.RLock = field(default_factory=threading.RLock)

    @property
    def metrics(self) -> Metrics:
        """The Prometheus metrics of this bot, built on first use.

        Only the server and the scheduler count and serve metrics; a question asked in the
        terminal never loads prometheus_client (a tenth of a second of start-up, issue 18).
        """
        with self._clients_lock:
            if self._metrics is None:
                self._metrics = self._build_metrics()
            return self._metrics

    def _build_metrics(self) -> Metrics:
        from bot.metrics import Metrics
        from bot.sync.report import SyncCollector  # issue 15: sync figures in /metrics

        metrics = Metrics(self.store.data_through)
        collector: Any = SyncCollector(self.store, lambda: self.clock().date())  # a Collector
        metrics.registry.register(collector)
        return metrics

    def aws_client(
        self, service: str, region: str | None = None, *, account: str | None = None
    ) -> Any:
        """Return a boto3 client (honours ``AWS_ENDPOINT_URL`` for moto and proxies).

        ``region`` defaults to ``AWS_REGION``; ``account`` names an account of
        ``COSTBOT_ACCOUNT_ROLES``, whose role is assumed (credentials renewed before they expire).
        """
        region = region or self.settings.aws_region
        role = self.settings.gpus.account_roles.get(account) if account else None
        key = f"{service}|{region}|{account if role else ''}"
        with self._clients_lock:
            credentials: dict[str, str] = {}
            if role and account:
                credentials = self._assumed_credentials(account, role)
                if self._assumed_at.get(key) != credentials.get("aws_session_token"):
                    self._boto_clients.pop(key, None)
            if key not in self._boto_clients:
                import boto3

                session: Any = boto3.session.Session()  # typed per service; the name is dynamic
                self._boto_clients[key] = session.client(
                    service,
                    region_name=region,
                    endpoint_url=self.settings.aws_endpoint_url,
                    **credentials,
                )
                if credentials:
                    self._assumed_at[key] = credentials["aws_session_token"]
            return self._boto_clients[key]

    def _assumed_credentials(self, account: str, role_arn: str) -> dict[str, str]:
        """Assume the account's role (cached until five minutes before expiry)."""
        cached = self._assumed.get(account)
        now = self.clock()
        if cached and cached[0] - timedelta(minutes=5) > now:
            return cached[1]
        import boto3

        session: Any = boto3.session.Session()
        sts = session.client(
            "sts", region_name=self.settings.aws_region, endpoint_url=self.settings.aws_endpoint_url
        )
        answer = sts.assume_role(RoleArn=role_arn, RoleSessionName="costbot")["Credentials"]
        credentials = {
            "aws_access_key_id": answer["AccessKeyId"],
            "aws_secret_access_key": answer["SecretAccessKey"],
            "aws_session_token": answer["SessionToken"],
        }
        expires = answer["Expiration"]
        self._assumed[account] = (
            expires if expires.tzinfo else expires.replace(tzinfo=UTC),
            credentials,
        )
        return credentials

    def gpu_fleet(self) -> AwsGpuFleet:
        """Return the GPU inventory, metrics and stop adapter over every region and account."""
        if self._gpu_fleet is None:
            self._gpu_fleet = self._build_gpu_fleet()
        return self._gpu_fleet

    def _build_gpu_fleet(self) -> AwsGpuFleet:
        from bot.aws.gpu_fleet import AwsGpuFleet  # botocore loads only when GPUs are swept

        gpus = self.settings.gpus
        return AwsGpuFleet(
            self.aws_client,
            regions=gpus.regions or (self.settings.aws_region,),
            accounts=tuple(gpus.account_roles),
            aliases=dict(self.settings.tag_aliases),
            period_seconds=gpus.metrics_period_seconds,
        )

    def price_list(self) -> AwsPriceList:
        """Return the AWS Pricing API adapter (its endpoint lives in us-east-1)."""
        from bot.aws.pricing import AwsPriceList

        return AwsPriceList(self.aws_client("pricing", "us-east-1"))

    def s3_exports(self) -> S3ExportSource:
        """Return the S3 export reader."""
        from bot.aws.s3_exports import S3ExportSource  # botocore loads only when S3 is used

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
        from bot.aws.endpoint_metrics import SageMakerEndpointMetrics  # botocore: on first use

        return SageMakerEndpointMetrics(self.aws_client("cloudwatch"))

    # -- Jira tickets (issue 14) ----------------------------------------------------------

    def jira_client(self) -> JIRA:
        """Build the ``jira.JIRA`` client once (lazily: an unreachable Jira never stops start-up).

        ``get_server_info=True`` asks ``serverInfo`` once, which tells the library
        whether it talks to Cloud (JQL through ``/search/jql``) or Data Center
        (``/search``). ``max_retries=0``: the library would otherwise sleep for
        tens of seconds between retries; costbot's own Retry button is the retry.
        """
        jira_settings = self.settings.jira
        if jira_settings is None:
            raise SettingsError("Jira is not configured: set JIRA_URL (see the README, Jira)")
        with self._jira_lock:
            return self._build_jira_client(jira_settings)

    def _build_jira_client(self, jira_settings: JiraSettings) -> JIRA:
        if "client" not in self._jira:
            from jira import JIRA, JIRAError

            from bot.jira import translate

            auth: dict[str, Any] = (
                {"token_auth": jira_settings.pat}
                if jira_settings.pat
                else {"basic_auth": (jira_settings.email, jira_settings.api_token)}
            )
            try:
                self._jira["client"] = JIRA(
                    server=jira_settings.url,
                    options={"rest_api_version": jira_settings.api_version},
                    get_server_info=True,
                    max_retries=0,
                    timeout=JIRA_TIMEOUT_SECONDS,
                    **auth,
                )
            except JIRAError as exc:
                raise translate(exc, "connecting to Jira", jira_settings.url) from None
        client: JIRA = self._jira["client"]
        return client

    def jira_tracker(self) -> JiraTracker:
        """Return the Jira adapter (the client itself is built on first use)."""

        jira_settings = self.settings.jira
        if jira_settings is None:
            raise SettingsError("Jira is not configured: set JIRA_URL (see the README, Jira)")
        with self._jira_lock:
            return self._tracker(jira_settings)

    def _tracker(self, jira_settings: JiraSettings) -> JiraTracker:
        from bot.jira import JiraTracker

        if "tracker" not in self._jira:
            self._jira["tracker"] = JiraTracker(
                self.jira_client, base_url=jira_settings.url, cloud=jira_settings.is_cloud
            )
        tracker: JiraTracker = self._jira["tracker"]
        return tracker

    def findings(self) -> FindingRegistry:
        """Return the registry of finding sources (``cost:`` registered here; add yours)."""
        with self._jira_lock:
            return self._findings()

    def _findings(self) -> FindingRegistry:
        if "findings" not in self._jira:
            from bot.state.tickets import TicketRequests
            from bot.tickets.cost_source import PREFIX, CostFindingSource
            from bot.tickets.findings import FindingRegistry

            requests = TicketRequests(lambda: self.store.conn, self.clock)

            def question_of(finding_id: str) -> str | None:
                row = requests.get(finding_id)
                return row.ref if row else None

            registry = FindingRegistry()
            registry.register(
                PREFIX,
                CostFindingSource(
                    self.engine, default_measure=self.settings.measure, question_of=question_of
                ),
            )
            from bot.gpu_tickets import PREFIX as IDLE_PREFIX
            from bot.gpu_tickets import IdleFindingSource

            registry.register(IDLE_PREFIX, IdleFindingSource(self.store))  # GPUs (issue 13)
            from bot.tickets.anomaly_source import PREFIX as ANOMALY_PREFIX
            from bot.tickets.anomaly_source import AnomalyFindingSource

            registry.register(  # anomaly alerts (issue 12)
                ANOMALY_PREFIX,
                AnomalyFindingSource(self.engine, default_measure=self.settings.measure),
            )
            from bot.tickets.budget_source import PREFIX as BUDGET_PREFIX
            from bot.tickets.budget_source import BudgetFindingSource

            registry.register(  # budget alerts (issue 12)
                BUDGET_PREFIX,
                BudgetFindingSource(self.engine, default_measure=self.settings.measure),
            )
            self._jira["findings"] = registry
        registry_: FindingRegistry = self._jira["findings"]
        return registry_

    def ticket_filer(self) -> TicketFiler | None:
        """Return the ticket filer, or None when Jira is not configured."""
        if self.settings.jira is None:
            return None
        with self._jira_lock:
            return self._filer(self.settings.jira)

    def _filer(self, jira_settings: JiraSettings) -> TicketFiler:
        if "filer" not in self._jira:
            from bot.state.tickets import TicketRequests
            from bot.tickets.filing import TicketFiler

            self._jira["filer"] = TicketFiler(
                jira_settings,
                self.jira_tracker(),
                TicketRequests(lambda: self.store.conn, self.clock),
                self.findings(),
                self.clock,
            )
        filer: TicketFiler = self._jira["filer"]
        return filer

    def post_to_response_url(self, url: str, payload: dict[str, Any]) -> None:
        """Post to a Slack ``response_url`` (updates an ephemeral message after a modal closed).

        Raises CostbotError when Slack refuses (expired or used-up URL).
        """
        from slack_sdk.webhook import WebhookClient

        answer = WebhookClient(url, timeout=10).send_dict(payload)
        if answer.status_code != 200:
            raise CostbotError(f"Slack refused the response_url post (HTTP {answer.status_code})")

    def slack_client(self) -> Any:
        """Return the Slack Web API client for scheduled jobs (None without a bot token)."""
        if self.settings.slack_bot_token is None:
            return None
        if "slack" not in self._jira:
            from bot.slack_app import web_client

            self._jira["slack"] = web_client(self.settings)
        return self._jira["slack"]

    def close(self) -> None:
        """Close the store."""
        self.store.close()

    def __deepcopy__(self, memo: dict[int, object]) -> Services:
        """Stay one shared object: Bolt deep-copies the context it hands to lazy listeners."""
        return self


def build_services(
    settings: Settings,
    *,
    clock: Callable[[], datetime] = utc_now,
    create_store: bool = True,
    serving: bool = False,
) -> Services:
    """Build the services for these settings (``serving``: for the Slack bot, whose
    listeners read the store while its scheduled syncs write it)."""
    store = CostStore(settings.db_path, create=create_store, shared=serving)
    engine = CostQueryEngine(
        store,
        allocation_tags=settings.allocation_tags,
        tag_aliases=dict(settings.tag_aliases),
        clock=clock,
        default_top=settings.top_n,
        week_start=settings.week_start,
    )
    return Services(settings=settings, store=store, engine=engine, clock=clock)
