"""Telling candidates: decision emails sent with a move (interview, not
selected, offer) and messages staff write, both through the outbox and kept
in the application's history.

Emails are written in the candidate's language, whatever the reviewer's.
The reason written for the record of decision goes into an email only when
the reviewer asks for it. Functions take a session and flush; the request
commits once, and the outbox sends after that.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask import current_app
from sqlalchemy.orm import Session

from ..content.criteria import Criterion
from . import audit, candidate_access, limits, mail, review
from .models import Application, ApplicationMessage, StaffUser, Status

#: The email each decision may send, by the status moved to.
TEMPLATES: dict[Status, str] = {
    Status.INTERVIEW: "decision_interview",
    Status.REJECTED: "decision_not_selected",
    Status.OFFER: "decision_offer",
}
MESSAGE_TEMPLATE = "staff_message"


class DecisionError(ValueError):
    """A message or decision email the rules refuse; ``code`` says which rule."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


@dataclass(frozen=True)
class DecisionEmail:
    """What the reviewer chose to tell the candidate with a move."""

    send: bool = True
    #: Personal words added to the template's (may be empty).
    message: str = ""
    #: Put the reason written for the record of decision into the email.
    include_reason: bool = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "message", self.message.strip())


def emails_for(status: Status | str) -> bool:
    """Return True when a move to ``status`` may email the candidate."""
    return status in TEMPLATES


def preview(
    application: Application, to_status: str, *, reason: str, email: DecisionEmail, posting_title: str
):
    """Return the decision email exactly as it would be sent (``mail.Rendered``).

    Raises DecisionError("no_email") for a status that sends none.
    """
    template = _template(to_status)
    rendered = mail.render(
        template, application.preferred_language, **_context(application, reason, email, posting_title)
    )
    return mail.Rendered(
        mail.with_reference(rendered.subject, application.reference), rendered.text, rendered.html
    )


def decide(
    session: Session,
    application: Application,
    to_status: str,
    *,
    reason: str,
    email: DecisionEmail,
    posting_title: str,
    user: StaffUser,
    now: datetime,
    ip_address: str = "",
    criteria: tuple[Criterion, ...] = (),
) -> ApplicationMessage | None:
    """Move the application (``review.change_status``, whose ReviewError it
    raises) and, if asked and the status has one, email the candidate its
    decision; return the message kept in the history, or None."""
    _check_message(email)
    review.change_status(
        session,
        application,
        to_status,
        reason=reason,
        user=user,
        now=now,
        ip_address=ip_address,
        criteria=criteria,
    )
    if not (email.send and emails_for(to_status)):
        return None
    return _send_decision(
        session,
        application,
        to_status,
        reason,
        email,
        posting_title,
        user=user,
        now=now,
        ip_address=ip_address,
    )


def decide_many(
    session: Session,
    posting_key: str,
    application_ids: list[int],
    to_status: str,
    *,
    reason: str,
    email: DecisionEmail,
    posting_titles: dict[str, str],
    user: StaffUser,
    now: datetime,
    ip_address: str = "",
    criteria: tuple[Criterion, ...] = (),
) -> tuple[list[Application], list[Application]]:
    """Move several applications of one posting (``review.bulk_change_status``)
    and email each candidate moved their own decision, one email each, with
    the posting's title in their language (``posting_titles``, by language).
    Return (changed, skipped)."""
    _check_message(email)
    changed, skipped = review.bulk_change_status(
        session,
        posting_key,
        application_ids,
        to_status,
        reason=reason,
        user=user,
        now=now,
        ip_address=ip_address,
        criteria=criteria,
    )
    if email.send and emails_for(to_status):
        for application in changed:
            title = posting_titles.get(application.preferred_language, application.posting_title)
            _send_decision(
                session,
                application,
                to_status,
                reason,
                email,
                title,
                user=user,
                now=now,
                ip_address=ip_address,
            )
    return changed, skipped


