"""Forgotten passwords through the pages: one answer whatever the address,
an email only to real enabled accounts, a one-hour single-use link that
ends every session, and a limit on requests per address."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, update

from portal.domain import accounts
from portal.domain.models import AccountToken, AuditEvent, OutboxEmail, StaffSession
from portal.plumbing.db import db
from tests.conftest import STAFF_PASSWORD, create_staff, form_tokens_csrf, sign_in

NEW_PASSWORD = "velvet lantern orbit pickle"
FORGOT = {"en": "/en/staff/forgot-password", "fr": "/fr/personnel/mot-de-passe-oublie"}
SIGN_IN = {"en": "/en/staff/sign-in", "fr": "/fr/personnel/connexion"}


def ask(client, email: str, lang: str = "en"):
    html = client.get(FORGOT[lang]).get_data(as_text=True)
    return client.post(FORGOT[lang], data={"csrf_token": form_tokens_csrf(html), "email": email})


def reset_link(db_app, recipient: str) -> str:
    with db_app.app_context():
        email = db.session.scalars(
            select(OutboxEmail).where(OutboxEmail.recipient == recipient).order_by(OutboxEmail.id.desc())
        ).first()
        return re.search(r"https?://[^/\s]+(/\S+)", email.body_text).group(1)


def choose_password(client, path: str, password: str = NEW_PASSWORD):
    html = client.get(path).get_data(as_text=True)
    return client.post(
        path, data={"csrf_token": form_tokens_csrf(html), "new": password, "confirm": password}
    )


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_the_sign_in_page_links_to_the_form(db_app, page, lang):
    sign_in_page = page(db_app.test_client().get(SIGN_IN[lang]), lang=lang)
    assert FORGOT[lang] in sign_in_page.links()
    form = page(db_app.test_client().get(FORGOT[lang]), lang=lang)
    assert form.h1 == {"en": "Forgot your password?", "fr": "Mot de passe oublié?"}[lang]
    assert form.soup.select_one("label[for=email]") is not None


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_the_answer_is_the_same_whatever_the_address(staff, db_app, page, lang):
    answers = set()
    for email in (staff.assigned, "nobody@nds.example", staff.disabled):
        result = page(ask(db_app.test_client(), email, lang), lang=lang)
        answers.add(str(result.soup.main))
    assert len(answers) == 1
    assert {"en": "Check your email", "fr": "Consultez vos courriels"}[lang] in answers.pop()
    with db_app.app_context():
        emails = db.session.scalars(select(OutboxEmail)).all()
        assert [(email.recipient, email.language) for email in emails] == [(staff.assigned, lang)]
        assert (
            emails[0].subject
            == {
                "en": "Choose a new password for your staff account",
                "fr": "Choisissez un nouveau mot de passe pour votre compte du personnel",
            }[lang]
        )
        assert len(db.session.scalars(select(AccountToken)).all()) == 1


def test_an_empty_address_gets_a_message(db_app, page):
    result = page(ask(db_app.test_client(), ""))
    assert result.soup.select_one(".error-summary a")["href"] == "#email"


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_the_link_sets_a_new_password_and_ends_every_session(staff, db_app, page, lang):
    signed_in = staff.client(staff.assigned)
    ask(db_app.test_client(), staff.assigned, lang)
    path = reset_link(db_app, staff.assigned)
    assert path.startswith(
        {"en": "/en/staff/reset-password/", "fr": "/fr/personnel/nouveau-mot-de-passe/"}[lang]
    )
    client = db_app.test_client()
    form = page(client.get(path), lang=lang)
    assert form.h1 == {"en": "Choose a new password", "fr": "Choisissez un nouveau mot de passe"}[lang]
    weak = page(choose_password(client, path, "password1234"), lang=lang)
    assert weak.soup.select_one(".error-summary a")["href"] == "#new"
    response = choose_password(client, path)
    assert response.status_code == 302 and response.headers["Location"] == SIGN_IN[lang]
    assert "sign-in" in signed_in.get("/en/staff/").headers["Location"]
    with db_app.app_context():
        user = accounts.find_user(db.session, staff.assigned)
        assert accounts.check_password(user, NEW_PASSWORD)
        sessions = db.session.scalars(select(StaffSession).where(StaffSession.staff_user_id == user.id)).all()
        assert sessions and all(session.revoked_at is not None for session in sessions)
        actions = db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)).all()
    assert actions[-1] == "password_reset" and "password_reset_requested" in actions
    # The new password signs in; the link works once.
    assert sign_in(db_app.test_client(), staff.assigned, NEW_PASSWORD).status_code == 302
    page(db_app.test_client().get(path), status=410, lang=lang)


def test_a_new_request_voids_the_older_link(staff, db_app):
    ask(db_app.test_client(), staff.assigned)
    first = reset_link(db_app, staff.assigned)
    ask(db_app.test_client(), staff.assigned)
    second = reset_link(db_app, staff.assigned)
    assert db_app.test_client().get(first).status_code == 410
    assert db_app.test_client().get(second).status_code == 200


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_a_link_older_than_an_hour_has_expired(staff, db_app, page, lang):
    ask(db_app.test_client(), staff.assigned, lang)
    path = reset_link(db_app, staff.assigned)
    with db_app.app_context():
        db.session.execute(update(AccountToken).values(expires_at=datetime.now(UTC) - timedelta(seconds=1)))
        db.session.commit()
    result = page(db_app.test_client().get(path), status=410, lang=lang)
    assert {"en": "Ask for a new link", "fr": "Demander un nouveau lien"}[lang] in result.text
    with db_app.app_context():
        assert accounts.check_password(accounts.find_user(db.session, staff.assigned), STAFF_PASSWORD)


def test_requests_are_limited_per_address(app):
    staff = create_staff(app)
    app.config["PORTAL_PASSWORD_RESET_RATE_LIMIT"] = "2 per hour"
    client = app.test_client()
    assert ask(client, staff.assigned).status_code == 200
    assert ask(client, "nobody@nds.example").status_code == 200
    assert ask(client, staff.admin).status_code == 429
    other = app.test_client()
    other.environ_base["REMOTE_ADDR"] = "198.51.100.20"
    assert ask(other, staff.admin).status_code == 200
    # The page itself is never limited.
    assert client.get(FORGOT["en"]).status_code == 200
