"""Staff account views: the second sign-in step, the second factor
(authenticator app and recovery codes), invitations and password resets.

Registered on the ``staff`` blueprint; rules live in ``portal.domain``
(``second_factor``, ``account_links``, ``accounts``).
"""

from __future__ import annotations

import math
from datetime import UTC, datetime

import segno
from flask import abort, current_app, flash, g, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from markupsafe import Markup

from ...content import current_index
from ...domain import account_links, accounts, second_factor
from ...domain.models import Role
from ...domain.postings import posting_summaries
from ...plumbing.db import db
from ...plumbing.i18n import languages, localized_route
from ..forms import PortalForm, database_id
from . import auth
from .auth import access, client_address, safe_next, staff_user
from .forms import (
    CodeForm,
    ConfirmPasswordForm,
    EmailForm,
    EnrolForm,
    InviteForm,
    NewPasswordForm,
    ResendInvitationForm,
    password_refusal,
)
from .views import bp

#: Where a signed-in member's enrolment keeps its nonce (see second_factor.enrolment_secret).
_ENROL_NONCE = "staff_enrol_nonce"


def _now() -> datetime:
    return datetime.now(UTC)


def _limit_reset_requests(state) -> None:
    # The limiter is per app, so the view is wrapped when the blueprint is
    # registered; Flask-Limiter checks a decorated limit in its wrapper.
    limiter = state.app.extensions["portal.limiter"]
    endpoint = f"{state.name}.forgot_password"
    state.app.view_functions[endpoint] = limiter.limit(
        lambda: current_app.config["PORTAL_PASSWORD_RESET_RATE_LIMIT"], methods=["POST"]
    )(state.app.view_functions[endpoint])


# The second step of signing in -----------------------------------------------


@localized_route(bp, "{staff}/{sign_in}/{code}", methods=["GET", "POST"])
@access("public")
def sign_in_code():
    """Ask for the authenticator app's code (or a recovery code) after a
    correct password; only then is a session opened."""
    found = auth.pending("code")
    if found is None:
        return _start_again()
    user, state = found
    form = CodeForm()
    status, headers = 200, {}
    if form.validate_on_submit():
        try:
            token = second_factor.sign_in_with_code(
                db.session, user, form.code.data, ip_address=client_address(), now=_now()
            )
        except accounts.AccountError as error:
            # Returned normally, so the failure is committed to the audit log.
            if error.code == "throttled":
                status, headers = 429, {"Retry-After": str(error.retry_after)}
                form.code.errors = [_too_many(error.retry_after)]
            else:
                form.code.errors = [_("This code is not right. Try the newest code your app shows.")]
        else:
            auth.sign_in(user, token)
            return redirect(safe_next(state.get("next")) or url_for("staff.dashboard"))
    return render_template("staff/sign_in_code.html", form=form), status, headers


@localized_route(bp, "{staff}/{sign_in}/{two_factor}", methods=["GET", "POST"])
@access("public")
def sign_in_enrol():
    """Set up the second factor that the account's role requires, right
    after the password (or an invitation); then open the session."""
    found = auth.pending("enrol")
    if found is None or second_factor.enrolled(found[0]):
        return _start_again()
    user, state = found
    secret = second_factor.enrolment_secret(user, state["nonce"])
    form = EnrolForm()
    codes = _confirm_enrolment(user, secret, form)
    if codes is not None:
        token = accounts.open_session(db.session, user, client_address(), _now())
        auth.sign_in(user, token)
        return _show_codes(codes, safe_next(state.get("next")) or url_for("staff.dashboard"))
    return _render_enrol(user, secret, form, required=True)


def _confirm_enrolment(user, secret: str, form: EnrolForm) -> list[str] | None:
    """Enrol the app when the form's code is right; return the new recovery
    codes, or None (with the field's error set when the code was wrong)."""
    if not form.validate_on_submit():
        return None
    try:
        return second_factor.enrol(
            db.session, user, secret, form.code.data, now=_now(), ip_address=client_address()
        )
    except second_factor.SecondFactorError:
        form.code.errors = [_("This code is not right. Check the app and enter the code it shows now.")]
        return None


# One's own second factor -------------------------------------------------------


@localized_route(bp, "{staff}/{two_factor}/")
@access("staff")
def second_factor_settings():
    """Show whether two-step sign-in is on, with its recovery codes and how to turn it off."""
    return _render_settings()


@localized_route(bp, "{staff}/{two_factor}/{set_up}", methods=["GET", "POST"])
@access("staff")
def enrol_second_factor():
    """Set up an authenticator app: shown as a QR code and a key, confirmed by a code."""
    user = staff_user()
    if second_factor.enrolled(user):
        return redirect(url_for("staff.second_factor_settings"))
    nonce = session.get(_ENROL_NONCE)
    if not isinstance(nonce, str):
        nonce = session[_ENROL_NONCE] = second_factor.new_nonce()
    secret = second_factor.enrolment_secret(user, nonce)
    form = EnrolForm()
    codes = _confirm_enrolment(user, secret, form)
    if codes is not None:
        session.pop(_ENROL_NONCE, None)
        return _show_codes(codes, url_for("staff.second_factor_settings"))
    return _render_enrol(user, secret, form, required=second_factor.required(user))