def first_movable(session: Session, posting_key: str, application_ids: list[int], to_status: str):
    """Return the first of these applications that may move to ``to_status``
    (whose email a bulk preview shows), or None."""
    for application_id in sorted(application_ids):
        application = session.get(Application, application_id)
        if (
            application is not None
            and application.posting_key == posting_key
            and to_status in review.allowed_transitions(application.status)
        ):
            return application
    return None


def send_message(
    session: Session,
    application: Application,
    *,
    subject: str,
    body: str,
    posting_title: str,
    user: StaffUser,
    now: datetime,
    ip_address: str = "",
) -> ApplicationMessage:
    """Email the candidate a message written by staff, and keep it in the history.

    Raises DecisionError("empty_message") without a body, DecisionError("too_long")
    for a subject or body over ``limits``.
    """
    subject, body = " ".join(subject.split()), body.strip()
    if not body:
        raise DecisionError("empty_message")
    if len(body) > limits.MESSAGE or len(subject) > limits.MESSAGE_SUBJECT:
        raise DecisionError("too_long")
    queued = mail.queue(
        session,
        recipient=application.email,
        language=application.preferred_language,
        template=MESSAGE_TEMPLATE,
        application_id=application.id,
        subject=subject,
        message=body,
        full_name=application.full_name,
        posting_title=posting_title,
        reference=application.reference,
        contact_email=current_app.config["PORTAL_HIRING_CONTACT_EMAIL"],
    )
    session.flush()
    kept = _keep(session, application, "message", subject, body, queued, user, now)
    _audit(session, "send_message", application, user, now, ip_address)
    review.mark_used(application, now)
    return kept


def _send_decision(
    session: Session,
    application: Application,
    to_status: str,
    reason: str,
    email: DecisionEmail,
    posting_title: str,
    *,
    user: StaffUser,
    now: datetime,
    ip_address: str,
) -> ApplicationMessage:
    # Never to a candidate who withdrew: the move itself is refused then
    # (review.change_status), and this guard keeps it so whatever the pipeline allows.
    if application.status is Status.WITHDRAWN or candidate_access.withdrawn_by_candidate(application):
        raise DecisionError("withdrawn")
    template = _template(to_status)
    queued = mail.queue(
        session,
        recipient=application.email,
        language=application.preferred_language,
        template=template,
        application_id=application.id,
        **_context(application, reason, email, posting_title),
    )
    session.flush()
    kept = _keep(session, application, template, "", email.message, queued, user, now)
    _audit(session, "send_decision_email", application, user, now, ip_address, detail=template)
    return kept


def _keep(session, application, kind, subject, body, queued, user, now) -> ApplicationMessage:
    kept = ApplicationMessage(
        application_id=application.id,
        staff_user_id=user.id,
        kind=kind,
        subject=subject,
        body=body,
        email_id=queued.id,
        created_at=now,
    )
    application.messages.append(kept)
    session.flush()
    return kept


def _audit(session, action, application, user, now, ip_address, detail="") -> None:
    audit.record_by_staff(
        session,
        action,
        user,
        at=now,
        ip_address=ip_address,
        application_id=application.id,
        posting_key=application.posting_key,
        detail=detail,
    )


def _template(to_status: str) -> str:
    try:
        return TEMPLATES[Status(to_status)]
    except (KeyError, ValueError):
        raise DecisionError("no_email") from None


def _check_message(email: DecisionEmail) -> None:
    if len(email.message) > limits.MESSAGE:
        raise DecisionError("too_long")


def _context(application: Application, reason: str, email: DecisionEmail, posting_title: str) -> dict:
    return {
        "full_name": application.full_name,
        "posting_title": posting_title,
        "reference": application.reference,
        "message": email.message,
        "reason": reason.strip() if email.include_reason else "",
        "contact_email": current_app.config["PORTAL_HIRING_CONTACT_EMAIL"],
    }
