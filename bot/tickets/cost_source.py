"""The ``/cost`` answer as a finding: ``cost:<hash of the normalised question>``.

A question is normalised by parsing it and writing it back in the grammar
(``team  ai-research mtd`` and ``team ai-research`` are the same question), so
the same question always gets the same finding id and at most one open ticket.
Buttons (and the terminal) may give the question itself as ``cost:<question>``;
a bare ``cost:<hash>`` is found again through the ticket request that recorded
its question.

The context comes from the query engine: the question's own total and change
(the $ burned), spend on the last day with data ("yesterday"), month to date,
and the daily trend over the last 14 days, all for the question's filters.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from dataclasses import replace

from bot.blocks.query_text import query_text
from bot.costs.grammar import HelpRequest, parse
from bot.costs.model import CostAnswer, CostQuery, PeriodSpec
from bot.costs.query import NO_TAG, CostQueryEngine, NoDataYet
from bot.errors import CostbotError
from bot.money import format_change, format_money
from bot.tickets.findings import FindingContext

PREFIX = "cost"
TREND_DAYS = 14
_HASH = re.compile(r"^[0-9a-f]{16}$")
CONTEXT_TAGS = ("team", "owner", "project")
LOCATION_DIMENSIONS = {"resource": "resource_id", "account": "account", "region": "region"}


def normalise(engine: CostQueryEngine, question: str, default_measure: str) -> CostQuery:
    """Parse ``question`` into the query it means (raises QueryParseError)."""
    parsed = parse(question, engine.vocabulary(), default_measure=default_measure)
    if isinstance(parsed, HelpRequest):
        raise ValueError("a help request is not a cost question")
    return replace(parsed, share=False)


def finding_id_for(query: CostQuery, default_measure: str) -> str:
    """Return ``cost:<16 hex>``: a stable hash of the question as the grammar writes it."""
    text = query_text(query, default_measure=default_measure)
    return f"{PREFIX}:{hashlib.sha256(text.encode()).hexdigest()[:16]}"


def button_ref(query: CostQuery, default_measure: str) -> str:
    """Return what the answer's "Open Jira ticket" button carries: ``cost:<question>``."""
    return f"{PREFIX}:{query_text(replace(query, share=False), default_measure=default_measure)}"


class CostFindingSource:
    """Answer ``lookup("cost:…")`` from the query engine.

    ``question_of`` finds the question behind a bare ``cost:<hash>`` id (the
    ticket requests table remembers it).
    """

    def __init__(
        self,
        engine: CostQueryEngine,
        *,
        default_measure: str,
        question_of: Callable[[str], str | None],
    ) -> None:
        self.engine = engine
        self.default_measure = default_measure
        self.question_of = question_of

    def lookup(self, finding_id: str) -> FindingContext | None:
        """Return the context of a cost question (None for an unknown hash)."""
        rest = finding_id.partition(":")[2].strip()
        if _HASH.match(rest):
            remembered = self.question_of(f"{PREFIX}:{rest}")
            if remembered is None:
                return None
            rest = remembered.partition(":")[2] if remembered.startswith(f"{PREFIX}:") else rest
        query = normalise(self.engine, rest, self.default_measure)
        return self.context(query)

    def context(self, query: CostQuery) -> FindingContext:
        """Build the finding context of ``query`` from the store."""
        engine = self.engine
        answer = engine.answer(query)
        plain = replace(query, group_by=None, untagged=query.untagged)
        trend = self._answer_or_none(
            replace(plain, period=PeriodSpec("last_days", days=TREND_DAYS))
        )
        mtd = self._answer_or_none(replace(plain, period=PeriodSpec("mtd")))
        daily = trend.daily if trend else ()
        last_day, last_cost = daily[-1] if daily else (None, None)
        question = query_text(query, default_measure=self.default_measure)
        about = query.describe()
        cur = answer.currency
        spent = format_money(answer.total, cur)
        when = _dates(answer)
        if answer.previous_total:
            change = (
                f"{format_change(answer.total, answer.previous_total)} against "
                f"{format_money(answer.previous_total, cur)} in the previous period"
            )
        else:
            change = "no spend in the previous period to compare with"
        what = f"/cost {question}: {spent} from {when} ({change})."
        if answer.groups and query.group_by:
            top = answer.groups[0]
            what += f" Largest {query.group_by}: {top.key} at {format_money(top.cost, cur)}."
        located = {LOCATION_DIMENSIONS[k]: v for k, v in query.filters if k in LOCATION_DIMENSIONS}
        tags = {k: v for k, v in query.filters if k not in LOCATION_DIMENSIONS}
        for name in ("account", "region"):
            if name not in located:
                located[name] = self._single(plain, name)
        for key in CONTEXT_TAGS:
            if key not in tags:
                tags[key] = self._single(plain, key)
        tags = {k: v for k, v in tags.items() if v}
        return FindingContext(
            finding_id=finding_id_for(query, self.default_measure),
            kind="cost answer",
            ref=f"{PREFIX}:{question}",
            title=f"Cost review: {about} — {spent}",
            what_happened=what,
            recommended_action=_recommendation(query, self.default_measure),
            resource_id=located.get("resource_id", ""),
            account=located.get("account", ""),
            region=located.get("region", ""),
            tags=tags,
            currency=cur,
            spend_yesterday=last_cost,
            spend_day=last_day,
            spend_mtd=mtd.total if mtd else None,
            daily=daily,
            impact=answer.total,
            impact_label=f"burned {when}",
            priority=_priority(answer),
            observed_at=answer.data_through,
            measure=answer.measure,
        )

    def _answer_or_none(self, query: CostQuery) -> CostAnswer | None:
        """Answer, or None when the period has no data yet (a month not yet billed)."""
        try:
            return self.engine.answer(query)
        except NoDataYet:
            return None

    def _single(self, query: CostQuery, dim: str) -> str:
        """Return the one value ``dim`` takes in the question's spend ('' if several or none)."""
        try:
            answer = self.engine.answer(replace(query, group_by=dim, untagged=None, top=2))
        except CostbotError:
            return ""
        keys = [g.key for g in answer.groups if not g.is_other and g.cost]
        if len(keys) != 1 or answer.group_count > 1:
            return ""
        return "" if keys[0] in (NO_TAG.format(key=dim), "(none)") else keys[0]


def _dates(answer: CostAnswer) -> str:
    start, end = answer.start.isoformat(), answer.end.isoformat()
    return start if start == end else f"{start} to {end}"


def _priority(answer: CostAnswer) -> str:
    """High when spend grew by half or more against the previous period."""
    if answer.previous_total > 0 and answer.total * 2 >= answer.previous_total * 3:
        return "High"
    return "Medium"


def _recommendation(query: CostQuery, default_measure: str) -> str:
    filters = dict(query.filters)
    if "resource" in filters:
        return (
            f"Check whether {filters['resource']} is still needed; stop, schedule or "
            "right-size it, and tag it with its team and owner."
        )
    if query.untagged is not None:
        return "Tag the untagged resources with their team and project so their spend has an owner."
    who = filters.get("team") or filters.get("project") or "the owners"
    by = "resource" if query.group_by == "service" else "service"
    breakdown = query_text(replace(query, group_by=by), default_measure=default_measure)
    return (
        f"Review this spend with {who}: confirm it is expected, and stop or right-size what is "
        f"not needed. Break it down with /cost {breakdown}."
    )
