"""The `/cost` grammar, shared by Slack and the terminal.

    cost [FILTER ...] [by DIM] [PERIOD] [untagged [KEY ...]] [top N] [measure M] [share]

FILTER is ``DIM VALUE`` where DIM is a column (service, account, region …) or
any tag key in the store (team, project …); values with spaces go in quotes.
``tag:KEY VALUE`` (or ``tag KEY VALUE``) always means the tag, ``dim:NAME VALUE``
always the built-in column: a tag key spelled like a dimension (a ``service``
tag) is never confused with it. Where a bare word is both, the value decides,
and the reply says so; when the value cannot decide (or for ``by``), the parser
asks which one is meant (:class:`AskBack`).
PERIOD is today, yesterday, last 7d, last 30d, mtd (default), last month,
2024-09 or 2024-09-01..2024-09-15. Anything not understood raises
:class:`QueryParseError` with a reason and "did you mean" suggestions drawn
from the keys and values that exist in the store.
"""

from __future__ import annotations

import difflib
import re
import shlex
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date

from bot.costs.model import (
    MEASURES,
    TAG_PREFIX,
    CostQuery,
    PeriodSpec,
    is_tag_field,
    tag_field,
    tag_key_of,
)
from bot.errors import CostbotError

DIM_PREFIX = "dim:"

# dimension words users type -> canonical dimension
DIMENSION_WORDS: dict[str, str] = {
    "service": "service",
    "services": "service",
    "account": "account",
    "accounts": "account",
    "subaccount": "account",
    "provider": "provider",
    "region": "region",
    "regions": "region",
    "resource": "resource",
    "resources": "resource",
    "type": "resource_type",
    "resource_type": "resource_type",
    "instance_type": "resource_type",
    "sku": "sku",
    "usage_type": "sku",
    "category": "service_category",
    "service_category": "service_category",
    "charge": "charge_category",
    "charge_category": "charge_category",
    "pricing": "pricing_category",
    "pricing_category": "pricing_category",
    "billing_account": "billing_account",
    "payer": "billing_account",
    "currency": "currency",
}
MEASURE_WORDS = {
    "billed": "billed",
    "unblended": "billed",
    "invoiced": "billed",
    "effective": "effective",
    "amortized": "effective",
    "amortised": "effective",
    "list": "list",
    "ondemand": "list",
    "on-demand": "list",
}
KEYWORDS = (
    "help",
    "by",
    "untagged",
    "last",
    "today",
    "yesterday",
    "mtd",
    "top",
    "measure",
    "share",
    "tag",
    "this",
)
MAX_TOP = 50
EXAMPLES = (
    "team ai-research",
    "project llm-training last 30d",
    "by team",
    "by service last month",
    "team ai-research by service",
    "untagged",
    "service AmazonEC2 by resource last 7d",
    "2024-09-01..2024-09-15 by account",
)

_LAST_RE = re.compile(r"^(\d{1,4})\s*(d|day|days|w|week|weeks|m|month|months)?$")
_MONTH_RE = re.compile(r"^(\d{4})-(\d{2})$")
_RANGE_RE = re.compile(r"^(\d{4}-\d{2}-\d{2})\.\.(\d{4}-\d{2}-\d{2})$")
_DAY_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class QueryParseError(CostbotError):
    """The words could not be read as a cost question."""

    def __init__(self, reason: str, suggestions: Sequence[str] = ()) -> None:
        super().__init__(reason)
        self.reason = reason
        self.suggestions = list(suggestions)

    def __str__(self) -> str:
        if self.suggestions:
            return f"{self.reason} Did you mean: {', '.join(self.suggestions)}?"
        return self.reason


class AskBack(QueryParseError):
    """The words have several readings; ``readings`` pairs a label with a question text each.

    A subclass of :class:`QueryParseError`, so callers that only know parse errors
    still say why; Slack offers one button per reading, the CLI lists them.
    """

    def __init__(self, reason: str, readings: Sequence[tuple[str, str]]) -> None:
        super().__init__(reason, [text for _, text in readings])
        self.readings = list(readings)


