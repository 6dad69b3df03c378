"""Résumés kept between a form sent back with errors and the next try.

A résumé that passed its checks (structure and virus scan) on a form that
had other errors is stored for a few hours, so the candidate need not choose
it again. Nothing serves it: the form carries an opaque random key, kept
only as a hash, that is honoured only with the same browser session and the
same form (its submission token). When the application is stored the kept
file becomes its résumé and the row is deleted in the same transaction;
``purge_expired`` (run by ``flask retention purge``) deletes the others.
Staff never read this table.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session, undefer

from .models import KeptResume, ScanStatus
from .resumes import CheckedFile

#: The most characters a key from a form can have (``new_key`` makes 43).
KEY_LENGTH = 64


@dataclass(frozen=True)
class Kept:
    """What the form says about a kept résumé: its key, name and size."""

    key: str
    filename: str
    size: int


def new_binding() -> str:
    """Return a random value to keep in the browser's session: kept résumés
    are tied to it, so another browser cannot use their keys."""
    return secrets.token_urlsafe(32)


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8")).hexdigest()


def keep(session: Session, checked: CheckedFile, *, binding: str, form_token: str, now: datetime) -> Kept:
    """Keep a résumé that passed every check (a held, unscanned one is not
    kept) for this browser and form, replacing the one kept before for them.
    Returns what the form shows, with the new key."""
    if checked.scan_status is not ScanStatus.CLEAN:
        raise ValueError("only a résumé the virus scanner passed is kept")
    forget(session, binding=binding, form_token=form_token)
    key = secrets.token_urlsafe(32)
    session.add(
        KeptResume(
            key_hash=_digest(key),
            session_hash=_digest(binding),
            form_token_hash=_digest(form_token),
            filename=checked.filename,
            media_type=checked.media_type,
            size=checked.size,
            content=checked.content,
            created_at=now,
        )
    )
    session.flush()
    return Kept(key, checked.filename, checked.size)


def find(
    session: Session, key: str, *, binding: str, form_token: str, now: datetime, hours: int
) -> Kept | None:
    """Return the résumé kept under ``key`` for this browser and form, or
    None when the key is unknown or tampered with, belongs to another browser
    or form, or is older than ``hours``."""
    row = _row(session, key, binding=binding, form_token=form_token, now=now, hours=hours)
    return Kept(key, row.filename, row.size) if row is not None else None


def take(
    session: Session, key: str, *, binding: str, form_token: str, now: datetime, hours: int
) -> CheckedFile | None:
    """Return the kept résumé as a checked file and delete its row (in the
    caller's transaction, which stores the application); None as for ``find``."""
    row = _row(session, key, binding=binding, form_token=form_token, now=now, hours=hours, content=True)
    if row is None:
        return None
    checked = CheckedFile(row.filename, row.media_type, row.content, ScanStatus.CLEAN)
    # A statement, not session.delete: the same form sent twice may have deleted it already.
    session.execute(delete(KeptResume).where(KeptResume.id == row.id))
    return checked


def forget(session: Session, *, binding: str, form_token: str) -> None:
    """Delete what is kept for this browser and form."""
    session.execute(
        delete(KeptResume).where(
            KeptResume.session_hash == _digest(binding),
            KeptResume.form_token_hash == _digest(form_token),
        )
    )


def purge_expired(session: Session, *, now: datetime, hours: int, dry_run: bool = False) -> int:
    """Delete the résumés kept longer than ``hours`` (count them only, in a
    dry run); return how many."""
    expired = KeptResume.created_at <= now - timedelta(hours=hours)
    if dry_run:
        return session.scalar(select(func.count()).select_from(KeptResume).where(expired)) or 0
    return session.execute(delete(KeptResume).where(expired)).rowcount or 0


def _row(
    session: Session,
    key: str,
    *,
    binding: str,
    form_token: str,
    now: datetime,
    hours: int,
    content: bool = False,
) -> KeptResume | None:
    if not key or len(key) > KEY_LENGTH or not binding or not form_token:
        return None
    query = select(KeptResume).where(KeptResume.key_hash == _digest(key))
    if content:
        query = query.options(undefer(KeptResume.content))
    row = session.scalar(query)
    if row is None or row.created_at <= now - timedelta(hours=hours):
        return None
    same_browser = hmac.compare_digest(row.session_hash, _digest(binding))
    same_form = hmac.compare_digest(row.form_token_hash, _digest(form_token))
    return row if same_browser and same_form else None
