"""The audit log: who did what, when and from where. Entries are only ever added."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from .models import AuditEvent, StaffUser

#: Every action the portal records, with how it is named to admins.
ACTION_LABELS = {
    "sign_in": _l("Signed in"),
    "sign_in_failed": _l("Failed sign-in"),
    "sign_in_refused": _l("Sign-in refused (too many failures)"),
    "sign_out": _l("Signed out"),
    "password_changed": _l("Changed their password"),
    "password_reset_requested": _l("Asked for a password reset link"),
    "password_reset": _l("Set a new password from a reset link"),
    "second_factor_enabled": _l("Turned on two-step sign-in"),
    "second_factor_disabled": _l("Turned off two-step sign-in"),
    "recovery_codes_renewed": _l("Made new recovery codes"),
    "recovery_code_used": _l("Signed in with a recovery code"),
    "second_factor_reset": _l("Reset another account's two-step sign-in"),
    "invitation_sent": _l("Invited a staff member"),
    "invitation_accepted": _l("Accepted an invitation"),
    "view_application": _l("Viewed an application"),
    "download_resume": _l("Downloaded a résumé"),
    "delete_infected_resume": _l("Deleted a résumé the virus scanner flagged"),
    "change_status": _l("Changed a status"),
    "correct_status": _l("Corrected a status (moved it back)"),
    "withdrawn_by_candidate": _l("Withdrawn by the candidate"),
    "add_note": _l("Added a note"),
    "assess_application": _l("Assessed an application against the merit criteria"),
    "send_decision_email": _l("Emailed a decision to a candidate"),
    "send_message": _l("Sent a message to a candidate"),
    "export_csv": _l("Exported applications"),
    "export_decisions": _l("Exported a posting's record of decision"),
    "view_equity_report": _l("Viewed the equity report"),
    "search_applications": _l("Searched every posting's applications"),
    "manage_staff": _l("Changed a staff account"),
    "purge": _l("Purged old applications"),
    "place_legal_hold": _l("Placed a legal hold"),
    "release_legal_hold": _l("Released a legal hold"),
    "set_name_blind": _l("Changed a posting’s name-blind review"),
    "reveal_identity": _l("Revealed a candidate’s identity (name-blind review)"),
    "access_refused": _l("Was refused a page"),
    "csrf_refused": _l("Sent a form that had expired or was forged (refused)"),
}
ACTIONS = tuple(ACTION_LABELS)
#: How an action turned out: done, refused (denied access, a refused form, a
#: throttled sign-in) or failed (a wrong password or code).
OUTCOME_LABELS = {
    "done": _l("Done"),
    "refused": _l("Refused"),
    "failed": _l("Failed"),
}
OUTCOMES = tuple(OUTCOME_LABELS)
#: The outcome of actions that are never simply "done".
DEFAULT_OUTCOMES = {
    "sign_in_failed": "failed",
    "sign_in_refused": "refused",
    "access_refused": "refused",
    "csrf_refused": "refused",
}
PAGE_SIZE = 100
#: Deeper pages are reached by narrowing the filters.
MAX_PAGE = 10_000


def record(
    session: Session,
    action: str,
    *,
    actor: str = "",
    staff_user_id: int | None = None,
    role: str | None = None,
    outcome: str | None = None,
    application_id: int | None = None,
    posting_key: str | None = None,
    ip_address: str = "",
    detail: str = "",
    at: datetime | None = None,
) -> AuditEvent:
    """Add one audit entry to the caller's transaction.

    ``role`` is the actor's role at that moment; without one it is read from
    the account ``staff_user_id`` names (empty for the public, a command or an
    unknown account). ``outcome`` defaults to the action's usual one
    (DEFAULT_OUTCOMES, else "done").
    """
    if action not in ACTIONS:
        raise ValueError(f"unknown audit action {action!r}")
    outcome = outcome or DEFAULT_OUTCOMES.get(action, "done")
    if outcome not in OUTCOMES:
        raise ValueError(f"unknown audit outcome {outcome!r}")
    if role is None:
        account = session.get(StaffUser, staff_user_id) if staff_user_id is not None else None
        role = str(account.role) if account is not None else ""
    event = AuditEvent(
        at=at or datetime.now(UTC),
        action=action,
        actor=actor[:320],
        staff_user_id=staff_user_id,
        role=str(role)[:20],
        outcome=outcome,
        application_id=application_id,
        posting_key=posting_key,
        ip_address=ip_address[:64],
        detail=detail,
    )
    session.add(event)
    return event


@dataclass(frozen=True)
class AuditFilter:
    """What an admin is looking for in the log."""

    action: str = ""
    actor: str = ""
    outcome: str = ""
    application_id: int | None = None
    since: datetime | None = None
    until: datetime | None = None


def record_by_staff(
    session: Session,
    action: str,
    user: StaffUser,
    *,
    at: datetime,
    ip_address: str,
    application_id: int | None = None,
    posting_key: str | None = None,
    detail: str = "",
) -> AuditEvent:
    """Add an audit entry for what a signed-in staff member did, with their role at that moment."""
    return record(
        session,
        action,
        actor=user.email,
        staff_user_id=user.id,
        role=str(user.role),
        application_id=application_id,
        posting_key=posting_key,
        ip_address=ip_address,
        detail=detail,
        at=at,
    )


def query(filters: AuditFilter) -> Select:
    """Return the entries matching ``filters``, newest first."""
    statement = select(AuditEvent).order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
    if filters.action:
        statement = statement.where(AuditEvent.action == filters.action)
    if filters.outcome:
        statement = statement.where(AuditEvent.outcome == filters.outcome)
    if filters.actor:
        statement = statement.where(AuditEvent.actor.ilike(f"%{_escape_like(filters.actor)}%", escape="\\"))
    if filters.application_id is not None:
        statement = statement.where(AuditEvent.application_id == filters.application_id)
    if filters.since is not None:
        statement = statement.where(AuditEvent.at >= filters.since)
    if filters.until is not None:
        statement = statement.where(AuditEvent.at < filters.until)
    return statement


@dataclass(frozen=True)
class AuditPage:
    """One page of the log, newest first."""

    events: list[AuditEvent]
    number: int
    more: bool


def page(session: Session, filters: AuditFilter, number: int) -> AuditPage:
    """Return page ``number`` (from 1, capped at MAX_PAGE) of the matching entries."""
    number = min(max(number, 1), MAX_PAGE)
    events = list(session.scalars(query(filters).limit(PAGE_SIZE + 1).offset((number - 1) * PAGE_SIZE)))
    return AuditPage(events[:PAGE_SIZE], number, len(events) > PAGE_SIZE)


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
