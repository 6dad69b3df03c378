"""Job alert pages: subscribe, confirm, manage, unsubscribe.

The jobs list only links here (it stays a public, cacheable page without a
session); these pages carry forms with CSRF tokens or a subscriber's link,
so none is stored by any cache, indexed, or sent as a referrer. A link's
token travels in the query string, which no log of this site or its proxy
keeps (see README.md, "Production").
"""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Blueprint, abort, current_app, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext

from ...content import current_index
from ...content.jobfacts import EmploymentType, LanguageRequirement, RemoteWork
from ...content.search import CLOSING_SOON_DAYS, WHERE_REMOTE, JobQuery
from ...domain import alerts
from ...domain.models import JobAlert
from ...domain.privacy import privacy_notice
from ...plumbing.db import db
from ...plumbing.i18n import LANG_ARG, languages, localized_route, set_translations
from ...plumbing.security import csrf
from ..forms import PortalForm
from ..job_facts import EMPLOYMENT_TYPES, LANGUAGE_REQUIREMENTS, PROVINCE_NAMES, REMOTE_WORK
from .forms import ManageForm, SubscribeForm

bp = Blueprint("alerts", __name__)

#: What ``manage`` says after a change (the ``done`` parameter of its URL).
DONE = ("confirmed", "changed")


@bp.record_once
def _never_limit_unsubscribing(state) -> None:
    # Mail providers send every one-click unsubscribe from a few addresses:
    # the form's rate limit must not refuse them (the token is the guard).
    state.app.extensions["portal.limiter"].request_filter(lambda: request.endpoint == "alerts.unsubscribe")


@bp.after_request
def _private(response):
    # Forms with CSRF tokens, and pages opened with a subscriber's link.
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Robots-Tag"] = "noindex"
    return response


@bp.app_template_global()
def alert_search(query: JobQuery) -> list[str]:
    """Return the parts of a search in words, in the page (or email) language."""
    parts = []
    if query.text:
        parts.append(_("“%(words)s”", words=query.text))
    if query.classification:
        parts.append(query.classification)
    if query.where == WHERE_REMOTE:
        parts.append(str(REMOTE_WORK[RemoteWork.REMOTE]))
    elif query.where:
        parts.append(str(PROVINCE_NAMES[query.where]))
    if query.employment:
        parts.append(str(EMPLOYMENT_TYPES[EmploymentType(query.employment)]))
    if query.language:
        parts.append(str(LANGUAGE_REQUIREMENTS[LanguageRequirement(query.language)]))
    if query.closing_soon:
        parts.append(ngettext("Closing within %(num)d day", "Closing within %(num)d days", CLOSING_SOON_DAYS))
    return parts


@bp.app_template_global()
def alert_signup_url() -> str:
    """Return the sign-up page for alerts about the jobs list's current search."""
    return url_for("alerts.subscribe", **_search_args(JobQuery.from_args(request.args)))


def _search_args(query: JobQuery) -> dict[str, str]:
    return {name: value for name, value in query.to_args().items() if name != "sort"}


def _languages() -> dict[str, str]:
    return {code: language["name"] for code, language in languages().items() if not language.get("pseudo")}


def _now() -> datetime:
    return datetime.now(UTC)


def _confirm_days() -> int:
    return int(current_app.config["PORTAL_ALERT_CONFIRM_DAYS"])


def _keep_in_every_language(endpoint: str, **values) -> None:
    """Let the language toggle keep this page's parameters (search, token)."""
    set_translations({code: url_for(endpoint, **values, **{LANG_ARG: code}) for code in languages()})


