"""Invitations through the pages: an admin invites by email in the language
chosen, the link sets a first password once, and bad links say why."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pyotp
import pytest
from sqlalchemy import select, update

from portal.domain import accounts
from portal.domain.models import AccountToken, AuditEvent, OutboxEmail, Role, StaffSession
from portal.plumbing.db import db
from tests.conftest import form_tokens_csrf, sign_in

NEW_PASSWORD = "velvet lantern orbit pickle"
INVITE = {"en": "/en/staff/accounts/invite", "fr": "/fr/personnel/comptes/inviter"}


def invite(client, lang: str = "en", **overrides):
    html = client.get(INVITE[lang]).get_data(as_text=True)
    data = {
        "csrf_token": form_tokens_csrf(html),
        "email": "New.Member@NDS.example",
        "role": "reviewer",
        "postings": ["head-product-management"],
        "language": "fr",
        **overrides,
    }
    return client.post(INVITE[lang], data=data)


def invitation_link(db_app, recipient: str = "new.member@nds.example") -> str:
    """Return the path of the newest invitation link emailed to ``recipient``."""
    with db_app.app_context():
        email = db.session.scalars(
            select(OutboxEmail).where(OutboxEmail.recipient == recipient).order_by(OutboxEmail.id.desc())
        ).first()
        return re.search(r"https?://[^/\s]+(/\S+)", email.body_text).group(1)


def choose_password(client, path: str, password: str = NEW_PASSWORD, confirm: str | None = None):
    html = client.get(path).get_data(as_text=True)
    return client.post(
        path, data={"csrf_token": form_tokens_csrf(html), "new": password, "confirm": confirm or password}
    )


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_the_invitation_page_in_both_languages(staff, page, lang):
    result = page(staff.client(staff.admin).get(INVITE[lang]), lang=lang)
    assert result.h1 == {"en": "Invite a staff member", "fr": "Inviter un membre du personnel"}[lang]
    labels = {label["for"] for label in result.soup.select("form label")}
    assert {"email", "role", "language-0", "language-1"} <= labels
    ids = [tag["id"] for tag in result.soup.select("[id]")]
    assert len(ids) == len(set(ids))


def test_the_accounts_page_links_to_invitations(staff, page):
    result = page(staff.client(staff.admin).get("/en/staff/accounts/"))
    assert "/en/staff/accounts/invite" in result.links()


def test_an_invitation_creates_the_account_and_emails_the_link_in_the_chosen_language(staff, db_app):
    response = invite(staff.client(staff.admin))
    assert response.status_code == 302 and response.headers["Location"] == "/en/staff/accounts/"
    with db_app.app_context():
        user = accounts.find_user(db.session, "new.member@nds.example")
        assert user.role is Role.REVIEWER and not accounts.has_password(user)
        assert [a.posting_key for a in user.assignments] == ["head-product-management"]
        link = db.session.scalar(select(AccountToken))
        assert (link.purpose, link.staff_user_id, link.used_at) == ("invitation", user.id, None)
        email = db.session.scalar(select(OutboxEmail))
        assert email.language == "fr"
        assert email.subject == "Votre compte du personnel – Service numérique du Nord"
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "invitation_sent"))
        assert event.actor == staff.admin
    path = invitation_link(db_app)
    assert path.startswith("/fr/personnel/invitation/")
    assert link.token_hash not in path


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_inviting_an_address_that_has_an_account_is_refused(staff, db_app, page, lang):
    result = page(invite(staff.client(staff.admin), lang, email="Assigned@NDS.example"), lang=lang)
    assert (
        result.soup.select_one(".error-summary a").get_text()
        == {
            "en": "A staff account already has this email address.",
            "fr": "Un compte du personnel a déjà cette adresse courriel.",
        }[lang]
    )
    with db_app.app_context():
        assert db.session.scalars(select(AccountToken)).all() == []
        assert db.session.scalars(select(OutboxEmail)).all() == []


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_the_link_sets_the_password_once_and_signs_in(staff, db_app, page, lang):
    invite(staff.client(staff.admin), language=lang)
    path = invitation_link(db_app)
    client = db_app.test_client()
    form = page(client.get(path), lang=lang)
    assert form.h1 == {"en": "Choose your password", "fr": "Choisissez votre mot de passe"}[lang]
    weak = page(choose_password(client, path, "password1234"), lang=lang)
    assert weak.soup.select_one(".error-summary a")["href"] == "#new"
    different = page(choose_password(client, path, NEW_PASSWORD, "something else entirely"), lang=lang)
    assert different.soup.select_one(".error-summary a")["href"] == "#confirm"
    response = choose_password(client, path)
    assert response.status_code == 302
    assert client.get(response.headers["Location"]).status_code == 200
    with db_app.app_context():
        user = accounts.find_user(db.session, "new.member@nds.example")
        assert accounts.check_password(user, NEW_PASSWORD)
        assert db.session.scalar(select(AccountToken)).used_at is not None
        assert (
            len(db.session.scalars(select(StaffSession).where(StaffSession.staff_user_id == user.id)).all())
            == 1
        )
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "invitation_accepted"))
        assert event.actor == "new.member@nds.example"
    used = page(db_app.test_client().get(path), status=410, lang=lang)
    assert used.h1 == {"en": "This link was already used", "fr": "Ce lien a déjà été utilisé"}[lang]


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_expired_and_unknown_links_say_so(staff, db_app, page, lang):
    invite(staff.client(staff.admin), language=lang)
    path = invitation_link(db_app)
    client = db_app.test_client()
    token = form_tokens_csrf(client.get(path).get_data(as_text=True))
    with db_app.app_context():
        db.session.execute(update(AccountToken).values(expires_at=datetime.now(UTC) - timedelta(minutes=1)))
        db.session.commit()
    expired = page(client.get(path), status=410, lang=lang)
    assert expired.h1 == {"en": "This link has expired", "fr": "Ce lien a expiré"}[lang]
    late = client.post(path, data={"csrf_token": token, "new": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert late.status_code == 410
    unknown = page(client.get(path[:-4] + "abcd"), status=404, lang=lang)
    assert unknown.h1 == {"en": "This link does not work", "fr": "Ce lien ne fonctionne pas"}[lang]
    with db_app.app_context():
        assert not accounts.has_password(accounts.find_user(db.session, "new.member@nds.example"))


def test_an_invited_account_cannot_sign_in_with_an_empty_password(staff, db_app):
    invite(staff.client(staff.admin))
    response = sign_in(db_app.test_client(), "new.member@nds.example", "")
    assert response.status_code == 200


def test_an_invitation_is_sent_again_only_to_an_account_without_password(staff, db_app, page):
    admin = staff.client(staff.admin)
    invite(admin)
    first = invitation_link(db_app)
    with db_app.app_context():
        new_id = accounts.find_user(db.session, "new.member@nds.example").id
        reviewer_id = accounts.find_user(db.session, staff.assigned).id
    listed = page(admin.get("/en/staff/accounts/"))
    row = listed.soup.find("a", string="new.member@nds.example").find_parent("tr")
    assert [cell.get_text(strip=True) for cell in row.find_all("td")][1:3] == ["Invited", "Off"]
    account_page = page(admin.get(f"/en/staff/accounts/{new_id}"))
    form = account_page.soup.select_one("form[action$='/invite']")
    token = form.select_one("input[name='resend-csrf_token']")["value"]
    response = admin.post(form["action"], data={"resend-csrf_token": token, "resend-language": "en"})
    assert response.status_code == 302
    second = invitation_link(db_app)
    assert second != first and second.startswith("/en/staff/invitation/")
    assert db_app.test_client().get(first).status_code == 410
    assert db_app.test_client().get(second).status_code == 200
    # An account with a password has no invitation to resend.
    assert (
        page(admin.get(f"/en/staff/accounts/{reviewer_id}")).soup.select_one("form[action$='/invite']")
        is None
    )
    refused = admin.post(
        f"/en/staff/accounts/{reviewer_id}/invite", data={"resend-csrf_token": token, "resend-language": "en"}
    )
    assert refused.status_code == 302
    with db_app.app_context():
        assert (
            db.session.scalars(select(OutboxEmail).where(OutboxEmail.recipient == staff.assigned)).all() == []
        )
        assert (
            len(db.session.scalars(select(AuditEvent).where(AuditEvent.action == "invitation_sent")).all())
            == 2
        )


def test_a_required_second_factor_is_set_up_before_the_first_session(make_app, page):
    from tests.conftest import create_staff

    app = make_app(PORTAL_STAFF_TOTP="everyone", RATELIMIT_ENABLED=False)
    staff = create_staff(app)
    admin = staff.client(None)
    # The admin sets theirs up first (it is required of everyone).
    response = sign_in(admin, staff.admin, "correct horse battery staple")
    enrol_page = page(admin.get(response.headers["Location"]))
    secret = "".join(enrol_page.soup.select_one("figure.qr code").get_text().split())
    admin.post(
        response.headers["Location"],
        data={
            "csrf_token": form_tokens_csrf(enrol_page.response.get_data(as_text=True)),
            "code": pyotp.TOTP(secret).now(),
        },
    )
    invite(admin, language="en")
    client = app.test_client()
    response = choose_password(client, invitation_link(app))
    assert response.headers["Location"] == "/en/staff/sign-in/two-factor"
    with app.app_context():
        user = accounts.find_user(db.session, "new.member@nds.example")
        assert (
            db.session.scalars(select(StaffSession).where(StaffSession.staff_user_id == user.id)).all() == []
        )
    assert page(client.get("/en/staff/sign-in/two-factor")).h1 == "Set up two-step sign-in"
