"""Attacks on staff sessions: fixation, replay after sign-out, revocation,
account enumeration through the sign-in form, forged cookies.

Also proven elsewhere (not repeated here): the cookie's flags and __Host-
name (tests/security/test_headers.py, tests/web/staff/test_access.py
test_session_cookie_flags), a new session id at sign-in
(test_sign_in_renews_the_session), sessions ended by a password change,
disabling or demotion made through the domain
(test_account_changes_end_every_live_session), idle time-out and throttling.
"""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from portal.domain import passwords
from portal.domain.models import AuditEvent, Note
from portal.plumbing.db import db
from tests.conftest import STAFF_PASSWORD, form_tokens_csrf, sign_in

DASHBOARD = "/en/staff/"
SIGN_IN = {"en": "/en/staff/sign-in", "fr": "/fr/personnel/connexion"}
HEAD = "head-product-management"


def is_sign_in_redirect(response) -> bool:
    return response.status_code == 302 and "/staff/sign-in" in response.headers["Location"]


def count(app, model, **where) -> int:
    with app.app_context():
        query = select(func.count()).select_from(model)
        for name, value in where.items():
            query = query.where(getattr(model, name) == value)
        return db.session.scalar(query)


def test_a_cookie_planted_before_sign_in_never_becomes_a_staff_session(staff, db_app):
    """Fixation: the attacker makes a cookie and gets the victim's browser to
    use it; the victim signs in; the attacker's copy still signs no one in."""
    attacker = db_app.test_client()
    attacker.get(SIGN_IN["en"])
    planted = attacker.get_cookie("session").value
    victim = db_app.test_client()
    victim.set_cookie("session", planted)
    assert sign_in(victim, staff.assigned, STAFF_PASSWORD).status_code == 302
    assert victim.get(DASHBOARD).status_code == 200
    assert victim.get_cookie("session").value != planted
    assert is_sign_in_redirect(attacker.get(DASHBOARD))


def test_a_cookie_replayed_after_sign_out_cannot_post(staff, db_app, submitted):
    """Replay: a copy of the cookie taken before sign-out, with a valid CSRF
    token, cannot write a note: the server ended the session, not the browser."""
    client = staff.client(staff.assigned)
    application = f"/en/staff/applications/{submitted[HEAD]}/"
    token = form_tokens_csrf(client.get(application).get_data(as_text=True))
    copy = client.get_cookie("session").value
    assert client.post("/en/staff/sign-out", data={"csrf_token": token}).status_code == 302
    thief = db_app.test_client()
    thief.set_cookie("session", copy)
    response = thief.post(application + "notes", data={"csrf_token": token, "body": "Replayed"})
    assert is_sign_in_redirect(response)
    assert count(db_app, Note) == 0
    assert is_sign_in_redirect(thief.get(application))


def test_changing_ones_password_on_the_page_signs_out_every_other_browser(staff, db_app):
    laptop, phone = staff.client(staff.assigned), staff.client(staff.assigned)
    page = laptop.get("/en/staff/password").get_data(as_text=True)
    response = laptop.post(
        "/en/staff/password",
        data={
            "csrf_token": form_tokens_csrf(page),
            "current": STAFF_PASSWORD,
            "new": "a different long passphrase for tests",
            "confirm": "a different long passphrase for tests",
        },
    )
    assert response.status_code == 302
    assert is_sign_in_redirect(phone.get(DASHBOARD))
    assert is_sign_in_redirect(laptop.get(DASHBOARD))


@pytest.mark.parametrize(
    "cookie",
    [
        "garbage",
        "eyJzdGFmZl90b2tlbiI6ImFiYyJ9.Zz9Zzw.forged-signature",
        "." * 4000,
        "\u00e9t\u00e9",
    ],
)
def test_a_forged_or_garbled_cookie_is_a_visitor(db_app, staff, cookie):
    client = db_app.test_client()
    client.set_cookie("session", cookie)
    assert is_sign_in_redirect(client.get(DASHBOARD))
    assert client.get(SIGN_IN["en"]).status_code == 200


def _without_token(html: str) -> str:
    return re.sub(r'value="[^"]*"', 'value=""', html)


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_sign_in_answers_the_same_whoever_the_email_names(staff, db_app, lang, monkeypatch):
    """Enumeration: an unknown email, a wrong password and a disabled account
    get the same status, page, headers and audit entry, and each checks one
    password hash (so each takes as long)."""
    checks = []
    real_verify = passwords.verify

    def counting_verify(*args, **kwargs):
        checks.append(args[0])
        return real_verify(*args, **kwargs)

    monkeypatch.setattr(passwords, "verify", counting_verify)
    answers = []
    for email, password in (
        ("nobody@nds.example", STAFF_PASSWORD),
        (staff.assigned, "not the password"),
        (staff.disabled, STAFF_PASSWORD),
    ):
        client = db_app.test_client()
        client.environ_base["REMOTE_ADDR"] = f"192.0.2.{len(answers) + 1}"
        before = len(checks)
        response = sign_in(client, email, password, lang=lang)
        assert len(checks) == before + 1, f"{email}: {len(checks) - before} password checks"
        answers.append(
            (
                response.status_code,
                sorted(
                    name for name, _ in response.headers if name not in ("Content-Length", "X-Request-Id")
                ),
                _without_token(response.get_data(as_text=True)),
            )
        )
    assert answers[0] == answers[1] == answers[2]
    assert answers[0][0] == 200
    assert count(db_app, AuditEvent, action="sign_in_failed") == 3


def test_an_over_long_email_at_sign_in_gets_the_fields_message(staff, db_app):
    client = db_app.test_client()
    response = sign_in(client, "a" * 400 + "@nds.example", STAFF_PASSWORD)
    assert response.status_code == 200
    assert "Use 320 characters or fewer" in response.get_data(as_text=True)
    assert count(db_app, AuditEvent) == 0, "refused before any account is looked up"
