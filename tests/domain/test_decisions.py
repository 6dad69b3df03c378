"""The decisions service: decision emails written in the candidate's language
whatever the reviewer's, exactly as previewed, one per candidate moved; the
reason kept out unless asked; staff messages kept in the history."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from portal.domain import decisions, review
from portal.domain.models import Application, ApplicationMessage, OutboxEmail, StaffUser, StatusChange
from portal.plumbing.db import db
from tests.records import HEAD, TITLES, insert, new_application

NOW = datetime(2026, 12, 1, 9, tzinfo=UTC)
REASON = "Fewer than five years leading product teams."


def admin(staff) -> StaffUser:
    return db.session.scalar(select(StaffUser).where(StaffUser.email == staff.admin))


def outbox() -> list[OutboxEmail]:
    return list(db.session.scalars(select(OutboxEmail).order_by(OutboxEmail.id)))


@pytest.mark.parametrize("page_lang", ["en", "fr"])
def test_the_email_is_in_the_candidates_language_and_is_what_the_preview_showed(db_app, staff, page_lang):
    (application_id,) = insert(db_app, new_application(HEAD, preferred_language="fr", status="interview"))
    with db_app.test_request_context(f"/{page_lang}/"):
        application = db.session.get(Application, application_id)
        email = decisions.DecisionEmail(message="Nous avons hâte de travailler avec vous.")
        title = TITLES["fr"][HEAD]
        shown = decisions.preview(application, "offer", reason="", email=email, posting_title=title)
        kept = decisions.decide(
            db.session,
            application,
            "offer",
            reason="",
            email=email,
            posting_title=title,
            user=admin(staff),
            now=NOW,
        )
        (sent,) = outbox()
        assert (sent.subject, sent.body_text, sent.body_html) == (shown.subject, shown.text, shown.html)
        assert sent.language == "fr" and sent.recipient == application.email
        assert sent.subject == f"Une offre d’emploi pour vous\u00a0: {title} ({application.reference})"
        assert "Nous avons hâte de travailler avec vous." in sent.body_text
        assert (kept.kind, kept.email_id, kept.body) == ("decision_offer", sent.id, email.message)
        assert application.messages == [kept]


def test_the_reason_is_left_out_unless_the_reviewer_asks(db_app, staff):
    first, second = insert(db_app, new_application(HEAD), new_application(HEAD))
    with db_app.test_request_context("/en/"):
        for application_id, include in ((first, False), (second, True)):
            decisions.decide(
                db.session,
                db.session.get(Application, application_id),
                "rejected",
                reason=REASON,
                email=decisions.DecisionEmail(include_reason=include),
                posting_title="Head of Product Management",
                user=admin(staff),
                now=NOW,
            )
        without, with_reason = outbox()
        assert REASON not in without.body_text + without.body_html + without.subject
        assert REASON in with_reason.body_text and REASON in with_reason.body_html


def test_no_email_when_the_reviewer_does_not_want_one_or_the_status_has_none(db_app, staff):
    first, second = insert(db_app, new_application(HEAD), new_application(HEAD))
    with db_app.test_request_context("/en/"):
        for application_id, status, send in ((first, "rejected", False), (second, "screening", True)):
            kept = decisions.decide(
                db.session,
                db.session.get(Application, application_id),
                status,
                reason=REASON,
                email=decisions.DecisionEmail(send=send),
                posting_title="Head",
                user=admin(staff),
                now=NOW,
            )
            assert kept is None
        assert outbox() == []


def test_a_bulk_move_writes_one_email_per_candidate_moved_each_in_their_language(db_app, staff):
    english, french, hired = insert(
        db_app,
        new_application(HEAD, status="screening"),
        new_application(HEAD, status="screening", preferred_language="fr"),
        new_application(HEAD, status="hired"),
    )
    with db_app.test_request_context("/en/"):
        changed, skipped = decisions.decide_many(
            db.session,
            HEAD,
            [english, french, hired],
            "interview",
            reason="",
            email=decisions.DecisionEmail(),
            posting_titles={"en": TITLES["en"][HEAD], "fr": TITLES["fr"][HEAD]},
            user=admin(staff),
            now=NOW,
        )
        assert sorted(a.id for a in changed) == [english, french] and [a.id for a in skipped] == [hired]
        by_application = {email.application_id: email for email in outbox()}
        assert sorted(by_application) == [english, french]
        assert TITLES["fr"][HEAD] in by_application[french].subject
        assert by_application[french].language == "fr" and by_application[english].language == "en"
        assert decisions.first_movable(db.session, HEAD, [hired, french], "offer").id == french


def test_a_staff_message_is_queued_and_kept(db_app, staff):
    (application_id,) = insert(db_app, new_application(HEAD, preferred_language="fr"))
    with db_app.test_request_context("/en/"):
        application = db.session.get(Application, application_id)
        kept = decisions.send_message(
            db.session,
            application,
            subject="  Votre   entrevue ",
            body="\nApportez une pièce d’identité.\n",
            posting_title=TITLES["fr"][HEAD],
            user=admin(staff),
            now=NOW,
        )
        (sent,) = outbox()
        assert sent.subject == f"Votre entrevue ({application.reference})"
        assert "Apportez une pièce d’identité." in sent.body_text and sent.language == "fr"
        assert (kept.kind, kept.subject, kept.body, kept.email_id) == (
            "message",
            "Votre entrevue",
            "Apportez une pièce d’identité.",
            sent.id,
        )
        assert application.last_used_at == NOW


@pytest.mark.parametrize(
    ("subject", "body", "code"),
    [("", "  \n ", "empty_message"), ("", "x" * 5001, "too_long"), ("s" * 201, "Hello", "too_long")],
)
def test_a_staff_message_is_refused_empty_or_too_long(db_app, staff, subject, body, code):
    (application_id,) = insert(db_app, new_application(HEAD))
    with db_app.test_request_context("/en/"):
        with pytest.raises(decisions.DecisionError) as refused:
            decisions.send_message(
                db.session,
                db.session.get(Application, application_id),
                subject=subject,
                body=body,
                posting_title="Head",
                user=admin(staff),
                now=NOW,
            )
        assert refused.value.code == code
        assert outbox() == [] and db.session.scalars(select(ApplicationMessage)).all() == []


def test_an_application_withdrawn_by_its_candidate_is_neither_moved_nor_emailed(db_app, staff):
    (application_id,) = insert(db_app, new_application(HEAD))
    with db_app.test_request_context("/en/"):
        application = db.session.get(Application, application_id)
        application.status_changes.append(
            StatusChange(
                application_id=application_id,
                from_status="received",
                to_status="withdrawn",
                reason="",
                staff_user_id=None,
                by_candidate=True,
                changed_at=NOW,
            )
        )
        application.status = "withdrawn"
        db.session.flush()
        with pytest.raises(review.ReviewError):
            decisions.decide(
                db.session,
                application,
                "rejected",
                reason=REASON,
                email=decisions.DecisionEmail(),
                posting_title="Head",
                user=admin(staff),
                now=NOW,
            )
        assert outbox() == []
