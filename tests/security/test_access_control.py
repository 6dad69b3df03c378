"""Broken access control, probed by a reviewer who guesses: other postings'
applications, résumés, notes, statuses and exports by id or key.

The guard on every staff route, and the full matrix of who may open what,
are in tests/web/staff/test_access.py
(test_every_staff_route_is_guarded_and_in_the_matrix fails when a new staff
route has no @access guard; test_access_matrix); bulk moves across postings
in tests/web/staff/test_review.py
(test_bulk_change_cannot_reach_another_postings_applications).
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from portal.domain.models import Application, AuditEvent, Note, Status, StatusChange
from portal.plumbing.db import db
from tests.conftest import form_tokens_csrf

HEAD = "head-product-management"
OTHER = "senior-python-developer"
#: Ids no application has: zero, negative, past the last, past a database integer.
IMPOSSIBLE_IDS = ["0", "-1", "999999", str(2**63), str(10**30)]


def snapshot(app):
    """Return what a write could have changed: statuses, notes, status changes."""
    with app.app_context():
        return (
            {a.id: a.status for a in db.session.scalars(select(Application))},
            db.session.scalars(select(Note.application_id)).all(),
            db.session.scalars(select(StatusChange.application_id)).all(),
        )


def audited_ids(app, action: str) -> list[int]:
    with app.app_context():
        return db.session.scalars(select(AuditEvent.application_id).where(AuditEvent.action == action)).all()


def test_a_reviewer_guessing_ids_reaches_only_their_postings_applications(db_app, staff, submitted):
    client = staff.client(staff.assigned)
    token = form_tokens_csrf(client.get("/en/staff/").get_data(as_text=True))
    before = snapshot(db_app)
    mine, theirs = submitted[HEAD], submitted[OTHER]
    for guess in [str(theirs), *IMPOSSIBLE_IDS]:
        base = f"/en/staff/applications/{guess}/"
        for response in (
            client.get(base),
            client.get(base + "resume"),
            client.post(base + "notes", data={"csrf_token": token, "body": "Guessed"}),
            client.post(base + "status", data={"csrf_token": token, "status": "screening"}),
        ):
            assert response.status_code == 404, (guess, response.request.path, response.status_code)
            assert b"Ada Tremblay" not in response.data
    assert snapshot(db_app) == before, "nothing changed"
    assert audited_ids(db_app, "view_application") == []
    assert audited_ids(db_app, "download_resume") == []
    # The reviewer's own application opens, and only that access is audited.
    assert client.get(f"/en/staff/applications/{mine}/").status_code == 200
    assert audited_ids(db_app, "view_application") == [mine]


@pytest.mark.parametrize(
    "key",
    [
        OTHER,
        HEAD.upper(),
        HEAD + " ",
        HEAD + "%00",
        f"{HEAD}%2F..%2F{OTHER}",
        "%2A",
        "%25",
        "x" * 1000,
    ],
)
def test_a_reviewer_guessing_posting_keys_sees_no_other_list(db_app, staff, submitted, key):
    client = staff.client(staff.assigned)
    response = client.get(f"/en/staff/postings/{key}/")
    assert response.status_code == 404
    assert b"Ada Tremblay" not in response.data


@pytest.mark.parametrize("key", [HEAD, OTHER, "%2A", "x" * 1000])
def test_a_reviewer_cannot_export_any_posting_and_nothing_is_audited(db_app, staff, submitted, key):
    client = staff.client(staff.assigned)
    response = client.get(f"/en/staff/postings/{key}/export.csv", buffered=True)
    assert response.status_code == 404
    assert response.mimetype == "text/html"
    assert audited_ids(db_app, "export_csv") == []


def test_a_reviewer_cannot_move_another_postings_application_through_its_own_form(db_app, staff, submitted):
    """The status form of an application the reviewer may see, pointed at
    another posting's id, changes nothing."""
    client = staff.client(staff.assigned)
    page = client.get(f"/en/staff/applications/{submitted[HEAD]}/").get_data(as_text=True)
    response = client.post(
        f"/en/staff/applications/{submitted[OTHER]}/status",
        data={"csrf_token": form_tokens_csrf(page), "status": "rejected", "reason": "Guessed"},
    )
    assert response.status_code == 404
    with db_app.app_context():
        assert db.session.get(Application, submitted[OTHER]).status is Status.RECEIVED
