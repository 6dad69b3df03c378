"""Links sent by email to staff: invitations to set a first password, and
password resets.

A link holds a random token; only its SHA-256 is stored (AccountToken). Each
link works once and expires: an invitation after INVITATION_LIFETIME, a
reset after RESET_LIFETIME. A new link of the same purpose voids the older
unused ones. Functions take a session and flush; the request commits once,
and only then do the emails leave.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from flask import render_template
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from ..plumbing import i18n
from . import accounts, audit, mail
from .models import AccountToken, Role, StaffUser

INVITATION = "invitation"
RESET = "reset"
INVITATION_LIFETIME = timedelta(hours=72)
RESET_LIFETIME = timedelta(hours=1)
_LIFETIMES = {INVITATION: INVITATION_LIFETIME, RESET: RESET_LIFETIME}
_TEMPLATES = {INVITATION: "staff_invitation", RESET: "password_reset"}

#: Builds the absolute URL of a link from its token, in the email's language.
LinkBuilder = Callable[[str], str]


class LinkError(ValueError):
    """A link that cannot be used; ``code`` is ``unknown``, ``expired`` or ``used``."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def invite(
    session: Session,
    email: str,
    role: str,
    *,
    posting_keys: set[str],
    language: str,
    by: StaffUser,
    now: datetime,
    ip_address: str,
    link: LinkBuilder,
) -> StaffUser:
    """Create an account without a password and email it an invitation link
    in ``language``. Raises accounts.AccountError("email_taken"),
    AccountError("invalid_email") or AccountError("unknown_role")."""
    user = accounts.create_invited_user(session, email, role, now=now)
    if user.role is Role.REVIEWER:
        accounts.set_assignments(session, user, posting_keys)
    _invite(
        session,
        user,
        language=language,
        by=by,
        now=now,
        ip_address=ip_address,
        link=link,
        detail=f"{user.email}: role={user.role}",
    )
    return user


def resend_invitation(
    session: Session,
    user: StaffUser,
    *,
    language: str,
    by: StaffUser,
    now: datetime,
    ip_address: str,
    link: LinkBuilder,
) -> None:
    """Send a new invitation link (the older ones stop working) to an account
    that never set its password; raises LinkError("used") for one that has."""
    if accounts.has_password(user):
        raise LinkError("used")
    _invite(
        session,
        user,
        language=language,
        by=by,
        now=now,
        ip_address=ip_address,
        link=link,
        detail=f"{user.email}: again",
    )


def _invite(
    session: Session,
    user: StaffUser,
    *,
    language: str,
    by: StaffUser,
    now: datetime,
    ip_address: str,
    link: LinkBuilder,
    detail: str,
) -> None:
    """Email an invitation link and audit who sent it."""
    _send(session, user, INVITATION, language=language, now=now, link=link)
    audit.record(
        session,
        "invitation_sent",
        actor=by.email,
        staff_user_id=by.id,
        ip_address=ip_address,
        at=now,
        detail=detail,
    )


def request_reset(
    session: Session, email: str, *, language: str, now: datetime, ip_address: str, link: LinkBuilder
) -> None:
    """Email a reset link to an enabled account that has a password; for any
    other address do the same work but send nothing, so neither the answer
    nor its timing tells whether the address has an account."""
    email = accounts.normalise_email(email)[: accounts.MAX_EMAIL_LENGTH]
    user = accounts.find_user(session, email)
    if user is not None and user.active and accounts.has_password(user):
        _send(session, user, RESET, language=language, now=now, link=link)
        audit.record(
            session,
            "password_reset_requested",
            actor=user.email,
            staff_user_id=user.id,
            ip_address=ip_address,
            at=now,
        )
        return
    # The same rendering as a real email, thrown away.
    _render(RESET, language, link(_new_token()), user_email=email)


def open_link(session: Session, token: str, purpose: str, now: datetime) -> AccountToken:
    """Return the usable link ``token`` names; raises LinkError("unknown"),
    LinkError("expired") or LinkError("used")."""
    found = session.scalar(
        select(AccountToken).where(AccountToken.token_hash == _digest(token), AccountToken.purpose == purpose)
    )
    if found is None or not session.get(StaffUser, found.staff_user_id).active:
        raise LinkError("unknown")
    if found.used_at is not None:
        raise LinkError("used")
    if _as_utc(found.expires_at) <= now:
        raise LinkError("expired")
    return found


def accept_invitation(
    session: Session, token: str, password: str, *, now: datetime, ip_address: str
) -> StaffUser:
    """Set the first password from an invitation link, which is then used up.

    Raises LinkError, or accounts.AccountError("password_too_short") /
    AccountError("password_too_common") (the link stays usable)."""
    link = open_link(session, token, INVITATION, now)
    user = session.get(StaffUser, link.staff_user_id)
    accounts.set_password(session, user, password)
    link.used_at = now
    audit.record(
        session, "invitation_accepted", actor=user.email, staff_user_id=user.id, ip_address=ip_address, at=now
    )
    session.flush()
    return user


def reset_password(
    session: Session, token: str, password: str, *, now: datetime, ip_address: str
) -> StaffUser:
    """Set a new password from a reset link, which is then used up; every
    session of the account ends. Raises as accept_invitation does."""
    link = open_link(session, token, RESET, now)
    user = session.get(StaffUser, link.staff_user_id)
    accounts.set_password(session, user, password)
    link.used_at = now
    audit.record(
        session, "password_reset", actor=user.email, staff_user_id=user.id, ip_address=ip_address, at=now
    )
    session.flush()
    return user


def pending_invitation(session: Session, user: StaffUser, now: datetime) -> AccountToken | None:
    """Return the account's newest unused invitation link still valid, if any."""
    return session.scalar(
        select(AccountToken)
        .where(
            AccountToken.staff_user_id == user.id,
            AccountToken.purpose == INVITATION,
            AccountToken.used_at.is_(None),
            AccountToken.expires_at > now,
        )
        .order_by(AccountToken.id.desc())
        .limit(1)
    )


def _send(
    session: Session, user: StaffUser, purpose: str, *, language: str, now: datetime, link: LinkBuilder
) -> None:
    # Older unused links of the same purpose stop working.
    session.execute(
        update(AccountToken)
        .where(
            AccountToken.staff_user_id == user.id,
            AccountToken.purpose == purpose,
            AccountToken.used_at.is_(None),
        )
        .values(used_at=now)
    )
    token = _new_token()
    expires = now + _LIFETIMES[purpose]
    session.add(
        AccountToken(
            token_hash=_digest(token),
            staff_user_id=user.id,
            purpose=purpose,
            created_at=now,
            expires_at=expires,
        )
    )
    mail.queue(
        session,
        recipient=user.email,
        language=language,
        template=_TEMPLATES[purpose],
        **_context(link(token), user.email),
    )
    session.flush()


def _render(purpose: str, language: str, url: str, *, user_email: str) -> None:
    with i18n.language(language):
        for part in ("txt", "html", "subject.txt"):
            render_template(f"emails/{_TEMPLATES[purpose]}.{part}", **_context(url, user_email))


def _context(url: str, email: str) -> dict:
    return {
        "link": url,
        "email": email,
        "invitation_hours": int(INVITATION_LIFETIME.total_seconds() // 3600),
        "reset_minutes": int(RESET_LIFETIME.total_seconds() // 60),
    }


def _new_token() -> str:
    return secrets.token_urlsafe(32)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _as_utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
