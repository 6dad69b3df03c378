"""Candidates follow their application without an account: a personal status
link, sent again on request, and withdrawal by the candidate.

A status link holds a random token (``secrets.token_urlsafe(32)``); only its
SHA-256 is kept (StatusLink). It works on any device until the application is
deleted by retention (the rows go with it) or until a newer link replaces it:
asking for the link again makes a new one and revokes the older ones. The
token travels in the query string, which no log of this site keeps.

"Lost your link?" answers the same way, after the same work, whether or not
the email address and reference match an application, so nobody learns from
it who applied. Functions take a session and flush; the request commits
once, and only then do the emails leave.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from flask import render_template
from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from ..plumbing import i18n
from . import audit, limits, mail
from .models import Application, Status, StatusChange, StatusLink

#: Builds the absolute URL of a status link from a language code and a token.
LinkBuilder = Callable[[str, str], str]
#: Where a candidate may still withdraw from: the application is still being considered.
WITHDRAWABLE = frozenset({Status.RECEIVED, Status.SCREENING, Status.INTERVIEW, Status.OFFER})
#: The longest token looked up: a longer one cannot be a link's.
_MAX_TOKEN = 200
_REFERENCE_CHARACTERS = re.compile(r"[^0-9A-Z]")


@dataclass(frozen=True)
class CandidateStatus:
    """A status as the candidate reads it, with what happens next."""

    label: object
    next_step: object


#: The statuses in candidate words; offer and hired read the same.
CANDIDATE_STATUSES = {
    Status.RECEIVED: CandidateStatus(
        _l("Received"),
        _l(
            "The hiring team reads every application once the posting closes. "
            "You do not need to do anything for now."
        ),
    ),
    Status.SCREENING: CandidateStatus(
        _l("Under review"),
        _l(
            "The hiring team is comparing your application with what the job needs. "
            "If it matches, we invite you to an assessment, such as an interview or an exercise."
        ),
    ),
    Status.INTERVIEW: CandidateStatus(
        _l("Invited to interview"),
        _l(
            "The hiring team writes to you by email with the date, the place and what the interview "
            "involves, and asks what accommodation you need."
        ),
    ),
    Status.REJECTED: CandidateStatus(
        _l("Not selected"),
        _l(
            "Your application is not going further for this job. "
            "Thank you for your interest: you can apply for our other jobs."
        ),
    ),
    Status.OFFER: CandidateStatus(
        _l("Offer"),
        _l("The hiring team writes to you by email about the offer and the next steps."),
    ),
    Status.HIRED: CandidateStatus(
        _l("Offer"),
        _l("The hiring team writes to you by email about the offer and the next steps."),
    ),
    Status.WITHDRAWN: CandidateStatus(
        _l("Withdrawn"),
        _l("The application was withdrawn: the hiring team no longer considers it."),
    ),
}


class LinkError(ValueError):
    """A status link that cannot be used; ``code`` is ``unknown`` or ``revoked``."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


class CannotWithdraw(ValueError):
    """The application is past the point where it can be withdrawn (already
    withdrawn, not selected, or hired)."""


def candidate_status(application: Application) -> CandidateStatus:
    """Return the application's status in candidate words."""
    return CANDIDATE_STATUSES[application.status]


def can_withdraw(application: Application) -> bool:
    """Tell whether the candidate may still withdraw the application."""
    return application.status in WITHDRAWABLE


def withdrawn_by_candidate(application: Application) -> bool:
    """Tell whether the candidate withdrew the application themselves."""
    return application.status is Status.WITHDRAWN and any(
        change.by_candidate and change.to_status is Status.WITHDRAWN for change in application.status_changes
    )


