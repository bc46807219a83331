"""Generate the bill of a believable AI organisation on AWS, as canonical line items.

The sample is the "truth" that ``make demo``, the tests and the benchmarks start
from: :mod:`bot.costs.exports` writes it out as FOCUS, CUR 2.0 and legacy CUR
files, the readers read those back, and a test can compare what the store
answers with what went in. So every amount here is an exact integer of
nano-units, computed once per resource-hour from a :class:`~decimal.Decimal`
price and only ever summed as integers (a daily line is the sum of its 24
hourly amounts, hence hourly and daily samples of one seed have equal totals).

What the organisation looks like (:func:`generate_org`):

* payer ``111111111111`` (``acme-ai-payer``) with member accounts
  ``222222222222`` ai-research-prod, ``333333333333`` ml-platform-prod,
  ``444444444444`` data-platform and ``555555555555`` web-prod; regions
  us-east-1, us-west-2 and eu-west-1.
* ai-research trains on p4d.24xlarge (on demand, weekday-driven runs), on
  p4d Spot (``PricingCategory`` Dynamic) and on two p5.48xlarge covered by a
  Compute Savings Plan (Committed: billed 0, effective at the plan rate, list at
  the on-demand rate). The plan's hourly ``SavingsPlanRecurringFee`` is a
  Purchase line (billed = commitment, effective = the unused part), so for
  every charge period Σ billed == Σ effective over plan and covered usage.
* ml-platform serves from SageMaker endpoints and Savings-Plan-covered
  g5.12xlarge; data-eng runs nightly r6i ETL and feature-store hosts tagged
  ``team_name``; the web team tags ``Team``. g5 dev boxes and SageMaker
  notebooks follow office hours; S3 buckets grow; EBS, data transfer and
  CloudWatch complete the picture.
* Monthly, on the 1st at 00:00 UTC (for months whose 1st is in the window):
  AWS Support (Business) as a Purchase (AWS's line type ``Fee``, which AWS's
  own FOCUS export maps to ChargeCategory Purchase), Tax lines per account and
  service (6 % of the month's billed usage and purchases), and a promotional
  Credit (negative billed, effective and list).
* S3 request charges per bucket (flat for the datasets and logs buckets, whose
  storage grows: the storage-tiering case) and four SageMaker training jobs of
  ai-research on ml.p4d.24xlarge tagged ``run`` and ``experiment``.
* About 5–10 % of usage is untagged (orphaned EBS volumes, a logs bucket,
  CloudWatch, Spot experiments launched by scripts).
* One idle GPU: a staging g5.12xlarge of ml-platform running 24/7 for the last
  three weeks. One spike: eight on-demand p5.48xlarge of ai-research in
  us-west-2 for 60 hours starting ten days before ``end``.

Tag keys in the truth are the plain spellings ``team``, ``project``,
``environment``, ``owner`` (the writers spell them per format) plus the raw
variants ``Team`` and ``team_name`` that a store alias maps to ``team``.

:func:`generate_bench_org` builds a much larger, simpler org (20 000 resources
× 365 days ≈ 7.3 M daily lines) with numpy only, for the benchmarks;
:func:`iter_bench_org` yields it month by month so it can be written without
holding it all in memory.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_EVEN, Decimal

import numpy as np
import pyarrow as pa

from bot.costs.exports import savings_plan_arn
from bot.costs.lines import LINE_SCHEMA
from bot.money import to_nanos

PAYER = "111111111111"
PAYER_NAME = "acme-ai-payer"
RESEARCH, PLATFORM, DATA, WEB = "222222222222", "333333333333", "444444444444", "555555555555"
ACCOUNT_NAMES = {
    PAYER: PAYER_NAME,
    RESEARCH: "ai-research-prod",
    PLATFORM: "ml-platform-prod",
    DATA: "data-platform",
    WEB: "web-prod",
}
TEAMS = ("ai-research", "ml-platform", "data-eng", "web")
GPU_INSTANCE_TYPES = ("p4d.24xlarge", "p5.48xlarge", "g5.xlarge", "g5.12xlarge")
GRANULARITIES = ("daily", "hourly")

# On-demand Linux prices in USD per hour (us-east-1 / us-west-2 unless noted).
PRICES: dict[str, Decimal] = {
    "p4d.24xlarge": Decimal("32.7726"),
    "p5.48xlarge": Decimal("98.32"),
    "g5.xlarge": Decimal("1.006"),
    "g5.12xlarge": Decimal("5.672"),
    "m6i.large": Decimal("0.096"),
    "m6i.large@eu-west-1": Decimal("0.107"),
    "m6i.2xlarge": Decimal("0.384"),
    "r6i.4xlarge": Decimal("1.008"),
    "ml.g5.2xlarge": Decimal("1.515"),  # SageMaker real-time inference
    "ml.p4d.24xlarge": Decimal("37.688"),  # SageMaker real-time inference
    "ml.g5.xlarge": Decimal("1.408"),  # SageMaker notebook instance
}
# Compute Savings Plan rate as a share of on demand (3-year, no upfront).
SP_RATE_SHARE = {"p5.48xlarge": Decimal("0.62"), "g5.12xlarge": Decimal("0.72")}
S3_GB_MONTH = Decimal("0.023")
EBS_GP3_GB_MONTH = Decimal("0.08")
DATA_TRANSFER_GB = Decimal("0.09")
LOGS_INGEST_GB = Decimal("0.50")
HOURS_PER_MONTH = 730  # AWS prorates monthly storage prices over 730 hours
TAX_RATE = Decimal("0.06")
MONTHLY_CREDIT = Decimal("-2500.00")

REGION_PREFIX = {"us-east-1": "USE1", "us-west-2": "USW2", "eu-west-1": "EU"}
HOUR_US = 3_600_000_000
DAY_US = 24 * HOUR_US


@dataclass(frozen=True)
class Service:
    """An AWS service as the canonical line names it."""

    name: str
    code: str
    category: str


EC2 = Service("Amazon Elastic Compute Cloud", "AmazonEC2", "Compute")
SAGEMAKER = Service("Amazon SageMaker", "AmazonSageMaker", "AI and Machine Learning")
S3 = Service("Amazon Simple Storage Service", "AmazonS3", "Storage")
DATA_TRANSFER = Service("AWS Data Transfer", "AWSDataTransfer", "Networking")
CLOUDWATCH = Service("AmazonCloudWatch", "AmazonCloudWatch", "Management and Governance")
SUPPORT = Service("AWS Support (Business)", "AWSSupportBusiness", "Other")
SAVINGS_PLANS = Service("Savings Plans for AWS Compute usage", "ComputeSavingsPlans", "Compute")


@dataclass(frozen=True)
class Meta:
    """The dimensions of one stream of charges (everything but time and amounts)."""

    sub_account: str
    service: Service
    region: str
    resource_id: str
    resource_type: str
    sku: str
    tags: Mapping[str, str]
    charge_category: str = "Usage"
    pricing_category: str = "Standard"


@dataclass
class Stream:
    """One resource's (or fee's) amounts per hour of the window, in nano-units."""

    meta: Meta
    billed: np.ndarray
    effective: np.ndarray
    list: np.ndarray


@dataclass
class Window:
    """The hours of the sample: ``days`` whole UTC days ending with ``end``."""

    end: date
    days: int
    start: date = field(init=False)
    hours: int = field(init=False)
    weekday: np.ndarray = field(init=False)  # per hour, Monday = 0
    hour_of_day: np.ndarray = field(init=False)

    def __post_init__(self) -> None:
        self.start = self.end - timedelta(days=self.days - 1)
        self.hours = self.days * 24
        h = np.arange(self.hours)
        self.weekday = (self.start.weekday() + h // 24) % 7
        self.hour_of_day = h % 24

    def day_start(self, day: int) -> int:
        """Return the hour index at which day ``day`` (0-based) begins."""
        return day * 24

    def month_firsts(self) -> list[int]:
        """Return the day indices of every 1st of a month inside the window."""
        return [d for d in range(self.days) if (self.start + timedelta(days=d)).day == 1]

    def month_of_hour(self) -> np.ndarray:
        """Return a month number (year * 12 + month - 1) for every hour."""
        days = np.arange(self.days).astype("timedelta64[D]") + np.datetime64(self.start, "D")
        months = days.astype("datetime64[M]").astype(np.int64)
        return np.repeat(months, 24)


def hourly_nanos(price: Decimal) -> int:
    """Convert a price per hour to nano-units (exact for up to 9 decimals)."""
    return to_nanos(price)


def prorated_nanos(quantity: int, price_per_month: Decimal) -> int:
    """Return the hourly cost of ``quantity`` units priced per month of 730 hours."""
    return to_nanos(Decimal(quantity) * price_per_month / HOURS_PER_MONTH)


def quantize(value: Decimal, places: str = "0.0001") -> Decimal:
    """Round a price half-to-even, as AWS publishes rates with a fixed number of digits."""
    return value.quantize(Decimal(places), rounding=ROUND_HALF_EVEN)


def _hex_id(rng: np.random.Generator, prefix: str) -> str:
    """Return an AWS-looking id such as ``i-0a1b2c3d4e5f60718``."""
    return prefix + "0" + "".join(f"{int(x):x}" for x in rng.integers(0, 16, size=16))


def _tags(
    team: str | None,
    project: str | None = None,
    environment: str | None = None,
    owner: str | None = None,
    *,
    team_key: str = "team",
) -> dict[str, str]:
    """Build a tag map; ``team_key`` lets a resource spell ``team`` its own way."""
    out: dict[str, str] = {}
    for key, value in (
        (team_key, team),
        ("project", project),
        ("environment", environment),
        ("owner", owner),
    ):
        if value:
            out[key] = value
    return out


def _sku(region: str, usage: str) -> str:
    return f"{REGION_PREFIX.get(region, 'USE1')}-{usage}"


# --- schedules: which hours a resource runs ------------------------------------------


def always(w: Window) -> np.ndarray:
    """Run every hour of the window."""
    return np.ones(w.hours, dtype=bool)


def between(w: Window, first_hour: int, last_hour: int) -> np.ndarray:
    """Run from hour index ``first_hour`` (inclusive) to ``last_hour`` (exclusive)."""
    active = np.zeros(w.hours, dtype=bool)
    active[max(0, first_hour) : max(0, min(w.hours, last_hour))] = True
    return active


def training_runs(w: Window, rng: np.random.Generator, start_chance: float) -> np.ndarray:
    """Run training jobs launched on weekday mornings that last 10–60 hours.

    Runs launched on a Friday spill into the weekend, but nobody launches a new
    one until Monday: weekends are visibly cheaper, as in real research teams.
    """
    active = np.zeros(w.hours, dtype=bool)
    day = 0
    while day < w.days:
        weekday = (w.start.weekday() + day) % 7
        if weekday < 5 and rng.random() < start_chance:
            first = w.day_start(day) + int(rng.integers(7, 12))
            length = int(rng.integers(10, 61))
            active[first : first + length] = True
            day = (first + length) // 24 + 1
        else:
            day += 1
    return active


def office_hours(w: Window, rng: np.random.Generator, forget_chance: float = 0.08) -> np.ndarray:
    """Run a dev box or notebook from about 9:00 to 18:00 UTC on weekdays.

    Now and then somebody forgets to stop it and it runs until the next morning.
    """
    active = np.zeros(w.hours, dtype=bool)
    for day in range(w.days):
        if (w.start.weekday() + day) % 7 >= 5 or rng.random() < 0.1:
            continue
        first = w.day_start(day) + int(rng.integers(8, 11))
        last = w.day_start(day) + int(rng.integers(17, 21))
        if rng.random() < forget_chance:
            last = w.day_start(day + 1) + 9
        active[first : min(last, w.hours)] = True
    return active


def nightly(w: Window, first: int, length: int) -> np.ndarray:
    """Run every night from ``first`` o'clock UTC for ``length`` hours."""
    return (w.hour_of_day >= first) & (w.hour_of_day < first + length)


