"""The layering the house style asks for, checked on the source: who may import whom."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def imports_of(path: Path) -> set[str]:
    """Return the top-level modules and packages a file imports."""
    tree = ast.parse(path.read_text())
    out: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            out.add(node.module)
    return out


def files(package: str) -> list[Path]:
    return sorted((ROOT / package).rglob("*.py"))


# What pure domain code (costs, insights, actions) may not import: Slack, AWS SDKs, the layers
# above it, or the composition root.
PURE_DOMAIN = (
    "slack_sdk",
    "slack_bolt",
    "boto3",
    "botocore",
    "handlers",
    "scheduler",
    "bot.blocks",
    "bot.services",
    "bot.slack_app",
)

RULES = [
    # (package, forbidden import prefixes, why)
    (
        "bot/costs",
        PURE_DOMAIN,
        "the domain knows nothing of Slack, AWS SDKs or the composition root",
    ),
    (
        "bot/blocks",
        ("slack_sdk", "slack_bolt", "handlers", "scheduler", "boto3"),
        "block builders are pure functions",
    ),
    (
        "handlers",
        ("scheduler", "boto3", "botocore", "bot.settings"),
        "listeners neither schedule nor build clients nor read settings",
    ),
    ("scheduler", ("handlers", "slack_bolt"), "jobs call the domain, not listeners"),
    (
        "bot/insights",
        PURE_DOMAIN,
        "insights are pure functions over plain data",
    ),
    (
        "bot/actions",
        PURE_DOMAIN,
        "actions get their cloud port and store injected; they know no SDK and no Slack",
    ),
    (
        "bot/sync",
        ("slack_sdk", "slack_bolt", "handlers", "scheduler", "boto3", "botocore"),
        "syncs reach AWS only through the bot/aws adapters",
    ),
    (
        "bot/state",
        ("slack_sdk", "slack_bolt", "boto3", "handlers", "scheduler", "bot.blocks", "bot.services"),
        "what the bot remembers knows nothing of Slack or the composition root",
    ),
    (
        "bot/tickets",
        ("slack_sdk", "slack_bolt", "handlers", "scheduler", "jira", "boto3", "bot.services"),
        "the ticket flow uses the tracker port; only bot/jira.py imports the jira library",
    ),
]


@pytest.mark.parametrize(("package", "forbidden", "why"), RULES, ids=[r[0] for r in RULES])
def test_imports_respect_the_layers(package: str, forbidden: tuple[str, ...], why: str) -> None:
    offenders = [
        f"{path.relative_to(ROOT)} imports {name}"
        for path in files(package)
        for name in imports_of(path)
        if name.startswith(forbidden)
    ]
    assert not offenders, f"{why}: {offenders}"


def test_only_the_composition_root_reads_the_environment() -> None:
    allowed = {ROOT / "bot" / "settings.py"}
    readers = [
        str(p.relative_to(ROOT))
        for pkg in ("bot", "handlers", "scheduler")
        for p in files(pkg)
        if p not in allowed and ("os.environ" in p.read_text() or "getenv(" in p.read_text())
    ]
    assert not readers


def test_only_the_composition_root_builds_sdk_clients() -> None:
    allowed = {ROOT / "bot" / "services.py", ROOT / "bot" / "slack_app.py"}
    builders = [
        str(p.relative_to(ROOT))
        for pkg in ("bot", "handlers", "scheduler")
        for p in files(pkg)
        if p not in allowed
        and any(s in p.read_text() for s in ("boto3.client(", ".client(", "WebClient(", "JIRA("))
    ]
    assert not builders
