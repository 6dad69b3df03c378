"""Application form views: parse, call the service, render; the request commits once."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from flask import Blueprint, abort, current_app, g, redirect, render_template, request, session, url_for
from flask_babel import lazy_gettext as _l
from flask_wtf.form import SUBMIT_METHODS

from ...content import Document, Kind, current_index
from ...domain import applications, kept_resumes
from ...domain.models import Application, ScanStatus
from ...domain.privacy import privacy_notice
from ...domain.retention import period_in_words
from ...plumbing.db import UNAVAILABLE, db
from ...plumbing.i18n import (
    LANG_ARG,
    current_locale,
    format_file_size,
    language,
    languages,
    localized_route,
)
from .. import errors
from ..documents import document_or_redirect
from .blank_form import CSRF, SUBMISSION, blank_form_page
from .forms import ABOUT_MAX_WORDS, UPLOAD_MESSAGES, form_for

bp = Blueprint("apply", __name__)

#: What the form says, in every language, when the database could not take it.
NOT_SAVED = (
    _l("Your application was not sent"),
    _l(
        "We could not save your application because of a problem on our side: nothing was saved. "
        "Your answers are still in the form below. Choose your résumé again, then send the form "
        "again in a few minutes."
    ),
)
#: How many of its own applications a browser can see the confirmation of.
REMEMBERED_APPLICATIONS = 20
#: The session's random value that résumés kept for this browser are tied to.
KEPT_RESUME_BINDING = "kept_resume_binding"


@bp.after_request
def _never_store(response):
    # The form carries a CSRF token and the confirmation personal data.
    response.headers["Cache-Control"] = "no-store"
    return response


@localized_route(bp, "{jobs}/<slug>/{apply}", methods=["GET", "POST"])
def form(slug: str):
    """Show the application form of an open posting and take submissions."""
    posting = document_or_redirect(Kind.POSTING, slug, endpoint="apply.form")
    now = datetime.now(UTC)
    if not posting.accepts_applications(now):
        return _closed(posting, now)
    if request.method not in SUBMIT_METHODS:
        return blank_form_page(posting, lambda: _blank_form(posting))
    form = _new_form(posting)
    # Shown again, filled in, if the database fails (see _not_saved).
    g.apply_form = (posting, form)
    if form.kept_resume.data:
        form.kept = kept_resumes.find(db.session, form.kept_resume.data, **_kept_for(form, now))
        if form.kept is None and (sent := _sent_already(form)) is not None:
            return sent
    if form.validate_on_submit():
        submission = form.to_submission(posting.questions)
        if form.checked_resume is None:
            resume = kept_resumes.take(db.session, form.kept.key, **_kept_for(form, now))
            if resume is None:
                # Taken meanwhile: by this same form sent twice, or the purge.
                if (sent := _sent_already(form)) is not None:
                    return sent
                form.kept = None
                form.resume.errors = [UPLOAD_MESSAGES["missing"]]
                return _form_page(posting, form)
            submission = replace(submission, resume=resume)
        elif KEPT_RESUME_BINDING in session:
            # Another file replaces the one kept from the last try.
            kept_resumes.forget(
                db.session, binding=session[KEPT_RESUME_BINDING], form_token=form.submission_token.data
            )
        application, _created = applications.submit(
            db.session,
            posting,
            replace(
                submission,
                flags=form.bot_flags(now, float(current_app.config["PORTAL_MIN_FILL_SECONDS"])),
            ),
            privacy_notice_version=privacy_notice(g.lang_code).version,
            posting_titles=_titles(posting),
            contact_email=current_app.config["PORTAL_HIRING_CONTACT_EMAIL"],
            now=now,
            status_link=status_link,
        )
        _remember(application.reference)
        return redirect(url_for("apply.confirmation", reference=application.reference), 303)
    _keep_resume(form, now)
    return _form_page(posting, form)


def _new_form(posting: Document):
    return form_for(posting.questions)(
        languages={code: language["name"] for code, language in languages().items()},
        max_resume_bytes=int(current_app.config["PORTAL_MAX_RESUME_BYTES"]),
    )


def _blank_form(posting: Document) -> tuple[str, dict[str, str]]:
    """Render the form as nobody filled it in yet; return the page and its tokens."""
    form = _new_form(posting)
    form.preferred_language.data = g.lang_code
    tokens = {SUBMISSION: form.submission_token.data}
    if form.meta.csrf:
        tokens[CSRF] = form.csrf_token.current_token
    return _form_page(posting, form), tokens


def _kept_for(form, now: datetime) -> dict:
    return {
        "binding": session.get(KEPT_RESUME_BINDING, ""),
        "form_token": form.submission_token.data or "",
        "now": now,
        "hours": int(current_app.config["PORTAL_KEPT_RESUME_HOURS"]),
    }


def _sent_already(form):
    """Redirect to the confirmation when this very form was already stored
    (a double click whose first request used the kept résumé), else None."""
    token = form.submission_token.data or ""
    application = applications.find_by_token(db.session, token) if token else None
    if application is None:
        return None
    _remember(application.reference)
    return redirect(url_for("apply.confirmation", reference=application.reference), 303)


def _keep_resume(form, now: datetime) -> None:
    """Keep a new résumé that passed its checks on a form sent back with
    errors, so it need not be chosen again; a kept one shown stays ticked."""
    checked = form.checked_resume
    if checked is not None and checked.scan_status is ScanStatus.CLEAN and not form.submission_token.errors:
        binding = session.setdefault(KEPT_RESUME_BINDING, kept_resumes.new_binding())
        form.kept = kept_resumes.keep(
            db.session, checked, binding=binding, form_token=form.submission_token.data, now=now
        )
        form.keep_resume.data = True
    form.kept_resume.data = form.kept.key if form.kept is not None else ""
    if form.kept is not None:
        # The kept file stands for the résumé: choosing another is optional.
        form.resume.flags.required = False


def _form_page(posting: Document, form, not_saved: list[dict[str, str]] | None = None) -> str:
    kept = form.kept
    return render_template(
        "apply/form.html",
        posting=posting,
        form=form,
        kept=kept,
        kept_size=format_file_size(kept.size) if kept is not None else None,
        privacy=privacy_notice(g.lang_code),
        about_max_words=ABOUT_MAX_WORDS,
        max_size=format_file_size(form.max_resume_bytes),
        retention_period=period_in_words(current_app.config["PORTAL_RETENTION_PERIOD"], current_locale()),
        not_saved=not_saved,
    )


def _not_saved(error):
    """Show the form again, filled in, when the database cannot take a
    submission (503): every typed value is there, the notice says in every
    language that nothing was saved, and the résumé must be chosen again."""
    filled = g.pop("apply_form", None)
    if filled is None:
        return errors.handle_database_unavailable(error)
    errors.forget_database_work(error)
    posting, form = filled
    # Nothing was saved, so nothing is kept either.
    form.kept = None
    form.kept_resume.data = ""
    notices = []
    for code in sorted(languages(), key=lambda code: code != g.lang_code):
        with language(code):
            notices.append({"lang": code, "title": str(NOT_SAVED[0]), "text": str(NOT_SAVED[1])})
    headers = {"Retry-After": str(errors.RETRY_AFTER)}
    return _form_page(posting, form, not_saved=notices), 503, headers


for _error_class in UNAVAILABLE:
    bp.register_error_handler(_error_class, _not_saved)


@localized_route(bp, "{applications}/<reference>/")
def confirmation(reference: str):
    """Show the reference number, only to the browser that applied."""
    if reference not in session.get("applications", []):
        abort(404)
    application = applications.find_by_reference(db.session, reference)
    if application is None:
        abort(404)
    return render_template(
        "apply/confirmation.html",
        application=application,
        posting_title=_title_in(application, g.lang_code),
        contact_email=current_app.config["PORTAL_HIRING_CONTACT_EMAIL"],
    )


def status_link(lang: str, token: str) -> str:
    """Return the absolute URL of an application's status page in ``lang``
    (on the site the request came to); the token goes in the query string."""
    return url_for("apply.status", token=token, _external=True, **{LANG_ARG: lang})


def _closed(posting: Document, now: datetime):
    """Refuse the form of a posting that takes no applications, clearly."""
    if posting.form_hidden and posting.is_open(now):
        abort(404)
    return render_template("apply/closed.html", posting=posting), 410


def _titles(posting: Document) -> dict[str, str]:
    return {lang: other.title for lang, other in current_index().translations_of(posting).items()}


def _title_in(application: Application, lang: str) -> str:
    posting = current_index().posting(application.posting_key, lang)
    return posting.title if posting is not None else application.posting_title


def _remember(reference: str) -> None:
    remembered = [ref for ref in session.get("applications", []) if ref != reference]
    session["applications"] = [*remembered, reference][-REMEMBERED_APPLICATIONS:]
