"""The candidate's own pages, without an account: the status page their
personal link opens, "lost your link?", and withdrawal.

These pages are opened with a candidate's link or carry a form: no cache
stores them, no search engine indexes them, and no other site is told their
address (the token is in the query string, which no log of this site keeps).
Their POSTs are rate-limited with the rest of the apply blueprint.
"""

from __future__ import annotations

from datetime import UTC, datetime

from flask import abort, current_app, g, make_response, redirect, render_template, request, url_for
from flask_babel import lazy_gettext as _l
from wtforms import StringField, TextAreaField
from wtforms.fields import EmailField
from wtforms.validators import DataRequired

from ...content import current_index
from ...domain import candidate_access, limits
from ...domain.models import Application
from ...plumbing.db import db
from ...plumbing.i18n import LANG_ARG, languages, localized_route, set_translations
from ..forms import EmailAddress, MaxLength, PortalForm
from .views import bp, status_link

#: The pages of this module: private to the candidate whose link opens them.
PRIVATE_ENDPOINTS = frozenset({"apply.status", "apply.lost_link", "apply.withdraw"})
#: A reference as printed is 14 characters; room for spaces typed around it.
REFERENCE_LENGTH = 40


class LostLinkForm(PortalForm):
    """Ask for the status link again: the address and reference of the application."""

    email = EmailField(
        _l("Email address"),
        description=_l("The address you gave in your application."),
        validators=[DataRequired(_l("Enter your email address")), MaxLength(limits.EMAIL), EmailAddress()],
    )
    reference = StringField(
        _l("Reference number"),
        description=_l("It is in the confirmation email, for example 7KQ4-M9XP-2HTD."),
        validators=[DataRequired(_l("Enter your reference number")), MaxLength(REFERENCE_LENGTH)],
    )


class WithdrawForm(PortalForm):
    """Confirm a withdrawal, with an optional reason."""

    reason = TextAreaField(
        _l("Why are you withdrawing? (optional)"),
        description=_l("The hiring team reads it. You do not have to say."),
        validators=[MaxLength(limits.DECISION_REASON)],
    )


@bp.after_request
def _private(response):
    if request.endpoint in PRIVATE_ENDPOINTS:
        response.headers["Cache-Control"] = "no-store"
        response.headers["Referrer-Policy"] = "no-referrer"
        response.headers["X-Robots-Tag"] = "noindex"
    return response


@localized_route(bp, "{application_status}")
def status():
    """Show where an application stands, in candidate words, to whoever has its link."""
    token = request.args.get("token", "")
    _keep_in_every_language("apply.status", token=token)
    application = _application_or_problem(token)
    done = request.args.get("done")
    return render_template(
        "apply/status.html",
        application=application,
        posting_title=title_in(application, g.lang_code),
        status=candidate_access.candidate_status(application),
        can_withdraw=candidate_access.can_withdraw(application),
        by_candidate=candidate_access.withdrawn_by_candidate(application),
        withdrawn_now=done == "withdrawn",
        token=token,
        contact_email=current_app.config["PORTAL_HIRING_CONTACT_EMAIL"],
    )


@localized_route(bp, "{application_status}/{withdraw}", methods=["GET", "POST"])
def withdraw():
    """Withdraw an application: a page with the consequences and an optional
    reason, then the POST that does it."""
    token = request.args.get("token", "")
    _keep_in_every_language("apply.withdraw", token=token)
    application = _application_or_problem(token)
    if not candidate_access.can_withdraw(application):
        return redirect(url_for("apply.status", token=token), 303)
    form = WithdrawForm()
    if form.validate_on_submit():
        candidate_access.withdraw(
            db.session,
            application,
            reason=form.reason.data or "",
            now=datetime.now(UTC),
            status_url=status_link(application.preferred_language, token),
            posting_title=title_in,
            contact_email=current_app.config["PORTAL_HIRING_CONTACT_EMAIL"],
        )
        return redirect(url_for("apply.status", token=token, done="withdrawn"), 303)
    return render_template(
        "apply/withdraw.html",
        application=application,
        posting_title=title_in(application, g.lang_code),
        form=form,
        token=token,
    )


@localized_route(bp, "{application_status}/{lost_link}", methods=["GET", "POST"])
def lost_link():
    """Send the status link again to the address of the application with
    this reference; the answer is the same whether or not they match."""
    if request.method == "GET" and request.args.get("sent"):
        return render_template("apply/lost_link_sent.html")
    form = LostLinkForm()
    if form.validate_on_submit():
        candidate_access.send_link_again(
            db.session,
            form.email.data,
            form.reference.data,
            now=datetime.now(UTC),
            link=status_link,
            posting_title=title_in,
            contact_email=current_app.config["PORTAL_HIRING_CONTACT_EMAIL"],
        )
        return redirect(url_for("apply.lost_link", sent="1"), 303)
    return render_template("apply/lost_link.html", form=form)


def title_in(application: Application, lang: str) -> str:
    """Return the title of the application's posting in ``lang`` (the stored
    one when the posting is no longer published in that language)."""
    posting = current_index().posting(application.posting_key, lang)
    return posting.title if posting is not None else application.posting_title


def _keep_in_every_language(endpoint: str, **values) -> None:
    """Let the language toggle keep the link's token."""
    set_translations({code: url_for(endpoint, **values, **{LANG_ARG: code}) for code in languages()})


def _application_or_problem(token: str) -> Application:
    """Return the application a status link names, or end the request with a
    page that says why the link does not work (404 unknown, 410 replaced)."""
    try:
        return candidate_access.open_status_link(db.session, token)
    except candidate_access.LinkError as error:
        status = 410 if error.code == "revoked" else 404
        page = render_template("apply/status_problem.html", problem=error.code)
        abort(make_response(page, status))
