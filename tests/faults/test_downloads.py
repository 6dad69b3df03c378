"""Résumés named in any language download from gunicorn itself (a WSGI server
sends only Latin-1 headers: a raw UTF-8 name once gave a bare 500 after the
download had been audited)."""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import quote, urlencode

import pytest
from sqlalchemy import select

from portal.domain import accounts
from portal.domain.models import Application, AuditEvent
from portal.plumbing.db import db
from tests.conftest import PDF, STAFF_PASSWORD, form_tokens_csrf
from tests.faults.conftest import Client, dispose, fill_form, submit

pytestmark = pytest.mark.faults

STAFF = "downloads@nds.example"
#: The name a candidate gave, and the plain ASCII name every browser understands.
NAMES = {
    "CV d’Amélie.pdf": "CV d'Amelie.pdf",
    "CV – Éloïse.pdf": "CV - Eloise.pdf",
    "Резюме Ольги.pdf": "resume.pdf",
    "履歴書.pdf": "resume.pdf",
    "CV 🚀 Zoë.pdf": "CV _ Zoe.pdf",
}


def test_a_resume_named_in_any_language_downloads_with_its_name(database, serve):
    server = serve(database.url)
    for n, name in enumerate(NAMES):
        candidate = Client(server)
        filled = fill_form(candidate, n)
        filled.files["resume"] = (name, PDF)
        answer, reference = submit(candidate, filled)
        assert reference is not None, answer.body[-1500:]

    app = database.app(PORTAL_PASSWORD_HASH_METHOD="argon2id:1:8:1")
    with app.app_context():
        accounts.create_user(db.session, STAFF, STAFF_PASSWORD, "admin", now=datetime.now(UTC))
        db.session.commit()
        ids = {
            row.resume.filename: row.id
            for row in db.session.scalars(select(Application).order_by(Application.id))
        }
    assert set(ids) == set(NAMES), "the names are stored as the candidate gave them"

    staff = Client(server)
    page = staff.get("/en/staff/sign-in")
    signed_in = staff.request(
        "POST",
        "/en/staff/sign-in",
        urlencode(
            {"csrf_token": form_tokens_csrf(page.body), "email": STAFF, "password": STAFF_PASSWORD}
        ).encode(),
        {"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert signed_in.status == 302, signed_in.body[-1500:]

    for name, fallback in NAMES.items():
        download = staff.request("GET", f"/en/staff/applications/{ids[name]}/resume")
        assert download.status == 200, (name, download.body[-1500:])
        disposition = download.headers["Content-Disposition"]
        assert disposition.startswith("attachment;")
        assert f'filename="{fallback}"' in disposition or f"filename={fallback};" in disposition
        assert f"filename*=UTF-8''{quote(name, safe='')}" in disposition.replace("%2E", ".")
        assert download.headers["Content-Type"] == "application/pdf"

    with app.app_context():
        downloads = db.session.scalars(
            select(AuditEvent.application_id).where(AuditEvent.action == "download_resume")
        ).all()
    dispose(app)
    assert sorted(downloads) == sorted(ids.values()), "one audit entry per download that was served"
