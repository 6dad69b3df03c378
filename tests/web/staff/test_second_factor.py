"""Two-step sign-in through the pages: setting it up with a QR code and a
key, the code step after the password (no session before it), recovery
codes, the PORTAL_STAFF_TOTP requirement, and an admin's reset."""

from __future__ import annotations

import time

import pyotp
import pytest
from sqlalchemy import select

from portal.domain import accounts, second_factor
from portal.domain.models import AuditEvent, RecoveryCode, StaffSession
from portal.plumbing.db import db
from tests.conftest import STAFF_PASSWORD, form_tokens_csrf, sign_in

URLS = {
    "en": {
        "settings": "/en/staff/two-factor/",
        "enrol": "/en/staff/two-factor/set-up",
        "code": "/en/staff/sign-in/code",
        "sign_in_enrol": "/en/staff/sign-in/two-factor",
        "renew": "/en/staff/two-factor/recovery-codes",
        "off": "/en/staff/two-factor/turn-off",
        "password": "/en/staff/password",
    },
    "fr": {
        "settings": "/fr/personnel/deux-facteurs/",
        "enrol": "/fr/personnel/deux-facteurs/configuration",
        "code": "/fr/personnel/connexion/code",
        "sign_in_enrol": "/fr/personnel/connexion/deux-facteurs",
        "renew": "/fr/personnel/deux-facteurs/codes-de-recuperation",
        "off": "/fr/personnel/deux-facteurs/desactiver",
        "password": "/fr/personnel/mot-de-passe",
    },
}


def key_on(page) -> str:
    """Return the secret a set-up page shows as text."""
    return "".join(page.soup.select_one("figure.qr code").get_text().split())


def next_code(secret: str) -> str:
    """A code of the next time step: the step used to set up is spent."""
    return pyotp.TOTP(secret).at(time.time() + 30)


def enrol(client, page, lang: str = "en", url: str | None = None) -> tuple[str, list[str]]:
    """Set up the second factor through the page; return the secret and the recovery codes."""
    url = url or URLS[lang]["enrol"]
    shown = page(client.get(url), lang=lang)
    secret = key_on(shown)
    response = client.post(
        url,
        data={
            "csrf_token": form_tokens_csrf(shown.response.get_data(as_text=True)),
            "code": pyotp.TOTP(secret).now(),
        },
    )
    codes_page = page(response, lang=lang)
    codes = [code.get_text() for code in codes_page.soup.select("ol.recovery-codes code")]
    return secret, codes


def post_code(client, code: str, lang: str = "en", csrf_token: str | None = None):
    if csrf_token is None:
        csrf_token = form_tokens_csrf(client.get(URLS[lang]["code"]).get_data(as_text=True))
    return client.post(URLS[lang]["code"], data={"csrf_token": csrf_token, "code": code})


def live_sessions(db_app, email: str) -> int:
    with db_app.app_context():
        user = accounts.find_user(db.session, email)
        return len(
            db.session.scalars(
                select(StaffSession).where(
                    StaffSession.staff_user_id == user.id, StaffSession.revoked_at.is_(None)
                )
            ).all()
        )


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_the_set_up_page_shows_a_qr_code_and_the_key_as_text(staff, page, lang):
    client = staff.client(staff.assigned)
    result = page(client.get(URLS[lang]["enrol"]), lang=lang)
    assert (
        result.h1 == {"en": "Set up two-step sign-in", "fr": "Configurer la connexion en deux étapes"}[lang]
    )
    svg = result.soup.select_one("figure.qr svg")
    assert svg["role"] == "img"
    assert (
        svg.title.get_text()
        == {
            "en": "QR code to scan with your authenticator app",
            "fr": "Code QR à balayer avec votre application d’authentification",
        }[lang]
    )
    key = result.soup.select_one("figure.qr code").get_text()
    assert len(key.split()) == 8 and all(len(group) == 4 for group in key.split())
    assert result.soup.select_one("label[for=code]") is not None
    assert not result.soup.find("script")


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_a_wrong_code_does_not_turn_it_on(staff, db_app, page, lang):
    client = staff.client(staff.assigned)
    html = client.get(URLS[lang]["enrol"]).get_data(as_text=True)
    response = client.post(URLS[lang]["enrol"], data={"csrf_token": form_tokens_csrf(html), "code": "12345x"})
    result = page(response, lang=lang)
    assert result.soup.select_one(".error-summary a")["href"] == "#code"
    assert (
        result.soup.select_one("#code-error")
        .get_text(strip=True)
        .endswith(
            {
                "en": "This code is not right. Check the app and enter the code it shows now.",
                "fr": "Ce code est erroné. Vérifiez l’application et entrez le code "
                "qu’elle affiche maintenant.",
            }[lang]
        )
    )
    with db_app.app_context():
        assert accounts.find_user(db.session, staff.assigned).totp_secret is None


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_setting_up_shows_ten_recovery_codes_once(staff, db_app, page, lang):
    client = staff.client(staff.assigned)
    secret, codes = enrol(client, page, lang)
    assert len(codes) == 10
    with db_app.app_context():
        user = accounts.find_user(db.session, staff.assigned)
        assert user.totp_secret == secret
        assert len(db.session.scalars(select(RecoveryCode)).all()) == 10
    settings = page(client.get(URLS[lang]["settings"]), lang=lang)
    assert not set(codes) & set(settings.text.split())
    assert {
        "en": "You have 10 unused recovery codes.",
        "fr": "Il vous reste 10 codes de récupération inutilisés.",
    }[lang] in settings.text
    # Once on, the set-up page sends back to the settings.
    assert client.get(URLS[lang]["enrol"]).headers["Location"] == URLS[lang]["settings"]


