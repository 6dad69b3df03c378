"""Name-blind review as a service: which stage ends it, who sees which
candidate by name, the admin's setting over the front matter, and reveals
(admins only, with a reason, for themselves, audited). Every test runs on
SQLite, and on PostgreSQL when configured."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from portal.content import current_index
from portal.content.fields import NAME_BLIND_STAGES
from portal.domain import name_blind, review
from portal.domain.models import (
    Application,
    AuditEvent,
    NameBlindReveal,
    PostingReviewSetting,
    StaffUser,
    Status,
)
from portal.plumbing.db import db
from tests.records import HEAD, PYTHON, new_application, service_user

START = datetime(2026, 11, 2, 15, 30, tzinfo=UTC)


def stored(*statuses: str, posting_key: str = HEAD) -> Application:
    """Store an application and move it through ``statuses`` (one minute apart)."""
    application = new_application(posting_key, full_name="Ada Tremblay", email="ada@example.ca")
    db.session.add(application)
    db.session.flush()
    mover = db.session.scalar(select(StaffUser).where(StaffUser.email == "mover@nds.example"))
    if mover is None:
        mover = StaffUser(
            email="mover@nds.example", password_hash="-", role="reviewer", active=True, created_at=START
        )
        db.session.add(mover)
        db.session.flush()
    for minute, status in enumerate(statuses):
        review.change_status(
            db.session,
            application,
            status,
            reason="A reason",
            user=mover,
            now=START + timedelta(minutes=minute),
        )
    return application


def account(role: str = "admin") -> StaffUser:
    """The service account of ``role`` (made on first use)."""
    found = db.session.scalar(select(StaffUser).where(StaffUser.email == f"{role}-service@nds.example"))
    return found or service_user(role)


def turned_on(until: str = "interview", posting_key: str = HEAD) -> name_blind.Rule:
    name_blind.set_rule(db.session, posting_key, until, user=account(), now=START)
    return name_blind.rule_for(db.session, current_index(), posting_key)


def test_the_stages_are_statuses_of_the_pipeline():
    assert {stage.value for stage in name_blind.STAGES} == set(NAME_BLIND_STAGES)
    assert all(Status(stage) for stage in NAME_BLIND_STAGES)
    assert name_blind.DEFAULT_STAGE is Status.INTERVIEW


@pytest.mark.parametrize(
    ("moves", "until", "hidden"),
    [
        ((), "interview", True),
        (("screening",), "interview", True),
        (("screening", "interview"), "interview", False),
        (("screening", "interview", "offer", "hired"), "interview", False),
        (("screening", "rejected"), "interview", True),
        (("screening", "interview", "rejected"), "interview", False),
        (("screening", "interview", "withdrawn"), "interview", False),
        (("withdrawn",), "interview", True),
        ((), "screening", True),
        (("screening",), "screening", False),
        (("screening", "interview"), "offer", True),
        (("screening", "interview", "offer"), "offer", False),
    ],
)
def test_names_show_once_an_application_reaches_the_stage(db_app, moves, until, hidden):
    with db_app.app_context():
        rule = turned_on(until)
        application = stored(*moves)
        viewer = account("reviewer")

        assert name_blind.hidden(db.session, rule, viewer, application) is hidden
        assert (application.id in name_blind.shown_ids(db.session, rule, viewer, [application])) is not hidden
        check = name_blind.identity_check(db.session, rule, viewer, HEAD)
        assert check(application) is not hidden


def test_a_name_once_shown_stays_shown_after_a_correction_back(db_app):
    with db_app.app_context():
        rule = turned_on("interview")
        application = stored("screening", "interview")
        admin = account()
        review.correct_status(db.session, application, reason="Moved too early", user=admin, now=START)

        assert application.status is Status.SCREENING
        assert not name_blind.hidden(db.session, rule, admin, application)


def test_without_name_blind_review_everyone_sees_names(db_app):
    with db_app.app_context():
        rule = name_blind.rule_for(db.session, current_index(), HEAD)
        application = stored()
        viewer = account("reviewer")

        assert (rule.blind, rule.source, rule.choice) == (False, "content", "content")
        assert not name_blind.hidden(db.session, rule, viewer, application)
        assert name_blind.shown_ids(db.session, rule, viewer, [application]) == {application.id}


def test_the_admins_setting_overrides_the_front_matter_and_is_audited(db_app):
    with db_app.app_context():
        admin = account()
        name_blind.set_rule(db.session, HEAD, "offer", user=admin, now=START, ip_address="192.0.2.7")
        rule = name_blind.rule_for(db.session, current_index(), HEAD)
        assert (rule.until, rule.source, rule.choice) == (Status.OFFER, "setting", "offer")
        assert not name_blind.rule_for(db.session, current_index(), PYTHON).blind

        name_blind.set_rule(db.session, HEAD, "off", user=admin, now=START)
        rule = name_blind.rule_for(db.session, current_index(), HEAD)
        assert (rule.blind, rule.choice) == (False, "off")
        assert db.session.get(PostingReviewSetting, HEAD).reveal_stage is Status.OFFER

        name_blind.set_rule(db.session, HEAD, "content", user=admin, now=START)
        assert db.session.get(PostingReviewSetting, HEAD) is None

        events = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "set_name_blind").order_by(AuditEvent.id)
        ).all()
        assert [(e.posting_key, e.detail, e.actor) for e in events] == [
            (HEAD, "name-blind: offer", admin.email),
            (HEAD, "name-blind: off", admin.email),
            (HEAD, "name-blind: content", admin.email),
        ]
        assert events[0].ip_address == "192.0.2.7"


@pytest.mark.parametrize(
    ("role", "choice", "code"), [("reviewer", "on", "not_admin"), ("admin", "on", "unknown_choice")]
)
def test_a_setting_is_refused_to_reviewers_and_for_unknown_choices(db_app, role, choice, code):
    with db_app.app_context():
        with pytest.raises(name_blind.NameBlindError) as refused:
            name_blind.set_rule(db.session, HEAD, choice, user=account(role), now=START)
        assert refused.value.code == code
        assert db.session.get(PostingReviewSetting, HEAD) is None


def test_a_reveal_shows_the_candidate_to_that_admin_only_and_is_audited_without_the_reason(db_app):
    with db_app.app_context():
        rule = turned_on()
        application = stored("screening")
        admin = account()
        other = StaffUser(
            email="other-admin@nds.example", password_hash="-", role="admin", active=True, created_at=START
        )
        db.session.add(other)
        db.session.flush()

        record = name_blind.reveal(
            db.session,
            rule,
            application,
            "  Conflict of interest check: Jean Dupont asked  ",
            user=admin,
            now=START,
            ip_address="192.0.2.7",
        )

        assert (record.reason, record.staff_user_id, record.revealed_at) == (
            "Conflict of interest check: Jean Dupont asked",
            admin.id,
            START,
        )
        assert not name_blind.hidden(db.session, rule, admin, application)
        assert name_blind.hidden(db.session, rule, other, application)
        assert name_blind.identity_check(db.session, rule, admin, HEAD)(application)
        assert not name_blind.identity_check(db.session, rule, other, HEAD)(application)
        assert [r.id for r in name_blind.reveals_of(db.session, application)] == [record.id]
        (event,) = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "reveal_identity"))
        assert (event.actor, event.role, event.application_id, event.posting_key) == (
            admin.email,
            "admin",
            application.id,
            HEAD,
        )
        assert "Dupont" not in event.detail and "Ada" not in event.detail


@pytest.mark.parametrize(
    ("role", "moves", "reason", "code"),
    [
        ("reviewer", (), "A reason", "not_admin"),
        ("admin", (), "   ", "reason_required"),
        ("admin", (), "x" * 4001, "too_long"),
        ("admin", ("screening", "interview"), "A reason", "not_hidden"),
    ],
)
def test_a_reveal_is_refused_by_the_rules(db_app, role, moves, reason, code):
    with db_app.app_context():
        rule = turned_on()
        application = stored(*moves)
        with pytest.raises(name_blind.NameBlindError) as refused:
            name_blind.reveal(db.session, rule, application, reason, user=account(role), now=START)
        assert refused.value.code == code
        assert db.session.scalars(select(NameBlindReveal)).all() == []
        assert (
            db.session.scalars(select(AuditEvent).where(AuditEvent.action == "reveal_identity")).all() == []
        )


def test_a_reveal_is_deleted_with_its_application(db_app):
    with db_app.app_context():
        rule = turned_on()
        application = stored()
        name_blind.reveal(db.session, rule, application, "Complaint", user=account(), now=START)
        db.session.commit()
        db.session.delete(application)
        db.session.commit()
        assert db.session.scalars(select(NameBlindReveal)).all() == []


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_the_candidate_number_is_the_application_id_in_the_page_language(db_app, lang):
    with db_app.test_request_context(f"/{lang}/"):
        db_app.preprocess_request()
        application = stored()
        label = name_blind.candidate_label(application)
        assert label == {"en": "Candidate {}", "fr": "Personne candidate {}"}[lang].format(application.id)


def test_an_email_preview_stand_in_carries_the_number_and_stays_out_of_the_database(db_app):
    with db_app.test_request_context("/en/"):
        db_app.preprocess_request()
        application = stored()
        copy = name_blind.stand_in(application)
        assert (copy.full_name, copy.email, copy.reference, copy.preferred_language) == (
            f"Candidate {application.id}",
            "",
            application.reference,
            application.preferred_language,
        )
        assert copy not in db.session
        db.session.flush()
        assert db.session.get(Application, application.id).full_name == "Ada Tremblay"


@pytest.mark.parametrize(
    ("filename", "expected"),
    [
        ("Ada-Tremblay-CV.PDF", "candidate-{}.pdf"),
        ("résumé.docx", "candidate-{}.docx"),
        ("cv", "candidate-{}"),
    ],
)
def test_a_hidden_candidates_resume_downloads_under_the_number(db_app, filename, expected):
    with db_app.app_context():
        rule = turned_on()
        application = stored()
        application.resume.filename = filename
        viewer = account("reviewer")
        assert name_blind.resume_name(db.session, rule, viewer, application) == expected.format(
            application.id
        )
        shown = stored("screening", "interview")
        assert name_blind.resume_name(db.session, rule, viewer, shown) == "cv.pdf"


def test_a_blind_list_drops_the_name_search_and_the_name_sort():
    filters = review.ApplicationFilter(status="received", search="Ada", sort="name")
    assert name_blind.without_identity(filters) == review.ApplicationFilter(status="received", sort="newest")
    assert name_blind.without_identity(review.ApplicationFilter(sort="oldest")).sort == "oldest"
