"""The audit log through HTTP: role and outcome columns in both languages, the
outcome filter, and refusals (a refused CSRF token, a denied page) committed
even though the response is an error."""

from __future__ import annotations

import pytest
from sqlalchemy.exc import OperationalError

from portal.domain import audit
from tests.conftest import form_tokens_csrf, parse_page, sign_in
from tests.records import HEAD, PYTHON, audit_events, insert, new_application

AUDIT = {"en": "/en/staff/audit/", "fr": "/fr/personnel/journal/"}
LABELS = {
    "en": {"role": "Role", "outcome": "Outcome", "done": "Done", "refused": "Refused", "failed": "Failed"},
    "fr": {"role": "Rôle", "outcome": "Résultat", "done": "Réussi", "refused": "Refusé", "failed": "Échoué"},
}
ROLES = {
    "en": {"admin": "Administrator", "reviewer": "Reviewer"},
    "fr": {"admin": "Administratrice ou administrateur"},
}


def rows(soup) -> list[dict[str, str]]:
    """Return the entries of the audit table by column heading."""
    headings = [th.get_text(" ", strip=True) for th in soup.select("table.data-table thead th")]
    return [
        dict(zip(headings, (td.get_text(" ", strip=True) for td in row.find_all("td"))))
        for row in soup.select("table.data-table tbody tr")
        if len(row.find_all("td")) == len(headings)
    ]


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_the_log_shows_each_entrys_role_and_outcome_and_filters_by_outcome(db_app, staff, lang):
    sign_in(db_app.test_client(), "nobody@example.com", "a guess")
    staff.client(staff.assigned)
    admin = staff.client(staff.admin)
    labels = LABELS[lang]

    page = parse_page(admin.get(AUDIT[lang]), lang=lang)
    entries = rows(page.soup)
    assert {labels["role"], labels["outcome"]} <= set(entries[0])
    by_actor = {entry[list(entry)[1]]: entry for entry in entries}
    assert by_actor["nobody@example.com"][labels["outcome"]] == labels["failed"]
    assert by_actor["nobody@example.com"][labels["role"]] == "—"
    assert by_actor[staff.assigned][labels["outcome"]] == labels["done"]
    assert by_actor[staff.admin][labels["role"]] == ROLES[lang]["admin"]
    options = [option.get_text(strip=True) for option in page.soup.select("select#outcome option")]
    assert options[1:] == [labels["done"], labels["refused"], labels["failed"]]

    failed = rows(parse_page(admin.get(AUDIT[lang], query_string={"outcome": "failed"})).soup)
    assert [entry[labels["outcome"]] for entry in failed] == [labels["failed"]]
    selected = parse_page(admin.get(AUDIT[lang], query_string={"outcome": "failed"})).soup
    assert selected.select_one("select#outcome option[selected]")["value"] == "failed"
    assert (
        len(rows(parse_page(admin.get(AUDIT[lang], query_string={"outcome": "nonsense"})).soup))
        == len(entries) + 0
    )


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_a_refused_csrf_token_is_recorded_and_committed(db_app, staff, lang):
    (application_id,) = insert(db_app, new_application(HEAD))
    reviewer = staff.client(staff.assigned)
    url = {
        "en": f"/en/staff/applications/{application_id}/notes",
        "fr": f"/fr/personnel/candidatures/{application_id}/notes",
    }[lang]
    response = reviewer.post(url, data={"csrf_token": "forged", "body": "Secret note text"})
    page = parse_page(response, status=400, lang=lang)
    assert page.h1 == {"en": "This form has expired", "fr": "Ce formulaire a expiré"}[lang]

    (event,) = audit_events(db_app, "csrf_refused")
    assert (event.actor, event.role, event.outcome, event.ip_address) == (
        staff.assigned,
        "reviewer",
        "refused",
        "127.0.0.1",
    )
    assert event.staff_user_id is not None
    assert event.detail == f"POST {url}"
    assert all("Secret note text" not in e.detail for e in audit_events(db_app))
    assert audit_events(db_app, "add_note") == []