def test_sign_in_asks_for_the_code_before_any_session_exists(staff, db_app, page):
    secret, _codes = enrol(staff.client(staff.assigned), page)
    client = db_app.test_client()
    before = live_sessions(db_app, staff.assigned)
    response = sign_in(
        client, staff.assigned, STAFF_PASSWORD, next_url="/en/staff/postings/head-product-management/"
    )
    assert response.status_code == 302 and response.headers["Location"] == "/en/staff/sign-in/code"
    assert live_sessions(db_app, staff.assigned) == before
    # The password alone opens nothing.
    assert "/en/staff/sign-in" in client.get("/en/staff/").headers["Location"]
    result = page(client.get("/en/staff/sign-in/code"), lang="en")
    assert result.h1 == "Enter your sign-in code"
    response = post_code(client, next_code(secret))
    assert response.status_code == 302
    assert response.headers["Location"] == "/en/staff/postings/head-product-management/"
    assert client.get("/en/staff/").status_code == 200
    assert live_sessions(db_app, staff.assigned) == before + 1


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_a_wrong_code_is_refused_audited_and_throttled(staff, db_app, page, lang):
    secret, _codes = enrol(staff.client(staff.assigned), page)
    client = db_app.test_client()
    client.environ_base["REMOTE_ADDR"] = "203.0.113.20"
    sign_in(client, staff.assigned, STAFF_PASSWORD, lang=lang)
    result = page(post_code(client, "000000", lang), lang=lang)
    assert (
        result.soup.select_one(".error-summary a").get_text()
        == {
            "en": "This code is not right. Try the newest code your app shows.",
            "fr": "Ce code est erroné. Essayez le code le plus récent qu’affiche votre application.",
        }[lang]
    )
    for _ in range(accounts.FREE_FAILURES - 1):
        assert post_code(client, "000000", lang).status_code == 200
    refused = post_code(client, next_code(secret), lang)
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) > 0
    with db_app.app_context():
        failed = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "sign_in_failed")).all()
    assert len(failed) == accounts.FREE_FAILURES
    assert {(event.actor, event.ip_address, event.detail) for event in failed} == {
        (staff.assigned, "203.0.113.20", "second factor")
    }


def test_a_code_is_never_accepted_twice(staff, db_app, page):
    secret, _codes = enrol(staff.client(staff.assigned), page)
    code = next_code(secret)
    first = db_app.test_client()
    sign_in(first, staff.assigned, STAFF_PASSWORD)
    assert post_code(first, code).status_code == 302
    second = db_app.test_client()
    sign_in(second, staff.assigned, STAFF_PASSWORD)
    assert post_code(second, code).status_code == 200


