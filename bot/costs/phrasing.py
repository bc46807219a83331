"""Read a question asked the way one asks a colleague into the same :class:`CostQuery`.

"what did ai-research spend on SageMaker last week?" becomes team ai-research ·
service Amazon SageMaker · 2026-11-16..2026-11-22. Offline and deterministic:
no model, no network, only the words below (:mod:`bot.costs.phrase_words`) and
the store's own vocabulary (tag keys and values, services, accounts, regions,
resources, instance types), indexed once per ingest.

How a question is read, left to right, longest phrase first: periods ("last
week", "in October", "Q3", "since 2026-10-01", "between … and …"), comparisons
("vs last month"), groupings ("by team", "per service", "which team … the most",
"top 5 services", "biggest movers", "what grew the most"), negations
("excluding support", "not S3"), untagged, measures, pricing words (spot,
on-demand, savings plan), GPU words and instance families (p4d, g5), then
values from the bill (a tag value on its own, a service by the name people use).
Filler words are skipped. Nothing is dropped silently:

* a word that is neither filler nor known is corrected to the closest word of
  the vocabulary when exactly one is close (and the reply says so), otherwise
  the question is not answered and "did you mean" lists the closest words;
* a value with several readings (a team and a project both called ``x``) asks
  back with up to three readings (:class:`~bot.costs.grammar.AskBack`).
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

from bot.costs.grammar import (
    DIMENSION_WORDS,
    AskBack,
    QueryParseError,
    Vocabulary,
    suggest,
)
from bot.costs.model import (
    TAG_PREFIX,
    CostQuery,
    PeriodSpec,
    is_tag_field,
    tag_field,
    tag_key_of,
)
from bot.costs.phrase_words import (
    COMPARATORS,
    FAMILY,
    FIELD_PHRASES,
    FIELD_WORDS,
    FILLER,
    GPU_PHRASES,
    GPU_TYPE,
    GROUP_INTROS,
    GROWTH_PHRASES,
    MEASURE_PHRASES,
    MONTHS,
    MOST_PHRASES,
    MOVERS_PHRASES,
    NEGATIONS,
    NUMBER_WORDS,
    PRICING_PHRASES,
    SERVICE_ALIASES,
    UNIT_DAYS,
    UNTAGGED_PHRASES,
)

MAX_PHRASE = 6
MAX_TOP = 50
SORT_WORDS = frozenset({"cost", "costs", "spend", "spending", "amount", "size", "total"})
CONNECTORS = frozenset({"and", "or", "&", "+", ",", "/", "plus", "nor", "either"})
PERIOD_STARTERS = frozenset(
    {
        "today",
        "yesterday",
        "this",
        "last",
        "past",
        "previous",
        "prior",
        "mtd",
        "ytd",
        "qtd",
        "month",
        "year",
        "quarter",
        "since",
        "between",
        "from",
        "so",
        *MONTHS,
    }
)
_ISO_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_ISO_MONTH = re.compile(r"^\d{4}-\d{2}$")
_ISO_RANGE = re.compile(r"^(\d{4}-\d{2}-\d{2})\.\.(\d{4}-\d{2}-\d{2})$")
_QUARTER = re.compile(r"^(?:(\d{4})-?)?q([1-4])(?:-?(\d{4}))?$")
_LAST_N = re.compile(r"^(\d{1,4})(d|w|m|day|days|week|weeks|month|months)?$")
_YEAR = re.compile(r"^(19[7-9]\d|2\d{3})$")
_DAY_NUMBER = re.compile(r"^(\d{1,2})(st|nd|rd|th)?$")
_STRIP = "?!,;:()[]{}\"'“”‘’"


@dataclass(frozen=True)
class _Token:
    orig: str
    low: str


@dataclass
class _Candidate:
    """One reading of a phrase: a field and the stored values it stands for."""

    field: str
    values: tuple[str, ...]
    label: str


@dataclass
class _Index:
    """The store's vocabulary as phrases, built once per vocabulary."""

    phrases: dict[tuple[str, ...], list[_Candidate]]
    keys: dict[str, str]  # a word naming a tag key -> its field (team, tag:service)
    correctable: dict[str, set[str]]  # one-deletion variants -> words
    known: set[str]
    gpu_types: tuple[str, ...]
    pricing: dict[str, str]  # lower -> stored pricing category
    absent_services: dict[tuple[str, ...], str]  # an alias whose service is not in the bill


def _index_for(vocab: Vocabulary) -> _Index:
    cached: _Index | None = vocab.__dict__.get("_phrase_index")
    if cached is None:
        cached = _build_index(vocab)
        vocab.__dict__["_phrase_index"] = cached
    return cached


def _phrase_of(text: str) -> tuple[str, ...]:
    return tuple(text.lower().split())