@localized_route(bp, "{alerts}/{new}", methods=["GET", "POST"])
def subscribe():
    """Ask for job alerts, about the search in the URL or every new posting."""
    query = JobQuery.from_args(request.args)
    _keep_in_every_language("alerts.subscribe", **_search_args(query))
    form = SubscribeForm(languages=_languages())
    if not form.is_submitted():
        form.language.data = g.lang_code if g.lang_code in _languages() else None
    if form.validate_on_submit():
        alerts.subscribe(
            db.session,
            form.email.data,
            form.language.data,
            query if form.use_filters.data else JobQuery(),
            now=_now(),
            site_url=request.host_url,
            confirm_days=_confirm_days(),
        )
        return redirect(url_for("alerts.requested"), 303)
    return render_template(
        "alerts/subscribe.html",
        form=form,
        search=alert_search(query),
        jobs_url=url_for("public.jobs", **query.to_args()),
        privacy=privacy_notice(g.lang_code),
        confirm_days=_confirm_days(),
    )


@localized_route(bp, "{alerts}/")
def requested():
    """Say what happens next, whether or not the address was subscribed already."""
    return render_template("alerts/requested.html", confirm_days=_confirm_days())


@localized_route(bp, "{alerts}/{confirm}", methods=["GET", "POST"])
def confirm():
    """Show a pending subscription with a button that confirms it (a link
    scanner that opens the email's link confirms nothing)."""
    token = request.args.get("token", "")
    _keep_in_every_language("alerts.confirm", token=token)
    alert = _alert_or_problem(token)
    if alert.confirmed_at is not None:
        return redirect(url_for("alerts.manage", token=token), 303)
    form = PortalForm()
    if form.validate_on_submit():
        alerts.confirm(db.session, alert, current_index(), now=_now())
        return redirect(url_for("alerts.manage", token=token, done="confirmed"), 303)
    return render_template("alerts/confirm.html", alert=alert, form=form, search=_search_of(alert))


@localized_route(bp, "{alerts}/{manage}", methods=["GET", "POST"])
def manage():
    """Show a subscription: its address, language and search; change the
    language, drop the search, or unsubscribe."""
    token = request.args.get("token", "")
    _keep_in_every_language("alerts.manage", token=token)
    alert = _alert_or_problem(token)
    if alert.confirmed_at is None:
        return redirect(url_for("alerts.confirm", token=token), 303)
    form = ManageForm(languages=_languages())
    if not form.is_submitted():
        form.language.data = alert.language
    if form.validate_on_submit():
        query = alerts.query_of(alert) if form.keep_filters.data else JobQuery()
        alerts.change(db.session, alert, language=form.language.data, query=query)
        return redirect(url_for("alerts.manage", token=token, done="changed"), 303)
    done = request.args.get("done")
    return render_template(
        "alerts/manage.html",
        alert=alert,
        form=form,
        search=_search_of(alert),
        done=done if done in DONE else None,
        token=token,
    )


@localized_route(bp, "{alerts}/{unsubscribe}", methods=["GET", "POST"])
@csrf.exempt
def unsubscribe():
    """One-click unsubscribe (RFC 8058): a POST deletes the subscription, at
    once and without a CSRF token, as mail providers send it; doing it again
    changes nothing. A GET only shows the button, so a link scanner that
    opens the email's links unsubscribes nobody."""
    token = request.args.get("token", "")
    _keep_in_every_language("alerts.unsubscribe", token=token)
    if request.method == "POST":
        alerts.unsubscribe(db.session, token)
        return render_template("alerts/unsubscribed.html")
    alert = _alert_or_problem(token, expires=False)
    return render_template("alerts/unsubscribe.html", alert=alert, token=token)


def _search_of(alert: JobAlert) -> list[str]:
    return alert_search(alerts.query_of(alert))


def _alert_or_problem(token: str, *, expires: bool = True) -> JobAlert:
    """Return the subscription a link names, or end the request with a page
    that says why the link does not work (404 unknown, 410 expired; with
    ``expires`` False, an unconfirmed one past its time is still found)."""
    try:
        return alerts.open_link(
            db.session, token, now=_now(), confirm_days=_confirm_days() if expires else None
        )
    except alerts.AlertError as error:
        status = 410 if error.code == "expired" else 404
        page = render_template("alerts/link_problem.html", problem=error.code)
        abort(current_app.make_response((page, status)))
