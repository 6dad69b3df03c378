"""Retention: delete applications some time after their last use.

The Privacy Regulations (s. 4(1)(a)) keep personal information used for an
administrative purpose for at least two years after its last use. An
application's clock therefore starts at the LATER of its posting's closing
(the closing date, or, for a posting archived or removed without one, when
the portal first saw it closed) and the application's last administrative
use (``Application.last_used_at``: a status change, a note, a résumé
download). Candidates who asked to be kept for future opportunities follow
their own period. A legal hold, on an application or on a posting, keeps
applications from being purged until an admin releases it.

A purge also deletes the job alert subscriptions never confirmed within
``PORTAL_ALERT_CONFIRM_DAYS`` (see ``alerts``); a confirmed one is kept until
its subscriber unsubscribes, which every alert email offers in one click.
It deletes as well the résumés kept for a form sent back with errors and
never submitted, ``PORTAL_KEPT_RESUME_HOURS`` after they were kept (see
``kept_resumes``).
"""

from __future__ import annotations

import calendar
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from babel.units import format_unit
from sqlalchemy import delete, or_, select
from sqlalchemy.orm import Session

from ..content import ContentIndex
from . import alerts, audit, kept_resumes, limits
from .models import Application, LegalHold, OutboxEmail, PostingClosure, Role, StaffUser

_PERIOD = re.compile(r"^\s*(\d{1,6})\s*([ymwd])\s*$", re.IGNORECASE)
_UNITS = {"y": "year", "m": "month", "w": "week", "d": "day"}
#: The longest period accepted, per unit (100 years): longer ones are typing mistakes.
_LONGEST = {"year": 100, "month": 1200, "week": 5218, "day": 36525}


def period_parts(text: str) -> tuple[int, str]:
    """Split "2y", "18m", "6w" or "90d" into its number and unit ("year",
    "month", "week", "day"), for saying it in words."""
    match = _PERIOD.match(text or "") if isinstance(text, str) else None
    if not match:
        raise ValueError(f"{text!r} is not a period like 2y, 18m, 6w or 90d")
    amount, unit = int(match.group(1)), _UNITS[match.group(2).lower()]
    if not 1 <= amount <= _LONGEST[unit]:
        raise ValueError(f"{text!r} is not a period from 1 day to 100 years")
    return amount, unit


@dataclass(frozen=True)
class Period:
    """A retention period in calendar terms: years and months are calendar
    years and months, weeks and days fixed lengths."""

    amount: int
    unit: str

    def after(self, start: datetime) -> datetime:
        """Return the moment this period after ``start``.

        Years and months are counted on the calendar, keeping the time of
        day: 2024-02-29 + 1y is 2025-02-28 (a date that does not exist in the
        target month becomes that month's last day, never the next month's
        first), 2024-01-31 + 1m is 2024-02-29, and 2023-03-15 + 2y is
        2025-03-15 whatever leap day lies between.
        """
        if self.unit in ("year", "month"):
            months = self.amount * (12 if self.unit == "year" else 1)
            year, month = divmod(start.month - 1 + months, 12)
            year += start.year
            day = min(start.day, calendar.monthrange(year, month + 1)[1])
            return start.replace(year=year, month=month + 1, day=day)
        return start + timedelta(days=self.amount * (7 if self.unit == "week" else 1))

    def __str__(self) -> str:
        return f"{self.amount}{self.unit[0]}"


def parse_period(text: str) -> Period:
    """Parse "2y", "18m", "6w" or "90d" (1 day to 100 years) into a Period of
    calendar years or months, or of weeks or days."""
    return Period(*period_parts(text))


def period_in_words(text: str, locale: str) -> str:
    """Say a period in a language: "2y" is "2 years" in en_CA, « 2 ans » in fr_CA."""
    amount, unit = period_parts(text)
    return format_unit(amount, f"duration-{unit}", length="long", locale=locale)


@dataclass
class PurgeReport:
    """What a purge deleted (or would delete, in a dry run), per posting."""

    dry_run: bool
    applications: Counter = field(default_factory=Counter)
    kept_open: int = 0
    #: Applications under a legal hold, and how many of them are past their period.
    held: int = 0
    held_due: int = 0
    #: Job alert subscriptions never confirmed in time.
    unconfirmed_alerts: int = 0
    #: Résumés kept for a form sent back with errors, never submitted.
    kept_resumes: int = 0

    @property
    def total(self) -> int:
        return sum(self.applications.values())


