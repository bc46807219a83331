"""The finding port: what a ticket needs to know, and where findings come from.

Register a source for each kind of finding (by id prefix) and every ticket
surface works for it::

    registry.register("idle", IdleFindingSource(services))   # ids "idle:…"

A source's ``lookup(finding_id)`` returns a :class:`FindingContext` (or None when
the finding is unknown). Everything in it is plain data: amounts are integer
nano-units, dates are dates, and the description renderers
(:mod:`bot.blocks.jira_description`) decide how to show them.
"""

from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Protocol

from bot.errors import CostbotError


class UnknownFinding(CostbotError):
    """No source knows this finding id."""


@dataclass(frozen=True)
class FindingContext:
    """Everything a ticket about one finding says: what, where, who, how much, what to do.

    ``finding_id`` is stable across runs (the dedup key); ``ref`` is what a button
    or the terminal gave (it may be a longer form of the id, e.g. a question).
    ``impact`` is the $ at stake, labelled by ``impact_label`` ("saves per day",
    "burned since 03:10 UTC", "over budget" …). ``daily`` is the 14-day trend,
    oldest first. Tags carry team / owner / project (empty when unknown).
    """

    finding_id: str
    kind: str
    title: str
    what_happened: str
    recommended_action: str
    ref: str = ""
    resource_id: str = ""
    account: str = ""
    region: str = ""
    tags: dict[str, str] = field(default_factory=dict)
    currency: str = "USD"
    spend_yesterday: int | None = None
    spend_mtd: int | None = None
    daily: tuple[tuple[date, int], ...] = ()
    impact: int | None = None
    impact_label: str = "impact"
    priority: str = "Medium"
    spend_day: date | None = None  # the day spend_yesterday is for (the last day with data)
    observed_at: datetime | None = None
    measure: str = "effective"

    @property
    def team(self) -> str:
        """Return the team tag ('' when untagged)."""
        return self.tags.get("team", "")

    @property
    def owner(self) -> str:
        """Return the owner tag ('' when untagged)."""
        return self.tags.get("owner", "")

    @property
    def project_tag(self) -> str:
        """Return the project tag ('' when untagged)."""
        return self.tags.get("project", "")


class FindingSource(Protocol):
    """Turn a finding id (with this source's prefix) into its context."""

    def lookup(self, finding_id: str) -> FindingContext | None:
        """Return the finding's context, or None when there is no such finding."""
        ...


class FindingRegistry:
    """Dispatch finding ids to sources by the prefix before the first ``:``."""

    def __init__(self) -> None:
        self._sources: dict[str, FindingSource] = {}
        self._lock = threading.Lock()

    def register(self, prefix: str, source: FindingSource) -> None:
        """Serve ids ``<prefix>:…`` from ``source`` (a later registration replaces it)."""
        if not prefix or ":" in prefix:
            raise ValueError(f"a finding prefix is a word without ':' (got {prefix!r})")
        with self._lock:
            self._sources[prefix] = source

    def prefixes(self) -> tuple[str, ...]:
        """Return the registered prefixes, sorted."""
        with self._lock:
            return tuple(sorted(self._sources))

    def lookup(self, finding_id: str) -> FindingContext:
        """Return the context of ``finding_id``; raise UnknownFinding naming what is known."""
        prefix, sep, rest = finding_id.strip().partition(":")
        with self._lock:
            source = self._sources.get(prefix) if sep and rest else None
        known = ", ".join(f"{p}:…" for p in self.prefixes()) or "none registered"
        if source is None:
            raise UnknownFinding(
                f"{finding_id!r} is not a finding id I know (ids look like {known})"
            )
        context = source.lookup(finding_id.strip())
        if context is None:
            raise UnknownFinding(f"no finding {finding_id!r}: it may have expired or been resolved")
        return context

    def mark_resolved(self, finding_id: str) -> None:
        """Tell the finding's source its ticket is done, if the source wants to know.

        A source may define ``mark_resolved(finding_id)``; sources without it are skipped.
        """
        prefix = finding_id.partition(":")[0]
        with self._lock:
            source = self._sources.get(prefix)
        hook = getattr(source, "mark_resolved", None)
        if callable(hook):
            hook(finding_id)


def finding_label(finding_id: str) -> str:
    """Return the Jira label that carries a finding id: ``costbot-f-<12 hex>``.

    Labels cannot hold spaces and JQL treats ``:`` specially, so the id is hashed;
    the id itself is also written in the description.
    """
    return "costbot-f-" + hashlib.sha256(finding_id.encode()).hexdigest()[:12]
