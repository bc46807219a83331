"""One tag, however the export spells it.

Real exports spell the same tag several ways: ``team`` (FOCUS), ``user:team``
(legacy CUR ``resourceTags/user:team``), ``user_team`` (CUR 2.0
``resource_tags``), and people add ``Team`` or ``TEAM``. Keys are folded to one
canonical, lower-case spelling here, then configured aliases apply
(``team_name`` → ``team``), so ``/cost team x`` finds all of them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

USER_PREFIXES = ("user:",)
AWS_PREFIXES = ("aws:",)


def canonical_tag_key(
    raw: str, aliases: Mapping[str, str] | None = None, *, cur2: bool = False
) -> str:
    """Return the canonical spelling of a raw tag key.

    ``cur2`` is set for CUR 2.0 ``resource_tags`` map keys, where AWS writes
    user tags as ``user_<key>`` and AWS-generated tags as ``aws_<key>``; the
    ``user_`` prefix is only stripped there, as ``user_id`` is a plausible key
    in other exports.
    """
    key = raw.strip()
    low = key.lower()
    if low.startswith("resourcetags/"):
        key = key[len("resourceTags/") :]
        low = key.lower()
    for prefix in USER_PREFIXES:
        if low.startswith(prefix):
            key = key[len(prefix) :]
            break
    else:
        if cur2 and low.startswith("user_"):
            key = key[len("user_") :]
        elif cur2 and low.startswith("aws_"):
            key = "aws:" + key[len("aws_") :]
    key = key.strip().lower()
    if aliases:
        key = aliases.get(key, key)
    return key


def parse_aliases(text: str) -> dict[str, str]:
    """Parse ``"Team=team,team_name=team"`` into a mapping of folded keys."""
    out: dict[str, str] = {}
    for part in text.split(","):
        part = part.strip()
        if not part:
            continue
        if "=" not in part:
            raise ValueError(f"tag alias {part!r} is not of the form alias=key")
        alias, _, key = part.partition("=")
        if not alias.strip() or not key.strip():
            raise ValueError(f"tag alias {part!r} has an empty side")
        out[canonical_tag_key(alias)] = canonical_tag_key(key)
    return out


def merge_tags(
    pairs: Iterable[tuple[str, str | None]],
    aliases: Mapping[str, str] | None,
    *,
    cur2: bool = False,
) -> dict[str, str]:
    """Fold raw ``(key, value)`` pairs into canonical tags; empty values mean no tag.

    When two raw keys fold to one canonical key (``Team`` and ``team`` on the
    same resource), the first non-empty value in sorted raw-key order wins, so
    the result does not depend on the export's column order.
    """
    out: dict[str, str] = {}
    for raw, value in sorted(pairs, key=lambda kv: kv[0]):
        if value is None:
            continue
        value = str(value).strip()
        if not value or value.upper() == "NULL":
            continue
        out.setdefault(canonical_tag_key(raw, aliases, cur2=cur2), value)
    return out