def closing_times(
    session: Session, index: ContentIndex, posting_keys: set[str], now: datetime
) -> dict[str, datetime]:
    """Return when each closed posting closed; open postings are left out.

    A passed ``closingDate`` is the closing time (the latest, if the
    translations differ). A posting closed without one (archived, or removed
    from the content) is recorded the first time it is seen closed, and that
    moment is its closing time from then on. A posting seen open again loses
    its record: its clock restarts when it closes again.
    """
    recorded = {
        row.posting_key: row
        for row in session.scalars(select(PostingClosure).where(PostingClosure.posting_key.in_(posting_keys)))
    }
    closed = {}
    for key in posting_keys:
        translations = index.postings(key).values()
        if any(document.is_open(now) for document in translations):
            if key in recorded:
                session.delete(recorded.pop(key))
            continue
        deadlines = [doc.closing_at for doc in translations if doc.closing_at and doc.closing_at <= now]
        if deadlines:
            closed[key] = max(deadlines)
            continue
        if key not in recorded:
            recorded[key] = PostingClosure(posting_key=key, closed_at=now)
            session.add(recorded[key])
        closed[key] = recorded[key].closed_at
    session.flush()
    return closed


def purge(
    session: Session,
    index: ContentIndex,
    *,
    now: datetime,
    period: Period,
    consented_period: Period,
    dry_run: bool,
    actor: str = "",
    alert_confirm_days: int | None = None,
    kept_resume_hours: int | None = None,
    progress: Callable[[int, int], object] = lambda done, total: None,
) -> PurgeReport:
    """Delete the applications (with résumés, answers, notes, history, equity
    responses and emails) whose clock started longer ago than the period:
    the later of their posting's closing and their last administrative use.
    Applications under a legal hold are never deleted.

    With ``alert_confirm_days``, job alert subscriptions not confirmed
    within that many days of their request are deleted too; with
    ``kept_resume_hours``, the résumés kept longer than that for a form
    that was never submitted.

    A dry run counts without deleting or recording anything. A real purge
    leaves one audit entry with the counts. ``progress(done, total)`` is
    told how many applications are deleted so far, after each batch.
    """
    keys = set(session.scalars(select(Application.posting_key).distinct()))
    nested = session.begin_nested() if dry_run else None
    closed = closing_times(session, index, keys, now)
    held = held_application_ids(session)
    report = PurgeReport(dry_run=dry_run, held=len(held))
    doomed: list[int] = []
    rows = session.execute(
        select(Application.id, Application.posting_key, Application.keep_for_future, Application.last_used_at)
    )
    for identifier, key, keep, last_used in rows:
        closed_at = closed.get(key)
        if closed_at is None:
            report.kept_open += 1
            continue
        start = max(closed_at, last_used) if last_used is not None else closed_at
        if (consented_period if keep else period).after(start) >= now:
            continue
        if identifier in held:
            report.held_due += 1
            continue
        doomed.append(identifier)
        report.applications[key] += 1
    if alert_confirm_days is not None:
        report.unconfirmed_alerts = alerts.purge_unconfirmed(
            session, now=now, confirm_days=alert_confirm_days, dry_run=dry_run
        )
    if kept_resume_hours is not None:
        report.kept_resumes = kept_resumes.purge_expired(
            session, now=now, hours=kept_resume_hours, dry_run=dry_run
        )
    if dry_run:
        nested.rollback()
        return report
    for start_at in range(0, len(doomed), 500):
        batch = doomed[start_at : start_at + 500]
        session.execute(delete(OutboxEmail).where(OutboxEmail.application_id.in_(batch)))
        session.execute(delete(Application).where(Application.id.in_(batch)))
        progress(start_at + len(batch), len(doomed))
    audit.record(
        session,
        "purge",
        actor=actor,
        at=now,
        detail=(
            f"{report.total} applications deleted (period {period}, consented {consented_period}; "
            f"{report.held_due} past their period kept under a legal hold): "
            + ", ".join(f"{k}={n}" for k, n in sorted(report.applications.items()))
            + f"; {report.unconfirmed_alerts} unconfirmed job alerts deleted"
            + f"; {report.kept_resumes} kept résumés never submitted deleted"
        ),
    )
    session.flush()
    return report


