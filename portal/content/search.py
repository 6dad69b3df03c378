"""Searching and filtering the open postings, from the in-memory index.

A :class:`JobQuery` is what a candidate asks for: words, filters on the job
facts and an order. It reads itself from a URL's query string and writes
itself back (for shareable links, the language toggle, alert subscriptions
and the API), and it answers, for one posting, whether it matches.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from datetime import datetime
from enum import StrEnum
from types import MappingProxyType
from weakref import WeakKeyDictionary

from .jobfacts import PROVINCE_CODES, EmploymentType, LanguageRequirement, RemoteWork
from .model import ContentIndex, Document, Kind
from .text import fold

#: "Closing soon" means within this many days.
CLOSING_SOON_DAYS = 7
#: Longest search text kept; the rest is ignored.
MAX_QUERY_CHARACTERS = 200
#: The ``where`` filter for postings open to remote work from anywhere in Canada.
WHERE_REMOTE = "remote"
#: Query-string parameter of each :class:`JobQuery` field, in the order URLs list them.
QUERY_PARAMETERS = {
    "text": "q",
    "classification": "classification",
    "where": "where",
    "employment": "employment",
    "language": "language",
    "closing_soon": "closing",
    "sort": "sort",
}
_WORDS = re.compile(r"[\w']+")
_CLASSIFICATION = re.compile(r"^[A-Z]{2,4}-\d{2}$")


class Sort(StrEnum):
    """The orders a listing can be shown in."""

    NEWEST = "newest"
    CLOSING = "closing"


@dataclass(frozen=True, slots=True)
class JobQuery:
    """A search of the open postings; every part is optional.

    ``where`` is a province code (postings with a place of work there, and
    those open to remote work from anywhere in Canada) or ``remote``.
    """

    text: str = ""
    classification: str = ""
    where: str = ""
    employment: str = ""
    language: str = ""
    closing_soon: bool = False
    sort: Sort = Sort.NEWEST

    @classmethod
    def from_args(cls, args: Mapping[str, str]) -> JobQuery:
        """Read a query from URL parameters; a value that means nothing is ignored."""
        written = "".join(char for char in str(args.get("q") or "") if char.isprintable() or char.isspace())
        text = " ".join(written.split())[:MAX_QUERY_CHARACTERS]
        classification = str(args.get("classification") or "").strip().upper()
        where = str(args.get("where") or "").strip()
        where = where.upper() if where.upper() in PROVINCE_CODES else where.lower()
        return cls(
            text=text,
            classification=classification if _CLASSIFICATION.match(classification) else "",
            where=where if where == WHERE_REMOTE or where in PROVINCE_CODES else "",
            employment=_member(EmploymentType, args.get("employment")),
            language=_member(LanguageRequirement, args.get("language")),
            closing_soon=str(args.get("closing") or "").strip().lower() in ("soon", "1", "on", "true"),
            sort=Sort(_member(Sort, args.get("sort")) or Sort.NEWEST),
        )

    def to_args(self) -> dict[str, str]:
        """Return the URL parameters of this query, leaving out what is unset."""
        args = {}
        for field in fields(self):
            value = getattr(self, field.name)
            if value == field.default:
                continue
            args[QUERY_PARAMETERS[field.name]] = "soon" if field.name == "closing_soon" else str(value)
        return args

    @property
    def filtered(self) -> bool:
        """Tell whether the query leaves postings out (the order does not)."""
        return replace(self, sort=Sort.NEWEST) != JobQuery()

    @property
    def words(self) -> tuple[str, ...]:
        """Return the folded words every matching posting contains."""
        return tuple(_WORDS.findall(fold(self.text)))

    def matches(self, document: Document, search_text: str, now: datetime) -> bool:
        """Tell whether a posting matches; ``search_text`` is its folded text
        (:meth:`ContentIndex.search_text`)."""
        facts = document.facts
        if self.classification and self.classification not in facts.classifications:
            return False
        if self.where == WHERE_REMOTE and facts.remote is not RemoteWork.REMOTE:
            return False
        if (
            self.where
            and self.where != WHERE_REMOTE
            and self.where not in facts.provinces
            and facts.remote is not RemoteWork.REMOTE
        ):
            return False
        if self.employment and facts.employment_type != self.employment:
            return False
        if self.language and facts.language != self.language:
            return False
        if self.closing_soon and not closes_soon(document, now):
            return False
        return all(word in search_text for word in self.words)


def days_until(moment: datetime, now: datetime) -> int:
    """Return how many calendar days, in the deadline's time zone, are left until ``moment``."""
    return (moment.date() - now.astimezone(moment.tzinfo).date()).days


