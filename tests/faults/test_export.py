"""Reads never block writes: a CSV export being streamed (slowly, to a staff
member on a poor connection) holds no lock a submission needs."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, select

from portal.domain.models import Application
from portal.plumbing.db import db
from tests.records import HEAD, insert, new_application

pytestmark = pytest.mark.faults

FORM = "/en/jobs/head-of-product-management/apply"
EXPORT = "/en/staff/postings/head-product-management/export.csv"


def test_a_submission_completes_while_an_export_is_streamed(db_app, staff, application_form):
    # Enough applications for the export to be sent in several pieces, read
    # from the database in several batches.
    insert(db_app, *(new_application(HEAD) for _ in range(2500)))
    candidate = db_app.test_client()
    late = application_form(candidate, FORM, email="late@example.ca")

    admin = staff.client(staff.admin)
    export = admin.get(EXPORT, buffered=False)
    assert export.status_code == 200
    try:
        pieces = iter(export.response)
        first = next(pieces).decode()
        assert first.startswith("\ufeffReference")
        assert 0 < first.count("\n") < 2500, "the export is reading the applications now"
        # The export stays open, part read, while a candidate submits.
        with ThreadPoolExecutor(1) as pool:
            response = pool.submit(candidate.post, FORM, data=late).result(timeout=30)
        assert response.status_code == 303, "the submission did not wait for the export"
        rest = b"".join(pieces).decode()
        assert first.count("\n") + rest.count("\n") == 2501, "the export shows what it started with"
        assert "late@example.ca" not in rest
    finally:
        export.close()
    with db_app.app_context():
        assert db.session.scalar(select(func.count(Application.id))) == 2501