@dataclass(frozen=True)
class HelpRequest:
    """The user asked for help (``help`` or nothing at all)."""


@dataclass
class Vocabulary:
    """What exists in the store, for validation and "did you mean".

    ``tag_values`` maps canonical tag keys to their values; ``dimension_values``
    maps dimensions (service, account, region …) to their values, where a value
    may have several spellings (a service's name and its code) resolving to one.
    """

    tag_values: Mapping[str, Sequence[str]] = field(default_factory=dict)
    dimension_values: Mapping[str, Sequence[str]] = field(default_factory=dict)
    tag_aliases: Mapping[str, str] = field(default_factory=dict)

    def dimension_of(self, word: str) -> str | None:
        """Return the dimension or tag key a word names, if any."""
        low = word.lower()
        if low in DIMENSION_WORDS:
            return DIMENSION_WORDS[low]
        low = self.tag_aliases.get(low, low)
        for prefix in ("user:", "tag:"):
            low = low.removeprefix(prefix)
        if low in self.tag_values:
            return low
        return None

    def known_words(self) -> list[str]:
        """Every dimension word and tag key, for suggestions."""
        return sorted(set(DIMENSION_WORDS) | set(self.tag_values) | set(KEYWORDS))

    def values_of(self, dim: str) -> Sequence[str]:
        """Return the known values of a field: a dimension, a tag key or ``tag:KEY``."""
        if is_tag_field(dim):
            return self.tag_values.get(tag_key_of(dim), ())
        return self.dimension_values.get(dim, ())

    def spellings(self, dim: str, value: str) -> list[str]:
        """Return the stored values of a field equal to ``value`` ignoring case (cached index)."""
        cache: dict[str, dict[str, list[str]]] = self.__dict__.setdefault("_lower_index", {})
        index = cache.get(dim)
        if index is None:
            index = {}
            for v in self.values_of(dim):
                index.setdefault(v.lower(), []).append(v)
            cache[dim] = index
        return index.get(value.lower(), [])

    def clashing_dimensions(self) -> set[str]:
        """Return the dimensions a tag key is also spelled as (write them ``dim:NAME``)."""
        return {dim for word, dim in DIMENSION_WORDS.items() if self.clashes(word)}

    def clashes(self, word: str) -> str | None:
        """Return the tag key a dimension word is also spelled as (``service``), if any."""
        low = word.lower()
        if low not in DIMENSION_WORDS:
            return None
        key = self.tag_aliases.get(low, low)
        return key if key in self.tag_values else None


def suggest(word: str, candidates: Iterable[str], n: int = 3) -> list[str]:
    """Return close matches for a word (case-insensitive), closest first."""
    pool = {c.lower(): c for c in candidates if c}
    found = difflib.get_close_matches(word.lower(), list(pool), n=n, cutoff=0.6)
    if not found:
        found = [k for k in pool if word.lower() in k or (len(k) > 3 and k in word.lower())][:n]
    return [pool[f] for f in found]


def tokenize(text: str) -> list[str]:
    """Split on spaces, honouring quotes (straight or Slack's curly quotes)."""
    text = text.replace("\u201c", '"').replace("\u201d", '"').replace("\u2018", "'")
    text = text.replace("\u2019", "'").replace("\u00a0", " ")
    try:
        return shlex.split(text)
    except ValueError as exc:
        raise QueryParseError(f"unbalanced quotes in {text.strip()!r}.") from exc


def is_help(text: str) -> bool:
    """Tell whether the text asks for help (``help`` or nothing at all)."""
    words = text.split()
    return not words or (len(words) == 1 and words[0].lower() in ("help", "?", "-h", "--help"))


