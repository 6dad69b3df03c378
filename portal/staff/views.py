"""Staff views: parse the request, call a service, commit once, render."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from flask import (
    Response, abort, current_app, flash, g, redirect, render_template, request,
    stream_with_context, url_for,
)
from flask_babel import gettext as _
from sqlalchemy import select

from .. import accounts, audit, review
from ..config import timezone
from ..content import Document, Kind, current_index
from ..content.translations import FindingKind, UnpairedReason, translation_report
from ..db import db
from ..forms import database_id
from ..i18n import localized_route
from ..models import Application, StaffUser
from . import auth, bp
from .auth import access, safe_next, staff_user
from .export import csv_lines
from .forms import (
    STATUS_LABELS, AccountForm, BulkStatusForm, FilterForm, NoteForm, PasswordForm, SignInForm,
    StatusForm,
)
from .listing import posting_summaries, posting_title

AUDIT_PAGE_SIZE = 100
#: Deeper pages are reached by narrowing the filters.
MAX_AUDIT_PAGE = 10_000


def _now() -> datetime:
    return datetime.now(UTC)


def _audit(action: str, application: Application | None = None, posting_key: str | None = None,
           detail: str = "") -> None:
    """Record what the signed-in staff member did, from where."""
    user = staff_user()
    audit.record(db.session, action, actor=user.email, staff_user_id=user.id,
                 application_id=application.id if application else None,
                 posting_key=application.posting_key if application else posting_key,
                 ip_address=_ip(), detail=detail)


def _ip() -> str:
    return request.remote_addr or ""


# Signing in and out ---------------------------------------------------------

@localized_route(bp, "{staff}/{sign_in}", methods=["GET", "POST"])
@access("public")
def sign_in():
    """Sign a staff member in; one message for any wrong email or password."""
    form = SignInForm()
    status = 200
    if form.validate_on_submit():
        try:
            user, token = accounts.authenticate(
                db.session, form.email.data, form.password.data, _ip(), _now())
        except accounts.AccountError as error:
            db.session.commit()  # the failed attempt stays in the audit log
            if error.code == "throttled":
                form.form_errors.append(_("Too many failed attempts. Wait 15 minutes, then try again."))
                status = 429
            else:
                form.form_errors.append(_("The email address or password is not right."))
        else:
            db.session.commit()
            auth.sign_in(user, token)
            return redirect(safe_next(request.args.get("next")) or url_for("staff.dashboard"))
    return render_template("staff/sign_in.html", form=form), status


@localized_route(bp, "{staff}/{sign_out}", methods=["POST"])
@access("staff")
def sign_out():
    """Sign this browser out; its cookie stops working at once."""
    _audit("sign_out")
    auth.sign_out()
    db.session.commit()
    flash(_("You are signed out."))
    return redirect(url_for("staff.sign_in"))


@localized_route(bp, "{staff}/{password}", methods=["GET", "POST"])
@access("staff")
def password():
    """Change one's own password; every session of the account ends."""
    form = PasswordForm()
    user = staff_user()
    if form.validate_on_submit():
        if not accounts.check_password(user, form.current.data):
            form.current.errors.append(_("Your current password is not right"))
        else:
            accounts.set_password(db.session, user, form.new.data)
            _audit("password_changed")
            auth.sign_out()
            db.session.commit()
            flash(_("Your password is changed. Sign in with the new one."))
            return redirect(url_for("staff.sign_in"))
    return render_template("staff/password.html", form=form)


# Reviewing ------------------------------------------------------------------

@localized_route(bp, "{staff}/")
@access("staff")
def dashboard():
    """List the postings this staff member may see, with counts per status."""
    user = staff_user()
    return render_template(
        "staff/dashboard.html",
        postings=posting_summaries(db.session, user, current_index(), g.lang_code, _now()),
        statuses=review.STATUSES,
        status_labels=STATUS_LABELS,
    )


@localized_route(bp, "{staff}/{postings}/<posting_key>/")
@access("staff")
def posting(posting_key: str):
    """List a posting's applications with filters, sorting and keyset pages."""
    _require_posting(posting_key)
    filters_form = FilterForm(request.args)
    filters = _filters(filters_form)
    page = review.page_of_applications(db.session, posting_key, filters, request.args.get("cursor"))
    return render_template(
        "staff/posting.html",
        posting_key=posting_key,
        title=posting_title(db.session, current_index(), posting_key, g.lang_code),
        filters_form=filters_form,
        page=page,
        bulk_form=BulkStatusForm(),
        status_labels=STATUS_LABELS,
        query_without_cursor={k: v for k, v in request.args.items() if k != "cursor"},
    )