# --- the organisation ------------------------------------------------------------------


class OrgBuilder:
    """Collect the streams of the sample organisation over one window."""

    def __init__(self, window: Window, rng: np.random.Generator) -> None:
        self.w = window
        self.rng = rng
        self.streams: list[Stream] = []
        self.plan_hourly = 0  # the Savings Plan's commitment per hour, in nanos
        self.inference_hosts: list[str] = []

    def _add(self, meta: Meta, billed: np.ndarray, effective: np.ndarray, lst: np.ndarray) -> None:
        self.streams.append(
            Stream(meta, billed.astype(np.int64), effective.astype(np.int64), lst.astype(np.int64))
        )

    def on_demand(self, meta: Meta, price: Decimal, active: np.ndarray) -> None:
        """Add a resource billed at its on-demand price for every active hour."""
        cost = active.astype(np.int64) * hourly_nanos(price)
        self._add(meta, cost, cost, cost)

    def spot(self, meta: Meta, price: Decimal, active: np.ndarray, share: float) -> None:
        """Add a Spot resource: billed at a daily Spot price near ``share`` of on demand."""
        days = self.w.days
        daily_share = share + self.rng.normal(0.0, 0.02, size=days)
        rates = [hourly_nanos(quantize(price * Decimal(f"{max(0.2, s):.4f}"))) for s in daily_share]
        billed = active.astype(np.int64) * np.repeat(np.array(rates, dtype=np.int64), 24)
        self._add(meta, billed, billed, active.astype(np.int64) * hourly_nanos(price))

    def committed(self, meta: Meta, price: Decimal, plan_rate: Decimal, active: np.ndarray) -> int:
        """Add Savings-Plan-covered usage; return the plan's hourly rate for it in nanos."""
        rate = hourly_nanos(plan_rate)
        on = active.astype(np.int64)
        self._add(meta, np.zeros(self.w.hours), on * rate, on * hourly_nanos(price))
        return rate

    def metered(self, meta: Meta, cost: np.ndarray) -> None:
        """Add usage whose cost per hour is already known (storage, transfer, logs)."""
        self._add(meta, cost, cost, cost)

    def once(self, meta: Meta, hour: int, billed: int, effective: int, lst: int) -> None:
        """Add a single charge at hour index ``hour`` (fees, tax, credits)."""
        arrays = [np.zeros(self.w.hours, dtype=np.int64) for _ in range(3)]
        for arr, value in zip(arrays, (billed, effective, lst), strict=True):
            arr[hour] = value
        self._add(meta, *arrays)

    def table(self, granularity: str) -> pa.Table:
        """Emit the streams as canonical line items, one per non-zero charge period."""
        return emit(self.streams, self.w, granularity)