def _build_index(vocab: Vocabulary) -> _Index:
    phrases: dict[tuple[str, ...], list[_Candidate]] = {}

    def add(key: tuple[str, ...], cand: _Candidate) -> None:
        if not key or len(key) > MAX_PHRASE:
            return
        slot = phrases.setdefault(key, [])
        for c in slot:
            if c.field == cand.field:
                if cand.values[0] not in c.values:
                    c.values = (*c.values, *cand.values)
                return
        slot.append(cand)

    for key, values in vocab.tag_values.items():
        f = tag_field(key)
        for v in values:
            add(_phrase_of(v), _Candidate(f, (v,), f"{key} {v}"))
    for dim, values in vocab.dimension_values.items():
        for v in values:
            add(_phrase_of(v), _Candidate(dim, (v,), f"{dim} {v}"))
    services = list(vocab.dimension_values.get("service", ()))
    service_low = {s.lower(): s for s in services}
    absent: dict[tuple[str, ...], str] = {}
    for alias, alternatives in SERVICE_ALIASES.items():
        found: list[str] = []
        for alternative in alternatives:
            spelled = next(
                (
                    service_low[n.lower()]
                    for n in alternative.split("|")
                    if n.lower() in service_low
                ),
                None,
            )
            if spelled and spelled not in found:
                found.append(spelled)
        alias_key = _phrase_of(alias)
        if found:
            # The names people use win over a value spelled the same in another field.
            phrases[alias_key] = [
                _Candidate("service", tuple(found), f"service {' or '.join(found)}")
            ]
        else:
            absent[alias_key] = alternatives[0].split("|")[0]
    for s in services:
        low = s.lower()
        for prefix in ("amazon ", "aws ", "azure ", "google ", "oracle ", "amazon", "aws"):
            if low.startswith(prefix) and len(low) > len(prefix) + 1:
                short = _phrase_of(low[len(prefix) :])
                if short not in phrases:
                    add(short, _Candidate("service", (s,), f"service {s}"))
                break
    types = list(vocab.dimension_values.get("resource_type", ()))
    gpu = tuple(t for t in types if GPU_TYPE.search(t))
    families: dict[str, list[str]] = {}
    for t in types:
        m = FAMILY.match(t)
        fam = m.group(1).lower() if m else None
        if t.lower().startswith("ml.") and t.count(".") >= 2:
            fam = ".".join(t.lower().split(".")[:2])
        if fam:
            families.setdefault(fam, []).append(t)
    for fam, members in families.items():
        if (fam,) not in phrases:
            add((fam,), _Candidate("resource_type", tuple(members), f"instance family {fam}"))
    keys: dict[str, str] = {}
    for key in vocab.tag_values:
        keys[key] = tag_field(key)
        keys[f"{key}s"] = tag_field(key)
        keys[f"{TAG_PREFIX}{key}"] = tag_field(key)
    for alias, key in vocab.tag_aliases.items():
        if key in vocab.tag_values:
            keys.setdefault(alias, tag_field(key))
    pricing = {p.lower(): p for p in vocab.dimension_values.get("pricing_category", ())}
    known: set[str] = set(FILLER) | set(FIELD_WORDS) | set(DIMENSION_WORDS) | set(keys)
    known |= set(MONTHS) | set(NUMBER_WORDS) | set(UNIT_DAYS) | CONNECTORS | PERIOD_STARTERS
    word_lists: Iterable[Iterable[tuple[str, ...]]] = (
        [p for p in phrases if len(p) <= 3 and all(len(w) < 40 for w in p)],
        GROUP_INTROS,
        NEGATIONS,
        COMPARATORS,
        MEASURE_PHRASES,
        PRICING_PHRASES,
        UNTAGGED_PHRASES,
        MOST_PHRASES,
        MOVERS_PHRASES,
        GROWTH_PHRASES,
        GPU_PHRASES,
        FIELD_PHRASES,
        absent,
    )
    for group in word_lists:
        for phrase in group:
            known |= set(phrase)
    known |= {
        "compare",
        "comparing",
        "week",
        "weeks",
        "month",
        "months",
        "quarter",
        "year",
        "to",
        "date",
        "until",
        "through",
        "thru",
        "which",
        "who",
        "top",
        "share",
        "expensive",
        "before",
        "preceding",
        "period",
        "tag",
        "tags",
        "spenders",
        "much",
    }
    correctable: dict[str, set[str]] = {}
    for word in known:
        if len(word) < 4 or any(c.isdigit() for c in word) or len(word) > 30:
            continue
        for variant in _deletions(word) | {word}:
            correctable.setdefault(variant, set()).add(word)
    for p in phrases:
        known |= set(p)
    return _Index(phrases, keys, correctable, known, gpu, pricing, absent)


def _deletions(word: str) -> set[str]:
    return {word[:i] + word[i + 1 :] for i in range(len(word))}


def _distance(a: str, b: str) -> int:
    """Damerau-Levenshtein distance (optimal string alignment), for a handful of candidates."""
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb))
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                cur[j] = min(cur[j], prev2[j - 2] + 1)
        prev2, prev = prev, cur
    return prev[-1]


def _tokenize(text: str) -> list[_Token]:
    text = text.replace("\u201c", '"').replace("\u201d", '"').replace("\u00a0", " ")
    text = text.replace("\u2019", "'").replace("\u2018", "'")
    out: list[_Token] = []
    for m in re.finditer(r'"([^"]*)"|(\S+)', text):
        if m.group(1) is not None:
            inner = m.group(1).strip()
            if inner:
                out.append(_Token(inner, inner.lower()))
            continue
        raw = m.group(2)
        for piece in re.split(r",(?!\d)", raw):
            word = piece.strip(_STRIP)
            if word.endswith("'s"):
                word = word[:-2]
            if word.endswith(".") and not _ISO_RANGE.match(word):
                word = word.rstrip(".")
            if word:
                out.append(_Token(word, word.lower()))
            if piece is not raw and piece != raw.split(",")[-1]:
                out.append(_Token(",", ","))
    return out


