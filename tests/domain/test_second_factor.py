"""Two-step sign-in as services: enrolment confirmed by a code, codes never
accepted twice, recovery codes used once, wrong codes throttled like
passwords, and who may turn it off or reset it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pyotp
import pytest
from sqlalchemy import select

from portal.domain import accounts, second_factor
from portal.domain.models import AuditEvent, RecoveryCode, StaffSession
from portal.plumbing.db import db
from tests.conftest import STAFF_PASSWORD

NOW = datetime(2026, 11, 30, 12, 0, 10, tzinfo=UTC)
SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


def actions() -> list[str]:
    return list(db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))


def code_at(moment: datetime, secret: str = SECRET) -> str:
    return pyotp.TOTP(secret).at(moment)


def enrolled_user(email: str) -> tuple[accounts.StaffUser, list[str]]:
    user = accounts.find_user(db.session, email)
    codes = second_factor.enrol(db.session, user, SECRET, code_at(NOW), now=NOW, ip_address="192.0.2.1")
    return user, codes


def test_enrolment_needs_a_valid_code_and_stores_nothing_before(db_app, staff):
    with db_app.app_context():
        user = accounts.find_user(db.session, staff.assigned)
        with pytest.raises(second_factor.SecondFactorError) as refused:
            second_factor.enrol(db.session, user, SECRET, "000000", now=NOW, ip_address="")
        assert refused.value.code == "wrong_code"
        assert user.totp_secret is None
        assert db.session.scalars(select(RecoveryCode)).all() == []
        assert "second_factor_enabled" not in actions()


def test_enrolment_stores_the_secret_and_ten_hashed_recovery_codes(db_app, staff):
    with db_app.app_context():
        user, codes = enrolled_user(staff.assigned)
        assert user.totp_secret == SECRET
        assert len(codes) == len(set(codes)) == second_factor.RECOVERY_CODE_COUNT == 10
        stored = db.session.scalars(select(RecoveryCode.code_hash)).all()
        assert len(stored) == 10
        plain = {second_factor.normalise_recovery_code(code) for code in codes} | set(codes)
        assert not plain & set(stored)
        assert all(hash_.startswith("$argon2id$") for hash_ in stored)
        assert actions()[-1] == "second_factor_enabled"


def test_a_code_is_accepted_once_and_within_one_step_of_drift(db_app, staff):
    with db_app.app_context():
        user, _codes = enrolled_user(staff.assigned)
        # The enrolment code's step is used up; the next step's code works once.
        assert not second_factor.verify(db.session, user, code_at(NOW), now=NOW, ip_address="")
        ahead = code_at(NOW + timedelta(seconds=30))
        assert second_factor.verify(db.session, user, ahead, now=NOW, ip_address="")
        assert not second_factor.verify(db.session, user, ahead, now=NOW, ip_address="")
        # A code from two steps away is refused, whatever the order.
        later = NOW + timedelta(minutes=5)
        assert not second_factor.verify(
            db.session, user, code_at(later + timedelta(seconds=60)), now=later, ip_address=""
        )
        assert second_factor.verify(
            db.session, user, code_at(later - timedelta(seconds=30)), now=later, ip_address=""
        )


def test_a_recovery_code_works_once_and_is_audited(db_app, staff):
    with db_app.app_context():
        user, codes = enrolled_user(staff.assigned)
        typed = codes[3].upper().replace("-", " ")
        assert second_factor.verify(db.session, user, typed, now=NOW, ip_address="")
        assert not second_factor.verify(db.session, user, codes[3], now=NOW, ip_address="")
        assert second_factor.remaining_recovery_codes(db.session, user) == 9
        assert actions().count("recovery_code_used") == 1


def test_wrong_codes_count_toward_the_sign_in_wait(db_app, staff):
    with db_app.app_context():
        user, _codes = enrolled_user(staff.assigned)
        for _ in range(accounts.FREE_FAILURES):
            with pytest.raises(accounts.AccountError) as refused:
                second_factor.sign_in_with_code(db.session, user, "123456", ip_address="192.0.2.9", now=NOW)
            assert refused.value.code == "invalid"
        with pytest.raises(accounts.AccountError) as throttled:
            second_factor.sign_in_with_code(
                db.session, user, code_at(NOW + timedelta(seconds=30)), ip_address="192.0.2.9", now=NOW
            )
        assert throttled.value.code == "throttled"
        failed = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "sign_in_failed")).all()
        assert len(failed) == 5
        assert {(event.actor, event.staff_user_id, event.detail) for event in failed} == {
            (staff.assigned, user.id, "second factor")
        }
        assert db.session.scalars(select(StaffSession)).all() == []


def test_the_right_code_opens_a_session(db_app, staff):
    with db_app.app_context():
        user, _codes = enrolled_user(staff.assigned)
        token = second_factor.sign_in_with_code(
            db.session, user, code_at(NOW + timedelta(seconds=30)), ip_address="", now=NOW
        )
        assert accounts.session_user(db.session, token)[1] is user
        assert actions()[-1] == "sign_in"


@pytest.mark.parametrize(("setting", "required"), [("optional", False), ("admins", True), ("everyone", True)])
def test_turning_off_is_refused_when_the_role_requires_it(db_app, staff, setting, required):
    db_app.config["PORTAL_STAFF_TOTP"] = setting
    with db_app.app_context():
        admin, _codes = enrolled_user(staff.admin)
        if required:
            with pytest.raises(second_factor.SecondFactorError) as refused:
                second_factor.turn_off(db.session, admin, STAFF_PASSWORD, now=NOW, ip_address="")
            assert refused.value.code == "required"
            assert second_factor.enrolled(admin)
        else:
            second_factor.turn_off(db.session, admin, STAFF_PASSWORD, now=NOW, ip_address="")
            assert admin.totp_secret is None and admin.totp_last_step is None
            assert db.session.scalars(select(RecoveryCode)).all() == []
            assert actions()[-1] == "second_factor_disabled"


def test_turning_off_and_new_codes_need_the_password(db_app, staff):
    with db_app.app_context():
        user, codes = enrolled_user(staff.assigned)
        for change in (second_factor.turn_off, second_factor.renew_recovery_codes):
            with pytest.raises(second_factor.SecondFactorError) as refused:
                change(db.session, user, "not the password", now=NOW, ip_address="")
            assert refused.value.code == "wrong_password"
        assert second_factor.enrolled(user)
        new = second_factor.renew_recovery_codes(db.session, user, STAFF_PASSWORD, now=NOW, ip_address="")
        assert not set(new) & set(codes)
        assert not second_factor.verify(db.session, user, codes[0], now=NOW, ip_address="")
        assert second_factor.verify(db.session, user, new[0], now=NOW, ip_address="")
        assert "recovery_codes_renewed" in actions()


def test_an_admin_resets_another_accounts_second_factor_and_its_sessions_end(db_app, staff):
    with db_app.app_context():
        admin = accounts.find_user(db.session, staff.admin)
        reviewer, _codes = enrolled_user(staff.assigned)
        token = accounts.open_session(db.session, reviewer, "", NOW)
        with pytest.raises(second_factor.SecondFactorError) as own:
            second_factor.reset(db.session, admin, by=admin, now=NOW, ip_address="")
        assert own.value.code == "own_account"
        second_factor.reset(db.session, reviewer, by=admin, now=NOW, ip_address="192.0.2.1")
        assert not second_factor.enrolled(reviewer)
        assert accounts.session_user(db.session, token) is None
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "second_factor_reset"))
        assert (event.actor, event.detail) == (staff.admin, staff.assigned)


def test_the_enrolment_secret_depends_on_the_nonce_and_the_account(db_app, staff):
    with db_app.app_context():
        admin = accounts.find_user(db.session, staff.admin)
        reviewer = accounts.find_user(db.session, staff.assigned)
        first = second_factor.enrolment_secret(admin, "one")
        assert first == second_factor.enrolment_secret(admin, "one")
        assert first != second_factor.enrolment_secret(admin, "two")
        assert first != second_factor.enrolment_secret(reviewer, "one")
        assert len(first) == 32 and pyotp.TOTP(first).now().isdigit()


def test_an_unknown_setting_stops_the_start_with_one_line(make_app):
    from portal.plumbing.config import ConfigurationError

    with pytest.raises(ConfigurationError) as stopped:
        make_app(PORTAL_STAFF_TOTP="sometimes")
    assert str(stopped.value) == "PORTAL_STAFF_TOTP must be optional, admins or everyone."


def test_the_command_line_resets_a_lost_second_factor(db_app, staff):
    with db_app.app_context():
        enrolled_user(staff.admin)
        db.session.commit()
    runner = db_app.test_cli_runner()
    result = runner.invoke(args=["staff", "reset-second-factor", "Admin@nds.example"])
    assert result.exit_code == 0, result.output
    assert result.output == "Two-step sign-in of admin@nds.example is reset; its sessions are signed out.\n"
    with db_app.app_context():
        assert not second_factor.enrolled(accounts.find_user(db.session, staff.admin))
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "second_factor_reset"))
        assert (event.actor, event.detail) == ("flask staff reset-second-factor", staff.admin)
    again = runner.invoke(args=["staff", "reset-second-factor", staff.admin])
    assert again.exit_code == 1
    assert "admin@nds.example does not use two-step sign-in." in again.output