def test_a_recovery_code_signs_in_once(staff, db_app, page):
    _secret, codes = enrol(staff.client(staff.assigned), page)
    client = db_app.test_client()
    sign_in(client, staff.assigned, STAFF_PASSWORD)
    assert post_code(client, codes[0]).status_code == 302
    again = db_app.test_client()
    sign_in(again, staff.assigned, STAFF_PASSWORD)
    assert post_code(again, codes[0]).status_code == 200
    with db_app.app_context():
        assert (
            second_factor.remaining_recovery_codes(db.session, accounts.find_user(db.session, staff.assigned))
            == 9
        )


def test_the_code_step_expires_after_five_minutes(staff, db_app, page, monkeypatch):
    secret, _codes = enrol(staff.client(staff.assigned), page)
    client = db_app.test_client()
    sign_in(client, staff.assigned, STAFF_PASSWORD)
    token = form_tokens_csrf(client.get(URLS["en"]["code"]).get_data(as_text=True))
    later = time.time() + 5 * 60 + 5
    monkeypatch.setattr("portal.web.staff.auth.time.time", lambda: later)
    response = post_code(client, next_code(secret), csrf_token=token)
    assert response.status_code == 302 and response.headers["Location"] == "/en/staff/sign-in"
    assert "Your sign-in took too long" in client.get("/en/staff/sign-in").get_data(as_text=True)
    assert live_sessions(db_app, staff.assigned) == 1  # the browser that set it up


def test_a_password_change_voids_a_pending_code_step(staff, db_app, page):
    secret, _codes = enrol(staff.client(staff.assigned), page)
    client = db_app.test_client()
    sign_in(client, staff.assigned, STAFF_PASSWORD)
    token = form_tokens_csrf(client.get(URLS["en"]["code"]).get_data(as_text=True))
    with db_app.app_context():
        accounts.set_password(
            db.session, accounts.find_user(db.session, staff.assigned), "another long passphrase"
        )
        db.session.commit()
    response = post_code(client, next_code(secret), csrf_token=token)
    assert response.status_code == 302 and response.headers["Location"] == "/en/staff/sign-in"
    assert live_sessions(db_app, staff.assigned) == 0


def test_no_code_step_without_a_correct_password(db_app, staff):
    client = db_app.test_client()
    response = client.get("/en/staff/sign-in/code")
    assert response.status_code == 302 and response.headers["Location"] == "/en/staff/sign-in"


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_renewing_codes_and_turning_off_need_the_password(staff, db_app, page, lang):
    client = staff.client(staff.assigned)
    _secret, codes = enrol(client, page, lang)
    html = client.get(URLS[lang]["settings"]).get_data(as_text=True)
    token = form_tokens_csrf(html)
    wrong = page(
        client.post(URLS[lang]["renew"], data={"renew-csrf_token": token, "renew-password": "nope"}),
        lang=lang,
    )
    assert wrong.soup.select_one(".error-summary a")["href"] == "#renew-password"
    renewed = page(
        client.post(URLS[lang]["renew"], data={"renew-csrf_token": token, "renew-password": STAFF_PASSWORD}),
        lang=lang,
    )
    new_codes = [code.get_text() for code in renewed.soup.select("ol.recovery-codes code")]
    assert len(new_codes) == 10 and not set(new_codes) & set(codes)
    response = client.post(URLS[lang]["off"], data={"off-csrf_token": token, "off-password": STAFF_PASSWORD})
    assert response.status_code == 302
    with db_app.app_context():
        user = accounts.find_user(db.session, staff.assigned)
        assert user.totp_secret is None
        actions = db.session.scalars(select(AuditEvent.action)).all()
    assert {"second_factor_enabled", "recovery_codes_renewed", "second_factor_disabled"} <= set(actions)
    # Signing in is back to the password alone.
    assert sign_in(db_app.test_client(), staff.assigned, STAFF_PASSWORD).headers["Location"] == "/en/staff/"


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_a_required_second_factor_is_set_up_right_after_the_password(make_app, page, lang):
    from tests.conftest import create_staff

    app = make_app(PORTAL_STAFF_TOTP="admins", RATELIMIT_ENABLED=False)
    staff = create_staff(app)
    # Reviewers are not concerned.
    assert sign_in(app.test_client(), staff.assigned, STAFF_PASSWORD).headers["Location"] == "/en/staff/"
    client = app.test_client()
    response = sign_in(client, staff.admin, STAFF_PASSWORD, lang=lang)
    assert response.headers["Location"] == URLS[lang]["sign_in_enrol"]
    assert live_sessions(app, staff.admin) == 0
    # Nothing else opens until it is set up.
    assert (
        "sign-in" in client.get("/en/staff/").headers["Location"]
        or "connexion" in client.get("/en/staff/").headers["Location"]
    )
    result = page(client.get(URLS[lang]["sign_in_enrol"]), lang=lang)
    assert {
        "en": "Your role requires two-step sign-in",
        "fr": "Votre rôle exige la connexion en deux étapes",
    }[lang] in result.text
    _secret, codes = enrol(client, page, lang, url=URLS[lang]["sign_in_enrol"])
    assert len(codes) == 10
    assert client.get("/en/staff/").status_code == 200
    assert live_sessions(app, staff.admin) == 1
    # It cannot be turned off while the role requires it.
    settings = page(client.get(URLS[lang]["settings"]), lang=lang)
    assert settings.soup.find(id="off-password") is None
    token = form_tokens_csrf(settings.response.get_data(as_text=True))
    refused = client.post(URLS[lang]["off"], data={"off-csrf_token": token, "off-password": STAFF_PASSWORD})
    assert refused.status_code == 302
    assert {
        "en": "Your role requires two-step sign-in: it cannot be turned off.",
        "fr": "Votre rôle exige la connexion en deux étapes\u00a0: elle ne peut pas être désactivée.",
    }[lang] in page(client.get(refused.headers["Location"]), lang=lang).text
    with app.app_context():
        assert second_factor.enrolled(accounts.find_user(db.session, staff.admin))