def test_a_refused_csrf_token_on_the_public_form_names_no_one(db_app, application_form):
    client = db_app.test_client()
    url = "/en/jobs/head-of-product-management/apply"
    data = application_form(client, url, csrf_token=None)
    assert client.post(url, data=data).status_code == 400
    (event,) = audit_events(db_app, "csrf_refused")
    assert (event.actor, event.role, event.staff_user_id, event.outcome) == ("", "", None, "refused")
    assert event.detail == f"POST {url}"
    assert "Ada" not in event.detail


@pytest.mark.parametrize(
    "path",
    ["/en/staff/audit/", "/fr/personnel/equite/", f"/en/staff/postings/{HEAD}/export.csv"],
)
def test_a_page_refused_by_role_is_recorded(db_app, staff, path):
    reviewer = staff.client(staff.assigned)
    assert reviewer.get(path).status_code == 404
    (event,) = audit_events(db_app, "access_refused")
    assert (event.actor, event.role, event.outcome, event.detail) == (
        staff.assigned,
        "reviewer",
        "refused",
        f"GET {path}",
    )
    assert audit_events(db_app, "export_csv") == []


def test_a_posting_and_an_application_refused_by_assignment_are_recorded(db_app, staff):
    head_id, python_id = insert(db_app, new_application(HEAD), new_application(PYTHON))
    reviewer = staff.client(staff.assigned)
    assert reviewer.get(f"/en/staff/postings/{PYTHON}/").status_code == 404
    assert reviewer.get(f"/en/staff/applications/{python_id}/").status_code == 404
    assert reviewer.get(f"/en/staff/applications/{python_id}/resume").status_code == 404
    token = form_tokens_csrf(reviewer.get(f"/en/staff/applications/{head_id}/").get_data(as_text=True))
    response = reviewer.post(
        f"/fr/personnel/candidatures/{python_id}/status",
        data={"csrf_token": token, "status": "screening"},
    )
    assert response.status_code == 404
    events = [
        (e.application_id, e.posting_key, e.detail, e.outcome) for e in audit_events(db_app, "access_refused")
    ]
    assert events == [
        (None, PYTHON, f"GET /en/staff/postings/{PYTHON}/", "refused"),
        (python_id, PYTHON, f"GET /en/staff/applications/{python_id}/", "refused"),
        (python_id, PYTHON, f"GET /en/staff/applications/{python_id}/resume", "refused"),
        (python_id, PYTHON, f"POST /fr/personnel/candidatures/{python_id}/status", "refused"),
    ]
    # Nothing the refused requests might have done was kept, and the visible one was only viewed.
    assert audit_events(db_app, "change_status") == []
    assert [e.application_id for e in audit_events(db_app, "view_application")] == [head_id]


def test_a_missing_application_or_an_anonymous_visitor_is_not_a_refusal(db_app, staff):
    reviewer = staff.client(staff.assigned)
    assert reviewer.get("/en/staff/applications/999999/").status_code == 404
    assert db_app.test_client().get("/en/staff/audit/").status_code == 302
    assert audit_events(db_app, "access_refused") == []


def test_a_refusal_the_database_cannot_record_still_gets_its_page(db_app, staff, monkeypatch, caplog):
    def unavailable(*args, **kwargs):
        raise OperationalError("INSERT", {}, Exception("database is locked"))

    reviewer = staff.client(staff.assigned)
    monkeypatch.setattr(audit, "record", unavailable)
    response = reviewer.post("/en/staff/sign-out", data={"csrf_token": "forged"})
    assert parse_page(response, status=400).h1 == "This form has expired"
    assert "could not record a refused request: OperationalError" in caplog.text
    assert "locked" not in caplog.text
    monkeypatch.undo()
    assert audit_events(db_app, "csrf_refused") == []
