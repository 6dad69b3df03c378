"""Assessing an application against the posting's merit criteria through the
staff pages: each reviewer's own form, ratings side by side with the
consolidated result, errors named per criterion, rejection only once every
essential criterion is rated, and the record of decision export. Both
languages, SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import io

import pytest
from sqlalchemy import select

from portal.domain import accounts
from portal.domain.models import Assessment, StaffUser, Status
from portal.plumbing.db import db
from tests.conftest import form_tokens_csrf, parse_page
from tests.records import HEAD, PYTHON, audit_events, fetch, insert, new_application

APPLICATIONS = {"en": "/en/staff/applications", "fr": "/fr/personnel/candidatures"}
POSTINGS = {"en": "/en/staff/postings", "fr": "/fr/personnel/offres"}
ASSESSMENT = {"en": "assessment", "fr": "evaluation"}
RECORD = {"en": "record-of-decision.csv", "fr": "consignation-des-decisions.csv"}
TEXT = {
    "en": {
        "title": "Assessment against the merit criteria",
        "degree": "A university degree in computer science",
        "essential": "Essential qualification",
        "asset": "Asset qualification",
        "saved": "Your assessment is saved: 2 of 3 criteria rated.",
        "met": "Met",
        "partly": "Partly met",
        "not_met": "Not met",
        "differ": "Reviewers differ",
        "outcome_differ": "Reviewers differ on one or more essential criteria",
        "not_assessed": "Not assessed yet",
        "why": "Write why you rated “Experience building and running Python web services in production”"
        " this way",
        "problem": "There is 1 problem on this page",
        "rate_first": "Rate every essential criterion before rejecting: the decision rests on them.",
        "basis": "Essential criteria at the time:",
        "no_criteria": "This posting lists no merit criteria",
        "reference": "Reference",
        "consolidated": "consolidated",
    },
    "fr": {
        "title": "Évaluation selon les critères de mérite",
        "degree": "Un grade universitaire en informatique",
        "essential": "Qualification essentielle",
        "asset": "Qualification constituant un atout",
        "saved": "Votre évaluation est enregistrée\u00a0: 2 critères évalués sur 3.",
        "met": "Satisfait",
        "partly": "Partiellement satisfait",
        "not_met": "Non satisfait",
        "differ": "Avis partagés",
        "outcome_differ": "Avis partagés sur un ou plusieurs critères essentiels",
        "not_assessed": "Pas encore évaluée",
        "why": "Justifiez votre évaluation du critère «\u00a0Expérience de la conception et de "
        "l’exploitation de services Web Python en production\u00a0»",
        "problem": "Il y a 1 problème sur cette page",
        "rate_first": "Évaluez chaque critère essentiel avant de rejeter la candidature\u00a0: "
        "la décision repose sur eux.",
        "basis": "Critères essentiels à ce moment-là\u00a0:",
        "no_criteria": "Cette offre ne donne aucun critère de mérite",
        "reference": "Référence",
        "consolidated": "résultat global",
    },
}


@pytest.fixture
def python_application(db_app, staff):
    """An application to the Python posting (which lists merit criteria), and
    the "assigned" reviewer assigned to that posting too."""
    with db_app.app_context():
        reviewer = db.session.scalar(select(StaffUser).where(StaffUser.email == staff.assigned))
        accounts.set_assignments(db.session, reviewer, {HEAD, PYTHON})
        db.session.commit()
    (application_id,) = insert(db_app, new_application(PYTHON))
    return application_id


def post_assessment(client, page_url: str, lang: str, ratings: list[tuple[str, str]]):
    token = form_tokens_csrf(client.get(page_url).get_data(as_text=True))
    data = {"csrf_token": token}
    for position, (rating, justification) in enumerate(ratings):
        data[f"assessment-rating_{position}"] = rating
        data[f"assessment-justification_{position}"] = justification
    return client.post(f"{page_url}{ASSESSMENT[lang]}", data=data)


def ratings_of(app, application_id: int) -> list[tuple[str, str, str]]:
    with app.app_context():
        return sorted(
            (row.reviewer.email, row.criterion_id, row.rating.value)
            for row in db.session.scalars(
                select(Assessment).where(Assessment.application_id == application_id)
            )
        )


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_the_page_offers_a_labelled_rating_and_justification_per_criterion(
    db_app, staff, python_application, lang
):
    page_url = f"{APPLICATIONS[lang]}/{python_application}/"
    page = parse_page(staff.client(staff.assigned).get(page_url), lang=lang)

    section = page.soup.select_one("section#assessment")
    assert TEXT[lang]["title"] in section.select_one("h2").get_text()
    assert TEXT[lang]["not_assessed"] in section.get_text()
    groups = section.select(".criterion-group")
    assert len(groups) == 3
    legends = [group.select_one("legend").get_text(" ", strip=True) for group in groups]
    assert legends[0].startswith(TEXT[lang]["degree"])
    assert [TEXT[lang]["essential"] in group.get_text() for group in groups] == [True, True, False]
    assert TEXT[lang]["asset"] in groups[2].get_text()
    for group in groups:
        radios = group.select("input[type=radio]")
        assert len(radios) == 4 and [radio.get("checked") for radio in radios][-1] is not None
        for control in [*radios, group.select_one("textarea")]:
            assert page.soup.select_one(f"label[for='{control['id']}']") is not None
    ids = [element["id"] for element in page.soup.select("[id]")]
    assert len(ids) == len(set(ids))


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_a_reviewer_saves_ratings_and_sees_them_again(db_app, staff, python_application, lang):
    page_url = f"{APPLICATIONS[lang]}/{python_application}/"
    reviewer = staff.client(staff.assigned)

    response = post_assessment(
        reviewer, page_url, lang, [("met", "MSc, 2015"), ("partly_met", "Scripts, not services"), ("", "")]
    )

    assert response.status_code == 302 and response.headers["Location"].endswith("#assessment")
    assert ratings_of(db_app, python_application) == [
        (staff.assigned, "degree", "met"),
        (staff.assigned, "python-services", "partly_met"),
    ]
    page = parse_page(reviewer.get(page_url), lang=lang)
    assert TEXT[lang]["saved"] in page.text
    assert page.soup.select_one("#assessment-rating_0-0")["value"] == "met"
    assert page.soup.select_one("#assessment-rating_0-0").get("checked") is not None
    assert page.soup.select_one("#assessment-justification_1").get_text().strip() == "Scripts, not services"
    table = page.soup.select_one("#assessment table")
    assert staff.assigned in table.select_one("thead").get_text()
    (event,) = audit_events(db_app, "assess_application")
    assert event.detail == "2/3 criteria rated"


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_a_rating_without_justification_is_refused_naming_the_criterion(
    db_app, staff, python_application, lang
):
    page_url = f"{APPLICATIONS[lang]}/{python_application}/"

    page = parse_page(
        post_assessment(
            staff.client(staff.admin), page_url, lang, [("met", "MSc"), ("not_met", "  "), ("", "")]
        ),
        lang=lang,
    )

    summary = page.soup.select_one(".error-summary")
    assert TEXT[lang]["problem"] in summary.get_text()
    link = summary.select_one("a[href='#assessment-justification_1']")
    assert link.get_text() == TEXT[lang]["why"]
    assert page.soup.select_one("#assessment-justification_1")["aria-invalid"] == "true"
    # What was typed stays on the page; nothing is stored.
    assert page.soup.select_one("#assessment-rating_0-0").get("checked") is not None
    assert ratings_of(db_app, python_application) == []
    assert audit_events(db_app, "assess_application") == []


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_two_reviewers_are_side_by_side_with_the_consolidated_rating(db_app, staff, python_application, lang):
    page_url = f"{APPLICATIONS[lang]}/{python_application}/"
    post_assessment(
        staff.client(staff.assigned), page_url, lang, [("met", "MSc"), ("met", "Five years"), ("", "")]
    )
    admin = staff.client(staff.admin)
    post_assessment(admin, page_url, lang, [("met", "Degree seen"), ("partly_met", "Only scripts"), ("", "")])

    page = parse_page(admin.get(page_url), lang=lang)

    table = page.soup.select_one("#assessment table")
    headers = [th.get_text(strip=True) for th in table.select("thead th")]
    assert headers[1:3] == [staff.assigned, staff.admin]
    rows = [
        [cell.get_text(" ", strip=True) for cell in row.select("th, td")] for row in table.select("tbody tr")
    ]
    assert rows[0][1].startswith(TEXT[lang]["met"]) and rows[0][3] == TEXT[lang]["met"]
    assert "Only scripts" in rows[1][2] and rows[1][3] == TEXT[lang]["differ"]
    assert TEXT[lang]["outcome_differ"] in page.soup.select_one(".assessment-outcome").get_text()
    # Each reviewer's form holds only their own ratings.
    assert page.soup.select_one("#assessment-justification_0").get_text().strip() == "Degree seen"


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_rejection_waits_for_every_essential_criterion_then_records_them(
    db_app, staff, python_application, lang
):
    page_url = f"{APPLICATIONS[lang]}/{python_application}/"
    admin = staff.client(staff.admin)
    token = form_tokens_csrf(admin.get(page_url).get_data(as_text=True))
    reject = {"csrf_token": token, "status": "rejected", "reason": "No production experience"}

    refused = parse_page(admin.post(f"{page_url}status", data=reject), lang=lang)
    assert TEXT[lang]["rate_first"] in refused.text
    assert fetch(db_app, python_application)["status"] == Status.RECEIVED

    post_assessment(
        admin, page_url, lang, [("met", "MSc"), ("not_met", "No services in production"), ("", "")]
    )
    response = admin.post(f"{page_url}status", data=reject)

    assert response.status_code == 302
    assert fetch(db_app, python_application)["status"] == Status.REJECTED
    history = (
        parse_page(admin.get(page_url), lang=lang).soup.select_one("ol.history").get_text(" ", strip=True)
    )
    assert TEXT[lang]["basis"] in history
    assert TEXT[lang]["degree"] in history


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_a_posting_without_criteria_says_so_and_rejects_as_before(db_app, staff, lang):
    (application_id,) = insert(db_app, new_application(HEAD))
    page_url = f"{APPLICATIONS[lang]}/{application_id}/"
    admin = staff.client(staff.admin)
    page = parse_page(admin.get(page_url), lang=lang)
    assert TEXT[lang]["no_criteria"] in page.soup.select_one("#assessment").get_text()
    assert page.soup.select_one("#assessment form") is None
    token = form_tokens_csrf(page.response.get_data(as_text=True))
    response = admin.post(
        f"{page_url}status", data={"csrf_token": token, "status": "rejected", "reason": "Late"}
    )
    assert response.status_code == 302
    assert fetch(db_app, application_id)["status"] == Status.REJECTED


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_the_record_of_decision_lists_each_application_by_reference_with_its_ratings(
    db_app, staff, python_application, lang
):
    page_url = f"{APPLICATIONS[lang]}/{python_application}/"
    admin = staff.client(staff.admin)
    post_assessment(admin, page_url, lang, [("met", "MSc"), ("not_met", "=No production work"), ("", "")])
    token = form_tokens_csrf(admin.get(page_url).get_data(as_text=True))
    admin.post(
        f"{page_url}status", data={"csrf_token": token, "status": "rejected", "reason": "Screened out"}
    )
    listing = parse_page(admin.get(f"{POSTINGS[lang]}/{PYTHON}/"), lang=lang)
    link = listing.soup.select_one(f"a[href='{POSTINGS[lang]}/{PYTHON}/{RECORD[lang]}']")
    assert link is not None

    response = admin.get(link["href"])

    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "no-store" in response.headers["Cache-Control"]
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0][0] == TEXT[lang]["reference"]
    assert TEXT[lang]["consolidated"] in rows[0][6]
    (row,) = rows[1:]
    assert row[0].startswith("TEST-")
    assert row[4] == "Screened out"
    assert row[9].startswith(f"{staff.admin}") and "=No production work" in row[9]
    assert row[8] == TEXT[lang]["not_met"]
    assert "Candidate" not in ";".join(row) and "@example.ca" not in ";".join(row)
    (event,) = audit_events(db_app, "export_decisions")
    assert (event.posting_key, event.detail) == (PYTHON, "1 rows")


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_reviewers_cannot_export_the_record_or_assess_other_postings(db_app, staff, python_application, lang):
    reviewer = staff.client(staff.assigned)
    assert reviewer.get(f"{POSTINGS[lang]}/{PYTHON}/{RECORD[lang]}").status_code in (403, 404)
    outsider = staff.client(staff.unassigned)
    page_url = f"{APPLICATIONS[lang]}/{python_application}/"
    token = form_tokens_csrf(
        outsider.get(f"/{lang}/" + ("staff/" if lang == "en" else "personnel/")).get_data(as_text=True)
    )
    response = outsider.post(
        f"{page_url}{ASSESSMENT[lang]}",
        data={"csrf_token": token, "assessment-rating_0": "met", "assessment-justification_0": "x"},
    )
    assert response.status_code == 404
    assert ratings_of(db_app, python_application) == []


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_the_staff_csv_ends_with_the_consolidated_ratings(db_app, staff, python_application, lang):
    page_url = f"{APPLICATIONS[lang]}/{python_application}/"
    admin = staff.client(staff.admin)
    post_assessment(admin, page_url, lang, [("met", "MSc"), ("partly_met", "Scripts"), ("", "")])

    response = admin.get(f"{POSTINGS[lang]}/{PYTHON}/export.csv")

    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    header, (row,) = rows[0], rows[1:]
    assert (
        header[-4]
        == {"en": "Result against the essential criteria", "fr": "Résultat selon les critères essentiels"}[
            lang
        ]
    )
    assert header[-3].startswith(TEXT[lang]["degree"]) and TEXT[lang]["consolidated"] in header[-3]
    assert (
        row[-4]
        == {
            "en": "Partly meets one or more essential criteria",
            "fr": "Satisfait en partie à un ou plusieurs critères essentiels",
        }[lang]
    )
    assert row[-3:] == [
        TEXT[lang]["met"],
        TEXT[lang]["partly"],
        {"en": "Not rated", "fr": "Non évalué"}[lang],
    ]


def test_the_staff_csv_of_a_posting_without_criteria_has_no_rating_columns(db_app, staff):
    insert(db_app, new_application(HEAD))
    response = staff.client(staff.admin).get(f"{POSTINGS['en']}/{HEAD}/export.csv")
    header = next(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert not any("criteria" in cell or "consolidated" in cell for cell in header)


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_a_forged_rating_is_refused_in_the_page_language(db_app, staff, python_application, lang):
    page_url = f"{APPLICATIONS[lang]}/{python_application}/"
    page = parse_page(
        post_assessment(
            staff.client(staff.admin), page_url, lang, [("excellent", "Forged"), ("", ""), ("", "")]
        ),
        lang=lang,
    )
    error = page.soup.select_one(".error-summary a[href='#assessment-rating_0']").get_text()
    assert (
        error
        == {"en": "Choose one of the ratings offered", "fr": "Choisissez l’une des évaluations proposées"}[
            lang
        ]
    )
    assert ratings_of(db_app, python_application) == []
