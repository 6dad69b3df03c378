"""Error pages in the language of the URL, or in every language when it has none."""

from __future__ import annotations

from dataclasses import dataclass

from flask import Flask, Response, current_app, g, redirect, render_template, request
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from markupsafe import Markup
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.exceptions import HTTPException, SecurityError

from ..plumbing import i18n
from ..plumbing.db import UNAVAILABLE, database_error_summary, db
from ..plumbing.http import kept_in_memory
from ..plumbing.requestlog import request_id
from . import api
from .documents import alias_target

#: The whole answer to a request for a host name this site does not serve
#: (bilingual, and in plain text: no page of the site can be linked to it).
UNTRUSTED_HOST = (
    "400 Bad Request: this site does not answer to that host name.\n"
    "400 Requête incorrecte\u00a0: ce site ne répond pas à ce nom d’hôte.\n"
)
#: Seconds a client should wait before trying a page that is unavailable (503).
RETRY_AFTER = 30

#: Title and explanation of each error page.
MESSAGES = {
    400: (
        _l("Something was wrong with that request"),
        _l(
            "Your browser sent something this site could not understand. "
            "Go back, reload the page and try again."
        ),
    ),
    403: (_l("You cannot see this page"), _l("You do not have permission to see this page.")),
    404: (
        _l("We couldn’t find that page"),
        _l("The address may be mistyped, or the page may have moved or been removed."),
    ),
    405: (
        _l("That action is not possible here"),
        _l("This page cannot be used that way. Go back and try again from the page itself."),
    ),
    410: (_l("That page has been removed"), _l("What was here is no longer available.")),
    413: (
        _l("That file is too large"),
        _l("What you sent is larger than this site accepts. Go back and choose a smaller file."),
    ),
    429: (
        _l("Too many attempts"),
        _l("You have tried too many times in a short while. Wait a few minutes, then try again."),
    ),
    "csrf": (
        _l("This form has expired"),
        _l(
            "For your security, forms can only be sent from the page that showed them. "
            "Go back, reload the form and send it again."
        ),
    ),
    "database": (
        _l("This service is unavailable for a few minutes"),
        _l(
            "Applying and the staff pages cannot be used for a few minutes because of a problem on our side. "
            "Nothing you sent was saved. You can still read the job postings. Please try again shortly."
        ),
    ),
    500: (
        _l("Something went wrong on our side"),
        _l("We have been told about the problem. Please try again in a few minutes."),
    ),
    503: (
        _l("This service is being updated"),
        _l(
            "Applying and the staff pages are unavailable for a few minutes while the site is updated. "
            "You can still read the job postings. Please try again shortly."
        ),
    ),
}


def init_app(app: Flask) -> None:
    """Show every HTTP error with the portal's own bilingual pages."""
    # Unhandled exceptions reach this as InternalServerError (500), except
    # when Flask propagates them (testing, debug), so tracebacks stay visible.
    app.register_error_handler(HTTPException, handle_http_error)
    for error_class in UNAVAILABLE:
        app.register_error_handler(error_class, handle_database_unavailable)


def handle_http_error(error: HTTPException):
    """Render an HTTP error; an old alias of a page redirects to it instead."""
    if isinstance(error, SecurityError):
        # An untrusted host name: no URL of this site can be built for it, and
        # nothing the request named is echoed back.
        return Response(UNTRUSTED_HOST, 400, mimetype="text/plain")
    if api.is_api_request() and error.code is not None and error.code >= 400:
        return api.error_response(error)
    if error.code == 404:
        moved = alias_target(request.path)
        if moved is not None:
            return redirect(moved, 301)
    if error.code is None or error.code < 400:
        return error
    if error.code == 503:
        page, code = render_error(503)
        return page, code, {"Retry-After": str(RETRY_AFTER)}
    if isinstance(error, CSRFError):
        note_refusal("csrf_refused")
        return render_error(error.code, "csrf")
    return render_error(error.code)


def handle_database_unavailable(error):
    """Answer 503 (bilingual) when the database cannot serve (unreachable,
    hung, locked, full): nothing the request did is kept."""
    forget_database_work(error)
    page, code = render_error(503, "database")
    return page, code, {"Retry-After": str(RETRY_AFTER)}


def forget_database_work(error) -> None:
    """Log that the database failed the request (its kind, never its message)
    and roll back what the request did, if the connection still allows it."""
    current_app.logger.error(
        "the database is unavailable for %s %s (request %s): %s",
        request.method,
        request.path,
        request_id(),
        database_error_summary(error),
    )
    try:
        db.session.rollback()
    except SQLAlchemyError:
        db.session.invalidate()


def note_refusal(action: str, *, application_id: int | None = None, posting_key: str | None = None) -> None:
    """Keep an audit entry of a refused request (denied access, a refused CSRF
    token) for ``web.commit_refusal``, which commits it alone after the error
    response: the request's own work is rolled back. It names the signed-in
    staff member, if any, and the path, never what the form held."""
    try:
        user = current_user.user if current_user.is_authenticated else None
    except SQLAlchemyError:
        # The database is unreachable or behind: commit_refusal will log that it could not record.
        user = None
    g.refusal = {
        "action": action,
        "actor": user.email if user else "",
        "staff_user_id": user.id if user else None,
        "role": str(user.role) if user else "",
        "application_id": application_id,
        "posting_key": posting_key,
        "ip_address": request.remote_addr or "",
        "detail": f"{request.method} {request.path}",
    }


def render_error(code: int, reason: str | None = None, *, every_language: bool = False):
    """Render the error page for ``code`` in the URL's language, or all of
    them (the URL's first) when it names none, when ``every_language`` is
    set, or for a server error (5xx: whoever meets one may not read the
    URL's language, and it carries the reference to quote)."""
    lang = i18n.language_of_path(request.path)
    codes = list(i18n.languages())
    every_language = every_language or code >= 500
    if lang and every_language:
        codes.sort(key=lambda code: code != lang)
    elif lang:
        codes = [lang]
    g.lang_code = codes[0]
    if code >= 500:
        return _error_page(code, reason, codes), code
    # The same for every visitor and every path of a language: rendered once.
    return kept_in_memory(("error", code, reason, *codes), lambda: _error_page(code, reason, codes)), code


def _error_page(code: int, reason: str | None, codes: list[str]) -> str:
    title, explanation = MESSAGES.get(reason or code) or MESSAGES[400 if code < 500 else 500]
    headings = [Heading(section_lang, _in_language(title, section_lang)) for section_lang in codes]
    sections = []
    for section_lang in codes:
        with i18n.language(section_lang):
            # A rendered template is already escaped HTML (bandit B704 is a false positive).
            sections.append(
                Markup(  # nosec B704
                    render_template(
                        "errors/_section.html",
                        code=code,
                        explanation=str(explanation),
                        section_lang=section_lang,
                        reference=request_id() if code >= 500 else None,
                    )
                )
            )
    with i18n.language(codes[0]):
        return render_template(
            "errors/error.html",
            code=code,
            headings=headings,
            sections=sections,
            bilingual=len(codes) > 1,
            # The page is an error, not a page missing its translation: the
            # toggle leads to the other language, without the "only in" notice.
            error_page=True,
            title=" / ".join(heading.text for heading in headings),
        )


@dataclass(frozen=True)
class Heading:
    """An error page's title in one language."""

    lang: str
    text: str


def _in_language(message, lang: str) -> str:
    with i18n.language(lang):
        return str(message)