def emit(streams: list[Stream], w: Window, granularity: str) -> pa.Table:
    """Turn hourly streams into a LINE_SCHEMA table at the requested granularity."""
    if granularity not in GRANULARITIES:
        raise ValueError(f"granularity must be one of {GRANULARITIES}, not {granularity!r}")
    per = 24 if granularity == "daily" else 1
    idx: list[np.ndarray] = []
    slots: list[np.ndarray] = []
    amounts: list[list[np.ndarray]] = [[], [], []]
    for i, s in enumerate(streams):
        values = [s.billed, s.effective, s.list]
        if per == 24:
            values = [v.reshape(w.days, 24).sum(axis=1) for v in values]
        keep = np.flatnonzero((values[0] != 0) | (values[1] != 0) | (values[2] != 0))
        idx.append(np.full(len(keep), i, dtype=np.int64))
        slots.append(keep)
        for bucket, v in zip(amounts, values, strict=True):
            bucket.append(v[keep])
    stream_idx = np.concatenate(idx)
    slot = np.concatenate(slots)
    order = np.lexsort((stream_idx, slot))
    stream_idx, slot = stream_idx[order], slot[order]
    start_us = int(datetime(w.start.year, w.start.month, w.start.day, tzinfo=UTC).timestamp())
    starts = start_us * 1_000_000 + slot * (per * HOUR_US)
    meta = _meta_table([s.meta for s in streams]).take(pa.array(stream_idx))
    cols: dict[str, pa.Array | pa.ChunkedArray] = {
        "charge_start": pa.array(starts, pa.timestamp("us", tz="UTC")),
        "billing_period": _periods(starts),
        "billed": pa.array(np.concatenate(amounts[0])[order], pa.int64()),
        "effective": pa.array(np.concatenate(amounts[1])[order], pa.int64()),
        "list": pa.array(np.concatenate(amounts[2])[order], pa.int64()),
    }
    for name in meta.column_names:
        cols[name] = meta.column(name)
    return pa.table([cols[f.name] for f in LINE_SCHEMA], schema=LINE_SCHEMA)


def _meta_table(metas: list[Meta]) -> pa.Table:
    """Build one row of dimensions per stream (rows are then taken per line)."""
    return pa.table(
        {
            "provider": ["AWS"] * len(metas),
            "billing_account": [PAYER] * len(metas),
            "sub_account": [m.sub_account for m in metas],
            "sub_account_name": [ACCOUNT_NAMES.get(m.sub_account, "") for m in metas],
            "service": [m.service.name for m in metas],
            "service_code": [m.service.code for m in metas],
            "service_category": [m.service.category for m in metas],
            "region": [m.region for m in metas],
            "resource_id": [m.resource_id for m in metas],
            "resource_type": [m.resource_type for m in metas],
            "sku": [m.sku for m in metas],
            "charge_category": [m.charge_category for m in metas],
            "pricing_category": [m.pricing_category for m in metas],
            "currency": ["USD"] * len(metas),
            "tags": pa.array([list(m.tags.items()) for m in metas], LINE_SCHEMA.field("tags").type),
        }
    )


def _periods(starts_us: np.ndarray) -> pa.Array:
    """Return the ``YYYY-MM`` billing period of each start (microseconds since the epoch)."""
    if len(starts_us) == 0:
        return pa.array([], pa.string())
    months = starts_us.astype("datetime64[us]").astype("datetime64[M]")
    labels, inverse = np.unique(months, return_inverse=True)
    return pa.array([str(m) for m in labels], pa.string()).take(pa.array(inverse.ravel()))


def generate_org(
    end: date, days: int = 120, *, seed: int = 7, granularity: str = "daily"
) -> pa.Table:
    """Generate the sample AI organisation's bill for ``days`` days ending with ``end``.

    Deterministic for a seed. ``granularity="hourly"`` gives one usage line per
    resource-hour (about 150 000 lines for 120 days), ``"daily"`` one per
    resource-day; fees, tax and credits are single lines either way.
    """
    if days < 28:
        raise ValueError("the sample needs at least 28 days (idle instance, spike, a month start)")
    w = Window(end, days)
    org = OrgBuilder(w, np.random.default_rng(seed))
    _research(org)
    _platform(org)
    _data_and_web(org)
    _shared(org)
    _requests_and_training_jobs(org)
    _monthly(org)
    return org.table(granularity)


