"""Public pages: thin lookups in the content index, rendered with caching."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Blueprint, g, render_template, request
from flask_babel import lazy_gettext as _l

from ...content import Kind, current_index
from ...content.search import JobQuery, Sort, closes_soon, days_until
from ...plumbing.http import render_cached, respond_cached
from ...plumbing.i18n import languages, localized_route, set_translations
from ..documents import document_or_redirect
from . import job_list

bp = Blueprint("public", __name__)

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
        validator=(
            index.signature,
            *(job.slug for job in jobs),
            # What a card says changes with the day: "Closes in 3 days".
            *(
                (job.slug, days_until(job.closing_at, now))
                for job in jobs[:HOME_LATEST_JOBS]
                if closes_soon(job, now)
            ),
        ),
        jobs=jobs[:HOME_LATEST_JOBS],
        job_count=len(jobs),
        stories=stories[:HOME_LATEST_STORIES],
    )


@localized_route(bp, "{jobs}/")
def jobs():
    """List the open job postings that match the search and filters in the URL, a page at a time."""
    index = current_index()
    now = datetime.now(UTC)
    query = JobQuery.from_args(request.args)
    asked = job_list.page_number(request.args.get("page"))

    def render() -> str:
        result = job_list.search_page(index, g.lang_code, query, asked, now)
        set_translations({code: result.url(lang=code) for code in languages()})
        if not query.filtered and query.sort is Sort.NEWEST and result.page > 1:
            # Each page of the whole list is its own page for search engines.
            g.canonical_args = {"page": result.page}
        return render_template(
            "public/jobs.html",
            result=result,
            query=query,
            cards=job_list.posting_cards(index, g.lang_code, result.shown, now),
            options=job_list.filter_options(
                job_list.offered_filter_values(index, g.lang_code, result.listed), query
            ),
            terms=job_list.describe_query(query),
            closing_soon_label=job_list.closing_soon_label(),
        )

    # Known before searching: a search already answered is served from memory.
    return respond_cached(render, validator=job_list.validator(index, g.lang_code, query, asked, now))


@localized_route(bp, "{jobs}/<slug>/")
def posting(slug: str):
    """Show one job posting; a closed one answers 410 Gone, still readable."""
    document = document_or_redirect(Kind.POSTING, slug)
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
    document = document_or_redirect(Kind.STORY, slug)
    return render_cached(
        "public/story.html",
        validator=(current_index().signature,),
        story=document,
    )
