"""Allocation rules: what counts as shared spend and how it is split (a TOML file).

The file named by ``COSTBOT_ALLOCATION_RULES`` (or ``costbot chargeback --rules``)::

    by = "team"                 # the tag that names who pays (--by overrides)

    [untagged]                  # spend without that tag and matched by no rule below
    mode = "line"               # "line": its own row (team null); "split": shared out
    split = "proportional"      # when split: proportional | even | fixed

    [[shared]]                  # rules are tried in order; the first match takes the line
    name = "support"
    match = { service = ["AWS Support (Business)", "AWSSupportEnterprise"] }
    split = "proportional"      # to each team's direct spend

    [[shared]]
    name = "tax"
    match = { charge = "Tax" }

    [[shared]]
    name = "platform"
    match = { account = "333333333333", untagged = true }
    split = "fixed"
    percentages = { ai-research = 60, ml-platform = 40 }

``match`` keys (values: a string or a list, compared case-insensitively; every
key given must match): ``service`` (name or code), ``account`` (id or name),
``charge`` (Usage, Purchase, Tax, Credit, …), ``category`` (service category),
``region``, ``pricing`` (Standard, Committed, Dynamic …), ``resource`` and
``untagged`` (true: only lines without the ``by`` tag). ``teams`` limits a
proportional or even split to the teams listed.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from bot.errors import CostbotError
from bot.insights.charge_totals import ChargeTotal

SPLITS = ("proportional", "even", "fixed")
UNTAGGED_MODES = ("line", "split")
UNTAGGED_COLUMN = "untagged"
MATCH_KEYS = ("service", "account", "charge", "category", "region", "pricing", "resource")


class AllocationRulesError(CostbotError):
    """The allocation rules file cannot be read or says something impossible."""


@dataclass(frozen=True)
class SharedRule:
    """One kind of shared spend: which lines it takes and how it is split."""

    name: str
    match: Mapping[str, tuple[str, ...]]
    split: str = "proportional"
    untagged_only: bool = False
    percentages: Mapping[str, Decimal] = field(default_factory=dict)
    teams: tuple[str, ...] = ()

    def matches(self, charge: ChargeTotal, team: str | None) -> bool:
        """Say whether this rule takes ``charge`` (whose ``by`` tag is ``team``)."""
        if self.untagged_only and team is not None:
            return False
        for key, wanted in self.match.items():
            if not any(v in wanted for v in _values(charge, key)):
                return False
        return True


@dataclass(frozen=True)
class AllocationRules:
    """The whole rule set: the key, the shared rules in order, and what untagged spend does."""

    by: str = "team"
    shared: tuple[SharedRule, ...] = ()
    untagged_mode: str = "line"
    untagged_split: SharedRule = field(
        default_factory=lambda: SharedRule(UNTAGGED_COLUMN, {}, "proportional")
    )
    source: str = "built-in defaults"


DEFAULT_RULES = AllocationRules(
    shared=(
        SharedRule(
            "support",
            {
                "service": (
                    "aws support (business)",
                    "awssupportbusiness",
                    "aws support (enterprise)",
                    "awssupportenterprise",
                    "aws support (developer)",
                    "awssupportdeveloper",
                )
            },
        ),
        SharedRule("tax", {"charge": ("tax",)}),
    ),
)


def _values(charge: ChargeTotal, key: str) -> tuple[str, ...]:
    raw: Sequence[str] = {
        "service": (charge.service, charge.service_code),
        "account": (charge.sub_account, charge.sub_account_name),
        "charge": (charge.charge_category,),
        "category": (charge.service_category,),
        "region": (charge.region,),
        "pricing": (charge.pricing_category,),
        "resource": (charge.resource_id,),
    }[key]
    return tuple(v.lower() for v in raw if v)


def load_rules(path: Path | None) -> AllocationRules:
    """Read the rules file; the built-in defaults (support and tax shared) when none is set."""
    if path is None:
        return DEFAULT_RULES
    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise AllocationRulesError(f"allocation rules file not found: {path}") from exc
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise AllocationRulesError(f"cannot read allocation rules {path}: {exc}") from exc
    return parse_rules(data, source=str(path))


def parse_rules(data: Mapping[str, Any], *, source: str = "rules") -> AllocationRules:
    """Validate parsed TOML into rules; every error names where in the file it is."""
    unknown = set(data) - {"by", "untagged", "shared"}
    if unknown:
        raise AllocationRulesError(f"{source}: unknown setting(s) {', '.join(sorted(unknown))}")
    by = data.get("by", "team")
    if not isinstance(by, str) or not by.strip():
        raise AllocationRulesError(f'{source}: `by` must be a tag key such as "team"')
    untagged = data.get("untagged", {})
    if not isinstance(untagged, Mapping):
        raise AllocationRulesError(f"{source}: [untagged] must be a table")
    mode = str(untagged.get("mode", "line")).lower()
    if mode not in UNTAGGED_MODES:
        raise AllocationRulesError(f'{source}: [untagged] mode must be "line" or "split"')
    untagged_rule = _rule(
        {**{k: v for k, v in untagged.items() if k != "mode"}, "name": UNTAGGED_COLUMN},
        f"{source} [untagged]",
        allow_match=False,
    )
    shared_raw = data.get("shared", [])
    if not isinstance(shared_raw, list):
        raise AllocationRulesError(f"{source}: use [[shared]] tables for shared rules")
    rules = tuple(_rule(r, f"{source} [[shared]] #{i + 1}") for i, r in enumerate(shared_raw))
    names = [r.name for r in rules]
    if len(set(names)) != len(names) or UNTAGGED_COLUMN in names:
        raise AllocationRulesError(
            f'{source}: shared rule names must be unique and not "{UNTAGGED_COLUMN}"'
        )
    return AllocationRules(
        by=by.strip().lower(),
        shared=rules,
        untagged_mode=mode,
        untagged_split=untagged_rule,
        source=source,
    )


def _rule(raw: object, where: str, *, allow_match: bool = True) -> SharedRule:
    if not isinstance(raw, Mapping):
        raise AllocationRulesError(f"{where}: must be a table")
    allowed = {"name", "split", "percentages", "teams"} | ({"match"} if allow_match else set())
    unknown = set(raw) - allowed
    if unknown:
        raise AllocationRulesError(f"{where}: unknown setting(s) {', '.join(sorted(unknown))}")
    name = raw.get("name")
    if not isinstance(name, str) or not name.strip():
        raise AllocationRulesError(f"{where}: needs a `name`")
    split = str(raw.get("split", "proportional")).lower()
    if split not in SPLITS:
        raise AllocationRulesError(f"{where}: split must be one of {', '.join(SPLITS)}")
    match: dict[str, tuple[str, ...]] = {}
    untagged_only = False
    if allow_match:
        raw_match = raw.get("match")
        if not isinstance(raw_match, Mapping) or not raw_match:
            raise AllocationRulesError(f'{where}: needs a `match` table, e.g. {{ charge = "Tax" }}')
        for key, value in raw_match.items():
            if key == "untagged":
                if not isinstance(value, bool):
                    raise AllocationRulesError(f"{where}: match.untagged must be true or false")
                untagged_only = value
                continue
            if key not in MATCH_KEYS:
                raise AllocationRulesError(
                    f"{where}: cannot match on {key!r}; use {', '.join(MATCH_KEYS)} or untagged"
                )
            values = [value] if isinstance(value, str) else value
            if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
                raise AllocationRulesError(f"{where}: match.{key} must be a string or strings")
            match[key] = tuple(v.lower() for v in values)
    percentages: dict[str, Decimal] = {}
    if split == "fixed":
        raw_pct = raw.get("percentages")
        if not isinstance(raw_pct, Mapping) or not raw_pct:
            raise AllocationRulesError(f"{where}: a fixed split needs `percentages`")
        for team, pct in raw_pct.items():
            try:
                value = Decimal(str(pct))
            except InvalidOperation as exc:
                raise AllocationRulesError(
                    f"{where}: percentage of {team} is not a number"
                ) from exc
            if value < 0:
                raise AllocationRulesError(f"{where}: percentage of {team} is negative")
            percentages[str(team)] = value
        if sum(percentages.values()) != 100:
            raise AllocationRulesError(
                f"{where}: percentages add up to {sum(percentages.values())}, not 100"
            )
    teams = raw.get("teams", [])
    if not isinstance(teams, list) or not all(isinstance(t, str) for t in teams):
        raise AllocationRulesError(f"{where}: teams must be a list of names")
    return SharedRule(name.strip(), match, split, untagged_only, percentages, tuple(teams))