def _research(org: OrgBuilder) -> None:
    """Add ai-research: p4d training, Spot experiments, p5 on the plan, the spike."""
    w, rng = org.w, org.rng
    people = ("priya.nair", "tomas.berg", "li.wei", "sara.okafor")
    for i in range(6):
        region = "us-east-1"
        meta = Meta(
            RESEARCH,
            EC2,
            region,
            _hex_id(rng, "i-"),
            "p4d.24xlarge",
            _sku(region, "BoxUsage:p4d.24xlarge"),
            _tags("ai-research", "llm-training", "prod", f"{people[i % 4]}@acme-ai.example"),
        )
        org.on_demand(meta, PRICES["p4d.24xlarge"], training_runs(w, rng, 0.75))
    for i in range(6):  # Spot experiments; all but two were launched by a script, untagged
        region = "us-east-1"
        tags = _tags("ai-research", "llm-eval", "dev", "li.wei@acme-ai.example") if i < 2 else {}
        meta = Meta(
            RESEARCH,
            EC2,
            region,
            _hex_id(rng, "i-"),
            "p4d.24xlarge",
            _sku(region, "SpotUsage:p4d.24xlarge"),
            tags,
            pricing_category="Dynamic",
        )
        org.spot(meta, PRICES["p4d.24xlarge"], training_runs(w, rng, 0.45), 0.35)
    plan = 0
    for _ in range(2):
        region = "us-west-2"
        meta = Meta(
            RESEARCH,
            EC2,
            region,
            _hex_id(rng, "i-"),
            "p5.48xlarge",
            _sku(region, "BoxUsage:p5.48xlarge"),
            _tags("ai-research", "llm-training", "prod", "tomas.berg@acme-ai.example"),
            pricing_category="Committed",
        )
        price = PRICES["p5.48xlarge"]
        plan += org.committed(
            meta, price, quantize(price * SP_RATE_SHARE["p5.48xlarge"]), always(w)
        )
    org.plan_hourly += plan
    spike_first = w.day_start(w.days - 11) + 6
    for _ in range(8):
        region = "us-west-2"
        meta = Meta(
            RESEARCH,
            EC2,
            region,
            _hex_id(rng, "i-"),
            "p5.48xlarge",
            _sku(region, "BoxUsage:p5.48xlarge"),
            _tags("ai-research", "llm-training", "prod", "sara.okafor@acme-ai.example"),
        )
        org.on_demand(meta, PRICES["p5.48xlarge"], between(w, spike_first, spike_first + 60))
    for i in range(4):  # notebooks
        name = people[i]
        region = "us-east-1"
        meta = Meta(
            RESEARCH,
            SAGEMAKER,
            region,
            f"arn:aws:sagemaker:{region}:{RESEARCH}:notebook-instance/{name.split('.')[0]}-nb",
            "ml.g5.xlarge",
            _sku(region, "Notebk:ml.g5.xlarge"),
            _tags("ai-research", "llm-training", "dev", f"{name}@acme-ai.example"),
        )
        org.on_demand(meta, PRICES["ml.g5.xlarge"], office_hours(w, rng))


def _platform(org: OrgBuilder) -> None:
    """Add ml-platform: covered inference hosts, endpoints, dev boxes, the idle GPU."""
    w, rng = org.w, org.rng
    region = "us-east-1"
    inference: list[str] = []
    for i in range(4):
        rid = _hex_id(rng, "i-")
        inference.append(rid)
        meta = Meta(
            PLATFORM,
            EC2,
            region,
            rid,
            "g5.12xlarge",
            _sku(region, "BoxUsage:g5.12xlarge"),
            _tags("ml-platform", "inference-api", "prod", "dmitri.ivanov@acme-ai.example"),
            pricing_category="Committed",
        )
        active = always(w)
        if i == 3:  # patched on Sundays 02:00–06:00: the plan goes partly unused
            active &= ~((w.weekday == 6) & (w.hour_of_day >= 2) & (w.hour_of_day < 6))
        price = PRICES["g5.12xlarge"]
        rate = quantize(price * SP_RATE_SHARE["g5.12xlarge"])
        org.plan_hourly += org.committed(meta, price, rate, active)
    endpoints = [
        ("llm-serving-prod", "ml.p4d.24xlarge", 1),
        ("embeddings-prod", "ml.g5.2xlarge", 2),
        ("reranker-prod", "ml.g5.2xlarge", 1),
    ]
    for name, itype, count in endpoints:
        for k in range(count):
            meta = Meta(
                PLATFORM,
                SAGEMAKER,
                region,
                f"arn:aws:sagemaker:{region}:{PLATFORM}:endpoint/{name}"
                + (f"/variant-{k}" if count > 1 else ""),
                itype,
                _sku(region, f"Host:{itype}"),
                _tags("ml-platform", "inference-api", "prod", "dmitri.ivanov@acme-ai.example"),
            )
            org.on_demand(meta, PRICES[itype], always(w))
    devs = ("ana.souza", "dmitri.ivanov", "kenji.mori", "priya.nair", "li.wei", "omar.haddad")
    for i, person in enumerate(devs):
        team = "ai-research" if person in ("priya.nair", "li.wei") else "ml-platform"
        account = RESEARCH if team == "ai-research" else PLATFORM
        meta = Meta(
            account,
            EC2,
            region,
            _hex_id(rng, "i-"),
            "g5.xlarge",
            _sku(region, "BoxUsage:g5.xlarge"),
            _tags(team, None, "dev", f"{person}@acme-ai.example"),
        )
        org.on_demand(meta, PRICES["g5.xlarge"], office_hours(w, rng, 0.15 if i == 0 else 0.06))
    for _ in range(2):  # Spot dev boxes from a CI script: no tags
        meta = Meta(
            PLATFORM,
            EC2,
            region,
            _hex_id(rng, "i-"),
            "g5.xlarge",
            _sku(region, "SpotUsage:g5.xlarge"),
            {},
            pricing_category="Dynamic",
        )
        org.spot(meta, PRICES["g5.xlarge"], office_hours(w, rng), 0.32)
    idle_from = w.day_start(w.days - 21) + 14
    meta = Meta(
        PLATFORM,
        EC2,
        region,
        _hex_id(rng, "i-"),
        "g5.12xlarge",
        _sku(region, "BoxUsage:g5.12xlarge"),
        _tags("ml-platform", "inference-api", "staging", "kenji.mori@acme-ai.example"),
    )
    org.on_demand(meta, PRICES["g5.12xlarge"], between(w, idle_from, w.hours))
    org.inference_hosts = inference


def _data_and_web(org: OrgBuilder) -> None:
    """Add data-eng's nightly ETL and feature store, and the web team's app servers."""
    w, rng = org.w, org.rng
    region = "us-east-1"
    for _ in range(6):
        meta = Meta(
            DATA,
            EC2,
            region,
            _hex_id(rng, "i-"),
            "r6i.4xlarge",
            _sku(region, "BoxUsage:r6i.4xlarge"),
            _tags("data-eng", "etl", "prod", "grace.lee@acme-ai.example"),
        )
        org.on_demand(meta, PRICES["r6i.4xlarge"], nightly(w, 1, 5))
    for _ in range(3):  # the feature store's hosts spell the team tag their own way
        meta = Meta(
            DATA,
            EC2,
            region,
            _hex_id(rng, "i-"),
            "m6i.2xlarge",
            _sku(region, "BoxUsage:m6i.2xlarge"),
            _tags("data-eng", "feature-store", "prod", team_key="team_name"),
        )
        org.on_demand(meta, PRICES["m6i.2xlarge"], always(w))
    region = "eu-west-1"
    for i in range(4):
        env = "prod" if i < 3 else "staging"
        meta = Meta(
            WEB,
            EC2,
            region,
            _hex_id(rng, "i-"),
            "m6i.large",
            _sku(region, "BoxUsage:m6i.large"),
            _tags("web", "website", env, "omar.haddad@acme-ai.example", team_key="Team"),
        )
        org.on_demand(meta, PRICES["m6i.large@eu-west-1"], always(w))


