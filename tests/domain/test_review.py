"""Review rules as services: the pipeline, the record of decision, notes, the
equity report, audited access. Every test runs on SQLite, and on PostgreSQL
when configured."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from portal.domain import accounts, review
from portal.domain.models import Application, AuditEvent, Note, Status
from portal.plumbing.db import db
from tests.records import (
    HEAD,
    PIPELINE,
    PYTHON,
    STATUSES,
    add_equity,
    insert,
    new_application,
    service_user,
)


@pytest.mark.parametrize("from_status", STATUSES)
def test_every_transition_of_the_pipeline(db_app, from_status):
    """Each move the pipeline allows works and is recorded; every other one is refused."""
    now = datetime(2026, 11, 2, 15, 30, tzinfo=UTC)
    with db_app.app_context():
        user = service_user()
        for to_status in STATUSES:
            application = new_application(HEAD, status=from_status)
            db.session.add(application)
            db.session.flush()
            if to_status in PIPELINE[from_status]:
                change = review.change_status(
                    db.session,
                    application,
                    to_status,
                    reason="Reason given",
                    user=user,
                    now=now,
                    ip_address="192.0.2.7",
                )
                assert application.status == to_status
                assert (
                    change.from_status,
                    change.to_status,
                    change.reason,
                    change.staff_user_id,
                    change.changed_at,
                ) == (from_status, to_status, "Reason given", user.id, now)
            else:
                with pytest.raises(review.ReviewError) as refused:
                    review.change_status(
                        db.session, application, to_status, reason="Reason given", user=user, now=now
                    )
                assert refused.value.code == "not_allowed"
                assert application.status == from_status
                assert application.status_changes == []
        db.session.commit()


def test_a_rejection_without_a_reason_is_refused_by_the_service(db_app):
    with db_app.app_context():
        application = new_application(HEAD)
        db.session.add(application)
        db.session.flush()
        user = service_user()
        for reason in ("", "  \t\n"):
            with pytest.raises(review.ReviewError) as refused:
                review.change_status(
                    db.session, application, "rejected", reason=reason, user=user, now=datetime.now(UTC)
                )
            assert refused.value.code == "reason_required"
        assert application.status == "received"


def test_the_note_service_refuses_an_empty_body(db_app):
    with db_app.app_context():
        application = new_application(HEAD)
        db.session.add(application)
        db.session.flush()
        with pytest.raises(review.ReviewError) as refused:
            review.add_note(db.session, application, " \n ", user=service_user(), now=datetime.now(UTC))
        assert refused.value.code == "empty_note"
        assert db.session.scalar(select(func.count(Note.id))) == 0


def test_equity_report_service_suppresses_zero_and_small_counts(db_app, staff):
    add_equity(db_app, HEAD, [{"woman"}] * 5 + [{"indigenous"}] * 4)
    with db_app.app_context():
        user = service_user()
        (row,) = review.equity_report(db.session, [HEAD], user=user, now=datetime.now(UTC), ip_address="")
        assert (row.applications, row.respondents) == (9, 9)
        assert row.groups == {
            "woman": 5,
            "indigenous": None,
            "disability": None,
            "visible_minority": None,
            "prefer_not_to_answer": None,
        }
        (empty,) = review.equity_report(db.session, [PYTHON], user=user, now=datetime.now(UTC), ip_address="")
        assert (empty.applications, empty.respondents) == (0, None)


def test_opening_an_application_is_audited_and_only_for_its_reviewers(db_app, staff):
    (head_id,) = insert(db_app, new_application(HEAD))
    with db_app.app_context():
        assigned = accounts.find_user(db.session, staff.assigned)
        unassigned = accounts.find_user(db.session, staff.unassigned)
        now = datetime.now(UTC)
        assert review.open_application(db.session, unassigned, head_id, now=now, ip_address="") is None
        assert review.open_application(db.session, assigned, None, now=now, ip_address="") is None
        opened = review.open_application(db.session, assigned, head_id, now=now, ip_address="192.0.2.9")
        assert opened.id == head_id
        resume = review.open_resume(db.session, assigned, head_id, now=now, ip_address="192.0.2.9")
        assert resume.filename == "cv.pdf"
        events = db.session.execute(
            select(AuditEvent.action, AuditEvent.actor, AuditEvent.application_id)
        ).all()
        assert events == [
            ("view_application", staff.assigned, head_id),
            ("download_resume", staff.assigned, head_id),
        ]


def test_a_bulk_change_never_reaches_another_postings_applications(db_app):
    head_id, python_id = insert(db_app, new_application(HEAD), new_application(PYTHON))
    with db_app.app_context():
        changed, skipped = review.bulk_change_status(
            db.session,
            HEAD,
            [head_id, python_id],
            "screening",
            reason="",
            user=service_user(),
            now=datetime.now(UTC),
        )
        assert [application.id for application in changed] == [head_id] and skipped == []
        assert db.session.get(Application, python_id).status is Status.RECEIVED
