"""Staff views: parse the request, call a domain service, map its errors, render.

Rules and queries live in ``portal.domain`` (review, accounts, audit,
postings); the request commits once, after the view returns.
"""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime, time, timedelta
from typing import NoReturn

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    stream_with_context,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import ngettext
from wtforms.fields.choices import SelectChoice

from ...content import content_store, current_index
from ...content.translations import FindingKind, UnpairedReason, translation_report
from ...domain import (
    accounts,
    applications,
    assessments,
    audit,
    candidate_access,
    decisions,
    essentials,
    finder,
    mail,
    name_blind,
    reports,
    resumes,
    retention,
    review,
    second_factor,
)
from ...domain.models import Role, Status
from ...domain.postings import posting_summaries, posting_title, question_labels
from ...plumbing.config import timezone
from ...plumbing.db import db
from ...plumbing.i18n import localized_route
from ..forms import database_id
from . import auth
from .assessing import KIND_LABELS, assessment_form, basis_labels, posting_criteria, reviewer_name
from .auth import access, client_address, staff_user
from .export import csv_lines, decision_lines, in_chunks
from .forms import (
    FILTER_YEARS,
    AccountForm,
    BulkStatusForm,
    CorrectionForm,
    DecisionEmailForm,
    FilterForm,
    HoldForm,
    MessageForm,
    NameBlindForm,
    NoteForm,
    PasswordForm,
    ReleaseHoldForm,
    RevealForm,
    SignInForm,
    StatusForm,
    password_refusal,
)

bp = Blueprint("staff", __name__)


@bp.after_request
def _never_store(response):
    # Staff pages, downloads and exports hold personal information.
    response.headers["Cache-Control"] = "no-store"
    response.headers["Pragma"] = "no-cache"
    return response


def _now() -> datetime:
    return datetime.now(UTC)


# Signing in and out ---------------------------------------------------------


@localized_route(bp, "{staff}/{sign_in}", methods=["GET", "POST"])
@access("public")
def sign_in():
    """Check a staff member's password (then the second step, if any); one
    message for any wrong email or password."""
    form = SignInForm()
    status, retry_after = 200, None
    if form.validate_on_submit():
        try:
            user = accounts.check_credentials(
                db.session, form.email.data, form.password.data, client_address(), _now()
            )
        except accounts.AccountError as error:
            # Returned normally, so the failed attempt is committed to the audit log.
            if error.code == "throttled":
                minutes = max(1, math.ceil(error.retry_after / 60))
                form.form_errors.append(
                    ngettext(
                        "Too many failed attempts. Try again in %(num)d minute.",
                        "Too many failed attempts. Try again in %(num)d minutes.",
                        minutes,
                    )
                )
                status = 429
                retry_after = error.retry_after
            else:
                form.form_errors.append(_("The email address or password is not right."))
        else:
            return auth.after_password(user, request.args.get("next"))
    headers = {"Retry-After": str(retry_after)} if retry_after else {}
    return render_template("staff/sign_in.html", form=form), status, headers


@localized_route(bp, "{staff}/{sign_out}", methods=["POST"])
@access("staff")
def sign_out():
    """Sign this browser out; its cookie stops working at once."""
    auth.sign_out()
    flash(_("You are signed out."))
    return redirect(url_for("staff.sign_in"))


@localized_route(bp, "{staff}/{password}", methods=["GET", "POST"])
@access("staff")
def password():
    """Change one's own password; every session of the account ends."""
    form = PasswordForm()
    if form.validate_on_submit():
        try:
            accounts.change_own_password(
                db.session,
                staff_user(),
                form.current.data,
                form.new.data,
                now=_now(),
                ip_address=client_address(),
            )
        except accounts.AccountError as error:
            if error.code == "wrong_password":
                form.current.errors.append(_("Your current password is not right"))
            else:
                form.new.errors.append(password_refusal(error.code))
        else:
            auth.forget_browser()
            flash(_("Your password is changed. Sign in with the new one."))
            return redirect(url_for("staff.sign_in"))
    return render_template("staff/password.html", form=form, enrolled=second_factor.enrolled(staff_user()))


# Reviewing ------------------------------------------------------------------


@localized_route(bp, "{staff}/")
@access("staff")
def dashboard():
    """List the postings this staff member may see, with counts per status,
    each one's funnel and time per stage, and those closing soon unreviewed."""
    postings = posting_summaries(db.session, staff_user(), current_index(), g.lang_code, _now())
    return render_template(
        "staff/dashboard.html",
        postings=postings,
        statuses=list(Status),
        pipelines=reports.pipelines(db.session, postings, _now()),
        closing_soon_days=reports.CLOSING_SOON.days,
    )