def _shared(org: OrgBuilder) -> None:
    """Add storage, block volumes, data transfer and CloudWatch."""
    w, rng = org.w, org.rng
    buckets = [
        (RESEARCH, "acme-ai-training-datasets", 380_000, 460_000, "ai-research", "llm-training"),
        (RESEARCH, "acme-ai-checkpoints", 90_000, 160_000, "ai-research", "llm-training"),
        (DATA, "acme-ai-feature-store", 40_000, 52_000, "data-eng", "feature-store"),
        (DATA, "acme-ai-etl-raw", 110_000, 130_000, "data-eng", "etl"),
        (PLATFORM, "acme-ai-logs", 60_000, 75_000, None, None),  # nobody tagged the logs
    ]
    for account, bucket, gb_first, gb_last, team, project in buckets:
        region = "us-east-1"
        meta = Meta(
            account,
            S3,
            region,
            bucket,
            "",
            _sku(region, "TimedStorage-ByteHrs"),
            _tags(team, project, "prod" if team else None),
        )
        sizes = np.linspace(gb_first, gb_last, w.days).round().astype(np.int64)
        per_day = np.array([prorated_nanos(int(gb), S3_GB_MONTH) for gb in sizes])
        org.metered(meta, np.repeat(per_day, 24))
    volumes = [(RESEARCH, 16_000, "ai-research", "llm-training")] * 3 + [
        (PLATFORM, 2_000, "ml-platform", "inference-api"),
        (DATA, 4_000, "data-eng", "etl"),
        (DATA, 4_000, "data-eng", "feature-store"),
        (RESEARCH, 8_000, None, None),  # orphaned after a training run
        (PLATFORM, 6_000, None, None),
    ]
    for account, gb, team, project in volumes:
        region = "us-east-1"
        meta = Meta(
            account,
            EC2,
            region,
            _hex_id(rng, "vol-"),
            "",
            _sku(region, "EBS:VolumeUsage.gp3"),
            _tags(team, project, "prod" if team else None),
        )
        org.metered(meta, np.full(w.hours, prorated_nanos(gb, EBS_GP3_GB_MONTH)))
    weekday_factor = np.where(w.weekday < 5, 1.0, 0.7)
    diurnal = 0.65 + 0.35 * np.sin((w.hour_of_day - 9) / 24 * 2 * np.pi)
    per_mb = to_nanos(DATA_TRANSFER_GB / 1000)
    for rid in org.inference_hosts:
        region = "us-east-1"
        meta = Meta(
            PLATFORM,
            DATA_TRANSFER,
            region,
            rid,
            "",
            _sku(region, "DataTransfer-Out-Bytes"),
            _tags("ml-platform", "inference-api", "prod", "dmitri.ivanov@acme-ai.example"),
        )
        mb = (9_000 * weekday_factor * diurnal * rng.uniform(0.8, 1.2, w.hours)).astype(np.int64)
        org.metered(meta, mb * per_mb)
    per_mb_logs = to_nanos(LOGS_INGEST_GB / 1000)
    for account, group, mb_per_hour in [
        (RESEARCH, "/aws/sagemaker/TrainingJobs", 2_500),
        (PLATFORM, "/aws/sagemaker/Endpoints/llm-serving-prod", 4_000),
        (DATA, "/aws/glue/etl", 800),
        (WEB, "/ecs/website", 500),
    ]:
        region = "eu-west-1" if account == WEB else "us-east-1"
        meta = Meta(
            account,
            CLOUDWATCH,
            region,
            f"arn:aws:logs:{region}:{account}:log-group:{group}",
            "",
            _sku(region, "DataProcessing-Bytes"),
            {},
        )
        mb = (mb_per_hour * weekday_factor * rng.uniform(0.7, 1.3, w.hours)).astype(np.int64)
        org.metered(meta, mb * per_mb_logs)


S3_GET_PER_1000 = Decimal("0.0004")
S3_PUT_PER_1000 = Decimal("0.005")
# bucket -> (GET requests per hour at the start, at the end, PUT requests per hour)
BUCKET_REQUESTS = {
    "acme-ai-training-datasets": (400_000, 400_000, 500),  # grows, read no more: cold
    "acme-ai-checkpoints": (200_000, 1_200_000, 2_000),  # read back by every run
    "acme-ai-feature-store": (900_000, 3_000_000, 5_000),
    "acme-ai-etl-raw": (200_000, 1_000_000, 5_000),
    "acme-ai-logs": (1_000, 1_000, 20_000),  # written, hardly read: cold
}
TRAINING_JOBS = (  # name, run tag, experiment tag, days before end it starts, hours, instances
    ("llm-ft-0917-a", "ft-0917-a", "llama-ft", 33, 14, 2),
    ("llm-ft-0928-b", "ft-0928-b", "llama-ft", 22, 20, 2),
    ("llm-ft-1008-c", "ft-1008-c", "llama-ft", 12, 9, 4),
    ("rerank-distil-1014", "rd-1014", "rerank-distil", 6, 6, 1),
)