def test_a_session_from_before_the_requirement_is_sent_to_set_it_up(staff, db_app, page):
    client = staff.client(staff.admin)
    db_app.config["PORTAL_STAFF_TOTP"] = "everyone"
    response = client.get("/en/staff/equity/")
    assert response.status_code == 302 and response.headers["Location"] == "/en/staff/two-factor/set-up"
    enrol(client, page)
    assert client.get("/en/staff/equity/").status_code == 200


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_an_admin_resets_a_lost_second_factor(staff, db_app, page, lang):
    reviewer = staff.client(staff.assigned)
    enrol(reviewer, page)
    admin = staff.client(staff.admin)
    with db_app.app_context():
        reviewer_id = accounts.find_user(db.session, staff.assigned).id
        admin_id = accounts.find_user(db.session, staff.admin).id
    account_url = {"en": f"/en/staff/accounts/{reviewer_id}", "fr": f"/fr/personnel/comptes/{reviewer_id}"}[
        lang
    ]
    account_page = page(admin.get(account_url), lang=lang)
    form = account_page.soup.select_one("form[action$=two-factor], form[action$=deux-facteurs]")
    response = admin.post(form["action"], data={"csrf_token": form_tokens_csrf(str(form))})
    assert response.status_code == 302 and response.headers["Location"] == account_url
    assert {
        "en": "Two-step sign-in of assigned@nds.example is reset",
        "fr": "La connexion en deux étapes de assigned@nds.example est réinitialisée",
    }[lang] in admin.get(account_url).get_data(as_text=True)
    assert "sign-in" in reviewer.get("/en/staff/").headers["Location"]
    with db_app.app_context():
        assert not second_factor.enrolled(accounts.find_user(db.session, staff.assigned))
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "second_factor_reset"))
        assert (event.actor, event.detail) == (staff.admin, staff.assigned)
        resets = [event.id]
    # An admin's own is turned off from their own page, with their password.
    own = admin.post(
        f"/en/staff/accounts/{admin_id}/two-factor",
        data={"csrf_token": form_tokens_csrf(account_page.response.get_data(as_text=True))},
    )
    assert own.status_code == 302
    with db_app.app_context():
        assert (
            db.session.scalars(select(AuditEvent.id).where(AuditEvent.action == "second_factor_reset")).all()
            == resets
        )


def test_the_pending_state_carries_no_secret(staff, db_app, page):
    """The enrolment secret is derived on the server; the cookie holds a nonce only."""
    client = staff.client(staff.assigned)
    shown = page(client.get("/en/staff/two-factor/set-up"))
    secret = key_on(shown)
    with client.session_transaction() as state:
        assert secret not in repr(dict(state))