@dataclass
class _State:
    filters: list[tuple[str, str]] = field(default_factory=list)
    excludes: list[tuple[str, str]] = field(default_factory=list)
    group_by: str | None = None
    top: int | None = None
    rank: str = "cost"
    most: bool = False
    period: PeriodSpec | None = None
    compare: PeriodSpec | None = None
    measure: str | None = None
    untagged: tuple[str, ...] | None = None
    share: bool = False
    notes: list[str] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)
    last_field: str | None = None
    negating: bool = False


class _Reader:
    def __init__(
        self, text: str, vocab: Vocabulary, today: date, week_start: int, index: _Index
    ) -> None:
        self.text = text
        self.vocab = vocab
        self.today = today
        self.week_start = week_start
        self.ix = index
        self.toks = _tokenize(text)
        self.low = [t.low for t in self.toks]
        self.s = _State()

    # -- helpers ---------------------------------------------------------------------------

    def at(self, i: int, phrase: Sequence[str]) -> bool:
        return tuple(self.low[i : i + len(phrase)]) == tuple(phrase)

    def match_any(self, i: int, phrases: Iterable[Sequence[str]]) -> int:
        """Return the length of the longest phrase found at ``i`` (0 if none)."""
        best = 0
        for p in phrases:
            if len(p) > best and self.at(i, p):
                best = len(p)
        return best

    def skip_filler(self, i: int, extra: Iterable[str] = ()) -> int:
        more = set(extra)
        while i < len(self.low) and (
            self.low[i] in ("the", "a", "an", "of") or self.low[i] in more
        ):
            i += 1
        return i

    # -- corrections ----------------------------------------------------------------------

    def correct_typos(self) -> None:
        for n, tok in enumerate(self.toks):
            w = tok.low
            if w in self.ix.known or " " in w or self._is_structural(w):
                continue
            if any(c.isdigit() for c in w) or len(w) < 4 or self._in_phrase(n):
                continue
            candidates: set[str] = set()
            for variant in _deletions(w) | {w}:
                candidates |= self.ix.correctable.get(variant, set())
            limit = 1 if len(w) <= 5 else 2
            scored = sorted((_distance(w, c), c) for c in candidates)
            scored = [(d, c) for d, c in scored if d <= limit]
            if scored and (len(scored) == 1 or scored[0][0] < scored[1][0]):
                fixed = scored[0][1]
                self.toks[n] = _Token(fixed, fixed)
                self.low[n] = fixed
                self.s.notes.append(
                    f"`{tok.orig}` is not a word I know: did you mean `{fixed}`? I read it so."
                )
                continue
            tied = [c for d, c in scored if d == scored[0][0]] if scored else []
            if 2 <= len(tied) <= 3 and not any(c in FILLER for c in tied):
                # Two words of the bill are equally close: ask, one button per word.
                raise AskBack(
                    f"`{tok.orig}` is not a word I know: did you mean "
                    + " or ".join(f"`{c}`" for c in tied)
                    + "?",
                    [(c, self._replaced(n, n + 1, c)) for c in tied],
                )

    def close_words(self, w: str) -> list[str]:
        """Return the words of the vocabulary within two edits of ``w``, closest first.

        A look-up in the one-deletion index (both sides deleted: substitutions and
        swapped letters included), so it costs microseconds however large the bill.
        """
        candidates: set[str] = set()
        for variant in _deletions(w) | {w}:
            candidates |= self.ix.correctable.get(variant, set())
        limit = 1 if len(w) <= 5 else 2
        scored = sorted((_distance(w, c), c) for c in candidates if c not in FILLER and c != w)
        return [c for d, c in scored if d <= limit]

    def _in_phrase(self, n: int) -> bool:
        """Tell whether token n belongs to a known multi-word value (left alone)."""
        for start in range(max(0, n - MAX_PHRASE + 1), n + 1):
            for end in range(n + 1, min(len(self.low), start + MAX_PHRASE) + 1):
                if tuple(self.low[start:end]) in self.ix.phrases:
                    return True
        return False

    @staticmethod
    def _is_structural(w: str) -> bool:
        return bool(
            _ISO_DAY.match(w)
            or _ISO_MONTH.match(w)
            or _ISO_RANGE.match(w)
            or _QUARTER.match(w)
            or _LAST_N.match(w)
            or w.startswith(TAG_PREFIX)
            or w.startswith("dim:")
        )

    # -- the scan --------------------------------------------------------------------------

    def run(self) -> None:
        self.correct_typos()
        i = 0
        while i < len(self.low):
            used = self.step(i)
            if used == 0:
                self.s.unknown.append(self.toks[i].orig)
                used = 1
            i += used

    def step(self, i: int) -> int:
        w = self.low[i]
        if w in CONNECTORS:
            return 1
        for handler in (
            self.comparison,
            self.untagged,
            self.negation,
            self.period_here,
            self.ranking,
            self.grouping,
            self.measure,
            self.pricing,
            self.gpu,
            self.explicit_field,
            self.value,
        ):
            used = handler(i)
            if used:
                if handler not in (self.negation, self.value, self.explicit_field):
                    self.s.negating = False
                return used
        if w in FILLER or w in FIELD_WORDS or w in self.ix.keys:
            return 1
        if w == "share":
            # Posting for the whole channel only when asked as a command at the end
            # ("… share", "… and share it"), never for "what's the untagged share".
            rest = [x for x in self.low[i + 1 :] if x not in ("it", "this", "please")]
            before = self.low[i - 1] if i else ""
            noun = before in ("untagged", "the", "a", "our", "my", "its", "their", "team")
            self.s.share = self.s.share or (not rest and not noun)
            return 1
        return 0

    # periods and comparisons

    def period_here(self, i: int) -> int:
        found = self.period_at(i)
        if found is None:
            return 0
        spec, used = found
        if self.s.period is not None and self.s.period != spec:
            raise QueryParseError(
                f"two periods in one question ({self.s.period.describe()} and "
                f"{spec.describe()}); for a comparison say e.g. `vs last month`."
            )
        self.s.period = spec
        return used

    def comparison(self, i: int) -> int:
        if self.low[i] in ("compare", "comparing"):
            return self.compare_two(i)
        n = self.match_any(i, COMPARATORS)
        if not n:
            return 0
        j = self.skip_filler(i + n)
        if self.period_at(j) is None and self.s.last_field and self.s.compare is None:
            # "ml-platform vs ai-research": two values of one field side by side.
            field_ = self.s.last_field
            used = self.value(j, only=field_)
            if used:
                self._set_group(field_)
                return j + used - i
        if j < len(self.low) and self.low[j] in ("previous", "prior", "preceding", "period"):
            k = j + 1
            if k < len(self.low) and self.low[k] in ("week", "month", "period", "quarter", "year"):
                k += 1
            return k - i
        if (
            j + 1 < len(self.low)
            and self.low[j + 1] == "before"
            and self.low[j]
            in (
                "week",
                "month",
                "period",
                "day",
                "quarter",
                "year",
            )
        ):
            return j + 2 - i
        found = self.period_at(j)
        if found is None:
            raise QueryParseError(
                "compared with what? Say a period after it, e.g. `vs last month` or "
                "`compared to the previous week`."
            )
        self.s.compare = found[0]
        return j + found[1] - i

    def compare_two(self, i: int) -> int:
        """Read "compare PERIOD to PERIOD" (either may be missing: the default then)."""
        j = self.skip_filler(i + 1)
        first = self.period_at(j)
        if first is None:
            return 1  # "compare EC2 and S3": the values and a "vs" say the rest
        self.period_here(j)
        k = self.skip_filler(j + first[1])
        if k < len(self.low) and self.low[k] in ("to", "with", "against", "and", "vs", "versus"):
            second = self.period_at(self.skip_filler(k + 1))
            if second is not None:
                self.s.compare = second[0]
                return self.skip_filler(k + 1) + second[1] - i
        return j + first[1] - i

    def period_at(self, i: int) -> tuple[PeriodSpec, int] | None:
        low = self.low
        if i >= len(low):
            return None
        w = low[i]
        nxt = low[i + 1] if i + 1 < len(low) else ""
        today = self.today
        if w in ("today", "yesterday"):
            return PeriodSpec(w), 1
        if w in ("mtd", "month-to-date") or (
            (w, nxt) == ("month", "to") and self.at(i, ("month", "to", "date"))
        ):
            return PeriodSpec("mtd"), 3 if w == "month" else 1
        if w == "so" and self.at(i, ("so", "far", "this", "month")):
            return PeriodSpec("mtd"), 4
        if w in ("ytd", "year-to-date") or self.at(i, ("year", "to", "date")):
            return self._range(date(today.year, 1, 1), today), 3 if w == "year" else 1
        if w in ("qtd",) or self.at(i, ("quarter", "to", "date")):
            q = (today.month - 1) // 3
            return self._range(date(today.year, 3 * q + 1, 1), today), 3 if w == "quarter" else 1
        if w == "this":
            if nxt == "month":
                n = 2 + (1 if self.at(i + 2, ("so", "far")) else 0) * 2
                return PeriodSpec("mtd"), n
            if nxt == "week":
                return self._range(self._week_start(today), today), 2
            if nxt == "quarter":
                q = (today.month - 1) // 3
                return self._range(date(today.year, 3 * q + 1, 1), today), 2
            if nxt == "year":
                return self._range(date(today.year, 1, 1), today), 2
            return None
        if w in ("last", "past", "previous", "prior", "the"):
            j = i + 1
            if w == "the":
                if j < len(low) and low[j] in ("last", "past", "previous"):
                    inner = self.period_at(j)
                    return (inner[0], inner[1] + 1) if inner else None
                return None
            unit = low[j] if j < len(low) else ""
            if unit == "week":
                start = self._week_start(today) - timedelta(days=7)
                return self._range(start, start + timedelta(days=6)), 2
            if unit == "month" and w != "past":
                return PeriodSpec("last_month"), 2
            if unit == "month":
                return PeriodSpec("last_days", days=30), 2
            if unit == "quarter":
                q = (today.month - 1) // 3
                start = _add_months(date(today.year, 3 * q + 1, 1), -3)
                return self._range(start, _add_months(start, 3) - timedelta(days=1)), 2
            if unit == "year" and w != "past":
                return self._range(date(today.year - 1, 1, 1), date(today.year - 1, 12, 31)), 2
            if unit == "year":
                return PeriodSpec("last_days", days=365), 2
            if unit in ("day", "24h"):
                return PeriodSpec("yesterday") if w != "past" else PeriodSpec(
                    "last_days", days=1
                ), 2
            number: int | None = None
            used = 2
            m = _LAST_N.match(unit)
            if m:
                number = int(m.group(1))
                if m.group(2):
                    days = number * UNIT_DAYS[m.group(2)]
                    return self._last_days(days), 2
            elif unit in NUMBER_WORDS and unit != "a":
                number = NUMBER_WORDS[unit]
            if number is None:
                return None
            nxt_unit = low[j + 1] if j + 1 < len(low) else ""
            if nxt_unit in UNIT_DAYS:
                return self._last_days(number * UNIT_DAYS[nxt_unit]), used + 1
            return self._last_days(number), used
        if w == "since":
            start_end = self.date_at(i + 1)
            if start_end is None:
                return None
            (start, _), used = start_end
            if start > today:
                raise QueryParseError(f"`since {start.isoformat()}` is in the future.")
            return self._range(start, today), 1 + used
        if w in ("between", "from"):
            first = self.date_at(i + 1)
            if first is None:
                return None
            (a, _), used = first
            k = i + 1 + used
            if k < len(low) and low[k] in ("and", "to", "until", "through", "thru", "-", "till"):
                second = self.date_at(k + 1)
                if second is None:
                    return None
                (_, b), used2 = second
                if b < a:
                    raise QueryParseError(
                        f"the period ends ({b.isoformat()}) before it starts ({a.isoformat()})."
                    )
                return self._range(a, b), k + 1 + used2 - i
            if w == "from":
                return self._range(a, today), 1 + used
            return None
        if m2 := _ISO_RANGE.match(w):
            first_day, last_day = _iso(m2.group(1)), _iso(m2.group(2))
            if first_day is None or last_day is None or last_day < first_day:
                raise QueryParseError(f"`{w}` is not a range of real dates.")
            return self._range(first_day, last_day), 1
        if _ISO_MONTH.match(w):
            try:
                return PeriodSpec("month", start=date(int(w[:4]), int(w[5:7]), 1)), 1
            except ValueError as exc:
                raise QueryParseError(f"`{w}` is not a month.") from exc
        if _ISO_DAY.match(w):
            day = _iso(w)
            if day is None:
                raise QueryParseError(f"`{w}` is not a date.")
            return self._range(day, day), 1
        if m3 := _QUARTER.match(w):
            year = m3.group(1) or m3.group(3)
            used = 1
            if not year and _YEAR.match(nxt):
                year, used = nxt, 2
            return self._quarter(int(m3.group(2)), int(year) if year else None), used
        if _YEAR.match(w) and (qm := _QUARTER.match(nxt)) and not (qm.group(1) or qm.group(3)):
            return self._quarter(int(qm.group(2)), int(w)), 2
        if w in MONTHS:
            found = self.date_at(i)
            if found is None:
                return None
            (a, b), used = found
            if a == b:
                return self._range(a, b), used
            return PeriodSpec("month", start=a), used
        return None

    def date_at(self, i: int) -> tuple[tuple[date, date], int] | None:
        """Read a date or a month at ``i``: (first day, last day) and the words used."""
        low = self.low
        if i >= len(low):
            return None
        w = low[i]
        nxt = low[i + 1] if i + 1 < len(low) else ""
        if _ISO_DAY.match(w):
            d = _iso(w)
            if d is None:
                raise QueryParseError(f"`{w}` is not a date.")
            return (d, d), 1
        if _ISO_MONTH.match(w):
            try:
                start = date(int(w[:4]), int(w[5:7]), 1)
            except ValueError as exc:
                raise QueryParseError(f"`{w}` is not a month.") from exc
            return (start, _month_end(start)), 1
        day_first = _DAY_NUMBER.match(w)
        if day_first and nxt in MONTHS:
            month, used, day_n = MONTHS[nxt], 2, int(day_first.group(1))
        elif w in MONTHS:
            month, used, day_n = MONTHS[w], 1, None
            if (
                (m := _DAY_NUMBER.match(nxt))
                and 1 <= int(m.group(1)) <= 31
                and not _YEAR.match(nxt)
            ):
                day_n, used = int(m.group(1)), 2
        elif w in ("last", "this", "previous") and nxt in ("month", "week", "year", "quarter"):
            found = self.period_at(i)
            if found is None:
                return None
            spec, n = found
            from bot.costs.periods import resolve

            window = resolve(spec, self.today, None)
            return (window.start, window.end), n
        else:
            return None
        year_word = low[i + used] if i + used < len(low) else ""
        if _YEAR.match(year_word):
            year = int(year_word)
            used += 1
        else:
            year = self.today.year
            if date(year, month, 1) > self.today:
                year -= 1
        try:
            if day_n is not None:
                d = date(year, month, day_n)
                return (d, d), used
        except ValueError as exc:
            raise QueryParseError(f"{w} {day_n} is not a date.") from exc
        start = date(year, month, 1)
        return (start, _month_end(start)), used

    def _range(self, start: date, end: date) -> PeriodSpec:
        return PeriodSpec("range", start=start, end=end)

    def _last_days(self, days: int) -> PeriodSpec:
        if not 1 <= days <= 3660:
            raise QueryParseError("`last` covers 1 to 3660 days.")
        return PeriodSpec("last_days", days=days)

    def _week_start(self, day: date) -> date:
        return day - timedelta(days=(day.weekday() - self.week_start) % 7)

    def _quarter(self, q: int, year: int | None) -> PeriodSpec:
        if year is None:
            year = self.today.year
            if date(year, 3 * q - 2, 1) > self.today:
                year -= 1
        start = date(year, 3 * q - 2, 1)
        return self._range(start, _add_months(start, 3) - timedelta(days=1))

    # grouping and ranking

    def group_target(self, i: int) -> tuple[str, int] | None:
        """Read what to group by at ``i``: a tag key, a dimension word, ``tag:KEY``, ``dim:X``."""
        if i >= len(self.low):
            return None
        w = self.low[i]
        n = self.match_any(i, FIELD_PHRASES)
        if n:
            return FIELD_PHRASES[tuple(self.low[i : i + n])], n
        if w.startswith("dim:") and w[4:] in DIMENSION_WORDS:
            return DIMENSION_WORDS[w[4:]], 1
        if w in ("who", "whom", "spenders"):
            return ("team", 1) if "team" in self.vocab.tag_values else None
        key_field = self.ix.keys.get(w)
        dim_field = FIELD_WORDS.get(w)
        if key_field and w.startswith(TAG_PREFIX):
            return key_field, 1
        if key_field and dim_field:
            dim = dim_field
            key = tag_key_of(key_field)
            raise AskBack(
                f"`{self.toks[i].orig}` is both a built-in dimension and a tag key in the bill: "
                "which one do you mean?",
                [
                    (f"the built-in {dim}", self._replaced(i, i + 1, f"dim:{dim}")),
                    (f"the tag `{key}`", self._replaced(i, i + 1, f"tag:{key}")),
                ],
            )
        if key_field:
            return key_field, 1
        if (dim_field and dim_field not in ("resource",)) or w in ("resources", "instances"):
            return FIELD_WORDS.get(w, "resource"), 1
        return None

    def grouping(self, i: int) -> int:
        n = self.match_any(i, GROUP_INTROS)
        if n:
            j = self.skip_filler(i + n)
            if self.low[i] == "by" and j < len(self.low) and self.low[j] in SORT_WORDS:
                return j + 1 - i  # "top 3 projects by cost": ranked by cost anyway
            target = self.group_target(j)
            if target is None:
                if self.low[i] in ("each", "per"):
                    return 0
                raise QueryParseError(
                    f"group by what? `{' '.join(self.low[i : i + n])}` needs a tag key or a "
                    "dimension, e.g. `by team` or `by service`.",
                    suggest(self.low[j] if j < len(self.low) else "", self._group_words()),
                )
            self._set_group(target[0])
            return j + target[1] - i
        w = self.low[i]
        if w in ("which", "what", "who") or self.at(i, ("most", "expensive")):
            j = i + (2 if w == "most" else 1)
            target = self.group_target(j if w != "who" else i)
            if target is None:
                return 0
            # "what team spent…" groups; "what did ai-research spend" does not reach here.
            self._set_group(target[0])
            if w == "who":
                self.s.most = True
                return 1
            if w == "most":
                self.s.most = True
            return j + target[1] - i
        if w == "top":
            j = i + 1
            top: int | None = None
            if j < len(self.low) and (self.low[j].isdigit() or self.low[j] in NUMBER_WORDS):
                top = int(self.low[j]) if self.low[j].isdigit() else NUMBER_WORDS[self.low[j]]
                j += 1
            if top is not None and not 1 <= top <= MAX_TOP:
                raise QueryParseError(f"`top` takes a number from 1 to {MAX_TOP}.")
            target = self.group_target(j)
            if target is not None:
                self._set_group(target[0])
                j += target[1]
            if top is None and target is None:
                return 0
            self.s.top = top
            self.s.most = True
            return j - i
        return 0

    def _set_group(self, dim: str) -> None:
        if self.s.group_by is not None and self.s.group_by != dim:
            raise QueryParseError(f"one grouping per question (`{self.s.group_by}` or `{dim}`).")
        self.s.group_by = dim

    def _group_words(self) -> list[str]:
        return [*self.vocab.tag_values, *FIELD_WORDS]

    def ranking(self, i: int) -> int:
        n = self.match_any(i, MOVERS_PHRASES)
        if n:
            self.s.rank = "movers"
            return n
        n = self.match_any(i, GROWTH_PHRASES)
        if n:
            self.s.rank = "growth"
            return n
        n = self.match_any(i, MOST_PHRASES)
        if n:
            self.s.most = True
            return n
        return 0

    # filters

    def untagged(self, i: int) -> int:
        low = self.low
        if low[i] in ("without", "no", "missing", "lacking"):
            j = self.skip_filler(i + 1)
            if j + 1 < len(low) and low[j] in self.ix.keys and low[j + 1] in ("tag", "tags"):
                key = tag_key_of(self.ix.keys[low[j]])
                self._set_untagged((*(self.s.untagged or ()), key))
                return j + 2 - i
        n = self.match_any(i, UNTAGGED_PHRASES)
        if n:
            self._set_untagged(self.s.untagged or ())
            return n
        return 0

    def _set_untagged(self, keys: tuple[str, ...]) -> None:
        self.s.untagged = keys

    def negation(self, i: int) -> int:
        n = self.match_any(i, NEGATIONS)
        if not n:
            return 0
        j = self.skip_filler(i + n)
        if j >= len(self.low):
            return 0
        self.s.negating = True
        used = self.pricing(j) or self.gpu(j) or self.explicit_field(j) or self.value(j)
        if not used:
            self.s.negating = False
            return 0
        return j + used - i

    def _add(self, field_: str, values: Sequence[str]) -> None:
        target = self.s.excludes if self.s.negating else self.s.filters
        for v in values:
            if (field_, v) not in target:
                target.append((field_, v))
        self.s.last_field = field_

    def measure(self, i: int) -> int:
        n = self.match_any(i, MEASURE_PHRASES)
        if not n:
            return 0
        self.s.measure = MEASURE_PHRASES[tuple(self.low[i : i + n])]
        return n

    def pricing(self, i: int) -> int:
        n = self.match_any(i, PRICING_PHRASES)
        if not n:
            return 0
        wanted = PRICING_PHRASES[tuple(self.low[i : i + n])]
        stored = self.ix.pricing.get(wanted.lower())
        if stored is None:
            raise QueryParseError(
                f"no {' '.join(self.low[i : i + n])} spend in the bill (pricing category "
                f"`{wanted}` does not occur)."
            )
        self._add("pricing_category", [stored])
        n2 = 1 if self.low[i + n : i + n + 1] in (["instances"], ["instance"]) else 0
        return n + n2

    def gpu(self, i: int) -> int:
        n = self.match_any(i, GPU_PHRASES)
        if not n:
            return 0
        if not self.ix.gpu_types:
            raise QueryParseError("the bill has no GPU (accelerator) instance types.")
        self._add("resource_type", self.ix.gpu_types)
        return n

    def explicit_field(self, i: int) -> int:
        """``team ai-research``, ``service sagemaker``, ``tag:service payments``, ``dim:…``."""
        w = self.low[i]
        n = self.match_any(i, FIELD_PHRASES)
        wanted: str | None = None
        if n:
            wanted = FIELD_PHRASES[tuple(self.low[i : i + n])]
        elif w.startswith("dim:") and w[4:] in DIMENSION_WORDS:
            wanted, n = DIMENSION_WORDS[w[4:]], 1
        elif w in self.ix.keys and (w.startswith(TAG_PREFIX) or w not in FIELD_WORDS):
            wanted, n = self.ix.keys[w], 1
        elif w in FIELD_WORDS or w in DIMENSION_WORDS:
            wanted, n = FIELD_WORDS.get(w) or DIMENSION_WORDS[w], 1
        if wanted is None:
            return 0
        j = self.skip_filler(i + n)
        used = self.value(j, only=wanted, lenient=False)
        if not used:
            return 0
        return j + used - i

    def value(self, i: int, only: str | None = None, *, lenient: bool = True) -> int:
        """Read a value of the bill at ``i`` (longest phrase first); decide its field."""
        for n in range(min(MAX_PHRASE, len(self.low) - i), 0, -1):
            key = tuple(w for tok in self.low[i : i + n] for w in tok.split())
            cands = self.ix.phrases.get(key)
            if not cands:
                if key in self.ix.absent_services and only in (None, "service"):
                    raise QueryParseError(
                        f"there is no {self.ix.absent_services[key]} spend in the bill.",
                        suggest(" ".join(key), self.vocab.dimension_values.get("service", ())),
                    )
                continue
            if only is not None:
                cands = [c for c in cands if _same_field(c.field, only)]
                if not cands:
                    continue
            used = n
            if len(cands) > 1:
                after = self.skip_filler(i + n)
                word = self.low[after] if after < len(self.low) else ""
                named = self._field_named(word)
                chosen = [c for c in cands if named and _same_field(c.field, named)]
                if chosen:
                    cands = chosen
                    used = after + 1 - i
                elif self.s.last_field and any(c.field == self.s.last_field for c in cands):
                    cands = [c for c in cands if c.field == self.s.last_field]
            if len(cands) > 1:
                tag_cands = [c for c in cands if is_tag_field(c.field)]
                raise AskBack(
                    f"`{' '.join(t.orig for t in self.toks[i : i + n])}` is "
                    + " and ".join(f"a {_field_label(c.field)}" for c in cands[:3])
                    + " in the bill: which one do you mean?",
                    [
                        (c.label, self._replaced(i, i + n, f"{c.field} {_q(c)}"))
                        for c in (tag_cands + [c for c in cands if c not in tag_cands])[:3]
                    ],
                )
            cand = cands[0]
            values = self._exact_case(cand, i, n)
            self._add(cand.field, values)
            after = self.skip_filler(i + used)
            if after < len(self.low) and _same_field(
                self._field_named(self.low[after]) or "", cand.field
            ):
                used = after + 1 - i  # "the ai-research team"
            return used
        return 0

    def _field_named(self, word: str) -> str | None:
        if word in self.ix.keys:
            return self.ix.keys[word]
        return FIELD_WORDS.get(word) or DIMENSION_WORDS.get(word)

    def _exact_case(self, cand: _Candidate, i: int, n: int) -> list[str]:
        """Prefer the exact spelling; say when values differ only in case, or ask."""
        if cand.field != "resource_type" and len(cand.values) > 1 and cand.field != "service":
            typed = " ".join(t.orig for t in self.toks[i : i + n])
            exact = [v for v in cand.values if v == typed]
            shown = tag_key_of(cand.field)
            if exact:
                others = [v for v in cand.values if v != exact[0]]
                self.s.notes.append(
                    f"{shown} also has "
                    + ", ".join(f"`{o}`" for o in others)
                    + f", which differs from `{exact[0]}` only in case; ask "
                    + " or ".join(f"`{shown} {o}`" for o in others)
                    + " for that spend."
                )
                return exact
            raise AskBack(
                f"{shown} has "
                + " and ".join(f"`{v}`" for v in cand.values)
                + f", which differ only in case: which one do you mean by `{typed}`?",
                [
                    (f"{shown} {v}", self._replaced(i, i + n, f"{cand.field} {_quoted(v)}"))
                    for v in cand.values[:3]
                ],
            )
        return list(cand.values)

    def _replaced(self, start: int, end: int, words: str) -> str:
        parts = [_quoted(t.orig) for t in self.toks[:start]]
        parts.append(words)
        parts += [_quoted(t.orig) for t in self.toks[end:]]
        return " ".join(parts)

    # -- result ----------------------------------------------------------------------------

    def query(self, default_measure: str, default_top: int) -> CostQuery:
        s = self.s
        if s.unknown:
            hints: list[str] = []
            for word in s.unknown[:3]:
                hints += self.close_words(word.lower())[:2]
            listed = ", ".join(f"`{w}`" for w in s.unknown[:5])
            strangers = [w for w in s.unknown if w.lower() not in self.ix.known]
            why = (
                "not a word I know, nor a tag, service or other value in the bill"
                if strangers
                else "these words do not fit where they stand"
            )
            raise QueryParseError(
                f"I could not read {listed}: {why}.", list(dict.fromkeys(hints))[:4]
            )
        group = s.group_by
        if group is None and (s.rank != "cost" or s.most or s.top is not None):
            group = "service"
        notes = list(s.notes)
        compare = s.compare
        return CostQuery(
            filters=tuple(s.filters),
            group_by=group,
            period=s.period or PeriodSpec("mtd"),
            measure=s.measure or default_measure,
            untagged=s.untagged,
            top=s.top if s.top is not None else default_top,
            share=s.share,
            excludes=tuple(s.excludes),
            rank=s.rank,
            compare=compare,
            notes=tuple(notes),
        )


