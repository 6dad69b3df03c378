"""The dashboard's figures as services: the funnel (reached at least), the
median time at each stage from the history, and postings closing soon with
applications nobody reviewed. SQLite, and PostgreSQL when configured."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from portal.domain import reports
from portal.domain.models import Status, StatusChange
from portal.domain.postings import PostingSummary
from portal.plumbing.db import db
from tests.records import HEAD, PYTHON, new_application

START = datetime(2026, 9, 1, 9, tzinfo=UTC)
DAY = timedelta(days=1)


def moved(application, *steps):
    """Give ``application`` a history: (from, to, days after submission) per step,
    and leave it at the last step's status."""
    for before, after, days in steps:
        application.status_changes.append(
            StatusChange(
                from_status=before,
                to_status=after,
                reason="",
                changed_at=application.submitted_at + timedelta(days=days),
            )
        )
        application.status = after
    return application


def summary(key, counts, *, closing_at=None, is_open=True):
    return PostingSummary(key=key, title=key, is_open=is_open, closing_at=closing_at, counts=counts)


def store(*applications):
    db.session.add_all(applications)
    db.session.flush()


def counts_of(*applications):
    counts = {}
    for application in applications:
        counts[application.status] = counts.get(application.status, 0) + 1
    return counts


def test_the_funnel_counts_every_stage_an_application_reached(db_app):
    with db_app.app_context():
        waiting = new_application(HEAD, submitted_at=START)
        screened = moved(new_application(HEAD, submitted_at=START), ("received", "screening", 1))
        rejected_at_interview = moved(
            new_application(HEAD, submitted_at=START),
            ("received", "screening", 1),
            ("screening", "interview", 3),
            ("interview", "rejected", 4),
        )
        hired = moved(
            new_application(HEAD, submitted_at=START),
            ("received", "screening", 1),
            ("screening", "interview", 2),
            ("interview", "offer", 5),
            ("offer", "hired", 6),
        )
        withdrew_early = moved(new_application(HEAD, submitted_at=START), ("received", "withdrawn", 1))
        other = new_application(PYTHON, submitted_at=START)
        store(waiting, screened, rejected_at_interview, hired, withdrew_early, other)
        head = [waiting, screened, rejected_at_interview, hired, withdrew_early]

        report = reports.pipelines(
            db.session, [summary(HEAD, counts_of(*head)), summary(PYTHON, counts_of(other))], START
        )

        stages = {stage.status: stage for stage in report[HEAD].stages}
        assert {status: stage.reached for status, stage in stages.items()} == {
            Status.RECEIVED: 5,
            Status.SCREENING: 3,
            Status.INTERVIEW: 2,
            Status.OFFER: 1,
            Status.HIRED: 1,
        }
        assert {status: stage.current for status, stage in stages.items()} == {
            Status.RECEIVED: 1,
            Status.SCREENING: 1,
            Status.INTERVIEW: 0,
            Status.OFFER: 0,
            Status.HIRED: 1,
        }
        assert report[HEAD].total == 5
        assert [stage.reached for stage in report[PYTHON].stages] == [1, 0, 0, 0, 0]


def test_a_stage_reached_by_mistake_and_corrected_is_not_counted(db_app):
    with db_app.app_context():
        corrected = moved(
            new_application(HEAD, submitted_at=START),
            ("received", "screening", 1),
            ("screening", "interview", 2),  # the mistake
            ("interview", "screening", 2.5),  # the admin's correction
            ("screening", "rejected", 4),
        )
        store(corrected)
        report = reports.pipelines(db.session, [summary(HEAD, counts_of(corrected))], START)
        stages = {stage.status: stage for stage in report[HEAD].stages}
        assert stages[Status.INTERVIEW].reached == 0
        assert stages[Status.SCREENING].reached == 1
        # Screening lasted 1 + 1.5 days: the half day at "interview" was the mistake's.
        assert stages[Status.SCREENING].median_time == timedelta(days=2.5)
        assert stages[Status.INTERVIEW].median_time is None


def test_the_median_time_at_a_stage_counts_only_applications_that_left_it(db_app):
    with db_app.app_context():
        quick = moved(new_application(HEAD, submitted_at=START), ("received", "screening", 1))
        slow = moved(
            new_application(HEAD, submitted_at=START),
            ("received", "screening", 3),
            ("screening", "rejected", 5),
        )
        slower = moved(new_application(HEAD, submitted_at=START), ("received", "withdrawn", 10))
        waiting = new_application(HEAD, submitted_at=START)  # still at received: not counted
        store(quick, slow, slower, waiting)
        report = reports.pipelines(
            db.session, [summary(HEAD, counts_of(quick, slow, slower, waiting))], START
        )
        stages = {stage.status: stage for stage in report[HEAD].stages}
        assert stages[Status.RECEIVED].median_time == timedelta(days=3)
        assert stages[Status.RECEIVED].left == 3
        # Only "slow" left screening ("quick" is still there).
        assert stages[Status.SCREENING].median_time == timedelta(days=2)
        assert stages[Status.SCREENING].left == 1
        assert stages[Status.INTERVIEW].median_time is None
        assert stages[Status.HIRED].median_time is None


def test_an_even_number_of_times_gives_the_middle_of_the_two(db_app):
    with db_app.app_context():
        one = moved(new_application(HEAD, submitted_at=START), ("received", "screening", 1))
        two = moved(new_application(HEAD, submitted_at=START), ("received", "screening", 2))
        store(one, two)
        report = reports.pipelines(db.session, [summary(HEAD, counts_of(one, two))], START)
        assert report[HEAD].stages[0].median_time == timedelta(days=1.5)


def test_a_posting_closing_soon_with_unreviewed_applications_is_flagged(db_app):
    now = START
    with db_app.app_context():
        store(new_application(HEAD, submitted_at=START), new_application(PYTHON, submitted_at=START))
        soon = summary(HEAD, {Status.RECEIVED: 1}, closing_at=now + 6 * DAY)
        later = summary(PYTHON, {Status.RECEIVED: 1}, closing_at=now + 8 * DAY)
        report = reports.pipelines(db.session, [soon, later], now)
        assert report[HEAD].closing_soon and report[HEAD].unreviewed == 1
        assert not report[PYTHON].closing_soon

        reviewed = summary(HEAD, {Status.SCREENING: 1}, closing_at=now + 2 * DAY)
        closed = summary(HEAD, {Status.RECEIVED: 1}, closing_at=now - DAY, is_open=False)
        no_date = summary(HEAD, {Status.RECEIVED: 1})
        for posting in (reviewed, closed, no_date):
            assert not reports.pipelines(db.session, [posting], now)[HEAD].closing_soon


def test_postings_without_applications_have_no_funnel(db_app):
    with db_app.app_context():
        assert reports.pipelines(db.session, [summary(HEAD, {})], START) == {}
