"""Every French page type and email, rendered, meets the glossary and the
house rules (terms to avoid, masculine-only participles, abbreviated
doublets, Canadian typography, numbers with units): French that slips past
the catalog check (a template literal, content, a formatted number) is caught."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace

import pytest
from bs4 import BeautifulSoup
from flask import render_template
from sqlalchemy import select

from portal.content.search import JobQuery
from portal.domain import candidate_access
from portal.domain.models import Application
from portal.plumbing import glossary, i18n
from portal.plumbing.config import PROJECT_ROOT
from portal.plumbing.db import db
from portal.web.errors import render_error

FRENCH = glossary.path_for(PROJECT_ROOT / "translations", "fr")
POSTING = "/fr/emplois/chef-de-la-gestion-de-produits/"
CLOSED_POSTING = "/fr/emplois/conceptrice-ou-concepteur-de-services/"
FORM = POSTING + "postuler"
EMAILS = sorted(
    path.name.removesuffix(".subject.txt")
    for path in (PROJECT_ROOT / "templates/emails").glob("*.subject.txt")
)
#: Every variable any email template is given (see mail.queue's callers).
EMAIL_CONTEXT = {
    "link": "https://carrieres.example/fr/personnel/lien/abc",
    "email": "ada.tremblay@example.ca",
    "invitation_hours": 48,
    "reset_minutes": 30,
    "reference": "NDS-2026-ABCD-1234",
    "full_name": "Ada Tremblay",
    "posting_title": "Cheffe ou chef de la gestion de produits",
    "contact_email": "carrieres@example.ca",
    # Job alerts.
    "query": JobQuery(text="développeuse", where="ON"),
    "postings": [
        (SimpleNamespace(title="Développeuse ou développeur Python", closing_at=None), "https://x/")
    ],
    "confirm_url": "https://carrieres.example/fr/alertes-emploi/confirmer?token=abc",
    "manage_url": "https://carrieres.example/fr/alertes-emploi/gerer?token=abc",
    "unsubscribe_url": "https://carrieres.example/fr/alertes-emploi/desabonnement?token=abc",
    "jobs_url": "https://carrieres.example/fr/emplois/?q=d%C3%A9veloppeuse&where=ON",
    "confirm_days": 7,
    # Status links and withdrawal.
    "status_url": "https://carrieres.example/fr/etat-de-la-candidature?token=abc",
    # Decision emails and staff messages (what a reviewer writes, in French).
    "subject": "",
    "message": "Nous vous écrirons mardi pour fixer la date.",
    "reason": "Moins de cinq années à la tête d’équipes de produits.",
}


def french_text(html: str) -> str:
    """Return the French text of a page: whatever is marked in another
    language (the toggle, the other half of a bilingual page) left out."""
    soup = BeautifulSoup(html, "lxml")
    for element in soup.find_all(["script", "style"]):
        element.decompose()
    for element in soup.find_all(lang=True):
        if element.name != "html" and not element["lang"].startswith("fr") and not element.decomposed:
            element.decompose()
    return soup.get_text(" ", strip=True)


def assert_good_french(text: str, where: str) -> None:
    assert len(text) > 20, f"{where}: no French text found"
    problems = glossary.text_problems(text, glossary.load(FRENCH))
    assert not problems, f"{where}: {problems}"


def links_under(html: str, prefix: str) -> list[str]:
    soup = BeautifulSoup(html, "lxml")
    return sorted({a["href"] for a in soup.find_all("a", href=True) if a["href"].startswith(prefix)})


def test_public_pages_in_french_meet_the_house_rules(client):
    stories = client.get("/fr/blogue/")
    story_links = [
        link for link in links_under(stories.get_data(as_text=True), "/fr/blogue/") if link != "/fr/blogue/"
    ]
    assert story_links, "the story list links to its stories"
    pages = {
        "/fr/": 200,
        "/fr/emplois/": 200,
        POSTING: 200,
        CLOSED_POSTING: 410,
        "/fr/blogue/": 200,
        story_links[0]: 200,
        FORM: 200,
        "/fr/page-qui-n-existe-pas/": 404,
    }
    for url, status in pages.items():
        response = client.get(url)
        assert response.status_code == status, url
        assert_good_french(french_text(response.get_data(as_text=True)), url)


def test_every_french_story_and_posting_meets_the_house_rules(client):
    for listing in ("/fr/emplois/", "/fr/blogue/"):
        for url in links_under(client.get(listing).get_data(as_text=True), listing):
            response = client.get(url)
            assert response.status_code in (200, 410), url
            assert_good_french(french_text(response.get_data(as_text=True)), url)


def test_the_french_confirmation_page_meets_the_house_rules(client, application_form):
    data = application_form(client, FORM, preferred_language="fr")
    response = client.post(FORM, data=data)
    assert response.status_code == 303
    confirmation = client.get(response.headers["Location"])
    assert confirmation.status_code == 200
    assert_good_french(french_text(confirmation.get_data(as_text=True)), "confirmation")


def test_the_french_status_withdrawal_and_lost_link_pages_meet_the_house_rules(client, application_form):
    data = application_form(client, FORM, preferred_language="fr")
    assert client.post(FORM, data=data).status_code == 303
    with client.application.app_context():
        application_id = db.session.scalar(select(Application.id))
        token = candidate_access.new_status_link(
            db.session, db.session.get(Application, application_id), now=datetime.now(UTC)
        )
        db.session.commit()
    status = f"/fr/etat-de-la-candidature?token={token}"
    pages = {
        status: 200,
        f"{status}&done=withdrawn": 200,
        f"/fr/etat-de-la-candidature/retirer?token={token}": 200,
        "/fr/etat-de-la-candidature/lien-perdu": 200,
        "/fr/etat-de-la-candidature/lien-perdu?sent=1": 200,
        "/fr/etat-de-la-candidature?token=inconnu": 404,
    }
    for url, code in pages.items():
        response = client.get(url)
        assert response.status_code == code, url
        assert_good_french(french_text(response.get_data(as_text=True)), url)
    with client.application.app_context():
        candidate_access.new_status_link(
            db.session, db.session.get(Application, application_id), now=datetime.now(UTC)
        )
        db.session.commit()
    replaced = client.get(status)
    assert replaced.status_code == 410
    assert_good_french(french_text(replaced.get_data(as_text=True)), "replaced link")


@pytest.mark.parametrize("reason", [None, "database"])
def test_the_503_page_in_french_meets_the_house_rules(app, reason):
    with app.test_request_context("/fr/emplois/"):
        page, code = render_error(503, reason)
    assert code == 503
    assert_good_french(french_text(page), f"503 {reason}")


@pytest.mark.parametrize("template", EMAILS)
def test_every_french_email_meets_the_house_rules(app, template):
    with app.test_request_context("/fr/"), i18n.language("fr"):
        subject = render_template(f"emails/{template}.subject.txt", **EMAIL_CONTEXT)
        text = render_template(f"emails/{template}.txt", **EMAIL_CONTEXT)
        html = render_template(f"emails/{template}.html", **EMAIL_CONTEXT)
    assert_good_french(f"Objet\u00a0: {subject}", f"{template} subject")
    assert_good_french(text, f"{template}.txt")
    assert_good_french(french_text(html), f"{template}.html")


def test_the_email_templates_are_all_checked():
    assert {"application_received", "staff_invitation", "password_reset"} <= set(EMAILS)
    assert {"decision_interview", "decision_not_selected", "decision_offer", "staff_message"} <= set(EMAILS)
    assert all(Path(PROJECT_ROOT / "templates/emails" / f"{name}.txt").is_file() for name in EMAILS)