@localized_route(bp, "{staff}/{postings}/<posting_key>/")
@access("staff")
def posting(posting_key: str):
    """List a posting's applications with filters, sorting and keyset pages."""
    _require_posting(posting_key)
    return _render_posting(posting_key)


@localized_route(bp, "{staff}/{postings}/<posting_key>/status", methods=["POST"])
@access("staff")
def bulk_status(posting_key: str):
    """Move several applications of one posting to a new status, emailing
    each candidate their decision when asked (after a preview of one)."""
    _require_posting(posting_key)
    back = redirect(url_for("staff.posting", posting_key=posting_key))
    form = BulkStatusForm()
    if not form.validate_on_submit():
        for errors in form.errors.values():
            for error in errors:
                flash(error, "error")
        return back
    ids = [identifier for identifier in form.selected.data if database_id(identifier)]
    email = _decision_email(form)
    reason = form.reason.data or ""
    if form.status.data == Status.REJECTED and not reason.strip():
        flash(_("Write the reason for the rejection."), "error")
        return back
    if _needs_preview(form, email):
        example = decisions.first_movable(db.session, posting_key, ids, form.status.data)
        if example is not None:
            return _render_preview(
                form,
                example,
                email,
                action=url_for("staff.bulk_status", posting_key=posting_key),
                count=len(ids),
            )
    criteria = posting_criteria(posting_key)
    try:
        changed, skipped = decisions.decide_many(
            db.session,
            posting_key,
            ids,
            form.status.data,
            reason=reason,
            email=email,
            posting_titles=_titles(posting_key),
            user=staff_user(),
            now=_now(),
            ip_address=client_address(),
            criteria=criteria,
        )
    except (review.ReviewError, decisions.DecisionError):
        flash(_("Write the reason for the rejection."), "error")
        return back
    flash(
        _(
            "%(changed)d moved to “%(status)s”; %(skipped)d could not move there from their status.",
            changed=len(changed),
            skipped=len(skipped),
            status=Status(form.status.data).label,
        )
    )
    unjudged = assessments.not_judged(skipped, criteria) if form.status.data == Status.REJECTED else []
    if unjudged:
        flash(
            ngettext(
                "%(num)d application was not rejected: rate every essential criterion first.",
                "%(num)d applications were not rejected: rate every essential criterion first.",
                len(unjudged),
            ),
            "error",
        )
    if email.send and decisions.emails_for(form.status.data) and changed:
        flash(ngettext("%(num)d email is on its way.", "%(num)d emails are on their way.", len(changed)))
    return back


@localized_route(bp, "{staff}/{applications}/<int:application_id>/")
@access("staff")
def application(application_id: int):
    """Show one application in full; the view is audited."""
    found = review.open_application(
        db.session, staff_user(), database_id(application_id), now=_now(), ip_address=client_address()
    )
    if found is None:
        _refuse_application(application_id)
    return _render_application(found)


@localized_route(bp, "{staff}/{applications}/<int:application_id>/status", methods=["POST"])
@access("staff")
def change_status(application_id: int):
    """Move one application along the pipeline; a move to interview,
    rejected or offer emails the candidate when asked, once the reviewer has
    seen the email on a preview page and confirmed it."""
    found = _visible_application(application_id)
    form = StatusForm(allowed=review.allowed_transitions(found.status))
    if form.validate_on_submit() and "edit" not in request.form:
        email = _decision_email(form)
        reason = form.reason.data or ""
        if form.status.data == Status.REJECTED and not reason.strip():
            form.reason.errors = [_("Write the reason for the rejection: it is the record of decision.")]
        elif _needs_preview(form, email):
            return _render_preview(
                form, found, email, action=url_for("staff.change_status", application_id=found.id)
            )
        else:
            try:
                sent = decisions.decide(
                    db.session,
                    found,
                    form.status.data,
                    reason=reason,
                    email=email,
                    posting_title=_candidate_title(found),
                    user=staff_user(),
                    now=_now(),
                    ip_address=client_address(),
                    criteria=posting_criteria(found.posting_key),
                )
            except review.ReviewError as error:
                if error.code == "criteria_unjudged":
                    form.status.errors = [
                        _("Rate every essential criterion before rejecting: the decision rests on them.")
                    ]
                elif error.code == "reason_required":
                    form.reason.errors = [
                        _("Write the reason for the rejection: it is the record of decision.")
                    ]
                elif error.code == "withdrawn_by_candidate":
                    form.status.errors = [
                        _("The candidate withdrew this application: it cannot move, and no email is sent.")
                    ]
                else:
                    form.status.errors = [_("This application cannot move to that status.")]
            except decisions.DecisionError:
                form.status.errors = [_("This application cannot move to that status.")]
            else:
                flash(_("Status changed to “%(status)s”.", status=Status(form.status.data).label))
                if sent is not None:
                    flash(_("The email to the candidate is on its way."))
                return redirect(url_for("staff.application", application_id=found.id))
    return _render_application(found, status_form=form)


