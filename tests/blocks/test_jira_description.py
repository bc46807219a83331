"""Ticket descriptions: the same context in wiki markup (v2) and ADF (v3), escaped, valid."""

from __future__ import annotations

from dataclasses import replace

from harness.jira_emulator import adf_errors, adf_text
from ticket_support import IDLE_ID, idle_finding

from bot.blocks.jira_description import (
    adf_description,
    description_for,
    sparkline,
    wiki_description,
    wiki_escape,
)
from bot.tickets.findings import FindingContext

PERMALINK = "https://acme.slack.com/archives/C1/p1728984600000100"
CONTEXT_WORDS = (
    "What happened",
    "0 % GPU utilisation since 03:10 UTC",
    "arn:aws:ec2:us-east-1:123456789012:instance/i-0abc123def4567890",
    "123456789012",
    "us-east-1",
    "ai-research",
    "ann@example.com",
    "llm-training",
    "Spend yesterday (2024-10-14)",
    "$799.00",
    "Spend month to date",
    "$11,200.00",
    "Last 14 days",
    "2024-10-01",
    "$786.00",
    "Saves per day if stopped",
    "Stop i-0abc123def4567890 p4d.24xlarge idle since 03:10 UTC, saves ≈ $786/day",
    IDLE_ID,
    "effective (amortized) cost",
)


def test_wiki_markup_carries_the_whole_context_and_the_permalink() -> None:
    text = wiki_description(idle_finding(), permalink=PERMALINK)
    for word in CONTEXT_WORDS:
        assert word in text, word
    assert f"[Slack message|{PERMALINK}]" in text
    assert "h3. Recommended action" in text and "||Day||Cost||" in text


def test_adf_carries_the_same_context_and_is_a_valid_document() -> None:
    doc = adf_description(idle_finding(), permalink=PERMALINK)
    assert adf_errors(doc) == []
    text = adf_text(doc)
    for word in CONTEXT_WORDS:
        assert word in text, word
    links = [
        mark["attrs"]["href"]
        for node in doc["content"][-1]["content"]
        for mark in node.get("marks", [])
        if mark["type"] == "link"
    ]
    assert links == [PERMALINK]


def test_the_api_version_picks_the_format() -> None:
    assert isinstance(description_for(idle_finding(), "2"), str)
    assert isinstance(description_for(idle_finding(), "3"), dict)


def test_values_from_a_bill_cannot_break_the_markup() -> None:
    nasty = replace(
        idle_finding(),
        tags={"team": "a|b [link|http://x] {code} *bold* _it_", "owner": "", "project": ""},
        what_happened="",
    )
    text = wiki_description(nasty)
    assert "a\\|b \\[link\\|http://x\\] \\{code\\} \\*bold\\* \\_it\\_" in text
    assert wiki_escape("i-0abc 2024-10-01") == "i-0abc 2024-10-01", "ids and dates stay readable"
    doc = adf_description(nasty)
    assert adf_errors(doc) == [], "empty values become a dash, never an empty text node"


def test_unknown_values_show_a_dash_and_no_trend_means_no_trend_section() -> None:
    bare = FindingContext(
        finding_id="budget:ml-platform",
        kind="budget alert",
        title="Budget",
        what_happened="ml-platform passed 90 % of its monthly budget.",
        recommended_action="Review the budget.",
    )
    text = wiki_description(bare)
    assert "||Resource|–|" in text and "Spend yesterday: *–*" in text
    assert "Last" not in text
    assert adf_errors(adf_description(bare)) == []


def test_sparkline_scales_from_min_to_max() -> None:
    assert sparkline([1, 2, 3]) == "▁▄█"
    assert sparkline([5, 5]) == "▁▁"
    assert sparkline([]) == ""
