"""Application form views: parse, call the service, commit once, then email."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import abort, current_app, g, redirect, render_template, session, url_for
from sqlalchemy import select

from .. import applications, mail
from ..content import Document, Kind, current_index
from ..db import db
from ..i18n import LANG_ARG, format_file_size, languages, localized_route, set_translations
from ..models import Application
from . import bp
from .forms import ABOUT_MAX_WORDS, form_for
from .privacy import privacy_notice

#: How many of its own applications a browser can see the confirmation of.
REMEMBERED_APPLICATIONS = 20


@bp.after_request
def _never_store(response):
    # The form carries a CSRF token and the confirmation personal data.
    response.headers["Cache-Control"] = "no-store"
    return response


@localized_route(bp, "{jobs}/<slug>/{apply}", methods=["GET", "POST"])
def form(slug: str):
    """Show the application form of an open posting and take submissions."""
    posting = _posting_or_redirect(slug)
    now = datetime.now(UTC)
    if not posting.accepts_applications(now):
        return _closed(posting, now)
    form_class = form_for(posting.questions)
    form = form_class(
        languages={code: language["name"] for code, language in languages().items()},
        max_resume_bytes=int(current_app.config["PORTAL_MAX_RESUME_BYTES"]),
    )
    if not form.is_submitted():
        form.preferred_language.data = g.lang_code
    if form.validate_on_submit():
        application, created = applications.submit(
            db.session,
            posting,
            form.to_submission(posting.questions),
            privacy_notice_version=privacy_notice(g.lang_code).version,
            posting_titles=_titles(posting),
            contact_email=current_app.config["PORTAL_HIRING_CONTACT_EMAIL"],
            now=now,
        )
        db.session.commit()
        _remember(application.reference)
        response = redirect(url_for("apply.confirmation", reference=application.reference), 303)
        if created:
            ids = [email.id for email in mail.unsent_for(db.session, application.id)]
            response.call_on_close(mail.deliver_after_response(current_app._get_current_object(), ids))
        return response
    return render_template(
        "apply/form.html",
        posting=posting,
        form=form,
        privacy=privacy_notice(g.lang_code),
        about_max_words=ABOUT_MAX_WORDS,
        max_size=format_file_size(form.max_resume_bytes),
    )


@localized_route(bp, "{applications}/<reference>/")
def confirmation(reference: str):
    """Show the reference number, only to the browser that applied."""
    if reference not in session.get("applications", []):
        abort(404)
    application = db.session.scalar(select(Application).where(Application.reference == reference))
    if application is None:
        abort(404)
    return render_template(
        "apply/confirmation.html",
        application=application,
        posting_title=_title_in(application, g.lang_code),
        contact_email=current_app.config["PORTAL_HIRING_CONTACT_EMAIL"],
    )


def _posting_or_redirect(slug: str) -> Document:
    index = current_index()
    posting = index.get(Kind.POSTING, g.lang_code, slug)
    if posting is None:
        moved = index.find(Kind.POSTING, g.lang_code, slug)
        if moved is None:
            abort(404)
        abort(redirect(url_for("apply.form", slug=moved.slug, **{LANG_ARG: moved.lang}), 301))
    urls = {posting.lang: url_for("apply.form", slug=posting.slug)}
    for lang, other in index.counterparts(posting).items():
        urls[lang] = url_for("apply.form", slug=other.slug, **{LANG_ARG: lang})
    set_translations(urls, fallback=lambda lang: url_for("public.jobs", **{LANG_ARG: lang}))
    return posting


def _closed(posting: Document, now: datetime):
    """Refuse the form of a posting that takes no applications, clearly."""
    if posting.form_hidden and posting.is_open(now):
        abort(404)
    return render_template("apply/closed.html", posting=posting), 410


def _titles(posting: Document) -> dict[str, str]:
    titles = {posting.lang: posting.title}
    titles.update({lang: other.title for lang, other in current_index().counterparts(posting).items()})
    return titles


def _title_in(application: Application, lang: str) -> str:
    posting = current_index().get(Kind.POSTING, application.posting_lang, application.posting_slug)
    if posting is None:
        return application.posting_title
    return _titles(posting).get(lang, application.posting_title)


def _remember(reference: str) -> None:
    remembered = [ref for ref in session.get("applications", []) if ref != reference]
    session["applications"] = [*remembered, reference][-REMEMBERED_APPLICATIONS:]
