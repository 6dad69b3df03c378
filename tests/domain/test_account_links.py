"""Invitation and reset links as services: only the token's hash is kept,
each link works once and expires, a new one voids the older ones, and a
reset request for an unknown address sends nothing."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from portal.domain import account_links, accounts
from portal.domain.models import AccountToken, AuditEvent, OutboxEmail, Role, StaffSession
from portal.plumbing.db import db
from tests.conftest import STAFF_PASSWORD

NOW = datetime(2026, 11, 30, 12, tzinfo=UTC)
NEW_PASSWORD = "velvet lantern orbit pickle"


class Links:
    """A link builder that remembers the tokens it was given."""

    def __init__(self) -> None:
        self.tokens: list[str] = []

    def __call__(self, token: str) -> str:
        self.tokens.append(token)
        return f"https://careers.example/link/{token}"


def invite(email: str = "new@nds.example", role: str = "reviewer", language: str = "fr") -> tuple:
    links = Links()
    admin = accounts.find_user(db.session, "admin@nds.example")
    user = account_links.invite(
        db.session,
        email,
        role,
        posting_keys={"head-product-management"},
        language=language,
        by=admin,
        now=NOW,
        ip_address="192.0.2.1",
        link=links,
    )
    return user, links.tokens[-1]


def test_an_invitation_creates_an_account_without_password_and_queues_the_email(db_app, staff):
    with db_app.app_context():
        user, token = invite()
        assert user.role is Role.REVIEWER and user.active
        assert not accounts.has_password(user)
        assert [a.posting_key for a in user.assignments] == ["head-product-management"]
        stored = db.session.scalar(select(AccountToken))
        assert stored.token_hash == hashlib.sha256(token.encode()).hexdigest() != token
        assert (stored.purpose, stored.expires_at - stored.created_at) == ("invitation", timedelta(hours=72))
        email = db.session.scalar(select(OutboxEmail))
        assert (email.recipient, email.language) == ("new@nds.example", "fr")
        assert f"https://careers.example/link/{token}" in email.body_text
        assert "72 heures" in email.body_text
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "invitation_sent"))
        assert event.actor == staff.admin and "new@nds.example" in event.detail


def test_an_invited_account_cannot_sign_in_before_choosing_a_password(db_app, staff):
    with db_app.app_context():
        invite()
        with pytest.raises(accounts.AccountError) as refused:
            accounts.check_credentials(db.session, "new@nds.example", "", "192.0.2.1", NOW)
        assert refused.value.code == "invalid"


def test_inviting_an_address_that_has_an_account_is_refused(db_app, staff):
    with db_app.app_context():
        with pytest.raises(accounts.AccountError) as refused:
            invite(email="Assigned@NDS.example")
        assert refused.value.code == "email_taken"
        assert db.session.scalars(select(AccountToken)).all() == []


def test_an_invitation_is_accepted_once(db_app, staff):
    with db_app.app_context():
        user, token = invite()
        with pytest.raises(accounts.AccountError):
            account_links.accept_invitation(db.session, token, "short", now=NOW, ip_address="")
        accepted = account_links.accept_invitation(db.session, token, NEW_PASSWORD, now=NOW, ip_address="")
        assert accepted is user and accounts.check_password(user, NEW_PASSWORD)
        with pytest.raises(account_links.LinkError) as used:
            account_links.accept_invitation(db.session, token, NEW_PASSWORD, now=NOW, ip_address="")
        assert used.value.code == "used"
        with pytest.raises(account_links.LinkError) as resend:
            account_links.resend_invitation(
                db.session, user, language="en", by=user, now=NOW, ip_address="", link=Links()
            )
        assert resend.value.code == "used"


def test_links_expire_and_unknown_ones_are_unknown(db_app, staff):
    with db_app.app_context():
        _user, token = invite()
        later = NOW + account_links.INVITATION_LIFETIME
        with pytest.raises(account_links.LinkError) as expired:
            account_links.open_link(db.session, token, "invitation", later)
        assert expired.value.code == "expired"
        for wrong_token, purpose in ((token, "reset"), ("nothing", "invitation")):
            with pytest.raises(account_links.LinkError) as unknown:
                account_links.open_link(db.session, wrong_token, purpose, NOW)
            assert unknown.value.code == "unknown"


def test_a_new_invitation_voids_the_older_link(db_app, staff):
    with db_app.app_context():
        user, first = invite()
        links = Links()
        admin = accounts.find_user(db.session, staff.admin)
        account_links.resend_invitation(
            db.session, user, language="en", by=admin, now=NOW, ip_address="", link=links
        )
        with pytest.raises(account_links.LinkError):
            account_links.open_link(db.session, first, "invitation", NOW)
        assert account_links.open_link(db.session, links.tokens[0], "invitation", NOW)


def request_reset(email: str, now: datetime = NOW) -> Links:
    links = Links()
    account_links.request_reset(db.session, email, language="en", now=now, ip_address="192.0.2.1", link=links)
    return links


def test_a_reset_is_emailed_only_to_enabled_accounts_with_a_password(db_app, staff):
    with db_app.app_context():
        invite()
        for email in ("nobody@nds.example", staff.disabled, "new@nds.example"):
            request_reset(email)
        assert (
            db.session.scalars(select(OutboxEmail).where(OutboxEmail.recipient != "new@nds.example")).all()
            == []
        )
        assert db.session.scalars(select(AccountToken).where(AccountToken.purpose == "reset")).all() == []
        request_reset(" Assigned@NDS.example ")
        email = db.session.scalar(select(OutboxEmail).where(OutboxEmail.recipient == staff.assigned))
        assert email.language == "en" and "60 minutes" in email.body_text


def test_a_reset_sets_the_password_ends_every_session_and_is_used_up(db_app, staff):
    with db_app.app_context():
        user = accounts.find_user(db.session, staff.assigned)
        browser = accounts.open_session(db.session, user, "", NOW)
        older = request_reset(staff.assigned).tokens[0]
        newer = request_reset(staff.assigned, NOW + timedelta(minutes=1)).tokens[0]
        with pytest.raises(account_links.LinkError):
            account_links.reset_password(db.session, older, NEW_PASSWORD, now=NOW, ip_address="")
        account_links.reset_password(db.session, newer, NEW_PASSWORD, now=NOW, ip_address="192.0.2.1")
        assert accounts.check_password(user, NEW_PASSWORD) and not accounts.check_password(
            user, STAFF_PASSWORD
        )
        assert accounts.session_user(db.session, browser) is None
        assert all(s.revoked_at for s in db.session.scalars(select(StaffSession)))
        with pytest.raises(account_links.LinkError) as used:
            account_links.reset_password(db.session, newer, NEW_PASSWORD, now=NOW, ip_address="")
        assert used.value.code == "used"
        actions = db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)).all()
        assert actions.count("password_reset_requested") == 2 and actions[-1] == "password_reset"


def test_a_reset_link_lasts_an_hour(db_app, staff):
    with db_app.app_context():
        token = request_reset(staff.assigned).tokens[0]
        assert account_links.open_link(db.session, token, "reset", NOW + timedelta(minutes=59))
        with pytest.raises(account_links.LinkError) as expired:
            account_links.open_link(db.session, token, "reset", NOW + timedelta(hours=1))
        assert expired.value.code == "expired"
