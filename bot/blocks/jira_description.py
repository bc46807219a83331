"""Render a finding as a Jira issue description: wiki markup (REST v2) or ADF (REST v3).

Both say the same things in the same order, so whoever picks the ticket up never
has to ask "which instance, how much, since when?": what happened; the resource,
account and region; the team, owner and project tags; spend yesterday and month
to date; the 14-day daily trend; the $ impact; the recommended action; and a
link back to the Slack message. Pure functions of a
:class:`~bot.tickets.findings.FindingContext`.

Jira REST v2 takes the description as a wiki-markup string; v3 takes an
Atlassian Document Format document (``{"type": "doc", "version": 1, …}``).
"""

from __future__ import annotations

import re
from typing import Any

from bot.costs.model import MEASURE_LABELS
from bot.money import format_money
from bot.tickets.findings import FindingContext

NOT_KNOWN = "–"
SPARKS = "▁▂▃▄▅▆▇█"
# Characters that start wiki-markup effects inside text (tables, links, macros, bold,
# italics, super/subscript, images, underline, citations). Hyphens are left alone: they
# only strike through as "-text-" between spaces, and ids and dates are full of them.
_WIKI_SPECIAL = re.compile(r"([\\|\[\]{}*_^~!+?])")


# -- what the description says (shared by both formats) -----------------------------------------


def resource_rows(ctx: FindingContext) -> list[tuple[str, str]]:
    """Return (label, value) rows: resource, account, region, then the tags."""
    return [
        ("Resource", ctx.resource_id or NOT_KNOWN),
        ("Account", ctx.account or NOT_KNOWN),
        ("Region", ctx.region or NOT_KNOWN),
        ("Team", ctx.team or NOT_KNOWN),
        ("Owner", ctx.owner or NOT_KNOWN),
        ("Project", ctx.project_tag or NOT_KNOWN),
    ]


def spend_rows(ctx: FindingContext) -> list[tuple[str, str]]:
    """Return (label, amount) rows: yesterday, month to date, and the $ impact."""
    cur = ctx.currency
    day = f" ({ctx.spend_day.isoformat()})" if ctx.spend_day else ""
    rows = [
        (f"Spend yesterday{day}", _money(ctx.spend_yesterday, cur)),
        ("Spend month to date", _money(ctx.spend_mtd, cur)),
    ]
    if ctx.impact is not None:
        rows.append((_sentence(ctx.impact_label), format_money(ctx.impact, cur)))
    return rows


def trend_rows(ctx: FindingContext) -> list[tuple[str, str]]:
    """Return (date, amount) rows of the daily trend, oldest first."""
    return [(d.isoformat(), format_money(v, ctx.currency)) for d, v in ctx.daily]


