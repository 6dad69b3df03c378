"""Public pages: thin lookups in the content index, rendered with caching."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import abort, g, redirect, url_for
from flask_babel import lazy_gettext as _l

from ..content import Document, Kind, current_index
from ..http import render_cached
from ..i18n import LANG_ARG, languages, localized_route, set_translations
from . import bp

#: The endpoint that shows one document of each kind, and its listing.
DOCUMENT_ENDPOINTS = {Kind.POSTING: "public.posting", Kind.STORY: "public.story"}
LISTING_ENDPOINTS = {Kind.POSTING: "public.jobs", Kind.STORY: "public.blog"}
HOME_LATEST_JOBS = 5
HOME_LATEST_STORIES = 3
#: Labels of the optional posting facts (see content.loader.DETAIL_KEYS).
DETAIL_LABELS = {
    "classification": _l("Classification"),
    "compensation": _l("Salary"),
    "term": _l("Type of employment"),
    "languageRequirement": _l("Language requirements"),
}


@bp.route("/")
def language_choice():
    """Show the bilingual language-choice page."""
    index = current_index()
    return render_cached(
        "public/language_choice.html",
        validator=(index.signature,),
        choices=list(languages()),
        bilingual=True,
    )


@localized_route(bp, "")
def home():
    """Show the careers home page in one language."""
    index = current_index()
    now = datetime.now(UTC)
    jobs = index.listed(Kind.POSTING, g.lang_code, now)
    stories = index.listed(Kind.STORY, g.lang_code, now)
    return render_cached(
        "public/home.html",
        validator=(index.signature, *(job.slug for job in jobs)),
        jobs=jobs[:HOME_LATEST_JOBS],
        job_count=len(jobs),
        stories=stories[:HOME_LATEST_STORIES],
    )


@localized_route(bp, "{jobs}/")
def jobs():
    """List the open job postings."""
    index = current_index()
    postings = index.listed(Kind.POSTING, g.lang_code, datetime.now(UTC))
    return render_cached(
        "public/jobs.html",
        validator=(index.signature, *(posting.slug for posting in postings)),
        postings=postings,
    )


@localized_route(bp, "{jobs}/<slug>/")
def posting(slug: str):
    """Show one job posting; a closed one answers 410 Gone, still readable."""
    document = _find_document(Kind.POSTING, slug)
    now = datetime.now(UTC)
    is_open = document.is_open(now)
    accepts_applications = document.accepts_applications(now)
    return render_cached(
        "public/posting.html",
        validator=(current_index().signature, is_open, accepts_applications),
        status=200 if is_open else 410,
        posting=document,
        is_open=is_open,
        accepts_applications=accepts_applications,
        detail_labels=DETAIL_LABELS,
    )


@localized_route(bp, "{blog}/")
def blog():
    """List the blog stories, newest first."""
    index = current_index()
    return render_cached(
        "public/blog.html",
        validator=(index.signature,),
        stories=index.listed(Kind.STORY, g.lang_code, datetime.now(UTC)),
    )


@localized_route(bp, "{blog}/<slug>/")
def story(slug: str):
    """Show one blog story."""
    document = _find_document(Kind.STORY, slug)
    return render_cached(
        "public/story.html",
        validator=(current_index().signature,),
        story=document,
    )


def _find_document(kind: Kind, slug: str) -> Document:
    """Return the document at ``slug``; redirect (301) an inexact slug; else 404."""
    index = current_index()
    document = index.get(kind, g.lang_code, slug)
    if document is None:
        moved = index.find(kind, g.lang_code, slug)
        if moved is None:
            abort(404)
        abort(redirect(document_url(moved), 301))
    urls = {document.lang: document_url(document)}
    urls.update({lang: document_url(other) for lang, other in index.counterparts(document).items()})
    set_translations(urls, fallback=lambda lang: url_for(LISTING_ENDPOINTS[kind], **{LANG_ARG: lang}))
    return document


def document_url(document: Document) -> str:
    """Return the URL of a document in its own language."""
    return url_for(DOCUMENT_ENDPOINTS[document.kind], slug=document.slug, **{LANG_ARG: document.lang})