@localized_route(bp, "{staff}/{applications}/<int:application_id>/status/correction", methods=["POST"])
@access("admin")
def correct_status(application_id: int):
    """Move an application back to its previous status (admins), with a
    reason; audited, and no email goes to the candidate."""
    found = _visible_application(application_id)
    form = CorrectionForm(prefix="correction")
    if form.validate_on_submit():
        try:
            change = review.correct_status(
                db.session,
                found,
                reason=form.reason.data,
                user=staff_user(),
                now=_now(),
                ip_address=client_address(),
            )
        except review.ReviewError as error:
            form.reason.errors = [_correction_refusal(error.code)]
        else:
            flash(_("Status corrected back to “%(status)s”.", status=change.to_status.label))
            return redirect(url_for("staff.application", application_id=found.id) + "#pipeline")
    return _render_application(found, correction_form=form)


@localized_route(bp, "{staff}/{applications}/<int:application_id>/messages", methods=["POST"])
@access("staff")
def send_message(application_id: int):
    """Email the candidate a message; it is kept in the application's history."""
    found = _visible_application(application_id)
    form = MessageForm(prefix="message")
    if form.validate_on_submit():
        try:
            decisions.send_message(
                db.session,
                found,
                subject=form.subject.data or "",
                body=form.body.data,
                posting_title=_candidate_title(found),
                user=staff_user(),
                now=_now(),
                ip_address=client_address(),
            )
        except decisions.DecisionError:
            form.body.errors = [_("Write the message")]
        else:
            flash(_("Your message to the candidate is on its way."))
            return redirect(url_for("staff.application", application_id=found.id) + "#messages")
    return _render_application(found, message_form=form)


@localized_route(bp, "{staff}/{applications}/<int:application_id>/notes", methods=["POST"])
@access("staff")
def add_note(application_id: int):
    """Append a note to an application."""
    found = _visible_application(application_id)
    form = NoteForm()
    if form.validate_on_submit():
        try:
            review.add_note(
                db.session, found, form.body.data, user=staff_user(), now=_now(), ip_address=client_address()
            )
        except review.ReviewError:
            form.body.errors = [_("Write the note")]
        else:
            flash(_("Note added."))
            return redirect(url_for("staff.application", application_id=found.id) + "#notes")
    return _render_application(found, note_form=form)


@localized_route(bp, "{staff}/{applications}/<int:application_id>/{assessment}", methods=["POST"])
@access("staff")
def assess(application_id: int):
    """Save the reviewer's own ratings of the application against each merit
    criterion, each with its justification; audited."""
    found = _visible_application(application_id)
    criteria = posting_criteria(found.posting_key)
    form = assessment_form(criteria, formdata=request.form)
    if criteria and form.validate_on_submit():
        try:
            rated = assessments.save(
                db.session,
                found,
                criteria,
                form.judgements(),
                user=staff_user(),
                now=_now(),
                ip_address=client_address(),
            )
        except assessments.AssessmentError as error:
            form.show_problems(error.problems)
        else:
            flash(
                ngettext(
                    "Your assessment is saved: %(num)d of %(total)d criteria rated.",
                    "Your assessment is saved: %(num)d of %(total)d criteria rated.",
                    rated,
                    total=len(criteria),
                )
            )
            return redirect(url_for("staff.application", application_id=found.id) + "#assessment")
    return _render_application(found, assessment=form)


@localized_route(bp, "{staff}/{applications}/<int:application_id>/resume")
@access("staff")
def resume(application_id: int):
    """Send the résumé as a download, never shown inline; audited. A résumé
    waiting for the virus scanner is refused (409) on its application's page."""
    try:
        found = review.open_resume(
            db.session, staff_user(), database_id(application_id), now=_now(), ip_address=client_address()
        )
    except review.ReviewError:
        flash(_("This résumé has not been scanned for viruses yet: it can be downloaded once it has."))
        application = review.open_application(
            db.session, staff_user(), database_id(application_id), now=_now(), ip_address=client_address()
        )
        return _render_application(application), 409
    if found is None:
        _refuse_application(application_id)
    response = Response(found.content, mimetype=found.media_type)
    # An ASCII fallback and the UTF-8 name (RFC 6266): a header of
    # non-Latin-1 characters would make the WSGI server fail the response.
    response.headers.set("Content-Disposition", "attachment", **resumes.download_names(_resume_name(found)))
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