def sparkline(values: list[int]) -> str:
    """Draw values as a one-line bar chart (``▁▃█``), scaled from the minimum to the maximum."""
    if not values:
        return ""
    lo, hi = min(values), max(values)
    if hi == lo:
        return SPARKS[0] * len(values)
    top = len(SPARKS) - 1
    return "".join(SPARKS[(v - lo) * top // (hi - lo)] for v in values)


def footer_text(ctx: FindingContext) -> str:
    """Say which finding this is and which cost measure the amounts use."""
    measure = MEASURE_LABELS.get(ctx.measure, ctx.measure)
    kind = f" ({ctx.kind})" if ctx.kind else ""
    through = (
        f" · data through {ctx.observed_at.strftime('%Y-%m-%d %H:%M UTC')}"
        if ctx.observed_at
        else ""
    )
    return f"Finding {ctx.finding_id}{kind} · amounts are {measure}{through} · filed by costbot"


# -- Jira wiki markup (REST v2) ----------------------------------------------------------------


def wiki_escape(text: str) -> str:
    """Escape wiki-markup control characters so values from a bill show as written."""
    return _WIKI_SPECIAL.sub(r"\\\1", " ".join(text.split()))


def wiki_description(ctx: FindingContext, *, permalink: str | None = None) -> str:
    """Render the description as Jira wiki markup (REST API v2)."""
    e = wiki_escape
    out = ["h3. What happened", e(ctx.what_happened), ""]
    out += ["h3. Where and whose"]
    out += [f"||{e(label)}|{e(value)}|" for label, value in resource_rows(ctx)]
    out += ["", "h3. Spend"]
    out += [f"* {e(label)}: *{e(value)}*" for label, value in spend_rows(ctx)]
    trend = trend_rows(ctx)
    if trend:
        out += ["", f"h3. Last {len(trend)} days", e(sparkline([v for _, v in ctx.daily]))]
        out += ["||Day||Cost||"] + [f"|{e(d)}|{e(v)}|" for d, v in trend]
    out += ["", "h3. Recommended action", e(ctx.recommended_action), "", "----"]
    if permalink:
        out.append(f"[Slack message|{_wiki_url(permalink)}]")
    out.append(e(footer_text(ctx)))
    return "\n".join(out)


def _wiki_url(url: str) -> str:
    return url.replace("|", "%7C").replace("]", "%5D").replace(" ", "%20")


# -- Atlassian Document Format (REST v3) -------------------------------------------------------


def adf_description(ctx: FindingContext, *, permalink: str | None = None) -> dict[str, Any]:
    """Render the description as an Atlassian Document Format document (REST API v3)."""
    content: list[dict[str, Any]] = [
        _heading("What happened"),
        _para(_text(ctx.what_happened)),
        _heading("Where and whose"),
        _table(None, resource_rows(ctx)),
        _heading("Spend"),
        {
            "type": "bulletList",
            "content": [
                {
                    "type": "listItem",
                    "content": [_para(_text(f"{label}: "), _text(value, "strong"))],
                }
                for label, value in spend_rows(ctx)
            ],
        },
    ]
    trend = trend_rows(ctx)
    if trend:
        content += [
            _heading(f"Last {len(trend)} days"),
            _para(_text(sparkline([v for _, v in ctx.daily]))),
            _table(("Day", "Cost"), trend),
        ]
    content += [_heading("Recommended action"), _para(_text(ctx.recommended_action))]
    content.append({"type": "rule"})
    tail: list[dict[str, Any]] = []
    if permalink:
        tail += [_link("Slack message", permalink), _text(" · ")]
    tail.append(_text(footer_text(ctx)))
    content.append(_para(*tail))
    return {"type": "doc", "version": 1, "content": content}


def _text(text: str, *marks: str) -> dict[str, Any]:
    node: dict[str, Any] = {"type": "text", "text": " ".join(text.split()) or NOT_KNOWN}
    if marks:
        node["marks"] = [{"type": m} for m in marks]
    return node


def _link(text: str, url: str) -> dict[str, Any]:
    return {"type": "text", "text": text, "marks": [{"type": "link", "attrs": {"href": url}}]}


def _para(*nodes: dict[str, Any]) -> dict[str, Any]:
    return {"type": "paragraph", "content": list(nodes)}


def _heading(text: str) -> dict[str, Any]:
    return {"type": "heading", "attrs": {"level": 3}, "content": [_text(text)]}


def _table(headers: tuple[str, str] | None, rows: list[tuple[str, str]]) -> dict[str, Any]:
    table_rows: list[dict[str, Any]] = []
    if headers:
        table_rows.append(
            {
                "type": "tableRow",
                "content": [
                    {"type": "tableHeader", "content": [_para(_text(h, "strong"))]} for h in headers
                ],
            }
        )
    for label, value in rows:
        cells = [
            {
                "type": "tableHeader" if headers is None else "tableCell",
                "content": [_para(_text(label))],
            },
            {"type": "tableCell", "content": [_para(_text(value))]},
        ]
        table_rows.append({"type": "tableRow", "content": cells})
    return {"type": "table", "attrs": {"layout": "default"}, "content": table_rows}


# -- helpers -----------------------------------------------------------------------------------


def _money(nanos: int | None, currency: str) -> str:
    return NOT_KNOWN if nanos is None else format_money(nanos, currency)


def _sentence(label: str) -> str:
    label = " ".join(label.split())
    return label[:1].upper() + label[1:] if label else "Impact"


def description_for(
    ctx: FindingContext, api_version: str, *, permalink: str | None = None
) -> str | dict[str, Any]:
    """Render for the configured REST API version: ``"2"`` wiki markup, ``"3"`` ADF."""
    if api_version == "3":
        return adf_description(ctx, permalink=permalink)
    return wiki_description(ctx, permalink=permalink)
