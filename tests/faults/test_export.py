"""Reads never block writes: a CSV export being streamed (slowly, to a staff
member on a poor connection) holds no lock a submission needs."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, select

from portal.domain.models import Application
from portal.plumbing.db import db

pytestmark = pytest.mark.faults

FORM = "/en/jobs/head-of-product-management/apply"
EXPORT = "/en/staff/postings/head-product-management/export.csv"


def test_a_submission_completes_while_an_export_is_streamed(db_app, staff, application_form):
    candidate = db_app.test_client()
    for n in range(3):
        data = application_form(candidate, FORM, email=f"early{n}@example.ca")
        assert candidate.post(FORM, data=data).status_code == 303
    late = application_form(candidate, FORM, email="late@example.ca")

    admin = staff.client(staff.admin)
    export = admin.get(EXPORT, buffered=False)
    assert export.status_code == 200
    try:
        lines = (line.decode() for line in export.response)
        assert next(lines).startswith("\ufeffReference")
        assert "early0@example.ca" in next(lines), "the export is reading the applications now"
        # The export stays open, half read, while a candidate submits.
        with ThreadPoolExecutor(1) as pool:
            response = pool.submit(candidate.post, FORM, data=late).result(timeout=30)
        assert response.status_code == 303, "the submission did not wait for the export"
        assert len(list(lines)) == 2, "the export shows what it started with"
    finally:
        export.close()
    with db_app.app_context():
        assert db.session.scalar(select(func.count(Application.id))) == 4
