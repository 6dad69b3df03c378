"""Two-step sign-in: time-based one-time passwords (TOTP, RFC 6238, with
pyotp) and single-use recovery codes.

An account turns it on by confirming a code from its authenticator app; it
then gets RECOVERY_CODE_COUNT recovery codes, shown once and stored only as
hashes. A code is accepted within one time step either side of now, and
never twice (``StaffUser.totp_last_step``). ``PORTAL_STAFF_TOTP`` says who
must use it: ``optional``, ``admins`` or ``everyone``.

Functions take a session and flush; the request commits once.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from datetime import datetime

import pyotp
from flask import current_app
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from . import accounts, audit, passwords
from .models import RecoveryCode, Role, StaffUser

SETTINGS = ("optional", "admins", "everyone")
RECOVERY_CODE_COUNT = 10
#: Letters and digits that cannot be mistaken for one another when copied by hand.
_CODE_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
_CODE_GROUP = 5


class SecondFactorError(ValueError):
    """A second-factor request that cannot be carried out; ``code`` says why:
    ``wrong_code``, ``wrong_password``, ``required`` or ``not_enrolled``."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def enrolled(user: StaffUser) -> bool:
    """Tell whether the account signs in with a second factor."""
    return bool(user.totp_secret)


def required(user: StaffUser, setting: str | None = None) -> bool:
    """Tell whether ``PORTAL_STAFF_TOTP`` requires a second factor of this account."""
    setting = setting or current_app.config["PORTAL_STAFF_TOTP"]
    return setting == "everyone" or (setting == "admins" and user.role is Role.ADMIN)


def enrolment_secret(user: StaffUser, nonce: str) -> str:
    """Return the base32 secret offered to ``user`` while enrolling.

    It is derived from the app's secret key and a nonce kept in the browser's
    signed session, so the secret itself is neither stored before it is
    confirmed nor ever sent in a cookie.
    """
    key = current_app.config["SECRET_KEY"].encode()
    digest = hmac.new(key, f"totp-enrolment:{user.id}:{nonce}".encode(), hashlib.sha256).digest()
    return base64.b32encode(digest[:20]).decode()


def new_nonce() -> str:
    """Return a fresh nonce for enrolment_secret."""
    return secrets.token_urlsafe(16)


def provisioning_uri(user: StaffUser, secret: str, issuer: str) -> str:
    """Return the ``otpauth://`` URI an authenticator app reads from the QR code."""
    return pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name=issuer)


def grouped(secret: str) -> str:
    """Return the secret in groups of four characters, for typing by hand."""
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def _accepted_step(user: StaffUser, secret: str, code: str, now: datetime) -> int | None:
    """Return the time step ``code`` belongs to, if it is valid now (one step
    of clock drift either way) and newer than the last accepted one."""
    code = "".join(code.split())
    if len(code) != 6 or not code.isdigit():
        return None
    totp = pyotp.TOTP(secret)
    if not totp.verify(code, for_time=now, valid_window=1):
        return None
    current = totp.timecode(now)
    for step in (current - 1, current, current + 1):
        if hmac.compare_digest(totp.generate_otp(step), code) and step > (user.totp_last_step or -1):
            return step
    return None


def enrol(
    session: Session, user: StaffUser, secret: str, code: str, *, now: datetime, ip_address: str
) -> list[str]:
    """Turn the second factor on once ``code`` proves the app has ``secret``;
    return the new recovery codes (shown once). Raises SecondFactorError("wrong_code")."""
    step = _accepted_step(user, secret, code, now)
    if step is None:
        raise SecondFactorError("wrong_code")
    user.totp_secret = secret
    user.totp_last_step = step
    codes = _replace_recovery_codes(session, user)
    audit.record(
        session,
        "second_factor_enabled",
        actor=user.email,
        staff_user_id=user.id,
        ip_address=ip_address,
        at=now,
    )
    return codes


def verify(session: Session, user: StaffUser, code: str, *, now: datetime, ip_address: str) -> bool:
    """Accept a code from the app, or an unused recovery code (then used up,
    and audited); False for anything else."""
    if not enrolled(user):
        return False
    step = _accepted_step(user, user.totp_secret, code, now)
    if step is not None:
        user.totp_last_step = step
        return True
    typed = normalise_recovery_code(code)
    if len(typed) != 2 * _CODE_GROUP:
        return False
    unused = session.scalars(
        select(RecoveryCode).where(RecoveryCode.staff_user_id == user.id, RecoveryCode.used_at.is_(None))
    )
    for recovery in unused:
        if passwords.verify(recovery.code_hash, typed, _method()):
            recovery.used_at = now
            audit.record(
                session,
                "recovery_code_used",
                actor=user.email,
                staff_user_id=user.id,
                ip_address=ip_address,
                at=now,
            )
            session.flush()
            return True
    return False


