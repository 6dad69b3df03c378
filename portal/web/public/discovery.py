"""What search engines and feed readers fetch: the sitemap, robots.txt and
the Atom feeds of open postings and of stories.

Each is built from the content index once per content version, host and
closing date passed (a posting that closes drops out without a reload), then
served with an ETag like the pages; no request reads a file.
"""

from __future__ import annotations

import bisect
import os
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TypeVar
from urllib.parse import urljoin, urlsplit

from feedgen.ext.base import BaseEntryExtension
from feedgen.feed import FeedGenerator
from flask import abort, current_app, g, request, url_for
from flask_babel import lazy_gettext as _l
from lxml import etree

from ...content import ContentIndex, Document, Kind, content_store, current_index
from ...plumbing.http import respond_cached
from ...plumbing.i18n import LANG_ARG, languages, localized_route
from ..documents import DOCUMENT_ENDPOINTS, LISTING_ENDPOINTS
from .views import bp

T = TypeVar("T")

#: The most URLs one sitemap file may hold (sitemaps.org); past it,
#: /sitemap.xml becomes an index of /sitemap-1.xml, /sitemap-2.xml...
MAX_SITEMAP_URLS = 50_000
#: The newest documents a feed carries.
FEED_ENTRIES = 50
#: Blueprints whose pages search engines are asked to keep out of their index.
PRIVATE_BLUEPRINTS = ("staff", "apply", "alerts")
#: Built feeds and sitemaps kept per content version before starting afresh.
MEMO_LIMIT = 64
#: The date in the feeds' tag: URIs (RFC 4151), fixed so entry ids never change.
TAG_DATE = "2025"
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

SITEMAP_NS = "http://www.sitemaps.org/schemas/sitemap/0.9"
XHTML_NS = "http://www.w3.org/1999/xhtml"
FEED_TITLES = {Kind.POSTING: _l("Open jobs"), Kind.STORY: _l("Blog")}
FEED_ENDPOINTS = {Kind.POSTING: "public.jobs_feed", Kind.STORY: "public.blog_feed"}


# Dates ---------------------------------------------------------------------


def _file_times(index: ContentIndex) -> dict[str, datetime]:
    times = {}
    for document in index.documents.values():
        try:
            modified = datetime.fromtimestamp(os.stat(document.source).st_mtime, UTC)
        except OSError:
            continue
        times[document.source] = modified.replace(microsecond=0)
    return times


def last_changed(document: Document) -> datetime:
    """Return when ``document``'s file last changed (read once per content version)."""
    times = content_store().derived("discovery.file_times", _file_times)
    return times.get(document.source) or document.date or EPOCH


def posted_at(document: Document) -> datetime:
    """Return when ``document`` was published: its ``date`` when it has one
    (stories do), else when its file last changed."""
    return document.date or last_changed(document)


def _w3c(moment: datetime | None) -> str | None:
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z") if moment else None


# Caching -------------------------------------------------------------------


def _memoised(key: tuple, build: Callable[[], T]) -> T:
    """Return ``build()``, kept for the current content version under ``key``."""
    memo = content_store().derived("discovery.memo", lambda index: {})
    if key not in memo:
        if len(memo) >= MEMO_LIMIT:
            memo.clear()
        memo[key] = build()
    return memo[key]


def _closing_times(index: ContentIndex) -> list[datetime]:
    return sorted({doc.closing_at.astimezone(UTC) for doc in index.documents.values() if doc.closing_at})


def _listed_now(index: ContentIndex) -> tuple[int, tuple[tuple[Kind, str, tuple[str, ...]], ...]]:
    """Return how many closing dates have passed, and the slugs each listing
    shows now by kind and language (worked out again only when one more
    closing date has passed): together with the index, the first names what
    the second holds."""
    now = datetime.now(UTC)
    passed = bisect.bisect_left(content_store().derived("discovery.closing_times", _closing_times), now)
    listed = _memoised(
        ("listed", passed),
        lambda: tuple(
            (kind, lang, tuple(document.slug for document in index.listed(kind, lang, now)))
            for kind in Kind
            for lang in languages()
        ),
    )
    return passed, listed


def _listed(index: ContentIndex, kind: Kind, lang: str, listed: Sequence) -> tuple[Document, ...]:
    slugs = next(slugs for (k, code, slugs) in listed if k is kind and code == lang)
    return tuple(index.documents[(kind, lang, slug)] for slug in slugs)


@bp.app_template_global()
def canonical_url() -> str:
    """Return the current page's absolute URL as the site writes it: no
    query string (a filtered listing's canonical page is the whole listing),
    but what the view declared in ``g.canonical_args`` (the whole listing's page number)."""
    return url_for(
        request.endpoint, _external=True, **(request.view_args or {}), **g.get("canonical_args", {})
    )


@bp.app_template_global()
def absolute_url(url: str) -> str:
    """Return ``url`` (an image's, as a content file writes it) made absolute
    against the current page."""
    return urljoin(canonical_url(), url)


# Sitemap -------------------------------------------------------------------


