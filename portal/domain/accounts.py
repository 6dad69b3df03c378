"""Staff accounts and their sessions: creation, passwords, roles, sign-in, revocation.

Functions take a session and flush; the request (or command) commits once.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime, timedelta
from functools import lru_cache

from flask import current_app
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from . import audit, passwords
from .models import Assignment, AuditEvent, Role, StaffSession, StaffUser

MIN_PASSWORD_LENGTH = passwords.MIN_LENGTH
#: The longest email address (RFC 5321); a longer one is refused before anything is checked.
MAX_EMAIL_LENGTH = 320
#: Failed sign-ins of one account from one address before each new try waits.
FREE_FAILURES = 5
#: The first wait; it doubles with each further failure, up to MAX_DELAY.
FIRST_DELAY = timedelta(seconds=30)
MAX_DELAY = timedelta(hours=1)
#: Failures from one address, whatever the accounts, before it waits (password spraying).
ADDRESS_FAILURES = 50
ADDRESS_DELAY = timedelta(minutes=15)
#: How far back failures count.
FAILURE_WINDOW = timedelta(hours=24)


@lru_cache(maxsize=4)
def _dummy_hash(method: str) -> str:
    # Checked against when the email is unknown, so both cases take as long.
    return passwords.hash_password("not a real password", method)


class AccountError(ValueError):
    """A request about an account that cannot be carried out; ``code`` says
    why (and ``retry_after``, in seconds, for "throttled")."""

    def __init__(self, code: str, retry_after: int = 0) -> None:
        super().__init__(code)
        self.code = code
        self.retry_after = retry_after


def normalise_email(email: str) -> str:
    """Return the form emails are stored and compared in."""
    return email.strip().lower()


def _method() -> str:
    return current_app.config["PORTAL_PASSWORD_HASH_METHOD"]


def hash_password(password: str, email: str = "") -> str:
    """Hash with Argon2id; raise AccountError("password_too_short") or
    AccountError("password_too_common") for a password easy to guess (from a
    list of common ones, words, names, patterns, or the account's email)."""
    known = (email, email.partition("@")[0], *email.partition("@")[2].split("."))
    problem = passwords.weakness(password, known_words=known)
    if problem:
        raise AccountError(f"password_{problem}")
    return passwords.hash_password(password, _method())


def find_user(session: Session, email: str) -> StaffUser | None:
    """Return the account with this email, if any."""
    return session.scalar(select(StaffUser).where(StaffUser.email == normalise_email(email)))


def list_users(session: Session) -> list[StaffUser]:
    """Return every staff account, by email."""
    return list(session.scalars(select(StaffUser).order_by(StaffUser.email)))


def get_user(session: Session, user_id: int | None) -> StaffUser | None:
    """Return the account with this id, if any."""
    return session.get(StaffUser, user_id) if user_id is not None else None


def _role(role: str) -> Role:
    try:
        return Role(role)
    except ValueError:
        raise AccountError("unknown_role") from None


def create_user(session: Session, email: str, password: str, role: str, *, now: datetime) -> StaffUser:
    """Create an account; the email must be new and the role known."""
    role = _role(role)
    email = normalise_email(email)
    if "@" not in email:
        raise AccountError("invalid_email")
    if find_user(session, email) is not None:
        raise AccountError("email_taken")
    user = StaffUser(
        email=email, password_hash=hash_password(password, email), role=role, active=True, created_at=now
    )
    session.add(user)
    session.flush()
    return user


def create_invited_user(session: Session, email: str, role: str, *, now: datetime) -> StaffUser:
    """Create an account with no usable password yet (it is set from the
    invitation link); the email must be new and the role known."""
    role = _role(role)
    email = normalise_email(email)
    if "@" not in email or len(email) > MAX_EMAIL_LENGTH:
        raise AccountError("invalid_email")
    if find_user(session, email) is not None:
        raise AccountError("email_taken")
    user = StaffUser(email=email, password_hash=passwords.UNUSABLE, role=role, active=True, created_at=now)
    session.add(user)
    session.flush()
    return user


def has_password(user: StaffUser) -> bool:
    """Tell whether the account has set a password (an invited one has not yet)."""
    return passwords.usable(user.password_hash)


def check_password(user: StaffUser, password: str) -> bool:
    """Tell whether ``password`` is the account's current password."""
    return passwords.verify(user.password_hash, password, _method())


def set_password(session: Session, user: StaffUser, password: str) -> None:
    """Change the password and sign every session of the account out."""
    user.password_hash = hash_password(password, user.email)
    revoke_all(session, user)


def change_own_password(
    session: Session, user: StaffUser, current: str, new: str, *, now: datetime, ip_address: str
) -> None:
    """Change one's own password, given the current one; every session of
    the account ends. Raises AccountError("wrong_password") or
    AccountError("password_too_short")."""
    if not check_password(user, current):
        raise AccountError("wrong_password")
    set_password(session, user, new)
    audit.record(
        session, "password_changed", actor=user.email, staff_user_id=user.id, ip_address=ip_address, at=now
    )


def set_active(session: Session, user: StaffUser, active: bool) -> None:
    """Enable or disable an account; disabling signs it out everywhere."""
    user.active = active
    if not active:
        revoke_all(session, user)


def set_role(session: Session, user: StaffUser, role: str) -> None:
    """Change the role; any change signs the account out everywhere."""
    role = _role(role)
    if role != user.role:
        user.role = role
        revoke_all(session, user)


def update_account(
    session: Session,
    account: StaffUser,
    *,
    role: str,
    active: bool,
    posting_keys: set[str],
    by: StaffUser,
    now: datetime,
    ip_address: str,
) -> None:
    """Change an account's role, state and assigned postings, as admin ``by``.

    An admin cannot remove their own administrator rights or disable
    themself (AccountError("own_account")): the portal always keeps the admin
    who is acting. The change is audited.
    """
    if account.id == by.id and (role != Role.ADMIN or not active):
        raise AccountError("own_account")
    set_role(session, account, role)
    set_active(session, account, active)
    set_assignments(session, account, posting_keys)
    audit.record(
        session,
        "manage_staff",
        actor=by.email,
        staff_user_id=by.id,
        ip_address=ip_address,
        at=now,
        detail=f"{account.email}: role={account.role} active={account.active} "
        f"postings={len(account.assignments)}",
    )


def set_assignments(session: Session, user: StaffUser, posting_keys: set[str]) -> None:
    """Make ``posting_keys`` exactly the postings a reviewer may see."""
    current = {assignment.posting_key: assignment for assignment in user.assignments}
    for key, assignment in current.items():
        if key not in posting_keys:
            user.assignments.remove(assignment)
    for key in sorted(posting_keys - set(current)):
        user.assignments.append(Assignment(posting_key=key))
    session.flush()


def sign_in_wait(session: Session, email: str, ip_address: str, now: datetime) -> timedelta:
    """Return how long sign-in must wait for this account from this address.

    Failures count per account and address together, so nobody can lock an
    account out from elsewhere by guessing: after FREE_FAILURES, each try
    waits FIRST_DELAY, doubling up to MAX_DELAY. An address failing on many
    accounts (password spraying) waits ADDRESS_DELAY.
    """
    recent = AuditEvent.at >= now - FAILURE_WINDOW
    failed = AuditEvent.action == "sign_in_failed"
    pair_failures, pair_last = session.execute(
        select(func.count(AuditEvent.id), func.max(AuditEvent.at)).where(
            failed, recent, AuditEvent.actor == email, AuditEvent.ip_address == ip_address
        )
    ).one()
    wait = timedelta(0)
    if pair_failures >= FREE_FAILURES:
        delay = min(FIRST_DELAY * 2 ** (pair_failures - FREE_FAILURES), MAX_DELAY)
        wait = max(wait, _as_utc(pair_last) + delay - now)
    address_failures, address_last = session.execute(
        select(func.count(AuditEvent.id), func.max(AuditEvent.at)).where(
            failed, AuditEvent.at >= now - ADDRESS_DELAY, AuditEvent.ip_address == ip_address
        )
    ).one()
    if address_failures >= ADDRESS_FAILURES:
        wait = max(wait, _as_utc(address_last) + ADDRESS_DELAY - now)
    return max(wait, timedelta(0))


def _as_utc(moment: datetime) -> datetime:
    # An aggregate (max) comes back as stored: naive UTC on SQLite.
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def check_credentials(
    session: Session, email: str, password: str, ip_address: str, now: datetime
) -> StaffUser:
    """Check an email and password (the first step of signing in).

    Raises AccountError("throttled", retry_after=seconds) or
    AccountError("invalid"); the same "invalid" for an unknown email, a wrong
    password, a disabled account or one whose invitation is not accepted, and
    each takes as long. Failures and refusals are audited. A password hashed
    the old way (or more cheaply than configured) is hashed again.
    """
    email = normalise_email(email)[:MAX_EMAIL_LENGTH]
    check_wait(session, email, ip_address, now)
    user = find_user(session, email)
    stored = user.password_hash if user and passwords.usable(user.password_hash) else None
    valid = passwords.verify(stored or _dummy_hash(_method()), password, _method()) and stored is not None
    if user is None or not valid or not user.active:
        record_failure(session, email, ip_address, now, user)
        raise AccountError("invalid")
    if passwords.needs_rehash(user.password_hash, _method()):
        user.password_hash = passwords.hash_password(password, _method())
    return user


def check_wait(session: Session, email: str, ip_address: str, now: datetime) -> None:
    """Raise AccountError("throttled") (audited) while this account and
    address must wait before another try."""
    wait = sign_in_wait(session, email, ip_address, now)
    if wait:
        audit.record(session, "sign_in_refused", actor=email, ip_address=ip_address, at=now)
        raise AccountError("throttled", retry_after=int(wait.total_seconds()) + 1)


def record_failure(
    session: Session, email: str, ip_address: str, now: datetime, user: StaffUser | None, detail: str = ""
) -> None:
    """Audit a failed sign-in step; failures count toward sign_in_wait."""
    audit.record(
        session,
        "sign_in_failed",
        actor=email,
        ip_address=ip_address,
        at=now,
        staff_user_id=user.id if user else None,
        detail=detail,
    )


def open_session(session: Session, user: StaffUser, ip_address: str, now: datetime) -> str:
    """Open a new server-side session for ``user`` (audited as a sign-in);
    return its token, which goes into the browser's cookie."""
    token = secrets.token_urlsafe(32)
    session.add(
        StaffSession(token_hash=_digest(token), staff_user_id=user.id, created_at=now, last_seen_at=now)
    )
    user.last_sign_in_at = now
    audit.record(session, "sign_in", actor=user.email, staff_user_id=user.id, ip_address=ip_address, at=now)
    session.flush()
    return token


def authenticate(
    session: Session, email: str, password: str, ip_address: str, now: datetime
) -> tuple[StaffUser, str]:
    """Check the credentials and open a new server-side session at once (an
    account without a second factor); return ``(user, token)``. Raises as
    check_credentials does."""
    user = check_credentials(session, email, password, ip_address, now)
    return user, open_session(session, user, ip_address, now)


def password_stamp(user: StaffUser) -> str:
    """Return a short fingerprint of the account's password hash: a pending
    sign-in step carries it, so a password change voids the step."""
    return _digest(f"stamp:{user.id}:{user.password_hash}")[:24]


def session_user(session: Session, token: str) -> tuple[StaffSession, StaffUser] | None:
    """Return the live session and active account a cookie's token names."""
    staff_session = session.scalar(
        select(StaffSession).where(
            StaffSession.token_hash == _digest(token), StaffSession.revoked_at.is_(None)
        )
    )
    if staff_session is None or not staff_session.user.active:
        return None
    return staff_session, staff_session.user


def sign_out(session: Session, user: StaffUser, token: str, *, now: datetime, ip_address: str) -> None:
    """End one browser's session of ``user`` and audit it."""
    audit.record(session, "sign_out", actor=user.email, staff_user_id=user.id, ip_address=ip_address, at=now)
    revoke(session, token, now)


def revoke(session: Session, token: str, now: datetime | None = None) -> None:
    """Sign one browser out (its cookie no longer works, even replayed)."""
    session.execute(
        update(StaffSession)
        .where(StaffSession.token_hash == _digest(token), StaffSession.revoked_at.is_(None))
        .values(revoked_at=now or datetime.now(UTC))
    )


def revoke_all(session: Session, user: StaffUser) -> None:
    """Sign every browser of an account out."""
    session.execute(
        update(StaffSession)
        .where(StaffSession.staff_user_id == user.id, StaffSession.revoked_at.is_(None))
        .values(revoked_at=datetime.now(UTC))
    )


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
