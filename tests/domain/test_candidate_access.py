"""Status links, "lost your link?" and withdrawal by the candidate, at the
service level: only the token's hash is stored, a new link revokes the old,
the re-send says nothing to a stranger, a withdrawal is final. On SQLite, and
PostgreSQL when configured."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

import pytest
from sqlalchemy import delete, func, select

from portal.domain import applications, candidate_access, review
from portal.domain.models import Application, AuditEvent, OutboxEmail, Status, StatusChange, StatusLink
from portal.plumbing.db import db
from tests.records import HEAD, insert, new_application, service_user

NOW = datetime(2026, 12, 1, 9, tzinfo=UTC)


def link(lang: str, token: str) -> str:
    return f"https://careers.example/{lang}/status?token={token}"


def title(application: Application, lang: str) -> str:
    return f"{application.posting_title} [{lang}]"


@pytest.fixture
def one(db_app):
    """An application (preferred language French) and a request context to work in."""
    (application_id,) = insert(
        db_app,
        new_application(
            HEAD,
            reference=applications.new_reference(),
            email="Ada.Tremblay@example.ca",
            preferred_language="fr",
        ),
    )
    with db_app.test_request_context("/en/"):
        yield db.session.get(Application, application_id)


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def resend(email: str, reference: str) -> bool:
    return candidate_access.send_link_again(
        db.session, email, reference, now=NOW, link=link, posting_title=title, contact_email="jobs@example.ca"
    )


def withdraw(application: Application, reason: str = "") -> StatusChange:
    return candidate_access.withdraw(
        db.session,
        application,
        reason=reason,
        now=NOW,
        status_url=link("fr", "the-link"),
        posting_title=title,
        contact_email="jobs@example.ca",
    )


def test_only_the_hash_of_a_link_is_stored_and_the_link_opens_its_application(one):
    token = candidate_access.new_status_link(db.session, one, now=NOW)
    db.session.commit()
    assert len(token) >= 43, "at least 256 random bits"
    stored = db.session.scalar(select(StatusLink))
    assert stored.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in repr([stored.token_hash, stored.id, stored.application_id])
    assert candidate_access.open_status_link(db.session, token).id == one.id


@pytest.mark.parametrize("token", ["", "not-a-link", "x" * 5000])
def test_an_unknown_link_opens_nothing(one, token):
    candidate_access.new_status_link(db.session, one, now=NOW)
    with pytest.raises(candidate_access.LinkError) as error:
        candidate_access.open_status_link(db.session, token)
    assert error.value.code == "unknown"


def test_a_new_link_revokes_the_old_one(one):
    old = candidate_access.new_status_link(db.session, one, now=NOW)
    new = candidate_access.new_status_link(db.session, one, now=NOW)
    with pytest.raises(candidate_access.LinkError) as error:
        candidate_access.open_status_link(db.session, old)
    assert error.value.code == "revoked"
    assert candidate_access.open_status_link(db.session, new).id == one.id


def test_links_die_with_their_application(one):
    token = candidate_access.new_status_link(db.session, one, now=NOW)
    db.session.commit()
    # As the retention purge deletes: in bulk, the database cascades.
    db.session.execute(delete(Application).where(Application.id == one.id))
    db.session.commit()
    assert count(StatusLink) == 0
    with pytest.raises(candidate_access.LinkError):
        candidate_access.open_status_link(db.session, token)


@pytest.mark.parametrize(
    ("email", "reference"),
    [
        ("Ada.Tremblay@example.ca", "{ref}"),
        ("ada.tremblay@EXAMPLE.CA ", " {ref} "),
        ("ada.tremblay@example.ca", "{compact}"),
    ],
)
def test_the_link_is_sent_again_when_address_and_reference_match(one, email, reference):
    old = candidate_access.new_status_link(db.session, one, now=NOW)
    compact = one.reference.replace("-", "").lower()
    typed = reference.format(ref=one.reference, compact=compact)
    assert resend(email, typed) is True
    [queued] = db.session.scalars(select(OutboxEmail))
    assert queued.recipient == "Ada.Tremblay@example.ca" and queued.language == "fr"
    assert one.reference in queued.subject and "[fr]" in queued.subject
    new = queued.body_text.split("token=")[1].split()[0]
    assert candidate_access.open_status_link(db.session, new).id == one.id
    with pytest.raises(candidate_access.LinkError):
        candidate_access.open_status_link(db.session, old)


@pytest.mark.parametrize(
    ("email", "reference"),
    [("someone.else@example.ca", "{ref}"), ("Ada.Tremblay@example.ca", "ABCD-EFGH-JKMN"), ("", "")],
)
def test_nothing_is_sent_and_nothing_changes_when_they_do_not_match(one, email, reference):
    old = candidate_access.new_status_link(db.session, one, now=NOW)
    assert resend(email, reference.format(ref=one.reference)) is False
    assert count(OutboxEmail) == 0
    assert candidate_access.open_status_link(db.session, old).id == one.id


def test_a_withdrawal_is_recorded_as_the_candidates_audited_and_confirmed_by_email(one):
    one.status = Status.SCREENING
    db.session.flush()
    change = withdraw(one, "  I accepted another job.  ")
    db.session.commit()
    assert one.status is Status.WITHDRAWN
    assert (change.from_status, change.to_status, change.reason) == (
        "screening",
        "withdrawn",
        "I accepted another job.",
    )
    assert change.by_candidate and change.staff_user_id is None
    assert candidate_access.withdrawn_by_candidate(one) and applications.withdrawn_by_candidate(one)
    [event] = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "withdrawn_by_candidate"))
    assert (event.application_id, event.posting_key, event.staff_user_id) == (one.id, HEAD, None)
    recorded = f"{event.actor} {event.detail} {event.ip_address}"
    assert "ada" not in recorded.lower() and "another job" not in recorded
    [queued] = db.session.scalars(select(OutboxEmail))
    assert queued.language == "fr" and one.reference in queued.subject
    assert link("fr", "the-link") in queued.body_text


@pytest.mark.parametrize("status", [Status.WITHDRAWN, Status.REJECTED, Status.HIRED])
def test_too_late_to_withdraw(one, status):
    one.status = status
    db.session.flush()
    with pytest.raises(candidate_access.CannotWithdraw):
        withdraw(one)
    assert one.status_changes == [] and count(OutboxEmail) == 0


def test_staff_cannot_move_an_application_its_candidate_withdrew(one):
    withdraw(one)
    user = service_user()
    for target in ("screening", "rejected", "withdrawn"):
        with pytest.raises(review.ReviewError) as error:
            review.change_status(db.session, one, target, reason="Moved anyway", user=user, now=NOW)
        assert error.value.code == "withdrawn_by_candidate"
    changed, skipped = review.bulk_change_status(
        db.session, HEAD, [one.id], "rejected", reason="All at once", user=user, now=NOW
    )
    assert (changed, skipped) == ([], [one])
    assert one.status is Status.WITHDRAWN and len(one.status_changes) == 1


def test_a_withdrawal_by_staff_is_not_the_candidates(one):
    review.change_status(db.session, one, "withdrawn", reason="Phoned us", user=service_user(), now=NOW)
    assert not candidate_access.withdrawn_by_candidate(one)


def test_the_candidate_reads_every_status_in_their_words(one):
    words = {}
    for status in Status:
        one.status = status
        words[status] = str(candidate_access.candidate_status(one).label)
    assert words == {
        Status.RECEIVED: "Received",
        Status.SCREENING: "Under review",
        Status.INTERVIEW: "Invited to interview",
        Status.OFFER: "Offer",
        Status.HIRED: "Offer",
        Status.REJECTED: "Not selected",
        Status.WITHDRAWN: "Withdrawn",
    }