@localized_route(bp, "{staff}/{postings}/<posting_key>/export.csv")
@access("admin")
def export(posting_key: str):
    """Stream a posting's applications as CSV for spreadsheets (UTF-8 with BOM),
    narrowed by the list's filters; the export is audited with its row count
    and filters."""
    filters = _filters(FilterForm(request.args))
    rule = name_blind.rule_for(db.session, current_index(), posting_key)
    if rule.blind:
        filters = name_blind.without_identity(filters)
    shown = name_blind.identity_check(db.session, rule, staff_user(), posting_key)
    criteria = posting_criteria(posting_key)
    rows = review.export_applications(
        db.session,
        posting_key,
        filters,
        user=staff_user(),
        now=_now(),
        ip_address=client_address(),
        with_ratings=bool(criteria),
    )
    lines = csv_lines(
        rows,
        question_labels(current_index(), posting_key, g.lang_code),
        timezone(current_app.config),
        current_app.config["PORTAL_LANGUAGES"],
        shown=shown,
        criteria=criteria,
    )
    response = Response(stream_with_context(in_chunks(lines)), mimetype="text/csv")
    # The key comes from the URL: only its plain characters go into a header.
    name = re.sub(r"[^A-Za-z0-9_-]", "", posting_key)[:100] or "posting"
    response.headers.set("Content-Disposition", "attachment", filename=f"applications-{name}.csv")
    return response


@localized_route(bp, "{staff}/{postings}/<posting_key>/{record_of_decision}.csv")
@access("admin")
def export_decisions(posting_key: str):
    """Stream a posting's record of decision as CSV: each application by
    reference, its decision and its ratings against each merit criterion,
    consolidated and by reviewer; audited with its row count."""
    _require_posting(posting_key)
    rows = assessments.record_of_decision(
        db.session, posting_key, user=staff_user(), now=_now(), ip_address=client_address()
    )
    lines = decision_lines(rows, posting_criteria(posting_key), timezone(current_app.config))
    response = Response(stream_with_context(in_chunks(lines)), mimetype="text/csv")
    name = re.sub(r"[^A-Za-z0-9_-]", "", posting_key)[:100] or "posting"
    response.headers.set("Content-Disposition", "attachment", filename=f"record-of-decision-{name}.csv")
    return response


# Legal holds ------------------------------------------------------------------


def _place_hold(form: HoldForm, **target) -> bool:
    """Place the hold the form describes on ``target`` (an application or a
    posting key); False, with the field's error set, when it was not placed."""
    if not form.validate_on_submit():
        return False
    try:
        retention.place_hold(
            db.session,
            reason=form.reason.data,
            user=staff_user(),
            now=_now(),
            ip_address=client_address(),
            **target,
        )
    except retention.HoldError:
        form.reason.errors = [_("Write the reason for the hold")]
        return False
    return True


@localized_route(bp, "{staff}/{applications}/<int:application_id>/{legal_hold}", methods=["POST"])
@access("admin")
def place_application_hold(application_id: int):
    """Place a legal hold on one application (admins); audited."""
    found = _visible_application(application_id)
    form = HoldForm(prefix="hold")
    if _place_hold(form, application=found):
        flash(_("Legal hold placed: this application will not be deleted until the hold is released."))
        return redirect(url_for("staff.application", application_id=found.id) + "#legal-hold")
    return _render_application(found, hold_form=form)


@localized_route(bp, "{staff}/{applications}/<int:application_id>/{legal_hold}/{release}", methods=["POST"])
@access("admin")
def release_application_hold(application_id: int):
    """Release a legal hold placed on one application (admins); audited."""
    found = _visible_application(application_id)
    form = ReleaseHoldForm()
    released = form.validate_on_submit() and retention.release_hold(
        db.session,
        _hold_id(form),
        user=staff_user(),
        now=_now(),
        ip_address=client_address(),
        application=found,
    )
    flash(_("Legal hold released.") if released else _("That hold was already released."))
    return redirect(url_for("staff.application", application_id=found.id) + "#legal-hold")


@localized_route(bp, "{staff}/{postings}/<posting_key>/{legal_hold}", methods=["POST"])
@access("admin")
def place_posting_hold(posting_key: str):
    """Place a legal hold on every application to a posting (admins); audited."""
    _require_posting(posting_key)
    form = HoldForm(prefix="hold")
    if _place_hold(form, posting_key=posting_key):
        flash(
            _("Legal hold placed: no application to this posting will be deleted until the hold is released.")
        )
        return redirect(url_for("staff.posting", posting_key=posting_key) + "#legal-hold")
    return _render_posting(posting_key, hold_form=form)