@localized_route(bp, "{staff}/{postings}/<posting_key>/status", methods=["POST"])
@access("staff")
def bulk_status(posting_key: str):
    """Move several applications of one posting to a new status."""
    _require_posting(posting_key)
    form = BulkStatusForm()
    if not form.validate_on_submit():
        for errors in form.errors.values():
            for error in errors:
                flash(error, "error")
        return redirect(url_for("staff.posting", posting_key=posting_key))
    ids = [identifier for identifier in form.selected.data if database_id(identifier)]
    chosen = list(db.session.scalars(select(Application).where(
        Application.posting_key == posting_key, Application.id.in_(ids))))
    try:
        changed, skipped = review.bulk_change_status(
            db.session, chosen, form.status.data, reason=form.reason.data or "",
            user=staff_user(), now=_now(), ip_address=_ip())
    except review.ReviewError:
        flash(_("Write the reason for the rejection."), "error")
        return redirect(url_for("staff.posting", posting_key=posting_key))
    db.session.commit()
    flash(_("%(changed)d moved to “%(status)s”; %(skipped)d could not move there from their status.",
            changed=len(changed), skipped=len(skipped), status=STATUS_LABELS[form.status.data]))
    return redirect(url_for("staff.posting", posting_key=posting_key))


@localized_route(bp, "{staff}/{applications}/<int:application_id>/")
@access("staff")
def application(application_id: int):
    """Show one application in full; the view is audited."""
    found = _visible_application(application_id)
    _audit("view_application", found)
    db.session.commit()
    return _render_application(found)


@localized_route(bp, "{staff}/{applications}/<int:application_id>/status", methods=["POST"])
@access("staff")
def change_status(application_id: int):
    """Move one application along the pipeline."""
    found = _visible_application(application_id)
    form = StatusForm(allowed=review.allowed_transitions(found.status))
    if form.validate_on_submit():
        try:
            review.change_status(db.session, found, form.status.data, reason=form.reason.data or "",
                                 user=staff_user(), now=_now(), ip_address=_ip())
        except review.ReviewError as error:
            if error.code == "reason_required":
                form.reason.errors = [_("Write the reason for the rejection: it is the record of decision.")]
            else:
                form.status.errors = [_("This application cannot move to that status.")]
        else:
            db.session.commit()
            flash(_("Status changed to “%(status)s”.", status=STATUS_LABELS[form.status.data]))
            return redirect(url_for("staff.application", application_id=found.id))
    return _render_application(found, status_form=form), 200


@localized_route(bp, "{staff}/{applications}/<int:application_id>/notes", methods=["POST"])
@access("staff")
def add_note(application_id: int):
    """Append a note to an application."""
    found = _visible_application(application_id)
    form = NoteForm()
    if form.validate_on_submit():
        try:
            review.add_note(db.session, found, form.body.data, user=staff_user(), now=_now(),
                            ip_address=_ip())
        except review.ReviewError:
            form.body.errors = [_("Write the note")]
        else:
            db.session.commit()
            flash(_("Note added."))
            return redirect(url_for("staff.application", application_id=found.id) + "#notes")
    return _render_application(found, note_form=form), 200


@localized_route(bp, "{staff}/{applications}/<int:application_id>/resume")
@access("staff")
def resume(application_id: int):
    """Send the résumé as a download, never shown inline; audited."""
    found = _visible_application(application_id)
    _audit("download_resume", found)
    db.session.commit()
    response = Response(found.resume.content, mimetype=found.resume.media_type)
    response.headers.set("Content-Disposition", "attachment", filename=found.resume.filename)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


@localized_route(bp, "{staff}/{postings}/<posting_key>/export.csv")
@access("admin")
def export(posting_key: str):
    """Stream a posting's applications as CSV for spreadsheets (UTF-8 with BOM)."""
    _audit("export_csv", posting_key=posting_key)
    db.session.commit()
    lines = csv_lines(db.session, posting_key, _questions_by_id(posting_key),
                      timezone(current_app.config), current_app.config["PORTAL_LANGUAGES"])
    filename = f"applications-{posting_key}.csv"
    response = Response(stream_with_context(lines), mimetype="text/csv")
    response.headers.set("Content-Disposition", "attachment", filename=filename)
    return response


# Admin ----------------------------------------------------------------------

@localized_route(bp, "{staff}/{equity}/")
@access("admin")
def equity():
    """Show self-identification in aggregate per posting, small counts hidden."""
    _audit("view_equity_report")
    db.session.commit()
    postings = posting_summaries(db.session, staff_user(), current_index(), g.lang_code, _now())
    keys = [summary.key for summary in postings if summary.total]
    return render_template(
        "staff/equity.html",
        rows=review.equity_report(db.session, keys),
        titles={summary.key: summary.title for summary in postings},
        groups=review.EQUITY_GROUPS,
    )


@localized_route(bp, "{staff}/{audit}/")
@access("admin")
def audit_log():
    """Read and filter the audit log (nobody can change it from here)."""
    filters = audit.AuditFilter(
        action=request.args.get("action", "") if request.args.get("action") in audit.ACTIONS else "",
        actor=request.args.get("actor", "").replace("\x00", "").strip()[:320],
        application_id=database_id(request.args.get("application", type=int)),
        since=_day_start(request.args.get("since")),
        until=_day_end(request.args.get("until")),
    )
    page = min(max(request.args.get("page", 1, type=int), 1), MAX_AUDIT_PAGE)
    events = list(db.session.scalars(
        audit.query(filters).limit(AUDIT_PAGE_SIZE + 1).offset((page - 1) * AUDIT_PAGE_SIZE)))
    return render_template(
        "staff/audit.html",
        events=events[:AUDIT_PAGE_SIZE],
        more=len(events) > AUDIT_PAGE_SIZE,
        page=page,
        actions=audit.ACTIONS,
        action_labels=audit.ACTION_LABELS,
        args=request.args,
    )


