"""The one settings object, read from the environment at the composition root only.

Every variable is documented in the README ("Settings"). Nothing else in the
code base reads ``os.environ``: it receives a :class:`Settings`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import time
from decimal import Decimal, InvalidOperation
from pathlib import Path

from bot.costs.tags import parse_aliases
from bot.errors import SettingsError
from bot.jira_settings import JiraSettings, jira_settings_from_env

DEFAULT_ALLOCATION_TAGS = ("team", "project", "environment")
DEFAULT_ALIASES = {"team_name": "team", "env": "environment", "proj": "project"}
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


@dataclass(frozen=True)
class Settings:
    """What costbot needs to know about its environment."""

    db_path: Path = Path("costbot.db")
    allocation_tags: tuple[str, ...] = DEFAULT_ALLOCATION_TAGS
    tag_aliases: Mapping[str, str] = field(default_factory=lambda: dict(DEFAULT_ALIASES))
    measure: str = "effective"
    top_n: int = 10
    slack_bot_token: str | None = None
    slack_app_token: str | None = None
    slack_signing_secret: str | None = None
    slack_api_url: str | None = None
    port: int = 3000
    aws_endpoint_url: str | None = None
    aws_region: str = "us-east-1"
    # Speaking first (issue 12): schedules, anomaly alerts, budgets.
    alert_channel: str | None = None
    grace_hours: float = 2.0
    scan_at: str = "06:00"
    anomaly_min_impact: float = 100.0
    anomaly_min_percent: float = 20.0
    gpus: GpuSettings = field(default_factory=lambda: GpuSettings())
    # -- sync (issue 15): sources, schedule, Cost Explorer, Athena ------------------------
    sources: tuple[str, ...] = ()
    sync_every_hours: float = 6.0
    aws_profile: str | None = None
    aws_role_arn: str | None = None
    aws_retry_mode: str = "adaptive"
    aws_max_attempts: int = 8
    ce_endpoint_url: str | None = None
    ce_max_requests_per_day: int = 40
    athena_database: str | None = None
    athena_table: str | None = None
    athena_workgroup: str = "primary"
    athena_output: str | None = None
    athena_export: str = "cur2"
    athena_resource_days: int = 14
    # economics (issue 16): chargeback rules and channel, unit-cost target, run tags
    allocation_rules: Path | None = None
    chargeback_channel: str | None = None
    inference_target: Decimal = Decimal("0.001")
    run_tags: tuple[str, ...] = ("run", "experiment")
    endpoint_metrics: bool = False
    # Operations (issue 11: serve): logging and a separate metrics port.
    log_level: str = "INFO"
    log_format: str = "text"
    metrics_port: int | None = None
    week_start: int = 0  # COSTBOT_WEEK_START: the first day of "this week" (0 = Monday)
    ingest_workers: int | None = None  # COSTBOT_INGEST_WORKERS: None = one per core for big inputs
    ingest_memory_mb: int = 1024  # COSTBOT_INGEST_MEMORY_MB: what automatic readers may use
    jira: JiraSettings | None = None  # None: Jira is off (no JIRA_URL), no ticket buttons

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **overrides: object) -> Settings:
        """Build settings from environment variables (``COSTBOT_*``, ``SLACK_*``, ``AWS_*``)."""
        env = os.environ if env is None else env
        s = cls()
        kw: dict[str, object] = {}
        if env.get("COSTBOT_DB"):
            kw["db_path"] = Path(env["COSTBOT_DB"])
        if env.get("COSTBOT_ALLOCATION_TAGS"):
            keys = tuple(k.strip().lower() for k in env["COSTBOT_ALLOCATION_TAGS"].split(","))
            kw["allocation_tags"] = tuple(k for k in keys if k)
        if env.get("COSTBOT_TAG_ALIASES") is not None and env.get("COSTBOT_TAG_ALIASES") != "":
            try:
                kw["tag_aliases"] = {**DEFAULT_ALIASES, **parse_aliases(env["COSTBOT_TAG_ALIASES"])}
            except ValueError as exc:
                raise SettingsError(f"COSTBOT_TAG_ALIASES: {exc}") from exc
        if env.get("COSTBOT_MEASURE"):
            measure = env["COSTBOT_MEASURE"].strip().lower()
            if measure not in ("billed", "effective", "list"):
                raise SettingsError("COSTBOT_MEASURE must be one of billed, effective, list")
            kw["measure"] = measure
        for name, var in (("top_n", "COSTBOT_TOP_N"), ("port", "PORT")):
            if env.get(var):
                try:
                    kw[name] = int(env[var])
                except ValueError as exc:
                    raise SettingsError(f"{var} must be a whole number, got {env[var]!r}") from exc
        if "top_n" in kw and not 1 <= int(str(kw["top_n"])) <= 50:
            raise SettingsError(f"COSTBOT_TOP_N must be from 1 to 50, got {env['COSTBOT_TOP_N']!r}")
        if env.get("COSTBOT_WEEK_START"):
            day = env["COSTBOT_WEEK_START"].strip().lower()
            if day not in WEEKDAYS:
                raise SettingsError(
                    f"COSTBOT_WEEK_START must be a weekday (monday … sunday), got {day!r}"
                )
            kw["week_start"] = WEEKDAYS.index(day)
        for name, var in (
            ("slack_bot_token", "SLACK_BOT_TOKEN"),
            ("slack_app_token", "SLACK_APP_TOKEN"),
            ("slack_signing_secret", "SLACK_SIGNING_SECRET"),
            ("slack_api_url", "SLACK_API_URL"),
            ("aws_endpoint_url", "AWS_ENDPOINT_URL"),
        ):
            if env.get(var):
                kw[name] = env[var]
        if env.get("AWS_DEFAULT_REGION") or env.get("AWS_REGION"):
            kw["aws_region"] = env.get("AWS_REGION") or env["AWS_DEFAULT_REGION"]
        kw.update(_speaking_first_settings(env))
        kw["gpus"] = parse_gpu_settings(env)
        kw.update(sync_settings(env))
        kw.update(_economics_from_env(env))
        kw.update(_operations_from_env(env))
        jira = jira_settings_from_env(env)
        if jira is not None:
            kw["jira"] = jira
        kw.update(overrides)
        return replace(s, **kw)  # type: ignore[arg-type]


def _speaking_first_settings(env: Mapping[str, str]) -> dict[str, object]:
    """Parse the scheduling, alert and budget variables (``COSTBOT_ALERT_CHANNEL`` …)."""
    import re

    kw: dict[str, object] = {}
    if env.get("COSTBOT_ALERT_CHANNEL"):
        kw["alert_channel"] = env["COSTBOT_ALERT_CHANNEL"].strip()
    for name, var in (
        ("grace_hours", "COSTBOT_GRACE_HOURS"),
        ("anomaly_min_impact", "COSTBOT_ANOMALY_MIN_IMPACT"),
        ("anomaly_min_percent", "COSTBOT_ANOMALY_MIN_PERCENT"),
    ):
        if env.get(var):
            try:
                value = float(env[var])
            except ValueError as exc:
                raise SettingsError(f"{var} must be a number, got {env[var]!r}") from exc
            if value < 0:
                raise SettingsError(f"{var} must not be negative, got {env[var]!r}")
            kw[name] = value
    if env.get("COSTBOT_SCAN_AT"):
        at = env["COSTBOT_SCAN_AT"].strip()
        if not re.fullmatch(r"([01]\d|2[0-3]):[0-5]\d", at):
            raise SettingsError(f"COSTBOT_SCAN_AT must be HH:MM (UTC), got {at!r}")
        kw["scan_at"] = at
    return kw


# -- GPUs: inventory, idle detection, burn rate and the Stop button (issue 13) ----------------


@dataclass(frozen=True)
class GpuSettings:
    """What the GPU sweep, the idle rules and the Stop button need (``COSTBOT_*``)."""

    regions: tuple[str, ...] = ()  # empty: AWS_REGION alone
    account_roles: Mapping[str, str] = field(default_factory=dict)  # account id -> role ARN
    protect_tag: str = "costbot:protect"
    protected_environments: tuple[str, ...] = ("prod", "production")
    team_channels: Mapping[str, str] = field(default_factory=dict)  # team -> channel id
    default_channel: str | None = None
    stop_users: tuple[str, ...] = ()  # Slack user ids U… and user-group ids S…
    stop_owner_by_email: bool = False
    idle_window_hours: float = 2.0
    idle_lookback_hours: float = 24.0
    metrics_period_seconds: int = 300
    idle_gpu_percent: float = 5.0
    held_memory_mib: float = 1024.0
    idle_cpu_percent: float = 5.0
    idle_network_mb_per_hour: float = 50.0
    sweep_minutes: int = 10
    team_hourly_limits: Mapping[str, Decimal] = field(default_factory=dict)
    night_watch: bool = False
    night_environments: tuple[str, ...] = ("dev", "development", "staging", "test")
    night_start: time = time(20, 0)
    night_end: time = time(7, 0)
    night_timezone: str = "UTC"


def _pairs(var: str, text: str) -> dict[str, str]:
    """Parse ``a=b,c=d`` (spaces allowed around items)."""
    out: dict[str, str] = {}
    for item in text.split(","):
        if not item.strip():
            continue
        key, sep, value = item.partition("=")
        if not sep or not key.strip() or not value.strip():
            raise SettingsError(
                f"{var}: expected key=value items separated by commas, got {item!r}"
            )
        out[key.strip()] = value.strip()
    return out


def _words(text: str, *, lower: bool = False) -> tuple[str, ...]:
    items = (w.strip() for w in text.split(","))
    return tuple(w.lower() if lower else w for w in items if w)


def _number(env: Mapping[str, str], var: str, default: float) -> float:
    if not env.get(var):
        return default
    try:
        value = float(env[var])
    except ValueError as exc:
        raise SettingsError(f"{var} must be a number, got {env[var]!r}") from exc
    if value < 0:
        raise SettingsError(f"{var} must not be negative, got {env[var]!r}")
    return value


def _clock_time(var: str, text: str) -> time:
    try:
        return time.fromisoformat(text.strip())
    except ValueError as exc:
        raise SettingsError(f"{var} must be a time such as 20:00, got {text!r}") from exc


def parse_gpu_settings(env: Mapping[str, str]) -> GpuSettings:
    """Read the GPU settings; every error names the variable to fix."""
    kw: dict[str, object] = {}
    if env.get("COSTBOT_REGIONS"):
        kw["regions"] = _words(env["COSTBOT_REGIONS"])
    if env.get("COSTBOT_ACCOUNT_ROLES"):
        roles = _pairs("COSTBOT_ACCOUNT_ROLES", env["COSTBOT_ACCOUNT_ROLES"])
        for account, arn in roles.items():
            if not (account.isdigit() and len(account) == 12 and arn.startswith("arn:")):
                raise SettingsError(
                    "COSTBOT_ACCOUNT_ROLES: expected 123456789012=arn:aws:iam::123456789012:role/"
                    f"name items, got {account}={arn}"
                )
        kw["account_roles"] = roles
    if env.get("COSTBOT_PROTECT_TAG"):
        kw["protect_tag"] = env["COSTBOT_PROTECT_TAG"].strip()
    if env.get("COSTBOT_PROTECTED_ENVIRONMENTS") is not None:
        kw["protected_environments"] = _words(env["COSTBOT_PROTECTED_ENVIRONMENTS"], lower=True)
    if env.get("COSTBOT_TEAM_CHANNELS"):
        kw["team_channels"] = _pairs("COSTBOT_TEAM_CHANNELS", env["COSTBOT_TEAM_CHANNELS"])
    if env.get("COSTBOT_DEFAULT_CHANNEL"):
        kw["default_channel"] = env["COSTBOT_DEFAULT_CHANNEL"].strip()
    if env.get("COSTBOT_STOP_USERS"):
        ids = _words(env["COSTBOT_STOP_USERS"])
        bad = [i for i in ids if not (i[:1] in ("U", "W", "S") and i.isalnum())]
        if bad:
            raise SettingsError(
                "COSTBOT_STOP_USERS: expected Slack user ids (U…) or user-group ids (S…), "
                f"got {bad}"
            )
        kw["stop_users"] = ids
    if env.get("COSTBOT_STOP_OWNER_BY_EMAIL"):
        flag = env["COSTBOT_STOP_OWNER_BY_EMAIL"].strip().lower()
        if flag not in ("true", "false", "1", "0", "yes", "no"):
            raise SettingsError("COSTBOT_STOP_OWNER_BY_EMAIL must be true or false")
        kw["stop_owner_by_email"] = flag in ("true", "1", "yes")
    for name, var in (
        ("idle_window_hours", "COSTBOT_IDLE_WINDOW_HOURS"),
        ("idle_lookback_hours", "COSTBOT_IDLE_LOOKBACK_HOURS"),
        ("idle_gpu_percent", "COSTBOT_IDLE_GPU_PERCENT"),
        ("held_memory_mib", "COSTBOT_IDLE_HELD_MEMORY_MIB"),
        ("idle_cpu_percent", "COSTBOT_IDLE_CPU_PERCENT"),
        ("idle_network_mb_per_hour", "COSTBOT_IDLE_NETWORK_MB_PER_HOUR"),
    ):
        kw[name] = _number(env, var, getattr(GpuSettings, name))
    if env.get("COSTBOT_SWEEP_MINUTES"):
        minutes = _number(env, "COSTBOT_SWEEP_MINUTES", 10)
        if minutes < 1 or minutes != int(minutes):
            raise SettingsError("COSTBOT_SWEEP_MINUTES must be a whole number of minutes >= 1")
        kw["sweep_minutes"] = int(minutes)
    if env.get("COSTBOT_METRICS_PERIOD_SECONDS"):
        period = _number(env, "COSTBOT_METRICS_PERIOD_SECONDS", 300)
        if period < 60 or period % 60:
            raise SettingsError("COSTBOT_METRICS_PERIOD_SECONDS must be a multiple of 60")
        kw["metrics_period_seconds"] = int(period)
    if env.get("COSTBOT_TEAM_HOURLY_LIMITS"):
        limits: dict[str, Decimal] = {}
        for team, text in _pairs(
            "COSTBOT_TEAM_HOURLY_LIMITS", env["COSTBOT_TEAM_HOURLY_LIMITS"]
        ).items():
            try:
                limits[team] = Decimal(text)
            except InvalidOperation as exc:
                raise SettingsError(
                    f"COSTBOT_TEAM_HOURLY_LIMITS: {team}={text} is not a dollar amount per hour"
                ) from exc
        kw["team_hourly_limits"] = limits
    if env.get("COSTBOT_NIGHT_WATCH"):
        kw["night_watch"] = env["COSTBOT_NIGHT_WATCH"].strip().lower() in ("true", "1", "yes")
    if env.get("COSTBOT_NIGHT_ENVIRONMENTS"):
        kw["night_environments"] = _words(env["COSTBOT_NIGHT_ENVIRONMENTS"], lower=True)
    if env.get("COSTBOT_NIGHT_HOURS"):
        start, sep, end = env["COSTBOT_NIGHT_HOURS"].partition("-")
        if not sep:
            raise SettingsError("COSTBOT_NIGHT_HOURS must look like 20:00-07:00")
        kw["night_start"] = _clock_time("COSTBOT_NIGHT_HOURS", start)
        kw["night_end"] = _clock_time("COSTBOT_NIGHT_HOURS", end)
    if env.get("COSTBOT_NIGHT_TIMEZONE"):
        tz = env["COSTBOT_NIGHT_TIMEZONE"].strip()
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError  # only here: start-up (issue 18)

        try:
            ZoneInfo(tz)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise SettingsError(f"COSTBOT_NIGHT_TIMEZONE: unknown time zone {tz!r}") from exc
        kw["night_timezone"] = tz
    return GpuSettings(**kw)  # type: ignore[arg-type]


SOURCE_KINDS = ("s3", "ce", "athena")


def sync_settings(env: Mapping[str, str]) -> dict[str, object]:
    """Parse the sync variables (``COSTBOT_SOURCES``, ``COSTBOT_CE_*``, ``COSTBOT_ATHENA_*`` …)."""
    kw: dict[str, object] = {}
    if env.get("COSTBOT_SOURCES"):
        sources = tuple(s.strip() for s in env["COSTBOT_SOURCES"].split(",") if s.strip())
        for source in sources:
            if not (source.startswith("s3://") or source in ("ce", "athena")):
                raise SettingsError(
                    f"COSTBOT_SOURCES: {source!r} is not a source; use s3://bucket/prefix, "
                    "ce or athena, separated by commas"
                )
        kw["sources"] = sources
    for name, var, kind in (
        ("sync_every_hours", "COSTBOT_SYNC_EVERY_HOURS", float),
        ("aws_max_attempts", "COSTBOT_AWS_MAX_ATTEMPTS", int),
        ("ce_max_requests_per_day", "COSTBOT_CE_MAX_REQUESTS_PER_DAY", int),
        ("athena_resource_days", "COSTBOT_ATHENA_RESOURCE_DAYS", int),
    ):
        if env.get(var):
            try:
                value = kind(env[var])
            except ValueError as exc:
                raise SettingsError(f"{var} must be a number, got {env[var]!r}") from exc
            if value <= 0 and var != "COSTBOT_CE_MAX_REQUESTS_PER_DAY":
                raise SettingsError(f"{var} must be above zero, got {env[var]!r}")
            if value < 0:
                raise SettingsError(f"{var} must not be negative, got {env[var]!r}")
            kw[name] = value
    for name, var in (
        ("aws_profile", "AWS_PROFILE"),
        ("aws_role_arn", "COSTBOT_AWS_ROLE_ARN"),
        ("ce_endpoint_url", "AWS_ENDPOINT_URL_COST_EXPLORER"),
        ("athena_database", "COSTBOT_ATHENA_DATABASE"),
        ("athena_table", "COSTBOT_ATHENA_TABLE"),
        ("athena_workgroup", "COSTBOT_ATHENA_WORKGROUP"),
        ("athena_output", "COSTBOT_ATHENA_OUTPUT"),
    ):
        if env.get(var):
            kw[name] = env[var].strip()
    if env.get("COSTBOT_AWS_RETRY_MODE"):
        mode = env["COSTBOT_AWS_RETRY_MODE"].strip().lower()
        if mode not in ("adaptive", "standard"):
            raise SettingsError("COSTBOT_AWS_RETRY_MODE must be adaptive or standard")
        kw["aws_retry_mode"] = mode
    if env.get("COSTBOT_ATHENA_EXPORT"):
        export = env["COSTBOT_ATHENA_EXPORT"].strip().lower()
        if export not in ("cur2", "focus"):
            raise SettingsError("COSTBOT_ATHENA_EXPORT must be cur2 or focus")
        kw["athena_export"] = export
    return kw


def _economics_from_env(env: Mapping[str, str]) -> dict[str, object]:
    """Read the economics settings (issue 16): COSTBOT_ALLOCATION_RULES and friends."""
    kw: dict[str, object] = {}
    if env.get("COSTBOT_ALLOCATION_RULES"):
        kw["allocation_rules"] = Path(env["COSTBOT_ALLOCATION_RULES"])
    if env.get("COSTBOT_CHARGEBACK_CHANNEL"):
        kw["chargeback_channel"] = env["COSTBOT_CHARGEBACK_CHANNEL"].strip()
    if env.get("COSTBOT_INFERENCE_TARGET"):
        try:
            target = Decimal(env["COSTBOT_INFERENCE_TARGET"].strip().lstrip("$"))
        except InvalidOperation:
            target = Decimal(-1)
        if not target.is_finite() or target <= 0:
            raise SettingsError(
                "COSTBOT_INFERENCE_TARGET must be a positive $ amount per inference, e.g. 0.001"
            )
        kw["inference_target"] = target
    if env.get("COSTBOT_RUN_TAGS"):
        tags = tuple(t.strip().lower() for t in env["COSTBOT_RUN_TAGS"].split(",") if t.strip())
        if not tags:
            raise SettingsError(
                "COSTBOT_RUN_TAGS must name at least one tag key, e.g. run,experiment"
            )
        kw["run_tags"] = tags
    if env.get("COSTBOT_ENDPOINT_METRICS"):
        value = env["COSTBOT_ENDPOINT_METRICS"].strip().lower()
        if value not in ("1", "0", "true", "false", "yes", "no", "on", "off"):
            raise SettingsError("COSTBOT_ENDPOINT_METRICS must be true or false")
        kw["endpoint_metrics"] = value in ("1", "true", "yes", "on")
    return kw


def _operations_from_env(env: Mapping[str, str]) -> dict[str, object]:
    """``COSTBOT_LOG_LEVEL``, ``_LOG_FORMAT``, ``_METRICS_PORT``, ``_INGEST_WORKERS``."""
    kw: dict[str, object] = {}
    if env.get("COSTBOT_LOG_LEVEL"):
        level = env["COSTBOT_LOG_LEVEL"].strip().upper()
        if level == "WARN":
            level = "WARNING"
        if level not in ("DEBUG", "INFO", "WARNING", "ERROR"):
            raise SettingsError("COSTBOT_LOG_LEVEL must be one of DEBUG, INFO, WARNING, ERROR")
        kw["log_level"] = level
    if env.get("COSTBOT_LOG_FORMAT"):
        fmt = env["COSTBOT_LOG_FORMAT"].strip().lower()
        if fmt not in ("text", "json"):
            raise SettingsError("COSTBOT_LOG_FORMAT must be text or json")
        kw["log_format"] = fmt
    if env.get("COSTBOT_INGEST_WORKERS"):
        raw = env["COSTBOT_INGEST_WORKERS"].strip().lower()
        if raw != "auto":
            try:
                kw["ingest_workers"] = int(raw)
            except ValueError:
                kw["ingest_workers"] = -1
            if not 0 <= int(str(kw["ingest_workers"])) <= 64:
                raise SettingsError(
                    "COSTBOT_INGEST_WORKERS must be auto or a whole number from 0 to 64, "
                    f"got {env['COSTBOT_INGEST_WORKERS']!r}"
                )
    if env.get("COSTBOT_INGEST_MEMORY_MB"):
        raw = env["COSTBOT_INGEST_MEMORY_MB"].strip()
        if not raw.isdigit() or int(raw) < 256:
            raise SettingsError(
                f"COSTBOT_INGEST_MEMORY_MB must be a whole number of megabytes, 256 or more, "
                f"got {env['COSTBOT_INGEST_MEMORY_MB']!r}"
            )
        kw["ingest_memory_mb"] = int(raw)
    if env.get("COSTBOT_METRICS_PORT"):
        try:
            kw["metrics_port"] = int(env["COSTBOT_METRICS_PORT"])
        except ValueError as exc:
            raise SettingsError(
                f"COSTBOT_METRICS_PORT must be a whole number, got {env['COSTBOT_METRICS_PORT']!r}"
            ) from exc
    return kw