@localized_route(bp, "{staff}/{postings}/<posting_key>/{legal_hold}/{release}", methods=["POST"])
@access("admin")
def release_posting_hold(posting_key: str):
    """Release a legal hold placed on a posting (admins); audited."""
    _require_posting(posting_key)
    form = ReleaseHoldForm()
    released = form.validate_on_submit() and retention.release_hold(
        db.session,
        _hold_id(form),
        user=staff_user(),
        now=_now(),
        ip_address=client_address(),
        posting_key=posting_key,
    )
    flash(_("Legal hold released.") if released else _("That hold was already released."))
    return redirect(url_for("staff.posting", posting_key=posting_key) + "#legal-hold")


# Name-blind review --------------------------------------------------------------


@localized_route(bp, "{staff}/{postings}/<posting_key>/{name_blind}", methods=["POST"])
@access("admin")
def set_name_blind(posting_key: str):
    """Turn a posting's name-blind review on (until a stage) or off, or let
    its front matter decide again (admins); audited."""
    _require_posting(posting_key)
    form = _name_blind_form(posting_key, submitted=True)
    if not form.validate_on_submit():
        return _render_posting(posting_key, name_blind_form=form)
    name_blind.set_rule(
        db.session, posting_key, form.choice.data, user=staff_user(), now=_now(), ip_address=client_address()
    )
    flash(_("Name-blind review saved."))
    return redirect(url_for("staff.posting", posting_key=posting_key) + "#name-blind")


@localized_route(bp, "{staff}/{applications}/<int:application_id>/{reveal}", methods=["POST"])
@access("admin")
def reveal_identity(application_id: int):
    """Show a name-blind application's candidate to this admin only, with
    the reason written down; audited."""
    found = _visible_application(application_id)
    form = RevealForm(prefix="reveal")
    if form.validate_on_submit():
        try:
            name_blind.reveal(
                db.session,
                name_blind.rule_for(db.session, current_index(), found.posting_key),
                found,
                form.reason.data,
                user=staff_user(),
                now=_now(),
                ip_address=client_address(),
            )
        except name_blind.NameBlindError as error:
            if error.code != "not_hidden":
                form.reason.errors = [_("Write why you need to see who the candidate is")]
                return _render_application(found, reveal_form=form)
            flash(_("You already see who this candidate is."))
        else:
            flash(_("You now see who this candidate is. Other staff still see the candidate number."))
        return redirect(url_for("staff.application", application_id=found.id) + "#name-blind")
    return _render_application(found, reveal_form=form)


# Admin ----------------------------------------------------------------------


@localized_route(bp, "{staff}/{search}/")
@access("admin")
def search():
    """Find applications in every posting by name, email or reference (admins);
    each search is audited with its number of matches."""
    query = request.args.get("q", "")
    error = result = None
    index = current_index()
    try:
        result = finder.search_applications(
            db.session,
            query,
            user=staff_user(),
            now=_now(),
            ip_address=client_address(),
            blind_postings=finder.blind_postings(db.session, index),
        )
    except finder.SearchError as refused:
        error = _search_refusal(refused.code)
    rows = result.rows if result else []
    return render_template(
        "staff/search.html",
        query=query[: finder.MAX_QUERY * 2],
        error=error,
        result=result,
        titles=_posting_titles(rows),
        hidden=finder.hidden_identities(db.session, index, staff_user(), rows),
        candidate_label=name_blind.candidate_label,
        max_query=finder.MAX_QUERY,
    )


@localized_route(bp, "{staff}/{equity}/")
@access("admin")
def equity():
    """Show self-identification in aggregate per posting, with the counts
    that could single out a few people hidden."""
    postings = posting_summaries(db.session, staff_user(), current_index(), g.lang_code, _now())
    return render_template(
        "staff/equity.html",
        rows=review.equity_report(
            db.session,
            [summary.key for summary in postings if summary.total],
            user=staff_user(),
            now=_now(),
            ip_address=client_address(),
        ),
        titles={summary.key: summary.title for summary in postings},
        groups=review.EQUITY_GROUPS,
        small_count=review.SMALL_COUNT,
    )


