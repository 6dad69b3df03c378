"""Retention: delete applications some time after their posting closed.

Two years after closing follows the Privacy Regulations' minimum for staffing
records; candidates who asked to be kept for future opportunities follow
their own period. A posting's clock starts at its closing date, or, for a
posting archived or removed without one, when the portal first saw it closed.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from babel.units import format_unit
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from ..content import ContentIndex
from . import audit
from .models import Application, OutboxEmail, PostingClosure

_PERIOD = re.compile(r"^\s*(\d+)\s*([ymwd])\s*$", re.IGNORECASE)
_DAYS = {"y": 365, "m": 30, "w": 7, "d": 1}
_UNITS = {"y": "year", "m": "month", "w": "week", "d": "day"}


def period_parts(text: str) -> tuple[int, str]:
    """Split "2y", "18m", "6w" or "90d" into its number and unit ("year",
    "month", "week", "day"), for saying it in words."""
    match = _PERIOD.match(text or "")
    if not match:
        raise ValueError(f"{text!r} is not a period like 2y, 18m, 6w or 90d")
    return int(match.group(1)), _UNITS[match.group(2).lower()]


def parse_period(text: str) -> timedelta:
    """Parse "2y", "18m", "6w" or "90d" (years of 365 days, months of 30)."""
    amount, unit = period_parts(text)
    return timedelta(days=amount * _DAYS[unit[0]])


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
    period: timedelta,
    consented_period: timedelta,
    dry_run: bool,
    actor: str = "",
) -> PurgeReport:
    """Delete the applications (with résumés, answers, notes, history, equity
    responses and emails) whose posting closed longer ago than the period.

    A dry run counts without deleting or recording anything. A real purge
    leaves one audit entry with the counts.
    """
    keys = set(session.scalars(select(Application.posting_key).distinct()))
    nested = session.begin_nested() if dry_run else None
    closed = closing_times(session, index, keys, now)
    report = PurgeReport(dry_run=dry_run)
    doomed: list[int] = []
    rows = session.execute(select(Application.id, Application.posting_key, Application.keep_for_future))
    for identifier, key, keep in rows:
        closed_at = closed.get(key)
        if closed_at is None:
            report.kept_open += 1
            continue
        if closed_at < now - (consented_period if keep else period):
            doomed.append(identifier)
            report.applications[key] += 1
    if dry_run:
        nested.rollback()
        return report
    for start in range(0, len(doomed), 500):
        batch = doomed[start : start + 500]
        session.execute(delete(OutboxEmail).where(OutboxEmail.application_id.in_(batch)))
        session.execute(delete(Application).where(Application.id.in_(batch)))
    audit.record(
        session,
        "purge",
        actor=actor,
        at=now,
        detail=(
            f"{report.total} applications deleted (period {period.days} days, consented "
            f"{consented_period.days} days): "
            + ", ".join(f"{k}={n}" for k, n in sorted(report.applications.items()))
        ),
    )
    session.flush()
    return report
