"""Finding a posting or story from its URL: the exact slug, a 301 for an
inexact one (case, encoding, the other language's slug, an old alias), and
the language toggle to its translations. Public pages and the apply form
share it."""

from __future__ import annotations

from flask import abort, current_app, g, redirect, request, url_for

from ..content import Document, Kind, current_index
from ..plumbing.i18n import LANG_ARG, set_translations

#: The endpoint that shows one document of each kind, and its listing.
DOCUMENT_ENDPOINTS = {Kind.POSTING: "public.posting", Kind.STORY: "public.story"}
LISTING_ENDPOINTS = {Kind.POSTING: "public.jobs", Kind.STORY: "public.blog"}


def document_url(document: Document, endpoint: str | None = None) -> str:
    """Return the URL of a document's page (or of ``endpoint`` for it) in its own language."""
    endpoint = endpoint or DOCUMENT_ENDPOINTS[document.kind]
    return url_for(endpoint, slug=document.slug, **{LANG_ARG: document.lang})


def document_or_redirect(kind: Kind, slug: str, endpoint: str | None = None) -> Document:
    """Return the document at ``slug`` in the page language and point the
    toggle at its translations; redirect (301) an inexact slug; else 404.

    ``endpoint`` is the page being shown (default: the document's own page).
    """
    index = current_index()
    document = index.get(kind, g.lang_code, slug)
    if document is None:
        moved = index.find(kind, g.lang_code, slug)
        if moved is None:
            abort(404)
        abort(redirect(document_url(moved, endpoint), 301))
    set_translations(
        _translation_urls(index, document, endpoint),
        fallback=lambda lang: url_for(LISTING_ENDPOINTS[kind], **{LANG_ARG: lang}),
    )
    return document


def _translation_urls(index, document: Document, endpoint: str | None) -> dict[str, str]:
    """The URLs of a document's translations, worked out once per content
    version (building URLs costs more than serving a page kept in memory)."""
    known = current_app.extensions.setdefault("portal.translation_urls", {})
    key = (index.signature, request.script_root, document.kind, document.lang, document.slug, endpoint)
    urls = known.get(key)
    if urls is None:
        if len(known) > 4 * len(index.documents) + 100:
            known.clear()  # an older content version's URLs
        translations = index.translations_of(document).items()
        urls = {lang: document_url(other, endpoint) for lang, other in translations}
        known[key] = urls
    return urls


def alias_target(path: str) -> str | None:
    """Return the page an old address (a front-matter alias) now lives at."""
    index = current_index()
    key = index.aliases.get("/" + path.strip("/") + "/")
    document = key and index.get(*key)
    return document_url(document) if document else None