@localized_route(bp, "{staff}/{audit}/")
@access("admin")
def audit_log():
    """Read and filter the audit log (nobody can change it from here)."""
    filters = audit.AuditFilter(
        action=request.args.get("action", "") if request.args.get("action") in audit.ACTIONS else "",
        actor=request.args.get("actor", "").replace("\x00", "").strip()[:320],
        outcome=request.args.get("outcome", "") if request.args.get("outcome") in audit.OUTCOMES else "",
        application_id=database_id(request.args.get("application", type=int)),
        since=_day_start(request.args.get("since")),
        until=_day_end(request.args.get("until")),
    )
    page = audit.page(db.session, filters, request.args.get("page", 1, type=int))
    return render_template(
        "staff/audit.html",
        events=page.events,
        more=page.more,
        page=page.number,
        actions=audit.ACTIONS,
        action_labels=audit.ACTION_LABELS,
        outcomes=audit.OUTCOMES,
        outcome_labels=audit.OUTCOME_LABELS,
        role_labels={role.value: role.label for role in Role},
        args=request.args,
    )


@localized_route(bp, "{staff}/{accounts}/")
@access("admin")
def staff_accounts():
    """List the staff accounts, with who uses two-step sign-in and who is still invited."""
    return render_template(
        "staff/accounts.html",
        users=accounts.list_users(db.session),
        enrolled=second_factor.enrolled,
        has_password=accounts.has_password,
    )


@localized_route(bp, "{staff}/{accounts}/<int:staff_id>", methods=["GET", "POST"])
@access("admin")
def staff_account(staff_id: int):
    """Change an account's role, state and assigned postings."""
    account = accounts.get_user(db.session, database_id(staff_id))
    if account is None:
        abort(404)
    form = AccountForm(obj=None if request.method == "POST" else account)
    summaries = posting_summaries(db.session, staff_user(), current_index(), g.lang_code, _now())
    form.postings.choices = [(summary.key, summary.title) for summary in summaries]
    if request.method == "GET":
        form.postings.data = [assignment.posting_key for assignment in account.assignments]
    if form.validate_on_submit():
        try:
            accounts.update_account(
                db.session,
                account,
                role=form.role.data,
                active=form.active.data,
                posting_keys=set(form.postings.data or []),
                by=staff_user(),
                now=_now(),
                ip_address=client_address(),
            )
        except accounts.AccountError:
            form.role.errors = [_("You cannot remove your own administrator rights or disable yourself.")]
        else:
            flash(_("Account %(email)s updated.", email=account.email))
            return redirect(url_for("staff.staff_accounts"))
    return render_template(
        "staff/account.html",
        account=account,
        form=form,
        enrolled=second_factor.enrolled(account),
        has_password=accounts.has_password(account),
        languages=current_app.config["PORTAL_LANGUAGES"],
    )


@localized_route(bp, "{staff}/{translations}/", endpoint="translations")
@access("admin")
def content_translations():
    """Show the translators' report (as ``flask content translations``): unpaired
    files, inexact keys, untranslated and stale translations. Computed once
    per content version (it reads git history)."""
    languages = list(current_app.config["PORTAL_LANGUAGES"])
    report = content_store().derived("translation_report", lambda index: translation_report(index, languages))
    return render_template(
        "staff/translations.html", report=report, kinds=FindingKind, reasons=UnpairedReason
    )


# Helpers --------------------------------------------------------------------


def _search_refusal(code: str) -> str:
    return {
        "too_long": _("Use %(num)d characters or fewer", num=finder.MAX_QUERY),
        "unreadable": _("Use letters, digits, spaces, @ and punctuation only"),
    }.get(code, _("Enter a name, an email address or a reference number"))


def _posting_titles(rows) -> dict[str, str]:
    """The titles, in the page language, of the postings ``rows`` belong to."""
    return {
        key: posting_title(db.session, current_index(), key, g.lang_code)
        for key in {row.posting_key for row in rows}
    }


def _correction_refusal(code: str) -> str:
    return {
        "withdrawn_by_candidate": _("The candidate withdrew this application themselves: that is final."),
        "no_previous": _("This application has no earlier status to go back to."),
    }.get(code, _("Write the reason for the correction"))


def _require_posting(posting_key: str) -> None:
    """404 (audited as refused) unless the staff member may see the posting."""
    if not review.can_see(staff_user(), posting_key):
        auth.refuse(posting_key=posting_key)


def _visible_application(application_id: int):
    """Return the application, or 404 if it does not exist or is not the
    user's to see (audited as refused)."""
    found = review.visible_application(db.session, staff_user(), database_id(application_id))
    if found is None:
        _refuse_application(application_id)
    return found


def _refuse_application(application_id: int) -> NoReturn:
    """404 for an application the staff member cannot see; audited as refused
    when it exists (another posting's), plain when it does not."""
    hidden = review.hidden_application(db.session, staff_user(), database_id(application_id))
    if hidden is not None:
        auth.refuse(application_id=hidden.id, posting_key=hidden.posting_key)
    abort(404)


def _decision_email(form: DecisionEmailForm) -> decisions.DecisionEmail:
    return decisions.DecisionEmail(
        send=bool(form.send_email.data),
        message=form.message.data or "",
        include_reason=bool(form.include_reason.data),
    )