def closes_soon(document: Document, now: datetime) -> bool:
    """Tell whether an open posting closes within :data:`CLOSING_SOON_DAYS` days."""
    return document.closing_at is not None and 0 <= days_until(document.closing_at, now) <= CLOSING_SOON_DAYS


def search_postings(
    index: ContentIndex,
    lang: str,
    query: JobQuery,
    now: datetime,
    listed: tuple[Document, ...] | None = None,
) -> tuple[Document, ...]:
    """Return the open, listed postings in ``lang`` that match ``query``, in its order;
    ``listed`` saves looking them up again when the caller has them.

    Same answer as :meth:`JobQuery.matches` for each posting, faster: the
    filters on the job facts are set lookups in a table built once per index.
    """
    if listed is None:
        listed = index.listed(Kind.POSTING, lang, now)
    allowed = _facets(index, lang).allowed(query)
    words = query.words
    found = [
        document
        for document in listed
        if (allowed is None or document.slug in allowed)
        and (not query.closing_soon or closes_soon(document, now))
        and _contains(index.search_text(document), words)
    ]
    if query.sort is Sort.CLOSING:
        # Stable: postings closing at the same time (or never) keep the newest-first order.
        found.sort(key=lambda document: (document.closing_at is None, document.closing_at or now))
    return tuple(found)


@dataclass(frozen=True, slots=True)
class _Facets:
    """The slugs of a language's postings by the value of each filter."""

    classification: Mapping[str, frozenset[str]]
    where: Mapping[str, frozenset[str]]
    employment: Mapping[str, frozenset[str]]
    language: Mapping[str, frozenset[str]]

    def allowed(self, query: JobQuery) -> frozenset[str] | None:
        """Return the slugs the query's filters on the facts let through; None: no such filter."""
        chosen = [
            table.get(value, frozenset())
            for table, value in (
                (self.classification, query.classification),
                (self.where, query.where),
                (self.employment, query.employment),
                (self.language, query.language),
            )
            if value
        ]
        return frozenset.intersection(*chosen) if chosen else None


#: The facet tables of each index (built on first use), by language.
_FACETS: WeakKeyDictionary[ContentIndex, dict[str, _Facets]] = WeakKeyDictionary()


def _facets(index: ContentIndex, lang: str) -> _Facets:
    by_lang = _FACETS.setdefault(index, {})
    facets = by_lang.get(lang)
    if facets is None:
        facets = by_lang[lang] = _build_facets(index.all(Kind.POSTING, lang))
    return facets


def _build_facets(postings: tuple[Document, ...]) -> _Facets:
    tables: dict[str, dict[str, set[str]]] = {
        name: {} for name in ("classification", "where", "employment", "language")
    }

    def add(table: str, value: str, slug: str) -> None:
        tables[table].setdefault(value, set()).add(slug)

    for posting in postings:
        facts = posting.facts
        for classification in facts.classifications:
            add("classification", classification, posting.slug)
        # Remote work from anywhere in Canada is work in every province.
        remote = facts.remote is RemoteWork.REMOTE
        for code in PROVINCE_CODES if remote else facts.provinces:
            add("where", code, posting.slug)
        if remote:
            add("where", WHERE_REMOTE, posting.slug)
        if facts.employment_type is not None:
            add("employment", facts.employment_type.value, posting.slug)
        if facts.language is not None:
            add("language", facts.language.value, posting.slug)
    return _Facets(
        **{
            name: MappingProxyType({value: frozenset(slugs) for value, slugs in table.items()})
            for name, table in tables.items()
        }
    )


@dataclass(frozen=True, slots=True)
class FilterValues:
    """The values each filter can take among some postings, in a stable order."""

    classifications: tuple[str, ...]
    provinces: tuple[str, ...]
    remote: bool
    employment: tuple[EmploymentType, ...]
    languages: tuple[LanguageRequirement, ...]


def filter_values(postings: tuple[Document, ...]) -> FilterValues:
    """Return the filter values worth offering: those some posting has."""
    facts = [posting.facts for posting in postings]
    return FilterValues(
        classifications=tuple(sorted({c for f in facts for c in f.classifications})),
        provinces=tuple(code for code in PROVINCE_CODES if any(code in f.provinces for f in facts)),
        remote=any(f.remote is RemoteWork.REMOTE for f in facts),
        employment=tuple(t for t in EmploymentType if any(f.employment_type is t for f in facts)),
        languages=tuple(r for r in LanguageRequirement if any(f.language is r for f in facts)),
    )


def _contains(text: str, words: tuple[str, ...]) -> bool:
    return all(word in text for word in words)


def _member(vocabulary: type[StrEnum], value: object) -> str:
    text = str(value or "").strip().lower()
    return text if text in {member.value for member in vocabulary} else ""