def sign_in_with_code(session: Session, user: StaffUser, code: str, *, ip_address: str, now: datetime) -> str:
    """Finish signing in with the second factor; return the new session's token.

    Wrong codes count toward the same wait as wrong passwords (audited as
    failed sign-ins). Raises accounts.AccountError("throttled") or
    AccountError("invalid") (also for an account disabled in between).
    """
    accounts.check_wait(session, user.email, ip_address, now)
    if not user.active or not verify(session, user, code, now=now, ip_address=ip_address):
        accounts.record_failure(session, user.email, ip_address, now, user, detail="second factor")
        raise accounts.AccountError("invalid")
    return accounts.open_session(session, user, ip_address, now)


def remaining_recovery_codes(session: Session, user: StaffUser) -> int:
    """Return how many recovery codes the account has not used."""
    return len(
        list(
            session.scalars(
                select(RecoveryCode.id).where(
                    RecoveryCode.staff_user_id == user.id, RecoveryCode.used_at.is_(None)
                )
            )
        )
    )


def renew_recovery_codes(
    session: Session, user: StaffUser, password: str, *, now: datetime, ip_address: str
) -> list[str]:
    """Replace every recovery code, given the account's password; return the new ones."""
    if not enrolled(user):
        raise SecondFactorError("not_enrolled")
    if not accounts.check_password(user, password):
        raise SecondFactorError("wrong_password")
    codes = _replace_recovery_codes(session, user)
    audit.record(
        session,
        "recovery_codes_renewed",
        actor=user.email,
        staff_user_id=user.id,
        ip_address=ip_address,
        at=now,
    )
    return codes


def turn_off(session: Session, user: StaffUser, password: str, *, now: datetime, ip_address: str) -> None:
    """Turn one's own second factor off, given the password; refused
    (SecondFactorError("required")) when the account's role requires it."""
    if required(user):
        raise SecondFactorError("required")
    if not accounts.check_password(user, password):
        raise SecondFactorError("wrong_password")
    _forget(session, user)
    audit.record(
        session,
        "second_factor_disabled",
        actor=user.email,
        staff_user_id=user.id,
        ip_address=ip_address,
        at=now,
    )


def reset(
    session: Session, account: StaffUser, *, by: StaffUser | None, now: datetime, ip_address: str = ""
) -> None:
    """Remove an account's second factor (a lost phone), as admin ``by`` (None:
    from the command line); every session of the account ends, and it enrols
    again at its next sign-in if its role requires it. An admin cannot reset
    their own from the site (SecondFactorError("own_account")): they turn it
    off with their password. Raises SecondFactorError("not_enrolled")."""
    if by is not None and account.id == by.id:
        raise SecondFactorError("own_account")
    if not enrolled(account):
        raise SecondFactorError("not_enrolled")
    _forget(session, account)
    accounts.revoke_all(session, account)
    audit.record(
        session,
        "second_factor_reset",
        actor=by.email if by else "flask staff reset-second-factor",
        staff_user_id=by.id if by else None,
        ip_address=ip_address,
        at=now,
        detail=account.email,
    )


def normalise_recovery_code(code: str) -> str:
    """Return a recovery code as stored: lower case, without spaces or dashes."""
    return "".join(character for character in code.lower() if character.isalnum())


def _forget(session: Session, user: StaffUser) -> None:
    user.totp_secret = None
    user.totp_last_step = None
    session.execute(delete(RecoveryCode).where(RecoveryCode.staff_user_id == user.id))
    session.flush()


def _replace_recovery_codes(session: Session, user: StaffUser) -> list[str]:
    session.execute(delete(RecoveryCode).where(RecoveryCode.staff_user_id == user.id))
    codes = []
    for _ in range(RECOVERY_CODE_COUNT):
        code = "".join(secrets.choice(_CODE_ALPHABET) for _ in range(2 * _CODE_GROUP))
        session.add(RecoveryCode(staff_user_id=user.id, code_hash=passwords.hash_password(code, _method())))
        codes.append(f"{code[:_CODE_GROUP]}-{code[_CODE_GROUP:]}")
    session.flush()
    return codes


def _method() -> str:
    return current_app.config["PORTAL_PASSWORD_HASH_METHOD"]