# Legal holds ----------------------------------------------------------------------


class HoldError(ValueError):
    """A legal-hold action the rules refuse; ``code`` says which rule."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def held_application_ids(session: Session) -> set[int]:
    """Return the ids of the applications under a legal hold, their own or their posting's."""
    posting_held = select(LegalHold.posting_key).where(LegalHold.posting_key.is_not(None))
    application_held = select(LegalHold.application_id).where(LegalHold.application_id.is_not(None))
    return set(
        session.scalars(
            select(Application.id).where(
                or_(Application.id.in_(application_held), Application.posting_key.in_(posting_held))
            )
        )
    )


def holds_on_application(session: Session, application: Application) -> list[LegalHold]:
    """Return the holds keeping an application: its own, then its posting's."""
    return list(
        session.scalars(
            select(LegalHold)
            .where(
                or_(
                    LegalHold.application_id == application.id,
                    LegalHold.posting_key == application.posting_key,
                )
            )
            .order_by(LegalHold.application_id.is_(None), LegalHold.placed_at, LegalHold.id)
        )
    )


def holds_on_posting(session: Session, posting_key: str) -> list[LegalHold]:
    """Return the holds on a whole posting, oldest first."""
    return list(
        session.scalars(
            select(LegalHold)
            .where(LegalHold.posting_key == posting_key)
            .order_by(LegalHold.placed_at, LegalHold.id)
        )
    )


def place_hold(
    session: Session,
    *,
    reason: str,
    user: StaffUser,
    now: datetime,
    ip_address: str = "",
    application: Application | None = None,
    posting_key: str | None = None,
) -> LegalHold:
    """Place a legal hold on one application or on every application to a
    posting (exactly one of the two); audited.

    Raises HoldError("not_allowed") for anyone but an admin and
    HoldError("reason_required") without a written reason.
    """
    if (application is None) == (posting_key is None):
        raise ValueError("a hold is on one application or on one posting")
    if user.role != Role.ADMIN:
        raise HoldError("not_allowed")
    reason = " ".join(reason.split()) if reason else ""
    if not reason:
        raise HoldError("reason_required")
    if len(reason) > limits.HOLD_REASON:
        raise HoldError("reason_too_long")
    key = application.posting_key if application is not None else posting_key
    hold = LegalHold(
        application_id=application.id if application is not None else None,
        posting_key=None if application is not None else posting_key,
        reason=reason,
        placed_at=now,
        placed_by=user.email,
    )
    session.add(hold)
    session.flush()
    _audit_hold(session, "place_legal_hold", hold, user, now, ip_address, key)
    return hold


def release_hold(
    session: Session,
    hold_id: int | None,
    *,
    user: StaffUser,
    now: datetime,
    ip_address: str = "",
    application: Application | None = None,
    posting_key: str | None = None,
) -> LegalHold | None:
    """Release a hold placed on ``application`` (or on ``posting_key``);
    audited. Returns None when there is no such hold there (already
    released, or another one's id). Raises HoldError("not_allowed") for
    anyone but an admin."""
    if user.role != Role.ADMIN:
        raise HoldError("not_allowed")
    hold = session.get(LegalHold, hold_id) if hold_id is not None else None
    if hold is None:
        return None
    if application is not None and hold.application_id != application.id:
        return None
    if application is None and (posting_key is None or hold.posting_key != posting_key):
        return None
    key = application.posting_key if application is not None else posting_key
    _audit_hold(session, "release_legal_hold", hold, user, now, ip_address, key)
    session.delete(hold)
    session.flush()
    return hold


def _audit_hold(
    session: Session, action: str, hold: LegalHold, user: StaffUser, now: datetime, ip_address: str, key: str
) -> None:
    audit.record_by_staff(
        session,
        action,
        user,
        at=now,
        ip_address=ip_address,
        application_id=hold.application_id,
        posting_key=key,
        detail=f"hold {hold.id} placed {hold.placed_at:%Y-%m-%d} by {hold.placed_by}: {hold.reason}",
    )