def _needs_preview(form: DecisionEmailForm, email: decisions.DecisionEmail) -> bool:
    """An email is to go and the reviewer has not yet seen it."""
    return email.send and decisions.emails_for(form.status.data) and form.confirmed.data != "yes"


def _render_preview(form, application, email: decisions.DecisionEmail, *, action: str, count: int = 1):
    """Show the email exactly as it will be sent to ``application``'s candidate,
    with a form that sends the same choices again, confirmed. While the
    candidate is shown by number, so is the preview (name and address hidden)."""
    rule = name_blind.rule_for(db.session, current_index(), application.posting_key)
    blind = name_blind.hidden(db.session, rule, staff_user(), application)
    rendered = decisions.preview(
        name_blind.stand_in(application) if blind else application,
        form.status.data,
        reason=form.reason.data or "",
        email=email,
        posting_title=_candidate_title(application),
    )
    return render_template(
        "staff/decision_preview.html",
        form=form,
        application=application,
        blind=blind,
        candidate_label=name_blind.candidate_label,
        email=rendered,
        action=action,
        count=count,
        status=Status(form.status.data),
        sender=mail.sender(current_app.config, application.preferred_language),
        reply_to=mail.reply_address(current_app.config, application.preferred_language),
    )


def _candidate_title(application) -> str:
    """The posting's title in the candidate's language."""
    return posting_title(db.session, current_index(), application.posting_key, application.preferred_language)


def _titles(posting_key: str) -> dict[str, str]:
    """The posting's title in each language (for one email per candidate)."""
    return {
        code: posting_title(db.session, current_index(), posting_key, code)
        for code in current_app.config["PORTAL_LANGUAGES"]
    }


def _render_application(
    found,
    status_form=None,
    note_form=None,
    hold_form=None,
    message_form=None,
    correction_form=None,
    assessment=None,
    reveal_form=None,
):
    allowed = review.allowed_transitions(found.status)
    criteria = posting_criteria(found.posting_key)
    return render_template(
        "staff/application.html",
        application=found,
        **_identity(found, reveal_form),
        title=posting_title(db.session, current_index(), found.posting_key, g.lang_code),
        status_form=status_form or StatusForm(formdata=None, allowed=allowed),
        message_form=message_form or MessageForm(formdata=None, prefix="message"),
        decision_emails=decisions.TEMPLATES,
        decision_labels={template: status.label for status, template in decisions.TEMPLATES.items()},
        max_attempts=mail.MAX_ATTEMPTS,
        note_form=note_form or NoteForm(),
        allowed=allowed,
        flags=[applications.FLAGS[flag] for flag in applications.flags_of(found)],
        holds=retention.holds_on_application(db.session, found),
        hold_form=hold_form or HoldForm(prefix="hold"),
        correction_form=correction_form or CorrectionForm(formdata=None, prefix="correction"),
        correct_to=review.previous_status(found),
        candidate_withdrew=candidate_access.withdrawn_by_candidate(found),
        unmet_essentials=essentials.unmet(
            found.answers, essentials.requirements_of(current_index(), found.posting_key, g.lang_code)
        ),
        is_correction=review.is_correction,
        criteria=criteria,
        board=assessments.board(found, criteria),
        assessment_form=assessment
        or assessment_form(criteria, assessments.own_judgements(found, staff_user())),
        kind_labels=KIND_LABELS,
        reviewer_name=reviewer_name,
        basis_labels=lambda basis: basis_labels(basis, criteria),
    )


def _render_posting(posting_key: str, hold_form=None, name_blind_form=None):
    filters_form = FilterForm(request.args)
    filters = _filters(filters_form)
    rule = name_blind.rule_for(db.session, current_index(), posting_key)
    if rule.blind:
        filters = name_blind.without_identity(filters)
    page = review.page_of_applications(db.session, posting_key, filters, request.args.get("cursor"))
    return render_template(
        "staff/posting.html",
        posting_key=posting_key,
        **_blind_list(posting_key, rule, page.rows, filters_form, name_blind_form),
        title=posting_title(db.session, current_index(), posting_key, g.lang_code),
        filters_form=filters_form,
        page=page,
        bulk_form=BulkStatusForm(formdata=None),
        decision_emails=decisions.TEMPLATES,
        query_without_cursor={k: v for k, v in request.args.items() if k != "cursor"},
        export_query=_filter_query(filters_form),
        essential_requirements=filters.requirements,
        unmet_essentials=essentials.unmet_by_application(
            db.session, [row.id for row in page.rows], filters.requirements
        ),
        flag_labels={flag: labels[0] for flag, labels in applications.FLAGS.items()},
        flags_of=applications.flags_of,
        holds=retention.holds_on_posting(db.session, posting_key),
        hold_form=hold_form or HoldForm(prefix="hold"),
    )