@dataclass(frozen=True)
class SitemapPage:
    """One URL of the sitemap, with its versions in every language."""

    url: str
    lastmod: datetime | None = None
    #: hreflang -> URL, the page itself and x-default included; empty for a page in one language.
    alternates: dict[str, str] = field(default_factory=dict)


def _absolute(endpoint: str, **values) -> str:
    return url_for(endpoint, _external=True, **values)


def _newest(documents: Iterable[Document]) -> datetime | None:
    return max((posted_at(document) for document in documents), default=None)


def sitemap_pages(index: ContentIndex, listed: Sequence) -> list[SitemapPage]:
    """Return every public page: the language choice, then per language the
    home page, the listings and each listed posting and story."""
    codes = list(languages())
    root = _absolute("public.language_choice")

    def cluster(urls: dict[str, str]) -> dict[str, str]:
        return {**urls, "x-default": root} if len(urls) > 1 else {}

    homes = {code: _absolute("public.home", **{LANG_ARG: code}) for code in codes}
    newest = {(kind, code): _newest(_listed(index, kind, code, listed)) for kind in Kind for code in codes}
    home_dates = {code: _latest(newest[(kind, code)] for kind in Kind) for code in codes}
    pages = [SitemapPage(root, _latest(home_dates.values()), cluster(homes))]
    for code in codes:
        pages.append(SitemapPage(homes[code], home_dates[code], cluster(homes)))
        for kind in Kind:
            endpoint = LISTING_ENDPOINTS[kind]
            urls = {other: _absolute(endpoint, **{LANG_ARG: other}) for other in codes}
            pages.append(SitemapPage(urls[code], newest[(kind, code)], cluster(urls)))
    # A translation that is closed or hidden is no version to point to.
    shown = {(kind, lang, slug) for (kind, lang, slugs) in listed for slug in slugs}
    for code in codes:
        for kind in Kind:
            for document in _listed(index, kind, code, listed):
                translations = index.translations_of(document)
                urls = {
                    lang: _absolute(
                        DOCUMENT_ENDPOINTS[kind], slug=translations[lang].slug, **{LANG_ARG: lang}
                    )
                    for lang in codes
                    if lang in translations and (kind, lang, translations[lang].slug) in shown
                }
                pages.append(SitemapPage(urls[code], posted_at(document), cluster(urls)))
    return pages


def _latest(moments: Iterable[datetime | None]) -> datetime | None:
    return max((moment for moment in moments if moment is not None), default=None)


def _sitemap_xml(pages: Sequence[SitemapPage]) -> bytes:
    urlset = etree.Element(f"{{{SITEMAP_NS}}}urlset", nsmap={None: SITEMAP_NS, "xhtml": XHTML_NS})
    for page in pages:
        entry = etree.SubElement(urlset, f"{{{SITEMAP_NS}}}url")
        etree.SubElement(entry, f"{{{SITEMAP_NS}}}loc").text = page.url
        if page.lastmod is not None:
            etree.SubElement(entry, f"{{{SITEMAP_NS}}}lastmod").text = _w3c(page.lastmod)
        for hreflang, url in page.alternates.items():
            etree.SubElement(entry, f"{{{XHTML_NS}}}link", rel="alternate", hreflang=hreflang, href=url)
    return etree.tostring(urlset, xml_declaration=True, encoding="UTF-8")


def _sitemap_index_xml(urls: Sequence[str], lastmod: datetime | None) -> bytes:
    sitemapindex = etree.Element(f"{{{SITEMAP_NS}}}sitemapindex", nsmap={None: SITEMAP_NS})
    for url in urls:
        entry = etree.SubElement(sitemapindex, f"{{{SITEMAP_NS}}}sitemap")
        etree.SubElement(entry, f"{{{SITEMAP_NS}}}loc").text = url
        if lastmod is not None:
            etree.SubElement(entry, f"{{{SITEMAP_NS}}}lastmod").text = _w3c(lastmod)
    return etree.tostring(sitemapindex, xml_declaration=True, encoding="UTF-8")


def _chunks(pages: list[SitemapPage]) -> list[list[SitemapPage]]:
    return [pages[start : start + MAX_SITEMAP_URLS] for start in range(0, len(pages), MAX_SITEMAP_URLS)]


def _sitemap_response(number: int | None):
    index = current_index()
    passed, listed = _listed_now(index)
    key = ("sitemap", request.host_url, passed, MAX_SITEMAP_URLS)
    chunks = _memoised(key, lambda: _chunks(sitemap_pages(index, listed)))
    if number is not None and not (len(chunks) > 1 and 1 <= number <= len(chunks)):
        abort(404)

    def build() -> bytes:
        if number is not None:
            return _sitemap_xml(chunks[number - 1])
        if len(chunks) <= 1:
            return _sitemap_xml(chunks[0] if chunks else [])
        urls = [_absolute("public.sitemap_part", number=part) for part in range(1, len(chunks) + 1)]
        return _sitemap_index_xml(urls, _latest(page.lastmod for chunk in chunks for page in chunk))

    return respond_cached(
        lambda: _memoised((*key, number), build),
        validator=(index.signature, passed, MAX_SITEMAP_URLS),
        mimetype="application/xml",
    )