def parse(
    text: str,
    vocab: Vocabulary,
    *,
    default_measure: str = "effective",
    default_top: int = 10,
    suggestions: bool = True,
) -> CostQuery | HelpRequest:
    """Parse the words after ``/cost`` (or ``costbot cost``) into a query.

    ``suggestions=False`` skips the "did you mean" search (over up to every value
    in the bill) for a first attempt whose error may not be shown at all.
    """
    words = tokenize(text)
    if not words or (len(words) == 1 and words[0].lower() in ("help", "?", "-h", "--help")):
        return HelpRequest()
    p = _Parser(words, vocab, suggestions=suggestions)
    p.top = default_top
    return p.run(default_measure)


class _Parser:
    def __init__(self, words: list[str], vocab: Vocabulary, *, suggestions: bool = True) -> None:
        self.suggestions = suggestions
        self.words = words
        self.i = 0
        self.vocab = vocab
        self.filters: list[tuple[str, str]] = []
        self.group_by: str | None = None
        self.period: PeriodSpec | None = None
        self.untagged: tuple[str, ...] | None = None
        self.top = 10
        self.measure: str | None = None
        self.share = False
        self.notes: list[str] = []

    def _suggest(self, word: str, candidates: Iterable[str], n: int = 3) -> list[str]:
        """Find "did you mean" candidates, unless asked not to (a first, fast attempt)."""
        return suggest(word, candidates, n) if self.suggestions else []

    def peek(self) -> str | None:
        return self.words[self.i] if self.i < len(self.words) else None

    def take(self, what: str) -> str:
        word = self.peek()
        if word is None:
            raise QueryParseError(f"expected {what} at the end.")
        self.i += 1
        return word

    def run(self, default_measure: str) -> CostQuery:
        while (word := self.peek()) is not None:
            low = word.lower()
            if low == "help":
                raise QueryParseError("`help` goes on its own: try `/cost help`.")
            if low == "by":
                self.i += 1
                self._group()
            elif low == "untagged":
                self.i += 1
                self._untagged()
            elif low == "top":
                self.i += 1
                self._top()
            elif low == "measure":
                self.i += 1
                self._measure(self.take("billed, effective or list after `measure`"))
            elif low in MEASURE_WORDS and self.measure is None and self._is_standalone_measure(low):
                self.i += 1
                self._measure(low)
            elif low == "share":
                self.i += 1
                self.share = True
            elif low == "tag":
                self.i += 1
                key = self.take("a tag key after `tag`")
                self._filter(
                    key.lower(), self.take(f"a value after `tag {key}`"), explicit_tag=True
                )
            elif low.startswith(TAG_PREFIX) and len(low) > len(TAG_PREFIX):
                self.i += 1
                key = low[len(TAG_PREFIX) :]
                self._filter(key, self.take(f"a value after `{word}`"), explicit_tag=True)
            elif low.startswith(DIM_PREFIX) and len(low) > len(DIM_PREFIX):
                self.i += 1
                self._filter(self._explicit_dimension(word), self.take(f"a value after `{word}`"))
            elif (period := self._period()) is not None:
                self._set_period(period)
            elif (clash := self.vocab.clashes(word)) is not None:
                self.i += 1
                self._clashing_filter(word, clash, self.take(f"a value after `{word}`"))
            else:
                self.i += 1
                dim = self.vocab.dimension_of(word)
                if dim is None:
                    raise QueryParseError(
                        f"I don't know `{word}`: it is neither a word of the grammar nor a tag key "
                        "in the bill.",
                        self._suggest(word, self.vocab.known_words()),
                    )
                value = self.peek()
                if value is None or value.lower() in ("by", "untagged", "top", "measure", "share"):
                    raise QueryParseError(
                        f"`{word}` needs a value, e.g. `{word} "
                        f"{(self.vocab.values_of(dim) or ['VALUE'])[0]}`.",
                    )
                self.i += 1
                self._filter(dim, value)
        return CostQuery(
            filters=tuple(self.filters),
            group_by=self.group_by,
            period=self.period or PeriodSpec("mtd"),
            measure=self.measure or default_measure,
            untagged=self.untagged,
            top=self.top,
            share=self.share,
            notes=tuple(self.notes),
        )

    def _text_with(self, start: int, end: int, replacement: Sequence[str]) -> str:
        """Return the question with words[start:end] replaced (for the readings of AskBack)."""
        words = [*self.words[:start], *replacement, *self.words[end:]]
        return " ".join(_quote(w) for w in words)

    def _explicit_dimension(self, word: str) -> str:
        name = word.lower()[len(DIM_PREFIX) :]
        dim = DIMENSION_WORDS.get(name)
        if dim is None:
            raise QueryParseError(
                f"`{word}`: no built-in dimension `{name}`.",
                [f"{DIM_PREFIX}{d}" for d in self._suggest(name, DIMENSION_WORDS)],
            )
        return dim

    def _clashing_filter(self, word: str, key: str, value: str) -> None:
        """Read ``service payments`` where ``service`` is a dimension and a tag key: by value."""
        dim = DIMENSION_WORDS[word.lower()]
        in_dim = bool(self.vocab.spellings(dim, value))
        in_tag = bool(self.vocab.spellings(tag_field(key), value))
        if in_dim != in_tag:
            field_ = dim if in_dim else tag_field(key)
            other = f"tag:{key}" if in_dim else f"dim:{word.lower()}"
            self.notes.append(
                f"`{word}` is both a built-in dimension and a tag key; `{value}` is only a value "
                f"of the {'dimension' if in_dim else 'tag'}, so I read it that way "
                f"(say `{other} …` for the other)."
            )
            self._filter(field_, value, explicit_tag=not in_dim)
            return
        start = self.i - 2
        readings = [
            (f"the built-in {dim}", self._text_with(start, self.i, [f"dim:{dim}", value])),
            (f"the tag `{key}`", self._text_with(start, self.i, [f"tag:{key}", value])),
        ]
        why = "is a value of both" if in_dim else "is a value of neither"
        raise AskBack(
            f"`{word}` is both a built-in dimension and a tag key in the bill, and `{value}` "
            f"{why}: which one do you mean?",
            readings,
        )

    def _is_standalone_measure(self, low: str) -> bool:
        # `list` or `billed` alone is a measure; as a tag key it would be followed by a value.
        return self.vocab.dimension_of(low) is None

    def _measure(self, word: str) -> None:
        m = MEASURE_WORDS.get(word.lower())
        if m is None:
            raise QueryParseError(
                f"unknown measure `{word}`; use one of {', '.join(MEASURES)}.",
                self._suggest(word, MEASURE_WORDS),
            )
        self.measure = m

    def _group(self) -> None:
        word = self.take("a dimension after `by` (e.g. `by team`, `by service`)")
        low = word.lower()
        if low.startswith(TAG_PREFIX) and len(low) > len(TAG_PREFIX):
            key = self.vocab.tag_aliases.get(low[len(TAG_PREFIX) :], low[len(TAG_PREFIX) :])
            if key not in self.vocab.tag_values:
                raise QueryParseError(
                    f"cannot group by `{word}`: no tag key `{key}` in the bill.",
                    [f"by tag:{k}" for k in self._suggest(key, self.vocab.tag_values)],
                )
            self._set_group(tag_field(key))
            return
        if low.startswith(DIM_PREFIX) and len(low) > len(DIM_PREFIX):
            self._set_group(self._explicit_dimension(word))
            return
        if (clash := self.vocab.clashes(word)) is not None:
            builtin = DIMENSION_WORDS[low]
            raise AskBack(
                f"`{word}` is both a built-in dimension and a tag key in the bill: "
                "group by which one?",
                [
                    (
                        f"by the built-in {builtin}",
                        self._text_with(self.i - 1, self.i, [f"dim:{builtin}"]),
                    ),
                    (
                        f"by the tag `{clash}`",
                        self._text_with(self.i - 1, self.i, [f"tag:{clash}"]),
                    ),
                ],
            )
        dim = self.vocab.dimension_of(word)
        if dim is None:
            raise QueryParseError(
                f"cannot group by `{word}`: not a dimension or a tag key in the bill.",
                self._suggest(word, [*DIMENSION_WORDS, *self.vocab.tag_values]),
            )
        self._set_group(dim)

    def _set_group(self, dim: str) -> None:
        if self.group_by is not None:
            raise QueryParseError("only one `by` per question.")
        self.group_by = dim

    def _untagged(self) -> None:
        keys: list[str] = []
        while (word := self.peek()) is not None:
            low = self.vocab.tag_aliases.get(word.lower(), word.lower())
            if low in self.vocab.tag_values:
                keys.append(low)
                self.i += 1
            elif low not in KEYWORDS and self._is_tag_like(low):
                raise QueryParseError(
                    f"no tag key `{word}` in the bill.", self._suggest(word, self.vocab.tag_values)
                )
            else:
                break
        self.untagged = tuple(keys)

    def _is_tag_like(self, low: str) -> bool:
        """A word after `untagged` that is no keyword, period or dimension is taken as a key."""
        if low in DIMENSION_WORDS or low in MEASURE_WORDS:
            return False
        return self._period_at(self.i) is None

    def _top(self) -> None:
        word = self.take("a number after `top`")
        if not word.isdigit() or not 1 <= int(word) <= MAX_TOP:
            raise QueryParseError(f"`top` takes a number from 1 to {MAX_TOP}, not `{word}`.")
        self.top = int(word)

    def _filter(self, dim: str, value: str, *, explicit_tag: bool = False) -> None:
        if explicit_tag:
            key = tag_key_of(dim)
            key = self.vocab.tag_aliases.get(key, key)
            if key not in self.vocab.tag_values:
                raise QueryParseError(
                    f"no tag `{key}` in the bill.", self._suggest(key, self.vocab.tag_values)
                )
            dim = tag_field(key)
        known = self.vocab.values_of(dim)
        label = "tag" if is_tag_field(dim) else "dimension"
        shown = tag_key_of(dim)
        # Prefer the exact spelling; a value that differs only in case is said, never hidden.
        any_case = self.vocab.spellings(dim, value)
        same_case = [v for v in any_case if v == value]
        if same_case:
            match = same_case[0]
            others = [v for v in any_case if v != match]
            if others:
                self.notes.append(
                    f"{label} `{shown}` also has "
                    + ", ".join(f"`{o}`" for o in others)
                    + f", which differs from `{match}` only in case; ask "
                    + " or ".join(f"`{shown} {_quote(o)}`" for o in others)
                    + " for that spend."
                )
        elif len(any_case) == 1:
            match = any_case[0]
        elif any_case:
            where = self.i - 1
            start = where - 1 if where >= 1 else where
            readings = [
                (f"{shown} {v}", self._text_with(start, where + 1, [dim, v])) for v in any_case[:3]
            ]
            raise AskBack(
                f"{label} `{shown}` has "
                + " and ".join(f"`{v}`" for v in any_case)
                + f", which differ only in case: which one do you mean by `{value}`?",
                readings,
            )
        else:
            close = self._suggest(value, known)
            raise QueryParseError(
                f"no {label} `{shown}` with value `{value}` in the bill.",
                [f"{dim} {_quote(c)}" for c in close],
            )
        if any(d == dim for d, _ in self.filters):
            raise QueryParseError(f"`{dim}` is given twice; ask about one value at a time.")
        self.filters.append((dim, match))

    def _set_period(self, period: PeriodSpec) -> None:
        if self.period is not None:
            raise QueryParseError("only one period per question (e.g. `last 30d` or `2024-09`).")
        self.period = period

    def _period(self) -> PeriodSpec | None:
        found = self._period_at(self.i)
        if found is None:
            return None
        spec, used = found
        self.i += used
        return spec

    def _period_at(self, i: int) -> tuple[PeriodSpec, int] | None:
        if i >= len(self.words):
            return None
        low = self.words[i].lower()
        nxt = self.words[i + 1].lower() if i + 1 < len(self.words) else None
        if low in ("today", "yesterday", "mtd"):
            return PeriodSpec(low), 1
        if low == "this" and nxt == "month":
            return PeriodSpec("mtd"), 2
        if low == "last":
            if nxt in ("month",):
                return PeriodSpec("last_month"), 2
            if nxt is None:
                raise QueryParseError("`last` needs a length: `last 7d`, `last 30d`, `last month`.")
            third = self.words[i + 2].lower() if i + 2 < len(self.words) else None
            m = _LAST_RE.match(nxt)
            used = 2
            if m and m.group(2) is None and third in ("d", "day", "days", "w", "week", "weeks"):
                m = _LAST_RE.match(nxt + third)
                used = 3
            if not m:
                digits = re.match(r"^\d+", nxt)
                options = [f"last {digits.group(0)}d"] if digits else []
                options += [f"last {s}" for s in self._suggest(nxt, ["7d", "30d", "90d", "month"])]
                raise QueryParseError(
                    f"cannot read `last {nxt}`; try `last 7d`, `last 30d` or `last month`.",
                    options,
                )
            n, unit = int(m.group(1)), (m.group(2) or "d")[0]
            days = n * {"d": 1, "w": 7, "m": 30}[unit]
            if not 1 <= days <= 3660:
                raise QueryParseError("`last` covers 1 to 3660 days.")
            return PeriodSpec("last_days", days=days), used
        if re.match(r"^\d{4}", low) and not 1971 <= int(low[:4]) <= 9998:
            raise QueryParseError(f"`{low}`: years from 1971 to 9998, please.")
        if m := _MONTH_RE.match(low):
            try:
                return PeriodSpec("month", start=date(int(m.group(1)), int(m.group(2)), 1)), 1
            except ValueError as exc:
                raise QueryParseError(f"`{low}` is not a month.") from exc
        if m := _RANGE_RE.match(low):
            try:
                start, end = date.fromisoformat(m.group(1)), date.fromisoformat(m.group(2))
            except ValueError as exc:
                raise QueryParseError(f"`{low}` holds a date that does not exist.") from exc
            if end < start:
                raise QueryParseError(f"`{low}` ends before it starts.")
            return PeriodSpec("range", start=start, end=end), 1
        if _DAY_RE.match(low):
            try:
                day = date.fromisoformat(low)
            except ValueError as exc:
                raise QueryParseError(f"`{low}` is not a date.") from exc
            return PeriodSpec("range", start=day, end=day), 1
        return None


def _quote(value: str) -> str:
    return f'"{value}"' if any(c.isspace() for c in value) else value


def examples_for(vocab: Vocabulary, limit: int = 6) -> list[str]:
    """Build examples from the user's own tag keys and values (for help texts)."""
    out: list[str] = []
    keys = [k for k in ("team", "project", "environment") if vocab.tag_values.get(k)]
    keys += [k for k in sorted(vocab.tag_values) if k not in keys and vocab.tag_values[k]]
    if keys:
        k = keys[0]
        out.append(f"{k} {_quote(vocab.tag_values[k][0])}")
        out.append(f"by {k}")
    if len(keys) > 1:
        k2 = keys[1]
        out.append(f"{k2} {_quote(vocab.tag_values[k2][0])} last 30d")
    services = vocab.dimension_values.get("service") or []
    if services:
        out.append(f"service {_quote(services[0])} by resource last 7d")
    out += ["by service last month", "untagged"]
    return out[:limit] if out else list(EXAMPLES[:limit])
