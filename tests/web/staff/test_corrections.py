"""Correcting the pipeline through the staff pages: an admin moves an
application back to its previous status with a reason, no email goes out,
the history shows both rows; reviewers cannot; a candidate's own withdrawal
stays final. Both languages, SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from portal.domain.models import Application, Status, StatusChange
from portal.plumbing.db import db
from tests.conftest import form_tokens_csrf, parse_page
from tests.records import HEAD, audit_events, fetch, insert, new_application

APPLICATIONS = {"en": "/en/staff/applications", "fr": "/fr/personnel/candidatures"}
TEXT = {
    "en": {
        "block": "Correct the status",
        "done": "Status corrected back to “Screening”.",
        "correction": "Correction",
        "reason_error": "Write the reason for the correction",
        "final": "The candidate withdrew this application themselves: that is final.",
        "problem": "There is 1 problem on this page",
    },
    "fr": {
        "block": "Corriger l’état",
        "done": "État corrigé\u00a0: retour à «\u00a0Présélection\u00a0».",
        "correction": "Correction",
        "reason_error": "Écrivez le motif de la correction",
        "final": "La personne candidate a retiré elle-même cette candidature\u00a0: "
        "ce retrait est définitif.",
        "problem": "Il y a 1 problème sur cette page",
    },
}


def rejected_after_screening(app, **fields) -> int:
    """Store an application moved received → screening → rejected by the admin."""
    (application_id,) = insert(app, new_application(HEAD, status=Status.REJECTED, **fields))
    with app.app_context():
        found = db.session.get(Application, application_id)
        for minute, (before, after) in enumerate(
            ((Status.RECEIVED, Status.SCREENING), (Status.SCREENING, Status.REJECTED))
        ):
            found.status_changes.append(
                StatusChange(
                    from_status=before,
                    to_status=after,
                    reason="Not qualified" if after is Status.REJECTED else "",
                    changed_at=datetime(2026, 11, 2, 9, minute, tzinfo=UTC),
                )
            )
        db.session.commit()
    return application_id


def post_correction(client, page_url: str, reason: str):
    token = form_tokens_csrf(client.get(page_url).get_data(as_text=True))
    return client.post(
        f"{page_url}status/correction", data={"csrf_token": token, "correction-reason": reason}
    )


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_an_admin_reopens_a_rejection_and_the_history_keeps_both_rows(db_app, staff, lang):
    application_id = rejected_after_screening(db_app)
    page_url = f"{APPLICATIONS[lang]}/{application_id}/"
    admin = staff.client(staff.admin)
    before = parse_page(admin.get(page_url), lang=lang)
    assert before.soup.select_one("#correction textarea#correction-reason") is not None
    assert TEXT[lang]["block"] in before.text

    response = post_correction(admin, page_url, "Rejected by mistake: read the wrong résumé")

    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"{page_url}#pipeline")
    assert fetch(db_app, application_id)["status"] == Status.SCREENING
    assert [row[:3] for row in fetch(db_app, application_id)["history"]] == [
        (Status.RECEIVED, Status.SCREENING, ""),
        (Status.SCREENING, Status.REJECTED, "Not qualified"),
        (Status.REJECTED, Status.SCREENING, "Rejected by mistake: read the wrong résumé"),
    ]
    after = parse_page(admin.get(page_url), lang=lang)
    assert TEXT[lang]["done"] in after.text
    history = [item.get_text(" ", strip=True) for item in after.soup.select("ol.history")[0].select("li")]
    assert len(history) == 3
    assert TEXT[lang]["correction"] in history[2] and "Rejected by mistake" in history[2]
    assert TEXT[lang]["correction"] not in history[1] and "Not qualified" in history[1]
    (event,) = audit_events(db_app, "correct_status")
    assert (event.actor, event.role, event.application_id, event.detail) == (
        staff.admin,
        "admin",
        application_id,
        "rejected -> screening",
    )
    assert audit_events(db_app, "send_decision_email") == []


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_a_correction_without_a_reason_is_refused_with_an_error_summary(db_app, staff, lang):
    application_id = rejected_after_screening(db_app)
    page_url = f"{APPLICATIONS[lang]}/{application_id}/"
    admin = staff.client(staff.admin)

    page = parse_page(post_correction(admin, page_url, "   "), lang=lang)

    summary = page.soup.select_one(".error-summary")
    assert TEXT[lang]["problem"] in summary.get_text()
    assert summary.select_one("a[href='#correction-reason']").get_text() == TEXT[lang]["reason_error"]
    assert fetch(db_app, application_id)["status"] == Status.REJECTED
    assert audit_events(db_app, "correct_status") == []


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_a_reviewer_cannot_correct(db_app, staff, lang):
    application_id = rejected_after_screening(db_app)
    page_url = f"{APPLICATIONS[lang]}/{application_id}/"
    reviewer = staff.client(staff.assigned)
    page = parse_page(reviewer.get(page_url), lang=lang)
    assert page.soup.select_one("#correction") is None

    response = post_correction(reviewer, page_url, "I changed my mind")

    assert response.status_code in (403, 404)
    assert fetch(db_app, application_id)["status"] == Status.REJECTED


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_a_candidates_own_withdrawal_stays_final(db_app, staff, lang):
    (application_id,) = insert(db_app, new_application(HEAD, status=Status.WITHDRAWN))
    with db_app.app_context():
        found = db.session.get(Application, application_id)
        found.status_changes.append(
            StatusChange(
                from_status=Status.RECEIVED,
                to_status=Status.WITHDRAWN,
                by_candidate=True,
                changed_at=datetime(2026, 11, 2, 9, tzinfo=UTC),
            )
        )
        db.session.commit()
    page_url = f"{APPLICATIONS[lang]}/{application_id}/"
    admin = staff.client(staff.admin)
    page = parse_page(admin.get(page_url), lang=lang)
    assert page.soup.select_one("textarea#correction-reason") is None
    assert TEXT[lang]["final"] in page.text

    refused = parse_page(post_correction(admin, page_url, "Please reopen"), lang=lang)

    assert TEXT[lang]["final"] in refused.text
    assert fetch(db_app, application_id)["status"] == Status.WITHDRAWN
