"""Assessing applications against merit criteria as a service: one rating per
reviewer and criterion, each justified; the consolidated result; a rejection
needs every essential criterion rated and records their ratings. Every test
runs on SQLite, and on PostgreSQL when configured."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from portal.content.criteria import Criterion, CriterionKind
from portal.domain import assessments, review
from portal.domain.assessments import DIFFER, AssessmentError, Judgement, Outcome
from portal.domain.models import Assessment, AuditEvent, Rating, StaffUser, Status
from portal.plumbing.db import db
from tests.records import PYTHON, new_application, service_user

NOW = datetime(2026, 11, 20, 14, tzinfo=UTC)
DEGREE = Criterion("degree", CriterionKind.ESSENTIAL, "A degree")
PYTHON_WORK = Criterion("python", CriterionKind.ESSENTIAL, "Python in production")
MENTORING = Criterion("mentoring", CriterionKind.ASSET, "Mentoring")
CRITERIA = (DEGREE, PYTHON_WORK, MENTORING)


def other_reviewer() -> StaffUser:
    return service_user("reviewer")


def stored(application_id: int) -> list[tuple[str | None, str, str, str]]:
    rows = db.session.scalars(select(Assessment).where(Assessment.application_id == application_id))
    return sorted(
        (row.reviewer.email if row.reviewer else None, row.criterion_id, row.rating.value, row.justification)
        for row in rows
    )


def rate(application, user, minutes: int = 0, **ratings):
    """Save ``user``'s ratings, given as criterion id=(rating, justification)."""
    return assessments.save(
        db.session,
        application,
        CRITERIA,
        {key: Judgement(*value) for key, value in ratings.items()},
        user=user,
        now=NOW + timedelta(minutes=minutes),
        ip_address="192.0.2.4",
    )


@pytest.fixture
def setting(db_app):
    """An admin and an application to the Python posting, in an app context."""
    with db_app.app_context():
        admin = service_user()
        application = new_application(PYTHON)
        db.session.add(application)
        db.session.flush()
        yield admin, application


def test_a_reviewer_rates_each_criterion_once_and_may_revise(setting):
    admin, application = setting
    rate(application, admin, degree=(Rating.MET, "MSc in computing"), python=(Rating.PARTLY_MET, "Two years"))
    rated = rate(application, admin, 5, python=(Rating.MET, "Five years at a bank, in the résumé"))

    assert rated == 1
    assert stored(application.id) == [
        (admin.email, "degree", "met", "MSc in computing"),
        (admin.email, "python", "met", "Five years at a bank, in the résumé"),
    ]
    assert application.last_used_at == NOW + timedelta(minutes=5)


def test_not_rated_withdraws_a_rating_and_unknown_criteria_are_ignored(setting):
    admin, application = setting
    rate(application, admin, degree=(Rating.MET, "MSc"), python=(Rating.MET, "Five years"))

    rate(
        application, admin, 1, degree=(None, ""), retired=(Rating.NOT_MET, "A criterion the posting dropped")
    )

    assert stored(application.id) == [(admin.email, "python", "met", "Five years")]


@pytest.mark.parametrize(
    ("judgement", "problem"),
    [
        (Judgement(Rating.MET, "   "), "justification_required"),
        (Judgement(None, "Looks strong"), "rating_required"),
        (Judgement(Rating.NOT_MET, "x" * 2001), "too_long"),
    ],
)
def test_an_incomplete_judgement_is_refused_and_nothing_is_stored(setting, judgement, problem):
    admin, application = setting
    with pytest.raises(AssessmentError) as refused:
        assessments.save(
            db.session,
            application,
            CRITERIA,
            {"degree": Judgement(Rating.MET, "MSc"), "python": judgement},
            user=admin,
            now=NOW,
        )
    assert refused.value.problems == {"python": problem}
    assert stored(application.id) == []
    assert db.session.scalars(select(AuditEvent).where(AuditEvent.action == "assess_application")).all() == []


def test_saving_is_audited_without_the_ratings_or_justifications(setting):
    admin, application = setting
    rate(application, admin, degree=(Rating.NOT_MET, "No degree and two years of study"))

    (event,) = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "assess_application"))
    assert (event.actor, event.application_id, event.posting_key, event.detail) == (
        admin.email,
        application.id,
        PYTHON,
        "1/3 criteria rated",
    )


