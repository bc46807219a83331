"""The phrasing benchmark: natural questions over the sample org, each with what it must mean.

Used by tests/costs/test_phrasing_bench.py (which asserts the shares) and by
bench/bench_phrasing.py (which times the reader with the bench org's vocabulary
and writes docs/benchmarks.md). The sample org is `costbot sample` ending
2026-11-28, asked on Sunday 2026-11-29 (weeks start on Monday).

An expectation is a compact string, ``;``-separated:
``f:FIELD=VALUE`` a filter (repeat for several values), ``x:FIELD=VALUE`` left out,
``by:FIELD``, ``top:N``, ``rank:growth|movers``, ``p:PERIOD``, ``cmp:PERIOD``,
``m:MEASURE``, ``untagged`` or ``untagged:KEY``; PERIOD is ``today``, ``yesterday``,
``mtd``, ``last_month``, ``dN`` (last N days), ``month:YYYY-MM`` or
``range:YYYY-MM-DD..YYYY-MM-DD``. ``ASK`` means the reader must ask back (the word
is not in the bill), never answer.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date

from bot.costs.model import CostQuery, PeriodSpec

TODAY = date(2026, 11, 29)
SAMPLE_END = date(2026, 11, 28)
ASK = "ASK"

EC2 = "Amazon Elastic Compute Cloud"
S3 = "Amazon Simple Storage Service"
SAGEMAKER = "Amazon SageMaker"
DATA_TRANSFER = "AWS Data Transfer"
CLOUDWATCH = "AmazonCloudWatch"
SUPPORT = "AWS Support (Business)"
GPU = (
    "g5.12xlarge",
    "g5.xlarge",
    "ml.g5.2xlarge",
    "ml.g5.xlarge",
    "ml.p4d.24xlarge",
    "p4d.24xlarge",
    "p5.48xlarge",
)

SERVICES = [
    ("EC2", EC2),
    ("SageMaker", SAGEMAKER),
    ("S3", S3),
    ("data transfer", DATA_TRANSFER),
    ("CloudWatch", CLOUDWATCH),
    ("support", SUPPORT),
    ("Amazon SageMaker", SAGEMAKER),
    ("ec2 instances", EC2),
]
TEAMS = ["ai-research", "ml-platform", "data-eng", "web"]
PROJECTS = ["llm-training", "inference-api", "etl", "feature-store", "llm-eval", "website"]
FAMILIES = [
    ("p4d", ("p4d.24xlarge",)),
    ("p5", ("p5.48xlarge",)),
    ("g5", ("g5.12xlarge", "g5.xlarge")),
    ("m6i", ("m6i.2xlarge", "m6i.large")),
]
PERIODS = [
    ("last week", "range:2026-11-16..2026-11-22"),
    ("yesterday", "yesterday"),
    ("this month", "mtd"),
    ("so far this month", "mtd"),
    ("last month", "last_month"),
    ("in October", "month:2026-10"),
    ("in Oct 2026", "month:2026-10"),
    ("in Q3", "range:2026-07-01..2026-09-30"),
    ("year to date", "range:2026-01-01..2026-11-29"),
    ("over the last 30 days", "d30"),
    ("in the past 2 weeks", "d14"),
    ("since 2026-11-01", "range:2026-11-01..2026-11-29"),
    ("between Oct 1 and Oct 15", "range:2026-10-01..2026-10-15"),
    ("this week", "range:2026-11-23..2026-11-29"),
    ("today", "today"),
    ("previous month", "last_month"),
    ("last 3 months", "d90"),
    ("for 2026-Q3", "range:2026-07-01..2026-09-30"),
    ("in September", "month:2026-09"),
    ("since October", "range:2026-10-01..2026-11-29"),
    ("month to date", "mtd"),
    ("last 7 days", "d7"),
    ("between September and October", "range:2026-09-01..2026-10-31"),
    ("ytd", "range:2026-01-01..2026-11-29"),
]
GROUPS = [
    ("by team", "team"),
    ("per service", "service"),
    ("broken down by account", "account"),
    ("by region", "region"),
    ("per project", "project"),
    ("split by instance type", "resource_type"),
    ("by environment", "environment"),
    ("for each team", "team"),
]


@dataclass(frozen=True)
class Case:
    """One benchmark question and what it must mean."""

    question: str
    expected: str
    category: str


def _cycle(items: list, i: int) -> object:  # type: ignore[type-arg]
    return items[i % len(items)]


def _templates() -> list[Case]:
    out: list[Case] = []

    def add(cat: str, q: str, *parts: str) -> None:
        out.append(Case(q, ";".join(p for p in parts if p), cat))

    for i in range(14):
        team = _cycle(TEAMS, i)
        svc, svc_value = _cycle(SERVICES, i)  # type: ignore[misc]
        per, per_exp = _cycle(PERIODS, i)  # type: ignore[misc]
        add(
            "filler",
            f"what did {team} spend on {svc} {per}?",
            f"f:team={team}",
            f"f:service={svc_value}",
            f"p:{per_exp}",
        )
    for i in range(12):
        svc, svc_value = _cycle(SERVICES, i + 3)  # type: ignore[misc]
        per, per_exp = _cycle(PERIODS, i + 5)  # type: ignore[misc]
        add("services", f"{svc} costs {per}", f"f:service={svc_value}", f"p:{per_exp}")
    for i in range(10):
        per, per_exp = _cycle(PERIODS, i + 2)  # type: ignore[misc]
        team = _cycle(TEAMS, i + 1)
        add("filler", f"how much did {team} spend {per}", f"f:team={team}", f"p:{per_exp}")
        add("filler", f"show me the bill for {team} {per} please", f"f:team={team}", f"p:{per_exp}")
    for i in range(10):
        per, per_exp = _cycle(PERIODS, i * 2 + 1)  # type: ignore[misc]
        add("ranking", f"which team spent the most {per}", "by:team", f"p:{per_exp}")
    for i in range(8):
        fam, types = _cycle(FAMILIES, i)  # type: ignore[misc]
        team = _cycle(TEAMS, i)
        per, per_exp = _cycle(PERIODS, i + 4)  # type: ignore[misc]
        add(
            "families",
            f"{fam} spend for {team} {per}",
            *(f"f:resource_type={t}" for t in types),
            f"f:team={team}",
            f"p:{per_exp}",
        )
    for i in range(8):
        per, per_exp = _cycle(PERIODS, i + 1)  # type: ignore[misc]
        grp, field = _cycle(GROUPS, i + 2)  # type: ignore[misc]
        add("untagged", f"untagged spend {per} {grp}", "untagged", f"by:{field}", f"p:{per_exp}")
    for i in range(10):
        team = _cycle(TEAMS, i)
        svc, svc_value = _cycle(SERVICES, i)  # type: ignore[misc]
        add("tag values", f"{team} {svc} mtd", f"f:team={team}", f"f:service={svc_value}", "p:mtd")
    for i in range(6):
        project = _cycle(PROJECTS, i)
        per, per_exp = _cycle(PERIODS, i + 7)  # type: ignore[misc]
        add("tag values", f"{project} {per}", f"f:project={project}", f"p:{per_exp}")
    for i, n in enumerate((3, 5, 10, 4)):
        per, per_exp = _cycle(PERIODS, i + 3)  # type: ignore[misc]
        add("ranking", f"top {n} services {per}", "by:service", f"top:{n}", f"p:{per_exp}")
        add("ranking", f"top {n} teams {per}", "by:team", f"top:{n}", f"p:{per_exp}")
    for i in range(8):
        project = _cycle(PROJECTS, i)
        grp, field = _cycle(GROUPS, i)  # type: ignore[misc]
        per, per_exp = _cycle(PERIODS, i + 9)  # type: ignore[misc]
        add(
            "grouping",
            f"show me {project} costs {grp} {per}",
            f"f:project={project}",
            f"by:{field}",
            f"p:{per_exp}",
        )
    for i in range(8):
        a, b = _cycle(TEAMS, i), _cycle(TEAMS, i + 1)
        per, per_exp = _cycle(PERIODS, i + 11)  # type: ignore[misc]
        add("several", f"{a} and {b} {per}", f"f:team={a}", f"f:team={b}", f"p:{per_exp}")
        add("several", f"team {a} or {b} {per}", f"f:team={a}", f"f:team={b}", f"p:{per_exp}")
    for i in range(6):
        svc, svc_value = _cycle(SERVICES, i)  # type: ignore[misc]
        per, per_exp = _cycle(PERIODS, i)  # type: ignore[misc]
        add(
            "negation",
            f"everything excluding {svc} {per}",
            f"x:service={svc_value}",
            f"p:{per_exp}",
        )
        team = _cycle(TEAMS, i + 2)
        add(
            "negation",
            f"{team} spend not {svc} {per}",
            f"f:team={team}",
            f"x:service={svc_value}",
            f"p:{per_exp}",
        )
    for i in range(6):
        svc, svc_value = _cycle(SERVICES, i + 1)  # type: ignore[misc]
        add(
            "comparison",
            f"{svc} this month vs last month",
            f"f:service={svc_value}",
            "p:mtd",
            "cmp:last_month",
        )
        team = _cycle(TEAMS, i)
        add(
            "comparison",
            f"{team} last week compared to the previous week",
            f"f:team={team}",
            "p:range:2026-11-16..2026-11-22",
        )
    for i in range(6):
        per, per_exp = _cycle(PERIODS, i + 2)  # type: ignore[misc]
        add("ranking", f"biggest movers {per}", "by:service", "rank:movers", f"p:{per_exp}")
        add("ranking", f"which team grew the most {per}", "by:team", "rank:growth", f"p:{per_exp}")
        add("ranking", f"what grew the most {per}", "by:service", "rank:growth", f"p:{per_exp}")
    for i in range(6):
        per, per_exp = _cycle(PERIODS, i + 6)  # type: ignore[misc]
        add("gpu", f"GPU spend {per}", *(f"f:resource_type={t}" for t in GPU), f"p:{per_exp}")
        add("pricing", f"spot spend {per}", "f:pricing_category=Dynamic", f"p:{per_exp}")
        add(
            "pricing",
            f"on-demand EC2 {per}",
            "f:pricing_category=Standard",
            f"f:service={EC2}",
            f"p:{per_exp}",
        )
        grp, field = _cycle(GROUPS, i)  # type: ignore[misc]
        add(
            "pricing",
            f"savings plan costs {grp}",
            "f:pricing_category=Committed",
            f"by:{field}",
            "p:mtd",
        )
    for i in range(6):
        team = _cycle(TEAMS, i)
        add(
            "measure",
            f"billed cost for {team} last month",
            f"f:team={team}",
            "p:last_month",
            "m:billed",
        )
        add(
            "measure",
            f"amortized spend by team {_cycle(PERIODS, i)[0]}",
            "by:team",
            f"p:{_cycle(PERIODS, i)[1]}",
        )  # type: ignore[index]
    return out


HAND_WRITTEN = [
    Case(
        "what did ai-research spend on SageMaker last week?",
        f"f:team=ai-research;f:service={SAGEMAKER};p:range:2026-11-16..2026-11-22",
        "issue",
    ),
    Case("EC2 costs last 30 days", f"f:service={EC2};p:d30", "issue"),
    Case("how much have we spent so far this month", "p:mtd", "issue"),
    Case("which team spent the most yesterday", "by:team;p:yesterday", "issue"),
    Case(
        "p4d spend for ml-platform in October",
        "f:resource_type=p4d.24xlarge;f:team=ml-platform;p:month:2026-10",
        "issue",
    ),
    Case("untagged spend last month by account", "untagged;by:account;p:last_month", "issue"),
    Case("ai-research EC2 mtd", f"f:team=ai-research;f:service={EC2};p:mtd", "issue"),
    Case(
        "GPU instances by team last week",
        f"{';'.join('f:resource_type=' + t for t in GPU)};by:team;p:range:2026-11-16..2026-11-22",
        "gpu",
    ),
    Case("top 5 services", "by:service;top:5;p:mtd", "ranking"),
    Case("show me spend per service", "by:service;p:mtd", "grouping"),
    Case("spend broken down by account last month", "by:account;p:last_month", "grouping"),
    Case("what's our cloudwatch bill?", f"f:service={CLOUDWATCH};p:mtd", "services"),
    Case("data transfer costs by region", f"f:service={DATA_TRANSFER};by:region;p:mtd", "services"),
    Case("how much did the web team spend in December", "f:team=web;p:month:2025-12", "periods"),
    Case("costs in Oct 2026", "p:month:2026-10", "periods"),
    Case("spend in Q3 by team", "by:team;p:range:2026-07-01..2026-09-30", "periods"),
    Case("2026-Q3 spend", "p:range:2026-07-01..2026-09-30", "periods"),
    Case("year to date spend per project", "by:project;p:range:2026-01-01..2026-11-29", "periods"),
    Case("last 2 weeks", "p:d14", "periods"),
    Case("spend over the last 3 months by team", "by:team;p:d90;", "periods"),
    Case("since 2026-10-15", "p:range:2026-10-15..2026-11-29", "periods"),
    Case(
        "between 2026-10-01 and 2026-10-31 for ai-research",
        "p:range:2026-10-01..2026-10-31;f:team=ai-research",
        "periods",
    ),
    Case("this week", "p:range:2026-11-23..2026-11-29", "periods"),
    Case("last week", "p:range:2026-11-16..2026-11-22", "periods"),
    Case("previous month", "p:last_month", "periods"),
    Case("what grew the most last month", "by:service;rank:growth;p:last_month", "ranking"),
    Case(
        "biggest movers this week",
        "by:service;rank:movers;p:range:2026-11-23..2026-11-29",
        "ranking",
    ),
    Case("ai-research and ml-platform", "f:team=ai-research;f:team=ml-platform;p:mtd", "several"),
    Case("team web or data-eng last month", "f:team=web;f:team=data-eng;p:last_month", "several"),
    Case("everything excluding support", f"x:service={SUPPORT};p:mtd", "negation"),
    Case("ml-platform not S3", f"f:team=ml-platform;x:service={S3};p:mtd", "negation"),
    Case("EC2 vs last month", f"f:service={EC2};p:mtd;cmp:last_month", "comparison"),
    Case("October compared to September", "p:month:2026-10;cmp:month:2026-09", "comparison"),
    Case(
        "spend in us-east-1 last week",
        "f:region=us-east-1;p:range:2026-11-16..2026-11-22",
        "dimensions",
    ),
    Case(
        "what did account ai-research-prod spend", "f:account=ai-research-prod;p:mtd", "dimensions"
    ),
    Case("how much is untagged", "untagged;p:mtd", "untagged"),
    Case("spend without a team tag last month", "untagged:team;p:last_month", "untagged"),
    Case(
        "Show Me ML-Platform Costs Per Service", "f:team=ml-platform;by:service;p:mtd", "mixed case"
    ),
    Case("WHAT DID WEB SPEND LAST MONTH", "f:team=web;p:last_month", "mixed case"),
    Case(
        "how much did the llm-training project cost in september",
        "f:project=llm-training;p:month:2026-09",
        "tag values",
    ),
    Case("prod spend by team", "f:environment=prod;by:team;p:mtd", "tag values"),
    # Written after the reader, as a colleague would ask, without tuning the reader to each.
    Case(
        "can you tell me what ml-platform spent last month?",
        "f:team=ml-platform;p:last_month",
        "filler",
    ),
    Case(
        "how much money did we burn on GPUs this week",
        f"{';'.join('f:resource_type=' + t for t in GPU)};p:range:2026-11-23..2026-11-29",
        "gpu",
    ),
    Case(
        "SageMaker spend per team for the last 7 days",
        f"f:service={SAGEMAKER};by:team;p:d7",
        "grouping",
    ),
    Case(
        "EC2 in eu-west-1 last month",
        f"f:service={EC2};f:region=eu-west-1;p:last_month",
        "dimensions",
    ),
    Case("what's the S3 bill for data-eng", f"f:service={S3};f:team=data-eng;p:mtd", "services"),
    Case(
        "cost of p5 instances in October", "f:resource_type=p5.48xlarge;p:month:2026-10", "families"
    ),
    Case("list top 3 projects by cost last month", "by:project;top:3;p:last_month", "ranking"),
    Case("total spend yesterday", "p:yesterday", "filler"),
    Case(
        "ai-research spend on p4d vs last month",
        "f:team=ai-research;f:resource_type=p4d.24xlarge;p:mtd;cmp:last_month",
        "comparison",
    ),
    Case(
        "which services cost the most last week",
        "by:service;p:range:2026-11-16..2026-11-22",
        "ranking",
    ),
    Case(
        "which project spent the most in Q3", "by:project;p:range:2026-07-01..2026-09-30", "ranking"
    ),
    Case(
        "how much did we spend on data transfer in September 2026",
        f"f:service={DATA_TRANSFER};p:month:2026-09",
        "services",
    ),
    Case("spot instances by team", "f:pricing_category=Dynamic;by:team;p:mtd", "pricing"),
    Case("on demand spend last 14 days", "f:pricing_category=Standard;p:d14", "pricing"),
    Case(
        "what did owner li.wei@acme-ai.example spend",
        "f:owner=li.wei@acme-ai.example;p:mtd",
        "tag values",
    ),
    Case(
        "staging environment costs this week",
        "f:environment=staging;p:range:2026-11-23..2026-11-29",
        "tag values",
    ),
    Case("compare this month to last month", "p:mtd;cmp:last_month", "comparison"),
    Case(
        "EC2 by instance type last month",
        f"f:service={EC2};by:resource_type;p:last_month",
        "grouping",
    ),
    Case(
        "top 10 resources last week", "by:resource;top:10;p:range:2026-11-16..2026-11-22", "ranking"
    ),
    Case("cost per account in october", "by:account;p:month:2026-10", "grouping"),
    Case("what did we spend on tax last month", "f:charge_category=Tax;p:last_month", "dimensions"),
    Case("credits this month", "f:charge_category=Credit;p:mtd", "dimensions"),
    Case("EC2 excluding spot", f"f:service={EC2};x:pricing_category=Dynamic;p:mtd", "negation"),
    Case(
        "gpu spend excluding ai-research",
        f"{';'.join('f:resource_type=' + t for t in GPU)};x:team=ai-research;p:mtd",
        "negation",
    ),
    Case("spend by team excluding web last month", "by:team;x:team=web;p:last_month", "negation"),
    Case("daily spend last week", "p:range:2026-11-16..2026-11-22", "filler"),
    Case("what were the costs in the last 30d", "p:d30", "periods"),
    Case("p4d.24xlarge last month", "f:resource_type=p4d.24xlarge;p:last_month", "families"),
    Case("us-west-2 by service", "f:region=us-west-2;by:service;p:mtd", "dimensions"),
    Case(
        "how much did inference-api cost yesterday",
        "f:project=inference-api;p:yesterday",
        "tag values",
    ),
    Case(
        "costs for llm-eval and llm-training",
        "f:project=llm-eval;f:project=llm-training;p:mtd",
        "several",
    ),
    Case(
        "feature-store spend by service this quarter",
        "f:project=feature-store;by:service;p:range:2026-10-01..2026-11-29",
        "periods",
    ),
    Case("last quarter by team", "by:team;p:range:2026-07-01..2026-09-30", "periods"),
    Case("spend since last month", "p:range:2026-10-01..2026-11-29", "periods"),
    Case("q4 so far", "p:range:2026-10-01..2026-12-31", "periods"),
    Case(
        "what did ai-research spend in the first half of October",
        "f:team=ai-research;p:range:2026-10-01..2026-10-15",
        "periods",
    ),
    Case("how much is the support plan costing us", f"f:service={SUPPORT};p:mtd", "services"),
    Case(
        "ml-platform vs ai-research last month",
        "by:team;f:team=ml-platform;f:team=ai-research;p:last_month",
        "comparison",
    ),
    Case("costs for the quantum team", ASK, "unknown"),
    Case("bedrock spend last month", ASK, "unknown"),
    Case("what did zebra spend on lasers", ASK, "unknown"),
    Case("EKS costs by team", ASK, "unknown"),
    Case("spend in mars-north-1", ASK, "unknown"),
]

_SWAPPABLE = {
    "spend",
    "spent",
    "costs",
    "sagemaker",
    "research",
    "platform",
    "month",
    "october",
    "september",
    "services",
    "transfer",
    "excluding",
    "compared",
    "previous",
    "broken",
    "account",
    "region",
    "project",
    "cloudwatch",
    "support",
}


def _typo(question: str, rng: random.Random) -> str | None:
    """Swap two adjacent letters inside one word of at least 6 letters (not the first letter)."""
    words = question.split(" ")
    spots = [
        i for i, w in enumerate(words) if len(w) >= 6 and w.isalpha() and w.lower() in _SWAPPABLE
    ]
    if not spots:
        return None
    i = rng.choice(spots)
    w = words[i]
    j = rng.randrange(1, len(w) - 2)
    words[i] = w[:j] + w[j + 1] + w[j] + w[j + 2 :]
    return " ".join(words)


def _mixed_case(question: str, rng: random.Random) -> str:
    return " ".join(
        w.upper() if rng.random() < 0.3 else w.capitalize() for w in question.split(" ")
    )


def cases() -> list[Case]:
    """Return every benchmark case: templates, hand-written, and their typo / case variants."""
    rng = random.Random(17)
    base = _templates() + HAND_WRITTEN
    out = list(base)
    for n, case in enumerate(base):
        if case.expected == ASK:
            continue
        if n % 3 == 0:
            out.append(Case(_mixed_case(case.question, rng), case.expected, "mixed case"))
        if n % 3 == 1 and (typo := _typo(case.question, rng)):
            out.append(Case(typo, case.expected, "typos"))
    return out


def _period(text: str) -> PeriodSpec:
    if text in ("today", "yesterday", "mtd", "last_month"):
        return PeriodSpec(text)
    if text.startswith("d"):
        return PeriodSpec("last_days", days=int(text[1:]))
    kind, _, rest = text.partition(":")
    if kind == "month":
        return PeriodSpec("month", start=date.fromisoformat(rest + "-01"))
    first, _, last = rest.partition("..")
    return PeriodSpec("range", start=date.fromisoformat(first), end=date.fromisoformat(last))


def expected_query(expected: str, *, default_top: int = 10) -> CostQuery:
    """Build the CostQuery an expectation string stands for."""
    filters: list[tuple[str, str]] = []
    excludes: list[tuple[str, str]] = []
    kw: dict[str, object] = {}
    for part in filter(None, expected.split(";")):
        head, _, rest = part.partition(":")
        if head == "f":
            k, _, v = rest.partition("=")
            filters.append((k, v))
        elif head == "x":
            k, _, v = rest.partition("=")
            excludes.append((k, v))
        elif head == "by":
            kw["group_by"] = rest
        elif head == "top":
            kw["top"] = int(rest)
        elif head == "rank":
            kw["rank"] = rest
        elif head == "p":
            kw["period"] = _period(rest)
        elif head == "cmp":
            kw["compare"] = _period(rest)
        elif head == "m":
            kw["measure"] = rest
        elif head == "untagged":
            kw["untagged"] = tuple(filter(None, rest.split(",")))
        else:
            raise ValueError(f"bad expectation part {part!r}")
    kw.setdefault("top", default_top)
    return CostQuery(filters=tuple(filters), excludes=tuple(excludes), **kw)  # type: ignore[arg-type]


def same_meaning(got: CostQuery, want: CostQuery) -> bool:
    """Compare two questions; the order of filters does not matter, their values do."""
    return (
        sorted(got.filters) == sorted(want.filters)
        and sorted(got.excludes) == sorted(want.excludes)
        and (got.group_by, got.period, got.measure, got.untagged, got.top, got.rank, got.compare)
        == (
            want.group_by,
            want.period,
            want.measure,
            want.untagged,
            want.top,
            want.rank,
            want.compare,
        )
    )
