"""Staff account rules as services: an admin keeps their own rights, a
password change needs the current one, and each change is audited."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from portal.domain import accounts
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