def _same_field(a: str, b: str) -> bool:
    return a == b or (is_tag_field(a) and is_tag_field(b) and tag_key_of(a) == tag_key_of(b))


def _field_label(f: str) -> str:
    return f"`{tag_key_of(f)}`" + (" tag" if is_tag_field(f) else "")


def _q(c: _Candidate) -> str:
    return " ".join(_quoted(v) for v in c.values[:1])


def _quoted(word: str) -> str:
    return f'"{word}"' if any(ch.isspace() for ch in word) else word


def _iso(text: str) -> date | None:
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def _month_end(d: date) -> date:
    return d.replace(day=calendar.monthrange(d.year, d.month)[1])


def _add_months(d: date, months: int) -> date:
    y, m = divmod(d.month - 1 + months, 12)
    return date(d.year + y, m + 1, 1)


def read_phrase(
    text: str,
    vocab: Vocabulary,
    *,
    today: date,
    default_measure: str = "effective",
    default_top: int = 10,
    grammar_error: QueryParseError | None = None,
    week_start: int = 0,
) -> CostQuery:
    """Read a natural question into a :class:`CostQuery`; raise QueryParseError or AskBack.

    ``grammar_error`` is what the grammar said about the same text: when the reader
    finds nothing it knows in the text either, that error (with its "did you mean")
    is the better answer.
    """
    reader = _Reader(text, vocab, today, week_start, _index_for(vocab))
    reader.run()
    s = reader.s
    recognised = len(reader.low) - len(s.unknown)
    if s.unknown and grammar_error is not None and recognised <= len(s.unknown):
        raise grammar_error
    # "compared to the previous week" leaves ``compare`` unset: the default comparison.
    return reader.query(default_measure, default_top)
