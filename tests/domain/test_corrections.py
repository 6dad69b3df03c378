"""Correcting the pipeline as a service: admins move an application back to
its previous status with a reason; the history keeps the mistake and the
correction; a candidate's own withdrawal stays final. Every test runs on
SQLite, and on PostgreSQL when configured."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from portal.domain import review
from portal.domain.models import AuditEvent, Status, StatusChange
from portal.plumbing.db import db
from tests.records import HEAD, new_application, service_user

START = datetime(2026, 11, 2, 15, 30, tzinfo=UTC)


def moved(application, user, *statuses: str) -> None:
    """Move ``application`` through ``statuses``, one minute apart."""
    for minute, status in enumerate(statuses):
        review.change_status(
            db.session,
            application,
            status,
            reason="Screened out",
            user=user,
            now=START + timedelta(minutes=minute),
        )


def correct(application, user, reason: str = "Rejected by mistake: wrong file"):
    return review.correct_status(
        db.session,
        application,
        reason=reason,
        user=user,
        now=START + timedelta(hours=1),
        ip_address="192.0.2.7",
    )


def test_reopening_a_rejection_returns_to_the_previous_status_and_keeps_both_rows(db_app):
    with db_app.app_context():
        admin = service_user()
        application = new_application(HEAD)
        db.session.add(application)
        db.session.flush()
        moved(application, admin, "screening", "rejected")

        change = correct(application, admin)

        assert application.status == Status.SCREENING
        history = [
            (c.from_status, c.to_status, review.is_correction(c))
            for c in db.session.scalars(
                select(StatusChange)
                .where(StatusChange.application_id == application.id)
                .order_by(StatusChange.changed_at)
            )
        ]
        assert history == [
            (Status.RECEIVED, Status.SCREENING, False),
            (Status.SCREENING, Status.REJECTED, False),
            (Status.REJECTED, Status.SCREENING, True),
        ]
        assert change.reason == "Rejected by mistake: wrong file"
        event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "correct_status")).one()
        assert (event.application_id, event.role, event.detail, event.ip_address) == (
            application.id,
            "admin",
            "rejected -> screening",
            "192.0.2.7",
        )


def test_moving_back_one_stage_twice_walks_back_the_pipeline(db_app):
    with db_app.app_context():
        admin = service_user()
        application = new_application(HEAD)
        db.session.add(application)
        db.session.flush()
        moved(application, admin, "screening", "interview")

        correct(application, admin)
        assert application.status == Status.SCREENING
        correct(application, admin)
        assert application.status == Status.RECEIVED
        with pytest.raises(review.ReviewError) as refused:
            correct(application, admin)
        assert refused.value.code == "no_previous"


def test_a_withdrawal_by_staff_can_be_reopened(db_app):
    with db_app.app_context():
        admin = service_user()
        application = new_application(HEAD)
        db.session.add(application)
        db.session.flush()
        moved(application, admin, "screening", "interview", "withdrawn")

        correct(application, admin)

        assert application.status == Status.INTERVIEW


def test_a_candidates_own_withdrawal_stays_final(db_app):
    with db_app.app_context():
        admin = service_user()
        application = new_application(HEAD, status=Status.WITHDRAWN)
        db.session.add(application)
        db.session.flush()
        application.status_changes.append(
            StatusChange(
                from_status=Status.SCREENING, to_status=Status.WITHDRAWN, by_candidate=True, changed_at=START
            )
        )
        db.session.flush()

        with pytest.raises(review.ReviewError) as refused:
            correct(application, admin)

        assert refused.value.code == "withdrawn_by_candidate"
        assert application.status == Status.WITHDRAWN


@pytest.mark.parametrize(
    ("role", "reason", "code"), [("reviewer", "A reason", "not_admin"), ("admin", "  ", "reason_required")]
)
def test_a_correction_needs_an_admin_and_a_reason(db_app, role, reason, code):
    with db_app.app_context():
        admin = service_user()
        application = new_application(HEAD)
        db.session.add(application)
        db.session.flush()
        moved(application, admin, "rejected")

        with pytest.raises(review.ReviewError) as refused:
            correct(application, service_user(role) if role != "admin" else admin, reason=reason)

        assert refused.value.code == code
        assert application.status == Status.REJECTED
        assert len(application.status_changes) == 1