@localized_route(bp, "{staff}/{two_factor}/{recovery_codes}", methods=["POST"])
@access("staff")
def renew_recovery_codes():
    """Replace every recovery code (the password confirms it); the new ones are shown once."""
    form = ConfirmPasswordForm(prefix="renew")
    if form.validate_on_submit():
        try:
            codes = second_factor.renew_recovery_codes(
                db.session, staff_user(), form.password.data, now=_now(), ip_address=client_address()
            )
        except second_factor.SecondFactorError as error:
            if error.code == "not_enrolled":
                return redirect(url_for("staff.second_factor_settings"))
            form.password.errors = [_("Your password is not right")]
        else:
            return _show_codes(codes, url_for("staff.second_factor_settings"))
    return _render_settings(renew_form=form)


@localized_route(bp, "{staff}/{two_factor}/{turn_off}", methods=["POST"])
@access("staff")
def turn_off_second_factor():
    """Turn two-step sign-in off (the password confirms it), unless the role requires it."""
    form = ConfirmPasswordForm(prefix="off")
    if form.validate_on_submit():
        try:
            second_factor.turn_off(
                db.session, staff_user(), form.password.data, now=_now(), ip_address=client_address()
            )
        except second_factor.SecondFactorError as error:
            if error.code == "required":
                flash(_("Your role requires two-step sign-in: it cannot be turned off."), "error")
                return redirect(url_for("staff.second_factor_settings"))
            else:
                form.password.errors = [_("Your password is not right")]
        else:
            flash(_("Two-step sign-in is off. Your recovery codes no longer work."))
            return redirect(url_for("staff.second_factor_settings"))
    return _render_settings(off_form=form)


# Admins: invitations and lost phones ---------------------------------------------


