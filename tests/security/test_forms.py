"""Form tampering: a double submit makes one application, and a POST without
the right CSRF token changes nothing, on every form that writes.

Also proven elsewhere: two racing submissions of one form
(tests/domain/test_applications.py
test_a_double_click_racing_itself_creates_one_application), the application
form's CSRF refusals in both languages (tests/web/apply/test_form.py
test_post_without_csrf_token_is_refused,
test_post_with_another_sessions_csrf_token_is_refused).
"""

from __future__ import annotations

import io

import pytest
from sqlalchemy import func, select

from portal.domain.models import Application, AuditEvent, Note, OutboxEmail, Resume, StatusChange
from portal.plumbing.db import db
from tests.conftest import PDF, STAFF_PASSWORD, form_tokens_csrf

FORM = "/en/jobs/head-of-product-management/apply"
HEAD = "head-product-management"


def count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def actions(app) -> list[str]:
    with app.app_context():
        return db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)).all()


def test_a_form_sent_twice_makes_one_application_and_one_email(db_app, application_form):
    client = db_app.test_client()
    data = application_form(client, FORM)
    first = client.post(FORM, data=data)
    data["resume"] = (io.BytesIO(PDF), "cv-ada.pdf")
    second = client.post(FORM, data=data)
    assert first.status_code == second.status_code == 303
    assert first.headers["Location"] == second.headers["Location"]
    assert (count(db_app, Application), count(db_app, Resume), count(db_app, OutboxEmail)) == (1, 1, 1)


def test_two_forms_opened_side_by_side_make_two_applications(db_app, application_form):
    """The guard is per form, not per person: two tabs are two applications."""
    client = db_app.test_client()
    first, second = application_form(client, FORM), application_form(client, FORM)
    assert first["submission_token"] != second["submission_token"]
    assert client.post(FORM, data=first).status_code == 303
    assert client.post(FORM, data=second).status_code == 303
    assert count(db_app, Application) == 2


@pytest.mark.parametrize(
    "token",
    [None, "", "not-a-token", "IjEyMyI.ZZZZZZ.forged", "x" * 10_000],
    ids=["missing", "empty", "garbage", "forged", "huge"],
)
def test_the_application_form_without_its_token_stores_nothing(db_app, application_form, token):
    client = db_app.test_client()
    response = client.post(FORM, data=application_form(client, FORM, csrf_token=token))
    assert response.status_code == 400
    assert count(db_app, Application) == 0 and count(db_app, OutboxEmail) == 0


def staff_posts(submitted):
    """Every staff form that writes, with data it would accept."""
    application = f"/en/staff/applications/{submitted[HEAD]}/"
    return {
        "note": (application + "notes", {"body": "A note"}),
        "status": (application + "status", {"status": "screening"}),
        "bulk status": (f"/en/staff/postings/{HEAD}/status", {"status": "screening", "selected": "1"}),
        "password": (
            "/en/staff/password",
            {"current": STAFF_PASSWORD, "new": "another long passphrase here", "confirm": "x"},
        ),
        "sign out": ("/en/staff/sign-out", {}),
    }


@pytest.mark.parametrize("form", ["note", "status", "bulk status", "password", "sign out"])
@pytest.mark.parametrize("token", ["missing", "another browser's"])
def test_a_staff_form_without_its_token_changes_nothing(db_app, staff, submitted, form, token):
    client = staff.client(staff.admin)
    url, data = staff_posts(submitted)[form]
    if token != "missing":
        other = staff.client(staff.assigned)
        data = {**data, "csrf_token": form_tokens_csrf(other.get("/en/staff/").get_data(as_text=True))}
    before = actions(db_app)
    response = client.post(url, data=data)
    assert response.status_code == 400
    assert count(db_app, Note) == 0 and count(db_app, StatusChange) == 0
    assert actions(db_app) == [*before, "csrf_refused"], "only the refusal is audited"
    # Still signed in: even sign-out needs the token (no forced sign-out).
    assert client.get("/en/staff/").status_code == 200


def test_a_sign_in_without_its_token_signs_no_one_in(db_app, staff):
    client = db_app.test_client()
    response = client.post("/en/staff/sign-in", data={"email": staff.admin, "password": STAFF_PASSWORD})
    assert response.status_code == 400
    assert client.get("/en/staff/").status_code == 302
    assert actions(db_app) == ["csrf_refused"]