def _identity(found, reveal_form=None) -> dict:
    """What the application page needs for name-blind review: whether the
    candidate is shown by number, the reveals, the admin's reveal form."""
    rule = name_blind.rule_for(db.session, current_index(), found.posting_key)
    return {
        "name_blind": rule,
        "blind": name_blind.hidden(db.session, rule, staff_user(), found),
        "candidate_label": name_blind.candidate_label,
        "reveals": name_blind.reveals_of(db.session, found),
        "reveal_form": reveal_form or RevealForm(formdata=None, prefix="reveal"),
    }


def _blind_list(posting_key: str, rule: name_blind.Rule, rows, filters_form: FilterForm, form=None) -> dict:
    """What a posting's list needs for name-blind review: whose names show,
    no name search or sort while it is on, and the admin's setting form."""
    if rule.blind:
        filters_form.sort.choices = [choice for choice in filters_form.sort.choices if choice.value != "name"]
    return {
        "name_blind": rule,
        "shown": name_blind.shown_ids(db.session, rule, staff_user(), rows),
        "candidate_label": name_blind.candidate_label,
        "name_blind_form": form or _name_blind_form(posting_key, rule),
    }


def _name_blind_form(
    posting_key: str, rule: name_blind.Rule | None = None, submitted: bool = False
) -> NameBlindForm:
    """The admin's name-blind form (the one sent, or the current choice),
    its choices described in the page language."""
    rule = rule or name_blind.rule_for(db.session, current_index(), posting_key)
    if submitted:
        form = NameBlindForm(prefix="blind")
    else:
        form = NameBlindForm(formdata=None, prefix="blind", choice=rule.choice)
    follow = (
        _("As the posting’s file says (now: names hidden until “%(stage)s”)", stage=rule.content_until.label)
        if rule.content_until
        else _("As the posting’s file says (now: names shown)")
    )
    form.choice.choices = [
        SelectChoice("content", follow),
        SelectChoice("off", _("Off: staff see names")),
        *(
            SelectChoice(
                stage.value, _("On: names hidden until an application reaches “%(stage)s”", stage=stage.label)
            )
            for stage in name_blind.STAGES
        ),
    ]
    return form


def _resume_name(resume) -> str:
    """The name a résumé downloads under (see name_blind.resume_name)."""
    application = review.visible_application(db.session, staff_user(), resume.application_id)
    rule = name_blind.rule_for(db.session, current_index(), application.posting_key)
    return name_blind.resume_name(db.session, rule, staff_user(), application)


def _filter_query(form: FilterForm) -> dict[str, str]:
    """Return the list's valid filters as query arguments (for the export link)."""
    return {
        field.name: request.args[field.name]
        for field in (form.status, form.q, form.submitted_from, form.submitted_to, form.essential)
        if request.args.get(field.name) and not field.errors
    }


def _hold_id(form: ReleaseHoldForm) -> int | None:
    try:
        return database_id(int(form.hold.data or ""))
    except ValueError:
        return None


def _filters(form: FilterForm) -> review.ApplicationFilter:
    form.validate()
    zone = timezone(current_app.config)
    start = form.submitted_from.data if not form.submitted_from.errors else None
    end = form.submitted_to.data if not form.submitted_to.errors else None
    return review.ApplicationFilter(
        status=form.status.data if form.status.data in set(Status) else "",
        search=(form.q.data or "").strip() if not form.q.errors else "",
        submitted_from=datetime.combine(start, time(), tzinfo=zone) if start else None,
        submitted_before=datetime.combine(end + timedelta(days=1), time(), tzinfo=zone) if end else None,
        sort=form.sort.data if form.sort.data in review.SORTS else "newest",
        essential=form.essential.data if form.essential.data in essentials.CHOICES else "",
        # The list and its CSV export are both a posting's: the key is in their URL.
        requirements=essentials.requirements_of(
            current_index(), request.view_args["posting_key"], g.lang_code
        ),
    )


def _day_start(text: str | None) -> datetime | None:
    try:
        day = datetime.strptime(text or "", "%Y-%m-%d").date()
    except ValueError:
        return None
    if not FILTER_YEARS[0] <= day.year <= FILTER_YEARS[1]:
        return None
    return datetime.combine(day, time(), tzinfo=timezone(current_app.config))


def _day_end(text: str | None) -> datetime | None:
    start = _day_start(text)
    return start + timedelta(days=1) if start else None
