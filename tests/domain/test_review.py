"""Review rules as services: the pipeline, the record of decision, notes,
audited access (the equity report: tests/web/staff/test_equity.py). Every
test runs on SQLite, and on PostgreSQL when configured."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from portal.domain import accounts, limits, review
from portal.domain.models import Application, AuditEvent, Note, Status
from portal.plumbing.db import db
from tests.records import (
    HEAD,
    PIPELINE,
    PYTHON,
    STATUSES,
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


def test_the_services_refuse_a_note_or_reason_over_its_cap(db_app):
    """Whatever the form let through, nothing over a column's cap reaches the database."""
    with db_app.app_context():
        application = new_application(HEAD)
        db.session.add(application)
        db.session.flush()
        user, now = service_user(), datetime.now(UTC)
        with pytest.raises(review.ReviewError) as refused:
            review.add_note(db.session, application, "n" * (limits.NOTE + 1), user=user, now=now)
        assert refused.value.code == "too_long"
        reason = "r" * (limits.DECISION_REASON + 1)
        with pytest.raises(review.ReviewError) as refused:
            review.change_status(db.session, application, "rejected", reason=reason, user=user, now=now)
        assert refused.value.code == "too_long"
        with pytest.raises(review.ReviewError) as refused:
            review.bulk_change_status(
                db.session, HEAD, [application.id], "rejected", reason=reason, user=user, now=now
            )
        assert refused.value.code == "too_long"
        assert application.status == "received"
        assert db.session.scalar(select(func.count(Note.id))) == 0
        note = review.add_note(db.session, application, "n" * limits.NOTE, user=user, now=now)
        assert len(note.body) == limits.NOTE


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


def test_status_changes_notes_and_downloads_are_the_last_administrative_use(db_app, staff):
    """They restart the retention clock; merely viewing does not, nor does a refused move."""
    (head_id,) = insert(db_app, new_application(HEAD))
    day = datetime(2026, 11, 2, 9, tzinfo=UTC)
    with db_app.app_context():
        user = accounts.find_user(db.session, staff.assigned)
        application = db.session.get(Application, head_id)
        review.open_application(db.session, user, head_id, now=day, ip_address="")
        assert application.last_used_at is None
        review.change_status(db.session, application, "screening", reason="", user=user, now=day)
        assert application.last_used_at == day
        with pytest.raises(review.ReviewError):
            review.change_status(
                db.session, application, "hired", reason="", user=user, now=day.replace(day=3)
            )
        assert application.last_used_at == day
        review.add_note(db.session, application, "Call back", user=user, now=day.replace(day=4))
        assert application.last_used_at == day.replace(day=4)
        review.open_resume(db.session, user, head_id, now=day.replace(day=5), ip_address="")
        assert application.last_used_at == day.replace(day=5)
        # An action stamped earlier (a clock behind) never moves the last use back.
        review.add_note(db.session, application, "Late", user=user, now=day)
        db.session.commit()
    with db_app.app_context():
        assert db.session.get(Application, head_id).last_used_at == day.replace(day=5)


def test_audit_entries_of_review_actions_carry_the_role(db_app, staff):
    (head_id,) = insert(db_app, new_application(HEAD))
    with db_app.app_context():
        reviewer = accounts.find_user(db.session, staff.assigned)
        admin = accounts.find_user(db.session, staff.admin)
        now = datetime.now(UTC)
        review.open_application(db.session, reviewer, head_id, now=now, ip_address="")
        review.open_application(db.session, admin, head_id, now=now, ip_address="")
        events = db.session.execute(select(AuditEvent.actor, AuditEvent.role, AuditEvent.outcome)).all()
        assert events == [(staff.assigned, "reviewer", "done"), (staff.admin, "admin", "done")]


def test_each_exported_row_has_its_own_answers_and_links_across_batches(db_app, staff):
    # Batches of 7, with several applications sent in the same second (the
    # order's tie is the id), some of them filtered out: each row still gets
    # exactly its own answers and links.
    same_second = datetime(2026, 6, 1, 12, tzinfo=UTC)
    applications = [
        new_application(
            HEAD,
            submitted_at=same_second + timedelta(seconds=n // 4),
            status="screening" if n % 5 else "received",
            links=[f"https://example.ca/{n}/a", f"https://example.ca/{n}/b"],
            answers=[("years", "Years", f"answer {n}")],
        )
        for n in range(40)
    ]
    ids = insert(db_app, *applications)
    with db_app.app_context():
        admin = accounts.find_user(db.session, staff.admin)
        now = datetime.now(UTC)
        for filters, expected in (
            (review.ApplicationFilter(), range(40)),
            (review.ApplicationFilter(status="screening"), [n for n in range(40) if n % 5]),
        ):
            rows = list(
                review.export_applications(
                    db.session, HEAD, filters, user=admin, now=now, ip_address="", batch=7
                )
            )
            assert [row.application.id for row in rows] == [ids[n] for n in expected]
            for n, row in zip(expected, rows, strict=True):
                assert row.answers == {"years": f"answer {n}"}
                assert row.links == [f"https://example.ca/{n}/a", f"https://example.ca/{n}/b"]


def test_an_export_is_audited_with_its_row_count_and_filters_only(db_app, staff):
    names = ["Zoé Gagnon", "Ada Tremblay", "Ada Lovelace"]
    insert(
        db_app,
        *(
            new_application(HEAD, full_name=name, status="screening" if i else "received")
            for i, name in enumerate(names)
        ),
        new_application(PYTHON, full_name="Ada Elsewhere", status="screening"),
    )
    zone = timezone(timedelta(hours=-5))
    with db_app.app_context():
        admin = accounts.find_user(db.session, staff.admin)
        now = datetime.now(UTC)
        everything = list(review.export_applications(db.session, HEAD, user=admin, now=now, ip_address=""))
        filters = review.ApplicationFilter(
            status="screening",
            search="ada",
            submitted_from=datetime(2026, 5, 1, tzinfo=zone),
            submitted_before=datetime(2026, 7, 1, tzinfo=zone),
        )
        some = list(review.export_applications(db.session, HEAD, filters, user=admin, now=now, ip_address=""))
        assert len(everything) == 3
        assert sorted(row.application.full_name for row in some) == ["Ada Lovelace", "Ada Tremblay"]
        details = list(
            db.session.scalars(
                select(AuditEvent.detail).where(AuditEvent.action == "export_csv").order_by(AuditEvent.id)
            )
        )
        assert details == [
            "3 rows",
            '2 rows; status=screening; search="ada"; from=2026-05-01; before=2026-07-01',
        ]
        for detail in details:
            assert not any(name in detail for name in names)