@localized_route(bp, "{staff}/{accounts}/")
@access("admin")
def staff_accounts():
    """List the staff accounts."""
    users = db.session.scalars(select(StaffUser).order_by(StaffUser.email)).all()
    return render_template("staff/accounts.html", users=users)


@localized_route(bp, "{staff}/{accounts}/<int:staff_id>", methods=["GET", "POST"])
@access("admin")
def staff_account(staff_id: int):
    """Change an account's role, state and assigned postings."""
    account = db.session.get(StaffUser, staff_id) if database_id(staff_id) else None
    if account is None:
        abort(404)
    form = AccountForm(obj=None if request.method == "POST" else account)
    summaries = posting_summaries(db.session, staff_user(), current_index(), g.lang_code, _now())
    form.postings.choices = [(summary.key, summary.title) for summary in summaries]
    if request.method == "GET":
        form.postings.data = [assignment.posting_key for assignment in account.assignments]
    if form.validate_on_submit():
        me = staff_user()
        if account.id == me.id and (form.role.data != "admin" or not form.active.data):
            form.role.errors = [_("You cannot remove your own administrator rights or disable yourself.")]
        else:
            accounts.set_role(db.session, account, form.role.data)
            accounts.set_active(db.session, account, form.active.data)
            accounts.set_assignments(db.session, account, set(form.postings.data or []))
            _audit("manage_staff", detail=f"{account.email}: role={account.role} "
                   f"active={account.active} postings={len(account.assignments)}")
            db.session.commit()
            flash(_("Account %(email)s updated.", email=account.email))
            return redirect(url_for("staff.staff_accounts"))
    return render_template("staff/account.html", account=account, form=form)


@localized_route(bp, "{staff}/{translations}/", endpoint="translations")
@access("admin")
def content_translations():
    """Show the translators' report (as ``flask content translations``): unpaired
    files, inexact keys, untranslated and stale translations."""
    report = translation_report(current_index(), list(current_app.config["PORTAL_LANGUAGES"]))
    return render_template("staff/translations.html", report=report, kinds=FindingKind,
                           reasons=UnpairedReason)


# Helpers --------------------------------------------------------------------

def _require_posting(posting_key: str) -> None:
    if not review.can_see(staff_user(), posting_key):
        abort(404)


def _visible_application(application_id: int) -> Application:
    """Return the application, or 404 if it does not exist or is not the user's to see."""
    found = db.session.get(Application, application_id) if database_id(application_id) else None
    if found is None or not review.can_see(staff_user(), found.posting_key):
        abort(404)
    return found


def _render_application(found: Application, status_form=None, note_form=None):
    allowed = review.allowed_transitions(found.status)
    return render_template(
        "staff/application.html",
        application=found,
        title=posting_title(db.session, current_index(), found.posting_key, g.lang_code),
        status_form=status_form or StatusForm(allowed=allowed),
        note_form=note_form or NoteForm(),
        allowed=allowed,
        status_labels=STATUS_LABELS,
    )


def _filters(form: FilterForm) -> review.ApplicationFilter:
    form.validate()
    zone = timezone(current_app.config)
    start = form.submitted_from.data if not form.submitted_from.errors else None
    end = form.submitted_to.data if not form.submitted_to.errors else None
    return review.ApplicationFilter(
        status=form.status.data if form.status.data in review.STATUSES else "",
        search=(form.q.data or "").strip()[:200],
        submitted_from=datetime.combine(start, time(), tzinfo=zone) if start else None,
        submitted_before=datetime.combine(end + timedelta(days=1), time(), tzinfo=zone) if end else None,
        sort=form.sort.data if form.sort.data in review.SORTS else "newest",
    )


def _day_start(text: str | None) -> datetime | None:
    try:
        return datetime.combine(datetime.strptime(text or "", "%Y-%m-%d").date(), time(),
                                tzinfo=timezone(current_app.config))
    except ValueError:
        return None


def _day_end(text: str | None) -> datetime | None:
    start = _day_start(text)
    return start + timedelta(days=1) if start else None


def _questions_by_id(posting_key: str) -> dict[str, str]:
    """Return the posting's question labels in the page language, by id."""
    index = current_index()
    for document in _documents_for(index, posting_key):
        translations = {document.lang: document, **index.counterparts(document)}
        chosen = translations.get(g.lang_code, document)
        return {question.id: question.label for question in chosen.questions}
    return {}


def _documents_for(index, posting_key: str) -> list[Document]:
    return [doc for doc in index.documents.values()
            if doc.kind is Kind.POSTING and doc.posting_key == posting_key]