@localized_route(bp, "{staff}/{accounts}/{invite}", methods=["GET", "POST"])
@access("admin")
def invite():
    """Invite a new staff member by email; the account exists from now on,
    without a password until the link is used."""
    form = InviteForm()
    _invite_choices(form)
    if request.method == "GET":
        form.role.data = Role.REVIEWER.value
        form.language.data = g.lang_code
    if form.validate_on_submit():
        try:
            user = account_links.invite(
                db.session,
                form.email.data,
                form.role.data,
                posting_keys=set(form.postings.data or []),
                language=form.language.data,
                by=staff_user(),
                now=_now(),
                ip_address=client_address(),
                link=_link_builder("staff.accept_invitation", form.language.data),
            )
        except accounts.AccountError as error:
            if error.code == "email_taken":
                form.email.errors = [_("A staff account already has this email address.")]
            else:
                form.email.errors = [_("Enter an email address like name@example.com")]
        else:
            flash(_("Invitation sent to %(email)s.", email=user.email))
            return redirect(url_for("staff.staff_accounts"))
    return render_template(
        "staff/invite.html", form=form, hours=int(account_links.INVITATION_LIFETIME.total_seconds() // 3600)
    )


@localized_route(bp, "{staff}/{accounts}/<int:staff_id>/{invite}", methods=["POST"])
@access("admin")
def resend_invitation(staff_id: int):
    """Send a new invitation link to an account that never set its password."""
    account = _account(staff_id)
    form = ResendInvitationForm(prefix="resend")
    form.language.choices = _language_choices()
    if form.validate_on_submit():
        try:
            account_links.resend_invitation(
                db.session,
                account,
                language=form.language.data,
                by=staff_user(),
                now=_now(),
                ip_address=client_address(),
                link=_link_builder("staff.accept_invitation", form.language.data),
            )
        except account_links.LinkError:
            flash(_("This account has set its password already: there is no invitation to send."), "error")
        else:
            flash(_("A new invitation was sent to %(email)s.", email=account.email))
    else:
        flash(_("Choose the language of the email"), "error")
    return redirect(url_for("staff.staff_account", staff_id=account.id))


@localized_route(bp, "{staff}/{accounts}/<int:staff_id>/{two_factor}", methods=["POST"])
@access("admin")
def reset_second_factor(staff_id: int):
    """Remove another account's second factor (a lost phone); its sessions end."""
    account = _account(staff_id)
    if PortalForm().validate_on_submit():
        try:
            second_factor.reset(db.session, account, by=staff_user(), now=_now(), ip_address=client_address())
        except second_factor.SecondFactorError as error:
            if error.code == "own_account":
                flash(_("Turn your own two-step sign-in off from your own page."), "error")
            else:
                flash(_("This account does not use two-step sign-in."), "error")
        else:
            flash(
                _(
                    "Two-step sign-in of %(email)s is reset and its sessions have ended. It is set up "
                    "again at the next sign-in.",
                    email=account.email,
                )
            )
    return redirect(url_for("staff.staff_account", staff_id=account.id))


# Links sent by email --------------------------------------------------------------


@localized_route(bp, "{staff}/{invitation}/<token>", methods=["GET", "POST"])
@access("public")
def accept_invitation(token: str):
    """Choose a first password from an invitation link, then sign in (after
    setting up the second factor where the role requires it)."""
    problem = _link_problem(token, account_links.INVITATION)
    if problem:
        return problem
    form = NewPasswordForm()
    if form.validate_on_submit():
        try:
            user = account_links.accept_invitation(
                db.session, token, form.new.data, now=_now(), ip_address=client_address()
            )
        except accounts.AccountError as error:
            form.new.errors = [password_refusal(error.code)]
        else:
            auth.forget_browser()
            return auth.after_password(user, None)
    return render_template("staff/set_password.html", form=form, purpose=account_links.INVITATION)


@localized_route(bp, "{staff}/{forgot_password}", methods=["GET", "POST"])
@access("public")
def forgot_password():
    """Ask for a password reset link. The answer is the same whether or not
    the address has an account; requests are limited per client address."""
    form = EmailForm()
    if form.validate_on_submit():
        account_links.request_reset(
            db.session,
            form.email.data,
            language=g.lang_code,
            now=_now(),
            ip_address=client_address(),
            link=_link_builder("staff.reset_password", g.lang_code),
        )
        return render_template(
            "staff/reset_requested.html", minutes=int(account_links.RESET_LIFETIME.total_seconds() // 60)
        )
    return render_template("staff/forgot_password.html", form=form)


@localized_route(bp, "{staff}/{reset_password}/<token>", methods=["GET", "POST"])
@access("public")
def reset_password(token: str):
    """Choose a new password from a reset link; every session of the account ends."""
    problem = _link_problem(token, account_links.RESET)
    if problem:
        return problem
    form = NewPasswordForm()
    if form.validate_on_submit():
        try:
            account_links.reset_password(
                db.session, token, form.new.data, now=_now(), ip_address=client_address()
            )
        except accounts.AccountError as error:
            form.new.errors = [password_refusal(error.code)]
        else:
            auth.forget_browser()
            flash(_("Your password is changed and every session of your account has ended. Sign in with it."))
            return redirect(url_for("staff.sign_in"))
    return render_template("staff/set_password.html", form=form, purpose=account_links.RESET)


bp.record_once(_limit_reset_requests)


# Helpers -------------------------------------------------------------------------


def _start_again():
    auth.forget_pending()
    flash(_("Your sign-in took too long or was interrupted. Sign in again."))
    return redirect(url_for("staff.sign_in"))


def _too_many(retry_after: int) -> str:
    minutes = max(1, math.ceil(retry_after / 60))
    return ngettext(
        "Too many failed attempts. Try again in %(num)d minute.",
        "Too many failed attempts. Try again in %(num)d minutes.",
        minutes,
    )


def _show_codes(codes: list[str], continue_url: str):
    return render_template("staff/recovery_codes.html", codes=codes, continue_url=continue_url)


def _render_enrol(user, secret: str, form: EnrolForm, *, required: bool):
    issuer = current_app.config["PORTAL_ORGANISATION_NAME"].get(g.lang_code, "")
    uri = second_factor.provisioning_uri(user, secret, issuer)
    svg = segno.make(uri, error="m").svg_inline(
        scale=4, light="#fff", svgclass="qr-code", title=_("QR code to scan with your authenticator app")
    )
    # Markup: segno wrote the SVG and escaped its title (bandit B704 is a false positive).
    return render_template(
        "staff/enrol.html",
        form=form,
        qr_svg=Markup(svg.replace("<svg ", '<svg role="img" ', 1)),  # nosec B704
        key=second_factor.grouped(secret),
        required=required,
    )


def _render_settings(renew_form=None, off_form=None):
    user = staff_user()
    return render_template(
        "staff/second_factor.html",
        enrolled=second_factor.enrolled(user),
        required=second_factor.required(user),
        remaining=second_factor.remaining_recovery_codes(db.session, user),
        renew_form=renew_form or ConfirmPasswordForm(prefix="renew", formdata=None),
        off_form=off_form or ConfirmPasswordForm(prefix="off", formdata=None),
    )


def _account(staff_id: int):
    account = accounts.get_user(db.session, database_id(staff_id))
    if account is None:
        abort(404)
    return account


def _language_choices() -> list[tuple[str, str]]:
    return [(code, language["name"]) for code, language in languages().items() if not language.get("pseudo")]


def _invite_choices(form: InviteForm) -> None:
    summaries = posting_summaries(db.session, staff_user(), current_index(), g.lang_code, _now())
    form.postings.choices = [(summary.key, summary.title) for summary in summaries]
    form.language.choices = _language_choices()


def _link_builder(endpoint: str, language: str):
    return lambda token: url_for(endpoint, token=token, lang_code=language, _external=True)


def _link_problem(token: str, purpose: str):
    """Return the page for a link that cannot be used (404 unknown, 410
    expired or used), or None."""
    try:
        account_links.open_link(db.session, token[:200], purpose, _now())
    except account_links.LinkError as error:
        status = 404 if error.code == "unknown" else 410
        return render_template("staff/link_problem.html", problem=error.code, purpose=purpose), status
    return None