def _requests_and_training_jobs(org: OrgBuilder) -> None:
    """Add S3 request charges per bucket and SageMaker training jobs with run tags.

    No random draws: the rest of the sample stays what it was. Requests are flat
    for the datasets and logs buckets (their storage grows while nobody reads
    more of it: the storage-tiering case) and grow with use elsewhere.
    """
    w = org.w
    owners = {
        "acme-ai-training-datasets": (RESEARCH, "ai-research", "llm-training"),
        "acme-ai-checkpoints": (RESEARCH, "ai-research", "llm-training"),
        "acme-ai-feature-store": (DATA, "data-eng", "feature-store"),
        "acme-ai-etl-raw": (DATA, "data-eng", "etl"),
        "acme-ai-logs": (PLATFORM, None, None),
    }
    region = "us-east-1"
    for bucket, (get_first, get_last, puts) in BUCKET_REQUESTS.items():
        account, team, project = owners[bucket]
        tags = _tags(team, project, "prod" if team else None)
        gets = np.repeat(np.linspace(get_first, get_last, w.days).round().astype(np.int64), 24)
        get_cost = np.array(
            [to_nanos(Decimal(int(n)) * S3_GET_PER_1000 / 1000) for n in gets], dtype=np.int64
        )
        meta = Meta(account, S3, region, bucket, "", _sku(region, "Requests-Tier2"), tags)
        org.metered(meta, get_cost)
        put_cost = np.full(w.hours, to_nanos(Decimal(puts) * S3_PUT_PER_1000 / 1000))
        meta = Meta(account, S3, region, bucket, "", _sku(region, "Requests-Tier1"), tags)
        org.metered(meta, put_cost)
    for name, run, experiment, before, hours, count in TRAINING_JOBS:
        if before >= w.days:
            continue
        first = w.day_start(w.days - before) + 8
        tags = {
            **_tags("ai-research", "llm-training", "prod", "priya.nair@acme-ai.example"),
            "run": run,
            "experiment": experiment,
        }
        for k in range(count):
            meta = Meta(
                RESEARCH,
                SAGEMAKER,
                region,
                f"arn:aws:sagemaker:{region}:{RESEARCH}:training-job/{name}"
                + (f"/algo-{k + 1}" if count > 1 else ""),
                "ml.p4d.24xlarge",
                _sku(region, "Train:ml.p4d.24xlarge"),
                tags,
            )
            org.on_demand(meta, PRICES["ml.p4d.24xlarge"], between(w, first, first + hours))


def _monthly(org: OrgBuilder) -> None:
    """Add the Savings Plan fee, and support, tax and credits on the 1st of each month."""
    w = org.w
    plan = org.plan_hourly
    used = sum(
        (s.effective for s in org.streams if s.meta.pricing_category == "Committed"),
        start=np.zeros(w.hours, dtype=np.int64),
    )
    fee = Meta(
        PAYER,
        SAVINGS_PLANS,
        "",
        savings_plan_arn(PAYER),
        "",
        "ComputeSP:3yrNoUpfront",
        {},
        charge_category="Purchase",
    )
    commitment = np.full(w.hours, plan, dtype=np.int64)
    org._add(fee, commitment, commitment - used, np.zeros(w.hours, dtype=np.int64))
    months = w.month_of_hour()
    billed_by_stream = [(s.meta, s.billed) for s in org.streams]
    for day in w.month_firsts():
        hour = w.day_start(day)
        in_month = months == months[hour]
        usage = sum(int(b[in_month].sum()) for _, b in billed_by_stream)
        support = to_nanos(_business_support(Decimal(usage).scaleb(-9)))
        meta = Meta(PAYER, SUPPORT, "", "", "", "Dollar", {}, "Purchase", "Standard")
        org.once(meta, hour, support, support, support)
        bases: dict[tuple[str, Service], int] = {}
        for m, b in billed_by_stream:
            key = (m.sub_account, m.service)
            bases[key] = bases.get(key, 0) + int(b[in_month].sum())
        bases[(PAYER, SUPPORT)] = support
        for (account, service), base in sorted(bases.items(), key=lambda kv: kv[0][0]):
            tax = to_nanos(quantize(Decimal(base).scaleb(-9) * TAX_RATE, "0.01"))
            if tax:
                meta = Meta(account, service, "", "", "", "", {}, "Tax", "")
                org.once(meta, hour, tax, tax, tax)
        credit = to_nanos(MONTHLY_CREDIT)
        meta = Meta(PLATFORM, SAGEMAKER, "", "", "", "", {}, "Credit", "")
        org.once(meta, hour, credit, credit, credit)


def _business_support(usage: Decimal) -> Decimal:
    """Price AWS Business support: 10 % / 7 % / 5 % / 3 % tiers, at least $100."""
    tiers = [(Decimal(10_000), Decimal("0.10")), (Decimal(70_000), Decimal("0.07"))]
    tiers += [(Decimal(170_000), Decimal("0.05")), (Decimal("Infinity"), Decimal("0.03"))]
    rest, fee = max(usage, Decimal(0)), Decimal(0)
    for size, rate in tiers:
        part = min(rest, size)
        fee += part * rate
        rest -= part
    return quantize(max(fee, Decimal(100)), "0.01")


# --- the bench organisation ----------------------------------------------------------


@dataclass(frozen=True)
class BenchKind:
    """One kind of resource in the bench org, with its share of all resources."""

    share: float
    service: Service
    resource_type: str
    usage: str
    price: Decimal  # per hour
    id_prefix: str
    weekday_hours: int
    weekend_hours: int


BENCH_KINDS = (
    BenchKind(
        0.02, EC2, "p4d.24xlarge", "BoxUsage:p4d.24xlarge", PRICES["p4d.24xlarge"], "i-", 24, 8
    ),
    BenchKind(0.01, EC2, "p5.48xlarge", "BoxUsage:p5.48xlarge", PRICES["p5.48xlarge"], "i-", 24, 8),
    BenchKind(0.12, EC2, "g5.xlarge", "BoxUsage:g5.xlarge", PRICES["g5.xlarge"], "i-", 10, 1),
    BenchKind(
        0.04, EC2, "g5.12xlarge", "BoxUsage:g5.12xlarge", PRICES["g5.12xlarge"], "i-", 24, 24
    ),
    BenchKind(0.20, EC2, "m6i.large", "BoxUsage:m6i.large", PRICES["m6i.large"], "i-", 24, 24),
    BenchKind(
        0.10, EC2, "m6i.2xlarge", "BoxUsage:m6i.2xlarge", PRICES["m6i.2xlarge"], "i-", 24, 24
    ),
    BenchKind(0.06, EC2, "r6i.4xlarge", "BoxUsage:r6i.4xlarge", PRICES["r6i.4xlarge"], "i-", 5, 5),
    BenchKind(
        0.05,
        SAGEMAKER,
        "ml.g5.2xlarge",
        "Host:ml.g5.2xlarge",
        PRICES["ml.g5.2xlarge"],
        "endpoint/",
        24,
        24,
    ),
    BenchKind(
        0.05,
        SAGEMAKER,
        "ml.g5.xlarge",
        "Notebk:ml.g5.xlarge",
        PRICES["ml.g5.xlarge"],
        "notebook-instance/",
        10,
        1,
    ),
    BenchKind(0.14, S3, "", "TimedStorage-ByteHrs", Decimal("0.63"), "bucket-", 24, 24),
    BenchKind(0.17, EC2, "", "EBS:VolumeUsage.gp3", Decimal("0.22"), "vol-", 24, 24),
    BenchKind(0.04, CLOUDWATCH, "", "DataProcessing-Bytes", Decimal("0.05"), "log-group:", 24, 24),
)
BENCH_TEAMS = {
    "ai-research": (RESEARCH, ("llm-training", "llm-eval")),
    "ml-platform": (PLATFORM, ("inference-api", "embeddings")),
    "data-eng": (DATA, ("etl", "feature-store")),
    "web": (WEB, ("website", "api-gateway")),
}
BENCH_ENVIRONMENTS = ("prod", "staging", "dev")
BENCH_REGIONS = ("us-east-1", "us-west-2", "eu-west-1")
BENCH_UNTAGGED = 0.08
BENCH_SPOT = 0.10  # of GPU EC2 instances
BENCH_COMMITTED = 0.08  # of always-on EC2 instances