@bp.route("/sitemap.xml")
def sitemap():
    """List every public page for search engines, with its other-language versions."""
    return _sitemap_response(None)


@bp.route("/sitemap-<int:number>.xml")
def sitemap_part(number: int):
    """Serve one part of a sitemap too large for one file."""
    return _sitemap_response(number)


# robots.txt ----------------------------------------------------------------


_CONVERTER = re.compile(r"<[^>]+>")


def kept_out_paths(rules: Iterable) -> list[str]:
    """Return the robots.txt patterns of the private blueprints' URLs: each
    URL with ``*`` for its variable parts, less those a shorter one covers."""
    patterns = {
        _CONVERTER.sub("*", rule.rule)
        for rule in rules
        if rule.endpoint.partition(".")[0] in PRIVATE_BLUEPRINTS
    }
    plain = {pattern for pattern in patterns if "*" not in pattern}
    return sorted(
        pattern
        for pattern in patterns
        if not any(pattern != prefix and pattern.startswith(prefix) for prefix in plain)
    )


def _robots_txt() -> str:
    lines = ["User-agent: *"]
    lines += [f"Disallow: {pattern}" for pattern in kept_out_paths(current_app.url_map.iter_rules())]
    lines += ["Allow: /", "", f"Sitemap: {_absolute('public.sitemap')}", ""]
    return "\n".join(lines)


@bp.route("/robots.txt")
def robots():
    """Point crawlers at the sitemap and keep them out of staff pages and forms."""
    return respond_cached(_robots_txt, validator=(request.host_url,), mimetype="text/plain")


# Atom feeds ----------------------------------------------------------------


def _tag(kind: Kind, lang: str, name: str) -> str:
    return f"tag:{urlsplit(request.host_url).hostname},{TAG_DATE}:{kind.value}/{lang}/{name}"


class _LinkAttributes(BaseEntryExtension):
    """Write an entry link's rel, type and hreflang, which feedgen 1.0 drops."""

    def __init__(self) -> None:
        self.attributes: dict[str, str] = {}

    def extend_atom(self, entry):
        for link in entry:
            if link.tag in ("link", "{http://www.w3.org/2005/Atom}link"):
                link.attrib.update(self.attributes)
        return entry


def atom_feed(kind: Kind, lang: str, documents: Sequence[Document], fallback_updated: datetime) -> bytes:
    """Return the Atom feed of ``documents``, the newest ``FEED_ENTRIES`` of them."""
    newest = sorted(documents, key=posted_at, reverse=True)[:FEED_ENTRIES]
    organisation = current_app.config["PORTAL_ORGANISATION_NAME"].get(lang, "")
    feed = FeedGenerator()
    feed.id(_tag(kind, lang, "feed"))
    feed.title(f"{FEED_TITLES[kind]} – {organisation}")
    feed.author({"name": organisation})
    feed.language(lang)
    feed.link(href=_absolute(FEED_ENDPOINTS[kind], **{LANG_ARG: lang}), rel="self")
    feed.link(href=_absolute(LISTING_ENDPOINTS[kind], **{LANG_ARG: lang}), rel="alternate", type="text/html")
    feed.updated(max((posted_at(document) for document in newest), default=fallback_updated))
    for document in newest:
        item = feed.add_entry(order="append")
        # The translationKey outlives a renamed file: readers do not see the entry again.
        item.id(_tag(kind, lang, document.translation_key or document.slug))
        item.title(document.title)
        item.link(href=_absolute(DOCUMENT_ENDPOINTS[kind], slug=document.slug, **{LANG_ARG: lang}))
        item.register_extension("link_attributes", _LinkAttributes, atom=True, rss=False)
        item.link_attributes.attributes = {"rel": "alternate", "type": "text/html", "hreflang": lang}
        item.updated(posted_at(document))
        item.published(posted_at(document))
        if document.description:
            item.summary(document.description)
        item.content(str(document.body_html), type="html")
        if document.author:
            item.author({"name": document.author})
    return feed.atom_str(pretty=True)


def _feed_response(kind: Kind):
    index = current_index()
    lang = g.lang_code
    passed, listed = _listed_now(index)
    documents = _listed(index, kind, lang, listed)

    def build() -> bytes:
        fallback = _newest(index.all(kind, lang)) or EPOCH
        return atom_feed(kind, lang, documents, fallback)

    key = ("feed", kind, lang, request.host_url, passed)
    return respond_cached(
        lambda: _memoised(key, build),
        validator=(index.signature, *key[1:]),
        mimetype="application/atom+xml",
    )


@localized_route(bp, "{jobs}/feed.xml")
def jobs_feed():
    """Serve the Atom feed of the open job postings."""
    return _feed_response(Kind.POSTING)


@localized_route(bp, "{blog}/feed.xml")
def blog_feed():
    """Serve the Atom feed of the blog stories."""
    return _feed_response(Kind.STORY)