def test_each_reviewer_keeps_their_own_ratings_side_by_side(setting):
    admin, application = setting
    second = other_reviewer()
    rate(application, admin, degree=(Rating.MET, "MSc"), python=(Rating.MET, "Five years"))
    rate(
        application, second, 1, degree=(Rating.MET, "Degree seen"), python=(Rating.PARTLY_MET, "Scripts only")
    )

    board = assessments.board(application, CRITERIA)

    assert [user.email for user in board.reviewers] == [admin.email, second.email]
    degree, python, mentoring = board.results
    assert degree.consolidated is Rating.MET
    assert python.consolidated == DIFFER
    assert {rating.justification for rating in python.ratings.values()} == {"Five years", "Scripts only"}
    assert mentoring.consolidated is None
    assert board.outcome is Outcome.REVIEWERS_DIFFER
    assert board.unjudged == ()


@pytest.mark.parametrize(
    ("ratings", "outcome"),
    [
        ({}, Outcome.NOT_ASSESSED),
        ({"mentoring": Rating.MET}, Outcome.INCOMPLETE),
        ({"degree": Rating.MET}, Outcome.INCOMPLETE),
        ({"degree": Rating.MET, "python": Rating.MET}, Outcome.MEETS),
        ({"degree": Rating.MET, "python": Rating.PARTLY_MET}, Outcome.PARTLY_MEETS),
        ({"degree": Rating.NOT_MET, "python": Rating.PARTLY_MET}, Outcome.DOES_NOT_MEET),
    ],
)
def test_the_outcome_follows_the_essential_criteria(setting, ratings, outcome):
    admin, application = setting
    rate(application, admin, **{key: (value, "Seen in the résumé") for key, value in ratings.items()})
    assert assessments.board(application, CRITERIA).outcome is outcome


def test_assets_count_only_when_every_reviewer_says_met(setting):
    admin, application = setting
    rate(application, admin, mentoring=(Rating.MET, "Led a team of four"))
    assert assessments.board(application, CRITERIA).assets_met == 1
    rate(application, other_reviewer(), mentoring=(Rating.PARTLY_MET, "Mentored one intern"))
    assert assessments.board(application, CRITERIA).assets_met == 0


def reject(application, user, criteria=CRITERIA):
    return review.change_status(
        db.session,
        application,
        "rejected",
        reason="Does not have the experience in production",
        user=user,
        now=NOW + timedelta(hours=1),
        criteria=criteria,
    )


def test_a_rejection_needs_every_essential_criterion_rated(setting):
    admin, application = setting
    rate(application, admin, degree=(Rating.MET, "MSc"), mentoring=(Rating.NOT_MET, "None"))

    with pytest.raises(review.ReviewError) as refused:
        reject(application, admin)

    assert refused.value.code == "criteria_unjudged"
    assert application.status == Status.RECEIVED
    assert application.status_changes == []


def test_a_rejection_records_the_essential_ratings_it_rests_on(setting):
    admin, application = setting
    second = other_reviewer()
    rate(application, admin, degree=(Rating.MET, "MSc"), python=(Rating.NOT_MET, "No production work"))
    rate(application, second, 1, degree=(Rating.PARTLY_MET, "Diploma"), python=(Rating.NOT_MET, "None"))

    change = reject(application, admin)

    assert application.status == Status.REJECTED
    assert change.criteria_basis == "degree=differ;python=not_met"
    assert assessments.read_basis(change.criteria_basis) == [("degree", DIFFER), ("python", Rating.NOT_MET)]


def test_a_posting_without_criteria_rejects_with_a_reason_alone(setting):
    admin, application = setting
    change = reject(application, admin, criteria=())
    assert application.status == Status.REJECTED
    assert change.criteria_basis == ""


def test_a_bulk_rejection_skips_applications_not_fully_rated(setting):
    admin, application = setting
    rated = new_application(PYTHON)
    db.session.add(rated)
    db.session.flush()
    rate(rated, admin, degree=(Rating.NOT_MET, "None"), python=(Rating.NOT_MET, "None"))

    changed, skipped = review.bulk_change_status(
        db.session,
        PYTHON,
        [application.id, rated.id],
        "rejected",
        reason="Screened out on the essential qualifications",
        user=admin,
        now=NOW,
        criteria=CRITERIA,
    )

    assert [item.id for item in changed] == [rated.id]
    assert [item.id for item in skipped] == [application.id]
    assert assessments.not_judged(skipped, CRITERIA) == [application]


def test_ratings_stay_when_the_reviewer_account_is_deleted(setting):
    _, application = setting
    second = other_reviewer()
    rate(application, second, degree=(Rating.MET, "MSc"))
    db.session.delete(second)
    db.session.flush()
    db.session.expire_all()

    assert stored(application.id) == [(None, "degree", "met", "MSc")]