@dataclass
class BenchResources:
    """Per-resource attributes of the bench org (arrays of length ``resources``)."""

    dims: pa.Table  # LINE_SCHEMA dimension columns, one row per resource
    billed_rate: np.ndarray  # nanos per running hour
    effective_rate: np.ndarray
    list_rate: np.ndarray
    weekday_hours: np.ndarray
    weekend_hours: np.ndarray
    account_code: np.ndarray  # index into BENCH_ACCOUNTS
    committed: np.ndarray  # bool


BENCH_ACCOUNTS = (RESEARCH, PLATFORM, DATA, WEB)


def _bench_tag_sets() -> list[dict[str, str]]:
    """Return the bench org's tag sets: team × project × environment, a few spelled ``Team``."""
    sets: list[dict[str, str]] = [{}]
    for team, (_, projects) in BENCH_TEAMS.items():
        for project in projects:
            for env in BENCH_ENVIRONMENTS:
                key = "Team" if team == "web" else "team"
                sets.append({key: team, "project": project, "environment": env})
    return sets


def _bench_resources(resources: int, rng: np.random.Generator) -> BenchResources:
    """Draw the bench org's resources: kind, pricing, region, tags, ids (vectorised)."""
    shares = np.array([k.share for k in BENCH_KINDS])
    kind = rng.choice(len(BENCH_KINDS), size=resources, p=shares / shares.sum())
    region = rng.choice(len(BENCH_REGIONS), size=resources, p=[0.6, 0.3, 0.1])
    tag_sets = _bench_tag_sets()
    tagged = rng.random(resources) >= BENCH_UNTAGGED
    tag_set = np.where(tagged, rng.integers(1, len(tag_sets), size=resources), 0)
    teams = list(BENCH_TEAMS)
    team_of_set = np.array(
        [0] + [teams.index(s.get("team", s.get("Team", ""))) for s in tag_sets[1:]]
    )
    account = np.where(tagged, team_of_set[tag_set], rng.integers(0, 4, size=resources))
    is_ec2_instance = np.array([k.service is EC2 and k.resource_type != "" for k in BENCH_KINDS])
    is_gpu = np.array([k.resource_type in GPU_INSTANCE_TYPES for k in BENCH_KINDS])
    always_on = np.array([k.weekend_hours == 24 for k in BENCH_KINDS])
    draw = rng.random(resources)
    spot = is_gpu[kind] & (draw < BENCH_SPOT)
    committed = is_ec2_instance[kind] & always_on[kind] & (draw > 1 - BENCH_COMMITTED)

    price = np.array([hourly_nanos(k.price) for k in BENCH_KINDS], dtype=np.int64)
    size = rng.uniform(0.5, 2.0, size=resources)  # storage sizes scale the per-hour price
    sized = np.array([k.resource_type == "" for k in BENCH_KINDS])
    list_rate = np.where(sized[kind], np.rint(price[kind] * size), price[kind]).astype(np.int64)
    list_rate = (list_rate // 10_000) * 10_000  # whole 1e-5 dollars, like AWS rates
    billed = np.where(spot, (list_rate * 35 // 100 // 10_000) * 10_000, list_rate)
    effective = np.where(committed, (list_rate * 65 // 100 // 10_000) * 10_000, billed)
    billed = np.where(committed, 0, billed)

    kinds = [BENCH_KINDS[i] for i in kind.tolist()]
    regions = [BENCH_REGIONS[i] for i in region.tolist()]
    accounts = [BENCH_ACCOUNTS[i] for i in account.tolist()]
    hexes = rng.integers(0, 1 << 60, size=resources, dtype=np.int64).tolist()
    ids = [
        _bench_resource_id(k, r, a, h)
        for k, r, a, h in zip(kinds, regions, accounts, hexes, strict=True)
    ]
    skus = [
        _sku(r, k.usage.replace("BoxUsage", "SpotUsage") if s else k.usage)
        for k, r, s in zip(kinds, regions, spot.tolist(), strict=True)
    ]
    pricing = np.where(spot, "Dynamic", np.where(committed, "Committed", "Standard"))
    tag_array = pa.array([list(s.items()) for s in tag_sets], LINE_SCHEMA.field("tags").type)
    dims = pa.table(
        {
            "provider": pa.array(["AWS"] * resources),
            "billing_account": pa.array([PAYER] * resources),
            "sub_account": pa.array(accounts),
            "sub_account_name": pa.array([ACCOUNT_NAMES[a] for a in accounts]),
            "service": pa.array([k.service.name for k in kinds]),
            "service_code": pa.array([k.service.code for k in kinds]),
            "service_category": pa.array([k.service.category for k in kinds]),
            "region": pa.array(regions),
            "resource_id": pa.array(ids),
            "resource_type": pa.array([k.resource_type for k in kinds]),
            "sku": pa.array(skus),
            "charge_category": pa.array(["Usage"] * resources),
            "pricing_category": pa.array(pricing.tolist()),
            "currency": pa.array(["USD"] * resources),
            "tags": tag_array.take(pa.array(tag_set)),
        }
    )
    weekday = np.array([k.weekday_hours for k in BENCH_KINDS], dtype=np.int64)[kind]
    weekend = np.array([k.weekend_hours for k in BENCH_KINDS], dtype=np.int64)[kind]
    return BenchResources(dims, billed, effective, list_rate, weekday, weekend, account, committed)


def _bench_resource_id(kind: BenchKind, region: str, account: str, n: int) -> str:
    """Return an id in the style of the kind: instance, volume, ARN or bucket name."""
    if kind.id_prefix in ("i-", "vol-"):
        return f"{kind.id_prefix}0{n:016x}"
    if kind.id_prefix == "bucket-":
        return f"acme-ai-{n % 1_000_000_007:x}"
    if kind.id_prefix == "log-group:":
        return f"arn:aws:logs:{region}:{account}:log-group:/aws/app/{n % 1_000_000_007:x}"
    return f"arn:aws:sagemaker:{region}:{account}:{kind.id_prefix}{n % 1_000_000_007:x}"


def iter_bench_org(
    days: int = 365,
    resources: int = 20_000,
    *,
    end: date | None = None,
    seed: int = 7,
) -> Iterator[pa.Table]:
    """Yield the bench org month by month as LINE_SCHEMA tables (numpy, no per-row Python).

    Every resource has a line every day (hours run vary by weekday), so the org
    has ``resources × days`` usage lines, plus per month: one Savings Plan fee
    line a day, a support fee, a tax line per account and a credit.
    """
    end = end or (datetime.now(UTC).date() - timedelta(days=1))
    w = Window(end, days)
    res = _bench_resources(resources, np.random.default_rng(seed))
    start_day = np.datetime64(w.start, "D")
    day_dates = start_day + np.arange(days).astype("timedelta64[D]")
    months = day_dates.astype("datetime64[M]")
    for month in np.unique(months):
        in_month = np.flatnonzero(months == month)
        yield _bench_month(res, w, in_month, day_dates)


def _bench_month(
    res: BenchResources, w: Window, day_index: np.ndarray, day_dates: np.ndarray
) -> pa.Table:
    """Build one month of the bench org: usage, the plan fee, support, tax, credit."""
    r = len(res.billed_rate)
    n_days = len(day_index)
    weekday = ((w.start.weekday() + day_index) % 7) < 5
    hours = np.where(weekday[:, None], res.weekday_hours[None, :], res.weekend_hours[None, :])
    billed = (hours * res.billed_rate[None, :]).ravel()
    effective = (hours * res.effective_rate[None, :]).ravel()
    lst = (hours * res.list_rate[None, :]).ravel()
    starts_us = day_dates[day_index].astype("datetime64[us]").astype(np.int64)
    usage = res.dims.take(pa.array(np.tile(np.arange(r), n_days)))
    usage = _with_amounts(usage, np.repeat(starts_us, r), billed, effective, lst)

    plan_daily = int((res.effective_rate * res.committed).sum()) * 24
    extra: list[tuple[str, Service, str, str, str, str, int, int, int, int]] = []
    for start in starts_us.tolist():  # the plan is fully used every day
        extra.append(
            (
                PAYER,
                SAVINGS_PLANS,
                savings_plan_arn(PAYER),
                "ComputeSP:3yrNoUpfront",
                "Purchase",
                "Standard",
                start,
                plan_daily,
                0,
                0,
            )
        )
    first = day_dates[day_index[0]]
    if first.astype(object).day == 1:
        start = starts_us[0]
        per_resource = billed.reshape(n_days, r).sum(axis=0)
        by_account = [int(per_resource[res.account_code == c].sum()) for c in range(4)]
        total = int(billed.sum()) + plan_daily * n_days
        fee = to_nanos(_business_support(Decimal(total).scaleb(-9)))
        extra.append((PAYER, SUPPORT, "", "Dollar", "Purchase", "Standard", start, fee, fee, fee))
        for code, account in enumerate(BENCH_ACCOUNTS):
            tax = to_nanos(quantize(Decimal(int(by_account[code])).scaleb(-9) * TAX_RATE, "0.01"))
            extra.append((account, EC2, "", "", "Tax", "", start, tax, tax, tax))
        credit = to_nanos(MONTHLY_CREDIT)
        extra.append((PLATFORM, SAGEMAKER, "", "", "Credit", "", start, credit, credit, credit))
    return pa.concat_tables([usage, _bench_extra(extra)])


def _with_amounts(
    dims: pa.Table,
    starts_us: np.ndarray,
    billed: np.ndarray,
    effective: np.ndarray,
    lst: np.ndarray,
) -> pa.Table:
    """Complete a table of dimensions into LINE_SCHEMA with times and amounts."""
    cols: dict[str, pa.Array | pa.ChunkedArray] = {
        "charge_start": pa.array(starts_us, pa.timestamp("us", tz="UTC")),
        "billing_period": _periods(starts_us),
        "billed": pa.array(billed, pa.int64()),
        "effective": pa.array(effective, pa.int64()),
        "list": pa.array(lst, pa.int64()),
    }
    for name in dims.column_names:
        cols[name] = dims.column(name)
    return pa.table([cols[f.name] for f in LINE_SCHEMA], schema=LINE_SCHEMA)


def _bench_extra(
    rows: list[tuple[str, Service, str, str, str, str, int, int, int, int]],
) -> pa.Table:
    """Build the bench org's fee, tax and credit lines."""

    def col(
        get: Callable[[tuple[str, Service, str, str, str, str, int, int, int, int]], object],
    ) -> list[object]:
        return [get(row) for row in rows]

    dims = pa.table(
        {
            "provider": ["AWS"] * len(rows),
            "billing_account": [PAYER] * len(rows),
            "sub_account": col(lambda x: x[0]),
            "sub_account_name": col(lambda x: ACCOUNT_NAMES[x[0]]),
            "service": col(lambda x: x[1].name),
            "service_code": col(lambda x: x[1].code),
            "service_category": col(lambda x: x[1].category),
            "region": [""] * len(rows),
            "resource_id": col(lambda x: x[2]),
            "resource_type": [""] * len(rows),
            "sku": col(lambda x: x[3]),
            "charge_category": col(lambda x: x[4]),
            "pricing_category": col(lambda x: x[5]),
            "currency": ["USD"] * len(rows),
            "tags": pa.array([[]] * len(rows), LINE_SCHEMA.field("tags").type),
        }
    )
    return _with_amounts(
        dims,
        np.array(col(lambda x: x[6]), dtype=np.int64),
        np.array(col(lambda x: x[7]), dtype=np.int64),
        np.array(col(lambda x: x[8]), dtype=np.int64),
        np.array(col(lambda x: x[9]), dtype=np.int64),
    )


def generate_bench_org(
    days: int = 365,
    resources: int = 20_000,
    *,
    end: date | None = None,
    seed: int = 7,
) -> pa.Table:
    """Generate the bench org (≈ ``resources × days`` daily lines) as one LINE_SCHEMA table.

    The table holds every string per row, as LINE_SCHEMA demands: about 2.3 GB
    for 7.3 M lines. To write it with less memory, stream
    :func:`iter_bench_org` into :func:`bot.costs.exports.write_cur2`.
    """
    return pa.concat_tables(list(iter_bench_org(days, resources, end=end, seed=seed)))
