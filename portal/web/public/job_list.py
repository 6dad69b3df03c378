"""The jobs list: one page of the postings a search finds, the filters it
offers and its words, with what stays the same between requests worked out once.

Per app and content version, the open postings of a language, the filter
values they offer and each posting's rendered card are kept in memory; the
listing stays fast with a thousand postings (``bench/jobs_search.py``).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

from flask import current_app, get_template_attribute, url_for
from flask_babel import get_timezone, gettext, ngettext
from flask_babel import lazy_gettext as _l
from markupsafe import Markup

from ...content import ContentIndex, Document, Kind
from ...content.jobfacts import PROVINCE_CODES, EmploymentType, LanguageRequirement
from ...content.search import (
    CLOSING_SOON_DAYS,
    WHERE_REMOTE,
    FilterValues,
    JobQuery,
    closes_soon,
    days_until,
    filter_values,
    search_postings,
)
from ...content.text import fold
from ...plumbing.i18n import LANG_ARG
from ..job_facts import EMPLOYMENT_TYPES, FACT_LABELS, LANGUAGE_REQUIREMENTS, PROVINCE_NAMES

#: Postings on one page of the jobs list.
JOBS_PER_PAGE = 20
#: Entries each in-memory store keeps before it starts again (a bound on memory).
STORE_SIZE = 5000
#: The ``where`` filter's words for postings open to remote work from anywhere in Canada.
REMOTE_ANYWHERE = _l("Remote (anywhere in Canada)")


@dataclass(frozen=True)
class JobListPage:
    """What one page of the jobs list shows."""

    lang: str
    query: JobQuery
    #: Every open, listed posting in the language (the filters offer their values).
    listed: tuple[Document, ...]
    #: Every posting the query finds, in its order.
    found: tuple[Document, ...]
    page: int
    #: How many postings the words alone find when words and filters find none.
    found_by_words: int

    @property
    def pages(self) -> int:
        """How many pages the postings found fill (at least one)."""
        return page_count(len(self.found))

    @property
    def shown(self) -> tuple[Document, ...]:
        """The postings on this page."""
        return self.found[(self.page - 1) * JOBS_PER_PAGE : self.page * JOBS_PER_PAGE]

    def url(self, page: int | None = None, lang: str | None = None) -> str:
        """Return the address of this search (another page of it, or in another language)."""
        number = self.page if page is None else page
        return url_for(
            "public.jobs",
            **{LANG_ARG: lang or self.lang},
            **self.query.to_args(),
            **({"page": number} if number > 1 else {}),
        )

    def words_alone_url(self) -> str:
        """Return the address of the same words without the filters."""
        words_alone = JobQuery(text=self.query.text, sort=self.query.sort)
        return url_for("public.jobs", **{LANG_ARG: self.lang}, **words_alone.to_args())


def search_page(index: ContentIndex, lang: str, query: JobQuery, page: int, now: datetime) -> JobListPage:
    """Search the open postings in ``lang``; a page past the last shows the last."""
    listed = open_postings(index, lang, now)
    found = listed if query == JobQuery() else search_postings(index, lang, query, now, listed)
    words_alone = JobQuery(text=query.text, sort=query.sort)
    found_by_words = (
        len(search_postings(index, lang, words_alone, now, listed))
        if not found and query.text and query != words_alone
        else 0
    )
    return JobListPage(lang, query, listed, found, min(page, page_count(len(found))), found_by_words)


def page_count(postings: int) -> int:
    """Return how many pages a number of postings fills (at least one)."""
    return max(1, -(-postings // JOBS_PER_PAGE))


def page_number(value: str | None) -> int:
    """Return the page a ``page`` parameter asks for; anything but a positive number is page 1."""
    text = (value or "").strip()
    return int(text) if text.isascii() and text.isdecimal() and 0 < len(text) < 7 and int(text) > 0 else 1


def _store(name: str) -> dict:
    stores = current_app.extensions.setdefault("portal.job_list", {})
    store = stores.setdefault(name, {})
    if len(store) >= STORE_SIZE:
        store.clear()
    return store


def open_postings(index: ContentIndex, lang: str, now: datetime) -> tuple[Document, ...]:
    """Return the open, listed postings in ``lang`` (``index.listed``), looked up
    again only when the content changes or one of them closes."""
    return _open_postings(index, lang, now)[0]


def validator(index: ContentIndex, lang: str, query: JobQuery, page: int, now: datetime) -> tuple:
    """Return everything a page of the jobs list depends on besides the build,
    for its ETag, without searching: the content, the postings open now, the
    search, the page asked for and the day (a card says "Closes in 3 days")."""
    version = _open_postings(index, lang, now)[1]
    today = now.astimezone(get_timezone()).date()
    return (index.signature, version, *sorted(query.to_args().items()), page, today)


def _open_postings(index: ContentIndex, lang: str, now: datetime) -> tuple[tuple[Document, ...], str]:
    store = _store("listed")
    kept = store.get((index.signature, lang))
    if kept is not None:
        since, until, listed, version = kept
        if since <= now and (until is None or now <= until):
            return listed, version
    listed = index.listed(Kind.POSTING, lang, now)
    closings = [posting.closing_at for posting in listed if posting.closing_at is not None]
    version = hashlib.blake2b("\0".join(p.slug for p in listed).encode(), digest_size=8).hexdigest()
    store[(index.signature, lang)] = (now, min(closings, default=None), listed, version)
    return listed, version


def offered_filter_values(index: ContentIndex, lang: str, listed: tuple[Document, ...]) -> FilterValues:
    """Return the filter values of the listed postings, worked out once while they stay the same."""
    store = _store("filter values")
    key = (index.signature, lang, tuple(posting.slug for posting in listed))
    values = store.get(key)
    if values is None:
        values = store[key] = filter_values(listed)
    return values


def posting_cards(
    index: ContentIndex, lang: str, postings: tuple[Document, ...], now: datetime
) -> list[Markup]:
    """Return the listing card of each posting on a page in ``lang``, each
    rendered once per content version, language and days left when it closes
    soon (in debug, every time)."""
    card = get_template_attribute("macros/documents.html", "posting_card")
    if current_app.debug:
        return [card(posting) for posting in postings]
    store = _store("cards")
    cards = []
    for posting in postings:
        soon = days_until(posting.closing_at, now) if closes_soon(posting, now) else None
        key = (index.signature, lang, posting.lang, posting.slug, soon)
        html = store.get(key)
        if html is None:
            html = store[key] = card(posting)
        cards.append(html)
    return cards


def filter_options(values: FilterValues, query: JobQuery) -> dict[str, list[tuple[str, str]]]:
    """Return each filter's choices as (value, label) in the page's language:
    the values some posting has, and the one the query asks for."""
    provinces = [code for code in PROVINCE_CODES if code in values.provinces or code == query.where]
    where = sorted(((code, str(PROVINCE_NAMES[code])) for code in provinces), key=lambda pair: fold(pair[1]))
    if values.remote or query.where == WHERE_REMOTE:
        where.append((WHERE_REMOTE, str(REMOTE_ANYWHERE)))
    return {
        "classification": [
            (code, code) for code in sorted({*values.classifications, query.classification} - {""})
        ],
        "where": where,
        "employment": [
            (kind.value, str(EMPLOYMENT_TYPES[kind]))
            for kind in EmploymentType
            if kind in values.employment or kind == query.employment
        ],
        "language": [
            (requirement.value, str(LANGUAGE_REQUIREMENTS[requirement]))
            for requirement in LanguageRequirement
            if requirement in values.languages or requirement == query.language
        ],
    }


def describe_query(query: JobQuery) -> list[str]:
    """Return the filters of a query in words ("Location: Ontario"), in the form's order."""
    terms = []
    if query.classification:
        terms.append((FACT_LABELS["classification"], query.classification))
    if query.where:
        place = REMOTE_ANYWHERE if query.where == WHERE_REMOTE else PROVINCE_NAMES[query.where]
        terms.append((FACT_LABELS["location"], place))
    if query.employment:
        terms.append((FACT_LABELS["employment"], EMPLOYMENT_TYPES[EmploymentType(query.employment)]))
    if query.language:
        terms.append((FACT_LABELS["language"], LANGUAGE_REQUIREMENTS[LanguageRequirement(query.language)]))
    described = [gettext("%(label)s: %(value)s", label=label, value=value) for label, value in terms]
    if query.closing_soon:
        described.append(closing_soon_label())
    return described


def closing_soon_label() -> str:
    """Return the words of the "closing soon" filter ("Closing within 7 days")."""
    return ngettext("Closing within %(num)d day", "Closing within %(num)d days", CLOSING_SOON_DAYS)
