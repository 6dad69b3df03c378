"""Staff account rules as services: an admin keeps their own rights, a
password change needs the current one, and each change is audited."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from portal.domain import accounts, audit
from portal.domain.models import AuditEvent, Role, StaffSession
from portal.plumbing.db import db
from tests.conftest import STAFF_PASSWORD

NOW = datetime(2026, 11, 30, 12, tzinfo=UTC)


def actions() -> list[str]:
    return list(db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))


@pytest.mark.parametrize(("role", "active"), [("reviewer", True), ("admin", False), ("reviewer", False)])
def test_an_admin_cannot_demote_or_disable_themself(db_app, staff, role, active):
    with db_app.app_context():
        admin = accounts.find_user(db.session, staff.admin)
        with pytest.raises(accounts.AccountError) as refused:
            accounts.update_account(
                db.session,
                admin,
                role=role,
                active=active,
                posting_keys=set(),
                by=admin,
                now=NOW,
                ip_address="192.0.2.1",
            )
        assert refused.value.code == "own_account"
        assert (admin.role, admin.active) == (Role.ADMIN, True)
        assert "manage_staff" not in actions()


def test_an_admin_changes_another_account_and_it_is_audited(db_app, staff):
    with db_app.app_context():
        admin = accounts.find_user(db.session, staff.admin)
        reviewer = accounts.find_user(db.session, staff.unassigned)
        accounts.update_account(
            db.session,
            reviewer,
            role="reviewer",
            active=True,
            posting_keys={"senior-python-developer"},
            by=admin,
            now=NOW,
            ip_address="192.0.2.1",
        )
        assert [a.posting_key for a in reviewer.assignments] == ["senior-python-developer"]
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "manage_staff"))
        assert event.actor == staff.admin and staff.unassigned in event.detail


def test_a_password_change_needs_the_current_password(db_app, staff):
    with db_app.app_context():
        user = accounts.find_user(db.session, staff.assigned)
        before = user.password_hash
        with pytest.raises(accounts.AccountError) as refused:
            accounts.change_own_password(
                db.session, user, "not the password", "a brand new password", now=NOW, ip_address=""
            )
        assert refused.value.code == "wrong_password"
        assert user.password_hash == before and "password_changed" not in actions()


def test_a_password_change_signs_every_session_out_and_is_audited(db_app, staff):
    with db_app.app_context():
        user, _token = accounts.authenticate(db.session, staff.assigned, STAFF_PASSWORD, "", NOW)
        accounts.change_own_password(
            db.session, user, STAFF_PASSWORD, "a brand new password", now=NOW, ip_address=""
        )
        assert accounts.check_password(user, "a brand new password")
        sessions = db.session.scalars(select(StaffSession).where(StaffSession.staff_user_id == user.id))
        assert all(session.revoked_at is not None for session in sessions)
        assert actions()[-1] == "password_changed"


def test_an_unknown_role_is_refused(db_app):
    with db_app.app_context(), pytest.raises(accounts.AccountError) as refused:
        accounts.create_user(db.session, "new@nds.example", STAFF_PASSWORD, "owner", now=NOW)
    assert refused.value.code == "unknown_role"


def failures(db_app, email: str, address: str, times: list[datetime]) -> None:
    with db_app.app_context():
        for moment in times:
            audit.record(db.session, "sign_in_failed", actor=email, ip_address=address, at=moment)
        db.session.commit()


def test_each_failure_past_five_doubles_the_wait(db_app):
    start = datetime(2026, 11, 30, 9, tzinfo=UTC)
    failures(db_app, "a@nds.example", "192.0.2.1", [start + timedelta(seconds=n) for n in range(5)])
    last = start + timedelta(seconds=4)
    with db_app.app_context():
        assert accounts.sign_in_wait(db.session, "a@nds.example", "192.0.2.1", last) == timedelta(seconds=30)
        assert accounts.sign_in_wait(db.session, "a@nds.example", "192.0.2.2", last) == timedelta(0)
        assert accounts.sign_in_wait(db.session, "b@nds.example", "192.0.2.1", last) == timedelta(0)
    failures(db_app, "a@nds.example", "192.0.2.1", [last + timedelta(seconds=31)])
    with db_app.app_context():
        after = last + timedelta(seconds=31)
        assert accounts.sign_in_wait(db.session, "a@nds.example", "192.0.2.1", after) == timedelta(seconds=60)
    failures(
        db_app, "a@nds.example", "192.0.2.1", [after + timedelta(minutes=2, seconds=n) for n in range(12)]
    )
    with db_app.app_context():
        latest = after + timedelta(minutes=2, seconds=11)
        assert accounts.sign_in_wait(db.session, "a@nds.example", "192.0.2.1", latest) == accounts.MAX_DELAY


@pytest.mark.parametrize(
    ("password", "code"),
    [
        ("short", "password_too_short"),
        ("password1234", "password_too_common"),
        ("assigned@nds.example!", "password_too_common"),
        ("Summer2026", "password_too_short"),
        ("ocean lantern " * 100, "password_too_long"),
    ],
    ids=["short", "common", "email", "short-date", "over-the-cap"],
)
def test_short_long_and_easily_guessed_passwords_are_refused(db_app, staff, password, code):
    with db_app.app_context():
        user = accounts.find_user(db.session, staff.assigned)
        with pytest.raises(accounts.AccountError) as refused:
            accounts.set_password(db.session, user, password)
        assert refused.value.code == code


def test_an_old_hash_is_upgraded_to_argon2id_at_the_next_sign_in(db_app, staff):
    from werkzeug.security import generate_password_hash

    with db_app.app_context():
        user = accounts.find_user(db.session, staff.assigned)
        user.password_hash = generate_password_hash(STAFF_PASSWORD, method="scrypt:1024:8:1")
        db.session.commit()
        signed_in, _token = accounts.authenticate(db.session, staff.assigned, STAFF_PASSWORD, "", NOW)
        assert signed_in.password_hash.startswith("$argon2id$")
        assert accounts.check_password(signed_in, STAFF_PASSWORD)


def test_checking_the_password_alone_opens_no_session(db_app, staff):
    with db_app.app_context():
        user = accounts.check_credentials(
            db.session, " Assigned@NDS.example", STAFF_PASSWORD, "192.0.2.1", NOW
        )
        assert user.email == staff.assigned
        assert db.session.scalars(select(StaffSession)).all() == []
        assert "sign_in" not in actions()
        token = accounts.open_session(db.session, user, "192.0.2.1", NOW)
        assert accounts.session_user(db.session, token)[1] is user
        assert actions()[-1] == "sign_in"


def test_a_password_change_changes_the_stamp_a_pending_step_carries(db_app, staff):
    with db_app.app_context():
        user = accounts.find_user(db.session, staff.assigned)
        before = accounts.password_stamp(user)
        assert before == accounts.password_stamp(user) and user.password_hash not in before
        accounts.set_password(db.session, user, "a brand new password")
        assert accounts.password_stamp(user) != before
