"""Legal holds through the staff pages: admins place and release them on an
application or a posting, with a reason; reviewers see them but cannot act;
every step is audited. Both languages."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from portal.domain.models import LegalHold
from portal.plumbing.db import db
from tests.conftest import form_tokens_csrf, parse_page
from tests.records import HEAD, audit_events, insert, new_application

APPLICATIONS = {"en": "/en/staff/applications", "fr": "/fr/personnel/candidatures"}
POSTINGS = {"en": "/en/staff/postings", "fr": "/fr/personnel/offres"}
HOLD = {"en": "legal-hold", "fr": "suspension-de-destruction"}
RELEASE = {"en": "release", "fr": "lever"}
TEXT = {
    "en": {
        "placed": "Legal hold placed",
        "released": "Legal hold released.",
        "under": "Under a legal hold",
        "none": "No legal hold.",
        "admins_only": "Only administrators can place or release a legal hold.",
        "reason_error": "Write the reason for the hold",
        "release": "Release this hold",
    },
    "fr": {
        "placed": "Conservation à des fins juridiques imposée",
        "released": "Conservation à des fins juridiques levée.",
        "under": "Visée par une conservation à des fins juridiques",
        "none": "Aucune conservation à des fins juridiques.",
        "admins_only": "Seuls les administrateurs et les administratrices peuvent imposer ou lever une "
        "conservation à des fins juridiques.",
        "reason_error": "Écrivez le motif de la conservation",
        "release": "Lever cette conservation",
    },
}


def holds(app) -> list[tuple]:
    with app.app_context():
        return [
            (hold.application_id, hold.posting_key, hold.reason, hold.placed_by)
            for hold in db.session.scalars(select(LegalHold).order_by(LegalHold.id))
        ]


def post(client, page_url: str, action: str, data: dict):
    token = form_tokens_csrf(client.get(page_url).get_data(as_text=True))
    return client.post(action, data={"csrf_token": token, **data})


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_an_admin_places_and_releases_a_hold_on_an_application(db_app, staff, lang):
    (application_id,) = insert(db_app, new_application(HEAD))
    page_url = f"{APPLICATIONS[lang]}/{application_id}/"
    admin = staff.client(staff.admin)
    before = parse_page(admin.get(page_url), lang=lang)
    assert TEXT[lang]["none"] in before.text
    assert before.soup.select_one("textarea#hold-reason") is not None

    response = post(admin, page_url, f"{page_url}{HOLD[lang]}", {"hold-reason": "Access request A-2026-42"})
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"{page_url}#legal-hold")
    assert holds(db_app) == [(application_id, None, "Access request A-2026-42", staff.admin)]
    held = parse_page(admin.get(page_url), lang=lang)
    assert TEXT[lang]["placed"] in held.text and TEXT[lang]["under"] in held.text
    assert "Access request A-2026-42" in held.text

    (hold_id,) = [int(i["value"]) for i in held.soup.select("input[name=hold]")]
    response = post(admin, page_url, f"{page_url}{HOLD[lang]}/{RELEASE[lang]}", {"hold": str(hold_id)})
    assert response.status_code == 302
    assert holds(db_app) == []
    after = parse_page(admin.get(page_url), lang=lang)
    assert TEXT[lang]["released"] in after.text and TEXT[lang]["none"] in after.text
    events = [(e.action, e.actor, e.role, e.application_id, e.posting_key) for e in audit_events(db_app)]
    assert ("place_legal_hold", staff.admin, "admin", application_id, HEAD) in events
    assert ("release_legal_hold", staff.admin, "admin", application_id, HEAD) in events


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_a_hold_needs_a_reason_shown_beside_the_field(db_app, staff, lang):
    (application_id,) = insert(db_app, new_application(HEAD))
    page_url = f"{APPLICATIONS[lang]}/{application_id}/"
    admin = staff.client(staff.admin)
    response = post(admin, page_url, f"{page_url}{HOLD[lang]}", {"hold-reason": "  \n "})
    page = parse_page(response, lang=lang)
    error = page.soup.select_one("#hold-reason-error")
    assert error is not None and TEXT[lang]["reason_error"] in error.get_text()
    assert page.soup.select_one("textarea#hold-reason")["aria-invalid"] == "true"
    assert holds(db_app) == []
    assert audit_events(db_app, "place_legal_hold") == []


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_a_hold_on_a_posting_covers_its_applications(db_app, staff, lang):
    (application_id,) = insert(db_app, new_application(HEAD))
    posting_url = f"{POSTINGS[lang]}/{HEAD}/"
    admin = staff.client(staff.admin)
    response = post(admin, posting_url, f"{posting_url}{HOLD[lang]}", {"hold-reason": "Complaint C-7"})
    assert response.status_code == 302
    assert holds(db_app) == [(None, HEAD, "Complaint C-7", staff.admin)]
    posting = parse_page(admin.get(posting_url), lang=lang)
    assert TEXT[lang]["under"] in posting.text and "Complaint C-7" in posting.text

    # The application's page shows its posting's hold, released from the posting's page.
    application = parse_page(admin.get(f"{APPLICATIONS[lang]}/{application_id}/"), lang=lang)
    assert TEXT[lang]["under"] in application.text and "Complaint C-7" in application.text
    assert application.soup.select("input[name=hold]") == []
    # The assigned reviewer sees it on the posting's page, without a way to act on it.
    seen = parse_page(staff.client(staff.assigned).get(posting_url), lang=lang)
    assert "Complaint C-7" in seen.text and TEXT[lang]["admins_only"] in seen.text
    assert seen.soup.select("input[name=hold]") == [] and seen.soup.select("textarea#hold-reason") == []
    (hold_id,) = [int(i["value"]) for i in posting.soup.select("input[name=hold]")]
    post(admin, posting_url, f"{posting_url}{HOLD[lang]}/{RELEASE[lang]}", {"hold": str(hold_id)})
    assert holds(db_app) == []
    assert [e.posting_key for e in audit_events(db_app, "release_legal_hold")] == [HEAD]


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_reviewers_see_a_hold_but_cannot_place_or_release_it(db_app, staff, lang):
    (application_id,) = insert(db_app, new_application(HEAD))
    page_url = f"{APPLICATIONS[lang]}/{application_id}/"
    admin = staff.client(staff.admin)
    post(admin, page_url, f"{page_url}{HOLD[lang]}", {"hold-reason": "Litigation L-1"})
    (hold_id,) = [int(i["value"]) for i in parse_page(admin.get(page_url)).soup.select("input[name=hold]")]

    reviewer = staff.client(staff.assigned)
    page = parse_page(reviewer.get(page_url), lang=lang)
    assert TEXT[lang]["under"] in page.text and "Litigation L-1" in page.text
    assert TEXT[lang]["admins_only"] in page.text
    assert page.soup.select("textarea#hold-reason") == [] and page.soup.select("input[name=hold]") == []
    assert TEXT[lang]["release"] not in page.text

    assert post(reviewer, page_url, f"{page_url}{HOLD[lang]}", {"hold-reason": "Mine"}).status_code == 404
    release = f"{page_url}{HOLD[lang]}/{RELEASE[lang]}"
    assert post(reviewer, page_url, release, {"hold": str(hold_id)}).status_code == 404
    assert holds(db_app) == [(application_id, None, "Litigation L-1", staff.admin)]
    refused = audit_events(db_app, "access_refused")
    assert [(e.actor, e.outcome) for e in refused] == [(staff.assigned, "refused")] * 2


def test_releasing_a_hold_twice_or_from_elsewhere_changes_nothing(db_app, staff):
    first, second = insert(db_app, new_application(HEAD), new_application(HEAD))
    admin = staff.client(staff.admin)
    url = f"/en/staff/applications/{first}/"
    post(admin, url, f"{url}legal-hold", {"hold-reason": "Access request"})
    (hold_id,) = [int(i["value"]) for i in parse_page(admin.get(url)).soup.select("input[name=hold]")]
    other = f"/en/staff/applications/{second}/"
    for data in ({"hold": str(hold_id)}, {"hold": "not a number"}, {"hold": "99999999999999999999"}, {}):
        response = post(admin, other, f"{other}legal-hold/release", data)
        assert response.status_code == 302
    assert len(holds(db_app)) == 1
    assert "That hold was already released." in parse_page(admin.get(other)).text
    assert audit_events(db_app, "release_legal_hold") == []