def new_status_link(session: Session, application: Application, *, now: datetime) -> str:
    """Make a status link for ``application`` and return its token; the
    application's older links stop working."""
    session.execute(
        update(StatusLink)
        .where(StatusLink.application_id == application.id, StatusLink.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    token = status_token()
    add_status_link(session, application, token, now=now)
    return token


def status_token() -> str:
    """Return a new random token for a status link."""
    return secrets.token_urlsafe(32)


def add_status_link(session: Session, application: Application, token: str, *, now: datetime) -> None:
    """Store a status link with ``token`` for ``application`` (with the
    transaction; older links are left as they are)."""
    session.add(StatusLink(token_hash=_digest(token), application_id=application.id, created_at=now))


def open_status_link(session: Session, token: str) -> Application:
    """Return the application a status link names; raises LinkError("unknown")
    (never was, cut short, or its application was deleted) or
    LinkError("revoked") (a newer link replaced it)."""
    link = session.scalar(select(StatusLink).where(StatusLink.token_hash == _digest(token[:_MAX_TOKEN])))
    if link is None:
        raise LinkError("unknown")
    if link.revoked_at is not None:
        raise LinkError("revoked")
    return session.get(Application, link.application_id)


def normalise_reference(reference: str) -> str:
    """Return a reference as stored (``7KQ4-M9XP-2HTD``), however it was typed:
    in lower case, with spaces, or without its hyphens."""
    characters = _REFERENCE_CHARACTERS.sub("", reference.upper())
    if len(characters) != 12:
        return reference.strip().upper()
    return "-".join(characters[i : i + 4] for i in range(0, 12, 4))


def send_link_again(
    session: Session,
    email: str,
    reference: str,
    *,
    now: datetime,
    link: LinkBuilder,
    posting_title: Callable[[Application, str], str],
    contact_email: str,
) -> bool:
    """Email a new status link (the older ones stop working) when ``email``
    and ``reference`` are those of one application, in its preferred
    language; otherwise do the same rendering and send nothing. Returns
    whether an email was queued: for tests and the caller's logs, never to
    be shown to whoever asked."""
    found = session.scalar(
        select(Application).where(Application.reference == normalise_reference(reference)[:20])
    )
    if found is not None and found.email.casefold() == email.strip().casefold():
        token = new_status_link(session, found, now=now)
        url = link(found.preferred_language, token)
        _email_candidate(session, found, "status_link", url, posting_title, contact_email)
        return True
    # The same rendering as a real email, thrown away.
    language = found.preferred_language if found is not None else i18n.current_language()
    decoy = found or Application(reference=reference, full_name="", email=email, posting_title="")
    decoy_url = link(language, secrets.token_urlsafe(32))
    context = _context(decoy, language, decoy_url, posting_title, contact_email)
    with i18n.language(language):
        for part in ("txt", "html", "subject.txt"):
            render_template(f"emails/status_link.{part}", **context)
    return False


def withdraw(
    session: Session,
    application: Application,
    *,
    reason: str,
    now: datetime,
    status_url: str,
    posting_title: Callable[[Application, str], str],
    contact_email: str,
) -> StatusChange:
    """Withdraw an application at its candidate's request: the history says
    the candidate did it, the audit log records it (by application id only),
    and the candidate gets an email confirming it, with ``status_url`` (the
    link they used, which keeps working). Raises CannotWithdraw
    when it is too late, ValueError when the reason is over its cap."""
    # Read the status again under a row lock: a staff move or a second
    # withdrawal at the same moment waits, then sees this one.
    session.refresh(application, with_for_update=True)
    if not can_withdraw(application):
        raise CannotWithdraw(application.reference)
    reason = reason.strip()
    if len(reason) > limits.DECISION_REASON:
        raise ValueError("reason too long")
    change = StatusChange(
        application_id=application.id,
        from_status=application.status,
        to_status=Status.WITHDRAWN,
        reason=reason,
        staff_user_id=None,
        by_candidate=True,
        changed_at=now,
    )
    application.status_changes.append(change)
    audit.record(
        session,
        "withdrawn_by_candidate",
        # The candidate has no account: the action names them; no address is kept.
        actor="",
        role="",
        application_id=application.id,
        posting_key=application.posting_key,
        detail=f"{change.from_status} -> {Status.WITHDRAWN}",
        at=now,
    )
    application.status = Status.WITHDRAWN
    _email_candidate(session, application, "application_withdrawn", status_url, posting_title, contact_email)
    return change


def _email_candidate(
    session: Session,
    application: Application,
    template: str,
    status_url: str,
    posting_title: Callable[[Application, str], str],
    contact_email: str,
) -> None:
    """Queue an email about the application, in its candidate's language, pointing at its status page."""
    language = application.preferred_language
    mail.queue(
        session,
        recipient=application.email,
        language=language,
        template=template,
        application_id=application.id,
        **_context(application, language, status_url, posting_title, contact_email),
    )
    session.flush()


def _context(
    application: Application,
    language: str,
    status_url: str,
    posting_title: Callable[[Application, str], str],
    contact_email: str,
) -> dict:
    return {
        "full_name": application.full_name,
        "reference": application.reference,
        "posting_title": posting_title(application, language) if application.id else "",
        "status_url": status_url,
        "contact_email": contact_email,
    }


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
